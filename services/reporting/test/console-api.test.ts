import { DEFAULT_POLICY, type PolicyDocumentInput } from '@yuqing/shared';
import { createTestKey, eventually, publishCityPolicy } from '@yuqing/testkit';
import { percentile } from '../src/stats/four-firsts';
import { startReportingHarness, type ReportingHarness } from './harness';

let h: ReportingHarness;
const keys = {} as Record<'reader' | 'noScope' | 'office' | 'director' | 'leadership' | 'nangang', string>;
const ids = {} as Record<'sensitive' | 'major' | 'general', string>;
const UNKNOWN = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

beforeAll(async () => {
  h = await startReportingHarness('reporting-console-api');
  keys.reader = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'opinion-office' });
  keys.noScope = await createTestKey(h.t.db, { scopes: ['tasks:act'] });
  keys.office = await createTestKey(h.t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office', 'office_director'] });
  // Whoever writes the digest does not sign it off; the emergency procedure is the leadership group's decision.
  keys.director = await createTestKey(h.t.db, { scopes: ['tasks:act'], unitId: 'opinion-office', roles: ['office_director'] });
  keys.leadership = await createTestKey(h.t.db, { scopes: ['tasks:act'], unitId: 'leadership-group', roles: ['leadership_group'] });
  keys.nangang = await createTestKey(h.t.db, { scopes: ['tasks:act'], unitId: 'district-230103', roles: ['district_bureau'] });
});
afterAll(() => h.close());

/** GET as the reader, as another key, or anonymously (`null`). */
const get = (url: string, key: string | null = keys.reader) => h.app.inject({ url, headers: key ? { authorization: `Bearer ${key}` } : {} });
const act = (url: string, payload: unknown, key = keys.office) =>
  h.dispatch.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload: payload as object });

interface Task {
  key: string;
  kind: string;
  label: string;
  status: string;
  dueAt: string | null;
  unitName: string | null;
  seq: number;
}
interface ListItem {
  id: string;
  tier: string;
  tierLabel: string;
  districtName: string | null;
  overdue: boolean;
  openTasks: Task[];
  nextDeadline: Task | null;
  tasksSeq: number;
  links: Record<string, string>;
}

