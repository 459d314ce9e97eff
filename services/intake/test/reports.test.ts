/**
 * Reports and incidents as two things (issue 15), against a real PostgreSQL:
 * POST /v1/reports folds sightings of one event into one incident by the rules in
 * order (caller id, event key, URL, Chinese text), explains each join, adds the
 * figures up, queues a raise or a surge for the workflow only when the aggregate
 * calls for it, and opens exactly one incident for 50 concurrent reports of a new
 * event, through two intake instances with pools of their own.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { createServer, type App } from '@yuqing/http-kit';
import { createDb, loadConfig, reaggregate, type Db, type ReportInputRaw } from '@yuqing/shared';
import { connectTestClient, createTestDatabase, createTestKey, sampleIncident, testLogger, uniqueToken, type TestDatabase } from '@yuqing/testkit';
import { intakeApp } from '../src/app';
import * as repository from '../src/reports/report.repository';
import type { WorkflowUpdateCommand } from '../src/incidents/workflow-updater';

let t: TestDatabase;
let secondDb: Db;
let apps: App[];
let temporal: Client;
let key: string;
const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '100000', CLIENT_MAX_IN_FLIGHT: '1000', CLIENT_MAX_QUEUED: '1000' });

interface Accepted {
  reportId: string;
  incidentId: string;
  outcome: 'opened' | 'joined' | 'reassessed';
  tier: string;
  match: { rule: string; score: number };
  links: Record<string, string>;
}

const send = (body: unknown, headers: Record<string, string> = {}, app = apps[0]!) =>
  app.inject({
    method: 'POST',
    url: '/v1/reports',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });

async function report(body: ReportInputRaw, headers: Record<string, string> = {}, app = apps[0]!): Promise<Accepted> {
  const res = await send(body, headers, app);
  if (res.statusCode !== 202) throw new Error(`POST /v1/reports answered ${res.statusCode}: ${res.body}`);
  return res.json<Accepted>();
}

/** A sighting: a post of its own (own URL and caller id) unless told otherwise. */
function sighting(o: Partial<ReportInputRaw> & { title: string }): ReportInputRaw {
  const token = uniqueToken();
  return {
    ...sampleIncident(),
    source: { url: `https://weibo.example.com/${token}`, platform: 'weibo', externalId: `mon-${token}` },
    summary: undefined,
    district: undefined,
    suggestedTier: undefined,
    metrics: { reportCount: 3, reach: 1_000, spreadPerHour: 2 },
    ...o,
  };
}

const reportsOf = async (incidentId: string) =>
  (await apps[0]!.inject({ url: `/v1/incidents/${incidentId}/reports`, headers: { authorization: `Bearer ${key}` } })).json().items as {
    id: string;
    matchRule: string;
    matchScore: number;
    outcome: string;
    metrics: Record<string, number>;
  }[];

