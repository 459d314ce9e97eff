import { createServer, problemPlugin, problems, type App } from '../src';
import { capturingLogger } from '@yuqing/testkit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  let app: App;
  let url: string;
  const capture = capturingLogger('info');
  beforeAll(async () => {
    app = createServer({ log: capture.log, bodyLimit: 1024 });
    await app.register(problemPlugin);
    app.get('/v1/ping', async (request) => {
      request.log.info('handler ran');
      return { clientRequestId: request.clientRequestId ?? null };
    });
    app.get('/v1/conflict', async () => {
      throw problems.conflict('already done');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  const linesOf = (requestId: string) => capture.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === requestId);

  it('always answers with our own id, keeping a well-formed client id beside it on every log line', async () => {
    const res = await fetch(`${url}/v1/ping`, { headers: { 'x-request-id': 'mon-20261128-0042' } });
    const ours = res.headers.get('x-request-id')!;
    expect(ours).toMatch(UUID);
    expect(await res.json()).toEqual({ clientRequestId: 'mon-20261128-0042' });
    const lines = linesOf(ours);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'handler ran', 'request completed']));
    for (const line of lines) expect(line.clientRequestId).toBe('mon-20261128-0042');

    const refused = await fetch(`${url}/v1/conflict`, { headers: { 'x-request-id': 'a.b:c-D9' } });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ requestId: refused.headers.get('x-request-id'), clientRequestId: 'a.b:c-D9' });
  });

  it('the same client id twice still gives two requests two ids', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => fetch(`${url}/v1/ping`, { headers: { 'x-request-id': 'retry-1' } })));
    expect(a!.headers.get('x-request-id')).not.toBe(b!.headers.get('x-request-id'));
  });

  it('ignores an ill-formed client id: not an error, not echoed, not logged', async () => {
    for (const bad of ['x'.repeat(129), 'has space', 'quote"and<tag>', '']) {
      const res = await fetch(`${url}/v1/conflict`, { headers: { 'x-request-id': bad } });
      expect(res.status).toBe(409);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.requestId).toMatch(UUID);
      expect(body).not.toHaveProperty('clientRequestId');
      for (const line of linesOf(String(body.requestId))) expect(line).not.toHaveProperty('clientRequestId');
    }
    expect(capture.text()).not.toContain('x'.repeat(129));
    expect(capture.text()).not.toContain('quote');
  });
});
