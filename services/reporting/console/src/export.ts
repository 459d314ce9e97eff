// Lists and statistics as an Excel workbook (exceljs), loaded only when asked for.
import ExcelJS from 'exceljs';

export interface Sheet {
  readonly name: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export async function exportWorkbook(filename: string, sheets: readonly Sheet[]): Promise<void> {
  const book = new ExcelJS.Workbook();
  book.creator = '舆情应急处置平台';
  for (const s of sheets) {
    const ws = book.addWorksheet(s.name);
    ws.addRow([...s.columns]).font = { bold: true };
    for (const row of s.rows) ws.addRow([...row]);
    ws.columns.forEach((c) => (c.width = 18));
  }
  const buffer = await book.xlsx.writeBuffer();
  const url = URL.createObjectURL(new Blob([buffer], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