async function list(query = ''): Promise<ListItem[]> {
  const res = await get(`/v1/incidents${query}`);
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

/** The field paths a problem+json answer names. */
function problemFields(res: { statusCode: number; headers: Record<string, unknown>; json: () => { errors?: { field: string }[] } }): string[] {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return (res.json().errors ?? []).map((e) => e.field);
}

/** Waits until the task read model shows `taskKey` of the incident as done. */
async function doneInReadModel(incidentId: string, taskKey: string): Promise<void> {
  await eventually(
    async () =>
      (await h.t.db.selectFrom('tasks').select('status').where('incidentId', '=', incidentId).where('key', '=', taskKey).executeTakeFirst())?.status === 'done',
    20_000,
    `${taskKey} done in the read model`,
  );
}

describe('GET /v1/labels', () => {
  it('serves the labels of labels.zh.ts without a key', async () => {
    const res = await get('/v1/labels', null);
    expect(res.statusCode).toBe(200);
    const labels = res.json();
    expect(labels.tiers).toEqual({ general: '一般舆情', sensitive: '敏感舆情', major: '重大舆情', critical: '特别重大舆情' });
    expect(labels.districts['230103']).toBe('南岗区');
    expect(labels.tasks.cyberspace_liaison).toBe('与市委网信办信息对接');
    expect(labels.fourFirsts.procedure_started).toBe('第一时间启动程序');
    expect(res.headers['cache-control']).toContain('max-age');
  });
});

describe('GET /v1/incidents (the console list)', () => {
  beforeAll(async () => {
    ids.sensitive = await h.report();
    ids.major = await h.report({ title: '网传道里区某商场哄抬口罩价格', topic: 'pricing', district: '230102', flags: ['livelihood'], suggestedTier: 'major' });
    await eventually(async () => (await list()).filter((i) => i.openTasks.length > 0).length === 2, 20_000, 'both incidents with open tasks');
  });

  it('lists incidents newest first with their open tasks, the nearest deadline and links', async () => {
    const items = await list();
    expect(items.map((i) => i.id)).toEqual([ids.major, ids.sensitive]);
    const sensitive = items.find((i) => i.id === ids.sensitive)!;
    expect(sensitive).toMatchObject({ tier: 'sensitive', tierLabel: '敏感舆情', districtName: '南岗区', overdue: false });
    const ack = sensitive.openTasks.find((t) => t.key === 'acknowledge:district-230103')!;
    expect(ack).toMatchObject({ label: '签收预警', status: 'open', unitName: '南岗区市场监督管理局' });
    expect(sensitive.openTasks.map((t) => t.key)).toEqual(expect.arrayContaining(['acknowledge:dept-food-safety', 'digest', 'cyberspace_liaison']));
    // Nearest deadline first: the 30-minute acknowledgements before the 2-hour digest.
    const dues = sensitive.openTasks.filter((t) => t.dueAt).map((t) => Date.parse(t.dueAt!));
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    expect(sensitive.nextDeadline).toMatchObject({ kind: 'acknowledge', dueAt: new Date(dues[0]!).toISOString() });
    expect(sensitive.tasksSeq).toBeGreaterThanOrEqual(Math.max(...sensitive.openTasks.map((t) => t.seq)));
    expect(sensitive.links.temporalUi).toBe(`http://temporal-ui.test/namespaces/default/workflows/incident-${ids.sensitive}`);
    expect(sensitive.links.digestHtml).toBe(`http://reporting.test/v1/incidents/${ids.sensitive}/digest.html`);
  });

  it('filters by tier, status, district (code or name), topic and overdue', async () => {
    const idsOf = async (q: string) => (await list(q)).map((i) => i.id).sort();
    expect(await idsOf('?tier=major')).toEqual([ids.major]);
    expect(await idsOf('?tier=sensitive,major')).toEqual([ids.sensitive, ids.major].sort());
    expect(await idsOf('?district=南岗区')).toEqual([ids.sensitive]);
    expect(await idsOf('?district=230102')).toEqual([ids.major]);
    expect(await idsOf('?topic=pricing')).toEqual([ids.major]);
    expect(await idsOf('?status=handling')).toEqual([ids.sensitive, ids.major].sort());
    expect(await idsOf('?status=archived')).toEqual([]);
    expect(await idsOf('?overdue=true')).toEqual([]);
    const page = await get('/v1/incidents?limit=1&offset=1');
    expect(page.json()).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.json().items.map((i: ListItem) => i.id)).toEqual([ids.sensitive]);
  });

  it('answers a bad query with 400 problem+json naming the field', async () => {
    expect(problemFields(await get('/v1/incidents?tier=severe'))[0]).toMatch(/^querystring\.tier/);
    expect(problemFields(await get('/v1/incidents?district=朝阳区'))).toEqual(['querystring.district']);
    expect(problemFields(await get('/v1/incidents?limit=0'))).toEqual(['querystring.limit']);
    const unknown = await get('/v1/incidents?color=red');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].message).toContain('color');
  });

  it('needs a key (401) with the reports:read scope (403)', async () => {
    const anonymous = await get('/v1/incidents', null);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await get('/v1/incidents', keys.noScope)).statusCode).toBe(403);
  });

  it('sends the security headers on API answers too', async () => {
    const res = await get('/v1/incidents');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('the opinion digest 《舆情摘报》', () => {
  it('is 404 until the office writes it', async () => {
    const res = await get(`/v1/incidents/${ids.sensitive}/digest`);
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toContain('尚未形成');
  });

  it('renders the digest as JSON and as a printable page, from the incident, its timeline and digest_ready', async () => {
    const text = '多名家长反映幼儿园食堂食材变质。<img src=x onerror=alert(1)>';
    const done = await act(`/v1/incidents/${ids.sensitive}/tasks/digest/complete`, { note: text, proposal: '建议南岗区局立即开展现场检查' });
    expect(done.statusCode).toBe(200);
    const signed = await act(
      `/v1/incidents/${ids.sensitive}/tasks/digest_signoff/approve`,
      { role: 'office_director', comment: '请分管局领导阅示' },
      keys.director,
    );
    expect(signed.statusCode).toBe(200);

    const digest = await eventually<any>(
      async () => {
        const res = await get(`/v1/incidents/${ids.sensitive}/digest`);
        return res.statusCode === 200 && res.json().signoff.length === 1 && res.json();
      },
      20_000,
      'the digest with its sign-off',
    );
    expect(digest).toMatchObject({
      incidentId: ids.sensitive,
      issuer: '舆情管理办公室(市局办公室)',
      text,
      proposal: '建议南岗区局立即开展现场检查',
      incident: { title: '网传南岗区某幼儿园食堂使用变质食材', tierLabel: '敏感舆情', districtName: '南岗区', topicLabel: '食品安全' },
      assessment: { tierLabel: '敏感舆情', lead: 'district', leadLabel: '属地局处置为主、市局指导' },
      signoff: [{ roleLabel: '舆情办主任', comment: '请分管局领导阅示' }],
    });
    expect(digest.assessment.assignments.map((a: { unitName: string }) => a.unitName)).toContain('南岗区市场监督管理局');
    expect(digest.assessment.notified).toEqual(['分管业务局领导']);
    expect(digest.incident.metrics).toContainEqual({ key: 'negativeRatio', label: '负面占比', value: '80%' });
    expect(digest.progress.map((p: { label: string }) => p.label)).toEqual(
      expect.arrayContaining(['接收舆情', '研判定级', '转办预警', '舆情摘报形成', '审批记录']),
    );
    expect(digest.preparedAtLocal).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);

    const page = await get(`/v1/incidents/${ids.sensitive}/digest.html`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<h1>舆情摘报</h1>');
    expect(page.body).toContain('<link rel="stylesheet" href="/console/digest.css">');
    expect(page.body).toContain('建议南岗区局立即开展现场检查');
    // Text from outside is escaped, never markup.
    expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).not.toContain('<img');
    expect(page.body).not.toContain('<script');
  });

  it('answers 404 for an unknown incident, 400 for a malformed id, 401 without a key', async () => {
    expect((await get(`/v1/incidents/${UNKNOWN}/digest`)).statusCode).toBe(404);
    expect((await get(`/v1/incidents/${UNKNOWN}/digest.html`)).statusCode).toBe(404);
    expect(problemFields(await get('/v1/incidents/not-a-uuid/digest'))).toEqual(['params.id']);
    expect((await get(`/v1/incidents/${ids.sensitive}/digest.html`, null)).statusCode).toBe(401);
    expect((await get(`/v1/incidents/${ids.sensitive}/digest`, keys.noScope)).statusCode).toBe(403);
  });
});

describe('GET /v1/incidents/:id/archive (档案)', () => {
  it('holds the incident, timeline, tasks, alerts, approvals, reports, digest and four firsts', async () => {
    expect((await act(`/v1/incidents/${ids.sensitive}/actions/acknowledge`, {}, keys.nangang)).statusCode).toBe(200);
    await doneInReadModel(ids.sensitive, 'acknowledge:district-230103');
    const archive = await eventually<any>(
      async () => {
        const res = await get(`/v1/incidents/${ids.sensitive}/archive`);
        return res.statusCode === 200 && res.json().timeline.some((e: { type: string }) => e.type === 'acknowledged') && res.json();
      },
      20_000,
      'the archive with the acknowledgement',
    );
    expect(archive.incident).toMatchObject({ id: ids.sensitive, tier: 'sensitive', statusLabel: '处置中' });
    expect(archive.timeline.map((e: { type: string }) => e.type)).toEqual([
      'received',
      'assessed',
      'dispatched',
      'digest_ready',
      'approval_recorded',
      'acknowledged',
    ]);
    expect(archive.timeline[5].text).toBe('南岗区市场监督管理局 已签收');
    const tasks = new Map(archive.tasks.map((t: Task) => [t.key, t]));
    expect(tasks.get('digest')).toMatchObject({ status: 'done', statusLabel: '已完成' });
    expect(tasks.get('acknowledge:district-230103')).toMatchObject({ status: 'done' });
    expect(archive.approvals).toEqual([
      expect.objectContaining({ taskKey: 'digest_signoff', role: 'office_director', roleLabel: '舆情办主任', complete: true }),
    ]);
    expect(archive.releases).toEqual([]);
    expect(archive.alerts).toEqual([]);
    expect(archive.digest.text).toContain('多名家长反映');
    // Sensitive incidents have no emergency procedure: their first acknowledgement starts the procedure.
    expect(archive.fourFirsts.procedureBasis).toBe('acknowledge');
    const d = archive.fourFirsts.delaysMs;
    expect(d.assessed).toBeGreaterThanOrEqual(0);
    expect(d.dispatched).toBeGreaterThanOrEqual(d.assessed);
    expect(d.procedure_started).toBeGreaterThan(d.dispatched);
    expect(d.cyberspace_liaison).toBeNull();
  });

  it('answers 404 for an unknown incident, 401 without a key and 403 without the scope', async () => {
    const res = await get(`/v1/incidents/${UNKNOWN}/archive`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await get(`/v1/incidents/${ids.sensitive}/archive`, null)).statusCode).toBe(401);
    expect((await get(`/v1/incidents/${ids.sensitive}/archive`, keys.noScope)).statusCode).toBe(403);
  });
});

