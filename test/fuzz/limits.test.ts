/**
 * Limits against the three services over real HTTP (ephemeral ports, the
 * services' own app plugins and limits as configured): how keys may and may not
 * be presented, floods of missing and random keys, one key's burst, and what
 * Node's HTTP parser refuses before there is a request. Every refusal must be a
 * problem+json, and no key may reach the logs. Outcomes by category go to
 * .data/reliability/limits.json for RELIABILITY.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { createServer, type App } from '@yuqing/http-kit';
import { intakeApp } from '@yuqing/intake';
import { dispatchApp } from '@yuqing/dispatch';
import { LiveFeed, reportingApp } from '@yuqing/reporting';
import { loadConfig } from '@yuqing/shared';
import { capturingLogger, connectTestClient, createTestDatabase, createTestKey, rawHttp, REPO_ROOT, sampleIncident, type TestDatabase } from '@yuqing/testkit';

jest.setTimeout(120_000);

type Service = 'intake' | 'dispatch' | 'reporting';
const SERVICES: readonly Service[] = ['intake', 'dispatch', 'reporting'];
/** A read each service answers 200 to with the admin key. */
const READ: Record<Service, string> = {
  intake: '/v1/incidents?tier=general',
  dispatch: '/v1/tasks?unit=district-230103',
  reporting: '/v1/incidents?tier=general',
};
/** Small enough to reach in a test, as an operator could set them. */
const LIMITS = { RATE_LIMIT_PER_MINUTE: '60', AUTH_FAILURES_PER_MINUTE: '30', CLIENT_MAX_IN_FLIGHT: '4', CLIENT_MAX_QUEUED: '8' };

let t: TestDatabase;
let temporal: Client;
const capture = capturingLogger('info');
const apps = {} as Record<Service, App>;
const ports = {} as Record<Service, number>;
const keys = {} as Record<'admin' | 'other' | 'loud', string>;
const outcomes: Record<string, Record<string, number>> = {};

function count(category: string, status: number): void {
  outcomes[category] ??= {};
  outcomes[category][status] = (outcomes[category][status] ?? 0) + 1;
}

