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

  // The outside bodies: 市委宣传部 by its WeCom robot and e-mail, 市委网信办 and 市委 by webhook; 省局 has no channel yet.
  const channels = [
    { unitId: 'ext-propaganda', kind: 'wecom', address: http.endpoint('propaganda', { kind: 'wecom' }) },
    { unitId: 'ext-propaganda', kind: 'email', address: 'yuqing@propaganda.example.org' },
    { unitId: 'ext-cyberspace-office', kind: 'webhook', address: http.endpoint('cyberspace', { kind: 'webhook' }) },
    { unitId: 'ext-city-party-committee', kind: 'webhook', address: http.endpoint('party-committee', { kind: 'webhook' }) },
  ];
  for (const c of channels) {
    const res = await p.call('dispatch', k.admin, 'POST', '/v1/channels', c);
    expect(res.statusCode).toBe(201);
    if (c.kind === 'webhook') http.get(c.unitId === 'ext-cyberspace-office' ? 'cyberspace' : 'party-committee', 'webhook').secret = res.json().secret as string;
  }
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

/** The incident's deliveries caused by completed steps (报送), and its timeline's 报送 lines. */
const reportDeliveries = (id: string) =>
  p.t.db.selectFrom('deliveries').select(['unitId', 'status', 'message']).where('incidentId', '=', id).where('eventType', '=', 'task_completed').execute();
const timelineLines = async (id: string) =>
  ((await p.call('reporting', k.admin, 'GET', `/v1/incidents/${id}/timeline`)).json().entries as { type: string; text: string }[]).map((e) => e.text);

