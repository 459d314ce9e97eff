/** The Chinese message of each kind of notifying event (pure rendering, no services). */
import { EVENT_SCHEMA_VERSION, formatBeijing, parseIncidentEvent } from '@yuqing/shared';
import { isNotifying, renderNotice, type NotifyingEvent } from '../src/notifications/notice';

const incidentId = '2458f180-f9f1-43db-9118-6b1a83c2b81c';
const to = { unitId: 'district-230103', unitName: '南岗区市场监督管理局', roles: ['district_bureau' as const] };
const ownBases = ['https://reporting.example.org', 'https://dispatch.example.org/'];
const links = {
  timeline: `https://reporting.example.org/v1/incidents/${incidentId}/timeline`,
  tasks: 'https://dispatch.example.org/v1/tasks?unit=district-230103',
};
const dueAt = '2026-11-28T09:30:00.000Z';

function ev(type: string, tier: string, data: Record<string, unknown>): NotifyingEvent {
  const e = parseIncidentEvent({
    id: `incident-${incidentId}#0009.${type}`,
    type,
    incidentId,
    tier,
    occurredAt: '2026-11-28T09:45:00.000Z',
    schemaVersion: EVENT_SCHEMA_VERSION,
    data,
  });
  if (!isNotifying(e)) throw new Error(`${type} does not notify`);
  return e;
}

const render = (event: NotifyingEvent, extra: Partial<Parameters<typeof renderNotice>[0]> = {}) =>
  renderNotice({
    event,
    incident: { title: '网传南岗区某超市销售过期食品', sourceUrl: 'https://weibo.example.com/x' },
    to,
    unitTasks: [],
    links,
    ownBases,
    unitNames: (id) => (id === 'district-230103' ? to.unitName : undefined),
    ...extra,
  });

describe('notification messages', () => {
  it('warns by tier: 预警 for a general incident, 紧急预警 above; 改派 names the new unit', () => {
    const data = (reason: string) => ({
      reason,
      assignments: [{ unitId: 'district-230103', unitName: to.unitName, role: 'district_bureau' }],
      notify: [],
      title: '网传南岗区某超市销售过期食品',
      link: 'https://weibo.example.com/x',
    });
    const general = render(ev('dispatched', 'general', data('initial')), { unitTasks: [{ kind: 'acknowledge', dueAt }] });
    expect(general.title).toBe('【预警】一般舆情:网传南岗区某超市销售过期食品');
    expect(general.text.split('\n')).toEqual([
      general.title,
      '转办一般舆情至 南岗区市场监督管理局',
      '接收:南岗区市场监督管理局(区、县(市)局)',
      `签收预警 截止:${formatBeijing(dueAt)}(北京时间)`,
      '舆情链接:https://weibo.example.com/x',
      `处置时间线:${links.timeline}`,
      `本单位待办:${links.tasks}`,
    ]);
    expect(formatBeijing(dueAt)).toBe('2026/11/28 17:30:00');
    expect(general.dueAt).toBe(dueAt);
    const major = render(ev('dispatched', 'major', data('reassigned')));
    expect(major.title).toMatch(/^【紧急预警】重大舆情:/);
    expect(major.text).toContain('改派重大舆情至 南岗区市场监督管理局');
  });

  it('chases: 临近时限提醒 before the deadline, 催办 after, 督办 with how late and who is late, 超时预警', () => {
    const base = {
      taskKey: 'investigation_report:district-230103',
      taskKind: 'investigation_report',
      to: [{ role: 'district_bureau', unitId: 'district-230103' }],
      dueAt,
    };
    const owner = { unitId: 'district-230103', unitName: to.unitName };
    expect(render(ev('reminder_sent', 'sensitive', { ...base, stage: 'before_deadline' })).title).toMatch(/^【临近时限提醒】敏感舆情:/);
    const chased = render(ev('reminder_sent', 'sensitive', { ...base, stage: 0 }), { owner });
    expect(chased.title).toMatch(/^【催办】/);
    expect(chased.text).toContain(`调查处置反馈 截止:${formatBeijing(dueAt)}(北京时间),已超时 15 分钟`);
    expect(chased.text).toContain('责任单位:南岗区市场监督管理局');
    const escalated = render(
      ev('escalated', 'sensitive', { ...base, action: 'escalate', to: [{ role: 'opinion_office', unitId: 'opinion-office' }], stage: 1, overdueMs: 3_600_000 }),
      {
        owner,
        to: { unitId: 'opinion-office', unitName: '舆情管理办公室(市局办公室)', roles: ['opinion_office'] },
      },
    );
    expect(escalated.title).toMatch(/^【督办】/);
    expect(escalated.markdown).toContain('> **责任单位:南岗区市场监督管理局**');
    expect(escalated.text).toContain('已超时 60 分钟');
    const lapsed = render(
      ev('deadline_lapsed', 'critical', {
        taskKey: 'authoritative_release',
        taskKind: 'authoritative_release',
        owner: { role: 'opinion_office', unitId: 'opinion-office' },
        dueAt,
        lapsedAt: dueAt,
        lateMs: 12,
      }),
    );
    expect(lapsed.title).toMatch(/^【超时预警】特别重大舆情:/);
    expect(lapsed.text).toContain('发布权威信息 截止:');
  });

  it('notifies only for warnings and chasing, never for its own outcomes', () => {
    const e = parseIncidentEvent({
      id: 'x#1.acknowledged',
      type: 'acknowledged',
      incidentId,
      tier: 'general',
      occurredAt: dueAt,
      schemaVersion: EVENT_SCHEMA_VERSION,
      data: { unitId: 'district-230103' },
    });
    expect(isNotifying(e)).toBe(false);
    const notified = parseIncidentEvent({
      id: 'notify-1#1',
      type: 'notified',
      incidentId,
      tier: 'general',
      occurredAt: dueAt,
      schemaVersion: EVENT_SCHEMA_VERSION,
      data: {
        deliveryId: 'd1',
        cause: { eventId: e.id, type: 'dispatched' },
        channel: 'email',
        to: { unitId: 'district-230103' },
        roles: ['district_bureau'],
        outcome: 'delivered',
        attempts: 1,
        latencyMs: 420,
      },
    });
    expect(isNotifying(notified)).toBe(false);
  });
});

