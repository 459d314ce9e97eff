/**
 * Bad input against every public endpoint of the three services: a corpus of
 * known-bad requests by category, then a property-based run (fast-check) of random
 * requests. Every answer must be a 4xx problem+json naming what is wrong — never a
 * 5xx, never a crash — and nothing in the database may change. Outcomes go to
 * .data/reliability/bad-input.json for RELIABILITY.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import { createServer, type App } from '@yuqing/http-kit';
import { intakeApp } from '@yuqing/intake';
import { dispatchApp } from '@yuqing/dispatch';
import { LiveFeed, reportingApp } from '@yuqing/reporting';
import { loadConfig } from '@yuqing/shared';
import {
  connectTestClient,
  createTestDatabase,
  createTestKey,
  eventually,
  REPO_ROOT,
  reportTestIncident,
  sampleIncident,
  startTestWorker,
  testLogger,
  type TestDatabase,
  type TestWorker,
  terminateTestWorkflows,
} from '@yuqing/testkit';

jest.setTimeout(240_000);

let t: TestDatabase;
let temporal: Client;
let worker: TestWorker;
const apps = {} as Record<'intake' | 'dispatch' | 'reporting', App>;
const keys = {} as Record<'admin' | 'office' | 'nangang' | 'daoli' | 'daoliEditor' | 'readOnly' | 'revoked', string>;
let incidentId = '';
const outcomes: Record<string, Record<string, number>> = {};

type Req = { service: keyof typeof apps; method: 'GET' | 'POST' | 'PUT'; url: string; headers?: Record<string, string>; payload?: string | Buffer };

const TABLES = [
  'incidents',
  'idempotency_keys',
  'action_requests',
  'reports',
  'outbox',
  'tasks',
  'policies',
  'alerts',
  'audit_log',
  'api_clients',
  'persons',
  'units',
  'routing_rules',
  'timeline_entries',
  'notification_channels',
];

async function snapshot(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) {
    const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}

async function send(category: string, req: Req): Promise<{ status: number; body: string; type: string }> {
  const res = await apps[req.service].inject({
    method: req.method,
    url: req.url,
    headers: { 'content-type': 'application/json', ...req.headers },
    ...(req.payload !== undefined ? { payload: req.payload } : {}),
  });
  outcomes[category] ??= {};
  outcomes[category][res.statusCode] = (outcomes[category][res.statusCode] ?? 0) + 1;
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode >= 500 || res.statusCode < 400 || !type.includes('application/problem+json')) {
    throw new Error(`${category}: ${req.method} ${req.url} answered ${res.statusCode} ${type}: ${res.body.slice(0, 300)}`);
  }
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
  return { status: res.statusCode, body: res.body, type };
}

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** Every endpoint, with a body that is valid where that matters, so each corpus entry breaks one thing. */
function endpoints(): Req[] {
  const id = incidentId;
  return [
    { service: 'intake', method: 'POST', url: '/v1/incidents', payload: JSON.stringify(sampleIncident()) },
    { service: 'intake', method: 'POST', url: '/v1/incidents/batch', payload: JSON.stringify({ incidents: [sampleIncident()] }) },
    { service: 'intake', method: 'GET', url: `/v1/incidents/${id}` },
    { service: 'intake', method: 'GET', url: '/v1/incidents?tier=general' },
    { service: 'dispatch', method: 'GET', url: '/v1/tasks?unit=district-230103' },
    { service: 'dispatch', method: 'GET', url: `/v1/incidents/${id}/tasks` },
    { service: 'dispatch', method: 'GET', url: `/v1/incidents/${id}/state` },
    { service: 'dispatch', method: 'POST', url: `/v1/incidents/${id}/actions/acknowledge`, payload: JSON.stringify({ unitId: 'district-230103' }) },
    { service: 'dispatch', method: 'POST', url: `/v1/incidents/${id}/actions/reclassify`, payload: JSON.stringify({ tier: 'major', reason: '扩散' }) },
    { service: 'dispatch', method: 'POST', url: `/v1/incidents/${id}/actions/close`, payload: JSON.stringify({ reason: '结束', force: true }) },
    { service: 'dispatch', method: 'POST', url: `/v1/incidents/${id}/tasks/digest/complete`, payload: JSON.stringify({ note: '摘报' }) },
    { service: 'dispatch', method: 'PUT', url: '/v1/policies/city', payload: JSON.stringify({ baseVersion: 1, document: {} }) },
    { service: 'reporting', method: 'GET', url: `/v1/incidents/${id}/timeline` },
    { service: 'reporting', method: 'GET', url: `/v1/incidents/${id}/archive` },
    { service: 'reporting', method: 'GET', url: `/v1/incidents/${id}/digest` },
    { service: 'reporting', method: 'GET', url: '/v1/incidents?tier=general' },
    { service: 'reporting', method: 'GET', url: '/v1/stats' },
  ];
}

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await connectTestClient();
  worker = await startTestWorker({ db: t.db });
  keys.admin = await createTestKey(t.db, { scopes: ['admin'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['incidents:write', 'incidents:read', 'tasks:act', 'reports:read'], unitId: 'district-230103' });
  keys.daoli = await createTestKey(t.db, {
    scopes: ['incidents:write', 'incidents:read', 'tasks:act', 'reports:read', 'policies:write'],
    unitId: 'district-230102',
  });
  keys.daoliEditor = await createTestKey(t.db, {
    scopes: ['tasks:act', 'reports:read', 'directory:write', 'policies:write'],
    unitId: 'district-230102',
    roles: ['district_bureau'],
  });
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
  keys.readOnly = await createTestKey(t.db, { scopes: ['reports:read'] });
  keys.revoked = await createTestKey(t.db, { scopes: ['admin'], id: 'revoked-client' });
  await t.db.updateTable('apiClients').set({ revokedAt: new Date() }).where('id', '=', 'revoked-client').execute();
  incidentId = (await reportTestIncident(t.db, temporal, worker.taskQueue)).id;
  await eventually(async () => (await t.db.selectFrom('outbox').select('id').where('kind', '=', 'event').execute()).length >= 3, 20_000, 'incident dispatched');
  // Limits are test/fuzz/limits.test.ts's subject: here every bad request must reach validation.
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '100000', AUTH_FAILURES_PER_MINUTE: '100000' });
  const log = testLogger('fuzz');
  apps.intake = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.intake.register(intakeApp, { db: t.db, config, temporal, onAccepted: () => undefined });
  apps.dispatch = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.dispatch.register(dispatchApp, { db: t.db, config, temporal, natsConnected: () => true });
  apps.reporting = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.reporting.register(reportingApp, { db: t.db, config, natsConnected: () => true, live: new LiveFeed(), liveWatching: () => false });
  await Promise.all(Object.values(apps).map((a) => a.ready()));
});

