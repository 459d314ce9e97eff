import { createServer, problemPlugin, productionCredentialProblem, securityPlugin, type App } from '../src';
import { createApiClient } from '@yuqing/shared';
import { createTestDatabase, freePort, startService, testLogger, type TestDatabase } from '@yuqing/testkit';

describe('security plugin', () => {
  let app: App;
  beforeAll(async () => {
    app = createServer({ log: testLogger('security'), bodyLimit: 1024 });
    await app.register(problemPlugin);
    await app.register(securityPlugin, { perMinute: 3 });
    app.get('/v1/ping', async () => ({ pong: true }));
    app.get('/healthz', async () => ({ status: 'ok' }));
    await app.ready();
  });
  afterAll(() => app.close());

  it('sets security headers', async () => {
    const res = await app.inject({ url: '/v1/ping' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
  });

  it('limits each credential separately, answering 429 problem+json with Retry-After', async () => {
    const as = (key: string) => app.inject({ url: '/v1/ping', headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++) expect((await as('yq_a')).statusCode).toBe(200);
    const limited = await as('yq_a');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });
    expect((await as('yq_b')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
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
