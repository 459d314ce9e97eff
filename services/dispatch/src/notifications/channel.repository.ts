import { sql, type Transaction } from 'kysely';
import type { Database, Db, NewNotificationChannel, NotificationChannelRow } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/** A channel without its contact data: what lists, answers and audit entries show. */
export type ChannelSummary = Omit<NotificationChannelRow, 'address' | 'secret'> & { readonly hasSecret: boolean };

const SUMMARY = ['id', 'unitId', 'personId', 'kind', 'label', 'enabled', 'createdAt', 'updatedAt'] as const;

export function summarize(row: NotificationChannelRow): ChannelSummary {
  const { address: _address, secret, ...rest } = row;
  return { ...rest, hasSecret: secret !== null };
}

/** The full row, contact data included: for the sender only. */
export async function findChannel(db: Executor, id: string): Promise<NotificationChannelRow | undefined> {
  return db.selectFrom('notificationChannels').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listChannels(db: Executor, filter: { unitId?: string; personId?: string }): Promise<ChannelSummary[]> {
  let q = db
    .selectFrom('notificationChannels')
    .select([...SUMMARY, 'secret'])
    .orderBy('id');
  if (filter.unitId) q = q.where('unitId', '=', filter.unitId);
  if (filter.personId) q = q.where('personId', '=', filter.personId);
  const rows = await q.execute();
  return rows.map(({ secret, ...rest }) => ({ ...rest, hasSecret: secret !== null }));
}

export { enabledChannels } from '@yuqing/shared';

type Owner = { readonly unitId: string } | { readonly personId: string };

/** Serialises channel changes of one owner until the transaction ends, so two identical requests cannot both pass the duplicate check. */
export async function lockOwnerChannels(trx: Transaction<Database>, owner: Owner): Promise<void> {
  const key = 'unitId' in owner ? `unit:${owner.unitId}` : `person:${owner.personId}`;
  await sql`select pg_advisory_xact_lock(hashtext(${`notification_channels:${key}`}))`.execute(trx);
}

/** The owner's channels with their addresses, for the duplicate check. */
export async function channelsOfOwner(db: Executor, owner: Owner): Promise<Pick<NotificationChannelRow, 'id' | 'kind' | 'address'>[]> {
  const q = db.selectFrom('notificationChannels').select(['id', 'kind', 'address']);
  return ('unitId' in owner ? q.where('unitId', '=', owner.unitId) : q.where('personId', '=', owner.personId)).execute();
}

export async function insertChannel(db: Executor, c: NewNotificationChannel): Promise<NotificationChannelRow> {
  return db.insertInto('notificationChannels').values(c).returningAll().executeTakeFirstOrThrow();
}

export async function updateChannel(
  db: Executor,
  id: string,
  change: Partial<Pick<NotificationChannelRow, 'label' | 'address' | 'secret' | 'enabled'>>,
): Promise<NotificationChannelRow | undefined> {
  return db
    .updateTable('notificationChannels')
    .set({ ...change, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteChannel(db: Executor, id: string): Promise<NotificationChannelRow | undefined> {
  return db.deleteFrom('notificationChannels').where('id', '=', id).returningAll().executeTakeFirst();
}
