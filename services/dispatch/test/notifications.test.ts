/**
 * Notifications on the real path from the dispatch consumer: an event is applied,
 * its deliveries are planned in the same transaction, the delivery worker sends
 * them to real receivers on loopback (signed webhook, WeCom and DingTalk robots,
 * SMTP) and records each outcome as a `notified` event in the outbox.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { type App } from '@yuqing/http-kit';
import {
  createLogger,
  EVENT_SCHEMA_VERSION,
  formatBeijing,
  loadConfig,
  parseIncidentEvent,
  type EventBus,
  type IncidentEvent,
  type Role,
  type TaskSnapshot,
} from '@yuqing/shared';
import {
  acceptTestIncident,
  connectTestBus,
  createTestDatabase,
  createTestKey,
  destroyTestBus,
  eventually,
  HttpReceiver,
  RECEIVER_ALLOW_HOSTS,
  SmtpReceiver,
  testNatsOptions,
  TOLERANCE_SECONDS,
  type Arrival,
  type TestDatabase,
  startDispatchApp,
} from '@yuqing/testkit';
import { createTaskProjection } from '../src/consumers/task-projection';
import { createNotifications, DIRECTORY_CACHE_MS, directoryCacheOf, type Notifications } from '../src/notifications';
import { DirectoryCache } from '../src/notifications/directory-cache';

let t: TestDatabase;
let bus: EventBus;
let http: HttpReceiver;
let smtp: SmtpReceiver;
let notifications: Notifications;
let project: (event: IncidentEvent) => Promise<void>;
let app: App;
const logs: string[] = [];
const keys = {} as Record<'admin' | 'office' | 'reader' | 'otherUnit', string>;
/** Every address and secret configured in this file: none may leave the channels table. */
const contactData: string[] = [];
/** Seals the channels' secrets at rest; like them, it must never be logged. */
const secretsKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  t = await createTestDatabase();
  http = await new HttpReceiver().start();
  smtp = await new SmtpReceiver().start();
  bus = await connectTestBus(testNatsOptions('notify-test'));
  const config = loadConfig({
    SMTP_URL: smtp.url,
    NOTIFY_RETRY_BASE_MS: '100',
    NOTIFY_MAX_ATTEMPTS: '3',
    NOTIFY_TIMEOUT_MS: '1500',
    NOTIFY_POLL_MS: '100',
    NOTIFY_ENDPOINT_CONCURRENCY: '2',
    OUTBOX_POLL_MS: '100',
    DISPATCH_PUBLIC_URL: 'http://dispatch.example.org',
    REPORTING_PUBLIC_URL: 'http://reporting.example.org/',
    NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS,
    SECRETS_KEY: secretsKey,
  });
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ LOG_LEVEL: 'debug', NODE_ENV: 'production', LOG_PRETTY: 'false' }, 'dispatch', sink);
  notifications = createNotifications({ db: t.db, config, log, bus: () => bus }).start();
  const handle = createTaskProjection(t.db, { plan: notifications.plan, onDeliveriesQueued: () => notifications.wake() });
  project = (event) => handle([event]);
  keys.admin = await createTestKey(t.db, { scopes: ['admin'] });
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
  keys.reader = await createTestKey(t.db, { scopes: ['reports:read'] });
  keys.otherUnit = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230102', roles: ['district_bureau'] });
  app = await startDispatchApp(t.db, config, { onDeliveriesQueued: () => notifications.wake() });
});

afterAll(async () => {
  await app.close();
  await notifications.stop();
  await http.stop();
  await smtp.stop();
  await destroyTestBus(bus);
  await t.drop();
});

// ---- helpers ---------------------------------------------------------------

const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, key: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });

let seq = 0;
/** A unit of its own for one test, so that tests never see each other's channels. */
async function unit(kind: 'department' | 'leadership' = 'department'): Promise<{ id: string; name: string }> {
  const id = `test-unit-${++seq}-${randomUUID().slice(0, 6)}`;
  const name = `测试单位${seq}`;
  const res = await call('POST', '/v1/units', keys.admin, { id, kind, name });
  expect(res.statusCode).toBe(201);
  return { id, name };
}

