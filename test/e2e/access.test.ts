/**
 * The access rules and the trust rules, tried from the outside with the key of
 * each role: every refusal a probe found is refused now, and each legitimate
 * action really takes effect. Each attempt is written to
 * .data/reliability/access.json, the table of rules tried per role in
 * RELIABILITY.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_POLICY } from '@yuqing/shared';
import { eventually, REPO_ROOT, startTestPlatform, uniqueToken, type AppName, type InjectResponse, type TestPlatform } from '@yuqing/testkit';

jest.setTimeout(180_000);

let p: TestPlatform;
const k = {} as Record<
  'admin' | 'monitoring' | 'nangang' | 'daoli' | 'food' | 'office' | 'director' | 'director2' | 'leaderInCharge' | 'leader' | 'bothLeaders' | 'unitless',
  string
>;
type Role = keyof typeof k;

interface Attempt {
  readonly rule: string;
  readonly role: Role;
  readonly request: string;
  readonly expected: number;
  readonly got: number;
}
const attempts: Attempt[] = [];

/** Sends a request as `role`, records it in the access table and fails the test unless the answer is `expected`. */
async function tryAs(
  rule: string,
  role: Role,
  expected: number,
  service: AppName,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<InjectResponse> {
  const res = await p.call(service, k[role], method, url, body, headers);
  attempts.push({ rule, role, request: `${method} ${url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':id')}`, expected, got: res.statusCode });
  if (res.statusCode !== expected)
    throw new Error(`${rule} — as ${role}: ${method} ${url} answered ${res.statusCode}, expected ${expected}: ${res.body.slice(0, 400)}`);
  if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  return res;
}

const state = async (id: string) =>
  (await p.call('dispatch', k.admin, 'GET', `/v1/incidents/${id}/state`)).json<{
    tier: string;
    status: string;
    tasks: { key: string; status: string; doneBy?: { personId?: string; onBehalfOf?: { unitId: string; reason: string } } }[];
  }>();
const taskOf = async (id: string, key: string) => (await state(id)).tasks.find((t) => t.key === key);
const timeline = async (id: string) =>
  (await p.call('reporting', k.admin, 'GET', `/v1/incidents/${id}/timeline`)).json().entries as { type: string; text: string }[];

beforeAll(async () => {
  p = await startTestPlatform({ policy: DEFAULT_POLICY });
  const district = ['incidents:write', 'incidents:read', 'tasks:act', 'reports:read', 'directory:write', 'policies:write'] as const;
  k.admin = await p.key({ scopes: ['admin'], id: 'city-admin' });
  k.monitoring = await p.key({ scopes: ['incidents:write', 'incidents:read'], id: 'monitoring-platform' });
  k.nangang = await p.key({ scopes: [...district], unitId: 'district-230103', roles: ['district_bureau'] });
  k.daoli = await p.key({ scopes: [...district], unitId: 'district-230102', roles: ['district_bureau'] });
  k.food = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'dept-food-safety', roles: ['responsible_department'] });
  k.office = await p.key({ scopes: ['tasks:act', 'reports:read', 'directory:write'], unitId: 'opinion-office', roles: ['opinion_office'] });
  k.director = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office', 'office_director'] });
  k.director2 = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['office_director'] });
  k.leaderInCharge = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'leadership-group', roles: ['leader_in_charge'] });
  k.leader = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'leadership-group', roles: ['leader', 'leadership_group'] });
  k.bothLeaders = await p.key({ scopes: ['tasks:act', 'reports:read'], unitId: 'leadership-group', roles: ['leader_in_charge', 'leader'] });
  k.unitless = await p.key({ scopes: ['tasks:act', 'reports:read'], id: 'system-without-unit' });
});

afterAll(async () => {
  const dir = path.join(REPO_ROOT, '.data', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'access.json'), JSON.stringify({ at: new Date().toISOString(), attempts }, null, 2));
  await p?.stop();
});

