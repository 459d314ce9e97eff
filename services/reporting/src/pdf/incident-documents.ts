import { durationText, FOUR_FIRST_LABELS, FOUR_FIRSTS, formatBeijing, TRUTH_LABELS, WRITTEN_TASK_KINDS } from '@yuqing/shared';
import type { composeArchive } from '../archive/archive';
import type { Digest } from '../digest/digest';
import type { Review } from '../review/review';
import type { LoadedCjkFonts } from './cjk-font';
import { PdfWriter } from './pdf-writer';

export type Archive = ReturnType<typeof composeArchive>;

const BEIJING = '(时间均为北京时间)';
const ISSUER = '市市场监督管理局舆情工作领导小组';

/** The digest's sections, shared by the digest's own PDF and the archive (same words as digest.html.ts). */
function digestSections(w: PdfWriter, d: Digest, n: (i: number) => string): void {
  const i = d.incident;
  w.heading(`${n(0)}、舆情概况`).facts([
    ['舆情等级', i.tierLabel],
    ['涉及领域', i.topicLabel],
    ['涉及区县', i.districtName],
    ['信息来源', i.source.outlet],
    ['发现时间', i.source.detectedAtLocal],
    ['接收时间', i.receivedAtLocal],
    ['原文链接', i.source.url],
  ]);
  if (i.summary) w.paragraphs(i.summary);
  w.heading(`${n(1)}、传播情况`).facts(i.metrics.map((m) => [m.label, m.value] as const));
  w.heading(`${n(2)}、研判与转办`).paragraphs(`研判为${d.assessment.tierLabel}${d.assessment.leadLabel ? `,${d.assessment.leadLabel}` : ''}。`);
  if (d.assessment.assignments.length) w.paragraphs(`已转办:${d.assessment.assignments.map((a) => `${a.unitName}(${a.roleLabel})`).join('、')}。`);
  if (d.assessment.notified.length) w.paragraphs(`链接同时送:${d.assessment.notified.join('、')}。`);
  w.heading(`${n(3)}、摘报内容`).paragraphs(d.text);
  w.heading(`${n(4)}、拟办意见`);
  if (d.proposal) w.paragraphs(d.proposal);
  else w.note('(未填写)');
  w.heading(`${n(5)}、签批`);
  if (d.signoff.length)
    w.table(
      ['签批角色', '签批人', '时间', '意见'],
      d.signoff.map((s) => [s.roleLabel, s.by, s.atLocal, s.comment]),
      [90, 130, 108, '*'],
    );
  else w.note('(待办公室主任签转)');
}

const CN_NUMBERS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二', '十三', '十四'];
const numbered =
  (offset = 0) =>
  (i: number) =>
    CN_NUMBERS[i + offset] ?? String(i + offset + 1);

/** 《舆情摘报》 as a printable PDF (A4): the same sections as the HTML page, and the handling so far. */
export async function renderDigestPdf(fonts: LoadedCjkFonts, d: Digest): Promise<Buffer> {
  const w = new PdfWriter(fonts, { title: `舆情摘报 · ${d.incident.title}`, subject: '舆情摘报', author: d.issuer });
  w.title('舆情摘报', [d.issuer, d.reference, d.preparedAtLocal]).subject(d.incident.title);
  digestSections(w, d, numbered());
  w.heading('七、处置进展').table(
    ['时间', '事项', '说明'],
    d.progress.map((p) => [p.occurredAtLocal, p.label, p.text]),
    [108, 78, '*'],
  );
  w.paragraphs(`拟稿:${d.preparedBy ?? '—'}`).footnote(BEIJING);
  return w.finish(`舆情摘报 · ${d.reference}`);
}

/** The five parts of a review, each under its own heading. */
function reviewParts(w: PdfWriter, r: Review, n: (i: number) => string): void {
  r.parts.forEach((p, i) => {
    w.heading(`${n(i)}、${p.label}`);
    if (p.text) w.paragraphs(p.text);
    else w.note('(未填写)');
  });
}

