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
import { eventually, startTestPlatform, uniqueToken, type TestPlatform } from '@yuqing/testkit';

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
