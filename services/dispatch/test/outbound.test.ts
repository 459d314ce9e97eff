/**
 * Outbound messages cannot be turned against us: webhook and robot addresses may
 * not lead to loopback, private, link-local, CGNAT, multicast or metadata
 * addresses, neither when a channel is saved nor when a delivery connects (a
 * name may resolve elsewhere by then); redirects are not followed; an answer is
 * read only so far. Real receivers on loopback, a real database; the only stand-in
 * is a name server for names that must resolve to loopback at send time.
 */
import { randomUUID } from 'node:crypto';
import { type App } from '@yuqing/http-kit';
import { loadConfig, type IncidentEvent } from '@yuqing/shared';
import {
  createTestDatabase,
  createTestKey,
  eventually,
  FORBIDDEN_DESTINATIONS,
  HttpReceiver,
  testLogger,
  type TestDatabase,
  startDispatchApp,
} from '@yuqing/testkit';
import { createTaskProjection } from '../src/consumers/task-projection';
import { createNotifications, type Notifications } from '../src/notifications';
import { createOutboundPolicy, refusedRange, targetOf } from '../src/notifications/outbound/address-policy';
import { destinationRefusal, systemResolver, type Resolver } from '../src/notifications/outbound/destination';
import { warnUnit } from './warnings';

let t: TestDatabase;
let app: App;
let notifications: Notifications;
let project: (event: IncidentEvent) => Promise<void>;
let admin: string;
/** NOTIFY_ALLOW_HOSTS lists this receiver's port only… */
let allowed: HttpReceiver;
/** …so this one, on the same loopback address, is out of bounds. */
let other: HttpReceiver;
const portOf = (r: HttpReceiver) => Number(new URL(r.url).port);

/** Names a DNS rebinding attack would point at loopback by the time of sending; other names resolve as usual. */
const rebinding: Resolver = async (host) => (host.endsWith('.rebind.test') ? ['127.0.0.1'] : systemResolver(host));

beforeAll(async () => {
  t = await createTestDatabase();
  allowed = await new HttpReceiver().start();
  other = await new HttpReceiver().start();
  const config = loadConfig({
    NOTIFY_ALLOW_HOSTS: `127.0.0.1:${portOf(allowed)}`,
    NOTIFY_RETRY_BASE_MS: '100',
    NOTIFY_MAX_ATTEMPTS: '3',
    NOTIFY_TIMEOUT_MS: '3000',
    NOTIFY_POLL_MS: '100',
    OUTBOX_POLL_MS: '100',
  });
  notifications = createNotifications({ db: t.db, config, log: testLogger('dispatch'), bus: () => undefined, resolve: rebinding }).start();
  const handle = createTaskProjection(t.db, { plan: notifications.plan, onDeliveriesQueued: () => notifications.wake() });
  project = (event) => handle([event]);
  admin = await createTestKey(t.db, { scopes: ['admin'] });
  app = await startDispatchApp(t.db, config);
});

afterAll(async () => {
  await app.close();
  await notifications.stop();
  await allowed.stop();
  await other.stop();
  await t.drop();
});