/** The post-incident review 总结评估 as a PDF: the incident, then 起因、性质、影响、责任、经验教训, and who wrote it. */
export async function renderReviewPdf(fonts: LoadedCjkFonts, r: Review): Promise<Buffer> {
  const w = new PdfWriter(fonts, { title: `总结评估 · ${r.title}`, subject: '舆情处置总结评估' });
  w.title('舆情处置总结评估', [ISSUER, `${r.incidentId.slice(0, 8)}`, r.atLocal]).subject(r.title);
  w.facts([
    ['舆情等级', r.tierLabel],
    ['涉及领域', r.topicLabel],
    ['涉及区县', r.districtName],
    ['接收时间', r.receivedAtLocal],
    ['结束时间', r.closedAtLocal],
    ['结束原因', r.closedReason],
    ['当前状态', r.statusLabel],
  ]);
  reviewParts(w, r, numbered());
  if (r.note) w.heading('六、备注').paragraphs(r.note);
  w.paragraphs(`评估:${r.by ?? '—'}    ${r.atLocal}`).footnote(BEIJING);
  return w.finish(`总结评估 · ${r.incidentId.slice(0, 8)}`);
}

/**
 * The handling archive record 舆情处置档案 (plan §7.4) as a printable PDF: the
 * incident, every version of the written work with its author and time, every
 * approval (role, person, time, version), every release (form, channel, text or
 * link, the talking points version), the reports, the alerts, the timeline, the
 * tasks, the digest, the review and the four firsts.
 */
