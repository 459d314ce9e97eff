/**
 * Issue 4's done-when, as one story on the real services: a sensitive food-safety
 * incident in 南岗区 reaches the food-safety department and 南岗区's bureau by
 * webhook and e-mail (the latency is printed; the bench measures it); both units acknowledge and report
 * with their own people's keys; the bureau then stays silent on its final report,
 * is chased, and its superiors are alerted; every message and every action shows
 * in the incident's timeline.
 */
import type { Client } from '@temporalio/client';
import { createServer, type App } from '@yuqing/http-kit';
import { createWorkflowStarter, intakeApp } from '@yuqing/intake';
import { createTimelineProjection, LiveFeed, reportingApp } from '@yuqing/reporting';
import { DEFAULT_POLICY, loadConfig, runConsumer, type ConsumerRunner, type EventBus, type OutboxRelay, type PolicyDocumentInput } from '@yuqing/shared';
import {
  connectTestBus,
  connectTestClient,
  createTestDatabase,
  createTestKey,
  destroyTestBus,
  eventually,
  HttpReceiver,
  publishCityPolicy,
  RECEIVER_ALLOW_HOSTS,
  sampleIncident,
  SmtpReceiver,
  startTestWorker,
  testLogger,
  testNatsOptions,
  type Arrival,
  type TestDatabase,
  type TestWorker,
  terminateTestWorkflows,
} from '@yuqing/testkit';
import { createNotifications, createTaskProjection, dispatchApp, type Notifications } from '@yuqing/dispatch';

let t: TestDatabase;
let bus: EventBus;
let worker: TestWorker;
let temporal: Client;
let starter: OutboxRelay<unknown>;
let notifications: Notifications;
const consumers: ConsumerRunner[] = [];
const apps = {} as Record<'intake' | 'dispatch' | 'reporting', App>;
let http: HttpReceiver;
let smtp: SmtpReceiver;
const keys = {} as Record<'monitoring' | 'admin', string>;

/** Second-scale clocks: a unit has 6 s to report; chased at once, then the office after 1 s, the leader in charge after 2 s. */
function secondScalePolicy(): PolicyDocumentInput {
  const doc = structuredClone<PolicyDocumentInput>(DEFAULT_POLICY);
  doc.name = '测试策略(秒级时限)';
  doc.tiers.sensitive.tasks = [
    {
      kind: 'acknowledge',
      owner: 'district_bureau',
      deadline: '6s',
      chain: [
        { after: '0s', action: 'remind', notify: ['owner'] },
        { after: '1s', action: 'escalate', notify: ['opinion_office'] },
      ],
    },
    {
      kind: 'investigation_report',
      owner: 'district_bureau',
      deadline: '6s',
      chain: [
        { after: '0s', action: 'remind', notify: ['owner'] },
        { after: '1s', action: 'escalate', notify: ['opinion_office'] },
        { after: '2s', action: 'escalate', notify: ['leader_in_charge'] },
      ],
    },
  ];
  return doc;
}

