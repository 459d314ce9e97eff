import { z } from 'zod';
import { decodeOldSecretsKeys, decodeSecretsKey } from '../secrets/secret-box';
import { validAllowHosts } from './allow-hosts';
import { parseTrustProxy, validTrustProxy } from './trust-proxy';

/**
 * Configuration from the environment, validated once at start. Defaults suit the
 * local stack of `make up`; pointing at a cluster is a matter of variables only
 * (README, "Past one machine").
 */
const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);
const url = (fallback: string) => z.string().url().default(fallback);

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Readable logs instead of JSON lines (defaults to on in development). */
    LOG_PRETTY: z.enum(['true', 'false']).optional(),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
      .default('postgres://postgres@127.0.0.1:5432/yuqing'),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),

    NATS_URL: z.string().default('nats://127.0.0.1:4222'),
    NATS_STREAM: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('INCIDENTS'),
    /** Prefix before `incident.<type>`; tests use it to isolate their subjects. */
    NATS_SUBJECT_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9_-]+\.)?$/, 'empty or a token followed by a dot, e.g. "t42."')
      .default(''),

    TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('incidents'),
    TEMPORAL_UI_URL: url('http://localhost:8233'),

    HOST: z.string().default('127.0.0.1'),
    INTAKE_PORT: port(3001),
    DISPATCH_PORT: port(3002),
    REPORTING_PORT: port(3003),
    /** Base URLs used in links handed to callers (behind a proxy they differ from HOST:PORT). */
    INTAKE_PUBLIC_URL: url('http://localhost:3001'),
    DISPATCH_PUBLIC_URL: url('http://localhost:3002'),
    REPORTING_PUBLIC_URL: url('http://localhost:3003'),

    /**
     * The proxies in front of the services (HAProxy in the cluster profile), comma-separated
     * addresses or CIDR ranges. A request from one of them is taken to come from the last
     * address in its X-Forwarded-For that is not itself a listed proxy: the per-address
     * limits (failed keys, failed sign-ins, anonymous requests), sessions and the audit log
     * see the client, not the proxy. From anyone else the header is ignored. Empty (the
     * default): the connection's own address, whatever the header says.
     */
    TRUST_PROXY: z
      .string()
      .default('')
      .refine(validTrustProxy, 'comma-separated addresses or CIDR ranges of the proxies, e.g. 10.0.0.5, 10.1.0.0/24')
      .transform(parseTrustProxy),

    /** Development client key created by `make up` (never honoured in production). */
    DEV_API_KEY: z.string().min(16).optional(),
    /** Requests per minute per principal (the client or person a key belongs to). */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    /** Requests per minute per address to what needs no key (API docs, the console's files); its own bucket. */
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(1).default(1_200),
    /** Requests without a valid key (401) allowed per client address and minute; beyond, 429 until the minute is over. */
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    /** Requests of one principal running at once in one process (a burst must not hold every database connection). */
    CLIENT_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(8),
    /** Requests of one principal waiting for a turn beyond CLIENT_MAX_IN_FLIGHT; more are answered 429. */
    CLIENT_MAX_QUEUED: z.coerce.number().int().min(0).default(32),
    /** Largest accepted request body in bytes. */
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(256 * 1024),

    /**
     * The worker's Prometheus metrics (`GET /metrics` on HOST): ours and the Temporal
     * SDK's. 0 takes any free port (tests run several workers); the log names it.
     */
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),

    /** Workflows kept in the worker's memory (≈ 0.4 MiB each, BENCHMARKS.md); others are replayed from history when they next wake. */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1_000),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(40),
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).default(100),

    /**
     * The Chinese font of the PDF documents (摘报, 档案, 总结评估, 日报/周报): a file, and for a
     * collection the face's PostScript name after `#` (`/path/NotoSansCJK-Regular.ttc#NotoSansCJKsc-Regular`).
     * Unset: what `fc-list :lang=zh` finds, Debian's fonts-noto-cjk by preference.
     */
    PDF_CJK_FONT: z.string().min(1).optional(),

    /**
     * When the summary reports to the leaders are made (舆情日报/周报): cron expressions in
     * SUMMARY_TIMEZONE for the Temporal Schedules the worker keeps at its start. Each covers
     * the 24 hours (7 days) up to its run.
     */
    SUMMARY_DAILY_CRON: z.string().min(9).default('0 8 * * *'),
    SUMMARY_WEEKLY_CRON: z.string().min(9).default('0 8 * * 1'),
    SUMMARY_TIMEZONE: z.string().min(1).default('Asia/Shanghai'),
    /** `off`: the worker leaves the schedules alone (test processes, a second worker fleet on the same server). */
    SUMMARY_SCHEDULES: z.enum(['on', 'off']).default('on'),

    /** How often the outbox relay looks for work it was not woken for (ms). */
    OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(500),
    /**
     * Intake: how many workflows one instance keeps started but not yet through their
     * first task; the rest of a burst waits in the outbox (services/intake/src/incidents/workflow-starter.ts).
     */
    WORKFLOW_STARTS_IN_FLIGHT: z.coerce.number().int().min(1).default(64),

    /** The SMTP relay e-mail notifications go through, e.g. `smtps://user:pass@mail.example.org`; unset: e-mail deliveries fail and wait for an operator. */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'an smtp:// or smtps:// URL')
      .optional(),
    /** Sender of e-mail notifications. */
    SMTP_FROM: z.string().min(3).default('舆情应急处置平台 <yuqing-noreply@example.org>'),
    /** How long one delivery attempt may take before it counts as failed (ms). */
    NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** Attempts before a delivery becomes a dead letter (an operator can retry it). */
    NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
    /** First retry delay; each further one doubles, up to 10 minutes (ms). */
    NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(10).default(2_000),
    /** Deliveries in flight at once per endpoint (a webhook, a robot, the SMTP relay) in one process. */
    NOTIFY_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(2),
    /** Deliveries in flight at once in one process. */
    NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
    /** How often the delivery worker looks for due work it was not woken for (ms). */
    NOTIFY_POLL_MS: z.coerce.number().int().min(10).default(500),
    /**
     * Exceptions to the outbound address rules: webhooks and robots may not point at
     * loopback, private, link-local, CGNAT, multicast or metadata addresses unless
     * listed here (comma-separated host names, IPs, `host:port` or CIDRs, e.g.
     * `hooks.internal, 10.20.0.0/16`). Tests list `127.0.0.1` for their receivers.
     */
    NOTIFY_ALLOW_HOSTS: z.string().default('').refine(validAllowHosts, 'comma-separated host names, IPs, host:port or CIDR ranges'),

    /**
     * People's sign-in (README, Configuration): a session ends after this long without a
     * request (idle) and, whatever the activity, this long after signing in (absolute).
     */
    SESSION_IDLE_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(30 * 60_000),
    SESSION_ABSOLUTE_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(12 * 3_600_000),
    /** The session cookie is `Secure` (sent over https only); defaults to on when REPORTING_PUBLIC_URL is https. */
    SESSION_COOKIE_SECURE: z.enum(['true', 'false']).optional(),
    /** Failed sign-ins of one account within SIGN_IN_FAILURE_WINDOW_MS before it is locked for that long. */
    SIGN_IN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    /** Failed sign-ins from one address within SIGN_IN_FAILURE_WINDOW_MS, whatever the account, before that address is refused. */
    SIGN_IN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
    SIGN_IN_FAILURE_WINDOW_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(15 * 60_000),
    /** How long an activation link (set one's password) stays valid. */
    ACTIVATION_TTL_MS: z.coerce
      .number()
      .int()
      .min(60_000)
      .default(72 * 3_600_000),
    /**
     * Origins whose pages may call this service with the session cookie (CORS with
     * credentials), comma-separated; defaults to REPORTING_PUBLIC_URL, the console's.
     */
    CORS_ORIGINS: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || v.split(',').every((o) => /^https?:\/\/[^/\s]+$/.test(o.trim())),
        'comma-separated origins such as https://yuqing.example.org',
      ),

    /**
     * Single sign-on with the city's identity provider over OpenID Connect: set the
     * issuer, the client and the redirect URI (the callback of one of the services,
     * `…/v1/session/oidc/callback`). The claim OIDC_PERSON_CLAIM names the person:
     * its value is a person's id (OIDC_PERSON_MATCH=id) or e-mail address (email).
     */
    OIDC_ISSUER: z.url().optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_REDIRECT_URI: z.url().optional(),
    OIDC_SCOPES: z.string().default('openid profile email'),
    OIDC_PERSON_CLAIM: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]+$/)
      .default('preferred_username'),
    OIDC_PERSON_MATCH: z.enum(['id', 'email']).default('id'),

    /** Key that seals channel secrets at rest (AES-256-GCM): base64 of 32 random bytes. Required in production. */
    SECRETS_KEY: z
      .string()
      .refine((k) => decodeSecretsKey(k) !== undefined, 'base64 of 32 bytes, e.g. `openssl rand -base64 32`')
      .optional(),
    /** Keys used before (comma-separated, same form), still opened until `admin.js rotate-secrets` reseals under SECRETS_KEY. */
    SECRETS_OLD_KEYS: z
      .string()
      .default('')
      .refine((k) => decodeOldSecretsKeys(k) !== undefined, 'comma-separated base64 keys of 32 bytes'),
  })
  .superRefine((c, ctx) => {
    if (!c.OIDC_ISSUER) return;
    for (const name of ['OIDC_CLIENT_ID', 'OIDC_REDIRECT_URI'] as const) {
      if (!c[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when OIDC_ISSUER is set' });
    }
    // Tokens and codes cross this connection: plain http only for a provider on this machine in development and tests.
    if (c.NODE_ENV === 'production' && !c.OIDC_ISSUER.startsWith('https://'))
      ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'an https:// URL in production' });
  });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: readonly { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: i.path.join('.'), message: i.message })));
  }
  return Object.freeze(parsed.data);
}

/** For process entry points: prints what is wrong and exits non-zero. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