describe('GET /v1/stats/four-firsts', () => {
  it('measures each first from intake and gives p50/p90 over the period', async () => {
    for (const [key, by] of [
      ['cyberspace_liaison', keys.office],
      ['emergency_procedure', keys.leadership],
    ] as const) {
      const content = key === 'emergency_procedure' ? { decision: '领导小组决定启动应急处置程序' } : undefined;
      expect((await act(`/v1/incidents/${ids.major}/tasks/${key}/complete`, { note: '已完成', ...(content ? { content } : {}) }, by)).statusCode).toBe(200);
      await doneInReadModel(ids.major, key);
    }
    const res = await get('/v1/stats/four-firsts?tier=major');
    expect(res.statusCode).toBe(200);
    const major = res.json();
    expect(major.total).toBe(1);
    const item = major.items[0];
    expect(item).toMatchObject({ incidentId: ids.major, tierLabel: '重大舆情', procedureBasis: 'emergency_procedure' });
    const d = item.delaysMs;
    expect(d.assessed).toBeGreaterThanOrEqual(0);
    expect(d.cyberspace_liaison).toBeGreaterThan(d.dispatched);
    expect(d.procedure_started).toBeGreaterThan(d.cyberspace_liaison);
    const liaison = major.summary.find((s: { first: string }) => s.first === 'cyberspace_liaison');
    expect(liaison).toMatchObject({
      label: '第一时间沟通网信部门',
      applicable: 1,
      reached: 1,
      pending: 0,
      p50Ms: d.cyberspace_liaison,
      p90Ms: d.cyberspace_liaison,
    });

    const all = (await get('/v1/stats/four-firsts')).json();
    const by = (first: string) => all.summary.find((s: { first: string }) => s.first === first);
    expect(by('assessed')).toMatchObject({ applicable: 2, reached: 2 });
    // The sensitive incident's office has not contacted the cyberspace office yet.
    expect(by('cyberspace_liaison')).toMatchObject({ applicable: 2, reached: 1, pending: 1 });
    expect(by('procedure_started')).toMatchObject({ applicable: 2, reached: 2 });
    const [lo, hi] = [by('procedure_started').p50Ms, by('procedure_started').p90Ms];
    expect(hi).toBeGreaterThanOrEqual(lo);
  });

  it('answers a bad period or tier with 400 naming the field', async () => {
    expect(problemFields(await get('/v1/stats/four-firsts?tier=urgent'))[0]).toMatch(/^querystring\.tier/);
    expect(problemFields(await get('/v1/stats/four-firsts?from=yesterday'))).toEqual(['querystring.from']);
    expect((await get('/v1/stats/four-firsts', null)).statusCode).toBe(401);
    expect((await get('/v1/stats/four-firsts', keys.noScope)).statusCode).toBe(403);
  });

  it('computes percentiles as percentile_cont does', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([10, 20, 30, 40, 50], 0.5)).toBe(30);
    expect(percentile([10, 20, 30, 40, 50], 0.9)).toBe(46);
    expect(percentile([1_000, 2_000], 0.5)).toBe(1_500);
  });
});

