/**
 * Incidents for tests, reported through intake's own code (as the monitoring
 * platform's key) and, where a test needs its workflow, started through the
 * outbox relay as intake's process would start it.
 */
import type { Client } from '@temporalio/client';
import { acceptIncident, createWorkflowStarter } from '@yuqing/intake';
import type { Principal } from '@yuqing/http-kit';
import {
  EVENT_SCHEMA_VERSION,
  IncidentInputSchema,
  parseIncidentEvent,
  type Actor,
  type Db,
  type IncidentEvent,
  type IncidentInputRaw,
  type IncidentRow,
  type Role,
  type TaskSnapshot,
} from '@yuqing/shared';
import { sampleIncident } from './fixtures';
import { testLogger } from './temporal';

/** The monitoring platform, a system client: it reports incidents and takes no step of them. */
export const MONITORING: Principal = { id: 'monitoring', kind: 'client', name: '舆情监测平台', scopes: ['admin'], roles: [] };

/** Stores an incident (the sample, with `overrides`) as intake accepts it; its workflow is queued, not started. */
export async function acceptTestIncident(db: Db, overrides: Partial<IncidentInputRaw> = {}): Promise<IncidentRow> {
  const { incident } = await acceptIncident(db, MONITORING, IncidentInputSchema.parse(sampleIncident(overrides)), {});
  return incident;
}

/** Stores an incident and starts its workflow on `taskQueue` from the outbox. */
export async function reportTestIncident(
  db: Db,
  temporal: Client,
  taskQueue: string,
  overrides: Partial<IncidentInputRaw> = {},
  /** Start the workflow this long after acceptance, as when Temporal was down meanwhile. */
  startAfterMs = 0,
): Promise<IncidentRow> {
  const incident = await acceptTestIncident(db, overrides);
  if (startAfterMs > 0) await new Promise((r) => setTimeout(r, startAfterMs));
  await createWorkflowStarter({ db, temporal, taskQueue, log: testLogger(), pollMs: 60_000 }).drainOnce();
  return incident;
}

/**
 * A `dispatched` event of an incident as its workflow records it: numbered `seq`,
 * assigning `unit` its `role` (with its tasks), optionally by an actor.
 */
export function dispatchedEvent(
  incident: Pick<IncidentRow, 'id' | 'title'>,
  o: { seq?: number; unit?: { id: string; name: string }; role?: Role; tasks?: TaskSnapshot[]; actor?: Actor } = {},
): IncidentEvent {
  const unit = o.unit ?? { id: 'district-230103', name: '南岗区市场监管局' };
  return parseIncidentEvent({
    id: `incident-${incident.id}#${String(o.seq ?? 1).padStart(4, '0')}.dispatched`,
    type: 'dispatched',
    incidentId: incident.id,
    tier: 'sensitive',
    occurredAt: new Date().toISOString(),
    schemaVersion: EVENT_SCHEMA_VERSION,
    data: {
      reason: 'initial',
      assignments: [{ unitId: unit.id, unitName: unit.name, role: o.role ?? 'district_bureau' }],
      notify: [],
      title: incident.title,
      link: 'https://weibo.example.com/x',
      tasks: o.tasks ?? [],
      ...(o.actor ? { actor: o.actor } : {}),
    },
  });
}
