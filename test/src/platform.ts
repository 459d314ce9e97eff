/**
 * The whole platform in the test's process, on real servers: a database, a NATS
 * stream and a task queue of the test's own, the incident worker with its event
 * relay, intake's relays (start and re-assess), dispatch's and reporting's
 * consumers, and the three HTTP apps. Tests call the apps through `inject` as a
 * client would call them over HTTP.
 */
import type { Client } from '@temporalio/client';
import { createServer, type App } from '@yuqing/http-kit';
import { createWorkflowStarter, createWorkflowUpdater, intakeApp } from '@yuqing/intake';
import { createNotifications, createTaskProjection, dispatchApp, type DispatchDeps, type Notifications } from '@yuqing/dispatch';
import { createTimelineProjection, LiveFeed, reportingApp } from '@yuqing/reporting';
import {
  createTemporalClient,
  loadConfig,
  runConsumer,
  type Config,
  type ConsumerRunner,
  type EventBus,
  type OutboxRelay,
  type PolicyDocumentInput,
  type Role,
  type Db,
  type Scope,
} from '@yuqing/shared';
import { createTestDatabase, type TestDatabase } from './database';
import { createTestKey, publishCityPolicy, sampleIncident } from './fixtures';
import { connectTestBus, destroyTestBus, testNatsOptions } from './nats';
import { connectTestClient, startTestWorker, terminateTestWorkflows, testLogger, type TestWorker } from './temporal';
import { stackEnv } from './env';
import { eventually } from './wait';

/** What `inject` answers: status, headers, body. */
export type InjectResponse = Awaited<ReturnType<App['inject']>>;

export type AppName = 'intake' | 'dispatch' | 'reporting';

export interface TestPlatform {
  readonly t: TestDatabase;
  readonly temporal: Client;
  readonly worker: TestWorker;
  readonly bus: EventBus;
  readonly config: Config;
  readonly apps: Readonly<Record<AppName, App>>;
  /** With `notifications: true`: dispatch's planner and delivery worker, sending to the configured channels. */
  readonly notifications?: Notifications;
  /** A key for a system client, or (with roles) for a person of a unit. */
  key(options: { scopes: Scope[]; unitId?: string; roles?: Role[]; id?: string }): Promise<string>;
  /** Reports an incident through intake with `key` and waits until its tasks are projected; returns its id. */
  report(key: string, overrides?: Parameters<typeof sampleIncident>[0]): Promise<string>;
  /** Calls a service as an HTTP client would. */
  call(
    service: AppName,
    key: string | undefined,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<InjectResponse>;
  stop(): Promise<void>;
}

export async function startTestPlatform(
  options: { policy?: PolicyDocumentInput; env?: Record<string, string>; notifications?: boolean } = {},
): Promise<TestPlatform> {
  const t = await createTestDatabase();
  const natsOptions = testNatsOptions('platform');
  const bus = await connectTestBus(natsOptions);
  const worker = await startTestWorker({ db: t.db, bus });
  const temporal = await connectTestClient();
  if (options.policy) await publishCityPolicy(t.db, options.policy);
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '100000', OUTBOX_POLL_MS: '200', ...options.env });
  // Notifications are sent only where a test sets up receivers (SMTP_URL, NOTIFY_ALLOW_HOSTS in `env`).
  const notifications = options.notifications ? createNotifications({ db: t.db, config, log: testLogger('dispatch'), bus: () => bus }).start() : undefined;
  const projection = notifications
    ? createTaskProjection(t.db, { plan: notifications.plan, onDeliveriesQueued: () => notifications.wake() })
    : createTaskProjection(t.db);
  const consumers: ConsumerRunner[] = [
    runConsumer({ nats: natsOptions, durable: 'dispatch', log: testLogger('dispatch'), handler: projection }),
    runConsumer({ nats: natsOptions, durable: 'reporting', log: testLogger('reporting'), handler: createTimelineProjection(t.db) }),
  ];
  const relays: OutboxRelay<unknown>[] = [
    createWorkflowStarter({ db: t.db, temporal, taskQueue: worker.taskQueue, log: testLogger('intake'), pollMs: 200 }).start(),
    createWorkflowUpdater({ db: t.db, temporal, log: testLogger('intake'), pollMs: 200 }).start(),
  ];
  const wake = () => relays.forEach((r) => r.wake());
  const apps = {
    intake: createServer({ log: testLogger('intake'), bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY }),
    dispatch: createServer({ log: testLogger('dispatch'), bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY }),
    reporting: createServer({ log: testLogger('reporting'), bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY }),
  };
  await apps.intake.register(intakeApp, { db: t.db, config, temporal, onAccepted: wake });
  await apps.dispatch.register(dispatchApp, {
    db: t.db,
    config,
    temporal,
    natsConnected: () => true,
    ...(notifications ? { onDeliveriesQueued: () => notifications.wake() } : {}),
  });
  await apps.reporting.register(reportingApp, { db: t.db, config, natsConnected: () => true, live: new LiveFeed(), liveWatching: () => false });
  await Promise.all(Object.values(apps).map((a) => a.ready()));

  const call: TestPlatform['call'] = (service, key, method, url, body, headers = {}) =>
    apps[service].inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });

  return {
    t,
    temporal,
    worker,
    bus,
    config,
    apps,
    ...(notifications ? { notifications } : {}),
    key: (o) => createTestKey(t.db, o),
    call,
    async report(key, overrides = {}) {
      const res = await call('intake', key, 'POST', '/v1/incidents', sampleIncident(overrides));
      if (res.statusCode !== 202) throw new Error(`intake answered ${res.statusCode}: ${res.body}`);
      const id = res.json().id as string;
      await eventually(
        async () => (await t.db.selectFrom('tasks').select('key').where('incidentId', '=', id).executeTakeFirst()) !== undefined,
        20_000,
        `tasks of ${id} projected`,
      );
      return id;
    },
    async stop() {
      await Promise.all(Object.values(apps).map((a) => a.close()));
      for (const r of relays) await r.stop();
      for (const c of consumers) await c.stop();
      await notifications?.stop();
      await worker.stop();
      await terminateTestWorkflows(temporal, worker.taskQueue);
      await temporal.connection.close();
      await destroyTestBus(bus);
      await t.drop();
    },
  };
}

/**
 * The dispatch app alone, for tests of the directory, policies and outbound
 * paths: no worker; its Temporal client connects to the shared server when first used.
 */
export async function startDispatchApp(db: Db, config: Config, deps: Partial<Omit<DispatchDeps, 'db' | 'config'>> = {}): Promise<App> {
  const app = createServer({ log: testLogger('dispatch'), bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY });
  await app.register(dispatchApp, {
    db,
    config,
    temporal: createTemporalClient({ address: stackEnv().temporalAddress, namespace: 'default' }),
    natsConnected: () => true,
    ...deps,
  });
  await app.ready();
  return app;
}
