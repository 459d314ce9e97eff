/**
 * The console's operations pages in a real browser (Debian's Chromium driven by
 * playwright-core) against the whole platform as separate processes, as people use them:
 * - the opinion office sees a notification that could not be delivered, presses 重试,
 *   and it really is delivered (the receiver got it, the log and the audit say so);
 *   a district person sees their unit's failure but no retry, and the API refuses them;
 * - the duty roster (值班表): who is on duty now per unit and the shifts ahead, on a
 *   desk and on a phone; the office's duty view names who is on duty now;
 * - the office merges one incident into another and splits reports out from its
 *   page, the refusals shown in Chinese beside the field; a district person is not offered either;
 * - the statistics as charts.
 * Each page is saved at 1440×900 and 390×844 under docs/screenshots (README).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  assertChromium,
  CHROMIUM,
  CHROMIUM_ARGS,
  connectTestClient,
  createTestDatabase,
  createTestKey,
  DESK,
  eventually,
  HttpReceiver,
  PHONE,
  type PlatformProcesses,
  RECEIVER_ALLOW_HOSTS,
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

jest.setTimeout(180_000);

let t: TestDatabase;
let temporal: Client;
let browser: Browser;
let office: BrowserContext;
let page: Page;
let profile: string;
let platform: PlatformProcesses | undefined;
const http = new HttpReceiver();
const urls = { intake: '', dispatch: '', reporting: '' };
const keys = {} as Record<'office' | 'monitoring' | 'admin' | 'nangang', string>;
const OFFICE_KEY_ID = 'office-operator';
const taskQueue = testTaskQueue();
const nats = testNatsOptions('console-ops');
/** Errors any page logged (CSP violations among them) and uncaught exceptions. */
const pageErrors: string[] = [];

function watchErrors(p: Page): void {
  p.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  p.on('pageerror', (err) => pageErrors.push(err.message));
}

