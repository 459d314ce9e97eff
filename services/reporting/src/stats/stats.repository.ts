import { sql } from 'kysely';
import type { Db, DistrictCode, IncidentRow, Role, TaskKind, Tier } from '@yuqing/shared';

/** A half-open period `[from, to)` of incident intake or alert times. */
export interface Period {
  readonly from: Date;
  readonly to: Date;
}

export interface Count<K extends string = string> {
  readonly key: K | null;
  readonly count: number;
}

/** How many incidents were received in the period, by tier, status and district. */
export async function incidentCounts(
  db: Db,
  p: Period,
): Promise<{ total: number; byTier: Count<IncidentRow['tier']>[]; byStatus: Count<IncidentRow['status']>[]; byDistrict: Count<DistrictCode>[] }> {
  const inPeriod = db.selectFrom('incidents').where('createdAt', '>=', p.from).where('createdAt', '<', p.to);
  const counted = <K extends string>(rows: readonly { key: K | null; count: string }[]): Count<K>[] =>
    rows.map((r) => ({ key: r.key, count: Number(r.count) })).sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)));
  const count = sql<string>`count(*)`.as('count');
  const [byTier, byStatus, byDistrict] = await Promise.all([
    inPeriod.select(['tier as key', count]).groupBy('tier').execute().then(counted),
    inPeriod.select(['status as key', count]).groupBy('status').execute().then(counted),
    inPeriod.select(['districtCode as key', count]).groupBy('districtCode').execute().then(counted),
  ]);
  return { total: byTier.reduce((n, c) => n + c.count, 0), byTier, byStatus, byDistrict };
}

export interface OverdueTaskRow {
  readonly incidentId: string;
  readonly title: string;
  readonly tier: Tier;
  readonly key: string;
  readonly kind: TaskKind;
  readonly owner: Role;
  readonly unitId: string | null;
  readonly dueAt: Date;
  readonly lapsedAt: Date | null;
}

/**
 * Open tasks past their deadline now, most overdue first. A task counts from its
 * deadline on, also in the moment before the workflow's timer has marked it.
 */