describe('the directory: a unit manages only its own people, and grants no role it does not hold', () => {
  it('a district editor cannot mint a leader, nor reach another unit; within its unit it can, and the key works', async () => {
    const rule = 'people are managed by their own unit';
    await tryAs(rule, 'nangang', 403, 'dispatch', 'POST', '/v1/persons', { id: 'fake-leader', unitId: 'opinion-office', name: '冒名领导', roles: ['leader'] });
    await tryAs('no role beyond one’s own', 'nangang', 403, 'dispatch', 'POST', '/v1/persons', {
      id: 'fake-leader',
      unitId: 'district-230103',
      name: '冒名领导',
      roles: ['leader_in_charge'],
    });
    await tryAs('no role beyond one’s own', 'office', 403, 'dispatch', 'POST', '/v1/persons', {
      id: 'fake-leader',
      unitId: 'opinion-office',
      name: '冒名领导',
      roles: ['leader'],
    });
    expect(await p.t.db.selectFrom('persons').select('id').where('id', '=', 'fake-leader').executeTakeFirst()).toBeUndefined();
    // A key acts as its person: the office's directory editor cannot mint one for the office director (a role it cannot grant).
    await tryAs('people are managed by their own unit', 'admin', 201, 'dispatch', 'POST', '/v1/persons', {
      id: 'zhao-director',
      unitId: 'opinion-office',
      name: '赵主任',
      roles: ['opinion_office', 'office_director'],
    });
    await tryAs('no key for a person holding a role one cannot grant', 'office', 403, 'dispatch', 'POST', '/v1/persons/zhao-director/keys', {
      scopes: ['tasks:act'],
    });
    await tryAs('no key for a person holding a role one cannot grant', 'admin', 201, 'dispatch', 'POST', '/v1/persons/zhao-director/keys', {
      scopes: ['tasks:act'],
    });

    await tryAs(rule, 'nangang', 201, 'dispatch', 'POST', '/v1/persons', {
      id: 'wang-nangang',
      unitId: 'district-230103',
      name: '王五',
      roles: ['district_bureau'],
    });
    await tryAs(rule, 'nangang', 403, 'dispatch', 'PATCH', '/v1/persons/wang-nangang', { unitId: 'opinion-office' });
    await tryAs('no role beyond one’s own', 'nangang', 403, 'dispatch', 'PATCH', '/v1/persons/wang-nangang', { roles: ['district_bureau', 'opinion_office'] });
    await tryAs(rule, 'nangang', 403, 'dispatch', 'PATCH', '/v1/persons/duty-opinion-office', { name: '改名' });
    await tryAs(rule, 'nangang', 403, 'dispatch', 'DELETE', '/v1/persons/duty-district-230102');
    await tryAs('keys for one’s own unit only', 'nangang', 403, 'dispatch', 'POST', '/v1/persons/duty-opinion-office/keys', {});
    await tryAs('keys hold no scope the issuer lacks', 'nangang', 403, 'dispatch', 'POST', '/v1/persons/wang-nangang/keys', { scopes: ['admin'] });
    const issued = await tryAs('keys for one’s own unit only', 'nangang', 201, 'dispatch', 'POST', '/v1/persons/wang-nangang/keys', {
      scopes: ['tasks:act', 'reports:read'],
    });
    const tasks = await p.call('dispatch', issued.json().key, 'GET', '/v1/tasks');
    expect(tasks.statusCode).toBe(200);
    expect(tasks.json().items.every((x: { unitId: string }) => x.unitId === 'district-230103')).toBe(true);

    // Channels: a unit adds and edits its own (and its people's), not another unit's.
    const hook = { kind: 'email', address: 'yuqing@district-230103.example.org' };
    await tryAs('channels are managed by their own unit', 'nangang', 403, 'dispatch', 'POST', '/v1/channels', { ...hook, unitId: 'opinion-office' });
    await tryAs('channels are managed by their own unit', 'nangang', 403, 'dispatch', 'POST', '/v1/channels', { ...hook, personId: 'duty-opinion-office' });
    const own = await tryAs('channels are managed by their own unit', 'nangang', 201, 'dispatch', 'POST', '/v1/channels', {
      ...hook,
      unitId: 'district-230103',
    });
    await tryAs('channels are managed by their own unit', 'daoli', 403, 'dispatch', 'PATCH', `/v1/channels/${own.json().id}`, { enabled: false });
    await tryAs('channels are managed by their own unit', 'daoli', 403, 'dispatch', 'GET', '/v1/channels?unit=district-230103');
    await tryAs('channels are managed by their own unit', 'nangang', 200, 'dispatch', 'PATCH', `/v1/channels/${own.json().id}`, { label: '区局舆情邮箱' });

    // The city's administrators appoint leaders; that is what they are for.
    await tryAs('the city’s administrators appoint leaders', 'admin', 201, 'dispatch', 'POST', '/v1/persons', {
      id: 'zhang-leader',
      unitId: 'leadership-group',
      name: '张局长',
      roles: ['leader'],
    });
  });

  it('units, routing and the city policy are the city administrators’; a district publishes only its own plan', async () => {
    await tryAs('routing is the city’s', 'nangang', 403, 'dispatch', 'PUT', '/v1/routing/topic/food_safety', { unitId: 'district-230103' });
    await tryAs('routing is the city’s', 'office', 403, 'dispatch', 'PUT', '/v1/routing/topic/food_safety', { unitId: 'dept-consumer' });
    await tryAs('routing is the city’s', 'admin', 200, 'dispatch', 'PUT', '/v1/routing/topic/food_safety', { unitId: 'dept-food-safety' });
    await tryAs('units are the city’s', 'nangang', 403, 'dispatch', 'POST', '/v1/units', {
      id: 'station-230103-9',
      kind: 'station',
      name: '南岗第九所',
      parentId: 'district-230103',
    });
    await tryAs('units are the city’s', 'admin', 201, 'dispatch', 'POST', '/v1/units', {
      id: 'station-230103-9',
      kind: 'station',
      name: '南岗第九所',
      parentId: 'district-230103',
    });
    const shift = {
      personId: 'duty-opinion-office',
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      endsAt: new Date(Date.now() + 7_200_000).toISOString(),
    };
    await tryAs('a unit keeps its own duty roster', 'nangang', 403, 'dispatch', 'POST', '/v1/units/opinion-office/duty-shifts', shift);
    await tryAs('a unit keeps its own duty roster', 'nangang', 201, 'dispatch', 'POST', '/v1/units/district-230103/duty-shifts', {
      ...shift,
      personId: 'wang-nangang',
    });

    const plan = { name: '南岗区实施细则', tiers: { sensitive: { acknowledge: { deadline: '20m' } } } };
    const city = (await p.call('dispatch', k.admin, 'GET', '/v1/policies/city')).json();
    await tryAs('the city policy is the city’s', 'nangang', 403, 'dispatch', 'PUT', '/v1/policies/city', {
      baseVersion: city.version,
      document: city.document,
    });
    await tryAs('a district publishes its own plan only', 'nangang', 403, 'dispatch', 'PUT', '/v1/policies/230102', {
      baseVersion: 0,
      document: { ...plan, name: '道里区实施细则' },
    });
    await tryAs('a district publishes its own plan only', 'nangang', 201, 'dispatch', 'PUT', '/v1/policies/230103', { baseVersion: 0, document: plan });
  });

  it('task lists: a key without a unit sees no unit’s tasks; a district only its own', async () => {
    await p.report(k.monitoring);
    await tryAs('a key without a unit lists nothing', 'unitless', 403, 'dispatch', 'GET', '/v1/tasks');
    await tryAs('a unit sees its own tasks', 'daoli', 403, 'dispatch', 'GET', '/v1/tasks?unit=district-230103');
    await tryAs('a unit sees its own tasks', 'food', 403, 'dispatch', 'GET', '/v1/units/district-230103/overdue');
    const office = await tryAs('the office sees every unit', 'office', 200, 'dispatch', 'GET', '/v1/tasks?unit=district-230103');
    expect(office.json().items.length).toBeGreaterThan(0);
    const all = await tryAs('the city’s administrators see every unit', 'admin', 200, 'dispatch', 'GET', '/v1/tasks');
    expect(new Set(all.json().items.map((x: { unitId: string }) => x.unitId)).size).toBeGreaterThan(1);
    await tryAs('bureau-wide views are the office’s and leaders’', 'nangang', 403, 'reporting', 'GET', '/v1/stats');
  });
});