async function person(unitId: string, fields: { onDuty?: boolean; roles?: Role[] } = {}): Promise<{ id: string; name: string; email: string }> {
  const email = `p${++seq}.${randomUUID().slice(0, 6)}@example.org`;
  const res = await call('POST', '/v1/persons', keys.admin, {
    unitId,
    name: `测试人员${seq}`,
    onDuty: fields.onDuty ?? false,
    roles: fields.roles ?? [],
    contacts: { email },
  });
  expect(res.statusCode).toBe(201);
  contactData.push(email);
  return { id: res.json().id, name: res.json().name, email };
}

async function channel(
  owner: { unitId: string } | { personId: string },
  kind: 'webhook' | 'wecom' | 'dingtalk' | 'email',
  address: string,
  secret?: string,
): Promise<{ id: string; secret?: string }> {
  const res = await call('POST', '/v1/channels', keys.admin, { ...owner, kind, address, ...(secret ? { secret } : {}) });
  expect(res.statusCode).toBe(201);
  const body = res.json();
  contactData.push(address, ...(secret ? [secret] : []), ...(body.secret ? [body.secret] : []));
  return { id: body.id, ...(body.secret ? { secret: body.secret } : {}) };
}

/** A webhook endpoint on the receiver with a channel for the unit; the receiver verifies with the generated secret. */
async function webhookFor(unitId: string, name: string, behaviour: { failTimes?: number; failStatus?: number; down?: boolean; delayMs?: number } = {}) {
  const url = http.endpoint(name, { kind: 'webhook', ...behaviour });
  const ch = await channel({ unitId }, 'webhook', url);
  http.get(name, 'webhook').secret = ch.secret!;
  return ch;
}

async function incident(): Promise<{ id: string; title: string; url: string }> {
  const row = await acceptTestIncident(t.db);
  return { id: row.id, title: row.title, url: row.source.url };
}

function task(key: string, unitId: string, owner: Role, dueAt: string): TaskSnapshot {
  return {
    key,
    kind: key.split(':')[0] as TaskSnapshot['kind'],
    owner,
    unitId,
    status: 'open',
    mandatory: true,
    phase: 'handling',
    round: 1,
    openedAt: new Date().toISOString(),
    dueAt,
    overdue: false,
    approvalsNeeded: [],
    approvals: [],
    seq: 1,
  };
}

function event(type: IncidentEvent['type'], incidentId: string, data: Record<string, unknown>, tier = 'sensitive'): IncidentEvent {
  return parseIncidentEvent({
    id: `incident-${incidentId}#${String(++seq).padStart(4, '0')}.${type}`,
    type,
    incidentId,
    tier,
    occurredAt: new Date().toISOString(),
    schemaVersion: EVENT_SCHEMA_VERSION,
    data,
  });
}

function dispatched(
  inc: { id: string; title: string; url: string },
  units: { id: string; name: string; role: 'responsible_department' | 'district_bureau' }[],
  notify: Role[] = [],
  tier = 'sensitive',
): IncidentEvent {
  const due = (ms: number) => new Date(Date.now() + ms).toISOString();
  return event(
    'dispatched',
    inc.id,
    {
      reason: 'initial',
      assignments: units.map((u) => ({ unitId: u.id, unitName: u.name, role: u.role })),
      notify,
      title: inc.title,
      link: inc.url,
      tasks: units.flatMap((u) => [
        task(`acknowledge:${u.id}`, u.id, u.role, due(30 * 60_000)),
        task(`investigation_report:${u.id}`, u.id, u.role, due(48 * 3_600_000)),
      ]),
    },
    tier,
  );
}

const deliveriesOf = (eventId: string) =>
  t.db.selectFrom('deliveries').selectAll().where('eventId', '=', eventId).orderBy('unitId').orderBy('channelKind').execute();

async function notifiedEvents(filter: (e: IncidentEvent & { type: 'notified' }) => boolean = () => true) {
  const rows = await t.db.selectFrom('outbox').select('payload').where('kind', '=', 'event').where('dedupeKey', 'like', 'notify-%').execute();
  return rows.map((r) => parseIncidentEvent(r.payload) as IncidentEvent & { type: 'notified' }).filter(filter);
}