beforeAll(async () => {
  t = await createTestDatabase();
  http = await new HttpReceiver().start();
  smtp = await new SmtpReceiver().start();
  const natsOptions = testNatsOptions('reach-and-chase');
  bus = await connectTestBus(natsOptions);
  worker = await startTestWorker({ db: t.db, bus });
  temporal = await connectTestClient();
  await publishCityPolicy(t.db, secondScalePolicy());
  const config = loadConfig({ SMTP_URL: smtp.url, NOTIFY_POLL_MS: '200', OUTBOX_POLL_MS: '200', NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS });
  const log = testLogger('dispatch');

  notifications = createNotifications({ db: t.db, config, log, bus: () => bus }).start();
  consumers.push(
    runConsumer({
      nats: natsOptions,
      durable: 'dispatch',
      log,
      handler: createTaskProjection(t.db, { plan: notifications.plan, onDeliveriesQueued: () => notifications.wake() }),
    }),
    runConsumer({ nats: natsOptions, durable: 'reporting', log: testLogger('reporting'), handler: createTimelineProjection(t.db) }),
  );
  starter = createWorkflowStarter({ db: t.db, temporal, taskQueue: worker.taskQueue, log: testLogger('intake'), pollMs: 200 }).start();

  apps.intake = createServer({ log: testLogger('intake'), bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.intake.register(intakeApp, { db: t.db, config, temporal, onAccepted: () => starter.wake() });
  apps.dispatch = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.dispatch.register(dispatchApp, { db: t.db, config, temporal, natsConnected: () => true, onDeliveriesQueued: () => notifications.wake() });
  apps.reporting = createServer({ log: testLogger('reporting'), bodyLimit: config.BODY_LIMIT_BYTES });
  await apps.reporting.register(reportingApp, { db: t.db, config, natsConnected: () => true, live: new LiveFeed(), liveWatching: () => false });
  await Promise.all(Object.values(apps).map((a) => a.ready()));

  keys.monitoring = await createTestKey(t.db, { scopes: ['incidents:write'], id: 'monitoring-platform' });
  keys.admin = await createTestKey(t.db, { scopes: ['admin'], id: 'directory-admin' });

  // A fresh worker and a fresh dispatch process pay one-time costs (first workflow, first HTTP request, SMTP pool):
  // warm the whole path with an incident in another district, as a service that has been running would be.
  await channel({ unitId: 'district-230102', kind: 'webhook', address: http.endpoint('warm-up', { kind: 'webhook' }) }).then(
    (c) => (http.get('warm-up', 'webhook').secret = c.secret!),
  );
  await channel({ personId: 'duty-district-230102', kind: 'email', address: 'duty.district-230102@example.org' });
  const warm = await report({
    district: '道里区',
    topic: 'advertising',
    suggestedTier: 'general',
    title: '预热:道里区广告舆情',
    metrics: { reportCount: 2, reach: 500, spreadPerHour: 1, negativeRatio: 0.2, importantMedia: false },
  });
  await eventually(
    async () => {
      const sent = await t.db.selectFrom('deliveries').select('status').where('incidentId', '=', warm).execute();
      return sent.length === 2 && sent.every((d) => d.status === 'delivered');
    },
    30_000,
    'the warm-up incident’s warnings',
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(apps).map((a) => a.close()));
  await starter.stop();
  for (const c of consumers) await c.stop();
  await notifications.stop();
  await worker.stop();
  await terminateTestWorkflows(temporal, worker.taskQueue);
  await temporal.connection.close();
  await http.stop();
  await smtp.stop();
  await destroyTestBus(bus);
  await t.drop();
});

const call = (name: keyof typeof apps, method: 'GET' | 'POST', url: string, key: string, payload?: unknown) =>
  apps[name].inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });

async function report(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await call('intake', 'POST', '/v1/incidents', keys.monitoring, sampleIncident(overrides));
  expect(res.statusCode).toBe(202);
  return res.json().id as string;
}

/** A person of the unit, with a personal key issued over REST. */
async function personWithKey(unitId: string, id: string, name: string): Promise<string> {
  expect(
    (
      await call('dispatch', 'POST', '/v1/persons', keys.admin, {
        id,
        unitId,
        name,
        roles: unitId.startsWith('district-') ? ['district_bureau'] : ['responsible_department'],
      })
    ).statusCode,
  ).toBe(201);
  const issued = await call('dispatch', 'POST', `/v1/persons/${id}/keys`, keys.admin, { label: '值班手机' });
  expect(issued.statusCode).toBe(201);
  return issued.json().key as string;
}

async function channel(body: Record<string, unknown>): Promise<{ secret?: string }> {
  const res = await call('dispatch', 'POST', '/v1/channels', keys.admin, body);
  expect(res.statusCode).toBe(201);
  return res.json();
}

