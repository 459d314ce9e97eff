/**
 * Issue 13, point 12: sign-offs and upward reports reach people. On the real
 * services, a major incident is driven with each unit's key: the office director's
 * sign-off of the 《舆情摘报》 reaches the leader in charge with its text (签转), and
 * what the plan has reported to outside bodies reaches their channels and the
 * timeline says what was sent to whom (报送).
 */
import { DEFAULT_POLICY } from '@yuqing/shared';
import { eventually, HttpReceiver, RECEIVER_ALLOW_HOSTS, SmtpReceiver, startTestPlatform, type Arrival, type TestPlatform } from '@yuqing/testkit';

jest.setTimeout(120_000);

let p: TestPlatform;
let http: HttpReceiver;
let smtp: SmtpReceiver;
const k = {} as Record<'admin' | 'monitoring' | 'nangang' | 'food' | 'office' | 'director' | 'leaderInCharge' | 'leader', string>;

beforeAll(async () => {
  http = await new HttpReceiver().start();
  smtp = await new SmtpReceiver().start();
  p = await startTestPlatform({
    policy: DEFAULT_POLICY,
    notifications: true,
    env: { SMTP_URL: smtp.url, NOTIFY_POLL_MS: '200', NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS },
  });
  const district = ['incidents:read', 'tasks:act', 'reports:read'] as const;
  k.admin = await p.key({ scopes: ['admin'], id: 'city-admin' });
  k.monitoring = await p.key({ scopes: ['incidents:write', 'incidents:read'], id: 'monitoring-platform' });
  k.nangang = await p.key({ scopes: [...district], unitId: 'district-230103', roles: ['district_bureau'] });
  k.food = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'dept-food-safety', roles: ['responsible_department'] });
  k.office = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
  k.director = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['office_director'], id: 'zhao-director' });
  k.leaderInCharge = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'leadership-group', roles: ['leader_in_charge'], id: 'li-fenguan' });
  k.leader = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'leadership-group', roles: ['leader', 'leadership_group'], id: 'zhang-leader' });

  // The leader in charge is reached on a personal webhook.
  const hook = await p.call('dispatch', k.admin, 'POST', '/v1/channels', {
    personId: 'person-li-fenguan',
    kind: 'webhook',
    address: http.endpoint('leader-in-charge', { kind: 'webhook' }),
    label: '分管领导工作手机',
  });
  expect(hook.statusCode).toBe(201);
  http.get('leader-in-charge', 'webhook').secret = hook.json().secret as string;
});

afterAll(async () => {
  await p?.stop();
  await http?.stop();
  await smtp?.stop();
});

const forIncident = (arrivals: Arrival[], id: string) => arrivals.filter((a) => a.json?.incidentId === id);

describe('签转: the signed digest reaches the leader in charge', () => {
  it('sends the digest’s text, the proposed handling, who signed and when, and the console link', async () => {
    const id = await p.report(k.monitoring, { flags: ['public_vital_interest'], title: '网传某超市销售过期奶粉' });
    const task = (key: string, verb: string) => `/v1/incidents/${id}/tasks/${key}/${verb}`;
    const digestText = '网传某超市销售过期奶粉。\n已转食品处和南岗区局核查,涉事批次已下架。';
    const proposal = '建议由食品处牵头核查,舆情办持续监测。';
    expect((await p.call('dispatch', k.office, 'POST', task('digest', 'complete'), { note: digestText, proposal })).statusCode).toBe(200);
    // Nothing is sent before the sign-off.
    const before = await p.t.db.selectFrom('deliveries').select('id').where('incidentId', '=', id).where('eventType', '=', 'approval_recorded').execute();
    expect(before).toHaveLength(0);
    const signed = await p.call('dispatch', k.director, 'POST', task('digest_signoff', 'approve'), { role: 'office_director', comment: '同意,请李局阅示' });
    expect(signed.statusCode).toBe(200);

    const arrival = await eventually(
      () => forIncident(http.at('leader-in-charge', 'webhook'), id).find((a) => a.json.forwarded?.taskKind === 'digest_signoff'),
      15_000,
      'the signed digest at the leader in charge',
    );
    expect(arrival.status).toBe(200); // signature verified by the receiver
    const m = arrival.json as { title: string; text: string; to: { personId?: string; roles: string[] }; links: { timeline: string }; forwarded: unknown };
    expect(m.title).toBe('【舆情摘报签转】重大舆情:网传某超市销售过期奶粉');
    expect(m.forwarded).toEqual({ taskKind: 'digest_signoff', version: 1 });
    expect(m.to).toMatchObject({ personId: 'person-li-fenguan', roles: ['leader_in_charge'] });
    expect(m.text).toContain('摘报正文:\n网传某超市销售过期奶粉。\n已转食品处和南岗区局核查,涉事批次已下架。');
    expect(m.text).toContain(`拟办意见:\n${proposal}`);
    expect(m.text).toContain('签转:test zhao-director(舆情管理办公室(市局办公室))(舆情办主任),');
    expect(m.text).toMatch(/舆情办主任\),\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\(北京时间\)\n/);
    expect(m.text).toContain('意见:同意,请李局阅示');
    const link = `${p.config.REPORTING_PUBLIC_URL.replace(/\/+$/, '')}/console/incidents/${id}`;
    expect(m.links.timeline).toBe(link);
    expect(m.text).toContain(`处置时间线:${link}`);

    // The delivery keeps what was sent, and the timeline says it: 签转 to whom, by what, and that it arrived.
    const row = await p.t.db
      .selectFrom('deliveries')
      .select(['status', 'message'])
      .where('incidentId', '=', id)
      .where('eventType', '=', 'approval_recorded')
      .executeTakeFirstOrThrow();
    expect(row.message.text).toBe(m.text);
    const line = await eventually(
      async () => {
        const res = await p.call('reporting', k.admin, 'GET', `/v1/incidents/${id}/timeline`);
        return (res.json().entries as { type: string; text: string }[]).find((e) => e.type === 'notified' && e.text.startsWith('签转 '));
      },
      15_000,
      'the 签转 in the timeline',
    );
    expect(line.text.startsWith('签转 测试人员 li-fenguan(重大舆情应急处置工作领导小组)(Webhook):《舆情摘报》,已送达')).toBe(true);
  });
});
