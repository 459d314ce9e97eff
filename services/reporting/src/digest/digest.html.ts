import { displayText } from '@yuqing/shared';
import type { Digest } from './digest';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML: everything in a digest comes from outside (posts, titles, notes), and reads as written (no bidi overrides). */
export function escapeHtml(value: string | number | null | undefined): string {
  return displayText(String(value ?? '')).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const paragraphs = (text: string | null) =>
  (text ?? '')
    .split(/\n+/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => `<p>${escapeHtml(line)}</p>`)
    .join('\n');

/**
 * The digest as a printable page (A4, official-document layout). Styles come
 * from the console's `digest.css`, so the page obeys the same strict CSP (no
 * inline styles or scripts). The console shows the same markup inside itself.
 */
export function renderDigestHtml(d: Digest): string {
  const i = d.incident;
  const rows = (pairs: [string, string | null][]) =>
    pairs
      .filter(([, v]) => v !== null && v !== '')
      .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
      .join('\n');
  // Intake accepts only http(s) links; checked again so that no other scheme becomes a link.
  const sourceLink = /^https?:\/\//i.test(i.source.url)
    ? `<a href="${escapeHtml(i.source.url)}" rel="noreferrer noopener">${escapeHtml(i.source.url)}</a>`
    : '';

  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>舆情摘报 · ${escapeHtml(i.title)}</title>
<link rel="stylesheet" href="/console/digest.css">
</head>
<body class="digest-page">
<article class="digest" data-incident-id="${escapeHtml(d.incidentId)}">
<header class="digest-head">
<h1>舆情摘报</h1>
<div class="digest-meta"><span>${escapeHtml(d.issuer)}</span><span>${escapeHtml(d.reference)}</span><span>${escapeHtml(d.preparedAtLocal)}</span></div>
</header>
<h2 class="digest-title">${escapeHtml(i.title)}</h2>
<section>
<h3>一、舆情概况</h3>
<table class="digest-facts">
${rows([
  ['舆情等级', i.tierLabel],
  ['涉及领域', i.topicLabel],
  ['涉及区县', i.districtName],
  ['信息来源', i.source.outlet],
  ['发现时间', i.source.detectedAtLocal],
  ['接收时间', i.receivedAtLocal],
])}
<tr><th>原文链接</th><td>${sourceLink}</td></tr>
</table>
${paragraphs(i.summary)}
</section>
<section>
<h3>二、传播情况</h3>
<table class="digest-facts">
${rows(i.metrics.map((m) => [m.label, m.value]))}
</table>
</section>
<section>
<h3>三、研判与转办</h3>
<p>研判为${escapeHtml(d.assessment.tierLabel)}${d.assessment.leadLabel ? `,${escapeHtml(d.assessment.leadLabel)}` : ''}。</p>
${d.assessment.assignments.length ? `<p>已转办:${escapeHtml(d.assessment.assignments.map((a) => `${a.unitName}(${a.roleLabel})`).join('、'))}。</p>` : ''}
${d.assessment.notified.length ? `<p>链接同时送:${escapeHtml(d.assessment.notified.join('、'))}。</p>` : ''}
</section>
<section>
<h3>四、摘报内容</h3>
${paragraphs(d.text)}
</section>
<section>
<h3>五、拟办意见</h3>
${d.proposal ? paragraphs(d.proposal) : '<p class="digest-none">(未填写)</p>'}
</section>
<section>
<h3>六、签批</h3>
${
  d.signoff.length
    ? `<ul>${d.signoff.map((s) => `<li>${escapeHtml(s.roleLabel)} ${escapeHtml(s.by ?? '')} ${escapeHtml(s.atLocal)}${s.comment ? `:${escapeHtml(s.comment)}` : ''}</li>`).join('')}</ul>`
    : '<p class="digest-none">(待办公室主任签转)</p>'
}
</section>
<section>
<h3>七、处置进展</h3>
<ol class="digest-progress">
${d.progress.map((p) => `<li><time>${escapeHtml(p.occurredAtLocal)}</time> ${escapeHtml(p.text)}</li>`).join('\n')}
</ol>
</section>
<footer class="digest-foot"><span>拟稿:${escapeHtml(d.preparedBy ?? '')}</span><span>(时间均为北京时间)</span></footer>
</article>
</body>
</html>
`;
}
