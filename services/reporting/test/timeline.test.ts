import type { Client } from '@temporalio/client';
import { createServer, type App } from '@yuqing/http-kit';
import { acceptIncident } from '@yuqing/intake';
import { IncidentInputSchema, loadConfig, runConsumer, type ConsumerRunner, type EventBus } from '@yuqing/shared';
import {
  connectTestBus,
  connectTestClient,
  createTestDatabase,
  createTestKey,
  destroyTestBus,
  dispatchedEvent,
  eventually,
  reportTestIncident,
  sampleIncident,
  startTestWorker,
  testLogger,
  testNatsOptions,
  type TestDatabase,
  type TestWorker,
  terminateTestWorkflows,
} from '@yuqing/testkit';
import { LiveFeed, reportingApp } from '../src/app';
import { createTimelineProjection } from '../src/consumers/timeline-projection';

let t: TestDatabase;
let bus: EventBus;
let worker: TestWorker;
let temporal: Client;
let consumer: ConsumerRunner;
let app: App;
let key: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const natsOptions = testNatsOptions('reporting-test');
  bus = await connectTestBus(natsOptions);
  worker = await startTestWorker({ db: t.db, bus });
  temporal = await connectTestClient();
  consumer = runConsumer({ nats: natsOptions, durable: 'reporting', log: testLogger(), handler: createTimelineProjection(t.db) });
  key = await createTestKey(t.db, { scopes: ['reports:read'], unitId: 'opinion-office' });
  const config = loadConfig({});
  app = createServer({ log: testLogger('reporting'), bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(reportingApp, { db: t.db, config, natsConnected: () => consumer.bus() !== undefined, live: new LiveFeed(), liveWatching: () => false });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await consumer.stop();
  await worker.stop();
  await terminateTestWorkflows(temporal, worker.taskQueue);
  await temporal.connection.close();
  await destroyTestBus(bus);
  await t.drop();
});

describe('GET /v1/incidents/:id/timeline', () => {
  it('shows every event of the incident in order, worded in Chinese with Beijing time', async () => {
    const incident = await reportTestIncident(t.db, temporal, worker.taskQueue);
    const timeline = await eventually(
      async () => {
        const res = await app.inject({ url: `/v1/incidents/${incident.id}/timeline`, headers: { authorization: `Bearer ${key}` } });
        const body = res.json();
        return res.statusCode === 200 && body.entries.length >= 3 && body;
      },
      20_000,
      'three timeline entries',
    );
    expect(timeline.entries.map((e: { type: string }) => e.type)).toEqual(['received', 'assessed', 'dispatched']);
    const [received, assessed, dispatched] = timeline.entries;
    expect(received.text).toContain('网传南岗区某幼儿园食堂使用变质食材');
    expect(assessed.text).toContain('敏感舆情');
    expect(dispatched.text).toContain('南岗区市场监督管理局');
    expect(dispatched.text).toContain('分管业务局领导');
    expect(received.occurredAtLocal).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(received.label).toBe('接收舆情');
  });

  it('answers 404 for an unknown incident and 401 without a key', async () => {
    const res = await app.inject({ url: '/v1/incidents/3fa85f64-5717-4562-b3fc-2c963f66afa6/timeline', headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/incidents/3fa85f64-5717-4562-b3fc-2c963f66afa6/timeline' })).statusCode).toBe(401);
  });
});

describe('the projection', () => {
  it('writes a batch of events as one entry each, once: a redelivery in the batch and an event applied before add nothing', async () => {
    const { incident } = await acceptIncident(
      t.db,
      { id: 'monitoring', kind: 'client', name: 'm', scopes: ['admin'], roles: [] },
      IncidentInputSchema.parse(sampleIncident()),
      {},
    );
    const project = createTimelineProjection(t.db);
    const [e1, e2, e3] = [1, 2, 3].map((seq) => dispatchedEvent(incident, { seq }));
    await project([e1!]);
    await project([e1!, e2!, e3!, e2!]);
    await project([e3!]);
    const entries = await t.db.selectFrom('timelineEntries').select(['eventId', 'type']).where('incidentId', '=', incident.id).orderBy('eventId').execute();
    expect(entries).toEqual([e1, e2, e3].map((e) => ({ eventId: e!.id, type: 'dispatched' })));
    const processed = await t.db
      .selectFrom('processedEvents')
      .select('eventId')
      .where('consumer', '=', 'reporting')
      .where('eventId', 'in', [e1!.id, e2!.id, e3!.id])
      .execute();
    expect(processed).toHaveLength(3);
  });
});

describe('jurisdiction', () => {
  it('another district’s bureau does not find the timeline', async () => {
    const { incident } = await acceptIncident(
      t.db,
      { id: 'monitoring', kind: 'client', name: 'm', scopes: ['admin'], roles: [] },
      IncidentInputSchema.parse(sampleIncident({ district: '南岗区' })),
      {},
    );
    const daoli = await createTestKey(t.db, { scopes: ['reports:read'], unitId: 'district-230102' });
    const nangang = await createTestKey(t.db, { scopes: ['reports:read'], unitId: 'district-230103' });
    expect((await app.inject({ url: `/v1/incidents/${incident.id}/timeline`, headers: { authorization: `Bearer ${daoli}` } })).statusCode).toBe(404);
    expect((await app.inject({ url: `/v1/incidents/${incident.id}/timeline`, headers: { authorization: `Bearer ${nangang}` } })).statusCode).toBe(200);
  });
});
