/**
 * Many reports, one incident (issue 15), through the whole platform on real
 * servers: sightings of three events arrive interleaved — one event with the
 * caller's eventKey and growing reach, one with only similar Chinese titles (50 at
 * once), one as the same post under different URLs — and become three incidents
 * with the right reports; the growing one is re-assessed to major through its
 * workflow (the reasons name the reports, the history shows the Update), and a
 * surge alerts the opinion office below the next tier.
 */
import { DEFAULT_POLICY, type ReportInputRaw } from '@yuqing/shared';
import { Worker } from '@temporalio/worker';
import { eventually, startTestPlatform, uniqueToken, workflowBundle, type TestPlatform } from '@yuqing/testkit';

jest.setTimeout(180_000);

let p: TestPlatform;
let monitoring: string;
let admin: string;

beforeAll(async () => {
  // The monitoring platform sends a burst of 50 at once: more than a key may have waiting by default (32).
  p = await startTestPlatform({ policy: DEFAULT_POLICY, env: { CLIENT_MAX_QUEUED: '100' } });
  monitoring = await p.key({ scopes: ['incidents:write', 'incidents:read'], id: 'monitoring-platform' });
  admin = await p.key({ scopes: ['admin'], id: 'city-admin' });
});
afterAll(async () => p.stop());

interface Accepted {
  reportId: string;
  incidentId: string;
  outcome: string;
  tier: string;
  match: { rule: string; score: number };
}

function sighting(o: Partial<ReportInputRaw> & { title: string }): ReportInputRaw {
  const token = uniqueToken();
  return {
    source: { url: `https://weibo.example.com/${token}`, platform: 'weibo', externalId: `mon-${token}` },
    topic: 'food_safety',
    metrics: { reportCount: 5, reach: 10_000 },
    flags: [],
    ...o,
  };
}

async function send(body: ReportInputRaw): Promise<Accepted> {
  const res = await p.call('intake', monitoring, 'POST', '/v1/reports', body);
  if (res.statusCode !== 202) throw new Error(`POST /v1/reports answered ${res.statusCode}: ${res.body}`);
  return res.json<Accepted>();
}

const state = async (id: string) => (await p.call('dispatch', admin, 'GET', `/v1/incidents/${id}/state`)).json<{ tier: string; status: string }>();
const timeline = async (id: string) =>
  (await p.call('reporting', admin, 'GET', `/v1/incidents/${id}/timeline`)).json().entries as { type: string; text: string }[];
const reportsOf = async (id: string) =>
  (await p.call('intake', monitoring, 'GET', `/v1/incidents/${id}/reports`)).json().items as { id: string; matchRule: string; matchScore: number }[];

/** The names of the Updates a workflow's history shows as accepted. */
async function updatesInHistory(incidentId: string): Promise<string[]> {
  const history = await p.temporal.workflow.getHandle(`incident-${incidentId}`).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name ? [name] : [];
  });
}

