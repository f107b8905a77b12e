/**
 * Reads an XLSX storyboard into raw rows with exceljs.
 *
 * Takes the first visible worksheet (hidden sheets are skipped with a warning). Numbers keep their
 * computed value, formulas give their cached result (the value Excel shows), rich text and
 * hyperlinks give their text, dates give ISO text. Error values (#REF!, #DIV/0!, ...) are reported
 * as cell problems with their row and column.
 */
import ExcelJS from 'exceljs';
import type { RawSheet } from './raw-sheet';

/** Converts one exceljs cell value to the text a creator sees in Excel; errors are returned separately. */
export function cellText(value: ExcelJS.CellValue): { text: string; error?: string } {
  if (value === null || value === undefined) return { text: '' };
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'number') return { text: Number.isFinite(value) ? String(value) : '' };
  if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE' };
  if (value instanceof Date) return { text: value.toISOString() };
  if (typeof value === 'object') {
    const v = value as unknown as Record<string, unknown>;
    if ('error' in v && typeof v.error === 'string') return { text: '', error: v.error };
    if ('formula' in v || 'sharedFormula' in v) {
      const result = v.result as ExcelJS.CellValue | undefined;
      if (result === undefined) return { text: '', error: 'formula has no computed value (open and save the file in Excel first)' };
      return cellText(result);
    }
    if ('richText' in v && Array.isArray(v.richText)) return { text: (v.richText as { text: string }[]).map((r) => r.text).join('') };
    if ('text' in v && typeof v.text === 'string') return { text: v.text };
    if ('hyperlink' in v && typeof v.hyperlink === 'string') return { text: v.hyperlink };
  }
  return { text: String(value) };
}

/** Parses XLSX bytes into a {@link RawSheet}. A file that is not a readable workbook gives `fatal`. */
export async function readXlsx(bytes: Buffer): Promise<RawSheet> {
  const wb = new ExcelJS.Workbook();
  const warnings: string[] = [];
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (err) {
    return { rows: [], rowNumbers: [], warnings, fatal: { row: 0, message: `not a readable XLSX workbook (${(err as Error).message})` } };
  }
  const visible = wb.worksheets.filter((ws) => ws.state === 'visible' || ws.state === undefined);
  const hidden = wb.worksheets.filter((ws) => !visible.includes(ws));
  if (hidden.length > 0) warnings.push(`hidden sheet(s) skipped: ${hidden.map((w) => w.name).join(', ')}`);
  const ws = visible[0];
  if (!ws) return { rows: [], rowNumbers: [], warnings, fatal: { row: 0, message: 'the workbook has no visible worksheet' } };
  if (visible.length > 1) warnings.push(`only the first sheet "${ws.name}" was read; other sheets: ${visible.slice(1).map((w) => w.name).join(', ')}`);
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  const cellIssues: NonNullable<RawSheet['cellIssues']> = [];
  const merges = (ws.model as { merges?: string[] }).merges ?? [];
  if (merges.length > 0) warnings.push(`merged cells (${merges.slice(0, 3).join(', ')}${merges.length > 3 ? ', ...' : ''}): each cell of a merge takes the merged value`);
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    const count = Math.max(row.cellCount, 0);
    for (let c = 1; c <= count; c++) {
      const { text, error } = cellText(row.getCell(c).value);
      cells.push(text);
      if (error) cellIssues.push({ row: rowNumber, columnIndex: c - 1, message: `cell holds an error value: ${error}` });
    }
    if (cells.every((t) => t.trim() === '') && !cellIssues.some((i) => i.row === rowNumber)) return;
    rows.push(cells);
    rowNumbers.push(rowNumber);
  });
  return { rows, rowNumbers, warnings, cellIssues, sheetName: ws.name };
}
