/**
 * The printable documents (摘报, 档案, 总结评估) as PDF on the real path: a
 * critical incident is driven through the real workflow by the people whose
 * steps they are (dispatch's REST steps, keys of named persons); the reporting
 * service, listening on a real port, answers the PDFs over HTTP; pdftotext reads
 * them back, and the Chinese that was written, approved and released is there.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createServer, HttpProblem, type App } from '@yuqing/http-kit';
import { cachedUnitNames, createApiClient, loadConfig, type Role, type Scope } from '@yuqing/shared';
import { eventually, testLogger } from '@yuqing/testkit';
import { LiveFeed, reportingApp } from '../src/app';
import { loadArchive } from '../src/archive/archive';
import type { Archive } from '../src/pdf/incident-documents';
import { findCjkFonts } from '../src/pdf/cjk-font';
import { pdfThread } from '../src/pdf/pdf-thread';
import type { Review } from '../src/review/review';
import { startReportingHarness, type ReportingHarness } from './harness';

jest.setTimeout(180_000);

let h: ReportingHarness;
let base: string;
let dir: string;
let id: string;
const UNKNOWN = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

/** Named people of the directory, each with a personal key (the name is what the documents print). */
const people = {
  nangang: { name: '刘南岗', unitId: 'district-230103', roles: ['district_bureau'] },
  daoli: { name: '孙道里', unitId: 'district-230102', roles: ['district_bureau'] },
  food: { name: '周食品', unitId: 'dept-food-safety', roles: ['responsible_department'] },
  office: { name: '王舆情', unitId: 'opinion-office', roles: ['opinion_office'] },
  director: { name: '赵主任', unitId: 'opinion-office', roles: ['office_director'] },
  leaderInCharge: { name: '李分管', unitId: 'leadership-group', roles: ['leader_in_charge'] },
  leader: { name: '张组长', unitId: 'leadership-group', roles: ['leader', 'leadership_group'] },
  deputy: { name: '陈副组长', unitId: 'leadership-group', roles: ['deputy_leader'] },
} satisfies Record<string, { name: string; unitId: string; roles: Role[] }>;
type Who = keyof typeof people;
const keys = {} as Record<Who | 'noScope', string>;

const WORDING_V1 = '市市场监管局高度重视,已责成南岗区局连夜核查。';
const WORDING_V2 = '市市场监管局高度重视,已责成南岗区局连夜核查,涉事批次食材已全部封存,检测结果将及时公布。';
const PLAN = '由市局统一发布权威信息,二十四小时内召开新闻发布会,持续跟踪研判。';
const RELEASE = '关于南岗区某幼儿园食堂食材问题的情况通报';
const LESSONS = '校园食堂食材进货查验须每日抽查,舆情发现后一小时内须完成首次通报。';

async function personKey(who: Who, scopes: Scope[] = ['tasks:act', 'reports:read']): Promise<string> {
  const p = people[who];
  const personId = `person-docs-${who}`;
  await h.t.db
    .insertInto('persons')
    .values({ id: personId, unitId: p.unitId, name: p.name, roles: JSON.stringify(p.roles) })
    .execute();
  return createApiClient(h.t.db, { id: `key-docs-${who}`, name: p.name, scopes, unitId: p.unitId, personId });
}

/** A step through dispatch, as the person whose step it is; fails the test unless it is accepted. */
async function act(who: Who, url: string, payload: object): Promise<void> {
  const res = await h.dispatch.inject({ method: 'POST', url: `/v1/incidents/${id}${url}`, headers: { authorization: `Bearer ${keys[who]}` }, payload });
  if (res.statusCode !== 200) throw new Error(`${who}: POST ${url} answered ${res.statusCode}: ${res.body.slice(0, 400)}`);
}

