/**
 * The daily and weekly summary reports (舆情日报/周报) on the real path: the
 * worker's schedules are made on the real Temporal server (twice: idempotent),
 * triggered, and their workflow's activity counts the seeded incidents, stores
 * the report with its PDF and queues a delivery for each leader's channel
 * through the notification deliveries; reporting lists and serves them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ScheduleHandle } from '@temporalio/client';
import { sql } from 'kysely';
import { createNotifications } from '@yuqing/dispatch';
import {
  channelSecretContext,
  DEFAULT_POLICY,
  loadConfig,
  MIGRATIONS,
  secretBoxFromConfig,
  type PolicyDocumentInput,
  type SummaryFigures,
} from '@yuqing/shared';
import { createTestKey, eventually, HttpReceiver, publishCityPolicy, RECEIVER_ALLOW_HOSTS, SmtpReceiver, testLogger } from '@yuqing/testkit';
import { ensureSummarySchedules } from '@yuqing/worker';
import { startReportingHarness, type ReportingHarness } from './harness';

jest.setTimeout(180_000);

let h: ReportingHarness;
let dir: string;
let schedules: ScheduleHandle[] = [];
const keys = {} as Record<'leader' | 'office' | 'nangang', string>;
const channels = {} as Record<'leader' | 'deputy' | 'inCharge' | 'group' | 'director' | 'office', string>;

interface Listed {
  id: string;
  kind: string;
  kindLabel: string;
  title: string;
  figures: SummaryFigures;
  links: { pdf: string };
}

/** The default policy, with the general tier's acknowledgement due in 1 s: the 道里区 bureau lapses. */
function quickAckPolicy(): PolicyDocumentInput {
  const doc = structuredClone(DEFAULT_POLICY);
  const ack = doc.tiers.general.tasks.find((t) => t.kind === 'acknowledge')!;
  ack.deadline = '1s';
  ack.chain = [{ after: '0s', action: 'remind', notify: ['owner'] }];
  return doc;
}

async function person(id: string, unitId: string, name: string, roles: string[]): Promise<void> {
  await h.t.db
    .insertInto('persons')
    .values({ id, unitId, name, roles: JSON.stringify(roles) })
    .execute();
}

async function channel(id: string, owner: { unitId: string } | { personId: string }, kind: 'email' | 'webhook', address: string): Promise<string> {
  await h.t.db
    .insertInto('notificationChannels')
    .values({
      id,
      unitId: 'unitId' in owner ? owner.unitId : null,
      personId: 'personId' in owner ? owner.personId : null,
      kind,
      label: null,
      address,
      secret: null,
      enabled: true,
    })
    .execute();
  return id;
}

const get = (url: string, key: string) => h.app.inject({ url, headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  h = await startReportingHarness('reporting-summary');
  dir = mkdtempSync(path.join(tmpdir(), 'yuqing-summary-'));
  keys.leader = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'leadership-group', roles: ['leader'] });
  keys.office = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
  keys.nangang = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });

  // The leaders, each with a personal channel; the group's own channel; and two who are not leaders.
  await person('p-zhang', 'leadership-group', '张组长', ['leader', 'leadership_group']);
  await person('p-chen', 'leadership-group', '陈副组长', ['deputy_leader']);
  await person('p-li', 'leadership-group', '李分管', ['leader_in_charge']);
  await person('p-zhao', 'opinion-office', '赵主任', ['office_director']);
  channels.leader = await channel('ch-zhang', { personId: 'p-zhang' }, 'email', 'zhang@example.org');
  channels.deputy = await channel('ch-chen', { personId: 'p-chen' }, 'email', 'chen@example.org');
  channels.inCharge = await channel('ch-li', { personId: 'p-li' }, 'email', 'li@example.org');
  channels.group = await channel('ch-group', { unitId: 'leadership-group' }, 'webhook', 'https://hooks.example.org/leadership');
  channels.director = await channel('ch-zhao', { personId: 'p-zhao' }, 'email', 'zhao@example.org');
  channels.office = await channel('ch-office', { unitId: 'opinion-office' }, 'webhook', 'https://hooks.example.org/office');

  // Three incidents of the day: two in 南岗区 on food safety (sensitive, critical), one in 道里区 on consumer rights (general, lapses).
  await publishCityPolicy(h.t.db, quickAckPolicy());
  await h.report();
  await h.report({ title: '网传南岗区某商场冷库食品发霉', flags: ['tied_to_emergency'], suggestedTier: undefined });
  await h.report({
    title: '网传道里区某超市拒绝退货',
    district: '道里区',
    topic: 'consumer_rights',
    metrics: { reportCount: 3, reach: 2_000 },
    suggestedTier: 'general',
  });
  await eventually(
    async () =>
      (await h.t.db.selectFrom('alerts').select('id').where('kind', '=', 'deadline_lapsed').where('unitId', '=', 'district-230102').execute()).length > 0,
    30_000,
    'the 道里区 lapse',
  );
  await eventually(
    async () => (await h.t.db.selectFrom('incidents').select('id').where('status', '=', 'handling').execute()).length === 3,
    30_000,
    'dispatched',
  );
  // A triggered run's period ends at its scheduled time, to the second: an alert raised in that same second
  // belongs to the next period (a make test run under load triggered 0.5 s after the lapse and lost it).
  await new Promise((r) => setTimeout(r, 1_100));
});

