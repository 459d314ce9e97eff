import pino, { type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/config';
import { maskUrlCredentials } from './url-credentials';

export type { Logger } from 'pino';
export * from './url-credentials';

/**
 * Paths never written to logs: credentials, signatures and people's contact data.
 * Fastify's request serializer logs headers only through these names.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.csrfToken',
  '*.codeVerifier',
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
  'OIDC_CLIENT_SECRET',
  'config.DATABASE_URL',
  'config.DEV_API_KEY',
  'config.SMTP_URL',
  'config.SECRETS_KEY',
  'config.SECRETS_OLD_KEYS',
  'config.OIDC_CLIENT_SECRET',
];

interface LoggedRequest {
  readonly url: string;
  readonly method?: string;
  readonly host?: string;
  readonly ip?: string;
  readonly raw?: unknown;
  readonly socket?: { readonly remotePort?: number };
}

/**
 * `req` as Fastify logs it on each request line (method, URL, host, address),
 * with a key sent in the query string masked: the services refuse such keys,
 * but the line recording the refusal must not keep the key.
 */
function serializeRequest(req: unknown): unknown {
  if (!req || typeof req !== 'object' || typeof (req as LoggedRequest).url !== 'string') return req;
  const r = req as LoggedRequest;
  if (!('raw' in r)) return { ...r, url: maskUrlCredentials(r.url) };
  return { method: r.method, url: maskUrlCredentials(r.url), host: r.host, remoteAddress: r.ip, remotePort: r.socket?.remotePort };
}

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
    serializers: { req: serializeRequest },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname' } } } : {}),
  };
  return destination && !pretty ? pino(options, destination) : pino(options);
}
