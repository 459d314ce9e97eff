import { createServer, healthPlugin, problemPlugin, problems, type App } from '../src';
import { rawHttp, testLogger } from '@yuqing/testkit';

/** Addresses, hosts and internal error names that must never reach a caller. */
const INTERNALS = /10\.1\.2\.3|db\.internal|ECONNREFUSED|ServiceError|TypeError|:5432|:7233/;

describe('every error is problem+json, over a real socket', () => {
  let app: App;
  let port: number;
  beforeAll(async () => {
    app = createServer({ log: testLogger('http-errors'), bodyLimit: 1024 });
    await app.register(problemPlugin);
    await app.register(healthPlugin, { checks: { database: { check: async () => false } } });
    app.get('/v1/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    app.get('/v1/database-down', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    });
    app.get('/v1/dependency-down', async () => {
      throw problems.unavailable('工作流暂不可达,请稍后重试 (ServiceError: 14 UNAVAILABLE: connect ECONNREFUSED 10.1.2.3:7233)');
    });
    app.get('/v1/contention', async () => {
      // kysely's error around what PostgreSQL said, after the service's own tries.
      throw new Error('transaction failed', { cause: Object.assign(new Error('deadlock detected on 10.1.2.3:5432'), { code: '40P01' }) });
    });
    app.get('/v1/bug', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'host') at db.internal:5432");
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app.close());

  const get = (path: string, headers = '') => rawHttp(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);

  function expectProblem(answer: { status: number; headers: Record<string, string>; body: string }, status: number, code: string) {
    expect({ status: answer.status, type: answer.headers['content-type'] }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/) });
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body).toMatchObject({ status, code, type: `urn:problem:yuqing:${code}` });
    expect(typeof body.requestId).toBe('string');
    return body;
  }

  it('a URL over Node’s limit: 414', async () => {
    expectProblem(await get(`/v1/items/${'a'.repeat(20_000)}`), 414, 'uri_too_long');
    expectProblem(await get(`/v1/items/1?q=${'a'.repeat(20_000)}`), 414, 'uri_too_long');
  });

  it('headers over Node’s limit: 431', async () => {
    expectProblem(await get('/v1/items/1', `X-Big: ${'b'.repeat(20_000)}\r\n`), 431, 'headers_too_large');
    expectProblem(await get('/v1/items/1', Array.from({ length: 4_000 }, (_, i) => `X-H${i}: v\r\n`).join('')), 431, 'headers_too_large');
  });

  it('a malformed request line or header: 400', async () => {
    expectProblem(await rawHttp(port, 'garbage\r\n\r\n'), 400, 'malformed_request');
    expectProblem(await rawHttp(port, 'GET /v1/items/1 HTTP/1.1 extra\r\nHost: x\r\n\r\n'), 400, 'malformed_request');
    expectProblem(await get('/v1/items/1', 'Bad Header: y\r\n'), 400, 'malformed_request');
    expectProblem(await rawHttp(port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03])), 400, 'malformed_request');
  });

  it('what the router refuses: a badly encoded path (400), a path segment over its limit (414), no route (404)', async () => {
    expectProblem(await get('/v1/items/%E0%A4%A'), 400, 'bad_url');
    expectProblem(await get(`/v1/items/${'p'.repeat(300)}`), 414, 'uri_too_long');
    expectProblem(await get('/v1/nothing-here'), 404, 'not_found');
    expectProblem(await rawHttp(port, 'DELETE /v1/items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 404, 'not_found');
  });

  it('503 and 500 answers name no internal error, host or address', async () => {
    const db = await get('/v1/database-down');
    expectProblem(db, 503, 'unavailable');
    expect(Number(db.headers['retry-after'])).toBeGreaterThan(0);
    const dependency = await get('/v1/dependency-down');
    expectProblem(dependency, 503, 'unavailable');
    const contention = await get('/v1/contention');
    expectProblem(contention, 503, 'busy');
    expect(contention.headers['retry-after']).toBe('1');
    const bug = await get('/v1/bug');
    expectProblem(bug, 500, 'internal');
    const unready = await get('/readyz');
    expect(expectProblem(unready, 503, 'unavailable').detail).toBe('not ready: database down');
    for (const answer of [db, dependency, contention, bug, unready]) expect(answer.body).not.toMatch(INTERNALS);
  });
});
