/**
 * Channel secrets and addresses at rest (a robot's URL carries its key): sealed
 * with AES-256-GCM under SECRETS_KEY when written, opened only to send a delivery
 * (and the owner's addresses to refuse a duplicate), resealed by `admin.js
 * rotate-secrets`, and plaintext left from before sealed when dispatch starts.
 * Real database, real receivers, the real admin command and dispatch process.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { type App } from '@yuqing/http-kit';
import {
  channelAddressContext,
  channelSecretContext,
  createSecretBox,
  isSealed,
  keyIdOf,
  loadConfig,
  resealChannelSecrets,
  sealedKeyId,
  secretBoxFromConfig,
  SecretUnreadable,
  type IncidentEvent,
} from '@yuqing/shared';
import {
  connectTestBus,
  createTestDatabase,
  createTestKey,
  destroyTestBus,
  eventually,
  freePort,
  HttpReceiver,
  RECEIVER_ALLOW_HOSTS,
  REPO_ROOT,
  startService,
  testLogger,
  testNatsOptions,
  type TestDatabase,
  startDispatchApp,
} from '@yuqing/testkit';
import { createTaskProjection } from '../src/consumers/task-projection';
import { createNotifications, type Notifications } from '../src/notifications';
import { warnUnit } from './warnings';

const run = promisify(execFile);
const ADMIN = path.join(REPO_ROOT, 'shared', 'dist', 'bin', 'admin.js');

let t: TestDatabase;
let http: HttpReceiver;
let app: App;
let admin: string;
const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const keyC = randomBytes(32).toString('base64');
/** Every secret (and robot credential) this file makes; none may be stored, shown or logged in plaintext. */
const secrets: string[] = [];
const SEALED_VALUE = /^v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/;

beforeAll(async () => {
  t = await createTestDatabase();
  http = await new HttpReceiver().start();
  admin = await createTestKey(t.db, { scopes: ['admin'] });
  app = await startDispatchApp(t.db, loadConfig({ SECRETS_KEY: keyA, NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS }));
});

afterAll(async () => {
  await app.close();
  await http.stop();
  await t.drop();
});

