/**
 * Incidents for tests, reported through intake's own code (as the monitoring
 * platform's key) and, where a test needs its workflow, started through the
 * outbox relay as intake's process would start it.
 */
import type { Client } from '@temporalio/client';
import { acceptIncident, createWorkflowStarter } from '@yuqing/intake';
import type { Principal } from '@yuqing/http-kit';
import { IncidentInputSchema, type Db, type IncidentInputRaw, type IncidentRow } from '@yuqing/shared';
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
