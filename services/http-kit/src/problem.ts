import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z, ZodError } from 'zod';
import { maskUrlCredentials, problemDocument } from '@yuqing/shared';
import { clientRequestIdOf } from './request-id';

/** The problem+json body (RFC 9457) every error answers with, for OpenAPI. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    clientRequestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), pointer: z.string(), message: z.string() })).optional(),
  })
  .describe('application/problem+json');

/** Problem responses for a route's schema: `problemResponses(401, 403, 422)`. */
export function problemResponses(...statuses: number[]): Record<number, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemSchema]));
}

/** One bad field: `field` is a dotted path (`source.url`), `pointer` its JSON Pointer. */
export interface FieldError {
  readonly field: string;
  readonly pointer: string;
  readonly message: string;
}

/**
 * An error answered as `application/problem+json` (RFC 9457). `code` is stable
 * and doubles as the type URN, so callers can branch on it.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: readonly FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

export const problems = {
  notFound: (what: string) => new HttpProblem(404, 'not_found', 'Not Found', `${what} not found`),
  unauthorized: (detail = 'missing or unknown API key') =>
    new HttpProblem(401, 'unauthorized', 'Unauthorized', detail, undefined, { 'www-authenticate': 'Bearer' }),
  forbidden: (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail),
  conflict: (detail: string) => new HttpProblem(409, 'conflict', 'Conflict', detail),
  invalid: (detail: string, errors?: readonly FieldError[]) => new HttpProblem(422, 'validation_failed', 'Unprocessable Content', detail, errors),
  /** An Idempotency-Key sent again with another body: the first request's answer cannot be this one's. */
  idempotencyKeyReused: () =>
    new HttpProblem(
      422,
      'idempotency_key_reused',
      'Unprocessable Content',
      '该 Idempotency-Key 已用于内容不同的请求 (this Idempotency-Key was already used with a different request body)',
      [{ field: 'headers.idempotency-key', pointer: '/headers/idempotency-key', message: 'reused with a different body' }],
    ),
  unavailable: (detail: string, retryAfterSeconds = 5) =>
    new HttpProblem(503, 'unavailable', 'Service Unavailable', detail, undefined, { 'retry-after': String(retryAfterSeconds) }),
  /** The request's transaction lost to concurrent ones every time it was tried: nothing of it was kept. */
  busy: () =>
    new HttpProblem(
      503,
      'busy',
      'Service Unavailable',
      '同时处理的请求相互冲突,本次未保存任何内容,请稍后以同一 Idempotency-Key 重试 (conflicting concurrent requests: nothing was stored; retry with the same Idempotency-Key)',
      undefined,
      { 'retry-after': '1' },
    ),
};

function toField(path: readonly PropertyKey[]): Pick<FieldError, 'field' | 'pointer'> {
  const parts = path.map((p) => String(p));
  return { field: parts.join('.') || '(root)', pointer: `/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` };
}

/** Field errors from a ZodError, for handlers that parse by hand. */
export function zodFieldErrors(error: ZodError, prefix: readonly PropertyKey[] = []): FieldError[] {
  return error.issues.map((issue) => ({ ...toField([...prefix, ...issue.path]), message: issue.message }));
}

/** SQLSTATEs and socket codes that mean "the database is not there right now". */
const PG_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
/** What node-postgres says when a connection dropped under a query or a transaction. */
const PG_UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|not queryable|terminating connection|the database system is (starting up|shutting down|in recovery mode)|Client was closed/i;

/** SQLSTATEs of a transaction PostgreSQL aborted so that concurrent ones could go on (serialization failure, deadlock, lock not available). */
const PG_CONFLICT = new Set(['40001', '40P01', '55P03']);

/** An error and its causes, a few deep (drivers and kysely wrap what PostgreSQL said). */
function* causes(err: unknown): Generator<{ code?: string; message?: string }> {
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) yield e;
}

/** True for errors that mean PostgreSQL could not be reached (answer 503, not 500). */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of causes(err)) if ((e.code && PG_UNAVAILABLE.has(e.code)) || PG_UNAVAILABLE_MESSAGE.test(e.message ?? '')) return true;
  return false;
}

/**
 * True for a transaction PostgreSQL aborted under contention, which its service
 * already tried again where it could (intake's reports, three times): the request
 * is refused whole (503, retry), not reported as a bug.
 */
export function isTransientConflict(err: unknown): boolean {
  for (const e of causes(err)) if (e.code && PG_CONFLICT.has(e.code)) return true;
  return false;
}

