/**
 * The whole path with every part a separate process, as in production: an
 * incident posted over HTTP becomes a workflow, its events cross NATS, dispatch
 * makes the unit's task, reporting the timeline, and Temporal keeps the history.
 */
import type { Client } from '@temporalio/client';
import {
  connectTestClient,
  createTestDatabase,
  createTestKey,
  eventually,
  type PlatformProcesses,
  sampleIncident,
  startPlatformProcesses,
  terminateTestWorkflows,
  type TestDatabase,
  testNatsOptions,
  testPlatformEnv,
  testTaskQueue,
} from '@yuqing/testkit';

let t: TestDatabase;
let temporal: Client;
let key: string;
let nangangKey: string;
let platform: PlatformProcesses;
const urls = { intake: '', dispatch: '', reporting: '' };
const taskQueue = testTaskQueue();
const nats = testNatsOptions();

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await connectTestClient();
  key = await createTestKey(t.db, { scopes: ['admin'] });
  // Steps are taken by the unit's own people: the district bureau's duty officer acknowledges.
  nangangKey = await createTestKey(t.db, { scopes: ['tasks:act'], unitId: 'district-230103', roles: ['district_bureau'] });
  platform = await startPlatformProcesses({ ...testPlatformEnv(t.url, nats, taskQueue) });
  Object.assign(urls, platform.urls);
});

afterAll(async () => {
  await platform.stop();
  await terminateTestWorkflows(temporal, taskQueue);
  await temporal.connection.close();
  await t.drop();
});

const auth = () => ({ authorization: `Bearer ${key}` });

it('an incident posted over HTTP reaches the unit as a task, the timeline and the workflow history', async () => {
  const res = await fetch(`${urls.intake}/v1/incidents`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify(sampleIncident()),
  });
  expect(res.status).toBe(202);
  const accepted = (await res.json()) as { id: string; workflowId: string; links: { self: string; timeline: string } };

  const task = await eventually(
    async () => {
      const r = await fetch(`${urls.dispatch}/v1/tasks?unit=district-230103`, { headers: auth() });
      const body = (await r.json()) as { items: { incidentId: string; key: string; dueAt: string }[] };
      return body.items.find((x) => x.incidentId === accepted.id && x.key === 'acknowledge:district-230103');
    },
    30_000,
    'the district bureau’s task',
  );
  expect(Date.parse(task.dueAt)).toBeGreaterThan(Date.now());

  const timeline = await eventually(
    async () => {
      const r = await fetch(accepted.links.timeline, { headers: auth() });
      const body = (await r.json()) as { entries: { type: string }[] };
      return body.entries.length >= 3 && body.entries.map((e) => e.type);
    },
    30_000,
    'the timeline',
  );
  expect(timeline.slice(0, 3)).toEqual(['received', 'assessed', 'dispatched']);

  const self = await fetch(accepted.links.self, { headers: auth() });
  expect(((await self.json()) as { status: string }).status).toBe('handling');

  const history = await temporal.workflow.getHandle(accepted.workflowId).fetchHistory();
  // The activities run as local activities: their results are markers in the history.
  const localActivities = (history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data)
    .filter((d): d is Uint8Array => d instanceof Uint8Array)
    .map((d) => (JSON.parse(Buffer.from(d).toString()) as { activity_type: string }).activity_type);
  expect(localActivities).toEqual(expect.arrayContaining(['prepareIncident', 'recordEvents']));

  // A human step through dispatch lands in the timeline too.
  const ack = await fetch(`${urls.dispatch}/v1/incidents/${accepted.id}/actions/acknowledge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${nangangKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({}),
  });
  expect(ack.status).toBe(200);
  await eventually(
    async () => {
      const r = await fetch(accepted.links.timeline, { headers: auth() });
      return ((await r.json()) as { entries: { type: string }[] }).entries.some((e) => e.type === 'acknowledged');
    },
    30_000,
    'acknowledged in the timeline',
  );
});

it('serves OpenAPI and health on every service', async () => {
  for (const base of Object.values(urls)) {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const spec = (await (await fetch(`${base}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths).length).toBeGreaterThan(0);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
  }
});

it('every process drains and exits cleanly on SIGTERM', async () => {
  const { procs } = platform;
  const codes = await Promise.all(Object.values(procs).map((p) => p.stop('SIGTERM')));
  expect(codes).toEqual([0, 0, 0, 0]);
  expect(procs.worker.output()).toContain('worker stopped');
});