/** Sends a recorded request to the receiver again, as an attacker replaying it would. */
async function resend(a: Arrival, change: { body?: string; timestamp?: string; signature?: string } = {}): Promise<number> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-yuqing-event-id': String(a.headers['x-yuqing-event-id']),
    'x-yuqing-delivery-id': String(a.headers['x-yuqing-delivery-id']),
    'x-yuqing-timestamp': change.timestamp ?? String(a.headers['x-yuqing-timestamp']),
    'x-yuqing-signature': change.signature ?? String(a.headers['x-yuqing-signature']),
  };
  const res = await fetch(`${http.url}${a.path}`, { method: 'POST', headers, body: change.body ?? a.body });
  return res.status;
}

// ---- tests -----------------------------------------------------------------

describe('a warning reaches a unit on every kind of channel', () => {
  it('arrives by signed webhook, WeCom, DingTalk and e-mail, in Chinese, with title, tier, deadlines and links', async () => {
    const u = await unit();
    const duty = await person(u.id, { onDuty: true });
    await webhookFor(u.id, 'warn-hook');
    await channel({ unitId: u.id }, 'wecom', http.endpoint('warn-wecom', { kind: 'wecom' }));
    const dingSecret = `SEC${randomUUID().replace(/-/g, '')}`;
    await channel({ unitId: u.id }, 'dingtalk', http.endpoint('warn-ding', { kind: 'dingtalk', secret: dingSecret }), dingSecret);
    await channel({ personId: duty.id }, 'email', duty.email);
    const inc = await incident();
    const ev = dispatched(inc, [{ ...u, role: 'responsible_department' }]);
    const ackDue = (ev.data as { tasks: TaskSnapshot[] }).tasks[0]!.dueAt!;

    await project(ev);
    const delivered = await eventually(
      async () => {
        const rows = await deliveriesOf(ev.id);
        return rows.length === 4 && rows.every((r) => r.status === 'delivered') && rows;
      },
      10_000,
      'four deliveries',
    );
    expect(delivered.map((r) => r.channelKind).sort()).toEqual(['dingtalk', 'email', 'webhook', 'wecom']);
    expect(delivered.every((r) => r.latencyMs !== null && r.latencyMs >= 0 && r.attempts === 1)).toBe(true);

    const title = `【紧急预警】敏感舆情:${inc.title}`;
    const deadline = `签收预警 截止:${formatBeijing(ackDue)}(北京时间)`;
    const timeline = `http://reporting.example.org/console/incidents/${inc.id}`;

    const [hook] = http.at('warn-hook', 'webhook');
    expect(hook).toMatchObject({ status: 200 });
    expect(hook!.note).toBeUndefined();
    expect(hook!.headers['x-yuqing-event-id']).toBe(ev.id);
    expect(hook!.headers['x-yuqing-delivery-id']).toBe(delivered.find((r) => r.channelKind === 'webhook')!.id);
    expect(hook!.json).toMatchObject({
      eventId: ev.id,
      eventType: 'dispatched',
      incidentId: inc.id,
      tier: 'sensitive',
      attempt: 1,
      title,
      to: { unitId: u.id, unitName: u.name, roles: ['responsible_department'] },
      links: { source: inc.url, timeline, tasks: `http://reporting.example.org/console/tasks?unit=${u.id}` },
      dueAt: ackDue,
    });
    expect(hook!.json.text).toContain(deadline);
    expect(hook!.json.text).toContain(`转办敏感舆情至 ${u.name}`);

    const [wecom] = http.at('warn-wecom', 'wecom');
    expect(Object.keys(wecom!.json)).toEqual(['msgtype', 'markdown']);
    expect(wecom!.json.msgtype).toBe('markdown');
    expect(Object.keys(wecom!.json.markdown)).toEqual(['content']);
    expect(wecom!.json.markdown.content).toContain(title);
    expect(wecom!.json.markdown.content).toContain(`[处置时间线](${timeline})`);

    const [ding] = http.at('warn-ding', 'dingtalk');
    expect(ding!.json).toEqual({ msgtype: 'markdown', markdown: { title, text: expect.stringContaining(deadline) } });
    // The robot checked the 加签 signature (a mismatch answers errcode 310000 and the delivery would not be done).
    expect(ding!.query.get('sign')).toBeTruthy();

    const mail = smtp.mails.find((m) => m.headers['x-yuqing-event-id'] === ev.id)!;
    expect(mail.to).toEqual([duty.email]);
    expect(mail.subject).toBe(title);
    expect(mail.text).toContain(deadline);
    expect(mail.text).toContain(timeline);
    expect(mail.headers['message-id']).toBe(`<${delivered.find((r) => r.channelKind === 'email')!.id}@yuqing.invalid>`);

    const outcomes = await notifiedEvents((e) => e.data.cause.eventId === ev.id);
    expect(outcomes).toHaveLength(4);
    expect(outcomes.every((e) => e.data.outcome === 'delivered' && e.data.to.unitId === u.id && e.incidentId === inc.id)).toBe(true);
    expect(outcomes.find((e) => e.data.channel === 'email')!.data.to).toEqual({ unitId: u.id, personId: duty.id, personName: duty.name });

    // Redelivered by NATS: the consumer applies it once, nothing is sent twice.
    await project(ev);
    expect(await deliveriesOf(ev.id)).toHaveLength(4);
  });

  it('lets receivers reject a replayed, tampered or stale webhook (docs/webhooks.md)', async () => {
    const u = await unit();
    await webhookFor(u.id, 'replay-hook');
    const ev = dispatched(await incident(), [{ ...u, role: 'responsible_department' }]);
    await project(ev);
    const [genuine] = await eventually(() => http.at('replay-hook', 'webhook').length === 1 && http.at('replay-hook', 'webhook'), 10_000, 'the webhook');
    expect(genuine!.status).toBe(200);

    expect(await resend(genuine!)).toBe(409);
    expect(await resend(genuine!, { body: genuine!.body.replace('敏感舆情', '一般舆情') })).toBe(401);
    const secret = http.get('replay-hook', 'webhook').secret!;
    const old = String(Math.floor(Date.now() / 1000) - TOLERANCE_SECONDS - 60);
    const signedOld = `v1=${createHmac('sha256', secret).update(`${old}.${genuine!.body}`).digest('hex')}`;
    expect(await resend(genuine!, { timestamp: old, signature: signedOld })).toBe(400);
    expect(http.at('replay-hook', 'webhook').map((a) => a.note)).toEqual([undefined, 'replayed', 'bad signature', 'stale']);
    expect(http.processed.get('/webhook/replay-hook')).toEqual([ev.id]);
  });
});

