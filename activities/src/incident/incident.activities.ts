import { sql, type Transaction } from 'kysely';
import {
  enqueue,
  recordAudit,
  type AlertRow,
  type AuditEntry,
  type Database,
  type Db,
  type DistrictCode,
  type IncidentEvent,
  type IncidentStatus,
  type OutboxItem,
  type PolicySnapshot,
  type Tier,
  type Topic,
} from '@yuqing/shared';
import { snapshotPolicy } from '../policy/policy-snapshot';
import { resolveRouting, type Routing } from '../routing/routing';

/** Read-model fields of the incident row that follow the workflow. */
export interface IncidentRowChange {
  readonly tier?: Tier;
  readonly status?: IncidentStatus;
  readonly overdue?: boolean;
  readonly policyVersion?: string;
  /** The incident's district, once a hand-off moved it to another district's bureau. */
  readonly districtCode?: DistrictCode;
  /** Increases with each change the workflow makes; an older change never overwrites a newer one. */
  readonly seq: number;
}

/** An alert as the workflow raises it: the `alerts` row it becomes, with its times as ISO strings. */
export type AlertRecord = Readonly<Omit<AlertRow, 'resolvedAt' | 'dueAt' | 'raisedAt'> & { dueAt: string; raisedAt: string }>;

export interface IncidentActivityDeps {
  readonly db: Db;
  /** Called after a commit so the local outbox relay publishes at once. */
  readonly onCommitted?: () => void;
  /** Called once per alert when it is first stored, with the time it was (the worker measures deadline lateness from it). */
  readonly onAlertStored?: (alert: AlertRecord, storedAt: number) => void;
}

/**
 * Activities that record what the workflow decided. Each writes its events to
 * the outbox in the same transaction as the rows it changes, keyed by event id:
 * a retried activity changes nothing twice and publishes nothing twice.
 */
export function createIncidentActivities({ db, onCommitted, onAlertStored }: IncidentActivityDeps) {
  async function applyRowChange(trx: Transaction<Database>, incidentId: string, change: IncidentRowChange | undefined): Promise<void> {
    if (!change) return;
    const { seq, ...fields } = change;
    await trx
      .updateTable('incidents')
      .set({
        ...fields,
        stateSeq: seq,
        updatedAt: sql`now()`,
        ...(change.status === 'closed' ? { closedAt: sql`coalesce(closed_at, now())` } : {}),
        ...(change.status === 'archived' ? { archivedAt: sql`coalesce(archived_at, now())` } : {}),
      })
      .where('id', '=', incidentId)
      .where('stateSeq', '<', seq)
      .execute();
  }

  const eventItem = (event: IncidentEvent): OutboxItem => ({ kind: 'event', dedupeKey: event.id, payload: event });

  /** Every event is a state change; the audit log gets one row per event with its actor. */
  function auditOf(event: IncidentEvent): AuditEntry {
    const actor = event.data.actor ?? { id: 'system:workflow', kind: 'system' as const };
    return {
      actor,
      action: `incident.${event.type}`,
      entity: 'incident',
      entityId: event.incidentId,
      incidentId: event.incidentId,
      after: { eventId: event.id, tier: event.tier, tasks: event.data.tasks?.map((t) => ({ key: t.key, status: t.status, overdue: t.overdue })) },
      requestId: event.data.actor?.requestId ?? null,
    };
  }

  return {
    /**
     * What an incident's workflow needs at start, read once and kept in its history:
     * the policy snapshot (with its version) and who is responsible (routing), and
     * the time it finished: workflow time does not move while a local activity runs
     * inside one workflow task, so the clocks started next measure from this instead.
     */
    async prepareIncident(input: { topic: Topic; district?: DistrictCode }): Promise<{ policy: PolicySnapshot; routing: Routing; finishedAt: number }> {
      const [policy, routing] = await Promise.all([snapshotPolicy(db, input.district), resolveRouting(db, input)]);
      return { policy, routing, finishedAt: Date.now() };
    },

    /**
     * Records events in the outbox (the relay publishes them) and updates the
     * incident row, in one transaction; marks the alerts of tasks now done as resolved.
     */
    async recordEvents(input: {
      incidentId: string;
      events: readonly IncidentEvent[];
      incident?: IncidentRowChange;
      resolveAlertsOf?: readonly string[];
    }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // Nothing new: a retry after a commit whose answer was lost, everything is already recorded.
        if ((await enqueue(trx, input.events.map(eventItem))) === 0 && input.events.length > 0) return;
        await recordAudit(trx, input.events.map(auditOf));
        await applyRowChange(trx, input.incidentId, input.incident);
        if (input.resolveAlertsOf?.length) {
          await trx
            .updateTable('alerts')
            .set({ resolvedAt: input.events[0]?.occurredAt ?? new Date().toISOString() })
            .where('incidentId', '=', input.incidentId)
            .where('taskKey', 'in', [...input.resolveAlertsOf])
            .where('resolvedAt', 'is', null)
            .execute();
        }
      });
      onCommitted?.();
    },

    /** Stores a deadline alert (one per lapse, reminder or escalation) with its event. */
    async raiseAlert(input: { alert: AlertRecord; event: IncidentEvent; incident?: IncidentRowChange }): Promise<void> {
      const { alert } = input;
      const stored = await db.transaction().execute(async (trx) => {
        if ((await enqueue(trx, eventItem(input.event))) === 0) return false;
        await trx
          .insertInto('alerts')
          .values({ ...alert, notified: JSON.stringify(alert.notified) })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        await recordAudit(trx, auditOf(input.event));
        await applyRowChange(trx, alert.incidentId, input.incident);
        return true;
      });
      // A retry of an alert already stored is not a second alert.
      if (stored) onAlertStored?.(alert, Date.now());
      onCommitted?.();
    },
  };
}
