/**
 * A critical incident from intake to archive with nothing but a browser (issue 14,
 * "done when"): the monitoring platform reports it; then every step of the plan is
 * taken in the console by the person whose step it is, each signed in with their own
 * account in their own browser: the districts and the department sign for it and
 * report, the office writes the digest and words the talking points, the director
 * signs off and checks secrecy, the two leaders approve, the deputy leader drafts the
 * response plan the leader approves, the group starts the procedure and reports
 * upward, the office records the 4 h release and the 24 h press conference, closes
 * and writes the review; the incident is archived. After each step the API is asked
 * whether it really happened, and who did it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { Role } from '@yuqing/shared';
import {
  assertChromium,
  CHROMIUM,
  CHROMIUM_ARGS,
  connectTestClient,
  createTestDatabase,
  createTestKey,
  DESK,
  eventually,
  type PlatformProcesses,
  sampleIncident,
  SCREENSHOTS,
  startPlatformProcesses,
  terminateTestWorkflows,
  type TestDatabase,
  testNatsOptions,
  testPlatformEnv,
  testTaskQueue,
  visit,
} from '@yuqing/testkit';

const SHOTS = SCREENSHOTS;
const PASSWORD = '应急处置-2026-冬季演练';

let t: TestDatabase;
let temporal: Client;
let platform: PlatformProcesses | undefined;
let profile: string;
let context: BrowserContext | undefined;
const urls = { intake: '', dispatch: '', reporting: '' };
const keys = {} as Record<'monitoring' | 'admin', string>;
const taskQueue = testTaskQueue();
const nats = testNatsOptions('console-critical');
const pageErrors: string[] = [];

/** The people of the walk-through, each with the roles the plan gives them. */
const PEOPLE: readonly { id: string; unitId: string; name: string; roles: Role[] }[] = [
  { id: 'zhang-office', unitId: 'opinion-office', name: '张舆情', roles: ['opinion_office'] },
  { id: 'wang-director', unitId: 'opinion-office', name: '王主任', roles: ['office_director'] },
  { id: 'zhou-group', unitId: 'leadership-group', name: '周秘书', roles: ['leadership_group'] },
  { id: 'qian-fenguan', unitId: 'leadership-group', name: '钱分管', roles: ['leader_in_charge'] },
  { id: 'zhao-leader', unitId: 'leadership-group', name: '赵局长', roles: ['leader'] },
  { id: 'sun-deputy', unitId: 'leadership-group', name: '孙副组长', roles: ['deputy_leader'] },
  { id: 'wu-legal', unitId: 'dept-legal', name: '吴法规', roles: ['legal_affairs'] },
  { id: 'zheng-scitech', unitId: 'dept-sci-tech', name: '郑科信', roles: ['sci_tech_info'] },
  { id: 'feng-food', unitId: 'dept-food-safety', name: '冯食品', roles: ['responsible_department'] },
  { id: 'chen-nangang', unitId: 'district-230103', name: '陈南岗', roles: ['district_bureau'] },
];
/** Each person's own page, signed in with their account (one browser context per person: their own cookies). */
const pages = new Map<string, Page>();
const contexts: BrowserContext[] = [];