describe('steps of an incident: each unit its own, the office only as 代办 with a reason', () => {
  let id: string;
  const action = (name: string) => `/v1/incidents/${id}/actions/${name}`;
  const task = (key: string, verb: 'complete' | 'approve' | 'return') => `/v1/incidents/${id}/tasks/${key}/${verb}`;

  beforeAll(async () => {
    id = await p.report(k.monitoring, { suggestedTier: 'sensitive' });
  });

  it('acknowledging: another district does not see it, another unit may not, a system key takes no step, the office needs 代办', async () => {
    const rule = 'a task is done by its owner’s unit';
    await tryAs(rule, 'daoli', 404, 'dispatch', 'POST', action('acknowledge'), { unitId: 'district-230103' });
    await tryAs(rule, 'food', 403, 'dispatch', 'POST', action('acknowledge'), { unitId: 'district-230103' });
    await tryAs('a system key takes no step', 'admin', 403, 'dispatch', 'POST', action('acknowledge'), { unitId: 'district-230103' });
    await tryAs('the office acts for a unit only as 代办', 'office', 403, 'dispatch', 'POST', action('acknowledge'), { unitId: 'district-230103' });
    expect((await taskOf(id, 'acknowledge:district-230103'))?.status).toBe('open');

    await tryAs('the office acts for a unit only as 代办', 'office', 200, 'dispatch', 'POST', action('acknowledge'), {
      unitId: 'district-230103',
      proxy: { reason: '南岗区局值班电话确认已收到,系统故障未能签收' },
    });
    const done = await taskOf(id, 'acknowledge:district-230103');
    expect(done).toMatchObject({ status: 'done', doneBy: { onBehalfOf: { unitId: 'district-230103', reason: expect.stringContaining('值班电话') } } });
    await eventually(async () => (await timeline(id)).some((e) => e.type === 'acknowledged' && e.text.includes('代办')), 10_000, 'the 代办 in the timeline');
    await tryAs(rule, 'food', 200, 'dispatch', 'POST', action('acknowledge'), {});
    expect((await taskOf(id, 'acknowledge:dept-food-safety'))?.status).toBe('done');
  });

  it('the digest: whoever wrote it does not sign it off', async () => {
    await tryAs('a task is done by its owner’s unit', 'nangang', 403, 'dispatch', 'POST', task('digest', 'complete'), { note: '摘报' });
    await tryAs('a task is done by its owner’s unit', 'director', 200, 'dispatch', 'POST', task('digest', 'complete'), {
      note: '网传南岗区某幼儿园食堂使用变质食材,已转南岗区局核查。',
    });
    await tryAs('whoever writes the digest does not sign it off', 'director', 403, 'dispatch', 'POST', task('digest_signoff', 'approve'), {
      role: 'office_director',
    });
    await tryAs('approvals are given by people', 'admin', 403, 'dispatch', 'POST', task('digest_signoff', 'approve'), { role: 'office_director' });
    await tryAs('whoever writes the digest does not sign it off', 'director2', 200, 'dispatch', 'POST', task('digest_signoff', 'approve'), {
      role: 'office_director',
    });
    expect((await taskOf(id, 'digest_signoff'))?.status).toBe('done');
  });

  it('talking points: the department drafts, the office words, two different people approve', async () => {
    await tryAs('a task is done by its owner’s unit', 'office', 403, 'dispatch', 'POST', task('talking_points_draft', 'complete'), {
      content: { facts: '事实' },
    });
    await tryAs('a step carries its content', 'food', 422, 'dispatch', 'POST', task('talking_points_draft', 'complete'), { note: '事实' });
    await tryAs('a task is done by its owner’s unit', 'food', 200, 'dispatch', 'POST', task('talking_points_draft', 'complete'), {
      content: { facts: '经核查,该幼儿园食堂已停用涉事批次食材。' },
    });
    await tryAs('a task is done by its owner’s unit', 'office', 200, 'dispatch', 'POST', task('talking_points_wording', 'complete'), {
      content: { text: '市市场监管局高度重视,已责成南岗区局连夜核查。' },
    });
    // Only an approver returns the wording; it comes back as version 2, which is what is approved.
    await tryAs('only an approver returns written work', 'food', 403, 'dispatch', 'POST', task('talking_points_wording', 'return'), { reason: '重写' });
    await tryAs('only an approver returns written work', 'leader', 200, 'dispatch', 'POST', task('talking_points_wording', 'return'), {
      reason: '请补充核查进展',
    });
    await tryAs('a task is done by its owner’s unit', 'office', 200, 'dispatch', 'POST', task('talking_points_wording', 'complete'), {
      content: { text: '市市场监管局高度重视,已责成南岗区局连夜核查,涉事批次食材已封存。' },
    });
    const approval = task('talking_points_approval', 'approve');
    await tryAs('approvals are given by people', 'admin', 403, 'dispatch', 'POST', approval, { role: 'leader_in_charge', version: 2 });
    await tryAs('approvals are given by people holding the role', 'office', 403, 'dispatch', 'POST', approval, { role: 'leader', version: 2 });
    await tryAs('an approval is of the current version', 'bothLeaders', 409, 'dispatch', 'POST', approval, { role: 'leader_in_charge', version: 1 });
    await tryAs('two approvals are two people', 'bothLeaders', 200, 'dispatch', 'POST', approval, { role: 'leader_in_charge', version: 2 });
    await tryAs('two approvals are two people', 'bothLeaders', 409, 'dispatch', 'POST', approval, { role: 'leader', version: 2 });
    expect((await taskOf(id, 'talking_points_approval'))?.status).toBe('open');
    await tryAs('two approvals are two people', 'leader', 200, 'dispatch', 'POST', approval, { role: 'leader', version: 2 });
    expect((await taskOf(id, 'talking_points_approval'))?.status).toBe('done');

    // 保密审查 before the release: the office director in person.
    await tryAs('a task is done by its owner’s unit', 'office', 403, 'dispatch', 'POST', task('secrecy_review', 'complete'), {
      content: { decision: '可发布' },
    });
    await tryAs('a task is done by its owner’s unit', 'director', 200, 'dispatch', 'POST', task('secrecy_review', 'complete'), {
      content: { decision: '不涉及秘密,口径已审定,可发布' },
    });
    const release = { form: 'press_release', summary: '情况通报', channel: 'website', talkingPointsVersion: 2 };
    await tryAs('releases are the office’s', 'food', 403, 'dispatch', 'POST', action('release'), release);
    await tryAs('a release uses the approved version', 'office', 422, 'dispatch', 'POST', action('release'), { ...release, talkingPointsVersion: 1 });
    await tryAs('releases are the office’s', 'office', 200, 'dispatch', 'POST', action('release'), release);
    expect((await taskOf(id, 'public_response'))?.status).toBe('done');
  });

  it('decisions: the tier and closing are the office’s and the leadership group’s; force-closing the group’s', async () => {
    await tryAs('the tier is decided by the office or the group', 'nangang', 403, 'dispatch', 'POST', action('reclassify'), {
      tier: 'general',
      reason: '影响不大',
    });
    await tryAs('the tier is decided by the office or the group', 'admin', 403, 'dispatch', 'POST', action('reclassify'), {
      tier: 'general',
      reason: '影响不大',
    });
    await tryAs('the tier is decided by the office or the group', 'office', 200, 'dispatch', 'POST', action('reclassify'), {
      tier: 'major',
      reason: '转发量激增',
    });
    expect((await state(id)).tier).toBe('major');
    await tryAs('decisions are never taken as 代办', 'office', 403, 'dispatch', 'POST', task('emergency_procedure', 'complete'), {
      content: { decision: '启动' },
      proxy: { reason: '领导电话同意' },
    });
    await tryAs('a task is done by its owner’s unit', 'leader', 200, 'dispatch', 'POST', task('emergency_procedure', 'complete'), {
      content: { decision: '领导小组决定启动应急处置程序' },
    });
    await tryAs('force-closing is the group’s', 'office', 403, 'dispatch', 'POST', action('close'), { reason: '结束', force: true });
    await tryAs('force-closing is the group’s', 'leader', 200, 'dispatch', 'POST', action('close'), { reason: '领导小组决定结束处置', force: true });
    expect((await state(id)).status).toBe('closed');
  });

  it('the plan’s floor and added steps: below an “always major” flag only the group’s leader lowers; only the office adds an inspection', async () => {
    const flagged = await p.report(k.monitoring, { flags: ['livelihood'], suggestedTier: undefined });
    await eventually(async () => (await state(flagged)).status === 'handling', 20_000, 'dispatched');
    expect((await state(flagged)).tier).toBe('major');
    const lower = `/v1/incidents/${flagged}/actions/reclassify`;
    const body = { tier: 'general', reason: '经核实系个别消费纠纷' };
    await tryAs('below a flag’s floor only the leader lowers', 'nangang', 403, 'dispatch', 'POST', lower, body);
    await tryAs('below a flag’s floor only the leader lowers', 'office', 403, 'dispatch', 'POST', lower, body);
    await tryAs('below a flag’s floor only the leader lowers', 'admin', 403, 'dispatch', 'POST', lower, body);
    expect((await state(flagged)).tier).toBe('major');
    await tryAs('below a flag’s floor only the leader lowers', 'leader', 200, 'dispatch', 'POST', lower, body);
    expect((await state(flagged)).tier).toBe('general');

    const add = `/v1/incidents/${flagged}/actions/add-task`;
    const inspection = { kind: 'technical_inspection', deadline: '24h', reason: '需第三方检测' };
    await tryAs('only the office adds steps', 'nangang', 403, 'dispatch', 'POST', add, inspection);
    await tryAs('only the office adds steps', 'food', 403, 'dispatch', 'POST', add, inspection);
    await tryAs('only the office adds steps', 'admin', 403, 'dispatch', 'POST', add, inspection);
    await tryAs('only the office adds steps', 'office', 422, 'dispatch', 'POST', add, { ...inspection, deadline: 'soon' });
    expect((await state(flagged)).tasks.some((t) => t.key.startsWith('technical_inspection'))).toBe(false);
    await tryAs('only the office adds steps', 'office', 200, 'dispatch', 'POST', add, inspection);
    expect(await taskOf(flagged, 'technical_inspection#1')).toMatchObject({ status: 'open' });
  });

  it('hand-offs: a unit asks for its own part only; only the office hands on or refuses', async () => {
    const other = await p.report(k.monitoring, { suggestedTier: 'sensitive' });
    const ask = `/v1/incidents/${other}/actions/hand-off`;
    const reassign = `/v1/incidents/${other}/actions/reassign`;
    const refuse = `/v1/incidents/${other}/actions/refuse-hand-off`;
    const move = { fromUnitId: 'district-230103', toUnitId: 'district-230102', reason: '不属我区' };
    await tryAs('a unit asks for its own part only', 'daoli', 404, 'dispatch', 'POST', ask, { reason: '不属我区' });
    await tryAs('a unit asks for its own part only', 'admin', 403, 'dispatch', 'POST', ask, { reason: '不属我区' });
    await tryAs('only the office hands a part on', 'nangang', 403, 'dispatch', 'POST', reassign, move);
    await tryAs('only the office hands a part on', 'food', 403, 'dispatch', 'POST', reassign, move);
    await tryAs('a unit asks for its own part only', 'nangang', 200, 'dispatch', 'POST', ask, { toUnitId: 'district-230102', reason: '涉事幼儿园位于道里区' });
    await tryAs('only the office refuses a hand-off', 'nangang', 403, 'dispatch', 'POST', refuse, { unitId: 'district-230103', reason: '撤回' });
    await tryAs('only the office refuses a hand-off', 'leader', 403, 'dispatch', 'POST', refuse, { unitId: 'district-230103', reason: '不同意' });
    // The office refuses: the unit keeps its part, and asks again with what it found.
    const refused = await tryAs('only the office refuses a hand-off', 'office', 200, 'dispatch', 'POST', refuse, {
      unitId: 'district-230103',
      reason: '注册地在南岗区,由南岗区局核查',
    });
    expect(refused.json().handOffs).toBeUndefined();
    expect((await taskOf(other, 'acknowledge:district-230103'))?.status).toBe('open');
    await tryAs('a unit asks for its own part only', 'nangang', 200, 'dispatch', 'POST', ask, { toUnitId: 'district-230102', reason: '现场核实门店在道里区' });
    await tryAs('only the office hands a part on', 'office', 200, 'dispatch', 'POST', reassign, { ...move, reason: '经核实,涉事幼儿园位于道里区' });
    expect((await taskOf(other, 'acknowledge:district-230102'))?.status).toBe('open');
    // Nobody hands it back to the unit that handed it on.
    await tryAs('no handing back', 'daoli', 409, 'dispatch', 'POST', ask, { toUnitId: 'district-230103', reason: '仍属南岗区' });
    // Follow-up talking points are the leadership group's decision (plan §7(三)); with none approved yet there is nothing to follow up.
    const renew = `/v1/incidents/${other}/actions/renew-talking-points`;
    await tryAs('the group decides follow-up talking points', 'office', 403, 'dispatch', 'POST', renew, { reason: '需要后续口径' });
    await tryAs('the group decides follow-up talking points', 'daoli', 403, 'dispatch', 'POST', renew, { reason: '需要后续口径' });
    await tryAs('the group decides follow-up talking points', 'leader', 409, 'dispatch', 'POST', renew, { reason: '需要后续口径' });
  });
});