const get = (url: string, key: string | null = keys.leader) => fetch(`${base}${url}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

/** Downloads a PDF over HTTP and returns its text as pdftotext reads it. */
async function pdfText(url: string, key: string = keys.leader): Promise<string> {
  const res = await get(url, key);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="[a-z]+-[0-9a-f]{8}\.pdf"; filename\*=UTF-8''/);
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  const file = path.join(dir, `${path.basename(url)}-${Date.now()}.pdf`);
  writeFileSync(file, bytes);
  const { stdout } = await promisify(execFile)('pdftotext', ['-enc', 'UTF-8', file, '-']);
  // Table cells wrap: compare text without the line breaks pdftotext puts where a line ended.
  return stdout.replace(/\s+/g, '');
}

const compact = (s: string) => s.replace(/\s+/g, '');

const state = async () =>
  (await h.dispatch.inject({ url: `/v1/incidents/${id}/state`, headers: { authorization: `Bearer ${keys.office}` } })).json<{
    status: string;
    tasks: { key: string; status: string }[];
  }>();

beforeAll(async () => {
  h = await startReportingHarness('reporting-documents');
  for (const who of Object.keys(people) as Who[]) keys[who] = await personKey(who);
  keys.noScope = await createApiClient(h.t.db, { id: 'key-docs-noscope', name: '无权限', scopes: ['tasks:act'], unitId: 'opinion-office' });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  dir = mkdtempSync(path.join(tmpdir(), 'yuqing-pdf-'));

  // 涉及特别重大突发事件: critical by the flag's floor, no tier confirmation needed.
  id = await h.report({ flags: ['tied_to_emergency'], suggestedTier: undefined });
  await eventually(async () => (await state()).tasks.some((t) => t.key === 'talking_points_draft' && t.status === 'open'), 30_000, 'dispatched');
});

afterAll(async () => {
  // KEEP_PDF=1 keeps the downloaded PDFs to look at (the folder is printed).
  if (!process.env.KEEP_PDF) rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
  await h?.close();
});

describe('a critical incident from intake to archive, in printable documents', () => {
  it('the digest: 404 until written, then the PDF holds the approved text and the sign-off', async () => {
    expect((await get(`/v1/incidents/${id}/digest.pdf`)).status).toBe(404);
    await act('nangang', '/actions/acknowledge', {});
    await act('office', '/tasks/digest/complete', { note: '网传南岗区某幼儿园食堂使用变质食材,多名家长反映孩子不适。', proposal: '建议由分管局领导牵头核查' });
    await act('director', '/tasks/digest_signoff/approve', { role: 'office_director', comment: '请组长阅示' });
    const text = await eventually(
      async () => {
        const t = await pdfText(`/v1/incidents/${id}/digest.pdf`);
        return t.includes('请组长阅示') && t;
      },
      20_000,
      'the digest PDF with its sign-off',
    );
    for (const expected of [
      '舆情摘报',
      '网传南岗区某幼儿园食堂使用变质食材',
      '特别重大舆情',
      '多名家长反映孩子不适',
      '建议由分管局领导牵头核查',
      '舆情办主任',
      '赵主任',
      '王舆情',
    ])
      expect(text).toContain(compact(expected));
  });

  it('the archive of the closed incident shows every version, approval and release; the review its five parts', async () => {
    await act('food', '/tasks/talking_points_draft/complete', { content: { facts: '经核查,该幼儿园食堂已停用涉事批次食材。' } });
    await act('office', '/tasks/talking_points_wording/complete', { content: { text: WORDING_V1 } });
    await act('leader', '/tasks/talking_points_wording/return', { reason: '请补充封存和检测情况' });
    await act('office', '/tasks/talking_points_wording/complete', { content: { text: WORDING_V2 } });
    await act('leaderInCharge', '/tasks/talking_points_approval/approve', { role: 'leader_in_charge', version: 2 });
    await act('leader', '/tasks/talking_points_approval/approve', { role: 'leader', version: 2, comment: '同意发布' });
    await act('director', '/tasks/secrecy_review/complete', { content: { decision: '不涉及国家秘密和工作秘密,可发布' } });
    await act('office', '/tasks/talking_points_reported/complete', { sendTo: ['ext-propaganda', 'ext-cyberspace-office', 'ext-provincial-bureau'] });
    await act('deputy', '/tasks/response_plan/complete', { content: { text: PLAN } });
    await act('leader', '/tasks/response_plan_approval/approve', { role: 'leader', version: 1 });
    await act('office', '/actions/release', {
      form: 'press_release',
      summary: RELEASE,
      url: 'https://scjgj.harbin.gov.cn/notice/2026-001',
      channel: 'website',
      talkingPointsVersion: 2,
    });
    await act('office', '/actions/release', { form: 'press_conference', summary: '召开新闻发布会通报核查进展', channel: 'weibo', talkingPointsVersion: 2 });
    // The group ends the handling with steps left (their cancellation is in the archive too); the review opens.
    await act('leader', '/actions/close', { reason: '舆情平息,领导小组决定结束处置', force: true });
    await eventually(async () => (await state()).tasks.some((t) => t.key === 'review' && t.status === 'open'), 20_000, 'the review open');
    expect((await get(`/v1/incidents/${id}/review.pdf`)).status).toBe(404);
    await act('office', '/tasks/review/complete', {
      content: {
        cause: '幼儿园食堂采购的一批冷冻肉品超过保质期。',
        nature: '食品安全责任事件,经核查部分属实。',
        impact: '网络转载量大,引发家长对校园食品安全的担忧。',
        responsibility: '涉事食堂负责人未履行进货查验义务,已立案查处。',
        lessons: LESSONS,
      },
    });
    await eventually(async () => (await state()).status === 'archived', 20_000, 'archived');

    const archive = await eventually(
      async () => {
        const t = await pdfText(`/v1/incidents/${id}/archive.pdf`);
        return t.includes(compact(LESSONS)) && t;
      },
      20_000,
      'the archive PDF with the review',
    );
    for (const expected of [
      '舆情处置档案',
      '网传南岗区某幼儿园食堂使用变质食材',
      '特别重大舆情',
      '已归档',
      // Every version of the wording, the return between them, and the plan, each with its author.
      WORDING_V1,
      '请补充封存和检测情况',
      '拟订回应口径第2稿',
      WORDING_V2,
      '制定舆情回应方案第1稿',
      '陈副组长',
      PLAN,
      // Every approval: role, person, version.
      '分管业务局领导',
      '李分管',
      '领导小组组长',
      '张组长',
      '第2稿',
      '同意发布',
      // Every release: form, channel, text and link, the talking points version.
      '新闻通稿',
      '哈尔滨市市场监督管理局门户网站',
      RELEASE,
      'https://scjgj.harbin.gov.cn/notice/2026-001',
      '新闻发布会',
      '召开新闻发布会通报核查进展',
      '哈尔滨市场监管官方微博',
      // The digest, the closing, the review.
      '请组长阅示',
      '舆情平息,领导小组决定结束处置',
      '经验教训',
      '四个第一时间',
    ])
      expect(archive).toContain(compact(expected));
    // Each version with its author and time, in the order written.
    expect(archive).toMatch(
      /拟订回应口径第1稿拟稿:[^稿]*王舆情\d{4}\/\d{2}\/\d{2}\d{2}:\d{2}:\d{2}.*退回拟订回应口径:请补充封存和检测情况.*拟订回应口径第2稿拟稿:[^稿]*王舆情/,
    );

    const review = await pdfText(`/v1/incidents/${id}/review.pdf`);
    for (const expected of ['舆情处置总结评估', '起因', '冷冻肉品超过保质期', '性质', '影响', '责任', '已立案查处', '经验教训', LESSONS, '王舆情'])
      expect(review).toContain(compact(expected));
  });

  it('the JSON archive names each version, approval and release the PDF prints', async () => {
    const a = (await (await get(`/v1/incidents/${id}/archive`)).json()) as {
      writings: { taskKind: string; version: number; by: string; content: { text: string }[] }[];
      approvals: { taskKind: string; role: string; by: string; version: number | null }[];
      releases: { formLabel: string; channelName: string | null; talkingPointsVersion: number | null; by: string }[];
      review: { parts: { field: string; text: string }[] };
    };
    expect(a.writings.map((w) => [w.taskKind, w.version, w.content[0]!.text])).toEqual([
      ['talking_points_wording', 1, WORDING_V1],
      ['talking_points_wording', 2, WORDING_V2],
      ['response_plan', 1, PLAN],
    ]);
    expect(a.approvals.filter((p) => p.taskKind !== 'digest_signoff').map((p) => [p.taskKind, p.role, p.version, p.by])).toEqual([
      ['talking_points_approval', 'leader_in_charge', 2, expect.stringContaining('李分管')],
      ['talking_points_approval', 'leader', 2, expect.stringContaining('张组长')],
      ['response_plan_approval', 'leader', 1, expect.stringContaining('张组长')],
    ]);
    expect(a.releases.map((r) => [r.formLabel, r.channelName, r.talkingPointsVersion])).toEqual([
      ['新闻通稿', '哈尔滨市市场监督管理局门户网站', 2],
      ['新闻发布会', '哈尔滨市场监管官方微博', 2],
    ]);
    expect(a.review.parts.map((p) => p.field)).toEqual(['cause', 'nature', 'impact', 'responsibility', 'lessons']);
  });
});

describe('access and refusals', () => {
  it('the same access as the JSON: 401 without a key, 403 without the scope, 404 for another district and for an unknown incident', async () => {
    for (const doc of ['digest.pdf', 'archive.pdf', 'review.pdf']) {
      expect((await get(`/v1/incidents/${id}/${doc}`, null)).status).toBe(401);
      expect((await get(`/v1/incidents/${id}/${doc}`, keys.noScope)).status).toBe(403);
      const other = await get(`/v1/incidents/${id}/${doc}`, keys.daoli);
      expect(other.status).toBe(404);
      expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await get(`/v1/incidents/${UNKNOWN}/${doc}`)).status).toBe(404);
    }
    // The district the incident went to reads it.
    expect(await pdfText(`/v1/incidents/${id}/archive.pdf`, keys.nangang)).toContain('舆情处置档案');
  });

  it('without a Chinese font the documents answer 503 naming the Debian package, and the JSON still works', async () => {
    const config = loadConfig({ REPORTING_PUBLIC_URL: 'http://reporting.test', PDF_CJK_FONT: path.join(dir, 'no-such-font.ttc') });
    const app: App = createServer({ log: testLogger('reporting-no-font'), bodyLimit: config.BODY_LIMIT_BYTES });
    await app.register(reportingApp, { db: h.t.db, config, natsConnected: () => true, live: new LiveFeed(), liveWatching: () => true });
    try {
      const res = await app.inject({ url: `/v1/incidents/${id}/archive.pdf`, headers: { authorization: `Bearer ${keys.leader}` } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'cjk_font_missing', detail: expect.stringContaining('fonts-noto-cjk') });
      expect((await app.inject({ url: `/v1/incidents/${id}/archive`, headers: { authorization: `Bearer ${keys.leader}` } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('documents wait their turn on one thread: beyond those allowed to wait, 503 with Retry-After; a failing one fails alone; the next after is whole', async () => {
    const config = loadConfig({ REPORTING_PUBLIC_URL: 'http://reporting.test' });
    const archive = (await loadArchive(h.t.db, config, cachedUnitNames(h.t.db), id))!;
    const fonts = await findCjkFonts();
    const thread = pdfThread({ maxWaiting: 3 });
    try {
      // Two documents, one that cannot be made (a review without its parts), then two more than may wait.
      const asked = [
        thread.render(fonts, { kind: 'archive', data: archive }),
        thread.render(fonts, { kind: 'archive', data: archive }),
        thread.render(fonts, { kind: 'review', data: {} as Review }),
        thread.render(fonts, { kind: 'archive', data: archive }),
        thread.render(fonts, { kind: 'archive', data: archive }),
      ];
      const settled = await Promise.allSettled(asked);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
      for (const s of settled.slice(0, 2)) expect((s as PromiseFulfilledResult<Buffer>).value.subarray(0, 5).toString()).toBe('%PDF-');
      expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
      for (const s of settled.slice(3)) {
        const busy = (s as PromiseRejectedResult).reason as HttpProblem;
        expect(busy).toBeInstanceOf(HttpProblem);
        expect(busy.status).toBe(503);
        expect(busy.detail).toContain('文档生成繁忙');
        expect(busy.headers).toEqual({ 'retry-after': '5' });
      }
      // The thread carries on: the next document is whole, and reads back as the archive.
      const next = await thread.render(fonts, { kind: 'archive', data: archive });
      const file = path.join(dir, `thread-${Date.now()}.pdf`);
      writeFileSync(file, next);
      const { stdout } = await promisify(execFile)('pdftotext', ['-enc', 'UTF-8', file, '-']);
      expect(compact(stdout)).toContain(compact(RELEASE));

      // Data that cannot be copied to the thread is refused at once and holds no place among those waiting.
      const uncopyable = { ...archive, sign: () => 'x' } as unknown as Archive;
      for (let i = 0; i < 4; i++) await expect(thread.render(fonts, { kind: 'archive', data: uncopyable })).rejects.toThrow(/could not be cloned/);
      // Closed with a document in hand, and asked again at once: the old thread fails its own, the new one makes the next.
      const inHand = thread.render(fonts, { kind: 'archive', data: archive });
      const closing = thread.close();
      const after = thread.render(fonts, { kind: 'archive', data: archive });
      await closing;
      await expect(inHand).rejects.toThrow(/the PDF thread stopped/);
      expect((await after).subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await thread.close();
    }
  });
});
