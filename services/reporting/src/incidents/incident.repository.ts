import { sql, type SelectQueryBuilder } from 'kysely';
import {
  ALERT_COLUMNS,
  INCIDENT_COLUMNS,
  TASK_COLUMNS,
  type AlertRow,
  type Database,
  type Db,
  type DistrictCode,
  type IncidentRow,
  type IncidentStatus,
  type TaskRow,
  type Tier,
  type Topic,
} from '@yuqing/shared';
import { visibleIncidents, type Reach } from '@yuqing/http-kit';

/** The list's orders: newest first, or the duty view's urgency (lapsed first, then the nearest deadline). */
export const INCIDENT_SORTS = ['newest', 'urgency'] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

export interface IncidentFilter {
  readonly tiers?: readonly Tier[];
  readonly statuses?: readonly IncidentStatus[];
  readonly districtCode?: DistrictCode;
  readonly topics?: readonly Topic[];
  readonly overdue?: boolean;
  readonly sort?: IncidentSort;
  readonly limit: number;
  readonly offset: number;
}

/** Incidents matching the console's filters in the order asked, and how many match in all. */
export async function listIncidents(db: Db, f: IncidentFilter & { readonly reach: Reach }): Promise<{ rows: IncidentRow[]; total: number }> {
  let q = db.selectFrom('incidents').where(visibleIncidents(f.reach));
  if (f.tiers?.length) q = q.where('tier', 'in', [...f.tiers]);
  if (f.statuses?.length) q = q.where('status', 'in', [...f.statuses]);
  if (f.districtCode) q = q.where('districtCode', '=', f.districtCode);
  if (f.topics?.length) q = q.where('topic', 'in', [...f.topics]);
  if (f.overdue !== undefined) q = q.where('overdue', '=', f.overdue);
  const [rows, count] = await Promise.all([
    ordered(q.select(INCIDENT_COLUMNS), f.sort ?? 'newest')
      .orderBy('createdAt', 'desc')
      .orderBy('id')
      .limit(f.limit)
      .offset(f.offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

/**
 * Urgency reads the open tasks' deadlines against the clock (not the `overdue` flag,
 * which follows the lapse event a moment later): lapsed first, most lapsed first,
 * then the nearest deadline.
 */
function ordered<Q extends SelectQueryBuilder<Database, 'incidents', IncidentRow>>(q: Q, sort: IncidentSort): Q {
  if (sort === 'newest') return q;
  const nearest = sql`(select min(t.due_at) from tasks t where t.incident_id = incidents.id and t.status = 'open')`;
  return q.orderBy(sql`coalesce(${nearest} < now(), false)`, 'desc').orderBy(sql`${nearest} asc nulls last`) as Q;
}

export async function findIncident(db: Db, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').select(INCIDENT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Each incident's open tasks, nearest deadline first, and the newest task sequence its read model holds. */
export async function openTasksOf(db: Db, incidentIds: readonly string[]): Promise<Map<string, { tasks: TaskRow[]; tasksSeq: number }>> {
  const result = new Map<string, { tasks: TaskRow[]; tasksSeq: number }>(incidentIds.map((id) => [id, { tasks: [], tasksSeq: 0 }]));
  if (incidentIds.length === 0) return result;
  const [open, seqs] = await Promise.all([
    db
      .selectFrom('tasks')
      .select(TASK_COLUMNS)
      .where('incidentId', 'in', [...incidentIds])
      .where('status', '=', 'open')
      .orderBy(sql`due_at asc nulls last`)
      .orderBy('openedAt')
      .execute(),
    db
      .selectFrom('tasks')
      .select(['incidentId', (eb) => eb.fn.max('seq').as('seq')])
      .where('incidentId', 'in', [...incidentIds])
      .groupBy('incidentId')
      .execute(),
  ]);
  for (const task of open) result.get(task.incidentId)!.tasks.push(task);
  for (const s of seqs) result.get(s.incidentId)!.tasksSeq = Number(s.seq);
  return result;
}

/** Every task of one incident in the order they opened. */
export async function tasksOf(db: Db, incidentId: string): Promise<TaskRow[]> {
  return db
    .selectFrom('tasks')
    .select(TASK_COLUMNS)
    .where('incidentId', '=', incidentId)
    .orderBy(sql`opened_at asc nulls last`)
    .orderBy('key')
    .execute();
}

/** Every alert raised on one incident (lapses, reminders, escalations), oldest first. */
export async function alertsOf(db: Db, incidentId: string): Promise<AlertRow[]> {
  return db.selectFrom('alerts').select(ALERT_COLUMNS).where('incidentId', '=', incidentId).orderBy('raisedAt').orderBy('id').execute();
}