describe('an action the API accepted is an action that happened', () => {
  let id: string;
  const action = (name: string) => `/v1/incidents/${id}/actions/${name}`;
  const report = (kind: 'interim' | 'final', whatHappened: string) => ({
    kind,
    findings: { truth: 'partly', whatHappened, dutyFailure: { found: false }, violation: { found: false } },
    dispositions: ['immediate_measures'],
    measures: '责令停用涉事批次食材',
  });

  beforeAll(async () => {
    id = await p.report(k.monitoring, { suggestedTier: 'sensitive' });
  });

  it('one Idempotency-Key is scoped to who sent it and the action: nothing is silently dropped', async () => {
    const key = { 'idempotency-key': `same-key-${uniqueToken()}` };
    await tryAs('a key is scoped to the caller', 'nangang', 200, 'dispatch', 'POST', action('acknowledge'), {}, key);
    await tryAs('a key is scoped to the caller', 'food', 200, 'dispatch', 'POST', action('acknowledge'), {}, key);
    expect((await taskOf(id, 'acknowledge:dept-food-safety'))?.status).toBe('done');
    // The same key for another action is another action.
    await tryAs('a key is scoped to the action', 'nangang', 200, 'dispatch', 'POST', action('report'), report('interim', '正在核查'), key);
    // The same key, same action, another body: refused, never swallowed.
    await tryAs('a reused key with another body is refused', 'nangang', 422, 'dispatch', 'POST', action('report'), report('final', '核查完毕'), key);
    expect((await taskOf(id, 'investigation_report:district-230103'))?.status).toBe('open');
    // The same request again: the same answer, applied once.
    const again = await tryAs('a retry is applied once', 'nangang', 200, 'dispatch', 'POST', action('report'), report('interim', '正在核查'), key);
    expect(again.json().tasks.find((t: { key: string }) => t.key === 'investigation_report:district-230103').status).toBe('open');
    await eventually(async () => (await timeline(id)).filter((e) => e.type === 'report_submitted').length === 1, 10_000, 'one interim report');
  });

  it('no key: each request is its own, whatever X-Request-Id the client sends', async () => {
    const sameRequestId = { 'x-request-id': 'client-chosen-id' };
    await tryAs('no key means a fresh update id', 'nangang', 200, 'dispatch', 'POST', action('report'), report('final', '核查完毕,已整改'), sameRequestId);
    expect((await taskOf(id, 'investigation_report:district-230103'))?.status).toBe('done');
    await tryAs('no key means a fresh update id', 'food', 200, 'dispatch', 'POST', action('report'), report('final', '部门核查完毕'), sameRequestId);
    expect((await taskOf(id, 'investigation_report:dept-food-safety'))?.status).toBe('done');
  });

  it('text that cannot be stored is refused before the workflow accepts it; upper-case ids work, malformed ones are 400', async () => {
    await tryAs('unstorable text is refused', 'office', 422, 'dispatch', 'POST', action('reclassify'), { tier: 'major', reason: '扩散\u0000' });
    await tryAs('unstorable text is refused', 'director', 422, 'dispatch', 'POST', `/v1/incidents/${id}/tasks/digest/complete`, { note: '摘报\u001b[31m' });
    expect((await taskOf(id, 'digest'))?.status).toBe('open');
    const res = await tryAs('ids are case-insensitive', 'director', 200, 'dispatch', 'POST', `/v1/incidents/${id.toUpperCase()}/tasks/digest/complete`, {
      note: '摘报正文',
    });
    expect(res.json().incidentId).toBe(id);
    await tryAs('a malformed id is 400', 'director', 400, 'dispatch', 'POST', '/v1/incidents/not-an-id/actions/acknowledge', {});
    await tryAs('an unknown id is 404', 'office', 404, 'dispatch', 'POST', '/v1/incidents/3FA85F64-5717-4562-B3FC-2C963F66AFA6/actions/reclassify', {
      tier: 'major',
      reason: '扩散',
    });
  });
});