async function call(service: 'intake' | 'dispatch' | 'reporting', key: string | undefined, method: string, url: string, body?: unknown): Promise<Response> {
  return fetch(`${urls[service]}${url}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

interface TaskState {
  key: string;
  kind: string;
  status: string;
  mandatory: boolean;
  unitId?: string;
  dueAt?: string;
  approvals: { role: string; actor: { personId?: string } }[];
  approvalsNeeded: string[];
  doneBy?: { personId?: string; unitId?: string };
}
interface State {
  tier: string;
  status: string;
  tasks: TaskState[];
  writings?: { taskKind: string; version: number }[];
}
const stateOf = async (id: string): Promise<State> => (await (await call('dispatch', keys.admin, 'GET', `/v1/incidents/${id}/state`)).json()) as State;

beforeAll(async () => {
  assertChromium();
  mkdirSync(SHOTS, { recursive: true });
  t = await createTestDatabase();
  temporal = await connectTestClient();
  keys.monitoring = await createTestKey(t.db, { scopes: ['incidents:write'] });
  keys.admin = await createTestKey(t.db, { scopes: ['admin', 'directory:write', 'tasks:act', 'reports:read'] });
  platform = await startPlatformProcesses({ ...testPlatformEnv(t.url, nats, taskQueue) });
  Object.assign(urls, platform.urls);

  // The bureau enters its people and gives each an account (the activation link sets the password).
  for (const person of PEOPLE) {
    const created = await call('dispatch', keys.admin, 'POST', '/v1/persons', { ...person, contacts: { email: `${person.id}@bureau.example.org` } });
    expect(created.status).toBe(201);
    const issued = await call('dispatch', keys.admin, 'POST', `/v1/accounts/${person.id}/activation`, {});
    expect(issued.status).toBe(201);
    const token = ((await issued.json()) as { link: string }).link.split('#token=')[1]!;
    const activated = await call('reporting', undefined, 'POST', '/v1/accounts/activate', { token, password: PASSWORD });
    expect(activated.status).toBe(200);
  }

  profile = mkdtempSync(path.join(tmpdir(), 'yuqing-chromium-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  for (const person of PEOPLE) {
    const ctx = await browser.newContext({ viewport: DESK, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' });
    contexts.push(ctx);
    const p = await ctx.newPage();
    p.on('pageerror', (err) => pageErrors.push(`${person.id}: ${err.message}`));
    p.on('crash', () => pageErrors.push(`${person.id}: the page crashed`));
    await visit(p, `${urls.reporting}/console/login`);
    await p.fill('#person-id', person.id);
    await p.fill('#password', PASSWORD);
    await p.click('#account-form button[type=submit]');
    await p.waitForURL((u) => !u.pathname.endsWith('/login'));
    pages.set(person.id, p);
  }
  context = contexts[0];
  // Eight people with accounts (scrypt) and Chromium: past 120 s in a clean-clone run at load average 13.
}, 300_000);

afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => undefined);
  await context?.browser()?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await platform?.stop();
  if (temporal) {
    await terminateTestWorkflows(temporal, taskQueue);
    await temporal.connection.close();
  }
  await t?.drop();
});

// ---- filling a step's form as a person does --------------------------------------------

const field = (section: Locator, name: string) => section.locator(`[data-field="${name}"]`);
const write = (name: string, value: string) => async (section: Locator) => field(section, name).locator('textarea, input').first().fill(value);
const choose = (name: string, option: string) => async (section: Locator) => {
  const select = field(section, name).locator('.el-select');
  const list = field(section, name).locator('.el-select-dropdown').first();
  const shown = select.locator('.el-select__placeholder:not(.is-transparent)');
  // Under load a click can land while the list is still opening and leave it open (or
  // its fade-out covers the next select), so: choose, close it if it stayed, and check
  // the select shows the choice before the next field is touched.
  for (let attempt = 1; ; attempt++) {
    if (!(await list.isVisible())) await select.click();
    await field(section, name).locator('.el-select-dropdown__item', { hasText: option }).first().click();
    if (
      !(await list.waitFor({ state: 'hidden', timeout: 3_000 }).then(
        () => true,
        () => false,
      ))
    ) {
      await select.press('Escape');
      await list.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    }
    if ((await shown.allTextContents()).join('').includes(option) && !(await list.isVisible())) return;
    if (attempt === 3) throw new Error(`${name}: 「${option}」 not chosen after ${attempt} tries`);
  }
};
const tick = (name: string, option: string) => async (section: Locator) => field(section, name).locator('.el-checkbox', { hasText: option }).click();
type Fill = (section: Locator) => Promise<unknown>;

/**
 * Opens the incident's page as `personId`, finds the step offered on the task (or,
 * with no task, among the incident's decisions), fills it and submits it; answers
 * when the console says it was taken, and fails with the refusal it shows otherwise.
 */
async function take(personId: string, id: string, step: string, taskKey: string | undefined, ...fills: Fill[]): Promise<void> {
  const p = pages.get(personId)!;
  await visit(p, `${urls.reporting}/console/incidents/${id}`);
  const scope = taskKey ? p.locator(`#detail-tasks li[data-task-key="${taskKey}"]`) : p.locator('#detail-view');
  const section = scope.locator(`section.step[data-step="${step}"]`).first();
  await section.waitFor({ timeout: 30_000 });
  const opener = section.locator('[data-role="open"]');
  if (await opener.count()) await opener.click();
  for (const fill of fills) await fill(section);
  await section.locator('[data-role="submit"]').click();
  // The API's refusal, or the console's own check of a required field (shown beside it until put right).
  const refused = section.locator('[data-role="refusal"]');
  const ok = p.locator('.el-message--success').first();
  const answered = await Promise.race([ok.waitFor({ timeout: 30_000 }).then(() => 'ok'), refused.waitFor({ timeout: 30_000 }).then(() => 'refused')]).catch(
    () => 'nothing',
  );
  if (answered !== 'ok') {
    await p.screenshot({ path: path.join(tmpdir(), `refused-${step}.png`), fullPage: true });
    const why = answered === 'refused' ? await refused.textContent() : (await section.locator('.el-form-item__error').allTextContents()).join('、');
    throw new Error(`${personId} ${step} ${taskKey ?? ''}: ${answered}: ${why}`);
  }
}

/**
 * WCAG 2 A and AA checks of a page as it is now (axe-core, evaluated in the page:
 * the console's CSP would refuse an injected script tag). Answers every violation,
 * as `rule: target`; an injected <img> without alt and grey-on-white text were caught.
 */
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
async function accessibilityProblems(p: Page): Promise<string[]> {
  await p.evaluate(AXE);
  return p.evaluate<string[]>(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
    r.violations.flatMap((v) => v.nodes.map((n) => v.id + ': ' + n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160))))`);
}

/** Who takes a task, and how, as the plan says. */
function plan(task: TaskState): { person: string; step: string; fills: Fill[] } {
  const unitPerson = (unitId: string | undefined) => PEOPLE.find((x) => x.unitId === unitId)!.id;
  const report: Fill[] = [
    choose('kind', '整体情况'),
    choose('findings.truth', '部分属实'),
    write('findings.whatHappened', '经现场检查,涉事幼儿园食堂两批次冻肉超过保质期'),
    tick('dispositions', '立即采取处置措施'),
    write('measures', '责令下架封存,立案调查'),
    write('result', '涉事食材已全部封存,园方整改到位'),
  ];
  const release = (form: string, channel: string): Fill[] => [
    choose('form', form),
    write('summary', '经核查,涉事幼儿园部分冻肉超过保质期,已封存并立案调查。'),
    choose('channel', channel),
  ];
  switch (task.kind) {
    case 'acknowledge':
      return { person: unitPerson(task.unitId), step: 'acknowledge', fills: [] };
    case 'investigation_report':
      return { person: unitPerson(task.unitId), step: 'report', fills: report };
    case 'tier_confirmation':
      return { person: 'zhou-group', step: 'complete', fills: [write('content.decision', '经会商,确认为特别重大舆情,启动特别重大舆情应急处置')] };
    case 'digest':
      return {
        person: 'zhang-office',
        step: 'complete',
        fills: [write('note', '网传南岗区某幼儿园食堂使用变质食材,转发量快速上升'), write('proposal', '建议立即启动应急处置')],
      };
    case 'digest_signoff':
      return { person: 'wang-director', step: 'approve', fills: [] };
    case 'emergency_procedure':
      return { person: 'zhou-group', step: 'complete', fills: [write('content.decision', '启动特别重大舆情应急处置工作')] };
    case 'report_upward':
      return {
        person: 'zhou-group',
        step: 'complete',
        fills: [tick('sendTo', '中共哈尔滨市委'), tick('sendTo', '黑龙江省市场监督管理局'), write('content.text', '关于南岗区某幼儿园食材问题舆情的情况报告')],
      };
    case 'coordination_meeting':
      return { person: 'sun-deputy', step: 'complete', fills: [write('content.minutes', '会商纪要:由食品安全处牵头调查,南岗区局配合')] };
    case 'legal_guidance':
      return { person: 'wu-legal', step: 'complete', fills: [write('content.guidance', '依据食品安全法第三十四条处理')] };
    case 'talking_points_draft':
      return { person: 'feng-food', step: 'complete', fills: [write('content.facts', '抽检两批次冻肉,一批次超过保质期')] };
    case 'talking_points_wording':
      return { person: 'zhang-office', step: 'complete', fills: [write('content.text', '市市场监管局高度重视,已责令涉事单位整改,并立案调查。')] };
    case 'talking_points_approval': {
      const next = task.approvalsNeeded.find((r) => !task.approvals.some((a) => a.role === r));
      return { person: next === 'leader' ? 'zhao-leader' : 'qian-fenguan', step: 'approve', fills: [] };
    }
    case 'response_plan_approval':
      return { person: 'zhao-leader', step: 'approve', fills: [] };
    case 'secrecy_review':
      return { person: 'wang-director', step: 'complete', fills: [write('content.decision', '经审查,拟发布内容不涉及国家秘密和工作秘密')] };
    case 'talking_points_reported':
      return { person: 'zhang-office', step: 'complete', fills: [tick('sendTo', '市委宣传部'), tick('sendTo', '市委网信办')] };
    case 'response_plan':
      return { person: 'sun-deputy', step: 'complete', fills: [write('content.text', '应对方案:4小时内发布权威信息,24小时内召开新闻发布会')] };
    case 'authoritative_release':
      return { person: 'zhang-office', step: 'release', fills: release('新闻通稿', '哈尔滨市市场监督管理局门户网站') };
    case 'press_conference':
      return { person: 'zhang-office', step: 'release', fills: release('新闻发布会', '哈尔滨市场监管官方微博') };
    case 'review':
      return {
        person: 'zhang-office',
        step: 'complete',
        fills: ['cause', 'nature', 'impact', 'responsibility', 'lessons'].map((f) => write(`content.${f}`, `总结评估:${f}`)),
      };
    default:
      // cyberspace_liaison, leadership_materials, tracking: the owner records it.
      return { person: task.kind === 'leadership_materials' ? 'zheng-scitech' : 'zhang-office', step: 'complete', fills: [] };
  }
}

it('a critical incident goes from intake to archive with every step taken in the browser by the person whose step it is', async () => {
  const res = await call('intake', keys.monitoring, 'POST', '/v1/incidents', sampleIncident({ suggestedTier: 'critical' }));
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await eventually(async () => (await stateOf(id)).status === 'handling', 30_000, 'dispatched');

  // The 4 h and 24 h clocks are on the page from the start.
  const office = pages.get('zhang-office')!;
  await visit(office, `${urls.reporting}/console/incidents/${id}`);
  for (const key of ['authoritative_release', 'press_conference']) {
    await office.locator(`#detail-tasks li[data-task-key="${key}"] .countdown`).waitFor({ timeout: 30_000 });
  }
  // Every step the office is offered says what it is in Chinese.
  const buttons = await office.locator('section.step [data-role="open"]').allTextContents();
  expect(buttons.length).toBeGreaterThan(5);
  expect(buttons.filter((b) => !/^[^A-Za-z]*$/.test(b))).toEqual([]);
  await office.screenshot({ path: path.join(SHOTS, 'critical-start-1440x900.png'), fullPage: true });
  // Accessibility basics (WCAG 2 AA, as axe-core checks them) on the pages people work in.
  const problems: string[] = [];
  for (const [who, where, ready] of [
    ['zhang-office', `/console/incidents/${id}`, '#detail-tasks'],
    ['zhang-office', '/console/', '#incidents'],
    ['chen-nangang', '/console/tasks', '#todo'],
    ['zhao-leader', '/console/stats', '#stats-view'],
  ] as const) {
    const p = pages.get(who)!;
    await visit(p, `${urls.reporting}${where}`);
    await p.locator(ready).first().waitFor({ timeout: 30_000 });
    await p.waitForTimeout(500);
    problems.push(...(await accessibilityProblems(p)).map((x) => `${where}: ${x}`));
  }
  expect(problems).toEqual([]);

  const taken: string[] = [];
  for (const until = Date.now() + 8 * 60_000; Date.now() < until;) {
    const state = await stateOf(id);
    if (state.status === 'archived') break;
    const open = state.tasks.filter((x) => x.status === 'open' && x.mandatory);
    const isRelease = (x: TaskState) => x.kind === 'authoritative_release' || x.kind === 'press_conference';
    const next = open.find((x) => !isRelease(x) && x.kind !== 'tracking') ?? open.find(isRelease) ?? open[0];
    if (next) {
      const { person, step, fills } = plan(next);
      await take(person, id, step, next.key, ...fills);
      taken.push(`${next.key}:${person}`);
      // It really happened (or, for an approval, this approval was recorded), by that person.
      await eventually(
        async () => {
          const now = (await stateOf(id)).tasks.find((x) => x.key === next.key)!;
          if (step === 'approve' && now.status !== 'done') return now.approvals.length > next.approvals.length;
          return now.status === 'done' && now.doneBy?.personId === person;
        },
        20_000,
        `${next.key} taken by ${person}`,
      );
      continue;
    }
    if (state.status === 'handling' && !state.tasks.some((x) => x.status === 'waiting' && x.mandatory)) {
      await take('zhang-office', id, 'close', undefined, write('reason', '舆情平息,处置完毕'));
      taken.push('close:zhang-office');
      await eventually(async () => (await stateOf(id)).status !== 'handling', 20_000, 'closed');
      continue;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  expect((await stateOf(id)).status).toBe('archived');
  // Every person took a step of their own; the two approvals of the talking points are two people.
  for (const person of PEOPLE) expect(taken.some((x) => x.endsWith(`:${person.id}`))).toBe(true);
  const timeline = (await (await call('reporting', keys.admin, 'GET', `/v1/incidents/${id}/timeline`)).json()) as {
    entries: { type: string; data?: { taskKind?: string; approval?: { actor: { personId?: string } } } }[];
  };
  const approvers = timeline.entries
    .filter((e) => e.type === 'approval_recorded' && e.data?.taskKind === 'talking_points_approval')
    .map((e) => e.data?.approval?.actor.personId);
  expect(approvers.sort()).toEqual(['qian-fenguan', 'zhao-leader']);
  await visit(office, `${urls.reporting}/console/incidents/${id}`);
  await office.locator('#detail-view [data-field="status"]', { hasText: '已归档' }).waitFor({ timeout: 30_000 });
  await office.screenshot({ path: path.join(SHOTS, 'critical-archived-1440x900.png'), fullPage: true });

  // The leader downloads the 《舆情摘报》 and the archive from the incident's page: the Chinese inside
  // them (pdftotext) is the digest the office wrote and the talking points the two leaders approved.
  const leader = pages.get('zhao-leader')!;
  await visit(leader, `${urls.reporting}/console/incidents/${id}`);
  const textOf = async (doc: 'digest' | 'archive'): Promise<string> => {
    const [download] = await Promise.all([leader.waitForEvent('download'), leader.locator(`[data-download="${doc}"]`).click()]);
    const file = path.join(profile, `${doc}.pdf`);
    await download.saveAs(file);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
  };
  expect(await textOf('digest')).toContain('网传南岗区某幼儿园食堂使用变质食材,转发量快速上升');
  const archive = await textOf('archive');
  expect(archive).toContain('市市场监管局高度重视,已责令涉事单位整改,并立案调查。');
  for (const name of ['钱分管', '赵局长']) expect(archive).toContain(name);
  expect(pageErrors).toEqual([]);
}, 600_000);