/** One request over HTTP, counted under `category`; a refusal must be problem+json. */
async function call(
  category: string,
  service: Service,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${ports[service]}${url}`, { headers });
  count(category, res.status);
  const type = res.headers.get('content-type') ?? '';
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status >= 400)
    expect({ url, status: res.status, type }).toEqual({ url, status: res.status, type: expect.stringMatching(/^application\/problem\+json/) });
  if (res.status >= 500) throw new Error(`${category}: ${url} answered ${res.status}: ${JSON.stringify(body)}`);
  return { status: res.status, body };
}

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await connectTestClient();
  keys.admin = await createTestKey(t.db, { scopes: ['admin'] });
  keys.other = await createTestKey(t.db, { scopes: ['admin'] });
  keys.loud = await createTestKey(t.db, { scopes: ['admin'] });
  const config = loadConfig({ ...LIMITS });
  apps.intake = createServer({ log: capture.log, bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.intake.register(intakeApp, { db: t.db, config, temporal, onAccepted: () => undefined });
  apps.dispatch = createServer({ log: capture.log, bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.dispatch.register(dispatchApp, { db: t.db, config, temporal, natsConnected: () => true });
  apps.reporting = createServer({ log: capture.log, bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.reporting.register(reportingApp, { db: t.db, config, natsConnected: () => true, live: new LiveFeed(), liveWatching: () => false });
  for (const s of SERVICES) {
    await apps[s].listen({ port: 0, host: '127.0.0.1' });
    ports[s] = (apps[s].server.address() as { port: number }).port;
  }
});

afterAll(async () => {
  const dir = path.join(REPO_ROOT, '.data', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'limits.json'), JSON.stringify({ at: new Date().toISOString(), outcomes }, null, 2));
  await Promise.all(SERVICES.map((s) => apps[s]?.close()));
  await temporal?.connection.close();
  await t?.drop();
});

describe('limits, per service, over real HTTP', () => {
  it('takes the key as "Bearer" in any case with any blanks, or X-API-Key; refuses other schemes', async () => {
    for (const s of SERVICES) {
      for (const authorization of [
        `Bearer ${keys.admin}`,
        `bearer ${keys.admin}`,
        `BEARER ${keys.admin}`,
        `Bearer    ${keys.admin}`,
        `Bearer\t${keys.admin}`,
      ]) {
        expect((await call('key header variants', s, READ[s], { authorization })).status).toBe(200);
      }
      expect((await call('key header variants', s, READ[s], { 'x-api-key': keys.admin })).status).toBe(200);
      for (const authorization of [`Basic ${keys.admin}`, `Token ${keys.admin}`, 'Bearer', `Bearer ${keys.admin} ${keys.admin}`]) {
        expect((await call('other schemes and malformed headers', s, READ[s], { authorization })).status).toBe(401);
      }
    }
  });

  it('refuses keys in the query string with 400, with or without a header, and logs none of them', async () => {
    for (const s of SERVICES) {
      for (const name of ['api_key', 'key', 'access_token', 'token', 'API_KEY', 'api%5Fkey']) {
        const sep = READ[s].includes('?') ? '&' : '?';
        const bare = await call('keys in the query string', s, `${READ[s]}${sep}${name}=${keys.admin}`);
        expect(bare.status).toBe(400);
        expect(bare.body.code).toBe('key_in_query');
        const withHeader = await call('keys in the query string', s, `${READ[s]}${sep}${name}=${keys.admin}`, { authorization: `Bearer ${keys.admin}` });
        expect(withHeader.status).toBe(400);
      }
    }
    expect(capture.text()).toContain('[redacted]');
    expect(capture.text()).not.toContain(keys.admin);
  });

  it('one key is one bucket however presented, and another key keeps its own', async () => {
    const presentations: Record<string, string>[] = [
      { authorization: `Bearer ${keys.other}` },
      { authorization: `bearer  ${keys.other}` },
      { 'x-api-key': keys.other },
    ];
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++)
      statuses.push((await call('one key, varied headers, past its limit', 'reporting', READ.reporting, presentations[i % 3])).status);
    // The tests above spent a few of this key's 60; never more than 60 pass.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(60);
    expect(statuses.at(-1)).toBe(429);
    expect((await call('another key meanwhile', 'reporting', READ.reporting, { authorization: `Bearer ${keys.admin}` })).status).toBe(200);
  });

  it('a burst of one key beyond its in-flight cap and queue gets 429 while another key is served', async () => {
    // Reports (a transaction each), so that they overlap at the server; another key reads meanwhile.
    const burst = Promise.all(
      Array.from({ length: 60 }, () =>
        fetch(`http://127.0.0.1:${ports.intake}/v1/incidents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${keys.loud}`, 'content-type': 'application/json' },
          body: JSON.stringify(sampleIncident()),
        }).then(async (res) => {
          count('one key’s burst of 60 at once (4 in flight + 8 queued)', res.status);
          const body = (await res.json()) as { code?: string };
          return { status: res.status, code: body.code };
        }),
      ),
    );
    const meanwhile = new Promise((r) => setTimeout(r, 20)).then(() =>
      call('another key during the burst', 'intake', READ.intake, { authorization: `Bearer ${keys.other}` }),
    );
    const [answers, other] = await Promise.all([burst, meanwhile]);
    expect(answers.every((r) => r.status === 202 || (r.status === 429 && (r.code === 'too_many_in_flight' || r.code === 'rate_limited')))).toBe(true);
    expect(answers.filter((r) => r.status === 202).length).toBeGreaterThanOrEqual(12);
    expect(other.status).toBe(200);
  });

  it('floods of missing and random keys reach 429 after 30 failures per address; pages without a key stay open', async () => {
    for (const s of SERVICES) {
      const statuses: number[] = [];
      let next = 0;
      // 1,300 requests, 10 at a time: about how a careless script or a guesser would send them.
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < 1_300) {
            const i = next++;
            const headers: Record<string, string> =
              i % 3 === 0 ? {} : i % 3 === 1 ? { authorization: `Bearer yq_${Math.random().toString(36).slice(2)}` } : { 'x-api-key': `yq_${i}` };
            statuses.push((await call('missing and random keys, 1,300 per service', s, READ[s], headers)).status);
          }
        }),
      );
      const by = (code: number) => statuses.filter((x) => x === code).length;
      expect(by(401) + by(429)).toBe(1_300);
      // Concurrent requests may each pass the check before the others' failures are counted.
      expect(by(401)).toBeLessThanOrEqual(30 + 10);
      expect(by(429)).toBeGreaterThanOrEqual(1_300 - 40);
      const docs = await fetch(`http://127.0.0.1:${ports[s]}/docs/json`);
      count('docs and health during a flood', docs.status);
      expect(docs.status).toBe(200);
      const health = await fetch(`http://127.0.0.1:${ports[s]}/healthz`);
      count('docs and health during a flood', health.status);
      expect(health.status).toBe(200);
    }
  });

  it('answers what Node’s parser refuses — long URLs, large headers, garbage — with problem+json', async () => {
    const cases: [string, string | Buffer, number][] = [
      ['URL over the limit', `GET /v1/incidents?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
      ['headers over the limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431],
      ['garbage request line', 'HELLO THERE\r\n\r\n', 400],
      ['malformed header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400],
      ['TLS to the HTTP port', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), 400],
      ['path segment over the router limit', `GET /v1/incidents/${'x'.repeat(300)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414],
      ['badly encoded path', 'GET /v1/incidents/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
    ];
    for (const s of SERVICES) {
      for (const [category, data, status] of cases) {
        const answer = await rawHttp(ports[s], data);
        count(category, answer.status);
        expect({ s, category, status: answer.status, type: answer.headers['content-type'] }).toEqual({
          s,
          category,
          status,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        expect(JSON.parse(answer.body)).toMatchObject({ status });
      }
    }
  });

  it('keeps a client’s X-Request-Id beside ours, and ignores an ill-formed one', async () => {
    for (const s of SERVICES) {
      const res = await fetch(`http://127.0.0.1:${ports[s]}/v1/nowhere`, { headers: { 'x-request-id': 'monitor-42' } });
      count('client request ids', res.status);
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.headers.get('x-request-id')).not.toBe('monitor-42');
      expect(body).toMatchObject({ requestId: res.headers.get('x-request-id'), clientRequestId: 'monitor-42' });
      const bad = await fetch(`http://127.0.0.1:${ports[s]}/v1/nowhere`, { headers: { 'x-request-id': '<script>alert(1)</script>' } });
      count('client request ids', bad.status);
      expect(await bad.json()).not.toHaveProperty('clientRequestId');
    }
    expect(capture.text()).not.toContain('<script>');
  });
});
