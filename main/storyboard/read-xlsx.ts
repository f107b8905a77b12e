/**
 * Reads an XLSX storyboard into raw rows with exceljs.
 *
 * Before exceljs sees the file, {@link guardXlsx} checks the zip (declared sizes, entry count,
 * bounded inflation, worksheet size, merged ranges), so a zip bomb or a hostile workbook is refused
 * without being inflated. Old .xls workbooks, OpenDocument (.ods) files and zips that are not Excel
 * workbooks are named as such.
 *
 * Takes the first visible worksheet other than `Style` and `Characters` (which describe the film's
 * look and are returned beside it: see style.ts) (hidden sheets are skipped with a warning; when the visible sheet
 * is empty and a hidden one has data, that is an error naming the hidden sheet). Numbers keep their
 * computed value, formulas give their cached result (the value Excel shows), rich text and
 * hyperlinks give their text, dates give ISO text. Error values (#REF!, #DIV/0!, #N/A, ...) and
 * formulas without a computed value are reported as cell problems with their row and column.
 * Merged cells give every cell of the merge the merged value (with a warning naming the ranges).
 */
import ExcelJS from 'exceljs';
import type { RawSheet } from './raw-sheet';
import { guardXlsx, looksLikeZip, ZipRefusedError } from './zip-guard';
import { RESULTS_OF_KEYWORD } from './raw-sheet';

/** The first bytes of an OLE2 compound file: Excel 97-2003 .xls (also .doc, .msg). */
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Converts one exceljs cell value to the text a creator sees in Excel; errors are returned separately. */
export function cellText(value: ExcelJS.CellValue): { text: string; error?: string } {
  if (value === null || value === undefined) return { text: '' };
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'number') return { text: Number.isFinite(value) ? String(value) : '' };
  if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE' };
  if (value instanceof Date) {
    // A time without a date (a cell typed "0:05") sits on Excel's day zero, 1899-12-30/31 or
    // 1900-01-00: show it as the time the creator typed, not as an ISO date of 1899.
    if (value.getUTCFullYear() < 1900 || (value.getUTCFullYear() === 1900 && value.getUTCMonth() === 0 && value.getUTCDate() === 1)) {
      const p2 = (n: number) => String(n).padStart(2, '0');
      return { text: `${value.getUTCHours()}:${p2(value.getUTCMinutes())}:${p2(value.getUTCSeconds())}` };
    }
    return { text: value.toISOString() };
  }
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
  const fatal = (message: string): RawSheet => ({ rows: [], rowNumbers: [], warnings, fatal: { row: 0, message } });
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(OLE2)) {
    return fatal('this is an old Excel 97-2003 workbook (.xls), not .xlsx; open it in Excel and "Save As" Excel Workbook (.xlsx) or CSV UTF-8');
  }
  if (!looksLikeZip(bytes)) return fatal('not a readable XLSX workbook: the file is not a zip archive (an .xlsx is one); save it again from Excel as .xlsx, or as CSV');
  let load: Buffer;
  try {
    const guarded = guardXlsx(bytes);
    if (guarded.mimetype?.startsWith('application/vnd.oasis.opendocument')) {
      return fatal('this is an OpenDocument file (.ods), not an Excel workbook; in LibreOffice use "Save As" Excel 2007-365 (.xlsx) or CSV');
    }
    if (!guarded.names.some((n) => n.replace(/^\//, '') === 'xl/workbook.xml')) {
      return fatal('not a readable XLSX workbook: this is a zip archive without xl/workbook.xml (another kind of file renamed .xlsx?)');
    }
    load = guarded.bytes;
  } catch (err) {
    if (err instanceof ZipRefusedError) return fatal(err.message);
    throw err;
  }
  try {
    await wb.xlsx.load(load as unknown as ArrayBuffer);
  } catch (err) {
    return fatal(`not a readable XLSX workbook: its contents are damaged or incomplete (${(err as Error).message}); open it in Excel and save it again`);
  }
  // The sheets that describe the film's look (style.ts) are read beside the storyboard, never as it.
  const lookSheet = (name: string) => wb.worksheets.find((w) => w.name.trim().toLowerCase() === name);
  const styleSheet = lookSheet('style');
  const charactersSheet = lookSheet('characters');
  const isLook = (w: ExcelJS.Worksheet) => w === styleSheet || w === charactersSheet;
  const visible = wb.worksheets.filter((ws) => (ws.state === 'visible' || ws.state === undefined) && !isLook(ws));
  const hidden = wb.worksheets.filter((ws) => !visible.includes(ws) && !isLook(ws));
  if (hidden.length > 0) warnings.push(`hidden sheet(s) skipped: ${hidden.map((w) => w.name).join(', ')}`);
  if (visible.length === 0) {
    return fatal(`the workbook has no visible worksheet${hidden.length ? ` (hidden: ${hidden.map((w) => `"${w.name}"`).join(', ')}); unhide the storyboard sheet` : ''}`);
  }
  // The first visible sheet with data (an empty cover sheet in front is skipped with a warning).
  const ws = visible.find(hasData);
  if (!ws) {
    const withData = hidden.filter(hasData);
    if (withData.length > 0) {
      return fatal(`the visible sheet "${visible[0].name}" is empty; the shots are in hidden sheet ${withData.map((w) => `"${w.name}"`).join(', ')}: unhide it (right-click a sheet tab, Unhide) or move the shots to a visible sheet`);
    }
    return fatal(`the workbook's sheet "${visible[0].name}" is empty: expected a header row (shot, prompt, duration, ...) and one row per shot`);
  }
  if (ws !== visible[0]) warnings.push(`sheet(s) ${visible.slice(0, visible.indexOf(ws)).map((w) => `"${w.name}"`).join(', ')} empty; read "${ws.name}"`);
  const others = visible.filter((w) => w !== ws && visible.indexOf(w) > visible.indexOf(ws));
  if (others.length > 0) warnings.push(`only the sheet "${ws.name}" was read; other sheets: ${others.map((w) => w.name).join(', ')}`);
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  const cellIssues: NonNullable<RawSheet['cellIssues']> = [];
  // The merged ranges, from exceljs's index (ws.model would copy every row of the sheet to list them).
  const mergeIndex = (ws as unknown as { _merges?: Record<string, { range?: string }> })._merges;
  const merges = mergeIndex ? Object.values(mergeIndex).map((m) => String(m.range)) : ((ws.model as { merges?: string[] }).merges ?? []);
  if (merges.length > 0) warnings.push(`merged cells (${merges.slice(0, 3).join(', ')}${merges.length > 3 ? ', ...' : ''}): each cell of a merge takes the merged value`);
  const out = { rows, rowNumbers, cellIssues };
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => readRow(row, rowNumber, out));
  const lookRows = (w: ExcelJS.Worksheet | undefined) => {
    if (!w) return undefined;
    const out: { cells: string[]; row: number }[] = [];
    w.eachRow({ includeEmpty: false }, (row, row1) => {
      const cells: string[] = [];
      for (let c = 1; c <= Math.max(row.cellCount, 0); c++) cells.push(cellText(row.getCell(c).value).text);
      out.push({ cells, row: row1 });
    });
    return out;
  };
  const lookSheets = styleSheet || charactersSheet ? { style: lookRows(styleSheet), characters: lookRows(charactersSheet) } : undefined;
  // A results workbook names the project it was written from (main/report/export-xlsx.ts).
  const kw = wb.keywords ?? '';
  const resultsOf = kw.startsWith(RESULTS_OF_KEYWORD) ? kw.slice(RESULTS_OF_KEYWORD.length) : undefined;
  return { rows, rowNumbers, warnings, cellIssues, sheetName: ws.name, lookSheets, ...(resultsOf ? { resultsOf } : {}) };
}

