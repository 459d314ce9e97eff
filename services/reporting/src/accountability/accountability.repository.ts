import { sql, type Transaction } from 'kysely';
import {
  answerableAt,
  type AccountabilityOutcome,
  type AccountabilityRecordRow,
  type Actor,
  type Database,
  type Db,
  type IncidentEvent,
  type Role,
} from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/** The late task's owner and unit: the lapse names them, an escalation's alert (or the task) does. */
async function lateOwner(
  trx: Executor,
  event: IncidentEvent & { type: 'deadline_lapsed' | 'escalated' },
): Promise<{ owner: Role | null; unitId: string | null }> {
  if (event.type === 'deadline_lapsed') return { owner: event.data.owner.role, unitId: event.data.owner.unitId ?? null };
  const alert = await trx.selectFrom('alerts').select(['owner', 'unitId']).where('id', '=', event.id).executeTakeFirst();
  if (alert) return alert;
  const task = await trx
    .selectFrom('tasks')
    .select(['owner', 'unitId'])
    .where('incidentId', '=', event.incidentId)
    .where('key', '=', event.data.taskKey)
    .executeTakeFirst();
  return task ?? { owner: null, unitId: null };
}

/**
 * Records a lapse or an escalation against the late unit (问责记录, plan §8(五)3),
 * with who answered for the unit at that moment: the duty roster, standing duty,
 * else its information officer. Runs in the consumer's transaction with the
 * event's timeline entry; other events are not its business.
 */
export async function recordAccountability(trx: Transaction<Database>, event: IncidentEvent): Promise<void> {
  if (event.type !== 'deadline_lapsed' && event.type !== 'escalated') return;
  const late = await lateOwner(trx, event);
  let unitId = late.unitId;
  if (!unitId && late.owner) {
    // A role's task without a unit on it: the unit the routing rules give the role.
    const rule = await trx.selectFrom('routingRules').select('unitId').where('kind', '=', 'role').where('match', '=', late.owner).executeTakeFirst();
    unitId = rule?.unitId ?? null;
  }
  const occurredAt = event.type === 'deadline_lapsed' ? event.data.lapsedAt : event.occurredAt;
  const onDuty = unitId ? await answerableAt(trx, unitId, new Date(occurredAt)) : [];
  await trx
    .insertInto('accountabilityRecords')
    .values({
      id: event.id,
      incidentId: event.incidentId,
      cause: event.type,
      taskKey: event.data.taskKey,
      taskKind: event.data.taskKind,
      stage: event.type === 'escalated' ? event.data.stage : null,
      owner: late.owner,
      unitId,
      dueAt: event.data.dueAt,
      occurredAt,
      overdueMs: event.type === 'deadline_lapsed' ? event.data.lateMs : event.data.overdueMs,
      onDuty: JSON.stringify(onDuty.map((p) => ({ personId: p.personId, name: p.name, via: p.via }))),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** A record with its incident's title and when the late task was finally done (its alert resolved). */
export type AccountabilityRecord = AccountabilityRecordRow & { readonly incidentTitle: string | null; readonly resolvedAt: Date | null };

export interface AccountabilityFilter {
  /** Only these units' records (a district's own); all when absent. */
  readonly unitIds?: readonly string[];
  readonly from?: Date;
  readonly to?: Date;
  /** `pending`: no outcome recorded yet. */
  readonly outcome?: AccountabilityOutcome | 'pending';
  readonly incidentId?: string;
  readonly limit: number;
}

function selectRecords(db: Executor) {
  return db
    .selectFrom('accountabilityRecords as r')
    .leftJoin('incidents', 'incidents.id', 'r.incidentId')
    .leftJoin('alerts', 'alerts.id', 'r.id')
    .select([
      'r.id',
      'r.incidentId',
      'r.cause',
      'r.taskKey',
      'r.taskKind',
      'r.stage',
      'r.owner',
      'r.unitId',
      'r.dueAt',
      'r.occurredAt',
      'r.overdueMs',
      'r.onDuty',
      'r.outcome',
      'r.outcomeNote',
      'r.outcomeBy',
      'r.outcomeAt',
      'r.createdAt',
      'incidents.title as incidentTitle',
      'alerts.resolvedAt',
    ]);
}

/** Records newest first, filtered by unit, period (when it lapsed or was escalated), outcome and incident. */
export async function listAccountability(db: Executor, f: AccountabilityFilter): Promise<AccountabilityRecord[]> {
  let q = selectRecords(db).orderBy('r.occurredAt', 'desc').orderBy('r.id').limit(f.limit);
  if (f.unitIds) q = f.unitIds.length ? q.where('r.unitId', 'in', [...f.unitIds]) : q.where(sql<boolean>`false`);
  if (f.from) q = q.where('r.occurredAt', '>=', f.from);
  if (f.to) q = q.where('r.occurredAt', '<', f.to);
  if (f.outcome === 'pending') q = q.where('r.outcome', 'is', null);
  else if (f.outcome) q = q.where('r.outcome', '=', f.outcome);
  if (f.incidentId) q = q.where('r.incidentId', '=', f.incidentId);
  return q.execute();
}

export async function findAccountability(db: Executor, id: string): Promise<AccountabilityRecord | undefined> {
  return selectRecords(db).where('r.id', '=', id).executeTakeFirst();
}

/** Records (or changes) the office's outcome; answers false for an unknown record. */
export async function setOutcome(trx: Executor, id: string, o: { outcome: AccountabilityOutcome; note: string; by: Actor }): Promise<boolean> {
  const row = await trx
    .updateTable('accountabilityRecords')
    .set({ outcome: o.outcome, outcomeNote: o.note, outcomeBy: JSON.stringify(o.by), outcomeAt: sql`now()` })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
