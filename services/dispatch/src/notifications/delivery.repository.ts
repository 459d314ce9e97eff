import { sql, type Transaction } from 'kysely';
import {
  enqueue,
  EVENT_SCHEMA_VERSION,
  parseIncidentEvent,
  recordAudit,
  type Actor,
  type Database,
  type Db,
  type DeliveryAttemptRow,
  type DeliveryRow,
  type DeliveryStatus,
  type IncidentEvent,
} from '@yuqing/shared';
import { SMTP_ENDPOINT } from './senders/email';
import type { DeliveryFailure } from './senders/sender';

type Executor = Db | Transaction<Database>;

/** The actor of what the delivery worker records. */
export const DISPATCH_ACTOR: Actor = { id: 'system:dispatch', kind: 'system' };

// Queued through the shared module, which the summary reports' activity uses too.
export { insertDeliveries, type NewDelivery } from '@yuqing/shared';

export interface ClaimOptions {
  readonly limit: number;
  /** In flight at once per endpoint (all processes see their own share). */
  readonly perEndpoint: number;
  readonly smtpLimit: number;
  /** In flight in this process now, by endpoint. */
  readonly busy: Readonly<Record<string, number>>;
  /** How long a claim holds before another process may take the delivery over. */
  readonly leaseMs: number;
}

/**
 * Claims due deliveries for sending: pending ones whose time has come, and ones
 * whose sender's lease ran out (it died). At most the free share of each endpoint
 * is taken, oldest first, so one slow endpoint's backlog never fills the batch.
 * `FOR UPDATE SKIP LOCKED` lets several processes claim side by side.
 */
export async function claimDueDeliveries(db: Db, o: ClaimOptions): Promise<DeliveryRow[]> {
  if (o.limit <= 0) return [];
  const result = await sql<DeliveryRow>`
    update deliveries set status = 'sending', attempts = attempts + 1, lease_until = now() + ${`${o.leaseMs} milliseconds`}::interval
    where id in (
      select id from deliveries where id in (
        select id from (
          select id, endpoint, next_attempt_at,
                 row_number() over (partition by endpoint order by next_attempt_at, created_at) as rn
          from deliveries
          where (status = 'pending' and next_attempt_at <= now()) or (status = 'sending' and lease_until < now())
        ) due
        where rn <= (case when endpoint = ${SMTP_ENDPOINT} then ${o.smtpLimit}::int else ${o.perEndpoint}::int end)
                    - coalesce((${JSON.stringify(o.busy)}::jsonb ->> endpoint)::int, 0)
        order by next_attempt_at
        limit ${o.limit}
      )
      for update skip locked
    )
    returning *`.execute(db);
  return result.rows;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
}

/**
 * The `notified` event of an outcome, for the incident's timeline; its id makes
 * each outcome publish once. A summary report's delivery is about no incident:
 * its outcome is in the delivery log and the audit log only.
 */
function outcomeEvent(
  row: DeliveryRow,
  n: number,
  outcome: { delivered: true; latencyMs: number } | { delivered: false; reason: string },
): IncidentEvent | undefined {
  if (row.incidentId === null || row.tier === null || row.eventType === 'summary_report') return undefined;
  return parseIncidentEvent({
    id: `notify-${row.id}#${n}`,
    type: 'notified',
    incidentId: row.incidentId,
    tier: row.tier,
    occurredAt: new Date().toISOString(),
    schemaVersion: EVENT_SCHEMA_VERSION,
    data: {
      actor: DISPATCH_ACTOR,
      deliveryId: row.id,
      cause: { eventId: row.eventId, type: row.eventType },
      channel: row.channelKind,
      to: { unitId: row.unitId, ...(row.personId ? { personId: row.personId } : {}), ...(row.personName ? { personName: row.personName } : {}) },
      roles: row.roles,
      attempts: row.attempts,
      ...(outcome.delivered ? { outcome: 'delivered', latencyMs: outcome.latencyMs } : { outcome: 'failed', reason: outcome.reason }),
      // What a 签转 or 报送 carried, so the timeline says what was sent to whom.
      ...(row.message.forwarded ? { forwarded: row.message.forwarded } : {}),
    },
  });
}

async function insertAttempt(trx: Executor, deliveryId: string, a: AttemptRecord): Promise<void> {
  await trx
    .insertInto('deliveryAttempts')
    .values({ deliveryId, ...a })
    .execute();
}

/**
 * Records an accepted attempt: the delivery is done, its latency counted from the
 * causing event, and its `notified` event queued in the outbox, all at once.
 * Returns false when the claim was no longer ours (another process took it over).
 */
