import { authPlugin, createServer, problemPlugin, type App } from '../src';
import { capturingLogger, createTestDatabase, createTestKey, type TestDatabase } from '@yuqing/testkit';

/** A real server with the auth plugin and one protected route, listening on an ephemeral port. */
async function start(db: TestDatabase['db'], failuresPerMinute: number) {
  const capture = capturingLogger('info');
  const app: App = createServer({ log: capture.log, bodyLimit: 1024 });
  await app.register(problemPlugin);
  await app.register(authPlugin, { db, failuresPerMinute });
  app.get('/v1/whoami', { onRequest: app.requireScope('reports:read') }, async (request) => ({ id: request.principal.id }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { app, url, capture };
}

describe('API key presentation', () => {
  let t: TestDatabase;
  let key: string;
  let server: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    t = await createTestDatabase();
    key = await createTestKey(t.db, { scopes: ['reports:read'], id: 'reader' });
    server = await start(t.db, 1_000);
  });
  afterAll(async () => {
    await server.app.close();
    await t.drop();
  });

  it('takes the Bearer scheme in any case, with any blanks before the key (RFC 9110 §11.1), or X-API-Key', async () => {
    for (const authorization of [`Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer   ${key}`, `Bearer\t${key}`, `Bearer ${key}  `]) {
      const res = await fetch(`${server.url}/v1/whoami`, { headers: { authorization } });
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 200 });
      expect(await res.json()).toEqual({ id: 'reader' });
    }
    expect((await fetch(`${server.url}/v1/whoami`, { headers: { 'x-api-key': key } })).status).toBe(200);
    for (const authorization of [`Basic ${key}`, `Bearer`, `Bearer ${key} extra`, `${key}`]) {
      const res = await fetch(`${server.url}/v1/whoami`, { headers: { authorization } });
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
    }
  });

  it('refuses a key in the query string, says to use the header, and never logs the key', async () => {
    for (const query of ['api_key', 'key', 'access_token', 'token', 'API_KEY', 'api%5Fkey']) {
      const res = await fetch(`${server.url}/v1/whoami?${query}=${key}&x=1`, { headers: { authorization: `Bearer ${key}` } });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { code: string; detail: string; instance: string };
      expect(body.code).toBe('key_in_query');
      expect(body.detail).toMatch(/Authorization: Bearer/);
      expect(body.instance).not.toContain(key);
    }
    const logged = server.capture.text();
    expect(logged).toContain('/v1/whoami?api_key=[redacted]&x=1');
    expect(logged).not.toContain(key);
  });
});

describe('failed authentications per address', () => {
  let t: TestDatabase;
  let key: string;
  let server: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    t = await createTestDatabase();
    key = await createTestKey(t.db, { scopes: ['reports:read'] });
    server = await start(t.db, 5);
  });
  afterAll(async () => {
    await server.app.close();
    await t.drop();
  });

  it('answers 429 problem+json with Retry-After once an address has failed too often, before looking at keys', async () => {
    expect((await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const headers: Record<string, string> = i % 2 ? { authorization: `Bearer yq_random_${i}_${Math.random()}` } : {};
      statuses.push((await fetch(`${server.url}/v1/whoami`, { headers })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const limited = await fetch(`${server.url}/v1/whoami`, { headers: { authorization: 'Bearer yq_another_guess' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'too_many_failed_authentications' });
    // The address as a whole waits: a lookup per guess is what is being limited.
    expect((await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(429);
  });
});