const incidentCount = async () =>
  Number(
    (
      await t.db
        .selectFrom('incidents')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

const queuedUpdates = async (incidentId: string) =>
  (await t.db.selectFrom('outbox').select('payload').where('kind', '=', 'update_workflow').orderBy('id').execute())
    .map((r) => r.payload as WorkflowUpdateCommand)
    .filter((c) => c.incidentId === incidentId);

beforeAll(async () => {
  t = await createTestDatabase();
  // A second intake with a pool of its own: two processes deciding at once, as behind a load balancer.
  secondDb = createDb({ url: t.url, poolMax: 10 });
  temporal = await connectTestClient();
  key = await createTestKey(t.db, { scopes: ['incidents:write', 'incidents:read'], id: 'monitoring-platform' });
  apps = [];
  for (const db of [t.db, secondDb]) {
    const app = createServer({ log: testLogger('intake'), bodyLimit: config.BODY_LIMIT_BYTES });
    await app.register(intakeApp, { db, config, temporal, onAccepted: () => undefined });
    await app.ready();
    apps.push(app);
  }
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await secondDb.destroy();
  await temporal.connection.close();
  await t.drop();
});

describe('POST /v1/reports: the rules in order, each join explained', () => {
  it('opens an incident, then joins by event key, by the same URL however spelt, and by close Chinese text', async () => {
    const first = await report(sighting({ title: '道里区某火锅店被曝使用地沟油', district: '道里区', eventKey: 'evt-hotpot-1' }));
    expect(first).toMatchObject({ outcome: 'opened', tier: 'general', match: { rule: 'opened', score: 1 } });
    expect(first.links).toMatchObject({
      self: `http://localhost:3001/v1/incidents/${first.incidentId}`,
      reports: `http://localhost:3001/v1/incidents/${first.incidentId}/reports`,
    });

    // Same event key, nothing else alike (another topic even): the caller said it is the same event.
    const byKey = await report(sighting({ title: '市民反映用餐后身体不适', topic: 'consumer_rights', eventKey: 'evt-hotpot-1' }));
    expect(byKey).toMatchObject({ incidentId: first.incidentId, outcome: 'joined', match: { rule: 'event_key', score: 1 } });

    // The same post with another spelling of its URL (scheme, m. host, tracking parameters, fragment).
    const url = `https://weibo.com/7001/${uniqueToken()}`;
    await report(sighting({ title: '道里区火锅店地沟油事件', district: '道里区', eventKey: 'evt-hotpot-1', source: { url } }));
    const byUrl = await report(
      sighting({ title: '这家店还能去吗', source: { url: `${url.replace('https://', 'http://m.')}/?from=timeline&utm_source=wx#comments` } }),
    );
    expect(byUrl).toMatchObject({ incidentId: first.incidentId, match: { rule: 'source_url', score: 1 } });

    // A repost with decorations and another wording: the text rule, with its score.
    const byText = await report(sighting({ title: '【转发】网曝道里区一火锅店使用地沟油!', district: '道里区' }));
    expect(byText).toMatchObject({ incidentId: first.incidentId, match: { rule: 'text' } });
    expect(byText.match.score).toBeGreaterThanOrEqual(0.55);
    expect(byText.match.score).toBeLessThan(1);
    // No district given: the district is "absent", which matches.
    const noDistrict = await report(sighting({ title: '道里区某火锅店使用地沟油 顾客质疑' }));
    expect(noDistrict.incidentId).toBe(first.incidentId);

    const listed = await reportsOf(first.incidentId);
    expect(listed.map((r) => r.matchRule)).toEqual(['opened', 'event_key', 'event_key', 'source_url', 'text', 'text']);
    expect(listed.find((r) => r.id === byText.reportId)?.matchScore).toBe(byText.match.score);
    // Every report stored with its source, figures and time, in typed columns.
    const stored = await t.db
      .selectFrom('reports')
      .select(['sourceUrl', 'reach', 'reportCount', 'eventKey'])
      .where('id', '=', byUrl.reportId)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ sourceUrl: url.replace('https://', ''), reach: 1_000, reportCount: 3, eventKey: null });
    const audit = await t.db.selectFrom('auditLog').select(['action', 'after']).where('entityId', '=', byText.reportId).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ action: 'incident.report_joined', after: { rule: 'text', score: byText.match.score } });
  });

  it('keeps distinct events apart: near-miss wordings, another topic, another district, another event key, outside the window, a closed incident', async () => {
    const base = await report(sighting({ title: '香坊区某超市销售过期乳制品', district: '香坊区' }));
    const apart = [
      sighting({ title: '香坊区某超市销售过期面包', district: '香坊区' }), // another product
      sighting({ title: '香坊区某便利店销售过期乳制品', district: '香坊区' }), // another kind of place
      sighting({ title: '呼兰区某超市销售过期乳制品' }), // another district named in the text
      sighting({ title: '香坊区某超市销售过期乳制品', district: '道外区' }), // another district given
      sighting({ title: '香坊区某超市销售过期乳制品', topic: 'pricing' }), // another topic
      sighting({ title: '香坊区某超市乳制品价格上涨三成', district: '香坊区' }), // another harm, overlapping words
    ];
    const ids = [];
    for (const s of apart) ids.push((await report(s)).incidentId);
    expect(new Set([base.incidentId, ...ids]).size).toBe(apart.length + 1);

    // Two event keys of the same caller are two events, however alike their texts.
    const keyed = await report(sighting({ title: '松北区某养殖场病死猪肉流入市场', eventKey: 'evt-pig-a' }));
    const otherKey = await report(sighting({ title: '松北区某养殖场病死猪肉流入市场', eventKey: 'evt-pig-b' }));
    expect(otherKey.incidentId).not.toBe(keyed.incidentId);
    expect(otherKey.outcome).toBe('opened');

    // Outside the window (72 h after the last report): a new incident.
    const old = await report(sighting({ title: '阿城区某饭店餐具清洗不净', district: '阿城区' }));
    await t.db
      .updateTable('incidents')
      .set({ lastReportAt: new Date(Date.now() - 73 * 3_600_000) })
      .where('id', '=', old.incidentId)
      .execute();
    const later = await report(sighting({ title: '阿城区某饭店餐具清洗不净', district: '阿城区' }));
    expect(later.incidentId).not.toBe(old.incidentId);

    // A closed incident takes no more reports by URL or text.
    const closedUrl = `https://weibo.example.com/closed/${uniqueToken()}`;
    const closed = await report(sighting({ title: '尚志市某商场扶梯故障伤人', source: { url: closedUrl } }));
    await t.db.updateTable('incidents').set({ status: 'closed' }).where('id', '=', closed.incidentId).execute();
    const after = await report(sighting({ title: '尚志市某商场扶梯故障伤人', source: { url: closedUrl } }));
    expect(after.incidentId).not.toBe(closed.incidentId);
  });

  it('an incident closed meanwhile: the same post re-measured is still recorded on it; a wording matched from the second-old cache writes nothing to it and opens anew', async () => {
    const totalsOf = async (incidentId: string) => {
      const r = await t.db
        .selectFrom('incidentTotals')
        .select((eb) => [eb.fn.sum<number>('sources').as('sources'), eb.fn.sum<number>('reach').as('reach')])
        .where('incidentId', '=', incidentId)
        .executeTakeFirstOrThrow();
      return { sources: Number(r.sources), reach: Number(r.reach) };
    };
    const title = '宾县某农贸市场销售注水牛肉';
    const first = sighting({ title, district: '宾县' });
    const opened = await report(first);
    // A second wording of it joins by text: the topic's wordings, with this incident's, are now cached for a second.
    const joined = await report(sighting({ title: `网传${title}`, district: '宾县' }));
    expect(joined).toMatchObject({ incidentId: opened.incidentId, match: { rule: 'text' } });
    await t.db.updateTable('incidents').set({ status: 'closed' }).where('id', '=', opened.incidentId).execute();
    const before = await totalsOf(opened.incidentId);
    expect(before).toEqual({ sources: 2, reach: 2_000 });

    // Within the second: the cached wording still points at the closed incident; the held row says no, so the report opens its own.
    const later = await report(sighting({ title, district: '宾县', metrics: { reach: 7_000 } }));
    expect(later.outcome).toBe('opened');
    expect(later.incidentId).not.toBe(opened.incidentId);
    expect(await totalsOf(opened.incidentId)).toEqual(before);
    expect((await reportsOf(opened.incidentId)).map((r) => r.id).sort()).toEqual([opened.reportId, joined.reportId].sort());
    const current = await t.db.selectFrom('reports').select('id').where('incidentId', '=', opened.incidentId).where('current', '=', true).execute();
    expect(current).toHaveLength(2);

    // The caller's own post measured again belongs to its incident whatever its status: recorded there, superseding the first.
    const remeasured = await report({ ...first, metrics: { ...first.metrics, reach: 3_000 } });
    expect(remeasured).toMatchObject({ incidentId: opened.incidentId, outcome: 'joined', match: { rule: 'caller_id' } });
    expect(await totalsOf(opened.incidentId)).toEqual({ sources: 2, reach: 4_000 });
  });

  it('a report that waited for a merge into its incident adds up the merged figures, not those it saw before waiting', async () => {
    const district = '依兰县';
    const intoKey = `evt-${uniqueToken()}`;
    const into = await report(sighting({ title: '依兰县某水产市场销售孔雀石绿鱼', district, eventKey: intoKey, metrics: { reach: 1_000 } }));
    const from = await report(sighting({ title: '依兰县水产店鱼有药残', district, eventKey: `evt-${uniqueToken()}`, metrics: { reach: 50_000 } }));
    expect(from.incidentId).not.toBe(into.incidentId);

    // The merge's records, as the activity writes them, held open while a report of the survivor arrives.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockedNow = new Promise<void>((r) => (locked = r));
    const merge = t.db.transaction().execute(async (trx) => {
      await trx.selectFrom('incidents').select('id').where('id', 'in', [from.incidentId, into.incidentId].sort()).orderBy('id').forUpdate().execute();
      await trx.updateTable('reports').set({ incidentId: into.incidentId }).where('incidentId', '=', from.incidentId).execute();
      await trx.updateTable('incidents').set({ mergedInto: into.incidentId }).where('id', '=', from.incidentId).execute();
      await reaggregate(trx, into.incidentId, 3_600_000);
      locked();
      await held;
    });
    await lockedNow;
    const joining = report(sighting({ title: '依兰县某水产市场销售孔雀石绿鱼 跟帖', district, eventKey: intoKey, metrics: { reach: 3_000 } }));
    await new Promise((r) => setTimeout(r, 300));
    release();
    await merge;
    const joined = await joining;
    expect(joined).toMatchObject({ incidentId: into.incidentId, match: { rule: 'event_key' } });

    // The survivor's figures, as the joining report wrote them: all three reports' reach.
    const row = await t.db.selectFrom('incidents').select('metrics').where('id', '=', into.incidentId).executeTakeFirstOrThrow();
    expect(row.metrics.reach).toBe(54_000);
    const totals = await t.db
      .selectFrom('incidentTotals')
      .select((eb) => [eb.fn.sum<number>('sources').as('sources'), eb.fn.sum<number>('reach').as('reach')])
      .where('incidentId', '=', into.incidentId)
      .executeTakeFirstOrThrow();
    expect({ sources: Number(totals.sources), reach: Number(totals.reach) }).toEqual({ sources: 3, reach: 54_000 });
  });

  it('a joining report writes what it brings to its incident: a new event key once, its flags, its time', async () => {
    const opened = await report(sighting({ title: '方正县某药店销售过期感冒药', district: '方正县' }));
    const keysOf = async () =>
      t.db.selectFrom('incidents').select(['eventKeys', 'flags', 'lastReportAt']).where('id', '=', opened.incidentId).executeTakeFirstOrThrow();
    const before = await keysOf();
    // By text, with a key the incident does not carry yet: appended.
    const keyed = await report(sighting({ title: '方正县一药店被曝销售过期感冒药', district: '方正县', eventKey: 'evt-pharmacy' }));
    expect(keyed).toMatchObject({ incidentId: opened.incidentId, match: { rule: 'text' } });
    expect((await keysOf()).eventKeys).toEqual(['monitoring-platform evt-pharmacy']);
    // By that key again, then by text without a key: nothing appended, figures and time still written.
    await report(sighting({ title: '市民反映买到过期药', eventKey: 'evt-pharmacy' }));
    const flagged = await report(sighting({ title: '方正县某药店销售过期感冒药 顾客投诉', district: '方正县', flags: ['livelihood'] }));
    expect(flagged).toMatchObject({ incidentId: opened.incidentId, match: { rule: 'text' } });
    const after = await keysOf();
    expect(after.eventKeys).toEqual(['monitoring-platform evt-pharmacy']);
    expect(after.flags).toEqual(['livelihood']);
    expect(after.lastReportAt.getTime()).toBeGreaterThan(before.lastReportAt.getTime());
    expect(await reportsOf(opened.incidentId)).toHaveLength(4);
  });

  it('50 concurrent reports of one new event, by text alone, through two intakes, open exactly one incident', async () => {
    const before = await incidentCount();
    const wordings = [
      '南岗区某幼儿园食堂使用变质食材',
      '网传南岗区某幼儿园食堂使用变质食材',
      '【转发】南岗区某幼儿园食堂被指使用变质食材',
      '南岗区一幼儿园食堂使用变质食材 家长质疑',
      '#南岗区幼儿园变质食材# 家长聚集讨说法',
    ];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(sighting({ title: wordings[i % wordings.length]!, district: i % 3 ? '南岗区' : undefined }), {}, apps[i % 2])),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(202));
    const answers = results.map((r) => r.json<Accepted>());
    expect(new Set(answers.map((a) => a.incidentId)).size).toBe(1);
    expect(answers.filter((a) => a.outcome === 'opened')).toHaveLength(1);
    expect((await incidentCount()) - before).toBe(1);
    const listed = await reportsOf(answers[0]!.incidentId);
    expect(listed).toHaveLength(50);
    expect(new Set(listed.map((r) => r.matchRule))).toEqual(new Set(['opened', 'text']));
    // Their figures all count, added concurrently (in shards): 50 sources of 1,000 readers each; one more report shows them all.
    const totals = await t.db
      .selectFrom('incidentTotals')
      .select((eb) => [eb.fn.sum<number>('sources').as('sources'), eb.fn.sum<number>('reach').as('reach')])
      .where('incidentId', '=', answers[0]!.incidentId)
      .executeTakeFirstOrThrow();
    expect({ sources: Number(totals.sources), reach: Number(totals.reach) }).toEqual({ sources: 50, reach: 50_000 });
    const after = await report(sighting({ title: wordings[0]!, district: '南岗区' }));
    const shown = await t.db.selectFrom('incidents').select('metrics').where('id', '=', after.incidentId).executeTakeFirstOrThrow();
    expect(shown.metrics).toMatchObject({ reach: 51_000, reportCount: 153 });
    // One workflow start for the one incident; joining reports cost none.
    const starts = await t.db
      .selectFrom('outbox')
      .select('dedupeKey')
      .where('kind', '=', 'start_workflow')
      .where('dedupeKey', '=', `incident-${answers[0]!.incidentId}`)
      .execute();
    expect(starts).toHaveLength(1);
  });

  it('reports of a new event in flight while it opens wait in their process and join it, instead of queueing for its locks one by one', async () => {
    const before = await incidentCount();
    const wordings = ['香坊区某超市销售过期月饼', '网传香坊区一超市销售过期月饼', '【转发】香坊区超市被曝销售过期月饼!'];
    // Who took the advisory locks: a report deciding alone whether it opens the incident.
    const locking = jest.spyOn(repository, 'lockKeys');
    try {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => send(sighting({ title: wordings[i % 3]!, district: '香坊区' }))));
      expect(results.map((r) => r.statusCode)).toEqual(Array(30).fill(202));
      const answers = results.map((r) => r.json<Accepted>());
      expect(new Set(answers.map((a) => a.incidentId)).size).toBe(1);
      expect(answers.filter((a) => a.outcome === 'opened')).toHaveLength(1);
      expect((await incidentCount()) - before).toBe(1);
      expect(await reportsOf(answers[0]!.incidentId)).toHaveLength(30);
      // All 30 found nothing to join in the wordings read before the incident existed: each used to take the
      // locks in turn (30 calls). Now the one that opens it takes them, and those of its process wait for it.
      expect(locking).toHaveBeenCalled();
      expect(locking.mock.calls.length).toBeLessThan(10);
    } finally {
      locking.mockRestore();
    }
  });

  it('50 concurrent reports of three new events interleaved (event key, same URL, text) open exactly three incidents with the right reports', async () => {
    const before = await incidentCount();
    const url = `https://www.douyin.example.com/video/${uniqueToken()}`;
    const kinds = [
      (i: number) => sighting({ title: `五常市大米掺假视频第${i}条`, eventKey: `evt-rice-${t.name}` }),
      (i: number) => sighting({ title: `转发第${i}次`, source: { url: `${url}?share_id=${i}` } }),
      () => sighting({ title: '延寿县某药店销售假冒保健品', district: '延寿县' }),
    ];
    const results = await Promise.all(Array.from({ length: 51 }, (_, i) => send(kinds[i % 3]!(i), {}, apps[i % 2])));
    const answers = results.map((r) => r.json<Accepted>());
    // Any that was not accepted, with its answer (a clean-clone run under load saw some refused).
    expect(results.flatMap((r) => (r.statusCode === 202 ? [] : [`${r.statusCode} ${r.body.slice(0, 300)}`]))).toEqual([]);
    expect((await incidentCount()) - before).toBe(3);
    for (const k of [0, 1, 2]) {
      const mine = answers.filter((_, i) => i % 3 === k);
      expect(new Set(mine.map((a) => a.incidentId)).size).toBe(1);
      expect(await reportsOf(mine[0]!.incidentId)).toHaveLength(17);
    }
  });

  it('is idempotent as before: the same report twice is one report', async () => {
    const body = sighting({ title: '双城区某屠宰场私屠滥宰', district: '双城区' });
    const idempotencyKey = `k-${uniqueToken()}`;
    const first = await send(body, { 'idempotency-key': idempotencyKey });
    expect(first.statusCode).toBe(202);
    const again = await send(body, { 'idempotency-key': idempotencyKey });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const sameCaller = await send(body);
    expect(sameCaller.statusCode).toBe(200);
    expect(sameCaller.json().reportId).toBe(first.json().reportId);
    const reused = await send({ ...body, title: '另一条' }, { 'idempotency-key': idempotencyKey });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().errors[0].field).toBe('headers.idempotency-key');
    expect(await reportsOf(first.json().incidentId)).toHaveLength(1);
  });

  it('refuses bad input naming the field, and callers without the right key', async () => {
    const before = await incidentCount();
    const bad = await send({ ...sighting({ title: '道外区某商场电梯困人' }), eventKey: '' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toContain('body.eventKey');
    const nul = await send({ ...sighting({ title: '道外区某商场电梯困人' }), eventKey: 'a\u0000b' });
    expect(nul.statusCode).toBe(422);
    expect((await apps[0]!.inject({ method: 'POST', url: '/v1/reports', payload: sighting({ title: 'x' }) })).statusCode).toBe(401);
    const readOnly = await createTestKey(t.db, { scopes: ['incidents:read'] });
    expect((await send(sighting({ title: '道外区某商场电梯困人' }), { authorization: `Bearer ${readOnly}` })).statusCode).toBe(403);
    const nangang = await createTestKey(t.db, { scopes: ['incidents:write'], unitId: 'district-230103' });
    const foreign = await send(sighting({ title: '道外区某商场电梯困人', district: '道外区' }), { authorization: `Bearer ${nangang}` });
    expect(foreign.statusCode).toBe(403);
    expect(await incidentCount()).toBe(before);
  });
});

