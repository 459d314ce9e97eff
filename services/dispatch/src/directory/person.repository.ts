import { sql, type Transaction } from 'kysely';
import type { ApiClientRow, Database, Db, PersonRow } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

const COLUMNS = ['id', 'unitId', 'name', 'title', 'roles', 'contacts', 'onDuty', 'createdAt', 'updatedAt'] as const;

export interface PersonFilter {
  readonly unitId?: string;
  readonly role?: string;
  readonly onDuty?: boolean;
  readonly limit: number;
}

export async function listPersons(db: Executor, f: PersonFilter): Promise<PersonRow[]> {
  let q = db.selectFrom('persons').select(COLUMNS).orderBy('unitId').orderBy('id').limit(f.limit);
  if (f.unitId) q = q.where('unitId', '=', f.unitId);
  if (f.role) q = q.where(sql<boolean>`roles ? ${f.role}`);
  if (f.onDuty !== undefined) q = q.where('onDuty', '=', f.onDuty);
  return q.execute();
}

export async function findPerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  return db.selectFrom('persons').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

export interface PersonFields {
  readonly unitId: string;
  readonly name: string;
  readonly title: string | null;
  readonly roles: readonly string[];
  readonly contacts: Readonly<Record<string, string>>;
  readonly onDuty: boolean;
}

export async function insertPerson(db: Executor, id: string, p: PersonFields): Promise<PersonRow> {
  return db
    .insertInto('persons')
    .values({ id, unitId: p.unitId, name: p.name, title: p.title, roles: JSON.stringify(p.roles), contacts: JSON.stringify(p.contacts), onDuty: p.onDuty })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function updatePerson(db: Executor, id: string, p: Partial<PersonFields>): Promise<PersonRow | undefined> {
  return db
    .updateTable('persons')
    .set({
      ...(p.unitId !== undefined ? { unitId: p.unitId } : {}),
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.title !== undefined ? { title: p.title } : {}),
      ...(p.roles !== undefined ? { roles: JSON.stringify(p.roles) } : {}),
      ...(p.contacts !== undefined ? { contacts: JSON.stringify(p.contacts) } : {}),
      ...(p.onDuty !== undefined ? { onDuty: p.onDuty } : {}),
      updatedAt: sql`now()`,
    })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
}

/** Deletes a person; their channels and shifts go with them (cascade), their keys are revoked first. */
export async function deletePerson(db: Executor, id: string): Promise<PersonRow | undefined> {
  await revokePersonKeys(db, id);
  return db.deleteFrom('persons').where('id', '=', id).returning(COLUMNS).executeTakeFirst();
}

export type PersonKey = Pick<ApiClientRow, 'id' | 'name' | 'keyPrefix' | 'scopes' | 'createdAt' | 'revokedAt' | 'lastUsedAt'>;

/** A person's keys, without their hashes. */
export async function listPersonKeys(db: Executor, personId: string): Promise<PersonKey[]> {
  return db
    .selectFrom('apiClients')
    .select(['id', 'name', 'keyPrefix', 'scopes', 'createdAt', 'revokedAt', 'lastUsedAt'])
    .where('personId', '=', personId)
    .orderBy('createdAt', 'desc')
    .execute();
}

export async function revokePersonKey(db: Executor, personId: string, keyId: string): Promise<PersonKey | undefined> {
  return db
    .updateTable('apiClients')
    .set({ revokedAt: sql`now()` })
    .where('personId', '=', personId)
    .where('id', '=', keyId)
    .where('revokedAt', 'is', null)
    .returning(['id', 'name', 'keyPrefix', 'scopes', 'createdAt', 'revokedAt', 'lastUsedAt'])
    .executeTakeFirst();
}

export async function revokePersonKeys(db: Executor, personId: string): Promise<number> {
  const rows = await db
    .updateTable('apiClients')
    .set({ revokedAt: sql`now()` })
    .where('personId', '=', personId)
    .where('revokedAt', 'is', null)
    .returning('id')
    .execute();
  return rows.length;
}

/** Keys follow their person to another unit (the principal's unit comes from the person, the column is kept in step). */
export async function moveKeysToUnit(db: Executor, personId: string, unitId: string): Promise<void> {
  await db.updateTable('apiClients').set({ unitId }).where('personId', '=', personId).execute();
}