export async function recordDelivered(db: Db, row: DeliveryRow, attempt: AttemptRecord, deliveredAt: Date): Promise<boolean> {
  const latencyMs = Math.max(0, deliveredAt.getTime() - row.triggeredAt.getTime());
  return db.transaction().execute(async (trx) => {
    await insertAttempt(trx, row.id, attempt);
    const updated = await trx
      .updateTable('deliveries')
      .set({ status: 'delivered', deliveredAt, latencyMs, leaseUntil: null, lastError: null, outcomes: sql`outcomes + 1` })
      .where('id', '=', row.id)
      .where('status', '=', 'sending')
      .where('attempts', '=', row.attempts)
      .returning('outcomes')
      .executeTakeFirst();
    if (!updated) return false;
    const event = outcomeEvent(row, updated.outcomes, { delivered: true, latencyMs });
    if (event) await enqueue(trx, { kind: 'event', dedupeKey: event.id, payload: event });
    await recordAudit(trx, {
      actor: DISPATCH_ACTOR,
      action: 'delivery.delivered',
      entity: 'delivery',
      entityId: row.id,
      incidentId: row.incidentId,
      after: { attempts: row.attempts, latencyMs, ...(event ? { eventId: event.id } : { summaryReportId: row.summaryReportId }) },
    });
    return true;
  });
}

/** Delay before attempt `n + 1`: doubling from `baseMs`, at most 10 minutes, with a little jitter. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  const plain = Math.min(600_000, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 20));
  return Math.round(plain * (1 + Math.random() * 0.1));
}

/**
 * Records a failed attempt: retried later with backoff, or, once retrying cannot
 * help or the attempts are spent, a dead letter with its `notified` event.
 */
export async function recordFailed(
  db: Db,
  row: DeliveryRow,
  attempt: AttemptRecord,
  failure: DeliveryFailure,
  policy: { maxAttempts: number; retryBaseMs: number },
): Promise<{ dead: boolean; retryInMs?: number }> {
  const dead = !failure.retryable || row.attempts >= policy.maxAttempts;
  return db.transaction().execute(async (trx) => {
    await insertAttempt(trx, row.id, attempt);
    const mine = (q: ReturnType<typeof trx.updateTable<'deliveries'>>) =>
      q.where('id', '=', row.id).where('status', '=', 'sending').where('attempts', '=', row.attempts);
    if (!dead) {
      const retryInMs = retryDelayMs(row.attempts, policy.retryBaseMs);
      await mine(trx.updateTable('deliveries'))
        .set({ status: 'pending', nextAttemptAt: new Date(Date.now() + retryInMs), leaseUntil: null, lastError: failure.reason })
        .execute();
      return { dead: false, retryInMs };
    }
    const updated = await mine(trx.updateTable('deliveries'))
      .set({ status: 'dead', deadAt: new Date(), leaseUntil: null, lastError: failure.reason, outcomes: sql`outcomes + 1` })
      .returning('outcomes')
      .executeTakeFirst();
    if (!updated) return { dead: false };
    const event = outcomeEvent(row, updated.outcomes, { delivered: false, reason: failure.reason });
    if (event) await enqueue(trx, { kind: 'event', dedupeKey: event.id, payload: event });
    await recordAudit(trx, {
      actor: DISPATCH_ACTOR,
      action: 'delivery.dead',
      entity: 'delivery',
      entityId: row.id,
      incidentId: row.incidentId,
      after: { attempts: row.attempts, reason: failure.reason, ...(event ? { eventId: event.id } : { summaryReportId: row.summaryReportId }) },
    });
    return { dead: true };
  });
}

/** Puts a dead letter back in its queue with fresh attempts (an operator's retry). */
export async function requeueDelivery(trx: Executor, id: string): Promise<DeliveryRow | undefined> {
  return trx
    .updateTable('deliveries')
    .set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()`, deadAt: null, leaseUntil: null })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .returningAll()
    .executeTakeFirst();
}

export interface DeliveryFilter {
  readonly incidentId?: string;
  readonly unitId?: string;
  readonly eventId?: string;
  readonly status?: DeliveryStatus;
  readonly limit: number;
}

/** The delivery log, newest first. */
export async function listDeliveries(db: Executor, f: DeliveryFilter): Promise<DeliveryRow[]> {
  let q = db.selectFrom('deliveries').selectAll().orderBy('createdAt', 'desc').orderBy('id').limit(f.limit);
  if (f.incidentId) q = q.where('incidentId', '=', f.incidentId);
  if (f.unitId) q = q.where('unitId', '=', f.unitId);
  if (f.eventId) q = q.where('eventId', '=', f.eventId);
  if (f.status) q = q.where('status', '=', f.status);
  return q.execute();
}

export async function findDelivery(db: Executor, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAttempts(db: Executor, deliveryId: string): Promise<DeliveryAttemptRow[]> {
  return db.selectFrom('deliveryAttempts').selectAll().where('deliveryId', '=', deliveryId).orderBy('id').execute();
}
