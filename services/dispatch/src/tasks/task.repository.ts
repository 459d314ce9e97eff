import { sql, type Transaction } from 'kysely';
import type { Database, Db, IncidentRow, Role, TaskRow, TaskSnapshot, TaskStatus, Tier } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/**
 * Upserts task snapshots from an event. A snapshot older than the stored one
 * (by the workflow's sequence) is ignored, so redelivery out of order is harmless.
 */
export async function upsertTasks(trx: Executor, incidentId: string, tier: Tier, tasks: readonly TaskSnapshot[]): Promise<void> {
  if (tasks.length === 0) return;
  const rows = tasks.map((t) => ({
    incidentId,
    key: t.key,
    kind: t.kind,
    owner: t.owner,
    unitId: t.unitId ?? null,
    status: t.status,
    mandatory: t.mandatory,
    phase: t.phase,
    round: t.round,
    openedAt: t.openedAt ?? null,
    dueAt: t.dueAt ?? null,
    doneAt: t.doneAt ?? null,
    doneBy: t.doneBy ? JSON.stringify(t.doneBy) : null,
    overdue: t.overdue,
    lapsedAt: t.lapsedAt ?? null,
    approvalsNeeded: JSON.stringify(t.approvalsNeeded),
    approvals: JSON.stringify(t.approvals),
    cancelReason: t.cancelReason ?? null,
    seq: t.seq,
    incidentTier: tier,
  }));
  await trx
    .insertInto('tasks')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['incidentId', 'key'])
        .doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          owner: eb.ref('excluded.owner'),
          unitId: eb.ref('excluded.unitId'),
          status: eb.ref('excluded.status'),
          mandatory: eb.ref('excluded.mandatory'),
          phase: eb.ref('excluded.phase'),
          round: eb.ref('excluded.round'),
          openedAt: eb.ref('excluded.openedAt'),
          dueAt: eb.ref('excluded.dueAt'),
          doneAt: eb.ref('excluded.doneAt'),
          doneBy: eb.ref('excluded.doneBy'),
          overdue: eb.ref('excluded.overdue'),
          lapsedAt: eb.ref('excluded.lapsedAt'),
          approvalsNeeded: eb.ref('excluded.approvalsNeeded'),
          approvals: eb.ref('excluded.approvals'),
          cancelReason: eb.ref('excluded.cancelReason'),
          seq: eb.ref('excluded.seq'),
          incidentTier: eb.ref('excluded.incidentTier'),
          updatedAt: sql`now()`,
        }))
        .where('tasks.seq', '<', (eb) => eb.ref('excluded.seq')),
    )
    .execute();
}

/** Every incident's tasks follow its tier for listing. */
export async function setIncidentTier(trx: Executor, incidentId: string, tier: Tier): Promise<void> {
  await trx.updateTable('tasks').set({ incidentTier: tier }).where('incidentId', '=', incidentId).execute();
}

export interface TaskFilter {
  readonly unitId?: string;
  readonly role?: Role;
  readonly incidentId?: string;
  readonly status?: readonly TaskStatus[];
  readonly overdue?: boolean;
  readonly limit: number;
}

export type TaskWithIncident = TaskRow & Pick<IncidentRow, 'title' | 'districtCode' | 'topic' | 'policyVersion'>;

/** Tasks joined with their incident's title, soonest deadline first. */
export async function listTasks(db: Executor, f: TaskFilter): Promise<TaskWithIncident[]> {
  let q = db
    .selectFrom('tasks')
    .innerJoin('incidents', 'incidents.id', 'tasks.incidentId')
    .selectAll('tasks')
    .select(['incidents.title', 'incidents.districtCode', 'incidents.topic', 'incidents.policyVersion'])
    .orderBy(sql`tasks.due_at asc nulls last`)
    .orderBy('tasks.openedAt', 'asc')
    .limit(f.limit);
  if (f.unitId) q = q.where('tasks.unitId', '=', f.unitId);
  if (f.role) q = q.where('tasks.owner', '=', f.role);
  if (f.incidentId) q = q.where('tasks.incidentId', '=', f.incidentId);
  if (f.status?.length) q = q.where('tasks.status', 'in', [...f.status]);
  if (f.overdue !== undefined) q = q.where('tasks.overdue', '=', f.overdue);
  return q.execute();
}
