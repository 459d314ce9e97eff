import { sql, type OperationNodeSource, type QueryCreator, type RawBuilder } from 'kysely';
import {
  auditRow,
  compileOnce,
  type AlertRow,
  type AuditEntry,
  type Database,
  type Db,
  type DistrictCode,
  type IncidentEvent,
  type IncidentStatus,
  type PolicySnapshot,
  type Tier,
  type Topic,
} from '@yuqing/shared';
import { newestPoliciesJson, policyOf, type NewestPolicy } from '../policy/policy-snapshot';
import { routingOf, routingRulesJson, type Routing, type RoutingRule } from '../routing/routing';

/** What a new incident reads first, in one round trip: the newest policy versions and the routing rules, as one snapshot. */
const incidentBasis = compileOnce(
  (_db, a: { district: string | null }) =>
    sql<{ policies: NewestPolicy[]; rules: RoutingRule[] }>`select ${newestPoliciesJson(a.district)} as policies, ${routingRulesJson} as rules`,
);

/** True in a statement of `recordInOneStatement` when one of its events was new to the outbox. */
const QUEUED = sql<boolean>`exists (select 1 from queued)`;

const AUDIT_COLUMNS = ['actorId', 'actorKind', 'unitId', 'action', 'incidentId', 'entity', 'entityId', 'before', 'after', 'requestId'] as const;
/** The audit rows' record type, for `jsonb_to_recordset` (its fields under the columns' own names). */
const AUDIT_RECORD = sql.raw(
  'actor_id text, actor_kind text, unit_id text, action text, incident_id uuid, entity text, entity_id text, before jsonb, after jsonb, request_id text',
);

/** An audit entry as a record of `AUDIT_RECORD`: the row `auditRow` makes, with `before` and `after` as JSON. */
function auditRecordset(e: AuditEntry): Record<string, unknown> {
  const r: Record<string, unknown> = { ...auditRow(e), before: e.before ?? null, after: e.after ?? null };
  return Object.fromEntries(AUDIT_COLUMNS.map((c) => [c.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), r[c]]));
}

type Statement = QueryCreator<Database>;

/** Adds a data-modifying CTE nothing selects from by name, so kysely need not know its rows' type. */
const also = (q: Statement, name: string, build: (db: Statement) => OperationNodeSource): Statement => q.with(name, build as never) as unknown as Statement;

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
  /** The incident row's read-model change, unless a newer one was applied already (`seq`). */
  function rowChange(db: Statement, incidentId: string, change: IncidentRowChange) {
    const { seq, ...fields } = change;
    return db
      .updateTable('incidents')
      .set({
        ...fields,
        stateSeq: seq,
        updatedAt: sql`now()`,
        ...(change.status === 'closed' ? { closedAt: sql`coalesce(closed_at, now())` } : {}),
        ...(change.status === 'archived' ? { archivedAt: sql`coalesce(archived_at, now())` } : {}),
      })
      .where('id', '=', incidentId)
      .where('stateSeq', '<', seq);
  }

  /**
   * Records events and what follows from them in one statement (one round trip,
   * atomic as a transaction): the events into the outbox, keyed by id, and, only if
   * one of them is new there (else this is a retry whose first run committed), their
   * audit rows and whatever `more` adds, each a CTE on `QUEUED`. Answers how many
   * events were new.
   */
  async function recordInOneStatement(events: readonly IncidentEvent[], more: (db: Statement, queued: RawBuilder<boolean>) => Statement): Promise<number> {
    const audit = events.map((e) => auditRecordset(auditOf(e)));
    const queuedEvents = also(db, 'queued', (db) =>
      db
        .insertInto('outbox')
        .values(events.map((e) => ({ kind: 'event' as const, dedupeKey: e.id, payload: JSON.stringify(e) })))
        .onConflict((oc) => oc.column('dedupeKey').doNothing())
        .returning('id'),
    );
    const start = also(queuedEvents, 'audited', (db) =>
      db
        .insertInto('auditLog')
        .columns(AUDIT_COLUMNS)
        .expression(
          sql`select ${sql.join(AUDIT_COLUMNS.map((c) => sql.ref(`a.${c}`)))} from jsonb_to_recordset(${JSON.stringify(audit)}::jsonb) as a(${AUDIT_RECORD}) where ${QUEUED}`,
        ),
    );
    const row = await more(start, QUEUED)
      .selectNoFrom(sql<number>`(select count(*) from queued)::int`.as('queued'))
      .executeTakeFirstOrThrow();
    return row.queued;
  }

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
      const { rows } = await incidentBasis.execute(db, { district: input.district ?? null });
      const { policies, rules } = rows[0]!;
      return { policy: await policyOf(db, policies, input.district), routing: routingOf(rules, input), finishedAt: Date.now() };
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
      const { incidentId, incident, resolveAlertsOf } = input;
      const resolvedAt = input.events[0]?.occurredAt ?? new Date().toISOString();
      const follow = (db: Statement, queued: RawBuilder<boolean>): Statement => {
        let q = db;
        if (incident) q = also(q, 'changed', (db) => rowChange(db, incidentId, incident).where(queued));
        if (resolveAlertsOf?.length)
          q = also(q, 'resolved', (db) =>
            db
              .updateTable('alerts')
              .set({ resolvedAt })
              .where('incidentId', '=', incidentId)
              .where('taskKey', 'in', [...resolveAlertsOf])
              .where('resolvedAt', 'is', null)
              .where(queued),
          );
        return q;
      };
      if (input.events.length > 0) await recordInOneStatement(input.events, follow);
      else {
        // Nothing to publish: only the row and the alerts, as they say.
        await follow(db, sql<boolean>`true`)
          .selectNoFrom(sql<number>`1`.as('done'))
          .execute();
      }
      onCommitted?.();
    },

    /** Stores a deadline alert (one per lapse, reminder or escalation) with its event. */
    async raiseAlert(input: { alert: AlertRecord; event: IncidentEvent; incident?: IncidentRowChange }): Promise<void> {
      const { alert, incident } = input;
      const queued = await recordInOneStatement([input.event], (db, queued) => {
        const q = also(db, 'alerted', (db) =>
          db
            .insertInto('alerts')
            .values({ ...alert, notified: JSON.stringify(alert.notified) })
            .onConflict((oc) => oc.column('id').doNothing()),
        );
        return incident ? also(q, 'changed', (db) => rowChange(db, alert.incidentId, incident).where(queued)) : q;
      });
      // A retry of an alert already stored is not a second alert.
      if (queued > 0) onAlertStored?.(alert, Date.now());
      onCommitted?.();
    },
  };
}