export async function renderArchivePdf(fonts: LoadedCjkFonts, a: Archive): Promise<Buffer> {
  const i = a.incident;
  const w = new PdfWriter(fonts, { title: `舆情处置档案 · ${i.title}`, subject: '舆情处置档案', author: ISSUER });
  w.title('舆情处置档案', [ISSUER, `档案编号 ${i.id.slice(0, 8)}`, `生成于 ${formatBeijing(a.generatedAt)}`]).subject(i.title);

  w.heading('一、基本情况').facts([
    ['舆情等级', i.tierLabel],
    ['处置状态', i.statusLabel],
    ['涉及领域', i.topicLabel],
    ['涉及区县', i.districtName],
    ['信息来源', (i.source as { outlet?: string; platform?: string }).outlet ?? (i.source as { platform?: string }).platform ?? null],
    ['原文链接', (i.source as { url?: string }).url ?? null],
    ['接收时间', i.createdAtLocal],
    ['结束时间', i.closedAt ? formatBeijing(i.closedAt) : null],
    ['归档时间', i.archivedAt ? formatBeijing(i.archivedAt) : null],
    ['定级依据', i.assessment.reasons.map((r) => r.label).join(';')],
    ['情形标记', i.flagLabels.join('、')],
    ['执行策略', i.policyVersion],
  ]);
  if (i.summary) w.paragraphs(i.summary);

  w.heading('二、书面材料各稿(回应口径、回应方案)');
  // Versions and returns in the order they happened: a return explains the version after it.
  const written = [
    ...a.writings.map((x) => ({ at: x.at, writing: x })),
    ...a.returns.filter((r) => WRITTEN_TASK_KINDS.includes(r.taskKind)).map((x) => ({ at: x.at, returned: x })),
  ].sort((x, y) => x.at.localeCompare(y.at));
  if (written.length === 0) w.note('(无)');
  for (const item of written) {
    if ('returned' in item) {
      w.note(`退回${item.returned.taskLabel}:${item.returned.reason}(${item.returned.by ?? '—'},${item.returned.atLocal})`);
      continue;
    }
    const wr = item.writing;
    w.subheading(`${wr.taskLabel}${wr.version ? ` 第${wr.version}稿` : ''}    拟稿:${wr.by ?? '—'}    ${wr.atLocal}`);
    for (const c of wr.content) w.paragraphs(wr.content.length > 1 ? `${c.label}:${c.text}` : c.text);
  }

  w.heading('三、审批记录').table(
    ['审批事项', '审批角色', '审批人', '审批时间', '稿次', '意见'],
    a.approvals.map((p) => [p.taskLabel, p.roleLabel, p.by, p.atLocal, p.version ? `第${p.version}稿` : null, p.comment]),
    [80, 74, '*', 104, 40, 70],
  );

  w.heading('四、信息发布').table(
    ['发布时间', '形式', '渠道', '内容及链接', '口径稿次', '发布人'],
    a.releases.map((r) => [
      r.atLocal,
      r.formLabel,
      r.channelName,
      [r.summary, r.url].filter(Boolean).join('\n'),
      r.talkingPointsVersion ? `第${r.talkingPointsVersion}稿` : null,
      r.by,
    ]),
    [104, 52, 70, '*', 40, 76],
  );
  for (const r of a.releases.filter((r) => r.approvals.length))
    w.note(`${r.atLocal} 发布所依据的口径审定:${r.approvals.map((p) => `${p.roleLabel} ${p.by ?? '—'} ${formatBeijing(p.at)}`).join(';')}`);

  w.heading('五、调查处置反馈');
  if (a.reports.length === 0) w.note('(无)');
  for (const r of a.reports) {
    const f = r.findings;
    w.subheading(`${r.unitName ?? r.unitId} ${r.kindLabel}  ${r.atLocal}`).facts([
      ['是否属实', TRUTH_LABELS[f.truth]],
      ['核查情况', f.whatHappened],
      ['履职问题', f.dutyFailure.found ? (f.dutyFailure.detail ?? '有') : '未发现'],
      ['违法违规', f.violation.found ? (f.violation.detail ?? '有') : '未发现'],
      ['处置方式', r.dispositions.map((d) => d.label).join('、')],
      ['处置措施', r.measures],
      ['处置结果', r.result],
    ]);
  }

  w.heading('六、超时预警与督办').table(
    ['预警时间', '类别', '事项', '责任单位', '超时'],
    a.alerts.map((x) => [x.raisedAtLocal, x.kindLabel, x.taskLabel, x.unitName ?? x.ownerLabel, x.lateMs === null ? null : durationText(x.lateMs)]),
    [104, 64, 110, '*', 60],
  );

  w.heading('七、任务办理').table(
    ['任务', '承办', '状态', '期限', '完成时间'],
    a.tasks.map((t) => [
      t.label,
      t.unitName ?? t.ownerLabel,
      `${t.statusLabel}${t.overdue ? '(超时)' : ''}`,
      t.dueAtLocal,
      t.doneAt ? formatBeijing(t.doneAt) : t.cancelReason,
    ]),
    [110, '*', 50, 104, 104],
  );

  w.heading('八、“四个第一时间”');
  if (a.fourFirsts) {
    const delays = a.fourFirsts.delaysMs;
    w.table(
      ['环节', '自接收起用时'],
      FOUR_FIRSTS.map((f) => [FOUR_FIRST_LABELS[f], delays[f] === null ? '未达到或不适用' : durationText(delays[f])]),
      [200, '*'],
    );
  } else w.note('(无)');

  w.heading('九、舆情摘报');
  if (a.digest) digestSections(w, a.digest, (k) => `(${CN_NUMBERS[k]})`);
  else w.note('(未形成)');

  w.heading('十、总结评估');
  if (a.review) {
    reviewParts(w, a.review, (k) => `(${CN_NUMBERS[k]})`);
    w.paragraphs(`评估:${a.review.by ?? '—'}    ${a.review.atLocal}`);
  } else w.note('(未完成)');

  w.heading('十一、处置时间线').table(
    ['时间', '事项', '说明'],
    a.timeline.map((e) => [e.occurredAtLocal, e.label, e.text]),
    [108, 74, '*'],
  );
  w.footnote(BEIJING);
  return w.finish(`舆情处置档案 · ${i.id.slice(0, 8)}`);
}