describe('who a message is for', () => {
  it('a personal role reaches its holder, the roster beats standing duty, a lapse reaches the office, an escalation the late unit too', async () => {
    const leaders = await unit('leadership');
    const standingLeader = await person(leaders.id, { onDuty: true });
    const holder = await person(leaders.id, { roles: ['leader_in_charge'] });
    await channel({ personId: standingLeader.id }, 'email', standingLeader.email);
    await channel({ personId: holder.id }, 'email', holder.email);

    const late = await unit();
    const standing = await person(late.id, { onDuty: true });
    const rostered = await person(late.id);
    await channel({ personId: standing.id }, 'email', standing.email);
    await channel({ personId: rostered.id }, 'email', rostered.email);
    await webhookFor(late.id, 'late-hook');
    const shift = await call('POST', `/v1/units/${late.id}/duty-shifts`, keys.admin, {
      personId: rostered.id,
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(shift.statusCode).toBe(201);
    const officeDing = await channel({ unitId: 'opinion-office' }, 'dingtalk', http.endpoint('office-ding', { kind: 'dingtalk' }));

    const inc = await incident();
    const warn = dispatched(inc, [{ ...late, role: 'district_bureau' }]);
    await project(warn);
    const toLate = await deliveriesOf(warn.id);
    expect(toLate.map((d) => [d.channelKind, d.personId])).toEqual([
      ['email', rostered.id],
      ['webhook', null],
    ]);

    const dueAt = (warn.data as { tasks: TaskSnapshot[] }).tasks[0]!.dueAt!;
    const escalated = event('escalated', inc.id, {
      taskKey: `acknowledge:${late.id}`,
      taskKind: 'acknowledge',
      action: 'escalate',
      to: [{ role: 'leader_in_charge', unitId: leaders.id }],
      dueAt,
      stage: 1,
      overdueMs: 900_000,
    });
    await project(escalated);
    const esc = await deliveriesOf(escalated.id);
    expect(esc.map((d) => `${d.unitId} ${d.channelKind} ${d.personId}`).sort()).toEqual(
      [`${late.id} email ${rostered.id}`, `${late.id} webhook null`, `${leaders.id} email ${holder.id}`].sort(),
    );
    const toLeader = esc.find((d) => d.unitId === leaders.id)!.message as { title: string; text: string };
    expect(toLeader.title).toBe(`【督办】敏感舆情:${inc.title}`);
    expect(toLeader.text).toContain('已超时 15 分钟');

    const lapsed = event('deadline_lapsed', inc.id, {
      taskKey: `acknowledge:${late.id}`,
      taskKind: 'acknowledge',
      owner: { role: 'district_bureau', unitId: late.id },
      dueAt,
      lapsedAt: new Date().toISOString(),
      lateMs: 20,
    });
    await project(lapsed);
    const lap = await deliveriesOf(lapsed.id);
    expect(lap.map((d) => [d.unitId, d.channelId])).toEqual(expect.arrayContaining([['opinion-office', officeDing.id]]));
    expect(lap.map((d) => d.unitId).sort()).toEqual([late.id, late.id, 'opinion-office'].sort());
    expect((lap[0]!.message as { title: string }).title).toMatch(/^【超时预警】/);
    await eventually(async () => (await deliveriesOf(lapsed.id)).every((d) => d.status === 'delivered'), 10_000, 'lapse delivered');
    // Nobody holds a personal role in the unit: its duty officer gets it instead.
    expect((await call('PATCH', `/v1/persons/${holder.id}`, keys.admin, { roles: [] })).statusCode).toBe(200);
    const reminder = event('reminder_sent', inc.id, {
      taskKey: `acknowledge:${late.id}`,
      taskKind: 'acknowledge',
      to: [{ role: 'leader_in_charge', unitId: leaders.id }],
      dueAt,
      stage: 0,
    });
    await project(reminder);
    expect((await deliveriesOf(reminder.id)).map((d) => d.personId)).toEqual([standingLeader.id]);
    await eventually(
      async () => (await t.db.selectFrom('deliveries').select('id').where('status', 'in', ['pending', 'sending']).execute()).length === 0,
      10_000,
      'all delivered',
    );
  });
});

describe('the directory the planner reads', () => {
  it('sees a change made through the API at the next event, and one made past it within DIRECTORY_CACHE_MS', async () => {
    const u = await unit();
    const first = await webhookFor(u.id, 'cache-first');
    const inc = await incident();
    const lapse = () =>
      event('deadline_lapsed', inc.id, {
        taskKey: `acknowledge:${u.id}`,
        taskKind: 'acknowledge',
        owner: { role: 'responsible_department', unitId: u.id },
        dueAt: new Date().toISOString(),
        lapsedAt: new Date().toISOString(),
        lateMs: 0,
      });
    const channelsReached = async () => {
      const ev = lapse();
      await project(ev);
      return (await deliveriesOf(ev.id)).filter((d) => d.unitId === u.id).map((d) => d.channelId);
    };
    // The first event reads the directory; the next ones within DIRECTORY_CACHE_MS reuse it, unless the API changed it.
    expect(await channelsReached()).toEqual([first.id]);
    const second = await webhookFor(u.id, 'cache-second');
    expect((await channelsReached()).sort()).toEqual([first.id, second.id].sort());
    expect((await call('PATCH', `/v1/channels/${first.id}`, keys.admin, { enabled: false })).statusCode).toBe(200);
    expect(await channelsReached()).toEqual([second.id]);
    const duty = await person(u.id, { onDuty: true });
    const mail = await channel({ personId: duty.id }, 'email', duty.email);
    expect((await channelsReached()).sort()).toEqual([second.id, mail.id].sort());
    expect((await call('DELETE', `/v1/channels/${second.id}`, keys.admin)).statusCode).toBe(204);
    expect(await channelsReached()).toEqual([mail.id]);

    // Past the API (another dispatch instance, or by hand): seen once the snapshot is that old.
    await t.db.updateTable('notificationChannels').set({ enabled: true }).where('id', '=', first.id).execute();
    await eventually(async () => (await channelsReached()).length === 2, DIRECTORY_CACHE_MS + 5_000, 'the change made past the API');
    directoryCacheOf(t.db).invalidate();
  });

  it('keeps one snapshot until it is old or invalidated', async () => {
    const cache = new DirectoryCache(60_000);
    const u = await unit();
    const before = await cache.get(t.db);
    expect(before.unitNames.get(u.id)).toBe(u.name);
    expect(before.peopleOf(u.id)).toEqual([]);
    const p = await person(u.id, { onDuty: true });
    expect(await cache.get(t.db)).toBe(before);
    cache.invalidate();
    const after = await cache.get(t.db);
    expect(after.peopleOf(u.id).map((x) => x.id)).toEqual([p.id]);
    expect(after.onDutyAt(u.id, Date.now())).toEqual([{ personId: p.id, name: p.name }]);
    expect(await new DirectoryCache(0).get(t.db)).not.toBe(after);
  });
});

describe('the information officer (舆情信息员)', () => {
  it('gets the unit’s warnings and chases by default, besides whoever is on duty; a unit without one reaches only its duty officer', async () => {
    const u = await unit();
    const duty = await person(u.id, { onDuty: true });
    const officer = await person(u.id, { roles: ['information_officer'] });
    const bystander = await person(u.id);
    for (const p of [duty, officer, bystander]) await channel({ personId: p.id }, 'email', p.email);

    const inc = await incident();
    const warn = dispatched(inc, [{ ...u, role: 'responsible_department' }]);
    await project(warn);
    expect((await deliveriesOf(warn.id)).map((d) => d.personId).sort()).toEqual([duty.id, officer.id].sort());
    const mail = await eventually(
      async () => smtp.mails.find((m) => m.headers['x-yuqing-event-id'] === warn.id && m.to.includes(officer.email)),
      10_000,
      'the warning in the officer’s mailbox',
    );
    expect(mail.subject).toContain(inc.title);
    expect(smtp.mails.some((m) => m.to.includes(bystander.email))).toBe(false);

    const dueAt = (warn.data as { tasks: TaskSnapshot[] }).tasks[0]!.dueAt!;
    const lapsed = event('deadline_lapsed', inc.id, {
      taskKey: `acknowledge:${u.id}`,
      taskKind: 'acknowledge',
      owner: { role: 'responsible_department', unitId: u.id },
      dueAt,
      lapsedAt: new Date().toISOString(),
      lateMs: 15,
    });
    await project(lapsed);
    expect(
      (await deliveriesOf(lapsed.id))
        .filter((d) => d.unitId === u.id)
        .map((d) => d.personId)
        .sort(),
    ).toEqual([duty.id, officer.id].sort());

    // The same person named officer and on duty gets one message, not two.
    expect((await call('PATCH', `/v1/persons/${officer.id}`, keys.admin, { onDuty: true })).statusCode).toBe(200);
    expect((await call('PATCH', `/v1/persons/${duty.id}`, keys.admin, { onDuty: false })).statusCode).toBe(200);
    const again = dispatched(await incident(), [{ ...u, role: 'responsible_department' }]);
    await project(again);
    expect((await deliveriesOf(again.id)).map((d) => d.personId)).toEqual([officer.id]);

    // Without an officer the unit's part reaches its duty officer only (and the office lists the gap).
    const other = await unit();
    const otherDuty = await person(other.id, { onDuty: true });
    await channel({ personId: otherDuty.id }, 'email', otherDuty.email);
    const plain = dispatched(await incident(), [{ ...other, role: 'responsible_department' }]);
    await project(plain);
    expect((await deliveriesOf(plain.id)).map((d) => d.personId)).toEqual([otherDuty.id]);
    await eventually(
      async () => (await t.db.selectFrom('deliveries').select('id').where('status', 'in', ['pending', 'sending']).execute()).length === 0,
      10_000,
      'all delivered',
    );
  });
});

describe('a spread surge (issue 15)', () => {
  it('alerts the opinion office, and only it, whatever the tier, with the figures and no deadline', async () => {
    const hook = await webhookFor('opinion-office', 'office-surge');
    const inc = await incident();
    const assigned = await unit();
    await webhookFor(assigned.id, 'assigned-surge');
    await project(dispatched(inc, [{ ...assigned, role: 'district_bureau' }], [], 'general'));
    const surge = event('surge', inc.id, { spreadPerHour: 24, baseline: 10, window: '1h', reportIds: ['r1', 'r2'] }, 'general');
    await project(surge);
    const rows = await deliveriesOf(surge.id);
    expect(rows.map((d) => d.unitId)).toEqual(expect.arrayContaining(['opinion-office']));
    expect(rows.every((d) => d.unitId === 'opinion-office')).toBe(true);
    const toOffice = rows.find((d) => d.channelId === hook.id)!.message as { title: string; text: string; dueAt?: string };
    expect(toOffice.title).toBe(`【传播激增预警】一般舆情:${inc.title}`);
    expect(toOffice.text).toContain('每小时传播量 24');
    expect(toOffice.dueAt).toBeUndefined();
    await eventually(async () => (await deliveriesOf(surge.id)).every((d) => d.status === 'delivered'), 10_000, 'surge delivered');
  });
});

describe('delivery: retries, dead letters, slow endpoints', () => {
  it('retries a failing endpoint with backoff until it accepts, logging every attempt', async () => {
    const u = await unit();
    await webhookFor(u.id, 'flaky-hook', { failTimes: 2, failStatus: 503 });
    const duty = await person(u.id, { onDuty: true });
    await channel({ personId: duty.id }, 'email', duty.email);
    smtp.failTimes = 1;
    const ev = dispatched(await incident(), [{ ...u, role: 'responsible_department' }]);
    await project(ev);
    const rows = await eventually(
      async () => {
        const r = await deliveriesOf(ev.id);
        return r.length === 2 && r.every((d) => d.status === 'delivered') && r;
      },
      15_000,
      'delivered after retries',
    );
    const hook = rows.find((r) => r.channelKind === 'webhook')!;
    const mail = rows.find((r) => r.channelKind === 'email')!;
    expect(hook.attempts).toBe(3);
    expect(mail.attempts).toBe(2);

    const arrivals = http.at('flaky-hook', 'webhook');
    expect(arrivals.map((a) => [a.status, a.headers['x-yuqing-attempt']])).toEqual([
      [503, '1'],
      [503, '2'],
      [200, '3'],
    ]);
    expect(new Set(arrivals.map((a) => a.headers['x-yuqing-delivery-id'])).size).toBe(1);
    // Backoff: 100 ms, then 200 ms (plus jitter).
    expect(arrivals[1]!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(90);
    expect(arrivals[2]!.at - arrivals[1]!.at).toBeGreaterThanOrEqual(190);

    const detail = await call('GET', `/v1/deliveries/${hook.id}`, keys.admin);
    expect(detail.statusCode).toBe(200);
    expect(detail.json().log.map((a: { ok: boolean; statusCode: number; error: string | null }) => [a.ok, a.statusCode, a.error])).toEqual([
      [false, 503, 'HTTP 503'],
      [false, 503, 'HTTP 503'],
      [true, 200, null],
    ]);
    const mailLog = (await call('GET', `/v1/deliveries/${mail.id}`, keys.admin)).json().log;
    expect(mailLog.map((a: { error: string | null }) => a.error)).toEqual(['SMTP 451', null]);
    // One outcome each, published once.
    expect(await notifiedEvents((e) => e.data.cause.eventId === ev.id)).toHaveLength(2);
  });

  it('gives up into the dead-letter list; an operator retries it over REST once the endpoint is back', async () => {
    const u = await unit();
    await webhookFor(u.id, 'dead-hook', { down: true, failStatus: 500 });
    const inc = await incident();
    const ev = dispatched(inc, [{ ...u, role: 'responsible_department' }]);
    await project(ev);
    const [dead] = await eventually(
      async () => {
        const r = await deliveriesOf(ev.id);
        return r[0]?.status === 'dead' && r;
      },
      15_000,
      'dead letter',
    );
    expect(dead).toMatchObject({ attempts: 3, lastError: 'HTTP 500' });
    const failed = await eventually(async () => (await notifiedEvents((e) => e.data.deliveryId === dead!.id))[0], 5_000, 'failed outcome');
    expect(failed.data).toMatchObject({ outcome: 'failed', attempts: 3, reason: 'HTTP 500', channel: 'webhook' });

    const list = await call('GET', `/v1/deliveries?status=dead&incident=${inc.id}`, keys.admin);
    expect(list.json().items.map((d: { id: string; statusLabel: string }) => [d.id, d.statusLabel])).toEqual([[dead!.id, '发送失败,待人工重试']]);
    expect((await call('GET', `/v1/deliveries?unit=${u.id}`, keys.otherUnit)).statusCode).toBe(403);
    expect((await call('POST', `/v1/deliveries/${dead!.id}/retry`, keys.reader)).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/v1/deliveries/${dead!.id}/retry` })).statusCode).toBe(401);

    http.get('dead-hook', 'webhook').down = false;
    const retry = await call('POST', `/v1/deliveries/${dead!.id}/retry`, keys.office);
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toMatchObject({ status: 'pending', attempts: 0 });
    await eventually(async () => (await deliveriesOf(ev.id))[0]?.status === 'delivered', 10_000, 'delivered after the retry');
    expect(http.processed.get('/webhook/dead-hook')).toEqual([ev.id]);
    const outcomes = await eventually(
      async () => {
        const o = await notifiedEvents((e) => e.data.deliveryId === dead!.id);
        return o.length === 2 && o;
      },
      5_000,
      'second outcome',
    );
    expect(outcomes.map((e) => e.data.outcome).sort()).toEqual(['delivered', 'failed']);
    const log = (await call('GET', `/v1/deliveries/${dead!.id}`, keys.office)).json().log;
    expect(log.map((a: { ok: boolean }) => a.ok)).toEqual([false, false, false, true]);
    const audit = await t.db.selectFrom('auditLog').select(['actorId', 'action']).where('entityId', '=', dead!.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['delivery.dead', 'delivery.retried', 'delivery.delivered']);
    expect(audit[1]!.actorId).not.toBe('system:dispatch');
    expect((await call('POST', `/v1/deliveries/${dead!.id}/retry`, keys.office)).statusCode).toBe(409);
  });

  it('does not retry what cannot succeed (HTTP 404)', async () => {
    const u = await unit();
    await webhookFor(u.id, 'gone-hook', { down: true, failStatus: 404 });
    const ev = dispatched(await incident(), [{ ...u, role: 'responsible_department' }]);
    await project(ev);
    const [dead] = await eventually(
      async () => {
        const r = await deliveriesOf(ev.id);
        return r[0]?.status === 'dead' && r;
      },
      10_000,
      'dead at once',
    );
    expect(dead).toMatchObject({ attempts: 1, lastError: 'HTTP 404' });
  });

  it('a slow endpoint never delays a fast one', async () => {
    const slow = await unit();
    const fast = await unit();
    await webhookFor(slow.id, 'slow-hook', { delayMs: 3_000 });
    await webhookFor(fast.id, 'fast-hook');
    const inc = await incident();
    const events = Array.from({ length: 6 }, () =>
      dispatched(inc, [
        { ...slow, role: 'district_bureau' },
        { ...fast, role: 'responsible_department' },
      ]),
    );
    const started = Date.now();
    for (const ev of events) await project(ev);
    await eventually(() => http.at('fast-hook', 'webhook').length === 6, 5_000, 'the fast endpoint');
    const fastDone = Date.now() - started;
    expect(fastDone).toBeLessThan(1_500);
    // The slow endpoint answers after the 1.5 s timeout: at most two of its deliveries are in flight at a time.
    const slowRows = await t.db
      .selectFrom('deliveries')
      .select(['status', 'attempts'])
      .where('endpoint', 'like', 'channel:%')
      .where('unitId', '=', slow.id)
      .execute();
    expect(slowRows.every((r) => r.status !== 'delivered')).toBe(true);
    expect(slowRows.filter((r) => r.attempts > 0).length).toBeLessThanOrEqual(2);
    const timeouts = await eventually(
      async () => {
        const rows = await t.db
          .selectFrom('deliveryAttempts')
          .innerJoin('deliveries', 'deliveries.id', 'deliveryAttempts.deliveryId')
          .select(['deliveryAttempts.error', 'deliveryAttempts.durationMs'])
          .where('deliveries.unitId', '=', slow.id)
          .execute();
        return rows.length >= 2 && rows;
      },
      10_000,
      'slow attempts time out',
    );
    expect(timeouts.every((a) => a.error === 'timeout' && a.durationMs >= 1_400 && a.durationMs < 2_500)).toBe(true);
  });
});

describe('contact data', () => {
  it('never appears in events, the audit log or the logs', async () => {
    expect(contactData.length).toBeGreaterThan(10);
    contactData.push(secretsKey);
    const outbox = JSON.stringify(await t.db.selectFrom('outbox').select('payload').execute());
    const audit = JSON.stringify(await t.db.selectFrom('auditLog').select(['before', 'after']).execute());
    const logged = logs.join('');
    expect(logged).toContain('notification delivered');
    for (const secret of contactData) {
      expect(outbox).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });
});