const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${admin}` }, ...(payload ? { payload } : {}) });

/** A delivery worker with these keys, for one warning; stopped afterwards so that the next one has the queue to itself. */
async function deliverWith(keys: { SECRETS_KEY?: string; SECRETS_OLD_KEYS?: string; NODE_ENV?: string }, u: { id: string; name: string }) {
  const config = loadConfig({
    ...keys,
    NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS,
    NOTIFY_POLL_MS: '100',
    NOTIFY_RETRY_BASE_MS: '100',
    NOTIFY_MAX_ATTEMPTS: '2',
  });
  const notifications: Notifications = createNotifications({ db: t.db, config, log: testLogger('dispatch'), bus: () => undefined }).start();
  try {
    const handle = createTaskProjection(t.db, { plan: notifications.plan, onDeliveriesQueued: () => notifications.wake() });
    return await warnUnit(t, (event: IncidentEvent) => handle([event]), u);
  } finally {
    await notifications.stop();
  }
}

let seq = 0;
/** A unit with a signed webhook and a signed DingTalk robot on the receiver; answers the unit and its channels' ids. */
async function unitWithSignedChannels() {
  const u = { id: `secrets-unit-${++seq}-${randomUUID().slice(0, 6)}`, name: `密钥测试单位${seq}` };
  expect((await call('POST', '/v1/units', { id: u.id, kind: 'department', name: u.name })).statusCode).toBe(201);
  const hook = await call('POST', '/v1/channels', { unitId: u.id, kind: 'webhook', address: http.endpoint(`hook-${seq}`, { kind: 'webhook' }) });
  expect(hook.statusCode).toBe(201);
  http.get(`hook-${seq}`, 'webhook').secret = hook.json().secret;
  const dingSecret = `SEC${randomBytes(24).toString('hex')}`;
  const ding = await call('POST', '/v1/channels', {
    unitId: u.id,
    kind: 'dingtalk',
    address: http.endpoint(`ding-${seq}`, { kind: 'dingtalk', secret: dingSecret }),
    secret: dingSecret,
  });
  expect(ding.statusCode).toBe(201);
  secrets.push(hook.json().secret, dingSecret);
  return { u, hook: { id: hook.json().id as string, name: `hook-${seq}` }, ding: { id: ding.json().id as string, name: `ding-${seq}` } };
}

const storedSecrets = async () => t.db.selectFrom('notificationChannels').select(['id', 'secret']).where('secret', 'is not', null).orderBy('id').execute();
const storedAddresses = async () => t.db.selectFrom('notificationChannels').select(['id', 'address']).orderBy('id').execute();

describe('secrets at rest', () => {
  it('stores no plaintext: not when created, not when replaced or rotated', async () => {
    const { hook, ding } = await unitWithSignedChannels();
    const replaced = `SEC${randomBytes(24).toString('hex')}`;
    expect((await call('PATCH', `/v1/channels/${ding.id}`, { secret: replaced })).statusCode).toBe(200);
    const rotated = await call('PATCH', `/v1/channels/${hook.id}`, { rotateSecret: true });
    secrets.push(replaced, rotated.json().secret);
    const rows = await storedSecrets();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.secret).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
      expect(sealedKeyId(row.secret!)).toBe(keyIdOf(Buffer.from(keyA, 'base64')));
    }
    const column = JSON.stringify(rows);
    for (const s of secrets) expect(column).not.toContain(s);
    // Sealed for its own row: moved onto another channel it does not open.
    const box = secretBoxFromConfig(loadConfig({ SECRETS_KEY: keyA }));
    const own = rows.find((r) => r.id === hook.id)!.secret!;
    expect(box.open(own, channelSecretContext(hook.id))).toBe(rotated.json().secret);
    expect(() => box.open(own, channelSecretContext(ding.id))).toThrow(SecretUnreadable);
  });

  it('seals every address, so a robot key is nowhere in plaintext; the owner still cannot add it twice, and it is delivered to', async () => {
    const u = { id: `secrets-robot-${randomUUID().slice(0, 6)}`, name: '机器人地址测试单位' };
    expect((await call('POST', '/v1/units', { id: u.id, kind: 'department', name: u.name })).statusCode).toBe(201);
    const robotKey = randomUUID();
    secrets.push(robotKey);
    const address = `${http.endpoint(`wecom-${robotKey.slice(0, 8)}`, { kind: 'wecom' })}?key=${robotKey}`;
    const robot = await call('POST', '/v1/channels', { unitId: u.id, kind: 'wecom', address, label: '值班群' });
    expect(robot.statusCode).toBe(201);
    const id = robot.json().id as string;
    const mail = await call('POST', '/v1/channels', { unitId: u.id, kind: 'email', address: 'Duty.Officer@Example.org' });
    expect(mail.statusCode).toBe(201);

    // Stored sealed, bound to its row and column: not readable as the secret, nor on another row.
    const rows = await storedAddresses();
    for (const row of rows.filter((r) => r.id === id || r.id === mail.json().id)) expect(row.address).toMatch(SEALED_VALUE);
    const box = secretBoxFromConfig(loadConfig({ SECRETS_KEY: keyA }));
    const stored = rows.find((r) => r.id === id)!.address;
    expect(box.open(stored, channelAddressContext(id))).toBe(address);
    expect(() => box.open(stored, channelSecretContext(id))).toThrow(SecretUnreadable);
    expect(() => box.open(stored, channelAddressContext(mail.json().id))).toThrow(SecretUnreadable);
    expect(JSON.stringify(rows)).not.toContain(robotKey);
    expect(JSON.stringify(rows)).not.toMatch(/duty\.officer/i);

    // The duplicate check opens the owner's addresses: the same robot written another way, the same mailbox in capitals, are refused.
    const twice = await call('POST', '/v1/channels', { unitId: u.id, kind: 'wecom', address: address.replace('http://', 'HTTP://') });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toContain(id);
    expect((await call('POST', '/v1/channels', { unitId: u.id, kind: 'email', address: 'duty.officer@example.org' })).statusCode).toBe(409);
    const other = await call('POST', '/v1/channels', { unitId: u.id, kind: 'wecom', address: `${address}-other` });
    expect(other.statusCode).toBe(201);
    expect((await call('PATCH', `/v1/channels/${other.json().id}`, { address })).statusCode).toBe(409);

    // Another unit's manager learns nothing through the duplicate check: refused before it (403, not 409), and the robot's
    // address stays what it was; the same address under its own unit is its own channel.
    const neighbour = { id: `secrets-nb-${randomUUID().slice(0, 6)}`, name: '邻区测试单位' };
    expect((await call('POST', '/v1/units', { id: neighbour.id, kind: 'department', name: neighbour.name })).statusCode).toBe(201);
    const outsider = await createTestKey(t.db, { scopes: ['directory:write'], unitId: neighbour.id });
    const as = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${outsider}` }, ...(payload ? { payload } : {}) });
    expect((await as('POST', '/v1/channels', { unitId: u.id, kind: 'wecom', address })).statusCode).toBe(403);
    expect((await as('PATCH', `/v1/channels/${id}`, { address: 'https://evil.example.org/hook' })).statusCode).toBe(403);
    expect((await as('GET', `/v1/channels?unit=${u.id}`)).statusCode).toBe(403);
    expect((await storedAddresses()).find((r) => r.id === id)!.address).toBe(stored);
    const theirs = await as('POST', '/v1/channels', { unitId: neighbour.id, kind: 'wecom', address });
    expect(theirs.statusCode).toBe(201);
    expect(box.open((await storedAddresses()).find((r) => r.id === theirs.json().id)!.address, channelAddressContext(theirs.json().id))).toBe(address);
    expect((await call('PATCH', `/v1/channels/${theirs.json().id}`, { enabled: false })).statusCode).toBe(200);

    // Answers and the audit log show no address; a change of address is recorded as one, the same address again is not.
    const again = await call('PATCH', `/v1/channels/${id}`, { address });
    expect(again.statusCode).toBe(200);
    expect((await call('PATCH', `/v1/channels/${id}`, { address: `${address}&v=2` })).statusCode).toBe(200);
    expect((await call('PATCH', `/v1/channels/${id}`, { address })).statusCode).toBe(200);
    const listed = await call('GET', `/v1/channels?unit=${u.id}`);
    const audit = await t.db.selectFrom('auditLog').select(['action', 'before', 'after']).where('entityId', '=', id).orderBy('at').execute();
    expect(audit.map((a) => [a.action, (a.after as { addressChanged?: boolean }).addressChanged])).toEqual([
      ['channel.created', undefined],
      ['channel.updated', false],
      ['channel.updated', true],
      ['channel.updated', true],
    ]);
    for (const text of [robot.body, again.body, listed.body, JSON.stringify(audit)]) {
      expect(text).not.toContain(robotKey);
      expect(text).not.toMatch(/duty\.officer/i);
    }

    // The sender opens it: the robot's key arrives in the query, as the robot expects it.
    expect((await call('PATCH', `/v1/channels/${other.json().id}`, { enabled: false })).statusCode).toBe(200);
    expect((await call('PATCH', `/v1/channels/${mail.json().id}`, { enabled: false })).statusCode).toBe(200);
    const sent = await deliverWith({ SECRETS_KEY: keyA }, u);
    expect(sent.map((d) => d.status)).toEqual(['delivered']);
    const arrived = http.at(`wecom-${robotKey.slice(0, 8)}`, 'wecom');
    expect(arrived.map((a) => a.query.get('key'))).toEqual([robotKey]);
  });

  it('signs deliveries with the opened secret, under the current key and under an old one after a change of key', async () => {
    const { u, hook, ding } = await unitWithSignedChannels();
    const first = await deliverWith({ SECRETS_KEY: keyA }, u);
    expect(first.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    // The receivers verified: the webhook's HMAC (a bad one answers 401) and DingTalk's 加签 (errcode 310000).
    expect(http.at(hook.name, 'webhook').map((a) => [a.status, a.note])).toEqual([[200, undefined]]);
    expect(http.at(ding.name, 'dingtalk')).toHaveLength(1);

    // The key changed; the old one is kept for reading until rotate-secrets has run.
    const second = await deliverWith({ SECRETS_KEY: keyB, SECRETS_OLD_KEYS: keyA }, u);
    expect(second.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    // Without the old key the secret cannot be opened: no unsigned message goes out instead.
    const third = await deliverWith({ SECRETS_KEY: keyC, NODE_ENV: 'production' }, u);
    expect(third.map((d) => [d.status, d.attempts, d.lastError])).toEqual([
      ['dead', 1, 'address unreadable'],
      ['dead', 1, 'address unreadable'],
    ]);
    expect(http.at(hook.name, 'webhook')).toHaveLength(2);
  });

  it('rotate-secrets reseals every address and secret under the new key; the old key may go afterwards', async () => {
    const { u } = await unitWithSignedChannels();
    // One plaintext secret left from before encryption.
    const legacy = `legacy-${randomBytes(16).toString('hex')}`;
    secrets.push(legacy);
    const legacyId = `ch-${randomUUID()}`;
    await t.db
      .insertInto('notificationChannels')
      .values({
        id: legacyId,
        unitId: u.id,
        personId: null,
        kind: 'dingtalk',
        label: null,
        address: 'https://ding.example.org/robot/send?access_token=t',
        secret: legacy,
        enabled: false,
      })
      .execute();

    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATABASE_URL: t.url, SECRETS_KEY: keyB, SECRETS_OLD_KEYS: keyA, LOG_LEVEL: 'info' };
    const out = await run(process.execPath, [ADMIN, 'rotate-secrets'], { env });
    const counts = /(\d+) sealed from plaintext, (\d+) resealed from old keys, (\d+) already current/.exec(out.stdout)!;
    // The legacy row's secret and address; every other channel's address and (for the signed ones) secret.
    expect(Number(counts[1])).toBe(2);
    expect(Number(counts[2])).toBeGreaterThanOrEqual(4);
    const idB = keyIdOf(Buffer.from(keyB, 'base64'));
    const boxB = createSecretBox(Buffer.from(keyB, 'base64'));
    const rows = await storedSecrets();
    expect(rows.every((r) => isSealed(r.secret!) && sealedKeyId(r.secret!) === idB)).toBe(true);
    expect(boxB.open(rows.find((r) => r.id === legacyId)!.secret!, channelSecretContext(legacyId))).toBe(legacy);
    const addresses = await storedAddresses();
    expect(addresses.every((r) => isSealed(r.address) && sealedKeyId(r.address) === idB)).toBe(true);
    expect(boxB.open(addresses.find((r) => r.id === legacyId)!.address, channelAddressContext(legacyId))).toBe(
      'https://ding.example.org/robot/send?access_token=t',
    );
    // Running it again changes nothing.
    const again = await run(process.execPath, [ADMIN, 'rotate-secrets'], { env });
    expect(again.stdout).toMatch(/0 sealed from plaintext, 0 resealed from old keys/);
    expect(await storedSecrets()).toEqual(rows);
    expect(await storedAddresses()).toEqual(addresses);
    for (const s of [...secrets, keyA, keyB]) expect(out.stdout + out.stderr + again.stdout + again.stderr).not.toContain(s);

    // After rotation only the new key is needed.
    const after = await deliverWith({ SECRETS_KEY: keyB, NODE_ENV: 'production' }, u);
    expect(after.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    const audit = await t.db.selectFrom('auditLog').select(['action', 'after']).where('action', '=', 'secrets.rotated').execute();
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain(keyB);
  });

  it('dispatch seals plaintext addresses and secrets when it starts, and refuses to start in production without SECRETS_KEY', async () => {
    const u = `secrets-start-${randomUUID().slice(0, 6)}`;
    expect((await call('POST', '/v1/units', { id: u, kind: 'department', name: '启动测试单位' })).statusCode).toBe(201);
    const legacy = `legacy-${randomBytes(16).toString('hex')}`;
    const id = `ch-${randomUUID()}`;
    await t.db
      .insertInto('notificationChannels')
      .values({
        id,
        unitId: u,
        personId: null,
        kind: 'webhook',
        label: null,
        address: `https://hooks.example.org/yuqing?token=${legacy}`,
        secret: legacy,
        enabled: false,
      })
      .execute();

    const nats = testNatsOptions('secrets-start');
    const env = {
      DATABASE_URL: t.url,
      NATS_STREAM: nats.stream,
      NATS_SUBJECT_PREFIX: nats.subjectPrefix,
      DISPATCH_PORT: String(await freePort()),
      SECRETS_KEY: keyC,
      SECRETS_OLD_KEYS: `${keyA},${keyB}`,
    };
    const dispatch = startService('dispatch', env);
    try {
      const sealed = await eventually(
        async () => {
          const row = await t.db.selectFrom('notificationChannels').select(['secret', 'address']).where('id', '=', id).executeTakeFirstOrThrow();
          return isSealed(row.secret!) && isSealed(row.address) && row;
        },
        20_000,
        'the plaintext secret and address sealed at start',
      );
      const boxC = createSecretBox(Buffer.from(keyC, 'base64'));
      expect(boxC.open(sealed.secret!, channelSecretContext(id))).toBe(legacy);
      expect(boxC.open(sealed.address, channelAddressContext(id))).toBe(`https://hooks.example.org/yuqing?token=${legacy}`);
      await eventually(() => dispatch.output().includes('sealed channel secrets left in plaintext'), 5_000, 'the start-up log line');
    } finally {
      await dispatch.stop();
      // The process made the stream its consumer reads; it goes with the test.
      await destroyTestBus(await connectTestBus(nats));
    }
    expect(dispatch.output()).not.toContain(legacy);
    for (const k of [keyA, keyB, keyC]) expect(dispatch.output()).not.toContain(k);
    // Nothing left to do at the next start.
    expect(await resealChannelSecrets(t.db, createSecretBox(Buffer.from(keyC, 'base64')), 'plaintext')).toMatchObject({ sealed: 0, resealed: 0 });

    const port = await freePort();
    const refused = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile(process.execPath, [path.join(REPO_ROOT, 'services', 'dispatch', 'dist', 'server.js')], {
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_PRETTY: 'false', DATABASE_URL: t.url, DISPATCH_PORT: String(port) },
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(refused.code).toBe(78);
    expect(refused.out).toMatch(/refusing to start in production: SECRETS_KEY is not set/);
  });
});
