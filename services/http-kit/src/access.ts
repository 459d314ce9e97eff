import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database, Db } from '@yuqing/shared';
import { hasScope, type Principal } from './auth';
import { problems } from './problem';

/** Units that coordinate for the whole bureau (plan §2): they see and act on every incident. */
export const COORDINATING_UNITS: ReadonlySet<string> = new Set(['opinion-office', 'leadership-group']);

/** Roles that see every incident wherever their unit sits. */
const BUREAU_WIDE_ROLES = new Set(['leader', 'deputy_leader', 'leader_in_charge', 'leadership_group', 'opinion_office', 'office_director']);

/**
 * What part of the incidents a caller reaches (plan §2, "whoever is in charge is
 * responsible"): leaders and the office reach all; a district bureau (and its
 * stations) its own district; a department its line of business (the topics routed
 * to it); any unit the incidents assigned to it; a system client the incidents it
 * reported.
 */
export type Reach =
  | { readonly all: true }
  | { readonly all: false; readonly districtCodes: readonly string[]; readonly topics: readonly string[]; readonly unitId?: string; readonly clientId: string };

export async function reachOf(db: Db, p: Principal): Promise<Reach> {
  if (hasScope(p, 'admin') || (p.unitId && COORDINATING_UNITS.has(p.unitId)) || p.roles?.some((r) => BUREAU_WIDE_ROLES.has(r))) {
    return { all: true };
  }
  const base = { all: false as const, clientId: p.id, ...(p.unitId ? { unitId: p.unitId } : {}) };
  if (!p.unitId) return { ...base, districtCodes: [], topics: [] };
  const unit = await db
    .selectFrom('units as u')
    .leftJoin('units as parent', 'parent.id', 'u.parentId')
    .select(['u.kind', 'u.districtCode', 'parent.districtCode as parentDistrict'])
    .where('u.id', '=', p.unitId)
    .executeTakeFirst();
  const district = unit?.districtCode ?? unit?.parentDistrict;
  const topics = await db.selectFrom('routingRules').select('match').where('kind', '=', 'topic').where('unitId', '=', p.unitId).execute();
  return { ...base, districtCodes: district ? [district] : [], topics: topics.map((t) => t.match) };
}

/** A where-clause on `incidents` that keeps what the reach allows. */
export function visibleIncidents(reach: Reach) {
  return (eb: ExpressionBuilder<Database, 'incidents'>): Expression<SqlBool> => {
    if (reach.all) return sql<boolean>`true`;
    const ors: Expression<SqlBool>[] = [eb('incidents.clientId', '=', reach.clientId)];
    if (reach.districtCodes.length) ors.push(eb('incidents.districtCode', 'in', [...reach.districtCodes]));
    if (reach.topics.length) ors.push(eb('incidents.topic', 'in', [...reach.topics]));
    if (reach.unitId) {
      ors.push(eb.exists(eb.selectFrom('tasks').select('tasks.key').whereRef('tasks.incidentId', '=', 'incidents.id').where('tasks.unitId', '=', reach.unitId)));
    }
    return eb.or(ors);
  };
}

/**
 * Fails with 404 unless the caller may see the incident. Another district's
 * incident is "not found", not "forbidden": its existence is not the caller's business.
 */
export async function assertIncidentVisible(db: Db, p: Principal, incidentId: string): Promise<void> {
  const reach = await reachOf(db, p);
  const found = await db.selectFrom('incidents').select('id').where('id', '=', incidentId).where(visibleIncidents(reach)).executeTakeFirst();
  if (!found) throw problems.notFound(`incident ${incidentId}`);
}

/** A district bureau reports for its own district only. */
export function assertMayReportFor(reach: Reach, districtCode: string | undefined): void {
  if (reach.all || reach.districtCodes.length === 0) return;
  if (!districtCode || !reach.districtCodes.includes(districtCode)) {
    throw problems.forbidden(`只能上报本辖区舆情 (you report for district ${reach.districtCodes.join(', ')})`);
  }
}

/** Bureau-wide views (statistics across all districts, the live stream) are for the office and leaders. */
export async function assertBureauWide(db: Db, p: Principal): Promise<void> {
  if (!(await reachOf(db, p)).all) throw problems.forbidden('仅舆情办和局领导可查看全局统计与实时推送 (bureau-wide views are for the opinion office and leaders)');
}
