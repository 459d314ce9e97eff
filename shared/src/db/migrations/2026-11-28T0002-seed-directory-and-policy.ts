import { sql, type Kysely } from 'kysely';
import { CITY_BUREAU_UNITS, DISTRICT_UNITS, OUTSIDE_UNITS, ROLE_ROUTES, TOPIC_ROUTES } from '../../directory/directory.seed';
import { DISTRICT_CODES } from '../../domain/vocabulary';
import { DEFAULT_POLICY } from '../../policy/default-policy';
import { PolicyDocumentSchema } from '../../policy/policy.schema';

/** Seeds the bureau's units, the routing rules and version 1 of the city policy. */
export async function up(db: Kysely<any>): Promise<void> {
  const units = [...CITY_BUREAU_UNITS, ...DISTRICT_UNITS, ...OUTSIDE_UNITS];
  await db
    .insertInto('units')
    .values(units.map((u) => ({ id: u.id, kind: u.kind, name: u.name, parent_id: u.parentId ?? null, district_code: u.districtCode ?? null })))
    .execute();

  const rules = [
    ...Object.entries(TOPIC_ROUTES).map(([match, unitId]) => ({ kind: 'topic', match, unit_id: unitId })),
    ...DISTRICT_CODES.map((code) => ({ kind: 'district', match: code, unit_id: `district-${code}` })),
    ...Object.entries(ROLE_ROUTES).map(([match, unitId]) => ({ kind: 'role', match, unit_id: unitId })),
  ];
  await db.insertInto('routing_rules').values(rules).execute();

  await db
    .insertInto('policies')
    .values({
      scope: 'city',
      version: 1,
      document: JSON.stringify(PolicyDocumentSchema.parse(DEFAULT_POLICY)),
      note: '默认策略(系统内置)',
      created_by: 'system:migration',
    })
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from policies where scope = 'city' and version = 1`.execute(db);
  await sql`delete from routing_rules`.execute(db);
  await sql`delete from units`.execute(db);
}
