import { sql, type Transaction } from 'kysely';
import type { Database, Db, DistrictCode, NewUnit, UnitKind, UnitRow } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

const COLUMNS = ['id', 'kind', 'name', 'parentId', 'districtCode', 'createdAt', 'updatedAt'] as const;

export interface UnitFilter {
  readonly kind?: UnitKind;
  readonly districtCode?: DistrictCode;
  readonly parentId?: string;
}

export async function listUnits(db: Executor, f: UnitFilter = {}): Promise<UnitRow[]> {
  let q = db.selectFrom('units').select(COLUMNS).orderBy('id');
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.districtCode) q = q.where('districtCode', '=', f.districtCode);
  if (f.parentId) q = q.where('parentId', '=', f.parentId);
  return q.execute();
}

export async function findUnit(db: Executor, id: string): Promise<UnitRow | undefined> {
  return db.selectFrom('units').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function insertUnit(db: Executor, u: NewUnit): Promise<UnitRow> {
  return db.insertInto('units').values(u).returning(COLUMNS).executeTakeFirstOrThrow();
}

export async function updateUnit(db: Executor, id: string, change: Partial<Pick<UnitRow, 'name' | 'parentId' | 'districtCode'>>): Promise<UnitRow | undefined> {
  return db
    .updateTable('units')
    .set({ ...change, updatedAt: sql`now()` })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
}

export async function deleteUnit(db: Executor, id: string): Promise<UnitRow | undefined> {
  return db.deleteFrom('units').where('id', '=', id).returning(COLUMNS).executeTakeFirst();
}

/** What still refers to a unit, by kind of reference (a unit in use is not deleted). */
export async function unitReferences(db: Executor, id: string): Promise<Record<string, number>> {
  const row = await sql<Record<string, string>>`
    select
      (select count(*) from units where parent_id = ${id}) as "childUnits",
      (select count(*) from persons where unit_id = ${id}) as persons,
      (select count(*) from routing_rules where unit_id = ${id}) as "routingRules",
      (select count(*) from notification_channels where unit_id = ${id}) as channels,
      (select count(*) from api_clients where unit_id = ${id} and revoked_at is null) as "apiClients",
      (select count(*) from tasks where unit_id = ${id}) as tasks`.execute(db);
  const counts = row.rows[0] ?? {};
  return Object.fromEntries(
    Object.entries(counts)
      .map(([k, v]) => [k, Number(v)])
      .filter(([, n]) => (n as number) > 0),
  );
}
