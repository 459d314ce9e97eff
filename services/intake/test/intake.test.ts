import type { Client } from '@temporalio/client';
import { createServer, type App } from '@yuqing/http-kit';
import { loadConfig, SEARCH_ATTRIBUTES } from '@yuqing/shared';
import { connectTestClient, createTestDatabase, createTestKey, sampleIncident, testLogger, testTaskQueue, type TestDatabase } from '@yuqing/testkit';
import { intakeApp } from '../src/app';
import { createWorkflowStarter } from '../src/incidents/workflow-starter';
import * as repository from '../src/reports/report.repository';

let t: TestDatabase;
let app: App;
let temporal: Client;
let key: string;
let readOnlyKey: string;
const taskQueue = testTaskQueue();
const config = loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue, BODY_LIMIT_BYTES: '65536' });

const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/incidents',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function counts() {
  const [incidents, outbox, audit] = await Promise.all([
    t.db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    t.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    t.db
      .selectFrom('auditLog')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { incidents: Number(incidents.n), outbox: Number(outbox.n), audit: Number(audit.n) };
}

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await connectTestClient();
  key = await createTestKey(t.db, { scopes: ['incidents:write', 'incidents:read'], id: 'monitoring-platform' });
  readOnlyKey = await createTestKey(t.db, { scopes: ['incidents:read'] });
  app = createServer({ log: testLogger('intake'), bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(intakeApp, { db: t.db, config, temporal, onAccepted: () => undefined });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  for await (const wf of temporal.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
    await temporal.workflow
      .getHandle(wf.workflowId)
      .terminate('test finished')
      .catch(() => undefined);
  }
  await temporal.connection.close();
  await t.drop();
});

describe('POST /v1/incidents', () => {
  it('accepts the contract example: 202 with the links, stored durably with its workflow queued', async () => {
    const res = await post(sampleIncident());
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tier: 'sensitive',
      status: 'received',
      reportId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      outcome: 'opened',
      workflowId: `incident-${body.id}`,
      links: {
        self: `http://localhost:3001/v1/incidents/${body.id}`,
        timeline: `http://localhost:3003/v1/incidents/${body.id}/timeline`,
        temporalUi: `http://localhost:8233/namespaces/default/workflows/incident-${body.id}`,
      },
    });
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const row = await t.db.selectFrom('incidents').select(['districtCode', 'tier', 'clientId']).where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ districtCode: '230103', tier: 'sensitive', clientId: 'monitoring-platform' });
    const command = await t.db.selectFrom('outbox').select(['kind', 'doneAt']).where('dedupeKey', '=', body.workflowId).executeTakeFirstOrThrow();
    expect(command).toEqual({ kind: 'start_workflow', doneAt: null });
    const audit = await t.db.selectFrom('auditLog').select(['actorId', 'action']).where('incidentId', '=', body.id).execute();
    expect(audit).toEqual([{ actorId: 'monitoring-platform', action: 'incident.received' }]);

    const got = await app.inject({ url: `/v1/incidents/${body.id}`, headers: { authorization: `Bearer ${key}` } });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id: body.id, tierLabel: '敏感舆情', districtName: '南岗区', topicLabel: '食品安全', statusLabel: '已接收' });
  });

  it('starts the workflow from the outbox, visible with its search attributes and summary', async () => {
    const res = await post(sampleIncident({ flags: ['livelihood'], district: '230102' }));
    const { workflowId } = res.json();
    const starter = createWorkflowStarter({ db: t.db, temporal, taskQueue, log: testLogger(), pollMs: 60_000 });
    expect(await starter.drainOnce()).toBeGreaterThanOrEqual(1);
    const desc = await temporal.workflow.getHandle(workflowId).describe();
    expect(desc.taskQueue).toBe(taskQueue);
    expect(desc.typedSearchAttributes.get(SEARCH_ATTRIBUTES.tier)).toBe('major');
    expect(desc.typedSearchAttributes.get(SEARCH_ATTRIBUTES.district)).toBe('230102');
    expect(desc.typedSearchAttributes.get(SEARCH_ATTRIBUTES.overdue)).toBe(false);
    expect(desc.memo).toMatchObject({ title: '网传南岗区某幼儿园食堂使用变质食材' });
    expect(await desc.staticSummary()).toBe('【重大舆情】网传南岗区某幼儿园食堂使用变质食材');
    // Starting again (a relay retry after a crash) is harmless.
    await t.db.updateTable('outbox').set({ doneAt: null }).where('dedupeKey', '=', workflowId).execute();
    expect(await starter.drainOnce()).toBe(1);
  });

  it('returns the same incident for the same Idempotency-Key, and refuses the key with another body', async () => {
    const incident = sampleIncident();
    const first = await post(incident, { 'idempotency-key': 'retry-1' });
    const second = await post(incident, { 'idempotency-key': 'retry-1' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    const other = await post({ ...incident, title: '另一条' }, { 'idempotency-key': 'retry-1' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'idempotency_key_reused', errors: [{ field: 'headers.idempotency-key' }] });
  });

  it('opens one incident for one Idempotency-Key sent twelve times at once, with its key, report, figures, start and audit entry', async () => {
    const before = await counts();
    const incident = sampleIncident({ source: { ...sampleIncident().source, externalId: undefined } });
    const results = await Promise.all(Array.from({ length: 12 }, () => post(incident, { 'idempotency-key': 'race-1' })));
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    const after = await counts();
    expect([after.incidents - before.incidents, after.outbox - before.outbox]).toEqual([1, 1]);
    // Everything opening it writes is there, tied to it.
    const id = results[0]!.json().id as string;
    const key = await t.db.selectFrom('idempotencyKeys').selectAll().where('key', '=', 'race-1').executeTakeFirstOrThrow();
    const reports = await t.db.selectFrom('reports').select(['id', 'outcome']).where('incidentId', '=', id).execute();
    expect(reports).toEqual([{ id: key.reportId, outcome: 'opened' }]);
    expect(key.incidentId).toBe(id);
    const totals = await t.db.selectFrom('incidentTotals').select(['sources', 'reach']).where('incidentId', '=', id).execute();
    expect(totals).toEqual([{ sources: 1, reach: incident.metrics!.reach }]);
    expect(await t.db.selectFrom('incidentMinutes').select('reports').where('incidentId', '=', id).execute()).toEqual([{ reports: 1 }]);
    const audit = await t.db.selectFrom('auditLog').select(['action', 'actorId']).where('incidentId', '=', id).execute();
    expect(audit).toEqual([{ action: 'incident.received', actorId: expect.any(String) }]);
  });

  it('keeps Idempotency-Keys per client: another client’s same key opens its own incident, and a read-only key is refused', async () => {
    const incident = sampleIncident();
    const first = await post(incident, { 'idempotency-key': 'shared-key-1' });
    expect(first.statusCode).toBe(202);
    const other = await createTestKey(t.db, { scopes: ['incidents:write'], id: 'district-reporter' });
    const before = await counts();
    const theirs = await post({ ...incident, title: '另一家单位的报告' }, { 'idempotency-key': 'shared-key-1', authorization: `Bearer ${other}` });
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json().id).not.toBe(first.json().id);
    const refused = await post(sampleIncident(), { 'idempotency-key': 'shared-key-2', authorization: `Bearer ${readOnlyKey}` });
    expect(refused.statusCode).toBe(403);
    const after = await counts();
    expect(after.incidents - before.incidents).toBe(1);
    const keys = await t.db
      .selectFrom('idempotencyKeys')
      .select(['clientId', 'incidentId'])
      .where('key', 'in', ['shared-key-1', 'shared-key-2'])
      .orderBy('clientId')
      .execute();
    expect(keys).toEqual([
      { clientId: 'district-reporter', incidentId: theirs.json().id },
      { clientId: 'monitoring-platform', incidentId: first.json().id },
    ]);
  });

  it('answers a key stored before reports were kept with its incident', async () => {
    const incident = sampleIncident();
    const first = await post(incident, { 'idempotency-key': 'legacy-1' });
    expect(first.statusCode).toBe(202);
    await t.db.updateTable('idempotencyKeys').set({ reportId: null }).where('key', '=', 'legacy-1').execute();
    const again = await post(incident, { 'idempotency-key': 'legacy-1' });
    expect([again.statusCode, again.json().id]).toEqual([200, first.json().id]);
    expect((await post({ ...incident, title: '另一条' }, { 'idempotency-key': 'legacy-1' })).statusCode).toBe(422);
  });

  it('returns the same incident for the same caller id, also when duplicates race', async () => {
    const before = await counts();
    const incident = sampleIncident();
    const results = await Promise.all(Array.from({ length: 12 }, () => post(incident)));
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.statusCode === 202)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(11);
    const after = await counts();
    expect(after.incidents - before.incidents).toBe(1);
    expect(after.outbox - before.outbox).toBe(1);
  });

  it('opens an incident for each of 12 reports with their own caller ids sent at once, each deciding in one look under its locks', async () => {
    const before = await counts();
    const looks = jest.spyOn(repository, 'lookUpKeys');
    const locks = jest.spyOn(repository, 'lockKeys');
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => post(sampleIncident())));
      expect(results.map((r) => r.statusCode)).toEqual(Array(12).fill(202));
      expect(new Set(results.map((r) => r.json().id)).size).toBe(12);
      const after = await counts();
      expect(after.incidents - before.incidents).toBe(12);
      expect(after.outbox - before.outbox).toBe(12);
      // Each other incident of the topic committed meanwhile used to send one back to look, lock and look again.
      expect(looks).toHaveBeenCalledTimes(12);
      expect(locks).toHaveBeenCalledTimes(12);
    } finally {
      looks.mockRestore();
      locks.mockRestore();
    }
  });

  it('takes a caller’s new figures into the incident its incident is being merged into, not a 500', async () => {
    const first = sampleIncident();
    const from = (await post(first)).json().id as string;
    const into = (await post(sampleIncident({ source: { ...first.source, url: 'https://weibo.example.com/other', externalId: `other-${from}` } }))).json()
      .id as string;
    // A merge's records, as the activity writes them, held open while the caller measures its post again.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockedNow = new Promise<void>((r) => (locked = r));
    const merge = t.db.transaction().execute(async (trx) => {
      await trx.selectFrom('incidents').select('id').where('id', 'in', [from, into].sort()).orderBy('id').forUpdate().execute();
      await trx.updateTable('reports').set({ incidentId: into }).where('incidentId', '=', from).execute();
      await trx.updateTable('incidents').set({ mergedInto: into }).where('id', '=', from).execute();
      locked();
      await held;
    });
    await lockedNow;
    const before = await counts();
    const again = post({ ...first, metrics: { ...first.metrics, reach: 4_000_000 } });
    await new Promise((r) => setTimeout(r, 300));
    release();
    await merge;
    const res = await again;
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(into);
    expect((await counts()).incidents).toBe(before.incidents);
    const reports = await t.db.selectFrom('reports').select(['incidentId', 'reach']).where('externalId', '=', first.source.externalId!).execute();
    expect(reports).toEqual(expect.arrayContaining([{ incidentId: into, reach: 4_000_000 }]));
  });

  it('refuses bad input with problem+json naming each field, and stores nothing', async () => {
    const before = await counts();
    const bad = await post({
      ...sampleIncident(),
      source: { url: 'javascript:alert(1)' },
      topic: 'weather',
      district: '朝阳区',
      metrics: { reportCount: -3 },
      surprise: true,
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    const problem = bad.json();
    expect(problem).toMatchObject({ type: 'urn:problem:yuqing:validation_failed', status: 422, code: 'validation_failed' });
    const fields = problem.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.source.url', 'body.topic', 'body.district', 'body.metrics.reportCount', 'body']));
    expect(problem.errors.find((e: { field: string }) => e.field === 'body').message).toMatch(/surprise/);
    expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+/); // no stack trace

    const malformed = await post('{"title": ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('malformed_body');

    const wrongType = await app.inject({
      method: 'POST',
      url: '/v1/incidents',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(wrongType.statusCode).toBe(415);

    const huge = await post({ ...sampleIncident(), summary: 'x'.repeat(70_000) });
    expect(huge.statusCode).toBe(413);

    expect(await counts()).toEqual(before);
  });

  it('refuses text that cannot be stored or shows nothing, naming the field; nothing stored', async () => {
    const before = await counts();
    for (const [field, value] of [
      ['title', '网传\u0000某地'],
      ['summary', '多名家长\u0007发帖'],
      ['title', '\u200b\u200d \u202e'],
    ] as const) {
      const res = await post({ ...sampleIncident(), [field]: value });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([expect.objectContaining({ field: `body.${field}` })]);
    }
    const fine = await post(sampleIncident(), { 'idempotency-key': 'ok' });
    expect(fine.statusCode).toBe(202);
    const sourceNul = await post({ ...sampleIncident(), source: { url: 'https://weibo.com/1', externalId: 'a\u0000b' } });
    expect(sourceNul.json().errors[0].field).toBe('body.source.externalId');
    const queryNul = await app.inject({ url: '/v1/incidents?topic=food%00safety', headers: { authorization: `Bearer ${key}` } });
    expect(queryNul.statusCode).toBe(400);
    const year0 = await app.inject({ url: '/v1/incidents?before=0000-01-01T00:00:00Z', headers: { authorization: `Bearer ${readOnlyKey}` } });
    expect(year0.statusCode).toBe(400);
    expect(year0.json().errors[0].field).toBe('querystring.before');
    expect((await counts()).incidents).toBe(before.incidents + 1);
  });

  it('finds an incident by its id in upper case too', async () => {
    const { id } = (await post(sampleIncident())).json();
    const upper = await app.inject({ url: `/v1/incidents/${id.toUpperCase()}`, headers: { authorization: `Bearer ${key}` } });
    expect(upper.statusCode).toBe(200);
    expect(upper.json().id).toBe(id);
  });

  it('needs a known key with the right scope', async () => {
    const none = await app.inject({ method: 'POST', url: '/v1/incidents', payload: sampleIncident() });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const unknown = await post(sampleIncident(), { authorization: 'Bearer yq_not-a-real-key' });
    expect(unknown.statusCode).toBe(401);
    const readOnly = await post(sampleIncident(), { authorization: `Bearer ${readOnlyKey}` });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().detail).toMatch(/incidents:write/);
    // Authentication comes before validation: an anonymous caller learns nothing about the schema.
    const anonymousBad = await app.inject({ method: 'POST', url: '/v1/incidents', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(anonymousBad.statusCode).toBe(401);
  });
});

describe('POST /v1/incidents/batch', () => {
  const batch = (incidents: unknown[], headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/incidents/batch', headers: { authorization: `Bearer ${key}`, ...headers }, payload: { incidents } });

  it('answers each item: accepted and repeat side by side', async () => {
    const dup = sampleIncident();
    await post(dup);
    const res = await batch([sampleIncident(), dup, sampleIncident({ flags: ['tied_to_emergency'] })]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, duplicates: 1, rejected: 0 });
    expect(body.results.map((r: { status: number }) => r.status)).toEqual([202, 200, 202]);
    expect(body.results[2].incident.tier).toBe('critical');
  });

  it('checks the whole batch first: one bad item stores nothing and names its fields', async () => {
    const before = await counts();
    // The NUL byte passed validation once, was stored half-way through a batch and its retry doubled the rest.
    const res = await batch([sampleIncident(), { title: '缺少字段' }, sampleIncident({ title: '' }), sampleIncident()]);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.incidents.1.source', 'body.incidents.1.topic', 'body.incidents.2.title']));
    const nul = await batch([sampleIncident(), sampleIncident({ summary: '摘要\u0000截断' })]);
    expect(nul.statusCode).toBe(422);
    expect(nul.json().errors).toEqual([expect.objectContaining({ field: 'body.incidents.1.summary', message: expect.stringContaining('U+0000') })]);
    expect(await counts()).toEqual(before);
  });

  it('a retried batch creates nothing new: each item is one incident, by caller id or by the batch key', async () => {
    const items = [sampleIncident(), sampleIncident(), sampleIncident()];
    const first = await batch(items);
    expect(first.json().accepted).toBe(3);
    const middle = await counts();
    const again = await batch(items);
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 3 });
    expect(again.json().results.map((r: { incident: { id: string } }) => r.incident.id)).toEqual(
      first.json().results.map((r: { incident: { id: string } }) => r.incident.id),
    );
    expect(await counts()).toEqual(middle);

    // Without caller ids the batch needs its own key, and item i is `<key>#i`.
    const anonymous = [sampleIncident({ source: { url: 'https://weibo.com/x/1' } }), sampleIncident({ source: { url: 'https://weibo.com/x/2' } })];
    const refused = await batch(anonymous);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors.map((e: { field: string }) => e.field)).toEqual(['body.incidents.0.source.externalId', 'body.incidents.1.source.externalId']);
    const keyed = await batch(anonymous, { 'idempotency-key': 'batch-20261201-01' });
    expect(keyed.json().accepted).toBe(2);
    const replay = await batch(anonymous, { 'idempotency-key': 'batch-20261201-01' });
    expect(replay.json()).toMatchObject({ accepted: 0, duplicates: 2 });
  });

  it('refuses an empty or oversized batch', async () => {
    const empty = await app.inject({ method: 'POST', url: '/v1/incidents/batch', headers: { authorization: `Bearer ${key}` }, payload: { incidents: [] } });
    expect(empty.statusCode).toBe(422);
    const many = await app.inject({
      method: 'POST',
      url: '/v1/incidents/batch',
      headers: { authorization: `Bearer ${key}` },
      payload: { incidents: Array.from({ length: 101 }, () => ({})) },
    });
    expect(many.statusCode).toBe(422);
  });
});

