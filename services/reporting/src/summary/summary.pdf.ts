import { durationText, type SummaryFigures } from '@yuqing/shared';
import type { LoadedCjkFonts } from '../pdf/cjk-font';
import { PdfWriter } from '../pdf/pdf-writer';

const ISSUER = '市市场监督管理局舆情管理办公室';

/** The summary report (舆情日报/周报) as a printable PDF: the period's figures in five sections. */
export async function renderSummaryPdf(
  fonts: LoadedCjkFonts,
  r: { title: string; kindLabel: string; figures: SummaryFigures; createdAtLocal: string },
): Promise<Buffer> {
  const f = r.figures;
  const w = new PdfWriter(fonts, { title: r.title, subject: r.kindLabel, author: ISSUER });
  w.title(r.kindLabel, [ISSUER, `${f.period.fromLocal} 至 ${f.period.toLocal}`, `生成于 ${r.createdAtLocal}`]);

  w.heading('一、总体情况').paragraphs(
    `本期共接收舆情 ${f.incidents.total} 起,其中${
      f.incidents.byTier
        .filter((t) => t.count > 0)
        .map((t) => `${t.label} ${t.count} 起`)
        .join('、') || '无分级舆情'
    }。截至报告生成时,仍在处置 ${f.open.incidents} 起,其中超时 ${f.open.overdueIncidents} 起;超时未办结事项 ${f.open.overdueTasks} 项。`,
  );
  w.table(
    ['舆情等级', '起数'],
    f.incidents.byTier.map((t) => [t.label, t.count]),
    [200, '*'],
  );
  w.table(
    ['处置状态', '起数'],
    f.incidents.byStatus.map((t) => [t.label, t.count]),
    [200, '*'],
  );

  w.heading('二、按区县').table(
    ['区县', '起数'],
    f.incidents.byDistrict.map((d) => [d.label, d.count]),
    [200, '*'],
  );
  w.heading('三、按领域').table(
    ['涉及领域', '起数'],
    f.incidents.byTopic.map((t) => [t.label, t.count]),
    [200, '*'],
  );

  w.heading('四、超时与督办(按责任单位)').table(
    ['责任单位', '超时次数', '仍未办结', '督办升级'],
    f.lapsesByUnit.map((u) => [u.unitName, u.lapses, u.unresolved, u.escalations]),
    ['*', 70, 70, 70],
  );

  w.heading('五、“四个第一时间”').table(
    ['环节', '应达', '已达', '未达', '中位用时', '90%用时'],
    f.fourFirsts.map((x) => [
      x.label,
      x.applicable,
      x.reached,
      x.pending,
      x.p50Ms === null ? null : durationText(x.p50Ms),
      x.p90Ms === null ? null : durationText(x.p90Ms),
    ]),
    ['*', 44, 44, 44, 70, 70],
  );
  w.footnote('统计口径:本期接收的舆情;“仍在处置”“超时”为报告生成时的情况。时间均为北京时间。');
  return w.finish(r.title);
}
