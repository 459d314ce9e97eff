import { sql, type RawBuilder } from 'kysely';
import { isRole, type Assignment, type Db, type Role } from '@yuqing/shared';

/** Who is responsible for an incident, from the routing rules (dispatch edits them). */
export interface Routing {
  /** The department first responsible for the topic's line of business. */
  readonly department: Assignment;
  /** The district bureau of the incident's district, when it has one. */
  readonly districtBureau?: Assignment;
  /** The unit holding each role (office, leadership group, Legal Affairs…). */
  readonly roleUnits: Partial<Record<Role, string>>;
}

/** A routing rule with its unit, as the rules are read. */
export interface RoutingRule {
  readonly kind: string;
  readonly match: string;
  readonly unitId: string;
  readonly unitName: string;
}

/** Every routing rule with its unit's name, as a JSON array: a new incident reads it with its policy in one statement. */
export const routingRulesJson: RawBuilder<RoutingRule[]> =
  sql`(select coalesce(json_agg(json_build_object('kind', r.kind, 'match', r.match, 'unitId', u.id, 'unitName', u.name)), '[]'::json)
  from routing_rules r join units u on u.id = r.unit_id)`;

/** The department, district bureau and role holders of an incident, from the routing rules. */
export async function resolveRouting(db: Db, input: { topic: string; district?: string }): Promise<Routing> {
  const { rows } = await sql<{ rules: RoutingRule[] }>`select ${routingRulesJson} as rules`.execute(db);
  return routingOf(rows[0]!.rules, input);
}

/** The department, district bureau and role holders of an incident, from rules already read. */
export function routingOf(rules: readonly RoutingRule[], input: { topic: string; district?: string }): Routing {
  const find = (kind: string, match: string) => rules.find((r) => r.kind === kind && r.match === match);
  const dept = find('topic', input.topic) ?? find('topic', 'other') ?? find('role', 'opinion_office');
  if (!dept) throw new Error(`no routing rule for topic ${input.topic}`);
  const district = input.district ? find('district', input.district) : undefined;
  const roleUnits: Partial<Record<Role, string>> = {};
  for (const r of rules) if (r.kind === 'role' && isRole(r.match)) roleUnits[r.match] = r.unitId;
  roleUnits.responsible_department = dept.unitId;
  if (district) roleUnits.district_bureau = district.unitId;
  return {
    department: { unitId: dept.unitId, unitName: dept.unitName, role: 'responsible_department' },
    ...(district ? { districtBureau: { unitId: district.unitId, unitName: district.unitName, role: 'district_bureau' as const } } : {}),
    roleUnits,
  };
}
