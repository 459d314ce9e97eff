/**
 * The operators' console in a real browser (Debian's Chromium driven by
 * playwright-core) against the whole platform as separate processes: an incident
 * posted to intake appears in the open console, and a unit's acknowledgement
 * through dispatch updates it live, over the reporting service's event stream.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { formatBeijing } from '@yuqing/shared';
import {
  connectTestClient,
  createTestDatabase,
  createTestKey,
  sampleIncident,
  stackEnv,
  startPlatformProcesses,
  testNatsOptions,
  testTaskQueue,
  type PlatformProcesses,
  type TestDatabase,
} from '@yuqing/testkit';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TEMPORAL_UI_URL = 'http://temporal-ui.test:8233';

let t: TestDatabase;
let temporal: Client;
let context: BrowserContext;
let page: Page;
let profile: string;
let platform: PlatformProcesses | undefined;
const urls = { intake: '', dispatch: '', reporting: '' };
const keys = {} as Record<'operator' | 'monitoring' | 'nangang' | 'foodSafety' | 'office', string>;
const taskQueue = testTaskQueue();
const nats = testNatsOptions('console-browser');
/** Errors the page logged (CSP violations among them) and uncaught exceptions. */
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: the console's browser test needs it. Install it with "apt-get install -y chromium" ` +
        '(make test does this through "infra/stack.sh deps" when run as root), or point CHROMIUM_PATH at a Chromium binary.',
    );
  }
  t = await createTestDatabase();
  temporal = await connectTestClient();
  keys.operator = await createTestKey(t.db, { scopes: ['reports:read'], unitId: 'opinion-office' });
  keys.monitoring = await createTestKey(t.db, { scopes: ['incidents:write'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.foodSafety = await createTestKey(t.db, { scopes: ['tasks:act'], unitId: 'dept-food-safety', roles: ['responsible_department'] });
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act'], unitId: 'opinion-office', roles: ['opinion_office'] });
  platform = await startPlatformProcesses({
    DATABASE_URL: t.url,
    NATS_URL: stackEnv().natsUrl,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    TEMPORAL_ADDRESS: stackEnv().temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_UI_URL,
  });
  Object.assign(urls, platform.urls);

  profile = mkdtempSync(path.join(tmpdir(), 'yuqing-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    // Somewhere far from Beijing: the console must still show Beijing time.
    timezoneId: 'America/New_York',
    locale: 'zh-CN',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await platform?.stop();
  if (temporal) {
    for await (const wf of temporal.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
      await temporal.workflow
        .getHandle(wf.workflowId)
        .terminate('test finished')
        .catch(() => undefined);
    }
    await temporal.connection.close();
  }
  await t?.drop();
});

async function post(url: string, key: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const row = (id: string) => page.locator(`#incidents tr[data-incident-id="${id}"]`);

it('serves the console with a strict content security policy and other security headers', async () => {
  const res = await page.goto(`${urls.reporting}/console`);
  expect(res?.status()).toBe(200);
  const headers = res!.headers();
  const csp = headers['content-security-policy']!;
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  // The page asks for the key once its script has loaded the labels.
  await page.locator('#login-view').waitFor({ state: 'visible' });
});

it('asks for the key once, refuses a wrong one, and keeps it for the session only', async () => {
  await page.fill('#api-key', 'yq_not-a-real-key');
  await page.click('#login-form button[type=submit]');
  await page.locator('#login-error', { hasText: '密钥无效' }).waitFor();

  await page.fill('#api-key', keys.operator);
  await page.click('#login-form button[type=submit]');
  await page.locator('#list-view').waitFor({ state: 'visible' });
  await page.locator('#live[data-state="on"]').waitFor();
  // (Strings: these run in the page, and the tests compile without the DOM library.)
  expect(await page.evaluate("[sessionStorage.getItem('yuqing.console.apiKey') !== null, localStorage.length]")).toEqual([true, 0]);
});

it('shows a newly reported incident live, with its tier and the countdown to its nearest deadline', async () => {
  const res = await post(`${urls.intake}/v1/incidents`, keys.monitoring, sampleIncident());
  const body = (await res.json()) as { id: string };
  expect({ status: res.status, body }).toMatchObject({ status: 202 });
  const { id } = body;

  // No reload: the console learns of it from the stream.
  await row(id).locator('[data-field="next-deadline"] .countdown').waitFor({ timeout: 30_000 });
  expect(await row(id).locator('[data-field="tier"]').textContent()).toBe('敏感舆情');
  expect(await row(id).locator('.title a').textContent()).toBe('网传南岗区某幼儿园食堂使用变质食材');
  expect(await row(id).locator('[data-field="next-deadline"] .task').textContent()).toContain('签收预警');
  expect(await row(id).locator('[data-field="next-deadline"] .countdown').textContent()).toMatch(/^剩余 (29|30)分\d{2}秒$/);
  const incident = await t.db.selectFrom('incidents').select('createdAt').where('id', '=', id).executeTakeFirstOrThrow();
  // Beijing time although the browser runs in New York.
  expect(await row(id).locator('td.time').textContent()).toBe(formatBeijing(incident.createdAt));

  // A unit acknowledges: the row moves on to the next open deadline, live.
  const first = await row(id).locator('[data-field="next-deadline"] .task').getAttribute('data-task-key');
  const [unit, key] = first === 'acknowledge:district-230103' ? (['district-230103', keys.nangang] as const) : (['dept-food-safety', keys.foodSafety] as const);
  expect((await post(`${urls.dispatch}/v1/incidents/${id}/actions/acknowledge`, key, {})).status).toBe(200);
  const nextTask = `#incidents tr[data-incident-id="${id}"] [data-field="next-deadline"] .task`;
  await page.waitForFunction(`document.querySelector('${nextTask}')?.getAttribute('data-task-key') !== 'acknowledge:${unit}'`, undefined, { timeout: 30_000 });

  // The incident's page: tasks with deadlines, the timeline, the link to its workflow.
  await row(id).locator('.title a').click();
  await page.locator('#detail-view #timeline li[data-type="acknowledged"]').waitFor();
  expect(await page.locator('#detail-view [data-link="temporal"]').getAttribute('href')).toBe(`${TEMPORAL_UI_URL}/namespaces/default/workflows/incident-${id}`);
  const other = unit === 'district-230103' ? { unit: 'dept-food-safety', key: keys.foodSafety } : { unit: 'district-230103', key: keys.nangang };
  const otherStatus = page.locator(`#detail-tasks tr[data-task-key="acknowledge:${other.unit}"] [data-field="task-status"]`);
  expect(await otherStatus.textContent()).toBe('办理中');

  // The other unit acknowledges while the page is open: its task and the timeline follow live.
  expect((await post(`${urls.dispatch}/v1/incidents/${id}/actions/acknowledge`, other.key, {})).status).toBe(200);
  await page
    .locator(`#detail-tasks tr[data-task-key="acknowledge:${other.unit}"] [data-field="task-status"]`, { hasText: '已完成' })
    .waitFor({ timeout: 30_000 });
  await page.locator('#timeline li[data-type="acknowledged"]').nth(1).waitFor();
  expect(await page.locator('#timeline li[data-type="acknowledged"]').allTextContents()).toEqual(
    expect.arrayContaining([expect.stringContaining('南岗区市场监督管理局 已签收'), expect.stringContaining('食品经营安全监督管理处 已签收')]),
  );

  // Both acknowledged: back in the list, the digest is the nearest deadline.
  await page.click('#detail-view a[href="#/"]');
  await row(id).locator('[data-field="next-deadline"] .task', { hasText: '形成《舆情摘报》' }).waitFor({ timeout: 30_000 });

  // The office writes the digest: the incident's page links to it, and the console shows the printable document.
  await row(id).locator('.title a').click();
  await page.locator('#detail-view .muted', { hasText: '《舆情摘报》尚未形成' }).waitFor();
  const digest = await post(`${urls.dispatch}/v1/incidents/${id}/tasks/digest/complete`, keys.office, {
    note: '多名家长反映食堂食材变质,已转南岗区局核查。',
    proposal: '建议立即开展现场检查',
  });
  expect(digest.status).toBe(200);
  await page.locator('#detail-view [data-link="digest"]').click({ timeout: 30_000 });
  await page.locator('#digest-view article.digest h1', { hasText: '舆情摘报' }).waitFor();
  expect(await page.locator('#digest-view article.digest').textContent()).toContain('建议立即开展现场检查');
  // Styled by digest.css (served from the console's own origin).
  expect(
    await page
      .locator('#digest-view .digest-head')
      .evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { textAlign: string } }).getComputedStyle(el).textAlign),
  ).toBe('center');
});

it('shows the statistics page', async () => {
  await page.click('[data-nav="stats"]');
  await page.locator('#stats-view h3', { hasText: '四个第一' }).waitFor();
  expect(await page.locator('#stats-view .card').first().textContent()).toBe('1接收舆情');
});

it('ran without script errors or CSP violations', () => {
  // The one expected error: the wrong key's 401 at the start.
  expect(pageErrors.filter((e) => /status of 401/.test(e))).toHaveLength(1);
  expect(pageErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
});