const call = (method: 'POST' | 'PATCH', url: string, payload: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${admin}` }, payload: payload as object });

let seq = 0;
async function unit(): Promise<{ id: string; name: string }> {
  const id = `outbound-unit-${++seq}-${randomUUID().slice(0, 6)}`;
  expect((await call('POST', '/v1/units', { id, kind: 'department', name: `出站测试单位${seq}` })).statusCode).toBe(201);
  return { id, name: `出站测试单位${seq}` };
}

/** A channel row written straight to the table: as one saved before this check existed, or by hand. */
async function rawChannel(unitId: string, kind: 'webhook' | 'wecom' | 'dingtalk', address: string): Promise<string> {
  const id = `ch-${randomUUID()}`;
  await t.db.insertInto('notificationChannels').values({ id, unitId, personId: null, kind, label: null, address, secret: null, enabled: true }).execute();
  return id;
}

const warn = (u: { id: string; name: string }) => warnUnit(t, project, u);

describe('at connect time, on the address about to be used', () => {
  it('refuses loopback that NOTIFY_ALLOW_HOSTS does not list, however the address is written, without retrying or naming it', async () => {
    const u = await unit();
    const port = portOf(other);
    const addresses = [
      `http://127.0.0.1:${port}/webhook/literal`,
      `http://localhost:${port}/webhook/by-name`,
      `http://[::ffff:127.0.0.1]:${port}/webhook/mapped`,
      `http://0x7f000001:${port}/webhook/hex`,
      `http://[::1]:${port}/webhook/v6`,
      // TLS connections are checked the same way, by literal and by lookup.
      `https://127.0.0.1:${port}/webhook/tls-literal`,
      `https://tls.rebind.test:${port}/webhook/tls-name`,
    ];
    for (const a of addresses) await rawChannel(u.id, 'webhook', a);
    await rawChannel(u.id, 'wecom', `http://127.1:${port}/wecom/short`);
    await rawChannel(u.id, 'dingtalk', `http://app.LOCALHOST.:${port}/dingtalk/dot`);
    const settled = await warn(u);
    expect(settled).toHaveLength(addresses.length + 2);
    expect(settled.map((d) => [d.status, d.attempts, d.lastError])).toEqual(settled.map(() => ['dead', 1, 'blocked address']));
    expect(other.arrivals).toEqual([]);
    const attempts = await t.db
      .selectFrom('deliveryAttempts')
      .select('error')
      .where(
        'deliveryId',
        'in',
        settled.map((d) => d.id),
      )
      .execute();
    expect(attempts.map((a) => a.error)).toEqual(settled.map(() => 'blocked address'));
  });

  it('refuses a name that resolved harmlessly when saved and resolves to loopback when sent (DNS rebinding)', async () => {
    const u = await unit();
    const rebound = `http://hooks.rebind.test:${portOf(other)}/webhook/rebound`;
    const created = await call('POST', '/v1/channels', { unitId: u.id, kind: 'webhook', address: rebound });
    // Saved: the name resolved to nothing then (the system resolver knows no .test names).
    expect(created.statusCode).toBe(201);
    // The same trick toward the listed port is an allowed destination, and arrives.
    const url = allowed.endpoint('rebound-ok', { kind: 'webhook' });
    const ok = await call('POST', '/v1/channels', { unitId: u.id, kind: 'webhook', address: url.replace('127.0.0.1', 'hooks.rebind.test') });
    expect(ok.statusCode).toBe(201);
    allowed.get('rebound-ok', 'webhook').secret = ok.json().secret;

    const settled = await warn(u);
    const byChannel = new Map(settled.map((d) => [d.channelId, d]));
    expect(byChannel.get(created.json().id)).toMatchObject({ status: 'dead', attempts: 1, lastError: 'blocked address' });
    expect(byChannel.get(ok.json().id)).toMatchObject({ status: 'delivered' });
    expect(other.arrivals).toEqual([]);
    expect(allowed.at('rebound-ok', 'webhook').map((a) => a.status)).toEqual([200]);
  });

  it('does not follow a redirect: a 3xx fails at once and its target hears nothing', async () => {
    const u = await unit();
    const target = allowed.endpoint('redirect-target', { kind: 'webhook' });
    await rawChannel(u.id, 'webhook', allowed.endpoint('redirecting', { kind: 'webhook', redirectTo: target }));
    const [d] = await warn(u);
    expect(d).toMatchObject({ status: 'dead', attempts: 1, lastError: 'HTTP 302' });
    expect(allowed.at('redirecting', 'webhook')).toHaveLength(1);
    expect(allowed.at('redirect-target', 'webhook')).toEqual([]);
  });

  it('reads an answer only so far, and drops the connection after that', async () => {
    const u = await unit();
    const bytes = 64 * 1024 * 1024;
    await rawChannel(u.id, 'webhook', allowed.endpoint('endless', { kind: 'webhook', hugeBodyBytes: bytes }));
    const started = Date.now();
    const [d] = await warn(u);
    expect(d).toMatchObject({ status: 'delivered', attempts: 1 });
    const answer = await eventually(
      () => allowed.hugeAnswers.find((a) => a.path === '/webhook/endless' && a.closed),
      5_000,
      'the receiver to see the client go',
    );
    expect(answer.finished).toBe(false);
    // 64 KiB read; the rest of what was written sat in socket buffers.
    expect(answer.written).toBeLessThan(16 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('when a channel is saved', () => {
  it('refuses every forbidden form for every kind, naming body.address in Chinese and English', async () => {
    const u = await unit();
    const kinds = ['webhook', 'wecom', 'dingtalk'] as const;
    let i = 0;
    for (const [category, urls] of Object.entries(FORBIDDEN_DESTINATIONS)) {
      for (const address of urls) {
        const res = await call('POST', '/v1/channels', { unitId: u.id, kind: kinds[i++ % kinds.length], address });
        expect([category, address, res.statusCode, res.headers['content-type']]).toEqual([
          category,
          address,
          422,
          expect.stringContaining('application/problem+json'),
        ]);
        expect(res.json()).toMatchObject({
          detail: '不允许指向内网或本机地址 (private, loopback and link-local addresses are refused)',
          errors: [{ field: 'body.address' }],
        });
      }
    }
    expect(await t.db.selectFrom('notificationChannels').select('id').where('unitId', '=', u.id).execute()).toEqual([]);
  });

  it('lets NOTIFY_ALLOW_HOSTS make exceptions, by host and port', async () => {
    const u = await unit();
    expect((await call('POST', '/v1/channels', { unitId: u.id, kind: 'webhook', address: `${allowed.url}/webhook/listed` })).statusCode).toBe(201);
    expect((await call('POST', '/v1/channels', { unitId: u.id, kind: 'webhook', address: `${other.url}/webhook/unlisted` })).statusCode).toBe(422);
    const listed = await call('POST', '/v1/channels', { unitId: u.id, kind: 'wecom', address: 'https://hooks.example.org/cgi-bin/webhook/send?key=k' });
    expect(listed.statusCode).toBe(201);
    expect((await call('PATCH', `/v1/channels/${listed.json().id}`, { address: `${allowed.url}/wecom/x` })).statusCode).toBe(200);
    expect((await call('PATCH', `/v1/channels/${listed.json().id}`, { address: `${other.url}/wecom/x` })).statusCode).toBe(422);
    expect((await call('PATCH', `/v1/channels/${listed.json().id}`, { address: 'http://169.254.169.254/latest/meta-data/' })).statusCode).toBe(422);
  });
});

describe('the address rules', () => {
  it('classifies by range: only public unicast passes, IPv4-mapped IPv6 is judged as its IPv4', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.20.0.1', 'private'],
      ['192.168.9.9', 'private'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['169.254.169.254', 'linkLocal'],
      ['0.0.0.0', 'unspecified'],
      ['255.255.255.255', 'broadcast'],
      ['224.0.0.251', 'multicast'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['fd00:ec2::254', 'uniqueLocal'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'linkLocal'],
      ['64:ff9b::a00:1', 'rfc6052'],
      ['2002:a00:1::', '6to4'],
      ['8.8.8.8', undefined],
      ['::ffff:8.8.8.8', undefined],
      ['2400:3200::1', undefined],
    ];
    expect(cases.map(([a]) => [a, refusedRange(a)])).toEqual(cases);
  });

  it('refuses a name if any of its addresses is refused, and parses exceptions of every form', async () => {
    const policy = createOutboundPolicy('10.20.0.0/16, hooks.internal:8443, [fd00::5]:9000, 192.168.7.7', { ownAddresses: new Set() });
    const at = (url: string) => targetOf(new URL(url));
    const resolveTo =
      (addresses: string[]): Resolver =>
      async () =>
        addresses;
    expect(await destinationRefusal(at('https://two-faced.example.org/'), policy, resolveTo(['8.8.8.8', '10.0.0.5']))).toBe('private');
    expect(await destinationRefusal(at('https://public.example.org/'), policy, resolveTo(['8.8.8.8', '2400:3200::1']))).toBeUndefined();
    expect(await destinationRefusal(at('https://hooks.internal:8443/'), policy, resolveTo(['10.9.9.9']))).toBeUndefined();
    expect(await destinationRefusal(at('https://hooks.internal/'), policy, resolveTo(['10.9.9.9']))).toBe('private');
    expect(await destinationRefusal(at('http://10.20.3.4/'), policy)).toBeUndefined();
    expect(await destinationRefusal(at('http://[::ffff:10.20.3.4]/'), policy)).toBeUndefined();
    expect(await destinationRefusal(at('http://10.21.0.1/'), policy)).toBe('private');
    expect(await destinationRefusal(at('http://[fd00::5]:9000/'), policy)).toBeUndefined();
    expect(await destinationRefusal(at('http://[fd00::5]:9001/'), policy)).toBe('uniqueLocal');
    expect(await destinationRefusal(at('http://192.168.7.7:1234/'), policy)).toBeUndefined();
    const mapped = createOutboundPolicy('[::ffff:127.0.0.1]:8080', { ownAddresses: new Set() });
    expect(await destinationRefusal(at('http://127.0.0.1:8080/'), mapped)).toBeUndefined();
    expect(await destinationRefusal(at('http://127.0.0.1:8081/'), mapped)).toBe('loopback');
    expect(await destinationRefusal(at('http://metadata.google.internal/'), policy, resolveTo(['8.8.8.8']))).toBe('metadata');
    // This machine's own addresses are ours even when they are public.
    const own = createOutboundPolicy('', { ownAddresses: new Set(['8.8.4.4']) });
    expect(own.refusal(at('http://8.8.4.4/'), '8.8.4.4')).toBe('thisHost');
    expect(() => loadConfig({ NOTIFY_ALLOW_HOSTS: '10.0.0.0/99' })).toThrow(/NOTIFY_ALLOW_HOSTS/);
    expect(() => loadConfig({ NOTIFY_ALLOW_HOSTS: 'hooks.internal:70000' })).toThrow(/NOTIFY_ALLOW_HOSTS/);
    expect(() => loadConfig({ NOTIFY_ALLOW_HOSTS: '0x7f.1' })).toThrow(/NOTIFY_ALLOW_HOSTS/);
  });
});