describe('GET /v1/incidents', () => {
  it('lists with filters and refuses unknown query parameters', async () => {
    const res = await app.inject({ url: '/v1/incidents?tier=critical&limit=5', headers: { authorization: `Bearer ${readOnlyKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.every((i: { tier: string }) => i.tier === 'critical')).toBe(true);
    const bad = await app.inject({ url: '/v1/incidents?teir=critical', headers: { authorization: `Bearer ${readOnlyKey}` } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].message).toMatch(/teir/);
    const notFound = await app.inject({ url: '/v1/incidents/3fa85f64-5717-4562-b3fc-2c963f66afa6', headers: { authorization: `Bearer ${readOnlyKey}` } });
    expect(notFound.statusCode).toBe(404);
    const badId = await app.inject({ url: '/v1/incidents/not-a-uuid', headers: { authorization: `Bearer ${readOnlyKey}` } });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('params.id');
  });
});

describe('operations', () => {
  it('serves health, readiness and the OpenAPI spec', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ database: 'up', temporal: 'up' });
    const spec = (await app.inject({ url: '/docs/json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/incidents', '/v1/incidents/batch', '/v1/incidents/{id}']));
    expect(spec.paths['/v1/incidents'].post.requestBody.content['application/json'].schema.properties.source).toBeDefined();
    const page = await app.inject({ url: '/docs' });
    expect([200, 302]).toContain(page.statusCode);
  });
});

describe('who sees what (plan §2: jurisdiction first, whoever is in charge is responsible)', () => {
  let ids: { nangangFood: string; daoliFood: string; daoliPricing: string };
  const keysOf: Record<string, string> = {};

  beforeAll(async () => {
    keysOf.nangang = await createTestKey(t.db, { scopes: ['incidents:read', 'incidents:write'], unitId: 'district-230103' });
    keysOf.food = await createTestKey(t.db, { scopes: ['incidents:read'], unitId: 'dept-food-safety' });
    keysOf.office = await createTestKey(t.db, { scopes: ['incidents:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
    const mk = async (o: Parameters<typeof sampleIncident>[0]) => (await post(sampleIncident(o))).json().id as string;
    ids = {
      nangangFood: await mk({ district: '南岗区', topic: 'food_safety' }),
      daoliFood: await mk({ district: '道里区', topic: 'food_safety' }),
      daoliPricing: await mk({ district: '道里区', topic: 'pricing' }),
    };
  });

  const get = (key: string, id: string) => app.inject({ url: `/v1/incidents/${id}`, headers: { authorization: `Bearer ${key}` } });
  const list = async (key: string) =>
    ((await app.inject({ url: '/v1/incidents?limit=200', headers: { authorization: `Bearer ${key}` } })).json().items as { id: string }[]).map((i) => i.id);

  it('a district bureau sees its own district only; another district’s incident is not found', async () => {
    expect((await get(keysOf.nangang!, ids.nangangFood)).statusCode).toBe(200);
    expect((await get(keysOf.nangang!, ids.daoliFood)).statusCode).toBe(404);
    const seen = await list(keysOf.nangang!);
    expect(seen).toContain(ids.nangangFood);
    expect(seen).not.toContain(ids.daoliFood);
    expect(seen).not.toContain(ids.daoliPricing);
  });

  it('a department sees its line of business in every district', async () => {
    const seen = await list(keysOf.food!);
    expect(seen).toEqual(expect.arrayContaining([ids.nangangFood, ids.daoliFood]));
    expect(seen).not.toContain(ids.daoliPricing);
    expect((await get(keysOf.food!, ids.daoliPricing)).statusCode).toBe(404);
  });

  it('the office sees all; a system client sees what it reported', async () => {
    expect(await list(keysOf.office!)).toEqual(expect.arrayContaining(Object.values(ids)));
    expect((await get(readOnlyKey, ids.daoliPricing)).statusCode).toBe(404);
    expect((await get(key, ids.daoliPricing)).statusCode).toBe(200);
  });

  it('a district bureau reports for its own district only', async () => {
    const other = await post(sampleIncident({ district: '道里区' }), { authorization: `Bearer ${keysOf.nangang}` });
    expect(other.statusCode).toBe(403);
    const own = await post(sampleIncident({ district: '南岗区' }), { authorization: `Bearer ${keysOf.nangang}` });
    expect(own.statusCode).toBe(202);
  });
});
