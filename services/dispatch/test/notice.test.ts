/** The Chinese message of each kind of notifying event (pure rendering, no services). */
import { EVENT_SCHEMA_VERSION, formatBeijing, parseIncidentEvent, type IncidentEvent } from '@yuqing/shared';
import { isNotifying, renderNotice, type NotifyingEvent } from '../src/notifications/notice';

const incidentId = '2458f180-f9f1-43db-9118-6b1a83c2b81c';
const to = { unitId: 'district-230103', unitName: '南岗区市场监督管理局', roles: ['district_bureau' as const] };
const links = { timeline: `https://reporting.example.cn/v1/incidents/${incidentId}/timeline`, tasks: 'https://dispatch.example.cn/v1/tasks?unit=district-230103' };
const dueAt = '2026-11-28T09:30:00.000Z';

function ev(type: string, tier: string, data: Record<string, unknown>): NotifyingEvent {
  const e = parseIncidentEvent({ id: `incident-${incidentId}#0009.${type}`, type, incidentId, tier, occurredAt: '2026-11-28T09:45:00.000Z', schemaVersion: EVENT_SCHEMA_VERSION, data });
  if (!isNotifying(e)) throw new Error(`${type} does not notify`);
  return e;
}

const render = (event: NotifyingEvent, extra: Partial<Parameters<typeof renderNotice>[0]> = {}) =>
  renderNotice({ event, incident: { title: '网传南岗区某超市销售过期食品', sourceUrl: 'https://weibo.com/x' }, to, unitTasks: [], links, unitNames: (id) => (id === 'district-230103' ? to.unitName : undefined), ...extra });

describe('notification messages', () => {
  it('warns by tier: 预警 for a general incident, 紧急预警 above; 改派 names the new unit', () => {
    const data = (reason: string) => ({ reason, assignments: [{ unitId: 'district-230103', unitName: to.unitName, role: 'district_bureau' }], notify: [], title: '网传南岗区某超市销售过期食品', link: 'https://weibo.com/x' });
    const general = render(ev('dispatched', 'general', data('initial')), { unitTasks: [{ kind: 'acknowledge', dueAt }] });
    expect(general.title).toBe('【预警】一般舆情:网传南岗区某超市销售过期食品');
    expect(general.text.split('\n')).toEqual([
      general.title,
      '转办一般舆情至 南岗区市场监督管理局',
      '接收:南岗区市场监督管理局(区、县(市)局)',
      `签收预警 截止:${formatBeijing(dueAt)}(北京时间)`,
      '舆情链接:https://weibo.com/x',
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
    const base = { taskKey: 'investigation_report:district-230103', taskKind: 'investigation_report', to: [{ role: 'district_bureau', unitId: 'district-230103' }], dueAt };
    const accountable = { unitId: 'district-230103', unitName: to.unitName };
    expect(render(ev('reminder_sent', 'sensitive', { ...base, stage: 'before_deadline' })).title).toMatch(/^【临近时限提醒】敏感舆情:/);
    const chased = render(ev('reminder_sent', 'sensitive', { ...base, stage: 0 }), { accountable });
    expect(chased.title).toMatch(/^【催办】/);
    expect(chased.text).toContain(`调查处置反馈 截止:${formatBeijing(dueAt)}(北京时间),已超时 15 分钟`);
    expect(chased.text).toContain('责任单位:南岗区市场监督管理局');
    const escalated = render(ev('escalated', 'sensitive', { ...base, action: 'escalate', to: [{ role: 'opinion_office', unitId: 'opinion-office' }], stage: 1, overdueMs: 3_600_000 }), {
      accountable,
      to: { unitId: 'opinion-office', unitName: '舆情管理办公室(市局办公室)', roles: ['opinion_office'] },
    });
    expect(escalated.title).toMatch(/^【督办】/);
    expect(escalated.markdown).toContain('> **责任单位:南岗区市场监督管理局**');
    expect(escalated.text).toContain('已超时 60 分钟');
    const lapsed = render(ev('deadline_lapsed', 'critical', { taskKey: 'authoritative_release', taskKind: 'authoritative_release', accountable: { role: 'opinion_office', unitId: 'opinion-office' }, dueAt, lapsedAt: dueAt, lateMs: 12 }));
    expect(lapsed.title).toMatch(/^【超时预警】特别重大舆情:/);
    expect(lapsed.text).toContain('发布权威信息 截止:');
  });

  it('notifies only for warnings and chasing, never for its own outcomes', () => {
    const e = parseIncidentEvent({ id: 'x#1.acknowledged', type: 'acknowledged', incidentId, tier: 'general', occurredAt: dueAt, schemaVersion: EVENT_SCHEMA_VERSION, data: { unitId: 'district-230103' } }) as IncidentEvent;
    expect(isNotifying(e)).toBe(false);
    const notified = parseIncidentEvent({
      id: 'notify-1#1',
      type: 'notified',
      incidentId,
      tier: 'general',
      occurredAt: dueAt,
      schemaVersion: EVENT_SCHEMA_VERSION,
      data: { deliveryId: 'd1', cause: { eventId: e.id, type: 'dispatched' }, channel: 'email', to: { unitId: 'district-230103' }, roles: ['district_bureau'], outcome: 'delivered', attempts: 1, latencyMs: 420 },
    });
    expect(isNotifying(notified)).toBe(false);
  });
});