describe('three events interleaved become three incidents', () => {
  it('by event key, by similar Chinese titles (50 at once) and by the same URL; the growing one is raised to major through its workflow', async () => {
    const postUrl = `https://www.douyin.com/video/${uniqueToken()}`;
    const eventKey = `evt-${uniqueToken()}`;
    const wordings = [
      '道外区某小学食堂饭菜发霉',
      '网传道外区某小学食堂饭菜发霉 家长质疑',
      '【转发】道外区一小学食堂被曝饭菜发霉!',
      '道外区某小学食堂饭菜发霉事件持续发酵',
    ];

    // A: the caller's key, reach that grows; C: one post under several spellings of its URL.
    const a1Body = sighting({ title: '南岗区某乳企被曝回收过期牛奶再加工', eventKey, metrics: { reach: 3_000_000, reportCount: 60 } });
    const a1 = await send(a1Body);
    const c1 = await send(sighting({ title: '视频:松北区某烧烤店后厨老鼠乱窜', topic: 'food_safety', source: { url: postUrl } }));
    expect([a1.outcome, c1.outcome]).toEqual(['opened', 'opened']);
    expect(a1.tier).toBe('sensitive');

    // B: 50 at once, titles alike, nothing else in common; A and C keep arriving meanwhile.
    const burst = Array.from({ length: 50 }, (_, i) => sighting({ title: wordings[i % wordings.length]!, district: i % 2 ? '道外区' : undefined }));
    const [bs, a2, c2] = await Promise.all([
      Promise.all(burst.map(send)),
      send(sighting({ title: '乳企回收过期奶 市监局介入', eventKey, metrics: { reach: 4_000_000 } })),
      send(sighting({ title: '这家烧烤店还敢去吗', source: { url: `${postUrl.replace('www.', 'm.')}?share_from=wechat#top` } })),
    ]);
    expect(new Set(bs.map((b) => b.incidentId)).size).toBe(1);
    expect(bs.filter((b) => b.outcome === 'opened')).toHaveLength(1);
    expect(a2).toMatchObject({ incidentId: a1.incidentId, match: { rule: 'event_key' } });
    expect(c2).toMatchObject({ incidentId: c1.incidentId, match: { rule: 'source_url' } });
    const b = bs[0]!.incidentId;
    expect(new Set([a1.incidentId, b, c1.incidentId]).size).toBe(3);

    // The right reports in each.
    expect((await reportsOf(a1.incidentId)).map((r) => r.matchRule)).toEqual(['opened', 'event_key']);
    expect((await reportsOf(c1.incidentId)).map((r) => r.matchRule)).toEqual(['opened', 'source_url']);
    const bReports = await reportsOf(b);
    expect(bReports).toHaveLength(50);
    expect(bReports.filter((r) => r.matchRule === 'text').every((r) => r.matchScore >= 0.55 && r.matchScore <= 1)).toBe(true);
    const stored = await p.t.db.selectFrom('incidents').select('id').where('id', 'in', [a1.incidentId, b, c1.incidentId]).execute();
    expect(stored).toHaveLength(3);

    // A grows past 10 million: re-assessed to major through the workflow's path, clocks re-planned.
    await eventually(async () => (await state(a1.incidentId)).status === 'handling', 30_000, 'A handling');
    const a3 = await send(sighting({ title: '过期牛奶再加工事件 央视曝光', eventKey, metrics: { reach: 5_000_000 } }));
    expect(a3).toMatchObject({ incidentId: a1.incidentId, outcome: 'reassessed', tier: 'major' });
    await eventually(async () => (await state(a1.incidentId)).tier === 'major', 30_000, 'A raised to major');
    const raised = await eventually(async () => (await timeline(a1.incidentId)).find((e) => e.type === 'tier_changed'), 20_000, 'the raise in the timeline');
    expect(raised.text).toContain(a3.reportId);
    expect(raised.text).toMatch(/reach>=major/);
    expect(await updatesInHistory(a1.incidentId)).toContain('reassess');
    const tasks = await p.t.db.selectFrom('tasks').select(['kind', 'incidentTier']).where('incidentId', '=', a1.incidentId).execute();
    expect(tasks.map((t) => t.kind)).toEqual(expect.arrayContaining(['emergency_procedure', 'coordination_meeting']));

    // Never downward on its own: the first source measured again, much smaller (the aggregate now says sensitive).
    const remeasured = await send({ ...a1Body, metrics: { reach: 1, reportCount: 1 } });
    expect(remeasured).toMatchObject({ incidentId: a1.incidentId, outcome: 'joined', tier: 'major', match: { rule: 'caller_id' } });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await state(a1.incidentId)).tier).toBe('major');
  });

  it('a surge (spread per hour doubling within the hour) alerts the opinion office below the next tier', async () => {
    const eventKey = `evt-${uniqueToken()}`;
    const first = await send(sighting({ title: '木兰县某超市销售三无食品', eventKey, metrics: { spreadPerHour: 6, reach: 100 } }));
    await eventually(async () => (await state(first.incidentId)).status === 'handling', 30_000, 'handling');
    await send(sighting({ title: '木兰县某超市销售三无食品', eventKey, metrics: { spreadPerHour: 7, reach: 100 } }));
    expect((await state(first.incidentId)).tier).toBe('general');
    const alert = await eventually(async () => (await timeline(first.incidentId)).find((e) => e.type === 'surge'), 20_000, 'the surge in the timeline');
    expect(alert.text).toMatch(/传播激增/);
    expect((await state(first.incidentId)).tier).toBe('general');
    expect(await updatesInHistory(first.incidentId)).toEqual(['surge']);
  });
});

