import type { Client } from '@temporalio/client';
import { createServer, type App } from '@yuqing/http-kit';
import { DEFAULT_POLICY, durationMs, loadConfig, runConsumer, type ConsumerRunner, type EventBus } from '@yuqing/shared';
import {
  connectTestBus,
  connectTestClient,
  createTestDatabase,
  createTestKey,
  destroyTestBus,
  eventually,
  reportTestIncident,
  startTestWorker,
  testLogger,
  testNatsOptions,
  type TestDatabase,
  type TestWorker,
  terminateTestWorkflows,
} from '@yuqing/testkit';
import { dispatchApp } from '../src/app';
import { createTaskProjection } from '../src/consumers/task-projection';

let t: TestDatabase;
let bus: EventBus;
let worker: TestWorker;
let temporal: Client;
let consumer: ConsumerRunner;
let app: App;
const keys = {} as Record<'admin' | 'nangang' | 'daoli' | 'office' | 'leaderInCharge', string>;

async function report(overrides = {}): Promise<string> {
  const incident = await reportTestIncident(t.db, temporal, worker.taskQueue, overrides);
  await eventually(async () => (await tasks('district-230103', incident.id)).length > 0, 20_000, 'tasks projected');
  return incident.id;
}

async function tasks(unit: string, incidentId: string, status = 'open,waiting') {
  const res = await app.inject({ url: `/v1/tasks?unit=${unit}&status=${status}`, headers: { authorization: `Bearer ${keys.admin}` } });
  return (res.json().items as { incidentId: string; key: string; status: string; dueAt: string | null; label: string }[]).filter(
    (x) => x.incidentId === incidentId,
  );
}

const act = (key: string, url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, ...headers }, payload: payload as object });