describe('the incident’s figures are its reports’ aggregate', () => {
  it('adds up reach across sources, takes a re-measured source’s newest figures, weights the negative ratio by reach, sees important media', async () => {
    const url = `https://news.example.com/a/${uniqueToken()}`;
    const first = await report(
      sighting({ title: '巴彦县某桶装水厂水质不合格', eventKey: 'evt-water', metrics: { reach: 1_000_000, negativeRatio: 0.9, reportCount: 10 } }),
    );
    await report(sighting({ title: '巴彦县桶装水', eventKey: 'evt-water', source: { url }, metrics: { reach: 100, negativeRatio: 0.1, reportCount: 2 } }));
    // The same article measured again: its newer figures replace the older ones.
    await report(
      sighting({
        title: '巴彦县桶装水',
        eventKey: 'evt-water',
        source: { url },
        metrics: { reach: 9_000_000, negativeRatio: 0.1, reportCount: 5, importantMedia: true },
      }),
    );
    const incident = await t.db.selectFrom('incidents').select(['metrics', 'assessment']).where('id', '=', first.incidentId).executeTakeFirstOrThrow();
    expect(incident.metrics.reach).toBe(10_000_000);
    expect(incident.metrics.reportCount).toBe(15);
    expect(incident.metrics.negativeRatio).toBe(0.18); // (0.9 × 1e6 + 0.1 × 9e6) / 1e7
    expect(incident.metrics.importantMedia).toBe(true);
    // Three reports within the hour, two of the sources carrying no spread: at least 3 per hour.
    expect(incident.metrics.spreadPerHour).toBe(3);
    const current = await t.db.selectFrom('reports').select(['reach', 'current']).where('incidentId', '=', first.incidentId).orderBy('receivedAt').execute();
    expect(current.map((r) => r.current)).toEqual([true, false, true]);
  });

  it('one post re-measured 24 times at once, through two intakes: every report accepted, one current, the incident counts it once', async () => {
    const url = `https://www.weibo.example.com/${uniqueToken()}`;
    const first = await report(sighting({ title: '通河县某饭店使用地沟油', district: '通河县', source: { url }, metrics: { reach: 500 } }));
    // A repost storm: the same post under other spellings of its URL, each measured anew.
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        send(sighting({ title: '通河县某饭店使用地沟油', source: { url: `${url}?share_from=${i}` }, metrics: { reach: 1_000 + i } }), {}, apps[i % 2]),
      ),
    );
    expect(results.flatMap((r) => (r.statusCode === 202 ? [] : [`${r.statusCode} ${r.body.slice(0, 300)}`]))).toEqual([]);
    const answers = results.map((r) => r.json<Accepted>());
    expect(new Set(answers.map((a) => a.incidentId))).toEqual(new Set([first.incidentId]));
    expect(new Set(answers.map((a) => a.match.rule))).toEqual(new Set(['source_url']));
    const rows = await t.db.selectFrom('reports').select(['reach', 'current']).where('incidentId', '=', first.incidentId).execute();
    expect(rows).toHaveLength(25);
    const current = rows.filter((r) => r.current);
    expect(current).toHaveLength(1);
    // The running totals hold one source, the current report's reach.
    const totals = await t.db
      .selectFrom('incidentTotals')
      .select((eb) => [eb.fn.sum<number>('sources').as('sources'), eb.fn.sum<number>('reach').as('reach')])
      .where('incidentId', '=', first.incidentId)
      .executeTakeFirstOrThrow();
    expect({ sources: Number(totals.sources), reach: Number(totals.reach) }).toEqual({ sources: 1, reach: Number(current[0]!.reach) });
  });

  it('a report PostgreSQL aborts to break a deadlock is tried again: accepted once, stored once, audited once', async () => {
    const title = `尚志市某超市销售过期月饼 ${uniqueToken()}`;
    // The first insert of this report is chosen as a deadlock's victim.
    const { tries } = await withDeadlockVictim(title, 'first', async () => {
      const opened = await report(sighting({ title, district: '尚志市' }));
      expect(opened.outcome).toBe('opened');
      const joined = await report(sighting({ title, district: '尚志市' }));
      expect(joined.incidentId).toBe(opened.incidentId);
      const stored = await t.db.selectFrom('reports').select('id').where('title', '=', title).execute();
      expect(stored.map((r) => r.id).sort()).toEqual([opened.reportId, joined.reportId].sort());
      const audited = await t.db.selectFrom('auditLog').select('action').where('incidentId', '=', opened.incidentId).execute();
      expect(audited.map((a) => a.action).sort()).toEqual(['incident.received', 'incident.report_joined']);
    });
    // Three inserts: the opening report's first try (aborted) and second, then the joining report's.
    expect(tries).toBe(3);
  });

  it('a report PostgreSQL aborts on every try is refused whole (503 busy, Retry-After), and the same request later is accepted once', async () => {
    const title = `木兰县某加油站加油机计量作弊 ${uniqueToken()}`;
    const idempotencyKey = `busy-${uniqueToken()}`;
    const body = sighting({ title, district: '木兰县', topic: 'metrology_standards' });
    const { result: refused, tries } = await withDeadlockVictim(title, 'every', () => send(body, { 'idempotency-key': idempotencyKey }));
    // Tried three times, each aborted.
    expect(tries).toBe(3);
    expect({ status: refused.statusCode, type: refused.headers['content-type'], retryAfter: refused.headers['retry-after'] }).toEqual({
      status: 503,
      type: expect.stringMatching(/^application\/problem\+json/),
      retryAfter: '1',
    });
    expect(refused.json()).toMatchObject({ code: 'busy', detail: expect.stringContaining('未保存任何内容') });
    // Nothing of it was kept: no report, no incident, no key.
    expect(await t.db.selectFrom('reports').select('id').where('title', '=', title).execute()).toEqual([]);
    expect(await t.db.selectFrom('incidents').select('id').where('title', '=', title).execute()).toEqual([]);
    expect(await t.db.selectFrom('idempotencyKeys').select('key').where('key', '=', idempotencyKey).execute()).toEqual([]);

    // Sent again with its key once the conflict is gone: accepted, stored and audited once.
    const accepted = await report(body, { 'idempotency-key': idempotencyKey });
    expect(accepted.outcome).toBe('opened');
    const repeat = await send(body, { 'idempotency-key': idempotencyKey });
    expect({ status: repeat.statusCode, reportId: repeat.json<Accepted>().reportId }).toEqual({ status: 200, reportId: accepted.reportId });
    expect(await t.db.selectFrom('reports').select('id').where('title', '=', title).execute()).toEqual([{ id: accepted.reportId }]);
    const audited = await t.db.selectFrom('auditLog').select('action').where('incidentId', '=', accepted.incidentId).execute();
    expect(audited.map((a) => a.action)).toEqual(['incident.received']);
  });
});

