/**
 * The reporting service on the real servers, for one test file: its own
 * database, stream and task queue; the incident worker; the timeline and task
 * projections (reporting's and dispatch's consumers); the live source; and
 * dispatch's app so that tests act on incidents through the same REST steps as units.
 */
import type { Client } from '@temporalio/client';
import { dispatchApp, createTaskProjection } from '@yuqing/dispatch';
import { createServer, type App } from '@yuqing/http-kit';
import { loadConfig, runConsumer, type ConsumerRunner, type EventBus, type EventWatcher, type IncidentInputRaw } from '@yuqing/shared';
import {
  connectTestBus,
  connectTestClient,
  createTestDatabase,
  destroyTestBus,
  reportTestIncident,
  startTestWorker,
  testLogger,
  testNatsOptions,
  type TestDatabase,
  type TestWorker,
  terminateTestWorkflows,
} from '@yuqing/testkit';
import { LiveFeed, reportingApp } from '../src/app';
import { createTimelineProjection } from '../src/consumers/timeline-projection';
import { runLiveSource } from '../src/live/live-source';

export interface ReportingHarness {
  readonly t: TestDatabase;
  readonly temporal: Client;
  readonly worker: TestWorker;
  /** The reporting app under test. */
  readonly app: App;
  /** Dispatch, for the units' steps (acknowledge, complete, approve…). */
  readonly dispatch: App;
  readonly live: LiveFeed;
  readonly watcher: EventWatcher;
  /** Accepts an incident as intake does and starts its workflow; returns its id. */
  report(overrides?: Partial<IncidentInputRaw>): Promise<string>;
  close(): Promise<void>;
}

export async function startReportingHarness(name: string): Promise<ReportingHarness> {
  const t = await createTestDatabase();
  const natsOptions = testNatsOptions(name);
  const bus: EventBus = await connectTestBus(natsOptions);
  const worker = await startTestWorker({ db: t.db, bus });
  const temporal = await connectTestClient();
  const consumers: ConsumerRunner[] = [
    runConsumer({ nats: natsOptions, durable: 'reporting', log: testLogger(), handler: createTimelineProjection(t.db) }),
    runConsumer({ nats: natsOptions, durable: 'dispatch', log: testLogger(), handler: createTaskProjection(t.db) }),
  ];
  const live = new LiveFeed();
  const watcher = runLiveSource({ db: t.db, nats: natsOptions, log: testLogger('live'), feed: live });
  await watcher.ready;

  const config = loadConfig({ REPORTING_PUBLIC_URL: 'http://reporting.test', TEMPORAL_UI_URL: 'http://temporal-ui.test' });
  const app = createServer({ log: testLogger('reporting'), bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(reportingApp, { db: t.db, config, natsConnected: () => consumers[0]!.bus() !== undefined, live, liveWatching: watcher.watching });
  await app.ready();
  const dispatch = createServer({ log: testLogger('dispatch'), bodyLimit: config.BODY_LIMIT_BYTES });
  await dispatch.register(dispatchApp, { db: t.db, config, temporal, natsConnected: () => true });
  await dispatch.ready();

  return {
    t,
    temporal,
    worker,
    app,
    dispatch,
    live,
    watcher,
    async report(overrides = {}) {
      return (await reportTestIncident(t.db, temporal, worker.taskQueue, overrides)).id;
    },
    async close() {
      await app.close();
      await dispatch.close();
      await watcher.stop();
      for (const c of consumers) await c.stop();
      await worker.stop();
      await terminateTestWorkflows(temporal, worker.taskQueue);
      await temporal.connection.close();
      await destroyTestBus(bus);
      await t.drop();
    },
  };
}
