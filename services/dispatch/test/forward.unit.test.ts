/** Messages that carry written work on (签转, 报送): pure rendering, no services. */
import { renderReport, renderSignoff } from '../src/notifications/forward';

const incidentId = '2458f180-f9f1-43db-9118-6b1a83c2b81c';
const ownBases = ['https://reporting.example.org'];
const links = { timeline: `https://reporting.example.org/console/incidents/${incidentId}`, tasks: 'https://reporting.example.org/console/tasks?unit=x' };
const leader = { unitId: 'leadership-group', unitName: '领导小组', personId: 'li', personName: '李分管', roles: ['leader_in_charge' as const] };
const approval = {
  role: 'office_director' as const,
  actor: { id: 'key-zhao', kind: 'person' as const, name: '赵主任', unitId: 'opinion-office' },
  at: '2026-11-28T02:15:00.000Z',
};
const names = (id: string) => (id === 'opinion-office' ? '舆情办' : undefined);

describe('签转 and 报送 messages', () => {
  it('the signed digest keeps its lines, names who signed in Beijing time, and links only to our own pages', () => {
    const m = renderSignoff({
      tier: 'major',
      incident: { title: '网传某超市销售过期奶粉' },
      to: leader,
      links,
      ownBases,
      approval,
      digest: { text: '第一行\n\n[点此查看](https://evil.example.com)\n第三行', proposal: '建议核查', version: 1 },
      unitNames: names,
    });
    expect(m.title).toBe('【舆情摘报签转】重大舆情:网传某超市销售过期奶粉');
    expect(m.text).toContain('签转:赵主任(舆情办)(舆情办主任),2026/11/28 10:15:00(北京时间)');
    expect(m.text).toContain('摘报正文:\n第一行\n[点此查看](https://evil.example.com)\n第三行\n拟办意见:\n建议核查');
    expect(m.forwarded).toEqual({ taskKind: 'digest_signoff', version: 1 });
    // In the robots' markdown the digest is quoted and inert: its link is no link.
    expect(m.markdown).not.toContain('](https://evil');
    expect(m.markdown).toContain('> \uff3b点此查看\uff3d');
    expect(m.markdown).toContain(`[处置时间线](${links.timeline})`);
  });

  it('a digest that cannot be found is said, not sent empty', () => {
    const m = renderSignoff({ tier: 'sensitive', incident: { title: 't' }, to: leader, links, ownBases, approval, digest: undefined, unitNames: names });
    expect(m.text).toContain('摘报正文:\n(未找到正文,请联系报送单位)');
    expect(m.forwarded).toEqual({ taskKind: 'digest_signoff' });
  });

  it('reported talking points carry their version; an outside body without a role is named alone', () => {
    const m = renderReport({
      tier: 'critical',
      incident: { title: '网传某超市销售过期奶粉' },
      to: { unitId: 'ext-propaganda', unitName: '市委宣传部', roles: [] },
      links,
      ownBases,
      taskKind: 'talking_points_reported',
      from: '舆情办',
      work: { label: '回应口径', text: '口径正文', version: 2, approved: true },
    });
    expect(m.title).toBe('【报送·回应口径】特别重大舆情:网传某超市销售过期奶粉');
    expect(m.text).toContain('报送单位:舆情办\n接收:市委宣传部\n回应口径(第2稿,已审定):\n口径正文');
    expect(m.forwarded).toEqual({ taskKind: 'talking_points_reported', version: 2 });
  });
});
