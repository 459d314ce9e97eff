import { sql, type Transaction } from 'kysely';
import type { Database, Db, DirectoryGroup, GroupMemberRow, Topic } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

const COLUMNS = [
  'groupMembers.id',
  'groupMembers.group',
  'groupMembers.personId',
  'groupMembers.name',
  'groupMembers.organisation',
  'groupMembers.title',
  'groupMembers.unitId',
  'groupMembers.contacts',
  'groupMembers.topics',
  'groupMembers.expertise',
  'groupMembers.note',
  'groupMembers.createdAt',
  'groupMembers.updatedAt',
] as const;

/** A member with the directory person it stands for, if any (name, title and unit come from the person then). */
export type GroupMember = GroupMemberRow & { readonly personName: string | null; readonly personTitle: string | null; readonly personUnitId: string | null };

export interface MemberFilter {
  readonly group: DirectoryGroup;
  readonly topic?: Topic;
  readonly unitId?: string;
  readonly limit: number;
}

function selectMembers(db: Executor) {
  return db
    .selectFrom('groupMembers')
    .leftJoin('persons', 'persons.id', 'groupMembers.personId')
    .select([...COLUMNS, 'persons.name as personName', 'persons.title as personTitle', 'persons.unitId as personUnitId']);
}

export async function listMembers(db: Executor, f: MemberFilter): Promise<GroupMember[]> {
  let q = selectMembers(db).where('groupMembers.group', '=', f.group).orderBy('groupMembers.id').limit(f.limit);
  if (f.topic) q = q.where(sql<boolean>`group_members.topics ? ${f.topic}`);
  if (f.unitId) q = q.where((eb) => eb.or([eb('groupMembers.unitId', '=', f.unitId!), eb('persons.unitId', '=', f.unitId!)]));
  return q.execute();
}

export async function findMember(db: Executor, group: DirectoryGroup, id: string): Promise<GroupMember | undefined> {
  return selectMembers(db).where('groupMembers.group', '=', group).where('groupMembers.id', '=', id).executeTakeFirst();
}

export async function memberCounts(db: Executor): Promise<Map<DirectoryGroup, number>> {
  const rows = await db
    .selectFrom('groupMembers')
    .select(['group', db.fn.countAll<string>().as('count')])
    .groupBy('group')
    .execute();
  return new Map(rows.map((r) => [r.group, Number(r.count)]));
}

export async function personInGroup(db: Executor, group: DirectoryGroup, personId: string): Promise<boolean> {
  return (await db.selectFrom('groupMembers').select('id').where('group', '=', group).where('personId', '=', personId).executeTakeFirst()) !== undefined;
}

export interface MemberFields {
  readonly personId: string | null;
  readonly name: string | null;
  readonly organisation: string | null;
  readonly title: string | null;
  readonly unitId: string | null;
  readonly contacts: Readonly<Record<string, string>>;
  readonly topics: readonly Topic[];
  readonly expertise: readonly string[];
  readonly note: string | null;
}

export async function insertMember(db: Executor, group: DirectoryGroup, id: string, m: MemberFields): Promise<void> {
  await db
    .insertInto('groupMembers')
    .values({
      id,
      group,
      personId: m.personId,
      name: m.name,
      organisation: m.organisation,
      title: m.title,
      unitId: m.unitId,
      contacts: JSON.stringify(m.contacts),
      topics: JSON.stringify(m.topics),
      expertise: JSON.stringify(m.expertise),
      note: m.note,
    })
    .execute();
}

export async function updateMember(db: Executor, group: DirectoryGroup, id: string, m: Partial<Omit<MemberFields, 'personId'>>): Promise<void> {
  await db
    .updateTable('groupMembers')
    .set({
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.organisation !== undefined ? { organisation: m.organisation } : {}),
      ...(m.title !== undefined ? { title: m.title } : {}),
      ...(m.unitId !== undefined ? { unitId: m.unitId } : {}),
      ...(m.contacts !== undefined ? { contacts: JSON.stringify(m.contacts) } : {}),
      ...(m.topics !== undefined ? { topics: JSON.stringify(m.topics) } : {}),
      ...(m.expertise !== undefined ? { expertise: JSON.stringify(m.expertise) } : {}),
      ...(m.note !== undefined ? { note: m.note } : {}),
      updatedAt: sql`now()`,
    })
    .where('group', '=', group)
    .where('id', '=', id)
    .execute();
}

export async function deleteMember(db: Executor, group: DirectoryGroup, id: string): Promise<boolean> {
  const gone = await db.deleteFrom('groupMembers').where('group', '=', group).where('id', '=', id).returning('id').executeTakeFirst();
  return gone !== undefined;
}
