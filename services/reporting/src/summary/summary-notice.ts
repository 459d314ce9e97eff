import { displayText, type NoticeMessage, type NoticeRecipient, type SummaryFigures } from '@yuqing/shared';

/** Markdown characters made inert (unit names come from the directory, which people edit). */
const inert = (text: string) =>
  displayText(text).replace(/[\\`*_{}[\]()#+\-.!|<>~&@:=\r\n]/g, (c) => (c === '\r' || c === '\n' ? ' ' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)));

/**
 * The notification of a summary report to a leader: the headline figures and
 * the links to the report in the console and to its PDF (both on our own
 * public URL, behind sign-in).
 */
export function summaryNotice(r: { reportId: string; kindLabel: string; figures: SummaryFigures; to: NoticeRecipient; reportingUrl: string }): NoticeMessage {
  const f = r.figures;
  const base = r.reportingUrl.replace(/\/+$/, '');
  const page = `${base}/console/reports?report=${r.reportId}`;
  const pdf = `${base}/v1/summary-reports/${r.reportId}.pdf`;
  const tiers = f.incidents.byTier.filter((t) => t.count > 0).map((t) => `${t.label} ${t.count} 起`);
  const lines = [
    `统计时段:${f.period.fromLocal} 至 ${f.period.toLocal}`,
    `接收舆情 ${f.incidents.total} 起${tiers.length ? `(${tiers.join('、')})` : ''}`,
    `仍在处置 ${f.open.incidents} 起,其中超时 ${f.open.overdueIncidents} 起;超时未办结事项 ${f.open.overdueTasks} 项`,
    ...(f.lapsesByUnit.length
      ? [
          `超时最多:${f.lapsesByUnit
            .slice(0, 3)
            .map((u) => `${u.unitName} ${u.lapses} 次`)
            .join('、')}`,
        ]
      : []),
  ];
  const title = `【${r.kindLabel}】${f.period.toLocal.slice(0, 10)}`;
  return {
    title,
    text: [...lines, `报告:${page}`, `PDF:${pdf}`].join('\n'),
    markdown: [`### ${inert(title)}`, ...lines.map((l) => `> ${inert(l)}`), `[查看报告](${page})  [下载 PDF](${pdf})`].join('\n'),
    to: r.to,
    links: { timeline: page, tasks: `${base}/console/tasks?unit=${encodeURIComponent(r.to.unitId)}`, document: pdf },
  };
}