describe('GET /v1/stats', () => {
  /** The default policy, with the general tier's acknowledgement due in 1 s and escalated to the office 0.5 s later. */
  function quickAckPolicy(): PolicyDocumentInput {
    const doc = structuredClone(DEFAULT_POLICY);
    const ack = doc.tiers.general.tasks.find((t) => t.kind === 'acknowledge')!;
    ack.deadline = '1s';
    ack.chain = [
      { after: '0s', action: 'remind', notify: ['owner'] },
      { after: '500ms', action: 'escalate', notify: ['opinion_office'] },
    ];
    return doc;
  }

  type Unit = { unitId: string | null; unitName: string | null; lapses: number; unresolved: number; escalations: number };
  const stats = async (query = '') => (await get(`/v1/stats${query}`)).json();
  const nangang = async () => ((await stats()).lapsesByUnit as Unit[]).find((u) => u.unitId === 'district-230103');

  it('holds each lapse against the accountable unit and counts open overdue tasks', async () => {
    await publishCityPolicy(h.t.db, quickAckPolicy());
    ids.general = await h.report({
      title: '网传南岗区某超市拒绝七日无理由退货',
      topic: 'consumer_rights',
      metrics: { reportCount: 3, reach: 2_000 },
      suggestedTier: 'general',
    });
    const unit = await eventually(
      async () => {
        const u = await nangang();
        return u && u.lapses === 1 && u.escalations === 1 && u;
      },
      20_000,
      'the lapse and its escalation against 南岗区',
    );
    expect(unit).toEqual({
      unitId: 'district-230103',
      unitName: '南岗区市场监督管理局',
      roles: ['district_bureau'],
      roleLabels: ['区、县(市)局'],
      lapses: 1,
      unresolved: 1,
      escalations: 1,
    });

    const s = await stats();
    expect(s.incidents.total).toBe(3);
    expect(s.incidents.byTier).toEqual([
      { key: 'general', label: '一般舆情', count: 1 },
      { key: 'sensitive', label: '敏感舆情', count: 1 },
      { key: 'major', label: '重大舆情', count: 1 },
      { key: 'critical', label: '特别重大舆情', count: 0 },
    ]);
    expect(s.incidents.byStatus.find((c: { key: string }) => c.key === 'handling').count).toBe(3);
    expect(s.incidents.byDistrict).toEqual(
      expect.arrayContaining([
        { key: '230103', label: '南岗区', count: 2 },
        { key: '230102', label: '道里区', count: 1 },
      ]),
    );
    const overdue = s.openOverdueTasks.items.find((t: { incidentId: string }) => t.incidentId === ids.general);
    expect(overdue).toMatchObject({ key: 'acknowledge:district-230103', label: '签收预警', unitName: '南岗区市场监督管理局' });
    expect(overdue.overdueMs).toBeGreaterThan(0);
    expect(s.openOverdueTasks.total).toBe(1);
    expect(s.fourFirsts.map((f: { first: string }) => f.first)).toEqual(['assessed', 'dispatched', 'cyberspace_liaison', 'procedure_started']);
    expect((await list('?overdue=true')).map((i) => i.id)).toEqual([ids.general]);
  });

  it('marks the lapse resolved once the unit acts, and it no longer counts as overdue', async () => {
    expect((await act(`/v1/incidents/${ids.general}/actions/acknowledge`, {}, keys.nangang)).statusCode).toBe(200);
    await eventually(async () => (await nangang())?.unresolved === 0, 20_000, 'the lapse resolved');
    await eventually(async () => (await stats()).openOverdueTasks.total === 0, 20_000, 'no open overdue task');
    // The lapse stays on record against the unit.
    expect(await nangang()).toMatchObject({ lapses: 1, escalations: 1 });
  });

  it('counts only the incidents received in the period', async () => {
    const s = await stats(`?from=${encodeURIComponent('2020-01-01T00:00:00+08:00')}&to=${encodeURIComponent('2020-02-01T00:00:00+08:00')}`);
    expect(s.incidents.total).toBe(0);
    expect(s.lapsesByUnit).toEqual([]);
    expect(s.period.fromLocal).toBe('2020/01/01 00:00:00');
  });

  it('answers a bad period with 400 naming the field, and needs the scope', async () => {
    const reversed = await get(`/v1/stats?from=${encodeURIComponent('2026-11-02T00:00:00+08:00')}&to=${encodeURIComponent('2026-11-01T00:00:00+08:00')}`);
    expect(reversed.statusCode).toBe(400);
    expect(problemFields(reversed)).toEqual(['querystring.to']);
    expect(problemFields(await get('/v1/stats?to=soon'))).toEqual(['querystring.to']);
    expect((await get('/v1/stats', null)).statusCode).toBe(401);
    expect((await get('/v1/stats', keys.noScope)).statusCode).toBe(403);
  });
});

