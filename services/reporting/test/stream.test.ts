import { createTestKey, eventually } from '@yuqing/testkit';
import { startReportingHarness, type ReportingHarness } from './harness';

let h: ReportingHarness;
let base: string;
const keys = {} as Record<'reader' | 'noScope' | 'nangang' | 'nangangReader' | 'daoliReader', string>;

beforeAll(async () => {
  h = await startReportingHarness('reporting-stream');
  keys.reader = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'opinion-office' });
  keys.noScope = await createTestKey(h.t.db, { scopes: ['tasks:act'] });
  keys.nangang = await createTestKey(h.t.db, { scopes: ['tasks:act'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.nangangReader = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.daoliReader = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'district-230102', roles: ['district_bureau'] });
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

interface ServerSentEvent {
  id?: string;
  event?: string;
  data?: unknown;
}

/** Reads Server-Sent Events from a fetch() response, as the console does (comment lines skipped). */
function sseReader(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(): Promise<ServerSentEvent | undefined> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ServerSentEvent = {};
          for (const line of block.split('\n')) {
            const [, field, value] = /^([^:]*): ?(.*)$/.exec(line) ?? [];
            if (field === 'id') event.id = value;
            else if (field === 'event') event.event = value;
            else if (field === 'data') event.data = JSON.parse(value!);
          }
          if (event.event || event.data !== undefined) return event;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

const open = (key: string, signal?: AbortSignal) => fetch(`${base}/v1/stream`, { headers: { authorization: `Bearer ${key}` }, ...(signal ? { signal } : {}) });

describe('GET /v1/stream', () => {
  it('pushes each incident event live, worded as the timeline words it', async () => {
    const res = await open(keys.reader);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const stream = sseReader(res);
    const ready = await stream.next();
    expect(ready).toMatchObject({ event: 'ready', data: { live: true } });

    const id = await h.report();
    /** The next `incident` events of this incident until one of `type` arrives. */
    const until = async (type: string) => {
      const seen: ServerSentEvent[] = [];
      for (;;) {
        const e = await stream.next();
        if (!e) throw new Error(`stream ended before ${type}`);
        const data = e.data as { incidentId: string; entry: { type: string } };
        if (e.event === 'incident' && data.incidentId === id) seen.push(e);
        if (data?.entry?.type === type && data.incidentId === id) return seen;
      }
    };
    const first = await until('dispatched');
    expect(first.map((e) => (e.data as { entry: { type: string } }).entry.type)).toEqual(['received', 'assessed', 'dispatched']);
    const received = first[0]!;
    const entry = (received.data as { entry: Record<string, unknown> }).entry;
    expect(received.id).toBe(entry.eventId);
    expect(entry).toMatchObject({ incidentId: id, type: 'received', label: '接收舆情', tier: 'sensitive' });
    expect(entry.text).toContain('网传南岗区某幼儿园食堂使用变质食材');
    expect(entry.occurredAtLocal).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
    // The dispatch event carries the new tasks, so a viewer can show them before any read model catches up.
    const dispatched = (first[2]!.data as { entry: { data: { tasks: { key: string; status: string }[] } } }).entry;
    expect(dispatched.data.tasks.map((t) => t.key)).toContain('acknowledge:district-230103');

    const ack = await h.dispatch.inject({
      method: 'POST',
      url: `/v1/incidents/${id}/actions/acknowledge`,
      headers: { authorization: `Bearer ${keys.nangang}` },
      payload: {},
    });
    expect(ack.statusCode).toBe(200);
    const [acknowledged] = (await until('acknowledged')).slice(-1);
    const ackEntry = (acknowledged!.data as { entry: { text: string; data: { tasks: { key: string; status: string }[] } } }).entry;
    expect(ackEntry.text).toBe('南岗区市场监督管理局 已签收');
    expect(ackEntry.data.tasks).toEqual([expect.objectContaining({ key: 'acknowledge:district-230103', status: 'done' })]);

    await stream.cancel();
    // The viewer's subscription ends with its connection.
    await eventually(() => h.live.viewers === 0, 5_000, 'the viewer unsubscribed');
  });

  it('gives a district its own incidents’ events and no other district’s', async () => {
    const nangang = sseReader(await open(keys.nangangReader));
    const daoli = sseReader(await open(keys.daoliReader));
    expect((await nangang.next())?.event).toBe('ready');
    expect((await daoli.next())?.event).toBe('ready');
    const pricing = { topic: 'pricing' as const, title: '网传某超市价格欺诈' };
    const daoliReport = (title: string) => h.report({ ...pricing, title, district: '道里区' });
    const first = await h.report();
    const other = await daoliReport('网传某超市价格欺诈');
    const second = await h.report({ title: '网传南岗区某餐馆后厨卫生差' });
    /** The incidents of the `incident` events a viewer gets until each of `last` is dispatched. */
    const incidentsSeen = async (stream: ReturnType<typeof sseReader>, last: string[]) => {
      const seen = new Set<string>();
      const waiting = new Set(last);
      while (waiting.size > 0) {
        const e = await stream.next();
        if (!e) throw new Error('stream ended');
        const data = e.data as { incidentId: string; entry: { type: string } };
        if (e.event !== 'incident') continue;
        seen.add(data.incidentId);
        if (data.entry.type === 'dispatched') waiting.delete(data.incidentId);
      }
      return [...seen].sort();
    };
    // Workflows record their events in whatever order they run, so each viewer reads until its own are all dispatched;
    const daoliSeen = await incidentsSeen(daoli, [other]);
    const nangangSeen = await incidentsSeen(nangang, [first, second]);
    // then one more incident each, recorded after all three: any other district's event would have reached a viewer before it.
    const daoliLast = await daoliReport('网传某商场虚假打折');
    const nangangLast = await h.report({ title: '网传南岗区某面包房使用过期面粉' });
    const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
    expect(union(daoliSeen, await incidentsSeen(daoli, [daoliLast]))).toEqual([other, daoliLast].sort());
    expect(union(nangangSeen, await incidentsSeen(nangang, [nangangLast]))).toEqual([first, second, nangangLast].sort());
    await nangang.cancel();
    await daoli.cancel();
  });

  it('tells viewers to reload when events may have been missed', async () => {
    const res = await open(keys.reader);
    const stream = sseReader(res);
    expect((await stream.next())?.event).toBe('ready');
    h.live.resync('test');
    expect(await stream.next()).toEqual({ event: 'resync', data: { reason: 'test' } });
    await stream.cancel();
  });

  it('refuses callers without a key (401) or the scope (403), and a client that refuses the stream (406)', async () => {
    const anonymous = await h.app.inject({ url: '/v1/stream' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await h.app.inject({ url: '/v1/stream', headers: { authorization: `Bearer ${keys.noScope}` } })).statusCode).toBe(403);
    const json = await h.app.inject({ url: '/v1/stream', headers: { authorization: `Bearer ${keys.reader}`, accept: 'application/json' } });
    expect(json.statusCode).toBe(406);
    expect(json.json()).toMatchObject({ code: 'not_acceptable' });
  });

  it('refuses a viewer let in just as the drain ended the streams (503), so none is left holding the drain', async () => {
    // Its own server: this one's feed stays open for the other tests.
    const other = await startReportingHarness('reporting-stream-drain');
    try {
      const key = await createTestKey(other.t.db, { scopes: ['reports:read'], unitId: 'opinion-office' });
      const url = await other.app.listen({ host: '127.0.0.1', port: 0 });
      // As serve() does when SIGTERM comes while this request is between its access check and its subscription.
      other.live.closeAll();
      const res = await fetch(`${url}/v1/stream`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(other.live.viewers).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('ends open streams when the server closes, instead of waiting for the viewers', async () => {
    const stream = sseReader(await open(keys.reader));
    expect((await stream.next())?.event).toBe('ready');
    await h.app.close();
    expect(await stream.next()).toBeUndefined();
    expect(h.live.viewers).toBe(0);
  });
});
