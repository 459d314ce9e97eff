import { createHash } from 'node:crypto';

/**
 * A stable hash of a request: the same body sent twice hashes the same whatever
 * the order of its keys. Tells a retry (same hash) from a reused key or caller id
 * with something new in it.
 */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}