describe('OpenAPI', () => {
  it('documents the new routes', async () => {
    const spec = (await get('/docs/json', null)).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/incidents',
        '/v1/incidents/{id}/archive',
        '/v1/incidents/{id}/digest',
        '/v1/incidents/{id}/digest.html',
        '/v1/stats',
        '/v1/stats/four-firsts',
        '/v1/stream',
        '/v1/labels',
      ]),
    );
  });
});

describe('GET /v1/incidents?sort=urgency (the duty view)', () => {
  it('puts incidents with a lapsed open task first, then the nearest deadline, none last', async () => {
    // The city policy of the statistics tests above gives a general incident's units 1 s to acknowledge.
    const late = await h.report({ title: '网传南岗区某菜市场短斤少两', topic: 'consumer_rights', metrics: { reportCount: 2 }, suggestedTier: 'general' });
    await eventually(async () => (await list('?overdue=true')).some((i) => i.id === late), 20_000, 'the lapse');
    const items = await list('?sort=urgency&status=received,handling&limit=200');
    const now = Date.now();
    const lapsed = (i: ListItem) => i.openTasks.some((t) => t.dueAt !== null && Date.parse(t.dueAt) < now);
    const nearest = (i: ListItem) => Math.min(Infinity, ...i.openTasks.filter((t) => t.dueAt).map((t) => Date.parse(t.dueAt!)));
    expect(items.length).toBeGreaterThan(1);
    expect(items[0]!.id).toBe(late);
    const firstOnTime = items.findIndex((i) => !lapsed(i));
    expect(items.slice(0, firstOnTime).every(lapsed)).toBe(true);
    expect(items.slice(firstOnTime).some(lapsed)).toBe(false);
    const dues = items.slice(firstOnTime).map(nearest);
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
  });

  it('refuses an unknown order, naming the field', async () => {
    const res = await get('/v1/incidents?sort=loudest');
    expect(res.statusCode).toBe(400);
    expect(problemFields(res)).toContain('querystring.sort');
  });
});

