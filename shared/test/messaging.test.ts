import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  applyEventsOnce,
  consumeEvents,
  ensureDurableConsumer,
  ensureIncidentStream,
  enqueue,
  OutboxRelay,
  publishEvent,
  recordAudit,
  type EventBus,
  type IncidentEvent,
} from '../src';
import { connectTestBus, createTestDatabase, destroyTestBus, eventually, testLogger, testNatsOptions, type TestDatabase } from '@yuqing/testkit';

const log = testLogger('messaging');

function ackEvent(n: number, incidentId = randomUUID()): IncidentEvent {
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

let t: TestDatabase;
let bus: EventBus;

beforeAll(async () => {
  t = await createTestDatabase();
  bus = await connectTestBus(testNatsOptions('messaging-test'));
});
afterAll(async () => {
  await destroyTestBus(bus);
  await t.drop();
});

describe('transactional outbox', () => {
  it('keeps failed work and retries it until it succeeds, then marks it done once', async () => {
    await enqueue(t.db, { kind: 'event', dedupeKey: 'k1', payload: { n: 1 } });
    await enqueue(t.db, { kind: 'event', dedupeKey: 'k1', payload: { n: 1 } }); // same key: no second row
    let calls = 0;
    let healthy = false;
    const relay = new OutboxRelay<{ n: number }>({
      db: t.db,
      kind: 'event',
      log,
      pollMs: 50,
      handle: async () => {
        calls++;
        if (!healthy) throw new Error('NATS down');
      },
    });
    expect(await relay.drainOnce()).toBe(0);
    const failed = await t.db.selectFrom('outbox').select(['attempts', 'lastError', 'doneAt']).where('dedupeKey', '=', 'k1').executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ attempts: 1, lastError: 'NATS down', doneAt: null });
    healthy = true;
    await sql`update outbox set available_at = now()`.execute(t.db);
    expect(await relay.drainOnce()).toBe(1);
    expect(await relay.drainOnce()).toBe(0);
    expect(calls).toBe(2);
    const rows = await t.db.selectFrom('outbox').select(['doneAt']).where('dedupeKey', '=', 'k1').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.doneAt).not.toBeNull();
  });

  it('never hands the same row to two relays at once', async () => {
    for (let i = 0; i < 40; i++) await enqueue(t.db, { kind: 'start_workflow', dedupeKey: `w${i}`, payload: { i } });
    const seen: number[] = [];
    const make = () =>
      new OutboxRelay<{ i: number }>({
        db: t.db,
        kind: 'start_workflow',
        log,
        pollMs: 10_000,
        batchSize: 7,
        handle: async (p) => {
          await new Promise((r) => setTimeout(r, 5));
          seen.push(p.i);
        },
      });
    await Promise.all([make().drainOnce(), make().drainOnce(), make().drainOnce()]);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
  });

  it("a timer's pass that finds nothing due locks nothing (one question); a row nobody woke it for is claimed by the next", async () => {
    // What the relay sends, by the query tree: the claim is the one statement that locks rows.
    const sent: string[] = [];
    const watched = t.db.withPlugin({
      transformQuery: (args) => {
        sent.push(JSON.stringify(args.node).includes('ForUpdate') ? 'claim' : args.node.kind);
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const handled: number[] = [];
    const relay = new OutboxRelay<{ n: number }>({
      db: watched,
      kind: 'update_workflow',
      log,
      pollMs: 100,
      handle: async (p) => {
        handled.push(p.n);
      },
    }).start();
    try {
      await new Promise((r) => setTimeout(r, 450));
      expect(sent.length).toBeGreaterThanOrEqual(3);
      expect(sent).not.toContain('claim');
      expect(new Set(sent)).toEqual(new Set(['SelectQueryNode']));
      // Queued by another process: nothing wakes this relay.
      await enqueue(t.db, { kind: 'update_workflow', dedupeKey: `u-${randomUUID()}`, payload: { n: 7 } });
      await eventually(() => handled.includes(7), 5_000, 'the row claimed by a timer pass');
      expect(sent).toContain('claim');
      const left = await t.db.selectFrom('outbox').select('id').where('kind', '=', 'update_workflow').where('doneAt', 'is', null).execute();
      expect(left).toEqual([]);
    } finally {
      await relay.stop();
    }
  });
});

describe('audit log', () => {
  it('is append-only', async () => {
    await recordAudit(t.db, { actor: { id: 'tester', kind: 'person' }, action: 'unit.updated', entity: 'unit', entityId: 'x', after: { a: 1 } });
    await expect(sql`update audit_log set action = 'forged'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(t.db)).rejects.toThrow(/append-only/);
  });
});

describe('JetStream', () => {
  it('creates the stream and consumers idempotently', async () => {
    await ensureIncidentStream(bus);
    await ensureDurableConsumer(bus, 'twice');
    await ensureDurableConsumer(bus, 'twice');
    const info = await bus.jsm.streams.info(bus.stream);
    expect(info.config.subjects).toEqual([`${bus.subjectPrefix}incident.>`]);
    expect((await bus.jsm.consumers.info(bus.stream, 'twice')).config.filter_subject).toBe(`${bus.subjectPrefix}incident.>`);
  });

  it('drops a republished event (same Nats-Msg-Id), and a consumer applies each event once, in batches that one bad event cannot hold back', async () => {
    const incidentId = randomUUID();
    const e1 = ackEvent(1, incidentId);
    const e2 = ackEvent(2, incidentId);
    const e3 = ackEvent(3, incidentId);
    const e4 = ackEvent(4, incidentId);
    expect((await publishEvent(bus, e1)).duplicate).toBe(false);
    expect((await publishEvent(bus, e1)).duplicate).toBe(true);
    await publishEvent(bus, e2);
    // A malformed message is terminated, not retried forever, and does not block the rest.
    await bus.js.publish(`${bus.subjectPrefix}incident.acknowledged`, JSON.stringify({ hello: 'world' }));
    await publishEvent(bus, e3);
    await publishEvent(bus, e4);

    await ensureDurableConsumer(bus, 'once');
    const applied: string[] = [];
    const batchSizes: number[] = [];
    let failFirst = true;
    let e4Failures = 2;
    const abort = new AbortController();
    const done = consumeEvents({
      bus,
      durable: 'once',
      log,
      signal: abort.signal,
      handler: async (events) => {
        batchSizes.push(events.length);
        const committed: string[] = [];
        await applyEventsOnce(t.db, 'once', events, async (_trx, fresh) => {
          for (const event of fresh) {
            // e4 fails inside the transaction twice: its batch rolls back, the others go on alone.
            if (event.id === e4.id && e4Failures-- > 0) throw new Error('e4 cannot be applied yet');
            committed.push(event.id);
          }
        });
        applied.push(...committed);
        // The first commit holding e1 "crashes" before the ack: the redelivery must not apply it again.
        if (failFirst && committed.includes(e1.id)) {
          failFirst = false;
          throw new Error('crash before ack');
        }
      },
    });
    await eventually(() => applied.length === 4 && applied, 20_000, 'four events applied');
    // The nak'd deliveries come back, are recognised as applied, and are acked.
    await eventually(async () => (await bus.jsm.consumers.info(bus.stream, 'once')).num_ack_pending === 0, 20_000, 'all acked');
    abort.abort();
    await done;
    expect([...applied].sort()).toEqual([e1.id, e2.id, e3.id, e4.id].sort());
    // Waiting messages are handled together (on a loaded machine the first pull may bring only some of them).
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect((await bus.jsm.consumers.info(bus.stream, 'once')).delivered.stream_seq).toBe(5);
  });
});