const forIncident = (arrivals: Arrival[], id: string) => arrivals.filter((a) => a.json?.incidentId === id || JSON.stringify(a.json ?? {}).includes(id));

it('reaches both units at once, takes their acknowledgements and reports, chases the silent one up the chain, and shows it all in the timeline', async () => {
  // The bureau configures where each unit is reached: the units' own systems by signed webhook, the duty officers by e-mail,
  // the opinion office's DingTalk group and the leadership's WeCom group.
  for (const [unitId, name] of [
    ['dept-food-safety', 'food'],
    ['district-230103', 'nangang'],
  ] as const) {
    const { secret } = await channel({ unitId, kind: 'webhook', address: http.endpoint(name, { kind: 'webhook' }), label: '单位办公系统' });
    http.get(name, 'webhook').secret = secret!;
    await channel({ personId: `duty-${unitId}`, kind: 'email', address: `duty.${unitId}@example.org` });
  }
  await channel({ unitId: 'opinion-office', kind: 'dingtalk', address: http.endpoint('office', { kind: 'dingtalk' }) });
  await channel({ unitId: 'leadership-group', kind: 'wecom', address: http.endpoint('leaders', { kind: 'wecom' }) });
  const foodKey = await personWithKey('dept-food-safety', 'food-officer', '食品处联络员(示例)');
  const nangangKey = await personWithKey('district-230103', 'nangang-officer', '南岗区局联络员(示例)');

  // 1. Intake → both units warned by webhook and e-mail at once.
  const intakeAt = Date.now();
  const id = await report({ title: '网传南岗区某幼儿园食堂使用变质食材', topic: 'food_safety', district: '南岗区', suggestedTier: 'sensitive' });
  const warned = await eventually(
    () => {
      const hooks = ['food', 'nangang'].map((n) => forIncident(http.at(n, 'webhook'), id).find((a) => a.json.eventType === 'dispatched'));
      const mails = ['dept-food-safety', 'district-230103'].map((u) => smtp.mails.find((m) => m.to.includes(`duty.${u}@example.org`) && m.text.includes(id)));
      return hooks.every(Boolean) && mails.every(Boolean) && { hooks: hooks as Arrival[], mails: mails as { at: number; subject: string }[] };
    },
    5_000,
    'the warnings',
  );
  const latencies = [...warned.hooks.map((h) => h.at - intakeAt), ...warned.mails.map((m) => m.at - intakeAt)];
  const dispatchedAt = await t.db
    .selectFrom('deliveries')
    .select(['channelKind', 'latencyMs', 'triggeredAt', 'createdAt', 'deliveredAt'])
    .where('incidentId', '=', id)
    .where('eventType', '=', 'dispatched')
    .execute();
  console.info(
    `intake → webhook (food, nangang), e-mail (food, nangang): ${latencies.join(', ')} ms; event → delivered: ${dispatchedAt.map((d) => `${d.channelKind} ${d.latencyMs} (queued ${d.createdAt.getTime() - d.triggeredAt.getTime()})`).join(', ')} ms; event at +${dispatchedAt[0] ? dispatchedAt[0].triggeredAt.getTime() - intakeAt : '?'} ms`,
  );
  // How fast is the bench's to measure (BENCHMARKS.md, fan-out); here, that every warning arrived, with what it must say.
  expect(latencies.every((ms) => ms >= 0)).toBe(true);
  for (const h of warned.hooks) {
    expect(h.status).toBe(200); // signature and timestamp verified by the receiver
    expect(h.json.title).toBe('【紧急预警】敏感舆情:网传南岗区某幼儿园食堂使用变质食材');
  }
  expect(warned.mails.every((m) => m.subject.startsWith('【紧急预警】'))).toBe(true);
  // The leader in charge of the business gets the link at once too (sensitive tier).
  await eventually(
    () => forIncident(http.at('leaders', 'wecom'), id).some((a) => a.json.markdown.content.includes('【紧急预警】')),
    5_000,
    'the leader’s link',
  );

  // 2. Both units acknowledge and report with their own people's keys.
  const act = (key: string, action: string, body: unknown) => call('dispatch', 'POST', `/v1/incidents/${id}/actions/${action}`, key, body);
  expect((await act(foodKey, 'acknowledge', {})).statusCode).toBe(200);
  expect((await act(nangangKey, 'acknowledge', {})).statusCode).toBe(200);
  const findings = {
    truth: 'partly',
    whatHappened: '经现场检查,该幼儿园食堂部分食材临近保质期,未发现变质食材。',
    dutyFailure: { found: false },
    violation: { found: false },
  };
  const final = await act(foodKey, 'report', {
    kind: 'final',
    findings,
    dispositions: ['immediate_measures'],
    measures: '督促整改',
    result: '已督促整改并抽检留样',
  });
  expect(final.statusCode).toBe(200);
  const interim = await act(nangangKey, 'report', { kind: 'interim', findings: { ...findings, truth: 'unknown' }, dispositions: [] });
  expect(interim.statusCode).toBe(200);
  const state = interim.json<{ tasks: { key: string; status: string; doneBy?: { id: string; kind: string; unitId?: string } }[] }>();
  const doneBy = (key: string) => state.tasks.find((x) => x.key === key)!.doneBy;
  expect(doneBy('acknowledge:district-230103')).toMatchObject({ kind: 'person', unitId: 'district-230103', roles: ['district_bureau'] });
  expect(doneBy('investigation_report:dept-food-safety')).toMatchObject({ kind: 'person', unitId: 'dept-food-safety' });
  expect(state.tasks.find((x) => x.key === 'investigation_report:district-230103')!.status).toBe('open');
  // A unit acts only for itself.
  expect((await act(foodKey, 'report', { unitId: 'district-230103', kind: 'final', findings, dispositions: [] })).statusCode).toBe(403);

  // 3. 南岗区 stays silent on its final report: it is chased, then the office and the leader in charge are alerted.
  const titleOf = (a: Arrival) => (a.json.title ?? a.json.markdown?.title ?? a.json.markdown?.content ?? '') as string;
  const chased = await eventually(
    () => {
      const toUnit = forIncident(http.at('nangang', 'webhook'), id);
      const reminder = toUnit.find((a) => a.json.eventType === 'reminder_sent');
      const office = forIncident(http.at('office', 'dingtalk'), id).find((a) => titleOf(a).startsWith('【督办】'));
      const leaders = forIncident(http.at('leaders', 'wecom'), id).find((a) => titleOf(a).includes('【督办】'));
      return reminder && office && leaders && { reminder, office, leaders, toUnit };
    },
    20_000,
    'the chase up the chain',
  );
  expect(chased.reminder.json.title).toBe('【催办】敏感舆情:网传南岗区某幼儿园食堂使用变质食材');
  expect(chased.reminder.json.text).toContain('调查处置反馈 截止:');
  expect(chased.reminder.at).toBeLessThan(chased.office.at);
  expect(chased.office.at).toBeLessThan(chased.leaders.at);
  expect(chased.office.json.markdown.text).toContain('南岗区市场监督管理局');
  // 督办 presses the unit itself too, and the lapse reached the office.
  await eventually(
    () => forIncident(http.at('nangang', 'webhook'), id).filter((a) => a.json.eventType === 'escalated').length === 2,
    10_000,
    'the unit’s copies of the escalations',
  );
  await eventually(() => forIncident(http.at('office', 'dingtalk'), id).some((a) => titleOf(a).startsWith('【超时预警】')), 10_000, 'the lapse to the office');
  // The department that reported in time is not chased.
  expect(forIncident(http.at('food', 'webhook'), id).map((a) => a.json.eventType)).toEqual(['dispatched']);

  // The overdue view holds the delay against 南岗区's bureau.
  const mine = await call('dispatch', 'GET', '/v1/units/district-230103/overdue', nangangKey);
  expect(mine.statusCode).toBe(200);
  expect(mine.json().tasks.map((x: { key: string }) => x.key)).toEqual(['investigation_report:district-230103']);
  expect(mine.json().summary).toMatchObject({ overdueTasks: 1, lapses: 1, escalations: 2 });
  expect(mine.json().alerts.map((a: { kindLabel: string }) => a.kindLabel)).toEqual(expect.arrayContaining(['超时预警', '催办提醒', '督办升级']));
  expect((await call('dispatch', 'GET', '/v1/units/dept-food-safety/overdue', nangangKey)).statusCode).toBe(403);
  const board = (await call('dispatch', 'GET', '/v1/overdue', keys.admin)).json().items as { unitId: string; overdueTasks: number }[];
  expect(board).toEqual([expect.objectContaining({ unitId: 'district-230103', overdueTasks: 1 })]);
  expect(board.some((r) => r.unitId === 'dept-food-safety')).toBe(false);

  // 4. Every message and every action is in the incident's timeline.
  const timeline = await eventually(
    async () => {
      const deliveries = await t.db.selectFrom('deliveries').select(['id', 'status']).where('incidentId', '=', id).execute();
      if (deliveries.some((d) => d.status !== 'delivered')) return false;
      const res = await call('reporting', 'GET', `/v1/incidents/${id}/timeline`, keys.admin);
      const entries = res.json().entries as { type: string; text: string; data: { deliveryId?: string; actor?: { id: string } } }[];
      const noted = new Set(entries.filter((e) => e.type === 'notified').map((e) => e.data.deliveryId));
      return deliveries.every((d) => noted.has(d.id)) && { entries, deliveries };
    },
    15_000,
    'every delivery in the timeline',
  );
  const types = timeline.entries.map((e) => e.type);
  for (const type of ['received', 'assessed', 'dispatched', 'deadline_lapsed', 'reminder_sent']) expect(types).toContain(type);
  expect(types.filter((x) => x === 'acknowledged')).toHaveLength(2);
  expect(types.filter((x) => x === 'report_submitted')).toHaveLength(2);
  expect(types.filter((x) => x === 'escalated')).toHaveLength(2);
  const actors = timeline.entries.filter((e) => e.type === 'acknowledged' || e.type === 'report_submitted').map((e) => e.data.actor?.id);
  expect(actors).toHaveLength(4);
  expect(actors.filter((a) => a?.startsWith('key-food-officer-'))).toHaveLength(2);
  expect(actors.filter((a) => a?.startsWith('key-nangang-officer-'))).toHaveLength(2);
  // Each arrival at a receiver is one delivery of this incident, and each delivery a timeline line in Chinese.
  const deliveryIds = new Set(timeline.deliveries.map((d) => d.id));
  const arrivals = [
    ...http.arrivals.filter((a) => a.status === 200 && JSON.stringify(a.json ?? {}).includes(id)),
    ...smtp.mails.filter((m) => m.text.includes(id)),
  ];
  const arrivedIds = arrivals.map((a) => a.headers['x-yuqing-delivery-id']);
  expect(arrivedIds.every((d) => typeof d === 'string' && deliveryIds.has(d))).toBe(true);
  expect(new Set(arrivedIds).size).toBe(deliveryIds.size);
  const notified = timeline.entries.filter((e) => e.type === 'notified');
  expect(notified).toHaveLength(deliveryIds.size);
  expect(notified.every((e) => /「(转办预警|催办提醒|督办升级|超时预警)」.+通知已送达 /.test(e.text))).toBe(true);
  console.info(`timeline: ${timeline.entries.length} entries, ${notified.length} notifications, ${types.filter((x) => x !== 'notified').length} other events`);
}, 90_000);
