import type { Db } from '../db/database';

/** Unit id → name: the names views and messages show for units. */
export type UnitNames = ReadonlyMap<string, string>;

export async function unitNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('units').select(['id', 'name']).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * Unit names read at most once per `ttlMs`: the directory changes rarely, and the
 * live stream and every list word many units.
 */
export function cachedUnitNames(db: Db, ttlMs = 60_000): () => Promise<UnitNames> {
  let cached: { names: UnitNames; until: number } | undefined;
  let loading: Promise<UnitNames> | undefined;
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