afterAll(async () => {
  const dir = path.join(REPO_ROOT, '.data', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'bad-input.json'), JSON.stringify({ at: new Date().toISOString(), outcomes }, null, 2));
  await Promise.all(Object.values(apps).map((a) => a.close()));
  await worker.stop();
  await terminateTestWorkflows(temporal, worker.taskQueue);
  await temporal.connection.close();
  await t.drop();
});

describe('the bad-input corpus changes nothing and is answered 4xx problem+json', () => {
  let before: Record<string, number>;
  beforeAll(async () => {
    before = await snapshot();
  });
  afterAll(async () => {
    expect(await snapshot()).toEqual(before);
  });

  const writes = () => endpoints().filter((e) => e.method !== 'GET');

  it('wrong or missing credentials: 401, a key without the scope: 403', async () => {
    for (const e of endpoints()) {
      expect((await send('no credentials', e)).status).toBe(401);
      expect((await send('unknown key', { ...e, headers: auth('yq_forged_key_0000000000') })).status).toBe(401);
      expect((await send('revoked key', { ...e, headers: auth(keys.revoked) })).status).toBe(401);
      expect((await send('malformed authorization header', { ...e, headers: { authorization: 'Basic Zm9vOmJhcg==' } })).status).toBe(401);
    }
    for (const e of writes()) expect((await send('key without the scope', { ...e, headers: auth(keys.readOnly) })).status).toBe(403);
  });

  it('another district’s incident: not found', async () => {
    for (const e of endpoints().filter((x) => x.url.includes(incidentId))) {
      expect((await send('other district’s id', { ...e, headers: auth(keys.daoli) })).status).toBe(404);
    }
    expect(
      (
        await send('report for another district', {
          ...endpoints()[0]!,
          headers: auth(keys.nangang),
          payload: JSON.stringify(sampleIncident({ district: '道里区' })),
        })
      ).status,
    ).toBe(403);
  });

  it('malformed JSON, empty bodies and wrong content types', async () => {
    for (const e of writes()) {
      for (const payload of ['{', '{"title": }', '{"a":1}}', "{'single':'quotes'}", '', '\u0000']) {
        const r = await send('malformed JSON', { ...e, headers: auth(keys.admin), payload });
        expect([400, 422]).toContain(r.status);
      }
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
        expect((await send('wrong content type', { ...e, headers: { ...auth(keys.admin), 'content-type': type }, payload: 'a=1' })).status).toBe(415);
      }
    }
  });

  it('wrong types, unknown fields, injection strings in identifiers', async () => {
    const incident = sampleIncident();
    const broken: unknown[] = [
      { ...incident, title: 123 },
      { ...incident, metrics: { reach: 'many' } },
      { ...incident, flags: 'livelihood' },
      { ...incident, source: [] },
      { ...incident, district: "230103' OR '1'='1" },
      { ...incident, topic: '<script>alert(1)</script>' },
      { ...incident, suggestedTier: 'apocalyptic' },
      { ...incident, isAdmin: true },
      null,
      [],
      'incident',
      42,
    ];
    for (const body of broken) {
      const r = await send('wrong types and unknown fields', { ...endpoints()[0]!, headers: auth(keys.admin), payload: JSON.stringify(body) });
      expect([400, 422]).toContain(r.status);
      if (r.status === 422) expect(JSON.parse(r.body).errors.length).toBeGreaterThan(0);
    }
    const proto = await send('prototype pollution', { ...endpoints()[0]!, headers: auth(keys.admin), payload: '{"__proto__":{"polluted":true},"title":"x"}' });
    expect(proto.status).toBe(400);
    for (const id of ["1' OR '1'='1", '../../etc/passwd', '%00', '<img src=x onerror=alert(1)>', 'ＮＵＬＬ']) {
      const r = await send('injection strings in path and query', {
        service: 'intake',
        method: 'GET',
        url: `/v1/incidents/${encodeURIComponent(id)}`,
        headers: auth(keys.admin),
      });
      expect([400, 404]).toContain(r.status);
      expect(
        (
          await send('injection strings in path and query', {
            service: 'intake',
            method: 'GET',
            url: `/v1/incidents?district=${encodeURIComponent(id)}`,
            headers: auth(keys.admin),
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await send('injection strings in path and query', {
            service: 'dispatch',
            method: 'GET',
            url: `/v1/tasks?role=${encodeURIComponent(id)}`,
            headers: auth(keys.admin),
          })
        ).status,
      ).toBe(400);
    }
    const actions = await send('injection strings in action bodies', {
      service: 'dispatch',
      method: 'POST',
      url: `/v1/incidents/${incidentId}/actions/acknowledge`,
      headers: auth(keys.office),
      // Through the access check (the office's 代办) to the workflow, which knows no such unit.
      payload: JSON.stringify({ unitId: "district-230103'; DELETE FROM tasks; --", proxy: { reason: '测试' } }),
    });
    expect(actions.status).toBe(404);
  });

  it('huge bodies, deep nesting, invalid Unicode', async () => {
    const e = endpoints()[0]!;
    expect(
      (await send('huge body', { ...e, headers: auth(keys.admin), payload: JSON.stringify({ ...sampleIncident(), summary: 'x'.repeat(400_000) }) })).status,
    ).toBe(413);
    const deep = `{"title":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expect([400, 413, 422]).toContain((await send('deep nesting', { ...e, headers: auth(keys.admin), payload: deep })).status);
    const deepObject = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    expect([400, 413, 422]).toContain((await send('deep nesting', { ...e, headers: auth(keys.admin), payload: deepObject })).status);
    const bytes = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
    const invalidUtf8 = await send('invalid Unicode', { ...e, headers: auth(keys.admin), payload: bytes });
    expect(invalidUtf8.status).toBe(400);
    expect(JSON.parse(invalidUtf8.body).detail).toMatch(/UTF-8/);
    const lone = JSON.stringify({ ...sampleIncident(), title: 'abc' }).replace('"title":"abc"', '"title":"a\\ud800c"');
    const surrogate = await send('invalid Unicode', { ...e, headers: auth(keys.admin), payload: lone });
    expect(surrogate.status).toBe(422);
    expect(JSON.parse(surrogate.body).errors[0].field).toBe('body.title');
  });
});

describe('text that cannot be stored, role escalation and reused keys change nothing', () => {
  let before: Record<string, number>;
  beforeAll(async () => {
    before = await snapshot();
  });
  afterAll(async () => {
    expect(await snapshot()).toEqual(before);
  });

  /** Each string of a body in turn, with a control character in it. */
  function* poisoned(payload: unknown, path: (string | number)[] = []): Generator<{ path: string; body: unknown }> {
    if (typeof payload === 'string') {
      for (const c of ['\u0000', '\u0007', '\u001b', '\u007f']) yield { path: path.join('.'), body: `${payload.slice(0, 2)}${c}${payload.slice(2)}` };
      return;
    }
    if (!payload || typeof payload !== 'object') return;
    for (const [k, v] of Object.entries(payload)) {
      for (const inner of poisoned(v, [...path, k]))
        yield { path: inner.path, body: Array.isArray(payload) ? Object.assign([...payload], { [k]: inner.body }) : { ...payload, [k]: inner.body } };
    }
  }

  it('a NUL or other control character in any field of any write: 400/422 naming the field', async () => {
    for (const e of endpoints().filter((x) => x.method !== 'GET')) {
      for (const { path, body } of poisoned(JSON.parse(String(e.payload)))) {
        const r = await send('NUL and control characters', { ...e, headers: auth(keys.admin), payload: JSON.stringify(body) });
        expect([400, 403, 422]).toContain(r.status);
        if (r.status === 422) expect(JSON.parse(r.body).errors.map((x: { field: string }) => x.field)).toContain(`body.${path}`);
      }
    }
    for (const e of endpoints().filter((x) => x.method === 'GET')) {
      const url = `${e.url}${e.url.includes('?') ? '&' : '?'}status=a%00b`;
      expect((await send('NUL and control characters', { ...e, headers: auth(keys.admin), url })).status).toBe(400);
    }
    for (const since of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-13-01T00:00:00Z']) {
      expect(
        (await send('times out of range', { service: 'dispatch', method: 'GET', url: `/v1/overdue?since=${since}`, headers: auth(keys.admin) })).status,
      ).toBe(400);
      expect(
        (await send('times out of range', { service: 'intake', method: 'GET', url: `/v1/incidents?before=${since}`, headers: auth(keys.admin) })).status,
      ).toBe(400);
    }
    expect(
      (
        await send('malformed ids', {
          service: 'dispatch',
          method: 'POST',
          url: '/v1/incidents/not-an-id/actions/acknowledge',
          headers: auth(keys.nangang),
          payload: '{}',
        })
      ).status,
    ).toBe(400);
  });

  it('role escalation: a district key grants nothing beyond its unit and roles', async () => {
    const tries: Req[] = [
      {
        service: 'dispatch',
        method: 'POST',
        url: '/v1/persons',
        payload: JSON.stringify({ id: 'x-leader', unitId: 'opinion-office', name: '冒名', roles: ['leader'] }),
      },
      {
        service: 'dispatch',
        method: 'POST',
        url: '/v1/persons',
        payload: JSON.stringify({ id: 'x-leader', unitId: 'district-230102', name: '冒名', roles: ['leader_in_charge'] }),
      },
      { service: 'dispatch', method: 'POST', url: '/v1/persons/duty-opinion-office/keys', payload: JSON.stringify({ scopes: ['tasks:act'] }) },
      {
        service: 'dispatch',
        method: 'POST',
        url: '/v1/channels',
        payload: JSON.stringify({ unitId: 'opinion-office', kind: 'email', address: 'x@example.org' }),
      },
      { service: 'dispatch', method: 'PUT', url: '/v1/routing/topic/food_safety', payload: JSON.stringify({ unitId: 'district-230102' }) },
      { service: 'dispatch', method: 'PUT', url: '/v1/policies/city', payload: JSON.stringify({ baseVersion: 1, document: {} }) },
      { service: 'dispatch', method: 'POST', url: `/v1/incidents/${incidentId}/actions/acknowledge`, payload: JSON.stringify({ unitId: 'district-230103' }) },
      { service: 'dispatch', method: 'POST', url: `/v1/incidents/${incidentId}/tasks/digest/complete`, payload: JSON.stringify({ note: '摘报' }) },
    ];
    for (const e of tries) expect([403, 404]).toContain((await send('role escalation', { ...e, headers: auth(keys.daoliEditor) })).status);
  });
});

describe('a reused Idempotency-Key with another body is refused and changes nothing', () => {
  it('on intake and on a human step', async () => {
    const incident = sampleIncident();
    expect(
      (await apps.intake.inject({ method: 'POST', url: '/v1/incidents', headers: { ...auth(keys.admin), 'idempotency-key': 'reuse-1' }, payload: incident }))
        .statusCode,
    ).toBe(202);
    const ack = await apps.dispatch.inject({
      method: 'POST',
      url: `/v1/incidents/${incidentId}/actions/report`,
      headers: { ...auth(keys.nangang), 'idempotency-key': 'reuse-2' },
      payload: report('interim'),
    });
    expect(ack.statusCode).toBe(200);
    const before = await snapshot();
    expect(
      (
        await send('reused Idempotency-Key', {
          service: 'intake',
          method: 'POST',
          url: '/v1/incidents',
          headers: { ...auth(keys.admin), 'idempotency-key': 'reuse-1' },
          payload: JSON.stringify({ ...incident, title: '另一条' }),
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await send('reused Idempotency-Key', {
          service: 'dispatch',
          method: 'POST',
          url: `/v1/incidents/${incidentId}/actions/report`,
          headers: { ...auth(keys.nangang), 'idempotency-key': 'reuse-2' },
          payload: JSON.stringify(report('final')),
        })
      ).status,
    ).toBe(422);
    expect(await snapshot()).toEqual(before);
  });
});

function report(kind: 'interim' | 'final') {
  return { kind, findings: { truth: 'unknown', whatHappened: '核查中', dutyFailure: { found: false }, violation: { found: false } }, dispositions: [] };
}

describe('property: random requests to every endpoint never cause a 5xx and change nothing', () => {
  it('holds for random bodies, headers and credentials', async () => {
    const before = await snapshot();
    const endpoint = fc.constantFrom(...endpoints());
    const credential = fc.constantFrom<Record<string, string>>({}, auth('yq_garbage'), auth(keys.readOnly), auth(keys.daoli), auth(keys.admin), {
      'x-api-key': keys.revoked,
    });
    // Bodies are invalid by construction (an unknown field, or not an object at all),
    // so even the admin key must be refused and nothing may be stored.
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v && typeof v === 'object' && !Array.isArray(v) ? { ...v, zzUnknownField: 1 } : v)),
      fc.jsonValue().map((v) => JSON.stringify({ ...sampleIncident(), zzUnknownField: v })),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    );
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream');
    await fc.assert(
      fc.asyncProperty(endpoint, credential, body, contentType, async (e, cred, payload, type) => {
        if (e.method === 'GET') {
          const res = await apps[e.service].inject({ method: 'GET', url: e.url, headers: cred });
          outcomes['random requests'] ??= {};
          outcomes['random requests'][res.statusCode] = (outcomes['random requests'][res.statusCode] ?? 0) + 1;
          expect(res.statusCode).toBeLessThan(500);
          return;
        }
        await send('random requests', { ...e, headers: { ...cred, 'content-type': type }, payload });
      }),
      { numRuns: 400 },
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe('injection strings stored as data stay data', () => {
  it('keeps a hostile title verbatim and harmless', async () => {
    const title = `'); DROP TABLE incidents; -- <script>alert("舆情")</script> \${7*7} {{7*7}}`;
    const res = await apps.intake.inject({ method: 'POST', url: '/v1/incidents', headers: auth(keys.admin), payload: sampleIncident({ title }) });
    expect(res.statusCode).toBe(202);
    const got = await apps.intake.inject({ url: `/v1/incidents/${res.json().id}`, headers: auth(keys.admin) });
    expect(got.json().title).toBe(title);
    expect(got.headers['content-type']).toMatch(/application\/json/);
  });
});
