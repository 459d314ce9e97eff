import type { IncomingHttpHeaders } from 'node:http';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The caller's own `X-Request-Id`, when well-formed: logged and echoed in
     * problem bodies so the caller can find its request, never used as ours
     * (`request.id`), which we always generate.
     */
    readonly clientRequestId: string | undefined;
  }
}

/** What a client's request id may look like: short, and nothing a log or header could be tricked with. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `X-Request-Id` if well-formed, else undefined (an ill-formed one is ignored, not refused). */
export function clientRequestIdOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['x-request-id'];
  return typeof value === 'string' && WELL_FORMED.test(value) ? value : undefined;
}