describe('a report sent again with new figures is a new sighting, never dropped', () => {
  it('records it in the metrics history and raises the tier through the workflow', async () => {
    const first = (await p.call('intake', k.monitoring, 'POST', '/v1/incidents', sample({ reach: 3_000_000 }))).json();
    expect(first).toMatchObject({ tier: 'sensitive', outcome: 'opened' });
    await eventually(async () => (await p.call('dispatch', k.admin, 'GET', `/v1/incidents/${first.id}/state`)).statusCode === 200, 20_000, 'the workflow');
    const grown = await p.call('intake', k.monitoring, 'POST', '/v1/incidents', sample({ reach: 12_000_000 }));
    expect(grown.statusCode).toBe(200);
    expect(grown.json()).toMatchObject({ id: first.id, outcome: 'reassessed', tier: 'major' });
    await eventually(async () => (await state(first.id)).tier === 'major', 20_000, 'the workflow raised to major');
    const again = await p.call('intake', k.monitoring, 'POST', '/v1/incidents', sample({ reach: 12_000_000 }));
    expect(again.json()).toMatchObject({ id: first.id, reportId: grown.json().reportId });
    const reports = (await p.call('intake', k.monitoring, 'GET', `/v1/incidents/${first.id}/reports`)).json().items;
    expect(reports.map((r: { outcome: string; metrics: { reach: number } }) => [r.outcome, r.metrics.reach])).toEqual([
      ['opened', 3_000_000],
      ['reassessed', 12_000_000],
    ]);
    const stored = await p.t.db.selectFrom('incidents').select(['metrics', 'tier']).where('id', '=', first.id).executeTakeFirstOrThrow();
    expect(stored.metrics).toMatchObject({ reach: 12_000_000 });
    await eventually(
      async () => (await timeline(first.id)).some((e) => e.type === 'tier_changed' && e.text.includes(grown.json().reportId)),
      10_000,
      'the raise in the timeline',
    );
  });
});

const externalId = `mon-${uniqueToken()}`;
function sample(metrics: { reach: number }) {
  return {
    source: { url: 'https://weibo.com/1234567890/Nsighting', platform: 'weibo', externalId },
    title: '网传某超市销售过期乳制品',
    topic: 'food_safety',
    district: '南岗区',
    metrics: { reportCount: 60, spreadPerHour: 30, negativeRatio: 0.7, ...metrics },
    flags: [],
  };
}