describe('报送: what is reported upward reaches the outside bodies’ channels, recorded with what was sent', () => {
  it('the approved talking points, version 2 after a return, go to 宣传部 and 网信办; a body without a channel is said; bad names are refused', async () => {
    const id = await p.report(k.monitoring, { flags: ['public_vital_interest'], title: '网传某商场电梯故障致人受伤' });
    const task = (key: string, verb: string) => `/v1/incidents/${id}/tasks/${key}/${verb}`;
    const post = (key: string, path: string, body: unknown) => p.call('dispatch', key, 'POST', path, body);
    const first = '市市场监管局已责成属地核查。';
    const second = '市市场监管局高度重视,已责成南岗区局连夜核查,涉事电梯已停用,调查结果将及时公布。';
    expect((await post(k.food, task('talking_points_draft', 'complete'), { content: { facts: '涉事电梯已停用,维保单位正在检查。' } })).statusCode).toBe(200);
    expect((await post(k.office, task('talking_points_wording', 'complete'), { content: { text: first } })).statusCode).toBe(200);
    expect((await post(k.leader, task('talking_points_wording', 'return'), { reason: '请写明已采取的措施' })).statusCode).toBe(200);
    expect((await post(k.office, task('talking_points_wording', 'complete'), { content: { text: second } })).statusCode).toBe(200);
    expect((await post(k.leaderInCharge, task('talking_points_approval', 'approve'), { role: 'leader_in_charge', version: 2 })).statusCode).toBe(200);
    expect((await post(k.leader, task('talking_points_approval', 'approve'), { role: 'leader', version: 2 })).statusCode).toBe(200);

    // Refused, naming body.sendTo, and nothing changes: an unknown unit, a unit that is not an outside body, none at all, the old free text.
    const reported = task('talking_points_reported', 'complete');
    const refusals: [unknown, string, number][] = [
      [{ sendTo: ['ext-propaganda', 'ext-nowhere'] }, 'body.sendTo.1', 422],
      [{ sendTo: ['dept-food-safety'] }, 'body.sendTo.0', 422],
      [{ sendTo: [] }, 'body.sendTo', 422],
      [{}, 'body.sendTo', 422],
      [{ sendTo: ['ext-propaganda'], content: { recipients: '市委宣传部' } }, 'body.content.recipients', 422],
    ];
    for (const [body, field, status] of refusals) {
      const res = await post(k.office, reported, body);
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect(res.json().detail).toMatch(/[\u4e00-\u9fff]/);
    }
    // Another step names no outside body.
    const tracking = await post(k.office, task('cyberspace_liaison', 'complete'), { note: '已对接', sendTo: ['ext-cyberspace-office'] });
    expect(tracking.statusCode).toBe(422);
    expect(tracking.json().errors[0].field).toBe('body.sendTo');
    // A district's key does not report for the bureau.
    const district = await post(k.nangang, reported, { sendTo: ['ext-propaganda'] });
    expect(district.statusCode).toBe(403);
    const state = (await p.call('dispatch', k.admin, 'GET', `/v1/incidents/${id}/state`)).json<{ tasks: { key: string; status: string }[] }>();
    expect(state.tasks.find((t) => t.key === 'talking_points_reported')?.status).toBe('open');
    expect(await reportDeliveries(id)).toHaveLength(0);

    // The office reports to 宣传部, 网信办 and 省局: recorded, sent where a channel exists, and the office is told 省局 has none.
    const done = await post(k.office, reported, { sendTo: ['ext-propaganda', 'ext-cyberspace-office', 'ext-provincial-bureau'] });
    expect(done.statusCode).toBe(200);
    const answer = done.json<{ tasks: { key: string; status: string }[]; warnings?: { field: string; message: string }[] }>();
    expect(answer.tasks.find((t) => t.key === 'talking_points_reported')?.status).toBe('done');
    expect(answer.warnings).toEqual([{ field: 'body.sendTo.2', message: expect.stringContaining('黑龙江省市场监督管理局未配置通知渠道') }]);

    const arrived = await eventually(
      () => {
        const robot = http.at('propaganda', 'wecom').find((a) => (a.json.markdown?.content as string | undefined)?.includes(second));
        const hook = forIncident(http.at('cyberspace', 'webhook'), id).find((a) => a.json.forwarded?.taskKind === 'talking_points_reported');
        const mail = smtp.mails.find((m) => m.to.includes('yuqing@propaganda.example.org') && m.text.includes(second));
        return robot && hook && mail && { robot, hook, mail };
      },
      15_000,
      'the talking points at 宣传部 and 网信办',
    );
    expect(arrived.robot.json.markdown.content).toContain('**回应口径(第2稿,已审定)**');
    expect(arrived.robot.json.markdown.content).not.toContain(first);
    expect(arrived.hook.status).toBe(200);
    expect(arrived.hook.json.title).toBe('【报送·回应口径】重大舆情:网传某商场电梯故障致人受伤');
    expect(arrived.hook.json.forwarded).toEqual({ taskKind: 'talking_points_reported', version: 2 });
    expect(arrived.hook.json.text).toContain(`回应口径(第2稿,已审定):\n${second}`);
    expect(arrived.mail.subject).toBe('【报送·回应口径】重大舆情:网传某商场电梯故障致人受伤');

    // What was sent is kept with each delivery, and the timeline says to whom, by what, which version, and that it arrived.
    const rows = await reportDeliveries(id);
    expect(rows.map((r) => r.unitId).sort()).toEqual(['ext-cyberspace-office', 'ext-propaganda', 'ext-propaganda']);
    expect(rows.every((r) => r.message.text.includes(second) && r.message.forwarded?.version === 2)).toBe(true);
    const lines = await eventually(
      async () => {
        const all = (await timelineLines(id)).filter((l) => l.startsWith('报送 '));
        return all.length === 3 && all;
      },
      15_000,
      'the 报送 lines in the timeline',
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^报送 市委宣传部\(企业微信群机器人\):第2稿口径,已送达/),
        expect.stringMatching(/^报送 市委宣传部\(电子邮件\):第2稿口径,已送达/),
        expect.stringMatching(/^报送 市委网信办\(Webhook\):第2稿口径,已送达/),
      ]),
    );
    // The step itself names the bodies it reported to, 省局 included.
    const steps = (await p.call('reporting', k.admin, 'GET', `/v1/incidents/${id}/timeline`)).json().entries as { type: string; data: { sendTo?: string[] } }[];
    expect(steps.find((e) => e.type === 'task_completed' && e.data.sendTo)?.data.sendTo).toEqual([
      'ext-propaganda',
      'ext-cyberspace-office',
      'ext-provincial-bureau',
    ]);
  });

  it('a critical incident’s report upward goes to 市委 with its text; only the leadership group reports it', async () => {
    const id = await p.report(k.monitoring, { flags: ['tied_to_emergency'], title: '某地发生食物中毒事件引发网络热议' });
    const path = `/v1/incidents/${id}/tasks/report_upward/complete`;
    const text = '某地发生疑似食物中毒事件,市局已启动特别重大舆情应急处置程序,现将有关情况报告如下。';
    const body = { content: { text }, sendTo: ['ext-city-party-committee'] };
    expect((await p.call('dispatch', k.nangang, 'POST', path, body)).statusCode).toBe(403);
    expect((await p.call('dispatch', k.office, 'POST', path, body)).statusCode).toBe(403);
    const done = await p.call('dispatch', k.leader, 'POST', path, body);
    expect(done.statusCode).toBe(200);
    expect(done.json().warnings).toBeUndefined();
    const hook = await eventually(
      () => forIncident(http.at('party-committee', 'webhook'), id).find((a) => a.json.forwarded?.taskKind === 'report_upward'),
      15_000,
      'the report at 市委',
    );
    expect(hook.status).toBe(200);
    expect(hook.json.title).toBe('【报送·舆情情况报告】特别重大舆情:某地发生食物中毒事件引发网络热议');
    expect(hook.json.text).toContain(`报告正文:\n${text}`);
    expect(hook.json.forwarded).toEqual({ taskKind: 'report_upward' });
    await eventually(
      async () => (await timelineLines(id)).some((l) => l.startsWith('报送 中共哈尔滨市委(Webhook):舆情情况报告,已送达')),
      15_000,
      'the report in the timeline',
    );
  });
});
