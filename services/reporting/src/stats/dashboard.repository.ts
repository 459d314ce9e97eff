import { sql } from 'kysely';
import type { Db, TaskKind, Tier } from '@yuqing/shared';
import type { Period } from './stats.repository';

const DAY_MS = 86_400_000;
/** Beijing is UTC+8 all year (no daylight saving): a day there starts at 16:00 UTC the day before. */
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The Beijing calendar days a period touches, `YYYY-MM-DD`, oldest first. */
export function beijingDays(p: Period): string[] {
  const first = Math.floor((p.from.getTime() + BEIJING_OFFSET_MS) / DAY_MS);
  const last = Math.floor((p.to.getTime() - 1 + BEIJING_OFFSET_MS) / DAY_MS);
  const days: string[] = [];
  for (let d = first; d <= last; d++) days.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  return days;
}

export interface DayCount {
  /** The Beijing calendar day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly key: string | null;
  readonly count: number;
}

/** What incidents per day are broken down by. */
export type DayDimension = 'tier' | 'districtCode' | 'topic';
const COLUMN: Record<DayDimension, string> = { tier: 'tier', districtCode: 'district_code', topic: 'topic' };

/**
 * Incidents received per Beijing day in the period, by tier, district or topic. An
 * incident merged into another is not counted: it was the same event (issue 15).
 */
export async function incidentsPerDay(db: Db, p: Period, by: DayDimension): Promise<DayCount[]> {
  const result = await sql<{ day: string; key: string | null; count: number }>`
    select to_char(created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as day, ${sql.ref(COLUMN[by])} as key, count(*)::int as count
    from incidents
    where created_at >= ${p.from} and created_at < ${p.to} and status <> 'merged'
    group by 1, 2
    order by 1, 2`.execute(db);
  return result.rows;
}

/** How the deadlines of one group of tasks were kept. */
export interface ComplianceRow {
  readonly tier: Tier;
  readonly kind: TaskKind;
  /** Done by the deadline. */
  readonly onTime: number;
  /** Done after the deadline. */
  readonly late: number;
  /** Not done, and the deadline has passed. */
  readonly overdue: number;
  /** Not done, deadline still ahead: not counted either way yet. */
  readonly pending: number;
}

/**
 * Deadline compliance of the tasks of incidents received in the period, per tier
 * (the tier the task was planned under) and task kind. Only tasks with a deadline;
 * cancelled ones (a lowered tier, a merged incident's covered tasks) do not count.
 */
export async function deadlineCompliance(db: Db, p: Period): Promise<ComplianceRow[]> {
  const result = await sql<ComplianceRow>`
    select t.incident_tier as tier, t.kind,
      count(*) filter (where t.status = 'done' and t.done_at <= t.due_at)::int as on_time,
      count(*) filter (where t.status = 'done' and (t.done_at is null or t.done_at > t.due_at))::int as late,
      count(*) filter (where t.status in ('open', 'waiting') and t.due_at < now())::int as overdue,
      count(*) filter (where t.status in ('open', 'waiting') and t.due_at >= now())::int as pending
    from tasks t
    join incidents i on i.id = t.incident_id
    where i.created_at >= ${p.from} and i.created_at < ${p.to} and t.due_at is not null and t.status <> 'cancelled'
    group by 1, 2
    order by 1, 2`.execute(db);
  return result.rows;
}