/** An exception's class name, a Node error code, an address, a host with its port or a URL. */
const INTERNALS = [
  /\b[A-Za-z]*(Error|Exception)\b/,
  /\bE[A-Z]{3,}\b/,
  /\b\d{1,3}(\.\d{1,3}){3}\b/,
  /\[[0-9a-fA-F:]+\]/,
  /\b(localhost|[\w-]+(\.[\w-]+)+|[a-z][\w-]*):\d{2,5}\b/i,
  /\b[a-z][\w+.-]*:\/\//i,
];

/**
 * What a 5xx may tell the caller. Details are written for callers, but one
 * that interpolates a caught error can carry an internal class name, a host or
 * an address: such a detail is replaced by a generic one (the error handler has
 * logged the original under the same request id).
 */
function publicDetail(p: HttpProblem): string | undefined {
  if (p.status < 500 || !p.detail || !INTERNALS.some((re) => re.test(p.detail!))) return p.detail;
  return p.status === 503
    ? 'a service this one depends on is unavailable; retry later (the cause is logged under this requestId)'
    : 'an unexpected error occurred; it has been logged under this requestId';
}

/** Answers `p` as application/problem+json: for handlers outside the error handler (parser and router errors). */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, p: HttpProblem): FastifyReply {
  for (const [name, value] of Object.entries(p.headers ?? {})) reply.header(name, value);
  const detail = publicDetail(p);
  const clientRequestId = clientRequestIdOf(request.headers);
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send(problemDocument({ ...p, detail, instance: maskUrlCredentials(request.url), requestId: request.id, clientRequestId }));
}

/** Maps every error to problem+json; 5xx details are logged, never sent. */
function toProblem(err: FastifyError | Error, request: FastifyRequest): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = (err as FastifyError).validationContext ?? 'body';
    const errors = err.validation.map((v) => {
      const path = v.instancePath
        .split('/')
        .filter(Boolean)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      const unknownKeys = (v.params as { keys?: string[] } | undefined)?.keys;
      const message = unknownKeys?.length ? `${v.message}: ${unknownKeys.join(', ')}` : (v.message ?? 'invalid');
      return { ...toField([context, ...path]), message };
    });
    const status = context === 'body' ? 422 : 400;
    return new HttpProblem(
      status,
      'validation_failed',
      status === 422 ? 'Unprocessable Content' : 'Bad Request',
      `请求内容不符合要求:${errors.map((e) => e.field).join('、')} (invalid ${context}: ${errors.map((e) => e.field).join(', ')})`,
      errors,
    );
  }
  if (err instanceof ZodError) return problems.invalid('invalid input', zodFieldErrors(err));
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(
        415,
        'unsupported_media_type',
        'Unsupported Media Type',
        `send application/json (got ${request.headers['content-type'] ?? 'none'})`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(413, 'payload_too_large', 'Content Too Large', fe.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(400, 'malformed_body', 'Bad Request', 'the body is empty: send a JSON document', [
        { field: 'body', pointer: '/', message: 'empty' },
      ]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpProblem(400, 'malformed_body', 'Bad Request', fe.message);
    default:
      break;
  }
  if (fe.statusCode === 400 && (err instanceof SyntaxError || /JSON/i.test(fe.message))) {
    return new HttpProblem(400, 'malformed_body', 'Bad Request', 'the body is not valid JSON', [{ field: 'body', pointer: '/', message: 'not valid JSON' }]);
  }
  if (fe.statusCode === 429) return new HttpProblem(429, 'rate_limited', 'Too Many Requests', fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpProblem(fe.statusCode, 'bad_request', 'Bad Request', fe.message);
  }
  if (isDatabaseUnavailable(err)) return problems.unavailable('the database is unavailable; nothing was stored, retry later');
  if (isTransientConflict(err)) return problems.busy();
  if (isResponseSerializationError(err)) request.log.error({ err }, 'response failed its schema');
  return new HttpProblem(500, 'internal', 'Internal Server Error', 'an unexpected error occurred; it has been logged');
}

/** Error and not-found handlers answering problem+json for the whole instance. */
export const problemPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const p = toProblem(err, request);
      // A dependency being down or contention (503) is expected to pass; any other 5xx is a bug to look at.
      if (p.status === 503)
        request.log.warn({ code: p.code, reason: err.message }, p.code === 'busy' ? 'conflicting concurrent requests' : 'dependency unavailable');
      else if (p.status >= 500) request.log.error({ err, code: p.code }, 'request failed');
      else request.log.info({ code: p.code, status: p.status }, 'request refused');
      return sendProblem(reply, request, p);
    });
    app.setNotFoundHandler((request, reply) => sendProblem(reply, request, problems.notFound(`${request.method} ${maskUrlCredentials(request.url)}`)));
  },
  { name: 'yuqing-problem' },
);
