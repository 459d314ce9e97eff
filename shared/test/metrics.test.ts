/**
 * The measures read at scrape time, against real PostgreSQL and NATS: the
 * outbox's backlog and oldest age, a durable consumer's lag, deadlines due
 * without their alert, and what /metrics shows when a source is away.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  consumeEvents,
  createDb,
  createMetricsRegistry,
  enqueue,
  ensureDurableConsumer,
  ensureIncidentStream,
  publishEvent,
  registerConsumerMetrics,
  registerDeadlineMetrics,
  registerOutboxMetrics,
  type EventBus,
  type IncidentEvent,
  type Registry,
} from '../src';
import { connectTestBus, createTestDatabase, destroyTestBus, eventually, testLogger, testNatsOptions, type TestDatabase } from '@yuqing/testkit';

let t: TestDatabase;
let bus: EventBus;

beforeAll(async () => {
  t = await createTestDatabase();
  bus = await connectTestBus(testNatsOptions('metrics-test'));
  await ensureIncidentStream(bus);
});
afterAll(async () => {
  await destroyTestBus(bus);
  await t.drop();
});

/** One sample's value from the text Prometheus scrapes (undefined when the series is absent). */
async function sample(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await registry.metrics();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

function event(n: number, incidentId = randomUUID()): IncidentEvent {
  return {
    id: `incident-${incidentId}#${String(n).padStart(4, '0')}.acknowledged`,
    type: 'acknowledged',
    incidentId,
    tier: 'general',
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
    data: { unitId: 'district-230103' },
  };
}

describe('outbox', () => {
  it('counts waiting rows per kind and ages the oldest; done rows leave both', async () => {
    const registry = createMetricsRegistry('worker', { processMetrics: false });
    registerOutboxMetrics(registry, t.db, ['event', 'start_workflow'], 0);
    expect(await sample(registry, 'yuqing_outbox_backlog', { kind: 'event' })).toBe(0);
    expect(await sample(registry, 'yuqing_outbox_oldest_age_seconds', { kind: 'event' })).toBe(0);

    const events = [event(1), event(2)];
    await enqueue(
      t.db,
      events.map((e) => ({ kind: 'event' as const, dedupeKey: e.id, payload: e })),
    );
    // One of them has waited 40 s (NATS was away).
    await t.db
      .updateTable('outbox')
      .set({ createdAt: sql`now() - interval '40 seconds'` })
      .where('dedupeKey', '=', events[0]!.id)
      .execute();
    expect(await sample(registry, 'yuqing_outbox_backlog', { kind: 'event', service: 'worker' })).toBe(2);
    expect(await sample(registry, 'yuqing_outbox_oldest_age_seconds', { kind: 'event' })).toBeGreaterThanOrEqual(40);
    expect(await sample(registry, 'yuqing_outbox_backlog', { kind: 'start_workflow' })).toBe(0);

    await t.db
      .updateTable('outbox')
      .set({ doneAt: sql`now()` })
      .where('kind', '=', 'event')
      .execute();
    expect(await sample(registry, 'yuqing_outbox_backlog', { kind: 'event' })).toBe(0);
    expect(await sample(registry, 'yuqing_outbox_oldest_age_seconds', { kind: 'event' })).toBe(0);
    expect(await sample(registry, 'yuqing_metrics_source_up', { source: 'outbox' })).toBe(1);
  });

  it('reads the database at most once per interval however often it is scraped', async () => {
    const registry = createMetricsRegistry('intake', { processMetrics: false });
    registerOutboxMetrics(registry, t.db, ['update_workflow'], 60_000);
    expect(await sample(registry, 'yuqing_outbox_backlog', { kind: 'update_workflow' })).toBe(0);
    await enqueue(t.db, { kind: 'update_workflow', dedupeKey: `u-${randomUUID()}`, payload: {} });
    expect(await sample(registry, 'yuqing_outbox_backlog', { kind: 'update_workflow' })).toBe(0);
    const fresh = createMetricsRegistry('intake', { processMetrics: false });
    registerOutboxMetrics(fresh, t.db, ['update_workflow'], 60_000);
    expect(await sample(fresh, 'yuqing_outbox_backlog', { kind: 'update_workflow' })).toBe(1);
  });

  it('drops the series and marks the source down when the database does not answer; /metrics still renders', async () => {
    const away = createDb({ url: 'postgres://postgres@127.0.0.1:1/none', poolMax: 1, applicationName: 'metrics-test' });
    try {
      const registry = createMetricsRegistry('worker', { processMetrics: false });
      registerOutboxMetrics(registry, away, ['event'], 0);
      registerDeadlineMetrics(registry, away, 0);
      const text = await registry.metrics();
      expect(text).not.toMatch(/^yuqing_outbox_backlog\{/m);
      expect(await sample(registry, 'yuqing_metrics_source_up', { source: 'outbox' })).toBe(0);
      expect(await sample(registry, 'yuqing_metrics_source_up', { source: 'deadlines' })).toBe(0);
      // The connection string is nowhere in what is served.
      expect(text).not.toContain('127.0.0.1:1');
    } finally {
      await away.destroy();
    }
  });
});

describe('consumer lag', () => {
  it('is what the durable consumer has not acknowledged, read from the server', async () => {
    const durable = `metrics-${randomUUID().slice(0, 8)}`;
    await ensureDurableConsumer(bus, durable);
    const registry = createMetricsRegistry('dispatch', { processMetrics: false });
    registerConsumerMetrics(registry, [{ durable, bus: () => bus }], 0);
    const before = (await sample(registry, 'yuqing_consumer_lag_messages', { consumer: durable }))!;
    for (let i = 1; i <= 3; i++) await publishEvent(bus, event(i));
    expect(await sample(registry, 'yuqing_consumer_lag_messages', { consumer: durable })).toBe(before + 3);

    const abort = new AbortController();
    let handled = 0;
    const consuming = consumeEvents({
      bus,
      durable,
      log: testLogger('metrics-test'),
      signal: abort.signal,
      handler: async (events) => void (handled += events.length),
    });
    await eventually(() => handled >= before + 3, 15_000, 'events consumed');
    await eventually(async () => (await sample(registry, 'yuqing_consumer_lag_messages', { consumer: durable })) === 0, 15_000, 'lag back to 0');
    expect(await sample(registry, 'yuqing_consumer_ack_pending_messages', { consumer: durable })).toBe(0);
    abort.abort();
    await consuming;
  });

  it('is absent, with its source down, while NATS is not connected', async () => {
    const registry = createMetricsRegistry('reporting', { processMetrics: false });
    registerConsumerMetrics(registry, [{ durable: 'reporting', bus: () => undefined }], 0);
    expect(await sample(registry, 'yuqing_consumer_lag_messages', { consumer: 'reporting' })).toBeUndefined();
    expect(await sample(registry, 'yuqing_metrics_source_up', { source: 'nats' })).toBe(0);
  });
});

describe('deadlines due without an alert', () => {
  async function openTask(incidentId: string, key: string, dueSecondsAgo: number): Promise<Date> {
    const dueAt = new Date(Date.now() - dueSecondsAgo * 1_000);
    await t.db
      .insertInto('tasks')
      .values({
        incidentId,
        key,
        kind: 'acknowledge',
        owner: 'district_bureau',
        unitId: 'district-230103',
        status: 'open',
        mandatory: true,
        phase: 'handling',
        round: 0,
        openedAt: new Date(dueAt.getTime() - 60_000),
        dueAt,
        overdue: false,
        approvalsNeeded: JSON.stringify([]),
        approvals: JSON.stringify([]),
        seq: 1,
        incidentTier: 'sensitive',
      })
      .execute();
    return dueAt;
  }

  it('counts open tasks due beyond the grace until their lapse alert is stored', async () => {
    const registry = createMetricsRegistry('worker', { processMetrics: false });
    registerDeadlineMetrics(registry, t.db, 0);
    const base = (await sample(registry, 'yuqing_deadlines_due_unalerted'))!;
    const incidentId = randomUUID();
    const dueAt = await openTask(incidentId, 'acknowledge', 30);
    await openTask(incidentId, 'acknowledge#soon', 1); // within the grace: timers are allowed a moment
    await openTask(incidentId, 'acknowledge#old', 3 * 24 * 3_600); // days ago: outside the window
    expect(await sample(registry, 'yuqing_deadlines_due_unalerted')).toBe(base + 1);

    await t.db
      .insertInto('alerts')
      .values({
        id: `${incidentId}#lapse`,
        incidentId,
        taskKey: 'acknowledge',
        taskKind: 'acknowledge',
        kind: 'deadline_lapsed',
        stage: null,
        owner: 'district_bureau',
        unitId: 'district-230103',
        notified: JSON.stringify([]),
        dueAt,
        raisedAt: new Date(),
        lateMs: 30_000,
      })
      .execute();
    expect(await sample(registry, 'yuqing_deadlines_due_unalerted')).toBe(base);
  });
});