describe('robot markdown from hostile input', () => {
  const evil = 'https://evil.example.net/sign';
  const hostileTitle = `正常标题\n### 假标题\n- [点此立即签收](${evil})\r\n> 引用 **加粗** <font color="warning">红</font> ![图](https://evil.example.net/i.png) www.evil.example.net ${evil} user@evil.example.net \`code\` 1. 列表`;
  const hostileSource = `https://weibo.example.com/1)[点此立即签收](${evil}`;
  const hostileUnit = `南岗区局](${evil})\n# 假单位`;
  const hostilePerson = '李四\u2028- [签收](https://evil.example.net/p)';
  const hostileAccountable = '**责任**](javascript:alert(1))\n\n---';
  const own = (url: string) => ownBases.some((b) => url.startsWith(b.replace(/\/$/, '') + '/'));

  /** Every place a renderer could make a link: markdown links and images, autolinks, bare URLs and www. names. */
  function linksIn(markdown: string): string[] {
    return [
      ...[...markdown.matchAll(/\]\(([^)\s]*)/g)].map((m) => m[1]!),
      ...[...markdown.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]*)>/gi)].map((m) => m[1]!),
      ...[...markdown.matchAll(/(?:https?|javascript):\/*[^\s)|]*/gi)].map((m) => m[0]),
      ...[...markdown.matchAll(/www\.[^\s)|]*/gi)].map((m) => m[0]),
    ];
  }

  function expectInert(m: ReturnType<typeof render>, deadlines: number) {
    const lines = m.markdown.split('\n');
    // Our structure only: one heading, quotes, one list item per deadline, a blank line, the links line.
    expect(lines.filter((l) => /^\s*#/.test(l))).toEqual([lines[0]]);
    expect(lines.filter((l) => /^\s*([-+*]|\d+[.)])\s/.test(l))).toHaveLength(deadlines);
    expect(lines.filter((l) => /^\s*(-{3,}|={3,}|\*{3,})\s*$/.test(l))).toEqual([]);
    expect(lines).toHaveLength(3 + (m.markdown.includes('责任单位') ? 1 : 0) + deadlines + 2);
    for (const url of linksIn(m.markdown)) expect([url, own(url)]).toEqual([url, true]);
    expect(m.markdown).not.toMatch(/<\/?[a-z]/i);
    expect(m.markdown).not.toContain('![');
    expect(m.markdown).not.toContain('evil.example.net');
    expect(m.markdown.match(/\]\(/g)).toHaveLength(2);
    // The words are still there for a reader, only harmless.
    expect(m.markdown).toContain('点此立即签收');
    // Plain text: every field on its own single line.
    expect(m.text.split('\n')).toHaveLength(lines.length + (m.links.source ? 1 : 0));
    expect(m.title).not.toMatch(/[\r\n\u2028]/);
  }

  it('a warning with a forged title, source URL and unit name links only to our own pages', () => {
    const event = ev('dispatched', 'major', {
      reason: 'initial',
      assignments: [{ unitId: 'district-230103', unitName: hostileUnit, role: 'district_bureau' }],
      notify: [],
      title: hostileTitle,
      link: hostileSource,
    });
    const m = render(event, {
      incident: { title: hostileTitle, sourceUrl: hostileSource },
      to: { unitId: 'district-230103', unitName: hostileUnit, personId: 'p1', personName: hostilePerson, roles: ['district_bureau'] },
      unitTasks: [{ kind: 'acknowledge', dueAt }],
    });
    expectInert(m, 1);
    expect(m.markdown.split('\n')[0]).toMatch(/^### 【紧急预警】重大舆情:正常标题 ＃＃＃ 假标题 － ［点此立即签收］（https：\/\/evil．example．net\/sign）/);
    expect(m.markdown).toContain('舆情链接:https：//weibo．example．com/1）［点此立即签收］（https：//evil．example．net/sign');
    expect(m.markdown).toContain(`[处置时间线](${links.timeline})`);
    // The webhook's JSON and the e-mail keep the data as it came, on one line each.
    expect(m.links.source).toBe(hostileSource);
    expect(m.text.split('\n')[0]).toBe(`【紧急预警】重大舆情:${hostileTitle.replace(/\s+/g, ' ')}`.slice(0, 120));
  });

  it('chasing messages neutralise names from the directory too', () => {
    const base = {
      taskKey: 'investigation_report:district-230103',
      taskKind: 'investigation_report',
      to: [{ role: 'district_bureau', unitId: 'district-230103' }],
      dueAt,
    };
    const unitNames = () => hostileUnit;
    const owner = { unitId: 'district-230103', unitName: hostileAccountable };
    for (const event of [
      ev('reminder_sent', 'sensitive', { ...base, stage: 0 }),
      ev('escalated', 'sensitive', { ...base, action: 'escalate', stage: 1, overdueMs: 60_000 }),
      ev('deadline_lapsed', 'critical', {
        taskKey: base.taskKey,
        taskKind: base.taskKind,
        owner: { role: 'district_bureau', unitId: 'district-230103' },
        dueAt,
        lapsedAt: dueAt,
        lateMs: 5,
      }),
    ]) {
      const m = render(event, { incident: { title: hostileTitle, sourceUrl: hostileSource }, owner, unitNames, to: { ...to, unitName: hostileUnit } });
      expectInert(m, 1);
      expect(m.markdown).toContain('> **责任单位:＊＊责任＊＊］（javascript：alert（1））');
    }
  });

  it('links only under our public base URLs, whatever the link says', () => {
    const event = ev('dispatched', 'general', { reason: 'initial', assignments: [], notify: [], title: 't', link: 'https://weibo.example.com/x' });
    for (const foreign of [
      'https://evil.example.net/v1/tasks',
      'https://reporting.example.org.evil.example.net/v1/x',
      'https://reporting.example.org@evil.example.net/v1/x',
      'http://reporting.example.org/v1/x',
      'javascript:alert(1)',
    ]) {
      const m = render(event, { links: { timeline: foreign, tasks: foreign } });
      expect(m.markdown).not.toContain('](');
      expect(m.markdown).toContain('处置时间线:');
    }
    const m = render(event, { links: { timeline: links.timeline, tasks: 'https://dispatch.example.org/v1/tasks?unit=x)[签收](https://evil.example.net' } });
    expect(m.markdown).toContain('[本单位待办](https://dispatch.example.org/v1/tasks?unit=x%29%5B%E7%AD%BE%E6%94%B6%5D%28https://evil.example.net)');
    expect(m.markdown.match(/\]\(/g)).toHaveLength(2);
  });

  it('a title with a right-to-left override reads as it was written', () => {
    const event = ev('dispatched', 'general', { reason: 'initial', assignments: [], notify: [], title: 't', link: 'https://weibo.example.com/x' });
    const m = render(event, { incident: { title: '网传\u202e品食期过\u202c售销市超' } });
    for (const out of [m.title, m.text, m.markdown]) expect(out).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(m.title).toContain('网传品食期过售销市超');
  });

  it('a hand-off request tells the office by when to decide; a refusal tells the unit it keeps its part', () => {
    const review = {
      key: 'hand_off_review#1',
      kind: 'hand_off_review',
      owner: 'opinion_office',
      unitId: 'opinion-office',
      status: 'open',
      mandatory: true,
      phase: 'handling',
      round: 1,
      overdue: false,
      approvalsNeeded: [],
      approvals: [],
      seq: 3,
      openedAt: '2026-11-28T09:00:00.000Z',
      dueAt,
    };
    const asked = render(
      ev('hand_off_requested', 'sensitive', {
        unitId: 'district-230103',
        toUnitId: 'district-230102',
        reason: '门店位于道里区',
        taskKey: review.key,
        tasks: [review],
      }),
      { to: { unitId: 'opinion-office', unitName: '舆情管理办公室', roles: ['opinion_office'] } },
    );
    expect(asked.title).toBe('【移交申请】敏感舆情:网传南岗区某超市销售过期食品');
    expect(asked.text).toContain('南岗区市场监督管理局 申请移交至 district-230102:门店位于道里区,待舆情办审核');
    expect(asked.text).toContain(`审核移交申请 截止:${formatBeijing(dueAt)}(北京时间)`);
    expect(asked.dueAt).toBe(dueAt);
    const refused = render(
      ev('hand_off_refused', 'sensitive', { unitId: 'district-230103', role: 'district_bureau', reason: '注册地在南岗区', taskKey: review.key }),
    );
    expect(refused.title).toBe('【移交未获同意】敏感舆情:网传南岗区某超市销售过期食品');
    expect(refused.text).toContain('舆情办不同意 南岗区市场监督管理局 的移交申请:注册地在南岗区');
    expect(refused.dueAt).toBeUndefined();
  });
});
