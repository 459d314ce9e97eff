import PDFDocument from 'pdfkit';
import { displayText } from '@yuqing/shared';
import type { LoadedCjkFonts } from './cjk-font';

/** A cell's text: null and empty print as a dash, so a blank is visibly blank. */
export type Cell = string | number | null | undefined;

const REGULAR = 'cjk';
const BOLD = 'cjk-bold';
const INK = '#1f1f1f';
const MUTED = '#595959';
const RULE = '#8c8c8c';

/** Text as printed: outside text reads as written (no bidi overrides), blanks as a dash. */
const show = (value: Cell): string => {
  const text = displayText(String(value ?? '')).trim();
  return text === '' ? '—' : text;
};

/**
 * The bureau's printed documents (A4, official-document layout) on pdfkit:
 * a title block, numbered sections, label/value tables, tables that break
 * across pages, and page numbers. Every string goes
 * through here, in the CJK face: pdfkit's built-in faces have no Chinese.
 *
 * @example const w = new PdfWriter(fonts, { title: '舆情摘报' }); w.title('舆情摘报', ['…']); return w.finish();
 */
export class PdfWriter {
  private readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;

  constructor(fonts: LoadedCjkFonts, info: { readonly title: string; readonly subject?: string; readonly author?: string }) {
    this.doc = new PDFDocument({
      size: 'A4',
      // GB/T 9704 margins (37 mm top, 28 mm left, 26 mm right, 35 mm bottom), a little tighter for tables.
      margins: { top: 72, bottom: 72, left: 68, right: 62 },
      bufferPages: true,
      lang: 'zh-CN',
      displayTitle: true,
      info: {
        Title: info.title,
        ...(info.subject ? { Subject: info.subject } : {}),
        ...(info.author ? { Author: info.author } : {}),
        Creator: '舆情应急处置平台',
      },
    });
    this.doc.on('data', (c: Buffer) => this.chunks.push(c));
    this.done = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
    // pdfkit takes a parsed fontkit face as it is (its types list only files and bytes).
    this.doc.registerFont(REGULAR, fonts.regular.font as unknown as PDFKit.Mixins.PDFFontSource);
    this.doc.registerFont(BOLD, fonts.bold.font as unknown as PDFKit.Mixins.PDFFontSource);
    this.doc.font(REGULAR).fontSize(10.5).fillColor(INK);
  }

  private get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get left(): number {
    return this.doc.page.margins.left;
  }

  /** Starts a new page when less than `height` points are left on this one. */
  private keep(height: number): void {
    if (this.doc.y + height > this.doc.page.height - this.doc.page.margins.bottom) this.doc.addPage();
  }

  /** The document's title, centred, with its meta line (issuer, reference, time) and a rule. */
  title(text: string, meta: readonly Cell[] = []): this {
    const d = this.doc;
    d.font(BOLD).fontSize(20).fillColor('#a8071a').text(show(text), this.left, d.y, { align: 'center', width: this.width });
    d.moveDown(0.4);
    const line = meta.filter((m) => m !== null && m !== undefined && m !== '').map(show);
    if (line.length) d.font(REGULAR).fontSize(10).fillColor(MUTED).text(line.join('    '), { align: 'center', width: this.width });
    d.moveDown(0.3);
    d.moveTo(this.left, d.y)
      .lineTo(this.left + this.width, d.y)
      .lineWidth(1.2)
      .strokeColor('#a8071a')
      .stroke();
    d.moveDown(0.8);
    d.font(REGULAR).fontSize(10.5).fillColor(INK);
    return this;
  }

  /** The subject line under the title (the incident's title). */
  subject(text: string): this {
    this.doc.font(BOLD).fontSize(14).fillColor(INK).text(show(text), this.left, this.doc.y, { align: 'center', width: this.width });
    this.doc.moveDown(0.6);
    this.doc.font(REGULAR).fontSize(10.5);
    return this;
  }

