import { sql, type Transaction } from 'kysely';
import type { AlertRow, Database, Db, UnitKind } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/** A unit's record of delay (plan §8: every lapse is held against the unit responsible). */
export interface OverdueSummaryRow {
  readonly unitId: string;
  readonly unitName: string;
  readonly unitKind: UnitKind;
  /** Open tasks past their deadline now. */
  readonly overdueTasks: number;
  readonly oldestDueAt: Date | null;
  /** Deadlines lapsed, reminders and escalations raised against the unit (since `since`). */
  readonly lapses: number;
  readonly reminders: number;
  readonly escalations: number;
  /** Lapses whose task is still not done. */
  readonly unresolvedLapses: number;
}

/** Units with overdue tasks or alerts against them, worst first. */
export async function overdueSummary(db: Executor, filter: { unitId?: string; since?: string }): Promise<OverdueSummaryRow[]> {
  const unit = filter.unitId ?? null;
  const since = filter.since ?? null;
  // Counts come back from PostgreSQL as bigint text.
  type Counted<K extends keyof OverdueSummaryRow> = Omit<OverdueSummaryRow, K> & { readonly [P in K]: string };
  const result = await sql<Counted<'overdueTasks' | 'lapses' | 'reminders' | 'escalations' | 'unresolvedLapses'>>`
    with t as (
      select unit_id, count(*) as overdue_tasks, min(due_at) as oldest_due_at
      from tasks
      where status = 'open' and overdue and unit_id is not null and (${unit}::text is null or unit_id = ${unit})
      group by unit_id
    ), a as (
      select unit_id,
             count(*) filter (where kind = 'deadline_lapsed') as lapses,
             count(*) filter (where kind = 'reminder') as reminders,
             count(*) filter (where kind = 'escalation') as escalations,
             count(*) filter (where kind = 'deadline_lapsed' and resolved_at is null) as unresolved_lapses
      from alerts
      where unit_id is not null and (${unit}::text is null or unit_id = ${unit})
        and (${since}::timestamptz is null or raised_at >= ${since}::timestamptz)
      group by unit_id
    )
    select u.id as unit_id, u.name as unit_name, u.kind as unit_kind,
           coalesce(t.overdue_tasks, 0) as overdue_tasks, t.oldest_due_at,
           coalesce(a.lapses, 0) as lapses, coalesce(a.reminders, 0) as reminders,
           coalesce(a.escalations, 0) as escalations, coalesce(a.unresolved_lapses, 0) as unresolved_lapses
    from units u
    left join t on t.unit_id = u.id
    left join a on a.unit_id = u.id
    where (t.unit_id is not null or a.unit_id is not null)
    order by overdue_tasks desc, unresolved_lapses desc, lapses desc, u.id`.execute(db);
  return result.rows.map((r) => ({
    ...r,
    overdueTasks: Number(r.overdueTasks),
    lapses: Number(r.lapses),
    reminders: Number(r.reminders),
    escalations: Number(r.escalations),
    unresolvedLapses: Number(r.unresolvedLapses),
  }));
}

/** The alerts raised against a unit, newest first, with their incident's title. */
export async function alertsOfUnit(db: Executor, unitId: string, limit: number): Promise<(AlertRow & { incidentTitle: string })[]> {
  return db
    .selectFrom('alerts')
    .innerJoin('incidents', 'incidents.id', 'alerts.incidentId')
    .selectAll('alerts')
    .select('incidents.title as incidentTitle')
    .where('alerts.unitId', '=', unitId)
    .orderBy('alerts.raisedAt', 'desc')
    .limit(limit)
    .execute();
}