/** True when a worksheet has a cell with text or an error value (stops at the first). */
function hasData(w: ExcelJS.Worksheet): boolean {
  for (let r = 1; r <= w.rowCount; r++) {
    const row = w.findRow(r);
    if (!row) continue;
    for (let c = 1; c <= Math.max(row.cellCount, 0); c++) {
      const { text, error } = cellText(row.getCell(c).value);
      if (text.trim() !== '' || error !== undefined) return true;
    }
  }
  return false;
}

/**
 * Reads one worksheet row's cells as text into `out` (a row of blank cells is skipped; an error
 * value is a cell issue naming the row and column). A module function rather than a closure made
 * per workbook, so its compiled code is kept from one import to the next.
 */
function readRow(row: ExcelJS.Row, rowNumber: number, out: { rows: string[][]; rowNumbers: number[]; cellIssues: NonNullable<RawSheet['cellIssues']> }): void {
  const cells: string[] = [];
  let errorColumns: Set<number> | undefined;
  const count = Math.max(row.cellCount, 0);
  for (let c = 1; c <= count; c++) {
    const value = row.getCell(c).value;
    // Text and numbers, nearly every cell of a storyboard, without cellText's answer object.
    if (typeof value === 'string') {
      cells.push(value);
      continue;
    }
    if (typeof value === 'number' && Number.isFinite(value)) {
      cells.push(String(value));
      continue;
    }
    const { text, error } = cellText(value);
    cells.push(text);
    if (error) {
      (errorColumns ??= new Set()).add(c - 1);
      out.cellIssues.push({ row: rowNumber, columnIndex: c - 1, message: error.startsWith('#') ? `cell holds an error value: ${error}` : error });
    }
  }
  // Trailing empty cells (formatted but blank) are dropped; cells holding an error value are kept.
  while (cells.length > 0 && cells[cells.length - 1] === '' && !errorColumns?.has(cells.length - 1)) cells.pop();
  if (!errorColumns && cells.every((t) => t.trim() === '')) return;
  out.rows.push(cells);
  out.rowNumbers.push(rowNumber);
}