beforeAll(async () => {
  assertChromium();
  mkdirSync(SHOTS, { recursive: true });
  await http.start();
  t = await createTestDatabase();
  temporal = await connectTestClient();
  keys.office = await createTestKey(t.db, { id: OFFICE_KEY_ID, scopes: ['reports:read', 'tasks:act'], unitId: 'opinion-office', roles: ['opinion_office'] });
  keys.monitoring = await createTestKey(t.db, { scopes: ['incidents:write', 'incidents:read'] });
  keys.admin = await createTestKey(t.db, { scopes: ['admin', 'directory:write', 'tasks:act', 'reports:read'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  platform = await startPlatformProcesses({
    ...testPlatformEnv(t.url, nats, taskQueue),
    NOTIFY_ALLOW_HOSTS: RECEIVER_ALLOW_HOSTS,
    NOTIFY_RETRY_BASE_MS: '200',
  });
  Object.assign(urls, platform.urls);

  profile = mkdtempSync(path.join(tmpdir(), 'yuqing-chromium-'));
  office = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESK,
    timezoneId: 'Asia/Shanghai',
    locale: 'zh-CN',
  });
  page = office.pages()[0] ?? (await office.newPage());
  watchErrors(page);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await office?.close();
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await platform?.stop();
  await http.stop();
  if (temporal) {
    await terminateTestWorkflows(temporal, taskQueue);
    await temporal.connection.close();
  }
  await t?.drop();
});

async function call(service: 'intake' | 'dispatch' | 'reporting', key: string, method: string, url: string, body?: unknown): Promise<Response> {
  return fetch(`${urls[service]}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}
async function json<T>(service: 'intake' | 'dispatch' | 'reporting', key: string, method: string, url: string, body?: unknown): Promise<T> {
  const res = await call(service, key, method, url, body);
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function report(overrides: Parameters<typeof sampleIncident>[0] = {}): Promise<string> {
  return (await json<{ id: string }>('intake', keys.monitoring, 'POST', '/v1/incidents', sampleIncident(overrides))).id;
}

/** Signs in with an API key on the login page and waits for the duty view. */
async function signIn(p: Page, key: string, next = '/console/'): Promise<void> {
  await visit(p, `${urls.reporting}${next}`);
  await p.click('[data-mode="key"]');
  await p.fill('#api-key', key);
  await p.click('#login-form button[type=submit]');
  await p.locator('#live[data-state="on"]').waitFor();
}

/** The same page at a phone's size too, then back; nothing may be wider than the phone. */
async function shoot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(SHOTS, `${name}-1440x900.png`) });
  const size = p.viewportSize();
  await p.setViewportSize(PHONE);
  await p.waitForTimeout(300);
  await p.screenshot({ path: path.join(SHOTS, `${name}-390x844.png`) });
  expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
  if (size) await p.setViewportSize(size);
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
  unitId: string;
  channelKind: string;
  eventId: string;
}

/** Waits for an incident's dead delivery to 南岗区's webhook. */
async function deadWebhookDelivery(incidentId: string): Promise<Delivery> {
  return eventually(
    async () => {
      const list = await json<{ items: Delivery[] }>('dispatch', keys.admin, 'GET', `/v1/deliveries?incident=${incidentId}&status=dead`);
      return list.items.find((d) => d.unitId === 'district-230103' && d.channelKind === 'webhook');
    },
    30_000,
    'a dead letter to 南岗区’s webhook',
  );
}

describe('failed deliveries', () => {
  const hook = 'nangang-hook';
  let dead: Delivery;

  it('lists a notification that could not be delivered, and the office’s 重试 really delivers it', async () => {
    // 南岗区's webhook answers 404 for now: nothing retries that on its own, so it is a dead letter at once.
    const endpoint = http.endpoint(hook, { kind: 'webhook', down: true, failStatus: 404 });
    const channel = await json<{ secret: string }>('dispatch', keys.admin, 'POST', '/v1/channels', {
      unitId: 'district-230103',
      kind: 'webhook',
      address: endpoint,
    });
    http.get(hook, 'webhook').secret = channel.secret;
    const incidentId = await report({ title: '网传南岗区某超市销售过期月饼' });
    dead = await deadWebhookDelivery(incidentId);
    expect(dead).toMatchObject({ attempts: 1, lastError: 'HTTP 404' });

    await signIn(page, keys.office);
    await page.click('[data-nav="deliveries"]');
    const row = page.locator(`#deliveries li[data-delivery-id="${dead.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('dead');
    expect(await row.locator('[data-field="unit"]').textContent()).toContain('南岗区市场监督管理局');
    expect(await row.locator('[data-field="channel"]').textContent()).toBe('Webhook');
    expect(await row.locator('[data-field="attempts"]').textContent()).toBe('1 次');
    expect(await row.locator('[data-field="last-error"]').textContent()).toBe('HTTP 404');
    expect(await row.locator('[data-field="incident"]').getAttribute('href')).toBe(`/console/incidents/${incidentId}`);
    await shoot(page, 'deliveries');

    // The receiver is back; the office retries from the console.
    http.get(hook, 'webhook').down = false;
    await row.locator('[data-role="retry-delivery"]').click();
    await row.locator('[data-field="outcome"]', { hasText: '已送达' }).waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('data-status')).toBe('delivered');
    expect(await row.locator('[data-role="retry-delivery"]').count()).toBe(0);

    // Really delivered: the receiver processed the event once, the log shows the failed and the good attempt.
    expect(http.processed.get(`/webhook/${hook}`)).toEqual([dead.eventId]);
    const detail = await json<Delivery & { log: { ok: boolean }[] }>('dispatch', keys.admin, 'GET', `/v1/deliveries/${dead.id}`);
    expect(detail.status).toBe('delivered');
    expect(detail.log.map((a) => a.ok)).toEqual([false, true]);
    // And the retry was the office's, in the audit log.
    const audit = await t.db.selectFrom('auditLog').select(['action', 'actorId']).where('entityId', '=', dead.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['delivery.dead', 'delivery.retried', 'delivery.delivered']);
    expect(audit[1]!.actorId).toBe(OFFICE_KEY_ID);
  });

  it('shows a district person their unit’s failed notification without a retry, and dispatch refuses theirs', async () => {
    http.get(hook, 'webhook').down = true;
    const incidentId = await report({ title: '网传南岗区某药店销售假冒口罩', topic: 'drugs_devices_cosmetics' });
    const failed = await deadWebhookDelivery(incidentId);

    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' });
    try {
      const p = await phone.newPage();
      watchErrors(p);
      await signIn(p, keys.nangang, '/console/deliveries');
      const row = p.locator(`#deliveries li[data-delivery-id="${failed.id}"]`);
      await row.waitFor();
      // Its own unit's only; no retry, no menu entry.
      expect(new Set(await p.locator('#deliveries li').evaluateAll((els) => els.map((e) => e.getAttribute('data-unit-id'))))).toEqual(
        new Set(['district-230103']),
      );
      expect(await p.locator('[data-role="retry-delivery"]').count()).toBe(0);
      await p.locator('[data-role="no-retry"]').waitFor();
      expect(await p.locator('[data-nav="deliveries"]').count()).toBe(0);
      expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    } finally {
      await phone.close();
    }
    // The API refuses the district, in Chinese, and nothing changes.
    const refused = await call('dispatch', keys.nangang, 'POST', `/v1/deliveries/${failed.id}/retry`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/^只能管理本单位的设置/);
    expect(await json<Delivery>('dispatch', keys.admin, 'GET', `/v1/deliveries/${failed.id}`)).toMatchObject({ status: 'dead', attempts: 1 });
    expect(await t.db.selectFrom('auditLog').select('action').where('entityId', '=', failed.id).where('action', '=', 'delivery.retried').execute()).toEqual([]);
  });
});