describe('GET /v1/me', () => {
  it('tells the console who the key acts for, as the access policy sees them', async () => {
    const office = await get('/v1/me', keys.office);
    expect(office.statusCode).toBe(200);
    expect(office.json()).toMatchObject({
      unitId: 'opinion-office',
      unitName: '舆情管理办公室(市局办公室)',
      roles: ['opinion_office', 'office_director'],
      bureauWide: true,
      coordinator: true,
      office: true,
    });
    const district = await createTestKey(h.t.db, { scopes: ['reports:read', 'tasks:act'], unitId: 'district-230103', roles: ['district_bureau'] });
    expect((await get('/v1/me', district)).json()).toMatchObject({
      unitId: 'district-230103',
      unitName: '南岗区市场监督管理局',
      bureauWide: false,
      coordinator: false,
      office: false,
    });
    expect((await get('/v1/me', null)).statusCode).toBe(401);
    expect((await get('/v1/me', keys.noScope)).statusCode).toBe(403);
  });
});

describe('jurisdiction on the console’s API', () => {
  it('a district bureau lists only its district, and the bureau-wide views are not its to see', async () => {
    const daoli = await createTestKey(h.t.db, { scopes: ['reports:read'], unitId: 'district-230102' });
    const list = await h.app.inject({ url: '/v1/incidents?limit=200', headers: { authorization: `Bearer ${daoli}` } });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.every((i: { district: string | null }) => i.district === '230102')).toBe(true);
    expect((await h.app.inject({ url: '/v1/stats', headers: { authorization: `Bearer ${daoli}` } })).statusCode).toBe(403);
    // The live stream is open to it, with its own district's events only (stream.test.ts).
    const office = await h.app.inject({ url: '/v1/incidents?limit=200', headers: { authorization: `Bearer ${keys.reader}` } });
    expect(office.json().items.some((i: { district: string | null }) => i.district === '230103')).toBe(true);
    const nangangIncident = office.json().items.find((i: { district: string | null }) => i.district === '230103');
    expect((await h.app.inject({ url: `/v1/incidents/${nangangIncident.id}/archive`, headers: { authorization: `Bearer ${daoli}` } })).statusCode).toBe(404);
  });
});
