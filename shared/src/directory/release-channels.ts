import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { Database, ReleaseChannelRow } from '../db/tables';
import type { ReleaseChannelKind } from '../domain/vocabulary';

type Executor = Db | Transaction<Database>;

const COLUMNS = ['id', 'name', 'kind', 'url', 'active', 'createdAt', 'updatedAt'] as const;

/** The bureau's release channels (两微一端), by id; retired ones only when asked. */
export async function listReleaseChannels(db: Executor, options: { readonly activeOnly?: boolean } = {}): Promise<ReleaseChannelRow[]> {
  let q = db.selectFrom('releaseChannels').select(COLUMNS).orderBy('createdAt').orderBy('id');
  if (options.activeOnly) q = q.where('active', '=', true);
  return q.execute();
}

export async function findReleaseChannel(db: Executor, id: string): Promise<ReleaseChannelRow | undefined> {
  return db.selectFrom('releaseChannels').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

/**
 * Whether a release may name this channel: it exists and is not retired. The
 * release route refuses any other id with 422 naming the field.
 *
 * @example if (!(await releaseChannelExists(db, body.channel))) throw problems.invalid(…)
 */
export async function releaseChannelExists(db: Executor, id: string): Promise<boolean> {
  const row = await db.selectFrom('releaseChannels').select('id').where('id', '=', id).where('active', '=', true).executeTakeFirst();
  return row !== undefined;
}

export async function insertReleaseChannel(
  db: Executor,
  c: { id: string; name: string; kind: ReleaseChannelKind; url: string | null },
): Promise<ReleaseChannelRow> {
  return db.insertInto('releaseChannels').values(c).returning(COLUMNS).executeTakeFirstOrThrow();
}

export async function updateReleaseChannel(
  db: Executor,
  id: string,
  change: Partial<{ name: string; kind: ReleaseChannelKind; url: string | null; active: boolean }>,
): Promise<ReleaseChannelRow | undefined> {
  return db
    .updateTable('releaseChannels')
    .set({ ...change, updatedAt: sql`now()` })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
}
