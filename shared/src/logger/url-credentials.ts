/**
 * Query parameters under which clients put API keys when they cannot set a
 * header (`?api_key=`, `?access_token=` …). The services refuse keys there, and
 * logs must not keep them either: a URL is logged on every request line.
 */
export const CREDENTIAL_QUERY_PARAMS: ReadonlySet<string> = new Set(['api_key', 'apikey', 'api-key', 'key', 'access_token', 'token']);

/**
 * Also masked in logs, though not refused: the `code` and `state` an identity
 * provider sends back to the sign-on callback (single use, but a code is a
 * credential until it is).
 */
const MASKED_QUERY_PARAMS: ReadonlySet<string> = new Set([...CREDENTIAL_QUERY_PARAMS, 'code', 'state', 'id_token', 'session_state']);

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** True when a query parameter's name (as sent, possibly percent-encoded) is one of CREDENTIAL_QUERY_PARAMS. */
export function isCredentialParam(rawName: string): boolean {
  return CREDENTIAL_QUERY_PARAMS.has(decodedName(rawName));
}

/**
 * The URL with the values of credential parameters (and a sign-on's `code` and
 * `state`) replaced by `[redacted]`.
 * Names are compared decoded and case-insensitively (`?API%5FKEY=` too), since
 * that is how a query parser would read them.
 */
export function maskUrlCredentials(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  let changed = false;
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || !MASKED_QUERY_PARAMS.has(decodedName(name))) return part;
    changed = true;
    return `${name}=[redacted]`;
  });
  return changed ? `${url.slice(0, q + 1)}${parts.join('&')}${hash < 0 ? '' : url.slice(hash)}` : url;
}
