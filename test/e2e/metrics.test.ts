/**
 * Metrics on the running platform (every part its own process, as `make up` runs
 * it): each service's GET /metrics and the worker's metrics port answer without a
 * key and outside the rate limits, label requests by route template, show nothing
 * secret, and move with what happens: a deadline lapses → the lateness histogram
 * counts it; a row waits in the outbox → its backlog and age show it; a delivery
 * is sent or gives up → the delivery counters and the dead letters show it.
 */
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Client } from '@temporalio/client';
import { DEFAULT_POLICY, type PolicyDocumentInput } from '@yuqing/shared';
import {
  connectTestClient,
  createTestDatabase,
  createTestKey,
  eventually,
  freePort,
  hasMetric,
  HttpReceiver,
  metricTotal,
  type MetricSamples,
  parseMetrics,
  type PlatformProcesses,
  publishCityPolicy,
  RECEIVER_ALLOW_HOSTS,
  sampleIncident,
  startPlatformProcesses,
  startService,
  stackEnv,
  terminateTestWorkflows,
  type TestDatabase,
  testNatsOptions,
  testPlatformEnv,
  testTaskQueue,
} from '@yuqing/testkit';

let t: TestDatabase;
let temporal: Client;
let admin: string;
let platform: PlatformProcesses;
let receiver: HttpReceiver;
const taskQueue = testTaskQueue();
const nats = testNatsOptions('metrics-e2e');
const ANONYMOUS_PER_MINUTE = 5;

/** 南岗区 must acknowledge a sensitive incident within 2 s; nothing else is asked. */
function twoSecondPolicy(): PolicyDocumentInput {
  const doc = structuredClone<PolicyDocumentInput>(DEFAULT_POLICY);
  doc.name = '测试策略(2 秒签收时限)';
  doc.tiers.sensitive.tasks = [{ kind: 'acknowledge', owner: 'district_bureau', deadline: '2s', chain: [] }];
  return doc;
}

async function scrape(base: string): Promise<{ text: string; samples: MetricSamples }> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  return { text, samples: parseMetrics(text) };
}

async function post(url: string, key: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await connectTestClient();
  receiver = await new HttpReceiver().start();
  admin = await createTestKey(t.db, { scopes: ['admin'] });
  await publishCityPolicy(t.db, twoSecondPolicy());
  platform = await startPlatformProcesses({
    ...testPlatformEnv(t.url, nats, taskQueue),
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(ANONYMOUS_PER_MINUTE),
    NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS,
    NOTIFY_POLL_MS: '200',
    NOTIFY_MAX_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  await platform?.stop();
  await receiver?.stop();
  await terminateTestWorkflows(temporal, taskQueue);
  await temporal.connection.close();
  await t.drop();
});

it('every process answers /metrics without a key, beyond the anonymous rate limit that /docs/json hits', async () => {
  const { urls } = platform;
  for (const base of [urls.intake, urls.dispatch, urls.reporting]) {
    const docs: number[] = [];
    for (let i = 0; i < ANONYMOUS_PER_MINUTE + 3; i++) {
      docs.push((await fetch(`${base}/docs/json`)).status);
      await scrape(base);
    }
    // The limit is live (the docs are refused past it), /metrics kept answering 200 (scrape() asserts it).
    expect(docs).toContain(429);
  }
  const worker = await scrape(platform.workerMetricsUrl);
  expect(hasMetric(worker.samples, 'process_cpu_seconds_total', { service: 'worker' })).toBe(true);
  expect((await fetch(`${platform.workerMetricsUrl}/other`)).status).toBe(404);
});

it('the worker answers /healthz and /readyz as the services do: ready once it polls, and a 503 problem naming what is down', async () => {
  expect((await fetch(`${platform.workerMetricsUrl}/healthz`)).status).toBe(200);
  // startPlatformProcesses waited for this answer: the worker polls its task queue.
  const ready = await fetch(`${platform.workerMetricsUrl}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { polling: 'up', temporal: 'up', database: 'up' } });
  // A probe that only reads the status (HEAD), as the services answer it; other methods are not served.
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    const head = await fetch(`${platform.workerMetricsUrl}${path}`, { method: 'HEAD' });
    expect([path, head.status, await head.text()]).toEqual([path, 200, '']);
  }
  expect((await fetch(`${platform.workerMetricsUrl}/readyz`, { method: 'POST' })).status).toBe(404);

  // A worker whose database is gone polls (workflows and timers go on) but is not ready.
  const port = await freePort();
  const gone = new URL(t.url);
  gone.pathname = '/yuqing_no_such_database';
  const lost = startService('worker', {
    ...testPlatformEnv(gone.toString(), nats, testTaskQueue()),
    WORKER_METRICS_PORT: String(port),
  });
  try {
    const answer = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        const body = (await res.json()) as { detail?: string };
        // Before it polls, `polling` is named too; once it does, only the database is.
        return res.status === 503 && body.detail === 'not ready: database down' ? { res, body } : undefined;
      },
      30_000,
      'the worker polling, its database down',
    );
    expect(answer.res.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.res.headers.get('retry-after')).toBe('5');
    expect(answer.body).toMatchObject({ status: 503, code: 'unavailable', instance: '/readyz' });
    // The address of the database is never in the answer.
    expect(JSON.stringify(answer.body)).not.toContain('no_such_database');
  } finally {
    await lost.stop('SIGKILL');
  }
});

it('a worker whose Temporal server goes away is not ready while it keeps retrying its polls, and ready again when it is back', async () => {
  // The worker reaches Temporal through a proxy this test can cut and restore.
  const [host, target] = stackEnv().temporalAddress.split(':') as [string, string];
  const sockets = new Set<Socket>();
  let open = true;
  const proxy = createNetServer((client) => {
    if (!open) return client.destroy();
    const upstream = connect(Number(target), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => (client.destroy(), upstream.destroy(), sockets.delete(s)));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = await freePort();
  const worker = startService('worker', {
    ...testPlatformEnv(t.url, nats, testTaskQueue()),
    TEMPORAL_ADDRESS: `127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    WORKER_METRICS_PORT: String(port),
  });
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as { detail?: string; checks?: Record<string, string> } };
  };
  try {
    await eventually(async () => (await readyz()).status === 200, 30_000, 'the worker ready');
    open = false;
    for (const s of sockets) s.destroy();
    const away = await eventually(
      async () => {
        const r = await readyz();
        return r.status === 503 && r.body;
      },
      15_000,
      'the worker unready while Temporal is away',
    );
    // Still polling as far as the SDK knows (it retries), but the server does not answer.
    expect(away.detail).toBe('not ready: temporal down');
    expect(worker.child.exitCode).toBeNull();
    open = true;
    await eventually(async () => (await readyz()).status === 200, 30_000, 'the worker ready again');
  } finally {
    await worker.stop('SIGKILL');
    for (const s of sockets) s.destroy();
    proxy.close();
  }
});