describe('duty roster', () => {
  const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

  it('shows who is on duty now in each unit and the shifts ahead, on the duty view and the roster, on a desk and a phone', async () => {
    for (const [id, name] of [
      ['wang-ops', '王五'],
      ['zhao-ops', '赵六'],
    ] as const) {
      await json('dispatch', keys.admin, 'POST', '/v1/persons', { id, unitId: 'opinion-office', name, title: '值班科员', roles: ['opinion_office'] });
    }
    const current = await json<{ id: string }>('dispatch', keys.admin, 'POST', '/v1/units/opinion-office/duty-shifts', {
      personId: 'wang-ops',
      startsAt: hours(-2),
      endsAt: hours(6),
      note: '白班',
    });
    const next = await json<{ id: string }>('dispatch', keys.admin, 'POST', '/v1/units/opinion-office/duty-shifts', {
      personId: 'zhao-ops',
      startsAt: hours(6),
      endsAt: hours(18),
      note: '夜班',
    });

    // The office's duty view names who is on duty now, and links to the roster.
    await visit(page, `${urls.reporting}/console/`);
    const strip = page.locator('[data-role="on-duty-now"]');
    await strip.locator('[data-unit-id="opinion-office"]', { hasText: '王五' }).waitFor();
    await strip.locator('[data-link="roster"]').click();
    await page.waitForURL(`${urls.reporting}/console/duty-roster`);

    const officeCard = page.locator('#roster li[data-unit-id="opinion-office"]');
    await officeCard.waitFor();
    expect(await officeCard.locator('[data-field="on-duty"] [data-person-id="wang-ops"]').getAttribute('data-via')).toBe('roster');
    expect(await officeCard.locator('[data-field="on-duty"]').textContent()).toContain('值班表');
    expect(await officeCard.locator('.shifts li').evaluateAll((els) => els.map((e) => e.getAttribute('data-shift-id')))).toEqual([current.id, next.id]);
    expect(await officeCard.locator(`.shifts li[data-shift-id="${current.id}"]`).textContent()).toContain('当班');
    expect(await officeCard.locator(`.shifts li[data-shift-id="${next.id}"]`).textContent()).toContain('赵六');
    // A unit with no shift: its standing duty, as the directory says.
    const nangang = page.locator('#roster li[data-unit-id="district-230103"] [data-field="on-duty"]');
    expect(await nangang.locator('[data-via="standing"]').textContent()).toContain('南岗区市场监督管理局值班员');
    await shoot(page, 'roster');

    // Filters live in the address.
    await page.fill('input[aria-label="单位名称"]', '南岗');
    await page.waitForURL(/q=%E5%8D%97%E5%B2%97/);
    await page.reload();
    await page.locator('#roster li[data-unit-id="district-230103"]').waitFor();
    expect(await page.locator('#roster li').count()).toBe(1);
  });

  it('gives a district person on a phone their own unit’s roster only; the API refuses them the office’s', async () => {
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' });
    try {
      const p = await phone.newPage();
      watchErrors(p);
      await signIn(p, keys.nangang);
      // No on-duty line on a district's duty view; the roster is in the menu.
      expect(await p.locator('[data-role="on-duty-now"]').count()).toBe(0);
      await p.tap('[data-nav="roster"]');
      await p.locator('#roster li[data-unit-id="district-230103"]').waitFor();
      expect(await p.locator('#roster li').evaluateAll((els) => els.map((e) => e.getAttribute('data-unit-id')))).toEqual([
        'district-230103',
        'station-230103-1',
        'station-230103-2',
      ]);
      expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      await p.screenshot({ path: path.join(SHOTS, 'roster-district-390x844.png'), fullPage: true });
    } finally {
      await phone.close();
    }
    const refused = await call('dispatch', keys.nangang, 'GET', '/v1/duty-roster?unit=opinion-office');
    expect(refused.status).toBe(403);
  });
});

