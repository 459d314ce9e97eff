import type { Db } from '@yuqing/shared';
import { unitNames } from '../timeline/timeline.repository';

/**
 * Unit names for wording events, read at most once per `ttlMs`: the directory
 * changes rarely, and the live stream words every event as it passes.
 */
export function cachedUnitNames(db: Db, ttlMs = 60_000): () => Promise<ReadonlyMap<string, string>> {
  let cached: { names: ReadonlyMap<string, string>; until: number } | undefined;
  let loading: Promise<ReadonlyMap<string, string>> | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.names;
    loading ??= unitNames(db)
      .then((names) => {
        cached = { names, until: Date.now() + ttlMs };
        return names;
      })
      .finally(() => (loading = undefined));
    return loading;
  };
}