describe('re-assessment as it spreads, and surges', () => {
  it('queues one raise through the workflow when the aggregate crosses the next tier, naming the reports; never downward, never twice', async () => {
    const opened = await report(sighting({ title: '依兰县某商场销售劣质电动车电池起火', eventKey: 'evt-battery', metrics: { reach: 400_000 } }));
    expect(opened.tier).toBe('general');
    const big = await report(sighting({ title: '依兰县电动车电池起火', eventKey: 'evt-battery', metrics: { reach: 700_000 } }));
    expect(big).toMatchObject({ outcome: 'reassessed', tier: 'sensitive' });
    let updates = await queuedUpdates(opened.incidentId);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      update: 'reassess',
      updateId: `reassess:${big.reportId}`,
      input: { tier: 'sensitive', reportId: big.reportId, reasons: [{ rule: 'reach>=sensitive', tier: 'sensitive' }] },
    });
    // The reports behind it: this one, then the largest reach.
    expect((updates[0]!.input as unknown as { reportIds: string[] }).reportIds).toEqual([big.reportId, opened.reportId]);

    // More of the same while the raise is pending: joined, no second raise.
    const more = await report(sighting({ title: '依兰县电动车电池起火', eventKey: 'evt-battery', metrics: { reach: 10 } }));
    expect(more).toMatchObject({ outcome: 'joined', tier: 'sensitive' });
    // The big source measured again much smaller: never downward on its own.
    await report(sighting({ title: '依兰县电动车电池起火', eventKey: 'evt-battery', source: await reportSource(big.reportId), metrics: { reach: 5 } }));
    updates = await queuedUpdates(opened.incidentId);
    expect(updates.map((u) => u.update)).toEqual(['reassess']);
    // Growing on to major: a second raise.
    const huge = await report(sighting({ title: '依兰县电动车电池起火', eventKey: 'evt-battery', metrics: { reach: 12_000_000 } }));
    expect(huge).toMatchObject({ outcome: 'reassessed', tier: 'major' });
    expect((await queuedUpdates(opened.incidentId)).map((u) => (u.input as { tier?: string }).tier)).toEqual(['sensitive', 'major']);
  });

  it('queues a surge alert when the spread per hour doubles within the window, below the next tier, once per window', async () => {
    const opened = await report(sighting({ title: '通河县某超市缺斤短两', eventKey: 'evt-scale', metrics: { spreadPerHour: 5 } }));
    await report(sighting({ title: '通河县某超市缺斤短两', eventKey: 'evt-scale', metrics: { spreadPerHour: 4 } })); // 9/h: not yet doubled
    expect(await queuedUpdates(opened.incidentId)).toEqual([]);
    const surge = await report(sighting({ title: '通河县某超市缺斤短两', eventKey: 'evt-scale', metrics: { spreadPerHour: 6 } })); // 15/h ≥ 2 × 5, ≥ 10
    expect(surge.tier).toBe('general');
    const updates = await queuedUpdates(opened.incidentId);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ update: 'surge', input: { spreadPerHour: 15, baseline: 5, window: '1h' } });
    expect((updates[0]!.input as unknown as { reportIds: string[] }).reportIds[0]).toBe(surge.reportId);
    // Doubling again within the same window: no second alert.
    await report(sighting({ title: '通河县某超市缺斤短两', eventKey: 'evt-scale', metrics: { spreadPerHour: 16 } }));
    expect((await queuedUpdates(opened.incidentId)).filter((u) => u.update === 'surge')).toHaveLength(1);
  });
});