beforeAll(async () => {
  t = await createTestDatabase();
  const natsOptions = testNatsOptions('dispatch-test');
  bus = await connectTestBus(natsOptions);
  worker = await startTestWorker({ db: t.db, bus });
  temporal = await connectTestClient();
  consumer = runConsumer({ nats: natsOptions, durable: 'dispatch', log: testLogger(), handler: createTaskProjection(t.db) });
  keys.admin = await createTestKey(t.db, { scopes: ['admin'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.daoli = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230102', roles: ['district_bureau'] });
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office', 'office_director'] });
  keys.leaderInCharge = await createTestKey(t.db, { scopes: ['tasks:act'], unitId: 'leadership-group', roles: ['leader_in_charge'] });
  const config = loadConfig({});
  app = createServer({ log: testLogger('dispatch'), bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(dispatchApp, { db: t.db, config, temporal, natsConnected: () => consumer.bus() !== undefined });
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

describe('unit tasks', () => {
  it('a unit sees its open tasks with deadlines; not another unit’s', async () => {
    const id = await report();
    const mine = await tasks('district-230103', id);
    expect(mine.map((x) => x.key).sort()).toEqual(['acknowledge:district-230103', 'investigation_report:district-230103']);
    expect(mine.every((x) => x.dueAt && x.label)).toBe(true);
    const own = await app.inject({ url: '/v1/tasks', headers: { authorization: `Bearer ${keys.nangang}` } });
    expect(own.statusCode).toBe(200);
    expect(own.json().items.every((x: { unitId: string }) => x.unitId === 'district-230103')).toBe(true);
    const other = await app.inject({ url: '/v1/tasks?unit=district-230103', headers: { authorization: `Bearer ${keys.daoli}` } });
    expect(other.statusCode).toBe(403);
    const office = await app.inject({ url: '/v1/tasks?unit=opinion-office', headers: { authorization: `Bearer ${keys.office}` } });
    expect(office.json().items.map((x: { kind: string }) => x.kind)).toEqual(expect.arrayContaining(['digest', 'cyberspace_liaison']));
  });

  it('says what comes next for each open task if nobody acts: its policy’s reminder or escalation', async () => {
    const id = await report();
    const [ack] = (await tasks('district-230103', id)).filter((x) => x.key === 'acknowledge:district-230103') as unknown as {
      dueAt: string;
      next: { action: string; at: string; notify: string[] } | null;
    }[];
    // The default policy (sensitive): chased at the deadline, then up the chain.
    const policy = DEFAULT_POLICY.tiers.sensitive.tasks.find((x) => x.kind === 'acknowledge')!;
    const first = policy.chain![0]!;
    expect(ack!.next).toEqual({ action: first.action, at: new Date(Date.parse(ack!.dueAt) + durationMs(first.after)).toISOString(), notify: first.notify });
  });
});

describe('the console’s origin', () => {
  it('may call dispatch from the browser (CORS); no other origin may', async () => {
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/v1/tasks',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
      });
    const fromConsole = await preflight(new URL(loadConfig({}).REPORTING_PUBLIC_URL).origin);
    expect(fromConsole.statusCode).toBe(204);
    expect(fromConsole.headers['access-control-allow-origin']).toBe(new URL(loadConfig({}).REPORTING_PUBLIC_URL).origin);
    expect(String(fromConsole.headers['access-control-allow-headers']).toLowerCase()).toContain('idempotency-key');
    const stranger = await preflight('https://evil.example.net');
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('actions forwarded to the workflow', () => {
  it('maps the workflow’s verdicts to HTTP and keeps the read model current', async () => {
    const id = await report();
    const base = `/v1/incidents/${id}/actions`;

    const ack = await act(keys.nangang, `${base}/acknowledge`, {});
    expect(ack.statusCode).toBe(200);
    expect(ack.json().tasks.find((x: { key: string }) => x.key === 'acknowledge:district-230103').status).toBe('done');
    const again = await act(keys.nangang, `${base}/acknowledge`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'conflict', detail: expect.stringContaining('已完成') });

    // Another district's bureau does not even learn the incident exists.
    const forOther = await act(keys.daoli, `${base}/acknowledge`, { unitId: 'district-230103' });
    expect(forOther.statusCode).toBe(404);
    const otherState = await app.inject({ url: `/v1/incidents/${id}/state`, headers: { authorization: `Bearer ${keys.daoli}` } });
    expect(otherState.statusCode).toBe(404);
    // The office names the unit it acts for (代办, with a reason); the unit must be assigned.
    const notAssigned = await act(keys.office, `${base}/acknowledge`, { unitId: 'district-230184', proxy: { reason: '电话确认' } });
    expect(notAssigned.statusCode).toBe(404);

    // The channel is data (两微一端): an unknown or retired one is refused before the workflow is asked.
    await t.db.insertInto('releaseChannels').values({ id: 'retired-app', name: '旧版客户端', kind: 'news_app', url: null, active: false }).execute();
    for (const channel of ['tv', 'retired-app']) {
      const refused = await act(keys.office, `${base}/release`, { form: 'press_release', summary: '情况通报', channel });
      expect([refused.statusCode, refused.json().errors.map((e: { field: string }) => e.field)]).toEqual([422, ['body.channel']]);
      expect(refused.json().detail).toContain('未知或已停用的发布渠道');
    }
    const release = await act(keys.office, `${base}/release`, { form: 'press_release', summary: '情况通报', channel: 'website' });
    expect(release.statusCode).toBe(409);
    expect(release.json().detail).toContain('talking points not yet approved');

    const badReport = await act(keys.nangang, `${base}/report`, { kind: 'final', findings: { truth: 'maybe' }, dispositions: ['shrug'] });
    expect(badReport.statusCode).toBe(422);
    expect(badReport.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['body.findings.truth', 'body.findings.whatHappened', 'body.dispositions.0']),
    );

    const noRole = await act(keys.office, `/v1/incidents/${id}/tasks/talking_points_approval/approve`, { role: 'leader' });
    expect(noRole.statusCode).toBe(403);
    const notYet = await act(keys.leaderInCharge, `/v1/incidents/${id}/tasks/talking_points_approval/approve`, { role: 'leader_in_charge' });
    expect(notYet.statusCode).toBe(409);
    expect(notYet.json().detail).toContain('拟订回应口径');

    const close = await act(keys.office, `${base}/close`, { reason: '结束' });
    expect(close.statusCode).toBe(409);

    const unknown = await act(keys.office, `/v1/incidents/3fa85f64-5717-4562-b3fc-2c963f66afa6/actions/close`, { reason: 'x' });
    expect(unknown.statusCode).toBe(404);

    await eventually(
      async () => (await tasks('district-230103', id, 'done')).some((x) => x.key === 'acknowledge:district-230103'),
      10_000,
      'done in read model',
    );
    // The audit log ties the state change to the person and the request that made it.
    const audit = await t.db
      .selectFrom('auditLog')
      .select(['actorId', 'unitId', 'requestId', 'after'])
      .where('incidentId', '=', id)
      .where('action', '=', 'incident.acknowledged')
      .executeTakeFirstOrThrow();
    expect(audit.unitId).toBe('district-230103');
    expect(audit.requestId).toBe(ack.headers['x-request-id']);
    expect(JSON.stringify(audit.after)).toContain('acknowledge:district-230103');
  });

  it('applies a retried action once (Idempotency-Key is the update id)', async () => {
    const id = await report();
    const headers = { 'idempotency-key': `ack-${id}` };
    const first = await act(keys.nangang, `/v1/incidents/${id}/actions/acknowledge`, {}, headers);
    const second = await act(keys.nangang, `/v1/incidents/${id}/actions/acknowledge`, {}, headers);
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    const acks = await t.db.selectFrom('outbox').select('dedupeKey').where('dedupeKey', 'like', `incident-${id}#%.acknowledged`).execute();
    expect(acks).toHaveLength(1);
  });

  it('a unit that says "not ours" asks the office, which hands it on; the original clock keeps running; the district follows', async () => {
    const id = await report();
    const original = (await tasks('district-230103', id)).find((x) => x.key === 'acknowledge:district-230103')!;
    // The unit no longer moves its part itself: it asks (杜绝推诿, plan §8(五)3).
    const direct = await act(keys.nangang, `/v1/incidents/${id}/actions/reassign`, {
      fromUnitId: 'district-230103',
      toUnitId: 'district-230102',
      reason: '不属本辖区',
    });
    expect(direct.statusCode).toBe(403);
    expect(direct.json().detail).toContain('申请移交');
    const bad = await act(keys.nangang, `/v1/incidents/${id}/actions/hand-off`, { toUnitId: 'nowhere', reason: '不属本辖区' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0]).toMatchObject({ field: 'body.toUnitId' });
    const asked = await act(keys.nangang, `/v1/incidents/${id}/actions/hand-off`, { toUnitId: 'district-230102', reason: '涉事门店位于道里区' });
    expect(asked.statusCode).toBe(200);
    expect(asked.json().handOffs).toEqual([expect.objectContaining({ unitId: 'district-230103', toUnitId: 'district-230102' })]);
    // Not the office: no confirming, no refusing.
    const byDaoli = await act(keys.daoli, `/v1/incidents/${id}/actions/refuse-hand-off`, { unitId: 'district-230103', reason: '不同意' });
    expect([403, 404]).toContain(byDaoli.statusCode);

    const res = await act(keys.office, `/v1/incidents/${id}/actions/reassign`, {
      fromUnitId: 'district-230103',
      toUnitId: 'district-230102',
      reason: '经核实由道里区局承办',
    });
    expect(res.statusCode).toBe(200);
    const state = res.json();
    expect(state.assignments.map((a: { unitId: string }) => a.unitId)).toContain('district-230102');
    expect(state.district).toBe('230102');
    const task = (key: string) => state.tasks.find((x: { key: string }) => x.key === key) as { status: string; openedAt: string; dueAt: string };
    expect(task('acknowledge:district-230103').status).toBe('cancelled');
    // The receiving unit works on the clock the first unit had.
    expect(task('acknowledge:district-230102').dueAt).toBe(original.dueAt);
    await eventually(async () => (await tasks('district-230102', id)).length === 2, 10_000, 'new unit tasks');
    // The district follows: the incident is listed under 道里区 now.
    await eventually(
      async () => (await t.db.selectFrom('incidents').select('districtCode').where('id', '=', id).executeTakeFirst())?.districtCode === '230102',
      10_000,
      'district follows',
    );
  });

  it('reads the live state from the workflow', async () => {
    const id = await report();
    const res = await app.inject({ url: `/v1/incidents/${id}/state`, headers: { authorization: `Bearer ${keys.office}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ incidentId: id, tier: 'sensitive', status: 'handling', policyVersion: 'city@1' });
  });
});
