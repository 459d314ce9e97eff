/**
 * Runs real incidents for workflow tests: the intake service's own accept and
 * start code, the real worker on a task queue of its own, the real dev server,
 * and a database of its own. Events are read where the activities recorded them
 * (the outbox), so these tests do not depend on NATS.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/client';
import {
  incidentWorkflowId,
  type Actor,
  type Role,
  type AlertRow,
  type EventType,
  type IncidentEvent,
  type IncidentInputRaw,
  type PolicyDocumentInput,
  type Tier,
} from '@yuqing/shared';
import {
  connectTestClient,
  createTestDatabase,
  eventually,
  publishCityPolicy,
  reportTestIncident,
  sampleIncident,
  startTestWorker,
  testTaskQueue,
  type TestDatabase,
  type TestWorker,
  terminateTestWorkflows,
} from '@yuqing/testkit';
import { stateQuery, type IncidentState } from '../src/messages';

export const OFFICE: Actor = { id: 'person-office', personId: 'person-office', kind: 'person', unitId: 'opinion-office', roles: ['opinion_office'] };
export const LEADERS: Actor = { id: 'person-leaders', personId: 'person-leaders', kind: 'person', unitId: 'leadership-group', roles: ['leadership_group'] };

/** A person of a unit, holding `roles`, as the dispatch service would pass them. */
export function personOf(unitId: string, roles: readonly Role[] = [], name = `${unitId}-${roles.join('-') || 'staff'}`): Actor {
  return { id: `person-${name}`, personId: `person-${name}`, kind: 'person', unitId, roles: [...roles] };
}

/** A sample incident that assesses to exactly `tier` (small numbers for general). */
export function incidentOfTier(tier: Tier, overrides: Partial<IncidentInputRaw> = {}): IncidentInputRaw {
  return sampleIncident({
    suggestedTier: tier,
    ...(tier === 'general' ? { metrics: { reportCount: 4, reach: 2_000, spreadPerHour: 1 } } : {}),
    ...overrides,
  });
}

export class IncidentHarness {
  private constructor(
    readonly t: TestDatabase,
    readonly client: Client,
    readonly taskQueue: string,
    public worker: TestWorker | undefined,
  ) {}

  static async create(options: { policy?: PolicyDocumentInput } = {}): Promise<IncidentHarness> {
    const t = await createTestDatabase();
    if (options.policy) await publishCityPolicy(t.db, options.policy);
    const taskQueue = testTaskQueue();
    const worker = await startTestWorker({ db: t.db, taskQueue });
    return new IncidentHarness(t, await connectTestClient(), taskQueue, worker);
  }

  /** Reports an incident through intake's code and starts its workflow through the outbox. */
  async report(raw: IncidentInputRaw, options: { startAfterMs?: number } = {}): Promise<{ id: string; handle: WorkflowHandle }> {
    const incident = await reportTestIncident(this.t.db, this.client, this.taskQueue, raw, options.startAfterMs);
    const handle = this.client.workflow.getHandle(incidentWorkflowId(incident.id));
    await eventually(async () => (await handle.query(stateQuery)).status === 'handling', 20_000, 'incident dispatched');
    await eventually(async () => (await this.events(incident.id)).length >= 3, 20_000, 'received, assessed, dispatched recorded');
    return { id: incident.id, handle };
  }

  handle(id: string): WorkflowHandle {
    return this.client.workflow.getHandle(incidentWorkflowId(id));
  }

  state(id: string): Promise<IncidentState> {
    return this.handle(id).query(stateQuery);
  }

  update<A>(id: string, def: UpdateDefinition<IncidentState, [A]>, arg: A): Promise<IncidentState> {
    return this.handle(id).executeUpdate(def, { args: [arg] });
  }

  /** The events the workflow recorded, in the order it made them. */
  async events(id: string): Promise<IncidentEvent[]> {
    const rows = await this.t.db
      .selectFrom('outbox')
      .select('payload')
      .where('kind', '=', 'event')
      .where('dedupeKey', 'like', `${incidentWorkflowId(id)}#%`)
      .orderBy('dedupeKey')
      .execute();
    return rows.map((r) => r.payload as IncidentEvent);
  }

  async eventsOf<T extends EventType>(id: string, type: T): Promise<Extract<IncidentEvent, { type: T }>[]> {
    return (await this.events(id)).filter((e): e is Extract<IncidentEvent, { type: T }> => e.type === type);
  }

  async alerts(id: string): Promise<AlertRow[]> {
    return this.t.db.selectFrom('alerts').selectAll().where('incidentId', '=', id).orderBy('raisedAt').orderBy('id').execute();
  }

  async restartWorker(): Promise<void> {
    this.worker = await startTestWorker({ db: this.t.db, taskQueue: this.taskQueue });
  }

  async stopWorker(): Promise<void> {
    await this.worker?.stop();
    this.worker = undefined;
  }

  async close(): Promise<void> {
    await this.stopWorker();
    // Leave nothing running on the shared dev server.
    await terminateTestWorkflows(this.client, this.taskQueue);
    await this.client.connection.close();
    await this.t.drop();
  }
}
