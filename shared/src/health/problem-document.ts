/**
 * The problem+json document (RFC 9457) every process answers an error with: the
 * services' error handler, their HTTP parser's refusals and the worker's `/readyz`.
 * The one place its shape is written; a field not given is left out.
 */
export function problemDocument(p: {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string | undefined;
  readonly instance?: string | undefined;
  readonly requestId?: string | undefined;
  readonly clientRequestId?: string | undefined;
  readonly errors?: readonly unknown[] | undefined;
}) {
  return {
    type: `urn:problem:yuqing:${p.code}`,
    title: p.title,
    status: p.status,
    code: p.code,
    ...(p.detail ? { detail: p.detail } : {}),
    ...(p.instance ? { instance: p.instance } : {}),
    ...(p.requestId ? { requestId: p.requestId } : {}),
    ...(p.clientRequestId ? { clientRequestId: p.clientRequestId } : {}),
    ...(p.errors ? { errors: p.errors } : {}),
  };
}