/**
 * Runs `fn` while PostgreSQL aborts the insert of a report titled `title` as a
 * deadlock's victim (40P01): its first try only, or every try. Answers what `fn`
 * did and how many inserts of that title were tried (a sequence is not rolled back with them).
 */
async function withDeadlockVictim<T>(title: string, which: 'first' | 'every', fn: () => Promise<T>): Promise<{ result: T; tries: number }> {
  await sql`create sequence deadlock_victim`.execute(t.db);
  await sql
    .raw(
      `create function deadlock_victim() returns trigger language plpgsql as $$
       begin
         if new.title = '${title}' then
           perform nextval('deadlock_victim');
           if ${which === 'every'} or currval('deadlock_victim') = 1 then
             raise exception 'deadlock detected (test)' using errcode = '40P01';
           end if;
         end if;
         return new;
       end $$`,
    )
    .execute(t.db);
  await sql`create trigger deadlock_victim before insert on reports for each row execute function deadlock_victim()`.execute(t.db);
  try {
    const result = await fn();
    const { rows } = await sql<{ tries: string }>`select last_value as tries from deadlock_victim`.execute(t.db);
    return { result, tries: Number(rows[0]!.tries) };
  } finally {
    await sql`drop trigger deadlock_victim on reports`.execute(t.db);
    await sql`drop function deadlock_victim()`.execute(t.db);
    await sql`drop sequence deadlock_victim`.execute(t.db);
  }
}

async function reportSource(reportId: string) {
  return (await t.db.selectFrom('reports').select('source').where('id', '=', reportId).executeTakeFirstOrThrow()).source;
}