it('an incident: requests by route template, a lapsed deadline in the lateness histogram, a delivery sent and one dead', async () => {
  const { urls } = platform;
  // 南岗区 hears by webhook (answers 200); the food-safety department's endpoint is down (dead at the first failure).
  const up = await post(`${urls.dispatch}/v1/channels`, admin, {
    unitId: 'district-230103',
    kind: 'webhook',
    address: receiver.endpoint('nangang', { kind: 'webhook' }),
  });
  expect(up.status).toBe(201);
  receiver.get('nangang', 'webhook').secret = ((await up.json()) as { secret: string }).secret;
  const down = await post(`${urls.dispatch}/v1/channels`, admin, {
    unitId: 'dept-food-safety',
    kind: 'webhook',
    address: receiver.endpoint('food', { kind: 'webhook', down: true }),
  });
  expect(down.status).toBe(201);

  const before = { worker: (await scrape(platform.workerMetricsUrl)).samples, dispatch: (await scrape(urls.dispatch)).samples };
  const lapsesBefore = metricTotal(before.worker, 'yuqing_deadline_lateness_seconds_count');

  const accepted = await post(`${urls.intake}/v1/incidents`, admin, sampleIncident());
  expect(accepted.status).toBe(202);
  const { id } = (await accepted.json()) as { id: string };
  expect((await fetch(`${urls.intake}/v1/incidents/${id}`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  expect((await fetch(`${urls.intake}/v1/no-such-route/${id}`)).status).toBe(404);

  // The deadline lapses 2 s after its task opened: each lapse alert is stored and counted once, with its lateness.
  const lapses = () => t.db.selectFrom('alerts').selectAll().where('incidentId', '=', id).where('kind', '=', 'deadline_lapsed').execute();
  await eventually(async () => (await lapses()).length > 0, 30_000, 'the lapse alert');
  const worker = await eventually(
    async () => {
      const s = (await scrape(platform.workerMetricsUrl)).samples;
      return metricTotal(s, 'yuqing_deadline_lateness_seconds_count') - lapsesBefore === (await lapses()).length && s;
    },
    10_000,
    'each lapse in the lateness histogram',
  );
  const alerts = await lapses();
  expect(metricTotal(worker, 'yuqing_deadline_lateness_seconds_count')).toBe(lapsesBefore + alerts.length);
  // Stored after it was raised, so at least as late as the workflow saw it, and (on a loaded test machine) within a minute.
  const raisedLate = alerts.reduce((sum, a) => sum + (a.raisedAt.getTime() - a.dueAt.getTime()) / 1_000, 0);
  expect(
    metricTotal(worker, 'yuqing_deadline_lateness_seconds_sum') - metricTotal(before.worker, 'yuqing_deadline_lateness_seconds_sum'),
  ).toBeGreaterThanOrEqual(raisedLate - 0.001);
  expect(metricTotal(worker, 'yuqing_deadline_lateness_seconds_bucket', { le: '60' })).toBe(lapsesBefore + alerts.length);
  // The SDK's own metrics come through the same port: workflow tasks completed for this queue.
  expect(metricTotal(worker, 'temporal_workflow_task_execution_latency_seconds_count', { task_queue: taskQueue })).toBeGreaterThan(0);
  expect(metricTotal(worker, 'yuqing_deadlines_due_unalerted')).toBe(0);

  // Deliveries: the webhook to 南岗区 sent, the one to the department's dead endpoint a dead letter.
  const dispatch = await eventually(
    async () => {
      const s = (await scrape(urls.dispatch)).samples;
      const sent = metricTotal(s, 'yuqing_deliveries_total', { outcome: 'sent', channel: 'webhook' });
      const dead = metricTotal(s, 'yuqing_deliveries_total', { outcome: 'dead', channel: 'webhook' });
      return sent > 0 && dead > 0 && metricTotal(s, 'yuqing_dead_letters') > 0 && s;
    },
    30_000,
    'a delivery sent and one dead',
  );
  const deadRows = await t.db.selectFrom('deliveries').select('id').where('status', '=', 'dead').execute();
  expect(metricTotal(dispatch, 'yuqing_dead_letters')).toBe(deadRows.length);
  expect(hasMetric(dispatch, 'yuqing_consumer_lag_messages', { consumer: 'dispatch' })).toBe(true);
  expect(hasMetric((await scrape(urls.reporting)).samples, 'yuqing_consumer_lag_messages', { consumer: 'reporting' })).toBe(true);

  // Requests are labelled by the route's template: never the incident's id, nor the unmatched path.
  const intake = await scrape(urls.intake);
  expect(metricTotal(intake.samples, 'yuqing_http_requests_total', { method: 'POST', route: '/v1/incidents', status_code: '202' })).toBe(1);
  expect(metricTotal(intake.samples, 'yuqing_http_requests_total', { method: 'GET', route: '/v1/incidents/:id', status_code: '200' })).toBe(1);
  expect(metricTotal(intake.samples, 'yuqing_http_request_duration_seconds_count', { route: '/v1/incidents/:id' })).toBe(1);
  expect(metricTotal(intake.samples, 'yuqing_http_requests_total', { route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
  expect(intake.text).not.toContain(id);
  expect(intake.text).not.toContain('no-such-route');
  // /metrics does not count itself.
  expect(hasMetric(intake.samples, 'yuqing_http_requests_total', { route: '/metrics' })).toBe(false);

  // Nothing secret in any of them: no key, no database address, no channel address or secret.
  const texts = [intake.text, (await scrape(urls.dispatch)).text, (await scrape(urls.reporting)).text, (await scrape(platform.workerMetricsUrl)).text];
  for (const text of texts) {
    expect(text).not.toContain(admin);
    expect(text).not.toContain(t.url);
    expect(text).not.toContain(receiver.url);
    expect(text).not.toContain('postgres://');
  }
});

it('a row waiting in the outbox shows in its kind’s backlog and age, and leaves them when done', async () => {
  const { urls } = platform;
  // A workflow start that has been retrying for 40 s (Temporal was away): it waits in its backoff.
  const row = await t.db
    .insertInto('outbox')
    .values({
      kind: 'start_workflow',
      dedupeKey: `metrics-test-${Date.now()}`,
      payload: JSON.stringify({}),
      createdAt: new Date(Date.now() - 40_000),
      availableAt: new Date(Date.now() + 3_600_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const waiting = await eventually(
    async () => {
      const s = (await scrape(urls.intake)).samples;
      return metricTotal(s, 'yuqing_outbox_backlog', { kind: 'start_workflow' }) >= 1 && s;
    },
    15_000,
    'the waiting row in the backlog',
  );
  expect(metricTotal(waiting, 'yuqing_outbox_oldest_age_seconds', { kind: 'start_workflow' })).toBeGreaterThanOrEqual(40);
  expect(hasMetric(waiting, 'yuqing_outbox_backlog', { kind: 'update_workflow' })).toBe(true);

  await t.db.updateTable('outbox').set({ doneAt: new Date() }).where('id', '=', row.id).execute();
  await eventually(
    async () => {
      const s = (await scrape(urls.intake)).samples;
      return (
        metricTotal(s, 'yuqing_outbox_backlog', { kind: 'start_workflow' }) === 0 &&
        metricTotal(s, 'yuqing_outbox_oldest_age_seconds', { kind: 'start_workflow' }) === 0
      );
    },
    15_000,
    'the backlog empty again',
  );
});