describe('merge and split from the incident page', () => {
  const ids = {} as Record<'a' | 'b' | 'c', string>;
  const reportIds: string[] = [];
  interface Accepted {
    reportId: string;
    incidentId: string;
  }
  const sighting = (title: string, eventKey: string) =>
    json<Accepted>('intake', keys.monitoring, 'POST', '/v1/reports', {
      ...sampleIncident({ title, district: '南岗区', topic: 'food_safety' }),
      source: { url: `https://weibo.example.com/${title.length}/${Math.random().toString(36).slice(2)}`, platform: 'weibo', outlet: '微博' },
      eventKey,
    });
  const state = (id: string) => json<{ status: string }>('dispatch', keys.admin, 'GET', `/v1/incidents/${id}/state`);
  const reportsOf = async (id: string) =>
    (await json<{ items: { id: string }[] }>('reporting', keys.office, 'GET', `/v1/incidents/${id}/reports`)).items.map((r) => r.id);
  const handling = (id: string) => eventually(async () => (await state(id)).status === 'handling', 30_000, `incident ${id} handling`);

  beforeAll(async () => {
    // A: three sightings under the caller's key; B and C: the same event reported on their own, both
    // as the same post (one URL), so that the second merge brings A a post it already has.
    for (const title of ['南岗区某奶茶店被曝使用过期原料', '网传南岗区奶茶店原料过期 多名顾客腹泻', '南岗区奶茶店过期原料事件持续发酵']) {
      const r = await sighting(title, 'milk-tea-2026');
      reportIds.push(r.reportId);
      ids.a = r.incidentId;
    }
    ids.b = await report({ title: '南岗区一奶茶店被指使用过期奶精', topic: 'food_safety' });
    ids.c = await report({ title: '南岗区奶茶店顾客投诉喝后不适', topic: 'food_safety' });
    for (const id of Object.values(ids)) await handling(id);
    expect(await reportsOf(ids.a)).toEqual(reportIds);
  });

  it('merges one incident into another from its page; a survivor that ended meanwhile is refused beside the field', async () => {
    await visit(page, `${urls.reporting}/console/incidents/${ids.b}`);
    const panel = page.locator('[data-role="correction"]');
    await panel.locator('[data-role="open-merge"]').click();
    const form = panel.locator('[data-form="merge"]');
    // Checked before anything is sent.
    await form.locator('[data-role="submit-merge"]').click();
    await form.locator('[data-field="intoIncidentId"] .el-form-item__error', { hasText: '请选择并入的舆情' }).waitFor();
    await form.locator('[data-field="reason"] .el-form-item__error', { hasText: '请填写合并理由' }).waitFor();

    // C is picked; meanwhile another operator merges C into A.
    await form.locator('[data-field="intoIncidentId"] .el-select').click();
    await page.locator(`.el-select-dropdown__item[data-incident-id="${ids.c}"]`).click();
    await form.locator('[data-field="reason"] textarea').fill('同一奶茶店过期原料事件,多平台重复报送');
    // The choice took: the console's own check of the field has cleared.
    await form.locator('[data-field="intoIncidentId"] .el-form-item__error').waitFor({ state: 'detached' });
    await json('dispatch', keys.office, 'POST', `/v1/incidents/${ids.c}/actions/merge`, { intoIncidentId: ids.a, reason: '同一事件' });
    await form.locator('[data-role="submit-merge"]').click();
    const refusal = form.locator('[data-field="intoIncidentId"] .el-form-item__error');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.textContent()).toBe('并入的舆情状态为“已合并”,不能再承接');
    // Said once, beside the field it concerns.
    expect(await form.locator('[data-role="refusal"]').count()).toBe(0);
    await shoot(page, 'incident-merge');
    expect((await state(ids.b)).status).toBe('handling');

    // A instead: B ends as merged, and the console lands on A. Under load a click can land while the
    // list is still opening (or re-rendering after the refusal): choose until the select shows A.
    const into = form.locator('[data-field="intoIncidentId"] .el-select');
    const itemA = page.locator(`.el-select-dropdown__item[data-incident-id="${ids.a}"]`);
    for (let attempt = 1; ; attempt++) {
      if (!(await itemA.isVisible())) await into.click();
      const label = (await itemA.textContent())?.trim() ?? '';
      await itemA.click();
      await itemA.waitFor({ state: 'hidden', timeout: 3_000 }).catch(() => into.press('Escape'));
      const shown = (await into.locator('.el-select__placeholder:not(.is-transparent)').allTextContents()).join('');
      if (label && shown.includes(label)) break;
      if (attempt === 3) throw new Error(`the merge target A not chosen after ${attempt} tries (shown: ${shown})`);
    }
    await form.locator('[data-role="submit-merge"]').click();
    await page.locator(`#detail-view .detail-title[data-incident-id="${ids.a}"]`).waitFor({ timeout: 30_000 });
    expect(page.url()).toBe(`${urls.reporting}/console/incidents/${ids.a}`);
    expect((await state(ids.b)).status).toBe('merged');
    const moved = await eventually(
      async () => {
        const r = await reportsOf(ids.a);
        return r.length === 5 && r;
      },
      30_000,
      'B’s and C’s reports moved to A',
    );
    expect(moved).toEqual(expect.arrayContaining(reportIds));
    expect(await reportsOf(ids.b)).toEqual([]);
    // In both timelines, as the office's person's doing.
    const timeline = await eventually(
      async () => {
        const e = (
          await json<{ entries: { type: string; actor?: { personId?: string } }[] }>('reporting', keys.admin, 'GET', `/v1/incidents/${ids.b}/timeline`)
        ).entries;
        return e.some((x) => x.type === 'merged') && e;
      },
      30_000,
      'the merge in B’s timeline',
    );
    expect(timeline.find((x) => x.type === 'merged')?.actor).toMatchObject({ personId: `person-${OFFICE_KEY_ID}` });
    await page
      .locator('#timeline li[data-type="absorbed"]')
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(async (err: unknown) => {
        // Which link of the chain did not hold: the absorb Update in the outbox, A's timeline, or the page.
        const updates = await t.db
          .selectFrom('outbox')
          .select(['dedupeKey', 'doneAt', 'attempts', 'lastError'])
          .where('kind', '=', 'update_workflow')
          .execute();
        const aTimeline = await json<{ entries: { type: string }[] }>('reporting', keys.admin, 'GET', `/v1/incidents/${ids.a}/timeline`);
        const intakeLog = platform?.procs.intake
          .output()
          .split('\n')
          .filter((l) => /update|absorb|outbox/i.test(l))
          .slice(-10);
        const shown = await page.locator('#timeline li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type')).join(', '));
        const pageText = (
          await page
            .locator('main')
            .innerText()
            .catch(() => '')
        ).slice(0, 400);
        throw new Error(
          `no absorbed row on A's page (it shows: ${shown}; ${page.url()}; ${pageText})\n${String(err)}\nupdates: ${JSON.stringify(updates)}\nA's timeline: ${aTimeline.entries.map((e) => e.type).join(', ')}\nintake: ${intakeLog?.join('\n')}`,
        );
      });
  });

  it('splits reports out into a new incident; splitting all of them is refused beside the field', async () => {
    await visit(page, `${urls.reporting}/console/incidents/${ids.a}`);
    const panel = page.locator('[data-role="correction"]');
    await panel.locator('[data-role="open-split"]').click();
    const form = panel.locator('[data-form="split"]');
    await form.locator(`[data-report-id="${reportIds[2]}"]`).waitFor();
    // Every report: the incident must keep one.
    const all = await reportsOf(ids.a);
    for (const id of all) await form.locator(`[data-report-id="${id}"]`).click();
    await form.locator('[data-field="reason"] textarea').fill('该条报道为另一起事件');
    await form.locator('[data-role="submit-split"]').click();
    const refusal = form.locator('[data-field="reportIds"] .el-form-item__error');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.textContent()).toBe('不能拆出全部报告,本舆情须至少保留一条');
    expect(await reportsOf(ids.a)).toEqual(all);
    await shoot(page, 'incident-split');

    // Only the last sighting.
    for (const id of all.filter((r) => r !== reportIds[2])) await form.locator(`[data-report-id="${id}"]`).click();
    await form.locator('[data-role="submit-split"]').click();
    const link = panel.locator('[data-link="split-result"]');
    await link.waitFor({ timeout: 30_000 });
    const newId = (await link.getAttribute('href'))!.split('/').pop()!;
    expect(newId).not.toBe(ids.a);
    expect(await reportsOf(newId)).toEqual([reportIds[2]]);
    expect(await reportsOf(ids.a)).not.toContain(reportIds[2]);
    await handling(newId);
    await link.click();
    await page.locator(`#detail-view .detail-title[data-incident-id="${newId}"]`).waitFor();
  });

  it('offers neither to a district person, and dispatch refuses them', async () => {
    const district = await browser.newContext({ viewport: DESK, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' });
    try {
      const p = await district.newPage();
      watchErrors(p);
      await signIn(p, keys.nangang, `/console/incidents/${ids.a}`);
      await p.locator('#detail-view #timeline').waitFor();
      expect(await p.locator('[data-role="correction"]').count()).toBe(0);
    } finally {
      await district.close();
    }
    const refused = await call('dispatch', keys.nangang, 'POST', `/v1/incidents/${ids.a}/actions/split`, { reportIds: [reportIds[1]], reason: '另一事件' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/^仅舆情办可合并或拆分舆情/);
    expect(await reportsOf(ids.a)).toContain(reportIds[1]);
  });
});

describe('statistics as charts', () => {
  interface Compliance {
    key: string;
    onTime: number;
    late: number;
    overdue: number;
    rate: number | null;
  }
  it('draws incidents per day, deadline compliance and the four firsts’ histograms, with the figures the API gives', async () => {
    // 南岗区 acknowledges one incident in time: an acknowledgement kept.
    const acknowledged = await report({ title: '网传南岗区某饭店后厨卫生脏乱' });
    await eventually(
      async () => (await call('dispatch', keys.nangang, 'POST', `/v1/incidents/${acknowledged}/actions/acknowledge`, {})).status === 200,
      30_000,
      'acknowledged',
    );
    await visit(page, `${urls.reporting}/console/stats?days=7`);
    const dashboard = page.locator('[data-role="dashboard"]');
    await dashboard.locator('[data-chart="per-day-tier"] canvas').waitFor();
    // Three per-day charts, two of compliance, four histograms.
    expect(await dashboard.locator('.dash-chart canvas').count()).toBe(9);
    expect(await dashboard.locator('[data-first]').evaluateAll((els) => els.map((e) => e.getAttribute('data-first')))).toEqual([
      'assessed',
      'dispatched',
      'cyberspace_liaison',
      'procedure_started',
    ]);
    const to = new Date();
    const api = await json<{ compliance: { total: Compliance; byKind: Compliance[] }; perDay: { byTier: { total: number }[] } }>(
      'reporting',
      keys.office,
      'GET',
      `/v1/stats/dashboard?from=${encodeURIComponent(new Date(to.getTime() - 7 * 86_400_000).toISOString())}&to=${encodeURIComponent(to.toISOString())}`,
    );
    // This file's incidents, less the two merged ones.
    const listed = await json<{ total: number }>('reporting', keys.office, 'GET', '/v1/incidents?limit=1');
    expect(api.perDay.byTier.reduce((n, s) => n + s.total, 0)).toBe(listed.total - 2);
    const percent = (r: number | null) => (r === null ? '—' : `${Math.round(r * 100)}%`);
    expect(await dashboard.locator('[data-field="compliance-rate"]').textContent()).toBe(percent(api.compliance.total.rate));
    const ack = api.compliance.byKind.find((c) => c.key === 'acknowledge')!;
    expect(ack.onTime).toBeGreaterThanOrEqual(1);
    const row = dashboard.locator('tr[data-kind="acknowledge"]');
    expect((await row.locator('td').allTextContents()).slice(0, 4)).toEqual(['签收预警', String(ack.onTime), String(ack.late), String(ack.overdue)]);
    expect(await row.locator('[data-field="rate"]').textContent()).toBe(percent(ack.rate));
    await dashboard.scrollIntoViewIfNeeded();
    await shoot(page, 'stats-dashboard');
  });
});

it('ran without script errors or CSP violations', () => {
  // The expected ones: the refused merge's 409 and the refused split's 422.
  const expected = /status of (409|422)/;
  expect(pageErrors.filter((e) => /status of 409/.test(e))).toHaveLength(1);
  expect(pageErrors.filter((e) => /status of 422/.test(e))).toHaveLength(1);
  expect(pageErrors.filter((e) => !expected.test(e))).toEqual([]);
});