afterAll(async () => {
  for (const s of schedules) await s.delete().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  await h?.close();
});

describe('the schedules', () => {
  it('are made once, with the configured cron and time zone, whatever the number of starts', async () => {
    const settings = {
      cron: { daily: '0 8 * * *', weekly: '30 8 * * 1' },
      timezone: 'Asia/Shanghai',
      taskQueue: h.worker.taskQueue,
      idPrefix: `${h.worker.taskQueue}-`,
    };
    const first = await ensureSummarySchedules(h.temporal, settings);
    const again = await ensureSummarySchedules(h.temporal, settings);
    expect(again).toEqual(first);
    schedules = first.map((id) => h.temporal.schedule.getHandle(id));
    const weekly = await schedules[1]!.describe();
    expect(weekly.spec.timezone).toBe('Asia/Shanghai');
    expect(weekly.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'summaryReportWorkflow',
      taskQueue: h.worker.taskQueue,
      args: [{ kind: 'weekly' }],
    });
    // The next run is Monday 08:30 Beijing time.
    const next = weekly.info.nextActionTimes[0]!;
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(next)).toBe(
      'Mon 08:30',
    );
  });
});

describe('a triggered run', () => {
  let report: Listed;

  it('stores the daily report with the counts of the seeded incidents', async () => {
    await schedules[0]!.trigger();
    report = await eventually(
      async () => {
        const res = await get('/v1/summary-reports?kind=daily', keys.leader);
        expect(res.statusCode).toBe(200);
        return (res.json().items as Listed[])[0];
      },
      60_000,
      'the daily report',
    );
    const f = report.figures;
    expect(report.kindLabel).toBe('舆情日报');
    expect(f.incidents.total).toBe(3);
    expect(Object.fromEntries(f.incidents.byTier.map((t) => [t.key, t.count]))).toEqual({ general: 1, sensitive: 1, major: 0, critical: 1 });
    expect(f.incidents.byDistrict).toEqual([
      { key: '230103', label: '南岗区', count: 2 },
      { key: '230102', label: '道里区', count: 1 },
    ]);
    expect(f.incidents.byTopic).toEqual([
      { key: 'food_safety', label: '食品安全', count: 2 },
      { key: 'consumer_rights', label: '消费维权', count: 1 },
    ]);
    expect(f.open).toMatchObject({ incidents: 3 });
    expect(f.open.overdueTasks).toBeGreaterThanOrEqual(1);
    expect(f.lapsesByUnit).toContainEqual(expect.objectContaining({ unitId: 'district-230102', unitName: '道里区市场监督管理局', lapses: 1 }));
    expect(f.fourFirsts.find((x) => x.first === 'assessed')).toMatchObject({ applicable: 3, reached: 3 });
    expect(Date.parse(f.period.to) - Date.parse(f.period.from)).toBe(24 * 3_600_000);
  });

  it('queues one delivery per leader’s channel, none to anyone else', async () => {
    const rows = await h.t.db.selectFrom('deliveries').selectAll().where('summaryReportId', '=', report.id).orderBy('channelId').execute();
    expect(rows.map((r) => r.channelId).sort()).toEqual([channels.group, channels.inCharge, channels.deputy, channels.leader].sort());
    for (const r of rows) {
      expect(r).toMatchObject({
        eventType: 'summary_report',
        eventId: `summary-report:${report.id}`,
        incidentId: null,
        tier: null,
        status: 'pending',
        unitId: 'leadership-group',
      });
      expect(r.message.title).toMatch(/^【舆情日报】/);
      expect(r.message.text).toContain('接收舆情 3 起');
      expect(r.message.links.document).toMatch(new RegExp(`/v1/summary-reports/${report.id}\\.pdf$`));
    }
    expect(rows.find((r) => r.channelId === channels.leader)).toMatchObject({ personName: '张组长', roles: ['leader'] });
    expect(rows.find((r) => r.channelId === channels.group)?.roles.sort()).toEqual(['deputy_leader', 'leader', 'leader_in_charge']);
    const audit = await h.t.db.selectFrom('auditLog').select(['actorId', 'action']).where('entityId', '=', report.id).execute();
    expect(audit).toEqual([{ actorId: 'system:summary-report', action: 'summary_report.created' }]);
  });

  it('serves the PDF to the leaders and the office, in Chinese', async () => {
    const res = await get(`/v1/summary-reports/${report.id}.pdf`, keys.office);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const file = path.join(dir, 'daily.pdf');
    writeFileSync(file, res.rawPayload);
    const { stdout } = await promisify(execFile)('pdftotext', ['-enc', 'UTF-8', file, '-']);
    const text = stdout.replace(/\s+/g, '');
    for (const expected of [
      '舆情日报',
      '本期共接收舆情3起',
      '特别重大舆情1起',
      '南岗区',
      '道里区',
      '食品安全',
      '消费维权',
      '道里区市场监督管理局',
      '四个第一时间',
    ])
      expect(text).toContain(expected);
  });

  it('makes the weekly report too; a district sees neither (bureau-wide)', async () => {
    await schedules[1]!.trigger();
    const weekly = await eventually(
      async () => ((await get('/v1/summary-reports?kind=weekly', keys.leader)).json().items as Listed[])[0],
      60_000,
      'the weekly report',
    );
    expect(weekly).toMatchObject({ kind: 'weekly', kindLabel: '舆情周报' });
    expect(weekly.figures.incidents.total).toBe(3);
    expect(Date.parse(weekly.figures.period.to) - Date.parse(weekly.figures.period.from)).toBe(7 * 24 * 3_600_000);
    expect((await get('/v1/summary-reports', keys.leader)).json().items).toHaveLength(2);
    for (const url of ['/v1/summary-reports', `/v1/summary-reports/${weekly.id}`, `/v1/summary-reports/${weekly.id}.pdf`]) {
      const res = await get(url, keys.nangang);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await get('/v1/summary-reports?kind=monthly', keys.leader)).statusCode).toBe(400);
    expect((await get('/v1/summary-reports/3fa85f64-5717-4562-b3fc-2c963f66afa6.pdf', keys.leader)).statusCode).toBe(404);
  });

  it('dispatch’s delivery worker sends them like any notification: the group’s webhook and each leader’s mail, no incident event', async () => {
    const http = await new HttpReceiver().start();
    const smtp = await new SmtpReceiver().start();
    const config = loadConfig({
      SMTP_URL: smtp.url,
      NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS,
      NOTIFY_POLL_MS: '100',
      OUTBOX_POLL_MS: '100',
      SECRETS_KEY: randomBytes(32).toString('base64'),
    });
    // The group's webhook is signed, its secret sealed at rest as dispatch keeps it.
    const secret = 'leadership-hook-secret';
    await h.t.db
      .updateTable('notificationChannels')
      .set({
        address: http.endpoint('leadership', { kind: 'webhook', secret }),
        secret: secretBoxFromConfig(config).seal(secret, channelSecretContext(channels.group)),
      })
      .where('id', '=', channels.group)
      .execute();
    const notifications = createNotifications({ db: h.t.db, config, log: testLogger('notify'), bus: () => undefined }).start();
    try {
      const sent = () => h.t.db.selectFrom('deliveries').select(['status', 'summaryReportId']).where('summaryReportId', 'is not', null).execute();
      await eventually(async () => (await sent()).every((d) => d.status === 'delivered'), 30_000, 'the leaders’ deliveries sent');
      expect(await sent()).toHaveLength(8);
      const hook = http.at('leadership', 'webhook').find((a) => a.json?.summaryReportId === report.id);
      expect(hook?.json).toMatchObject({ eventType: 'summary_report', incidentId: null, tier: null, title: expect.stringMatching(/^【舆情日报】/) });
      expect(
        smtp.mails
          .filter((m) => m.subject.startsWith('【舆情日报】'))
          .flatMap((m) => m.to)
          .sort(),
      ).toEqual(['chen@example.org', 'li@example.org', 'zhang@example.org']);
      // Outcomes are in the delivery log and the audit log; no incident's timeline hears of them.
      const notified = await h.t.db
        .selectFrom('outbox')
        .select('id')
        .where(sql<boolean>`payload->>'type' = 'notified'`)
        .execute();
      expect(notified).toEqual([]);
      const audited = await h.t.db.selectFrom('auditLog').select('action').where('action', '=', 'delivery.delivered').execute();
      expect(audited).toHaveLength(8);
    } finally {
      await notifications.stop();
      await http.stop();
      await smtp.stop();
    }
  });

  it('a delivery is about an incident’s event or a summary report, never neither; the migration goes down and up again', async () => {
    const bare = { id: 'd-bare', eventId: 'x', eventType: 'summary_report', incidentId: null, tier: null, summaryReportId: null, channelId: channels.group };
    const insert = (row: typeof bare) =>
      h.t.db
        .insertInto('deliveries')
        .values({
          ...row,
          channelKind: 'webhook',
          endpoint: 'channel:x',
          unitId: 'leadership-group',
          roles: '[]',
          message: '{}',
          status: 'pending',
          triggeredAt: new Date(),
        } as never)
        .execute();
    await expect(insert(bare)).rejects.toThrow(/deliveries_event_type_check/);
    await expect(insert({ ...bare, eventType: 'received', summaryReportId: report.id } as never)).rejects.toThrow(/deliveries_event_type_check/);
    const migration = MIGRATIONS['2026-12-03T0101-summary-reports']!;
    await migration.down!(h.t.db);
    expect(await h.t.db.selectFrom('deliveries').select('id').where('incidentId', 'is', null).execute()).toEqual([]);
    await migration.up(h.t.db);
    expect(await h.t.db.selectFrom('summaryReports').select('id').execute()).toEqual([]);
  });
});
