/**
 * The statistics dashboard (GET /v1/stats/dashboard) against PostgreSQL, on rows
 * placed where the figures are known: incidents per Beijing day by tier, district and
 * topic (a merged one not counted), deadline compliance per tier and step, and the
 * four firsts as histograms.
 */
import type { Tier } from '@yuqing/shared';
import { loadConfig } from '@yuqing/shared';
import { createServer, type App } from '@yuqing/http-kit';
import { acceptTestIncident, createTestDatabase, createTestKey, testLogger, type TestDatabase } from '@yuqing/testkit';
import { LiveFeed, reportingApp } from '../src/app';
import { beijingDays } from '../src/stats/dashboard.repository';

let t: TestDatabase;
let app: App;
const keys = {} as Record<'office' | 'nangang', string>;
const MIN = 60_000;
/** The period: three Beijing days, 2026-11-01 to 2026-11-03. */
const FROM = '2026-11-01T00:00:00+08:00';
const TO = '2026-11-04T00:00:00+08:00';

beforeAll(async () => {
  t = await createTestDatabase();
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  const config = loadConfig({ REPORTING_PUBLIC_URL: 'http://reporting.test' });
  app = createServer({ log: testLogger('reporting'), bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(reportingApp, { db: t.db, config, natsConnected: () => true, live: new LiveFeed(), liveWatching: () => true });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

/** An incident received at `at` with this tier, district and topic (and status). */
async function incident(at: string, o: { tier: Tier; district?: string; topic?: 'food_safety' | 'pricing'; status?: 'handling' | 'merged' }) {
  const row = await acceptTestIncident(t.db, { district: o.district ?? '南岗区', topic: o.topic ?? 'food_safety' });
  await t.db
    .updateTable('incidents')
    .set({ createdAt: new Date(at), tier: o.tier, status: o.status ?? 'handling' })
    .where('id', '=', row.id)
    .execute();
  return { id: row.id, at: Date.parse(at) };
}

let seq = 0;
/** A task of an incident: due `dueMin` and done `doneMin` minutes after intake (null: not done). */
async function task(
  inc: { id: string; at: number },
  kind: 'acknowledge' | 'digest' | 'cyberspace_liaison',
  tier: Tier,
  dueMin: number,
  doneMin: number | null,
  status?: 'open' | 'done' | 'cancelled',
) {
  await t.db
    .insertInto('tasks')
    .values({
      incidentId: inc.id,
      key: `${kind}:${++seq}`,
      kind,
      owner: 'district_bureau',
      unitId: 'district-230103',
      status: status ?? (doneMin === null ? 'open' : 'done'),
      mandatory: true,
      phase: 'handling',
      round: 0,
      openedAt: new Date(inc.at),
      dueAt: new Date(inc.at + dueMin * MIN),
      doneAt: doneMin === null ? null : new Date(inc.at + doneMin * MIN),
      doneBy: null,
      overdue: false,
      lapsedAt: null,
      approvalsNeeded: '[]',
      approvals: '[]',
      cancelReason: null,
      seq,
      incidentTier: tier,
    })
    .execute();
}

describe('GET /v1/stats/dashboard', () => {
  it('counts incidents per Beijing day by tier, district and topic, leaving merged ones out', async () => {
    // 2026-11-01 23:30 Beijing is 15:30 UTC: the 1st in Beijing.
    const a = await incident('2026-11-01T23:30:00+08:00', { tier: 'sensitive' });
    const b = await incident('2026-11-02T00:10:00+08:00', { tier: 'critical', district: '道里区', topic: 'pricing' });
    const c = await incident('2026-11-03T09:00:00+08:00', { tier: 'sensitive' });
    await incident('2026-11-03T10:00:00+08:00', { tier: 'general', status: 'merged' });
    // Outside the period.
    await incident('2026-11-04T00:00:00+08:00', { tier: 'general' });

    // Tasks (for the next test): acknowledgements within 30 min (a kept, b late, c open past due), a digest due in 2 h.
    await task(a, 'acknowledge', 'sensitive', 30, 12);
    await task(a, 'digest', 'sensitive', 120, 100);
    await task(a, 'cyberspace_liaison', 'sensitive', 240, 90);
    await task(b, 'acknowledge', 'critical', 30, 45);
    await task(b, 'digest', 'critical', 60, null, 'cancelled');
    await task(c, 'acknowledge', 'sensitive', 30, null);
    await task(c, 'cyberspace_liaison', 'sensitive', 60 * 24 * 3650, null);

    const res = await app.inject({
      url: `/v1/stats/dashboard?from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`,
      headers: { authorization: `Bearer ${keys.office}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(body.perDay.byTier).toEqual([
      { key: 'general', label: '一般舆情', total: 0, counts: [0, 0, 0] },
      { key: 'sensitive', label: '敏感舆情', total: 2, counts: [1, 0, 1] },
      { key: 'major', label: '重大舆情', total: 0, counts: [0, 0, 0] },
      { key: 'critical', label: '特别重大舆情', total: 1, counts: [0, 1, 0] },
    ]);
    expect(body.perDay.byDistrict).toEqual([
      { key: '230103', label: '南岗区', total: 2, counts: [1, 0, 1] },
      { key: '230102', label: '道里区', total: 1, counts: [0, 1, 0] },
    ]);
    expect(body.perDay.byTopic.map((s: { key: string; counts: number[] }) => [s.key, s.counts])).toEqual([
      ['food_safety', [1, 0, 1]],
      ['pricing', [0, 1, 0]],
    ]);
  });

  it('gives deadline compliance per tier and per step, and the four firsts as histograms', async () => {
    const res = await app.inject({
      url: `/v1/stats/dashboard?from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`,
      headers: { authorization: `Bearer ${keys.office}` },
    });
    const { compliance, fourFirsts } = res.json();
    // Decided: a's three on time, b's acknowledgement late, c's acknowledgement overdue; c's liaison still pending; b's cancelled digest not counted.
    expect(compliance.total).toMatchObject({ onTime: 3, late: 1, overdue: 1, pending: 1, rate: 3 / 5 });
    expect(compliance.byTier).toEqual([
      { key: 'sensitive', label: '敏感舆情', onTime: 3, late: 0, overdue: 1, pending: 1, rate: 3 / 4 },
      { key: 'critical', label: '特别重大舆情', onTime: 0, late: 1, overdue: 0, pending: 0, rate: 0 },
    ]);
    expect(
      compliance.byKind.map((c: { key: string; onTime: number; late: number; overdue: number; rate: number | null }) => [
        c.key,
        c.onTime,
        c.late,
        c.overdue,
        c.rate,
      ]),
    ).toEqual([
      ['acknowledge', 1, 1, 1, 1 / 3],
      ['digest', 1, 0, 0, 1],
      ['cyberspace_liaison', 1, 0, 0, 1],
    ]);
    expect(compliance.byKind.map((c: { label: string }) => c.label)).toEqual(['签收预警', '形成《舆情摘报》', '与市委网信办信息对接']);

    // The first acknowledgement starts the procedure where the tier has no emergency procedure: a in 12 min, b in 45 min, c not yet.
    const procedure = fourFirsts.find((f: { first: string }) => f.first === 'procedure_started');
    expect(procedure).toMatchObject({ applicable: 3, reached: 2, pending: 1 });
    expect(procedure.bins.filter((b: { count: number }) => b.count).map((b: { label: string; count: number }) => [b.label, b.count])).toEqual([
      ['5–15分钟', 1],
      ['30分钟–1小时', 1],
    ]);
    expect(procedure.bins.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(2);
    // The liaison, on the path of a and c (b's incident has none): a in 90 min.
    const liaison = fourFirsts.find((f: { first: string }) => f.first === 'cyberspace_liaison');
    expect(liaison).toMatchObject({ applicable: 2, reached: 1, pending: 1 });
    expect(liaison.bins.find((b: { count: number }) => b.count)).toEqual({ label: '1–2小时', fromMs: 60 * MIN, toMs: 120 * MIN, count: 1 });
  });

  it('is for bureau-wide viewers only', async () => {
    expect((await app.inject({ url: '/v1/stats/dashboard', headers: { authorization: `Bearer ${keys.nangang}` } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/stats/dashboard' })).statusCode).toBe(401);
    const backwards = await app.inject({
      url: `/v1/stats/dashboard?from=${encodeURIComponent(TO)}&to=${encodeURIComponent(FROM)}`,
      headers: { authorization: `Bearer ${keys.office}` },
    });
    expect(backwards.statusCode).toBe(400);
  });
});

describe('beijingDays', () => {
  it('lists the Beijing days a period touches', () => {
    expect(beijingDays({ from: new Date('2026-10-31T16:00:00Z'), to: new Date('2026-11-02T16:00:00Z') })).toEqual(['2026-11-01', '2026-11-02']);
    expect(beijingDays({ from: new Date('2026-10-31T15:59:59Z'), to: new Date('2026-10-31T16:00:01Z') })).toEqual(['2026-10-31', '2026-11-01']);
  });
});
