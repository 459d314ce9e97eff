import { authPlugin, createServer, problemPlugin, productionCredentialProblem, securityPlugin, type App } from '../src';
import { createApiClient } from '@yuqing/shared';
import { createTestDatabase, createTestKey, eventually, freePort, startService, testLogger, type TestDatabase } from '@yuqing/testkit';

describe('security plugin', () => {
  let app: App;
  let t: TestDatabase;
  const keys = {} as Record<'a' | 'b', string>;
  beforeAll(async () => {
    t = await createTestDatabase();
    keys.a = await createTestKey(t.db, { scopes: ['reports:read'], id: 'client-a' });
    keys.b = await createTestKey(t.db, { scopes: ['reports:read'], id: 'client-b' });
    app = createServer({ log: testLogger('security'), bodyLimit: 1024 });
    await app.register(problemPlugin);
    await app.register(securityPlugin, { perMinute: 3, anonymousPerMinute: 5 });
    await app.register(authPlugin, { db: t.db, failuresPerMinute: 1_000 });
    app.get('/v1/ping', { onRequest: app.requireScope('reports:read') }, async () => ({ pong: true }));
    app.get('/docs', async () => ({ page: 'docs' }));
    app.get('/healthz', async () => ({ status: 'ok' }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  it('sets security headers', async () => {
    const res = await app.inject({ url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
  });

  it('limits each principal once, however its key is presented, answering 429 problem+json with Retry-After', async () => {
    const ping = (headers: Record<string, string>) => app.inject({ url: '/v1/ping', headers });
    expect((await ping({ authorization: `Bearer ${keys.a}` })).statusCode).toBe(200);
    expect((await ping({ authorization: `bearer   ${keys.a}` })).statusCode).toBe(200);
    expect((await ping({ 'x-api-key': keys.a })).statusCode).toBe(200);
    const limited = await ping({ authorization: `BEARER ${keys.a}` });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(limited.json().detail).toMatch(/with this key/);
    expect((await ping({ authorization: `Bearer ${keys.b}` })).statusCode).toBe(200);
  });

  it('keeps pages without a key in a bucket per address of their own, and never limits health checks', async () => {
    // The API traffic above (and failed authentications) took nothing from the docs' bucket.
    for (let i = 0; i < 20; i++) expect((await app.inject({ url: '/v1/ping', headers: { authorization: 'Bearer yq_unknown' } })).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/docs' })).statusCode).toBe(200);
    const limited = await app.inject({ url: '/docs' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().detail).toMatch(/from this address/);
    // …and the docs' bucket being empty takes nothing from a key's.
    expect((await app.inject({ url: '/v1/ping', headers: { authorization: `Bearer ${keys.b}` } })).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('requests in flight per principal', () => {
  let app: App;
  let t: TestDatabase;
  let url: string;
  const keys = {} as Record<'loud' | 'quiet', string>;
  /** Requests to /v1/held wait here until the test lets them go. */
  let holding: (() => void)[] = [];
  let entered = 0;
  /** Requests refused or abandoned for want of a slot, as the server saw them. */
  let refused = 0;
  beforeAll(async () => {
    t = await createTestDatabase();
    keys.loud = await createTestKey(t.db, { scopes: ['reports:read'], id: 'loud' });
    keys.quiet = await createTestKey(t.db, { scopes: ['reports:read'] });
    app = createServer({ log: testLogger('in-flight'), bodyLimit: 1024 });
    await app.register(problemPlugin);
    await app.register(securityPlugin, { perMinute: 1_000, inFlight: { max: 2, queue: 1 } });
    await app.register(authPlugin, { db: t.db });
    app.addHook('onError', async (_request, _reply, err) => {
      if ((err as { code?: string }).code === 'too_many_in_flight') refused++;
    });
    app.get('/v1/held', { onRequest: app.requireScope('reports:read') }, async () => {
      entered++;
      await new Promise<void>((resolve) => holding.push(resolve));
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/held`;
  });
  afterAll(async () => {
    for (const release of holding) release();
    await app.close();
    await t.drop();
  });

  const as = (key: string, signal?: AbortSignal) => fetch(url, { headers: { authorization: `Bearer ${key}` }, ...(signal ? { signal } : {}) });
  const letGo = () => {
    const all = holding;
    holding = [];
    for (const release of all) release();
  };

  /** The loud key's requests as the limit holds them: sent one by one, since under load a later request may overtake an earlier one. */
  const loudWaiting = () => app.inFlight.load('loud').waiting;

  it('runs max at once and queues `queue` more per key; the next gets 429 while another key still gets in', async () => {
    const first = [as(keys.loud), as(keys.loud)];
    await eventually(() => entered === 2, 5_000, 'two running');
    first.push(as(keys.loud));
    await eventually(() => loudWaiting() === 1, 5_000, 'the third one queued');
    const refused = await as(keys.loud);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ code: 'too_many_in_flight' });
    expect(entered).toBe(2);

    const quiet = as(keys.quiet);
    await eventually(() => entered === 3, 5_000, 'the other key running');
    letGo();
    expect((await quiet).status).toBe(200);
    // The queued one runs once a slot is free.
    await eventually(() => entered === 4 && holding.length === 1, 5_000, 'the queued request running');
    letGo();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('a caller that gives up while queued leaves its place to the next', async () => {
    entered = 0;
    const running = [as(keys.loud), as(keys.loud)];
    await eventually(() => entered === 2, 5_000, 'two running');
    const abort = new AbortController();
    const gaveUp = as(keys.loud, abort.signal).catch(() => 'aborted');
    await eventually(() => loudWaiting() === 1, 5_000, 'the third one queued');
    const refusedBefore = refused;
    abort.abort();
    expect(await gaveUp).toBe('aborted');
    await eventually(() => refused === refusedBefore + 1, 5_000, 'the server to see the caller leave');
    // Its place in the queue is free again: this one waits instead of being refused.
    const next = as(keys.loud);
    await eventually(() => loudWaiting() === 1, 5_000, 'the next one queued');
    letGo();
    await eventually(() => entered === 3 && holding.length === 1, 5_000, 'the next one running');
    letGo();
    expect((await Promise.all([...running, next])).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(entered).toBe(3);
  });
});

describe('production mode', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('refuses without real credentials, with the development client, or with DEV_API_KEY', async () => {
    const prod = { NODE_ENV: 'production' as const, DEV_API_KEY: undefined };
    expect(await productionCredentialProblem(t.db, prod)).toMatch(/no API client/);
    await createApiClient(t.db, { id: 'dev', name: 'dev', scopes: ['admin'] });
    expect(await productionCredentialProblem(t.db, prod)).toMatch(/"dev" exists/);
    await t.db.updateTable('apiClients').set({ revokedAt: new Date() }).where('id', '=', 'dev').execute();
    await createApiClient(t.db, { id: 'monitoring-platform', name: '舆情监测平台', scopes: ['incidents:write'] });
    expect(await productionCredentialProblem(t.db, prod)).toBeUndefined();
    expect(await productionCredentialProblem(t.db, { ...prod, DEV_API_KEY: 'yq_0123456789abcdef' })).toMatch(/DEV_API_KEY/);
    expect(await productionCredentialProblem(t.db, { NODE_ENV: 'development', DEV_API_KEY: undefined })).toBeUndefined();
  });

  it('a service started in production with the development client exits non-zero and says why', async () => {
    await createApiClient(t.db, { id: 'dev', name: 'dev', scopes: ['admin'] });
    const proc = startService('intake', { NODE_ENV: 'production', DATABASE_URL: t.url, INTAKE_PORT: String(await freePort()) });
    const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
    expect(code).toBe(78);
    expect(proc.output()).toContain('refusing to start in production');
  });
});
