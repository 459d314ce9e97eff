import pino, { type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/config';

export type { Logger } from 'pino';

/**
 * Paths never written to logs: credentials, signatures and people's contact data.
 * Fastify's request serializer logs headers only through these names.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.token',
  '*.key',
  '*.phone',
  '*.email',
  '*.contact',
  '*.contacts',
  '*.address',
  'DATABASE_URL',
  'DEV_API_KEY',
  'SMTP_URL',
  'SECRETS_KEY',
  'SECRETS_OLD_KEYS',
  'config.DATABASE_URL',
  'config.DEV_API_KEY',
  'config.SMTP_URL',
  'config.SECRETS_KEY',
  'config.SECRETS_OLD_KEYS',
];

/** The one logger factory: JSON lines in production, readable lines in development. */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV' | 'LOG_PRETTY'>,
  name: string,
  /** Where JSON lines go (tests); defaults to stdout. */
  destination?: pino.DestinationStream,
): Logger {
  const pretty = config.LOG_PRETTY ? config.LOG_PRETTY === 'true' : config.NODE_ENV === 'development';
  const options: LoggerOptions = {
    name,
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname' } } } : {}),
  };
  return destination && !pretty ? pino(options, destination) : pino(options);
}