export async function openOverdueTasks(db: Db, limit: number): Promise<{ total: number; items: OverdueTaskRow[] }> {
  const q = db
    .selectFrom('tasks')
    .where('tasks.status', '=', 'open')
    .where('tasks.dueAt', '<', sql<Date>`now()`);
  const [items, count] = await Promise.all([
    q
      .innerJoin('incidents', 'incidents.id', 'tasks.incidentId')
      .select(['tasks.incidentId', 'incidents.title', 'incidents.tier', 'tasks.key', 'tasks.kind', 'tasks.owner', 'tasks.unitId', 'tasks.lapsedAt'])
      .select(sql<Date>`tasks.due_at`.as('dueAt'))
      .orderBy('tasks.dueAt')
      .limit(limit)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { total: Number(count.total), items };
}

export interface UnitLapsesRow {
  readonly unitId: string | null;
  readonly roles: Role[];
  readonly lapses: number;
  readonly unresolved: number;
  readonly escalations: number;
}

/**
 * Lapses held against each unit over the period (plan §8: every lapse is
 * recorded against the unit responsible): deadlines missed, those still not
 * done, and the escalations they caused. Role-owned tasks without a unit are
 * grouped under a null unit, with their roles.
 */
export async function lapsesByUnit(db: Db, p: Period): Promise<UnitLapsesRow[]> {
  const rows = await db
    .selectFrom('alerts')
    .where('raisedAt', '>=', p.from)
    .where('raisedAt', '<', p.to)
    .where('kind', 'in', ['deadline_lapsed', 'escalation'])
    .select([
      'unitId',
      sql<Role[]>`array_agg(distinct owner order by owner)`.as('roles'),
      sql<string>`count(*) filter (where kind = 'deadline_lapsed')`.as('lapses'),
      sql<string>`count(*) filter (where kind = 'deadline_lapsed' and resolved_at is null)`.as('unresolved'),
      sql<string>`count(*) filter (where kind = 'escalation')`.as('escalations'),
    ])
    .groupBy('unitId')
    .execute();
  return rows
    .map((r) => ({ unitId: r.unitId, roles: r.roles, lapses: Number(r.lapses), unresolved: Number(r.unresolved), escalations: Number(r.escalations) }))
    .sort((a, b) => b.lapses - a.lapses || b.escalations - a.escalations || String(a.unitId).localeCompare(String(b.unitId)));
}

/** When each of the four firsts was reached, for one incident (null: not yet, or not on its path). */
export interface FourFirstsRow {
  readonly incidentId: string;
  readonly title: string;
  readonly tier: Tier;
  readonly districtCode: DistrictCode | null;
  readonly receivedAt: Date;
  readonly assessedAt: Date | null;
  readonly dispatchedAt: Date | null;
  /** The cyberspace-office task exists on the incident's path (sensitive and above). */
  readonly liaisonApplies: boolean;
  readonly liaisonAt: Date | null;
  /** `emergency_procedure` when the path has it (major, critical), else `acknowledge`. */
  readonly procedureBasis: 'emergency_procedure' | 'acknowledge';
  readonly procedureAt: Date | null;
}

/**
 * The four firsts of every incident received in the period (plan §5), from the
 * timeline (assessed, dispatched) and the tasks read model (cyberspace liaison
 * done; emergency procedure done, or the first acknowledgement where the tier
 * has no emergency procedure). A cancelled task (tier lowered) does not count.
 * All of a period's incidents are read: the percentiles need every one.
 */
export async function fourFirsts(
  db: Db,
  f: { period?: Period; tiers?: readonly Tier[]; incidentId?: string; withoutMerged?: boolean },
): Promise<FourFirstsRow[]> {
  const conditions = [
    ...(f.withoutMerged ? [sql`i.status <> 'merged'`] : []),
    ...(f.period ? [sql`i.created_at >= ${f.period.from}`, sql`i.created_at < ${f.period.to}`] : []),
    ...(f.tiers?.length ? [sql`i.tier in (${sql.join(f.tiers.map((t) => sql`${t}`))})`] : []),
    ...(f.incidentId ? [sql`i.id = ${f.incidentId}`] : []),
  ];
  const result = await sql<{
    incidentId: string;
    title: string;
    tier: Tier;
    districtCode: DistrictCode | null;
    receivedAt: Date;
    assessedAt: Date | null;
    dispatchedAt: Date | null;
    liaisonApplies: boolean;
    liaisonAt: Date | null;
    hasProcedure: boolean;
    procedureAt: Date | null;
    firstAckAt: Date | null;
  }>`
    select i.id as incident_id, i.title, i.tier, i.district_code, i.created_at as received_at,
      (select min(t.occurred_at) from timeline_entries t where t.incident_id = i.id and t.type = 'assessed') as assessed_at,
      (select min(t.occurred_at) from timeline_entries t where t.incident_id = i.id and t.type = 'dispatched') as dispatched_at,
      exists (select 1 from tasks k where k.incident_id = i.id and k.kind = 'cyberspace_liaison' and k.status <> 'cancelled') as liaison_applies,
      (select min(k.done_at) from tasks k where k.incident_id = i.id and k.kind = 'cyberspace_liaison' and k.status = 'done') as liaison_at,
      exists (select 1 from tasks k where k.incident_id = i.id and k.kind = 'emergency_procedure' and k.status <> 'cancelled') as has_procedure,
      (select min(k.done_at) from tasks k where k.incident_id = i.id and k.kind = 'emergency_procedure' and k.status = 'done') as procedure_at,
      (select min(k.done_at) from tasks k where k.incident_id = i.id and k.kind = 'acknowledge' and k.status = 'done') as first_ack_at
    from incidents i
    where ${conditions.length ? sql.join(conditions, sql` and `) : sql`true`}
    order by i.created_at desc, i.id`.execute(db);
  return result.rows.map((r) => ({
    incidentId: r.incidentId,
    title: r.title,
    tier: r.tier,
    districtCode: r.districtCode,
    receivedAt: r.receivedAt,
    assessedAt: r.assessedAt,
    dispatchedAt: r.dispatchedAt,
    liaisonApplies: r.liaisonApplies,
    liaisonAt: r.liaisonAt,
    procedureBasis: r.hasProcedure ? 'emergency_procedure' : 'acknowledge',
    procedureAt: r.hasProcedure ? r.procedureAt : r.firstAckAt,
  }));
}
