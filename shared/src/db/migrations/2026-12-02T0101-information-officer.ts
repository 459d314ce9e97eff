import { sql, type Kysely } from 'kysely';

/**
 * A person may hold the role `information_officer` (舆情信息员, plan §2(一)): each
 * member unit names one among its people. Widens the persons' role check of
 * 2026-12-01T1101; the list is written out so this migration stays what it is.
 */
const ROLES_BEFORE = [
  'responsible_department',
  'district_bureau',
  'opinion_office',
  'office_director',
  'leader_in_charge',
  'deputy_leader',
  'leader',
  'leadership_group',
  'legal_affairs',
  'sci_tech_info',
  'city_party_committee',
  'city_government',
  'provincial_bureau',
  'cyberspace_office',
  'propaganda_department',
  'public_security',
  'local_government',
];
const ROLES_AFTER = [...ROLES_BEFORE, 'information_officer'];

const rolesCheck = (roles: readonly string[]) => sql.raw(`jsonb_typeof(roles) = 'array' and roles <@ '${JSON.stringify(roles)}'::jsonb`);

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table persons drop constraint if exists persons_roles_check`.execute(db);
  await sql`alter table persons add constraint persons_roles_check check (${rolesCheck(ROLES_AFTER)})`.execute(db);
  // The office asks "which units have no information officer": persons by role.
  await sql`create index persons_information_officers on persons (unit_id) where roles ? 'information_officer'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists persons_information_officers`.execute(db);
  await sql`update persons set roles = roles - 'information_officer' where roles ? 'information_officer'`.execute(db);
  await sql`alter table persons drop constraint if exists persons_roles_check`.execute(db);
  await sql`alter table persons add constraint persons_roles_check check (${rolesCheck(ROLES_BEFORE)})`.execute(db);
}