  /** A section heading (一、二、…); kept with at least a few lines of what follows. */
  heading(text: string): this {
    this.keep(60);
    this.doc.moveDown(0.4);
    this.doc.font(BOLD).fontSize(12.5).fillColor(INK).text(show(text), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3);
    this.doc.font(REGULAR).fontSize(10.5);
    return this;
  }

  /** A smaller heading inside a section. */
  subheading(text: string): this {
    this.keep(40);
    this.doc.moveDown(0.2);
    this.doc.font(BOLD).fontSize(11).fillColor(INK).text(show(text), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.15);
    this.doc.font(REGULAR).fontSize(10.5);
    return this;
  }

  /** Paragraphs, one per line of `text`, indented two characters as Chinese prose is. */
  paragraphs(text: Cell, options: { readonly muted?: boolean } = {}): this {
    const lines = show(text)
      .split(/\n+/)
      .map((l) => l.trim())
      .filter(Boolean);
    this.doc
      .font(REGULAR)
      .fontSize(10.5)
      .fillColor(options.muted ? MUTED : INK);
    for (const line of lines) this.doc.text(line, this.left, this.doc.y, { width: this.width, indent: 21, lineGap: 3, paragraphGap: 4 });
    this.doc.fillColor(INK);
    return this;
  }

  /** A note in grey (「(未填写)」). */
  note(text: string): this {
    return this.paragraphs(text, { muted: true });
  }

  /** Label/value rows (概况): rows with an empty value are left out. */
  facts(rows: readonly (readonly [string, Cell])[]): this {
    const data = rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [show(k), show(v)] as const);
    if (data.length === 0) return this;
    this.doc.font(REGULAR).fontSize(10);
    this.doc.table({
      position: { x: this.left, y: this.doc.y },
      columnStyles: [96, '*'],
      defaultStyle: { border: 0.5, borderColor: RULE, padding: [3, 5] },
      data: data.map(([k, v]) => [{ text: k, font: { src: BOLD }, backgroundColor: '#f5f5f5' }, v]),
    });
    this.doc.moveDown(0.5);
    this.doc.fontSize(10.5);
    return this;
  }

  /** A table with a header row; `widths` in points, '*' takes the rest. */
  table(header: readonly string[], rows: readonly (readonly Cell[])[], widths: readonly (number | '*')[]): this {
    if (rows.length === 0) return this.note('(无)');
    this.keep(40);
    this.doc.font(REGULAR).fontSize(9.5);
    this.doc.table({
      position: { x: this.left, y: this.doc.y },
      columnStyles: [...widths],
      defaultStyle: { border: 0.5, borderColor: RULE, padding: [3, 4] },
      data: [header.map((h) => ({ text: show(h), type: 'TH' as const, font: { src: BOLD }, backgroundColor: '#f0f0f0' })), ...rows.map((r) => r.map(show))],
    });
    this.doc.moveDown(0.5);
    this.doc.fontSize(10.5);
    return this;
  }

  /** A line of small grey text, e.g. 「时间均为北京时间」. */
  footnote(text: string): this {
    this.doc.moveDown(0.5);
    this.doc.font(REGULAR).fontSize(9).fillColor(MUTED).text(show(text), this.left, this.doc.y, { width: this.width });
    this.doc.fillColor(INK).fontSize(10.5);
    return this;
  }

  /** Page numbers on every page (第 n 页 共 m 页), then the file's bytes. */
  async finish(footer: string): Promise<Buffer> {
    const d = this.doc;
    const range = d.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      d.switchToPage(i);
      // Writing inside the bottom margin would otherwise start a new page.
      const bottom = d.page.margins.bottom;
      d.page.margins.bottom = 0;
      d.font(REGULAR)
        .fontSize(8.5)
        .fillColor(MUTED)
        .text(`${show(footer)}    第 ${i - range.start + 1} 页 共 ${range.count} 页`, d.page.margins.left, d.page.height - 44, {
          align: 'center',
          width: d.page.width - d.page.margins.left - d.page.margins.right,
          lineBreak: false,
        });
      d.page.margins.bottom = bottom;
    }
    d.end();
    return this.done;
  }
}