describe('people correct it: the office merges and splits, as Updates in the history', () => {
  let office: string;
  let nangang: string;
  beforeAll(async () => {
    office = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
    nangang = await p.key({ scopes: ['tasks:act', 'reports:read', 'incidents:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  });

  const act = (key: string, id: string, action: string, body: unknown, headers?: Record<string, string>) =>
    p.call('dispatch', key, 'POST', `/v1/incidents/${id}/actions/${action}`, body, headers);
  const taskOf = async (id: string, key: string) =>
    (await p.call('dispatch', admin, 'GET', `/v1/incidents/${id}/state`)).json<{ tasks: { key: string; status: string }[] }>().tasks.find((t) => t.key === key);

  it('merges: the other ends as merged, its reports, done tasks and timeline move over, the survivor takes its tier; split moves reports into a new incident', async () => {
    // The same event reported under two event keys: two incidents the office knows are one.
    const x = await send(sighting({ title: '南岗区某面包店使用过期面粉', district: '南岗区', eventKey: `evt-${uniqueToken()}` }));
    const y1 = await send(sighting({ title: '南岗区面包房用过期原料', district: '南岗区', eventKey: `evt-${uniqueToken()}`, suggestedTier: 'sensitive' }));
    expect(y1.incidentId).not.toBe(x.incidentId);
    const yKey = (await p.t.db.selectFrom('reports').select('eventKey').where('id', '=', y1.reportId).executeTakeFirstOrThrow()).eventKey!;
    const y2 = await send(sighting({ title: '面包房原料过期', district: '南岗区', eventKey: yKey }));
    await eventually(
      async () => (await state(x.incidentId)).status === 'handling' && (await state(y1.incidentId)).status === 'handling',
      30_000,
      'both handling',
    );
    expect([(await state(x.incidentId)).tier, (await state(y1.incidentId)).tier]).toEqual(['general', 'sensitive']);
    // 南岗区 acknowledged the sensitive one.
    expect((await act(nangang, y1.incidentId, 'acknowledge', {})).statusCode).toBe(200);

    // Only the office merges; nonsense is refused before the workflow.
    const body = { intoIncidentId: x.incidentId, reason: '同一事件,两个事件标识' };
    expect((await act(nangang, y1.incidentId, 'merge', body)).statusCode).toBe(403);
    expect((await act(admin, y1.incidentId, 'merge', body)).statusCode).toBe(403);
    const self = await act(office, y1.incidentId, 'merge', { ...body, intoIncidentId: y1.incidentId });
    expect(self.statusCode).toBe(422);
    expect(self.json().errors[0].field).toBe('body.intoIncidentId');
    expect((await act(office, y1.incidentId, 'merge', { ...body, intoIncidentId: '3fa85f64-5717-4562-b3fc-2c963f66afa6' })).statusCode).toBe(404);
    expect((await act(office, y1.incidentId, 'merge', { ...body, reason: ' ' })).statusCode).toBe(422);

    const merged = await act(office, y1.incidentId, 'merge', body, { 'idempotency-key': 'merge-1' });
    expect(merged.statusCode).toBe(200);
    expect(merged.json()).toMatchObject({ status: 'merged' });
    expect(merged.json().tasks.filter((t: { status: string }) => t.status === 'open' || t.status === 'waiting')).toEqual([]);
    // The same request again is the same Update; merging a merged incident is refused.
    expect((await act(office, y1.incidentId, 'merge', body, { 'idempotency-key': 'merge-1' })).json()).toMatchObject({ status: 'merged' });
    expect((await act(office, y1.incidentId, 'merge', body)).statusCode).toBe(409);

    const yHandle = p.temporal.workflow.getHandle(`incident-${y1.incidentId}`);
    await eventually(async () => (await yHandle.describe()).status.name === 'COMPLETED', 20_000, 'the merged workflow ended');
    expect(await updatesInHistory(y1.incidentId)).toContain('merge');
    // The survivor: at least the merged tier, the acknowledgement done there too, the reports and the timeline moved over.
    await eventually(async () => (await state(x.incidentId)).tier === 'sensitive', 20_000, 'survivor raised to sensitive');
    expect(await updatesInHistory(x.incidentId)).toContain('absorb');
    expect((await taskOf(x.incidentId, 'acknowledge:district-230103'))?.status).toBe('done');
    const reports = await reportsOf(x.incidentId);
    expect(reports.map((r) => r.id).sort()).toEqual([x.reportId, y1.reportId, y2.reportId].sort());
    expect(await reportsOf(y1.incidentId)).toEqual([]);
    const entries = await eventually(
      async () => {
        const e = (await p.call('reporting', admin, 'GET', `/v1/incidents/${x.incidentId}/timeline`)).json().entries as { type: string; incidentId: string }[];
        return e.some((x) => x.type === 'absorbed') && e.some((x) => x.type === 'merged') ? e : undefined;
      },
      20_000,
      'both sides in the survivor timeline',
    );
    expect(entries.filter((e) => e.incidentId === y1.incidentId).map((e) => e.type)).toEqual(expect.arrayContaining(['received', 'acknowledged', 'merged']));
    const rows = await p.t.db.selectFrom('incidents').select(['id', 'status', 'mergedInto']).where('id', '=', y1.incidentId).executeTakeFirstOrThrow();
    expect(rows).toMatchObject({ status: 'merged', mergedInto: x.incidentId });
    const audit = await p.t.db
      .selectFrom('auditLog')
      .select(['actorId', 'action'])
      .where('entityId', '=', y1.incidentId)
      .where('action', '=', 'incident.merged')
      .execute();
    expect(audit).toHaveLength(1);
    // A new sighting under the merged incident's key now finds the survivor.
    expect((await send(sighting({ title: '面包房原料过期 后续', district: '南岗区', eventKey: yKey }))).incidentId).toBe(x.incidentId);

    // Split: the office moves the two reports of the other wording out again.
    const splitBody = { reportIds: [y1.reportId, y2.reportId], reason: '核实为另一家面包房' };
    expect((await act(nangang, x.incidentId, 'split', splitBody)).statusCode).toBe(403);
    const foreign = await act(office, x.incidentId, 'split', { reportIds: [a3Placeholder()], reason: '误' });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().errors[0].field).toBe('body.reportIds.0');
    const all = (await reportsOf(x.incidentId)).map((r) => r.id);
    expect((await act(office, x.incidentId, 'split', { reportIds: all, reason: '全部' })).statusCode).toBe(422);

    const split = await act(office, x.incidentId, 'split', splitBody, { 'idempotency-key': 'split-1' });
    expect(split.statusCode).toBe(200);
    const z = split.json().newIncidentId as string;
    const again = await act(office, x.incidentId, 'split', splitBody, { 'idempotency-key': 'split-1' });
    expect(again.json().newIncidentId).toBe(z);
    expect((await reportsOf(z)).map((r) => [r.id, r.matchRule])).toEqual(
      expect.arrayContaining([
        [y1.reportId, 'split'],
        [y2.reportId, 'split'],
      ]),
    );
    expect((await reportsOf(x.incidentId)).map((r) => r.id)).not.toContain(y1.reportId);
    await eventually(async () => (await state(z)).status === 'handling', 30_000, 'the split incident runs its own workflow');
    expect((await state(z)).tier).toBe('sensitive'); // its reports' suggestion
    expect(await updatesInHistory(x.incidentId)).toContain('split');
    await eventually(async () => (await timeline(x.incidentId)).some((e) => e.type === 'split' && e.text.includes(z)), 20_000, 'the split in the timeline');

    // The histories with merge, absorb and split replay deterministically against this code.
    await replays(y1.incidentId, x.incidentId);
  });

  it('reports arriving while the office merges their incident: every one accepted ends in the survivor, counted once', async () => {
    const district = '道里区';
    const into = await send(sighting({ title: '道里区某火锅店回收使用老油', district, eventKey: `evt-${uniqueToken()}` }));
    const fromKey = `evt-${uniqueToken()}`;
    const from = await send(sighting({ title: '道里区火锅店老油翻新', district, eventKey: fromKey }));
    expect(from.incidentId).not.toBe(into.incidentId);
    await eventually(async () => (await state(from.incidentId)).status === 'handling', 30_000, 'handling');

    // 40 sightings under the merged one's key, in waves of 5 every 100 ms from just before the merge is asked for
    // until after it is done; every fourth re-measures one post (another spelling of its URL).
    const post = `https://weibo.example.com/${uniqueToken()}`;
    const wave = (offset: number) =>
      Array.from({ length: 5 }, (_, i) =>
        p.call(
          'intake',
          monitoring,
          'POST',
          '/v1/reports',
          sighting({
            title: '道里区火锅店老油翻新 跟帖',
            district,
            eventKey: fromKey,
            ...((offset + i) % 4 === 0 ? { source: { url: `${post}?share_from=${offset + i}` } } : {}),
          }),
        ),
      );
    const sent = [...wave(0)];
    const merging = act(office, from.incidentId, 'merge', { intoIncidentId: into.incidentId, reason: '同一家火锅店' });
    for (let offset = 5; offset < 40; offset += 5) {
      await new Promise((r) => setTimeout(r, 100));
      sent.push(...wave(offset));
    }
    const answers = await Promise.all(sent);
    expect((await merging).statusCode).toBe(200);
    expect(answers.flatMap((r) => (r.statusCode === 202 ? [] : [`${r.statusCode} ${r.body.slice(0, 200)}`]))).toEqual([]);
    const accepted = answers.map((r) => r.json<Accepted>());
    // Each joined one of the two (before or after the merge), or found the survivor by the key the merge moved.
    expect(new Set(accepted.map((a) => a.incidentId)).size).toBeLessThanOrEqual(2);
    expect(accepted.every((a) => a.incidentId === from.incidentId || a.incidentId === into.incidentId)).toBe(true);

    // Once the merge's records are written, every report is the survivor's, none is left behind.
    await eventually(
      async () => (await p.t.db.selectFrom('incidents').select('mergedInto').where('id', '=', from.incidentId).executeTakeFirst())?.mergedInto,
      20_000,
      'merged',
    );
    const stored = await p.t.db
      .selectFrom('reports')
      .select(['id', 'incidentId', 'current', 'sourceUrl'])
      .where('incidentId', 'in', [from.incidentId, into.incidentId])
      .execute();
    expect(stored.filter((r) => r.incidentId === from.incidentId)).toEqual([]);
    expect(stored.map((r) => r.id).sort()).toEqual([into.reportId, from.reportId, ...accepted.map((a) => a.reportId)].sort());
    // One report per post is current, and the survivor's running totals count each current one once.
    const current = stored.filter((r) => r.current);
    expect(new Set(current.map((r) => r.sourceUrl)).size).toBe(current.length);
    const totals = await p.t.db
      .selectFrom('incidentTotals')
      .select((eb) => eb.fn.sum<number>('sources').as('sources'))
      .where('incidentId', '=', into.incidentId)
      .executeTakeFirstOrThrow();
    expect(Number(totals.sources)).toBe(current.length);
    // A sighting under the merged key after all this: the survivor.
    expect((await send(sighting({ title: '道里区火锅店老油翻新 再跟帖', district, eventKey: fromKey }))).incidentId).toBe(into.incidentId);
  });

  async function replays(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const history = await p.temporal.workflow.getHandle(`incident-${id}`).fetchHistory();
      await expect(Worker.runReplayHistory({ workflowBundle: { code: workflowBundle() } }, history, `replay-${id}`)).resolves.toBeUndefined();
    }
  }
});

/** An id of a report that is not the incident's. */
function a3Placeholder(): string {
  return '3fa85f64-5717-4562-b3fc-2c963f66afa6';
}
