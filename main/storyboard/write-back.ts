/**
 * Edits made in the app, saved back to the storyboard file. The previous version is kept beside it
 * first (`<name>.backup.<ext>`, replaced at each save), and the file is written to a temporary name
 * and renamed into place, so a crash leaves the old file or the new one, never half of one.
 *
 * - **CSV**: only the records that changed are written again; every other byte of the file (other
 *   rows, blank lines, line endings, quoting) stays as it was. A changed record keeps the file's
 *   delimiter, and a cell that was quoted stays quoted; cells are escaped by csv-stringify. The
 *   file keeps its encoding and byte-order mark (UTF-8, UTF-16, Windows-1252); text Windows-1252
 *   cannot hold is refused, naming the row, rather than written as "?".
 * - **XLSX**: written cell by cell with exceljs: the storyboard sheet's edited cells (numbers stay
 *   numbers), every other sheet (Style, Characters, ...) and cell kept. A workbook with parts
 *   exceljs does not keep (charts, pivot tables, macros, slicers) is never overwritten: the edits
 *   go to a copy (`<name>.edited.xlsx`) and the result says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { stringify } from 'csv-stringify/sync';
import { decodeText } from './read-csv';
import { listZipEntries } from './zip-guard';

/** One cell to write: its spreadsheet row (1 = the header) and 0-based column, and its new text. */
export interface CellEdit {
  row: number;
  column: number;
  value: string;
}

/** What a save did. */
export interface SaveResult {
  /** The file written (the storyboard, or a copy when it could not be kept whole). */
  file: string;
  /** The previous version, kept beside the storyboard (none when the edits went to a copy). */
  backup?: string;
  /** Why the edits went to a copy instead of the storyboard. */
  copyBecause?: string;
}

/** Thrown when the edits cannot be saved as asked; the message names the row and why. */
export class SaveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaveError';
  }
}

/** `<dir>/<base>.<tag><ext>` for a file `<dir>/<base><ext>`. */
function besideWith(file: string, tag: string): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}.${tag}${ext}`);
}

function writeAtomically(file: string, data: Buffer): void {
  const tmp = `${file}.part`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** The records of CSV text as [start, end) offsets (line breaks excluded), counted as the reader counts rows (blank lines too). */
function records(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && (c === 10 || c === 13)) {
      out.push({ start, end: i });
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
  }
  if (start < text.length) out.push({ start, end: text.length });
  return out;
}

/** The cells of one CSV record as written, and whether each was quoted. */
function quotedCells(raw: string, delimiter: string): boolean[] {
  const out: boolean[] = [];
  let atStart = true;
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (atStart) {
      out.push(c === '"');
      atStart = false;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === delimiter) atStart = true;
  }
  if (atStart) out.push(false);
  return out;
}

/** One record of cells as CSV text (no line break): csv-stringify escapes each cell; a cell quoted before stays quoted. */
function recordText(cells: string[], delimiter: string, wasQuoted: boolean[]): string {
  return cells.map((v, i) => stringify([[v]], { delimiter, quoted: wasQuoted[i] ?? false, record_delimiter: '\n' }).replace(/\n$/, '')).join(delimiter);
}

/**
 * Saves `rows` (the sheet's cells, row i at spreadsheet row `rowNumbers[i]`) of the CSV `file` for
 * the records in `changed` (spreadsheet row numbers). Throws SaveError when the file's encoding
 * cannot hold the new text, naming the row.
 */
export function saveCsv(file: string, rows: string[][], rowNumbers: number[], changed: Set<number>, delimiter: string): SaveResult {
  const bytes = fs.readFileSync(file);
  const { text, found } = decodeText(bytes);
  const recs = records(text);
  let out = '';
  let at = 0;
  for (const [k, r] of recs.entries()) {
    const row = k + 1;
    if (!changed.has(row)) continue;
    const i = rowNumbers.indexOf(row);
    if (i < 0) continue;
    out += text.slice(at, r.start) + recordText(rows[i], delimiter, quotedCells(text.slice(r.start, r.end), delimiter));
    at = r.end;
  }
  out += text.slice(at);
  let encoded: Buffer;
  if (found.encoding === 'utf8') encoded = Buffer.concat([found.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(out, 'utf8')]);
  else {
    encoded = iconv.encode(out, found.encoding, { addBOM: found.bom });
    if (found.encoding === 'win1252' && iconv.decode(encoded, 'win1252') !== out) {
      const bad = [...changed].find((row) => {
        const i = rowNumbers.indexOf(row);
        return i >= 0 && rows[i].some((c) => iconv.decode(iconv.encode(c, 'win1252'), 'win1252') !== c);
      });
      throw new SaveError(`row ${bad ?? '?'}: the storyboard is a Windows-1252 file, which cannot hold some of the new text; save it as "CSV UTF-8" in your spreadsheet, or change the text`);
    }
  }
  const backup = besideWith(file, 'backup');
  fs.copyFileSync(file, backup);
  writeAtomically(file, encoded);
  return { file, backup };
}

/** Parts of a workbook exceljs does not write back, by the folder or file that holds them. */
const UNKEPT_PARTS: [RegExp, string][] = [
  [/^xl\/charts\//, 'charts'],
  [/^xl\/pivotTables\//, 'pivot tables'],
  [/^xl\/pivotCache\//, 'pivot tables'],
  [/^xl\/vbaProject\.bin$/, 'macros'],
  [/^xl\/slicers\//, 'slicers'],
];

/** A cell's new value: a number where the cell held a number and the text is one, else the text. */
function cellValue(old: ExcelJS.CellValue, text: string): ExcelJS.CellValue {
  if (text === '') return null;
  if (typeof old === 'number' && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if ((old === null || old === undefined) && /^-?(0|[1-9]\d*)(\.\d+)?$/.test(text.trim()) && text.trim().length < 16) return Number(text);
  return text;
}

/**
 * Writes `edits` into the sheet `sheetName` of the XLSX `file` (other sheets and cells kept). A
 * workbook with parts exceljs does not keep is saved to a copy beside it instead, and the result
 * says which parts. Throws SaveError when the sheet is gone.
 */
export async function saveXlsx(file: string, sheetName: string | undefined, edits: CellEdit[]): Promise<SaveResult> {
  const bytes = fs.readFileSync(file);
  const names = listZipEntries(bytes).map((e) => e.name);
  const unkept = [...new Set(names.flatMap((name) => UNKEPT_PARTS.filter(([re]) => re.test(name)).map(([, what]) => what)))];
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const ws = sheetName ? wb.getWorksheet(sheetName) : wb.worksheets[0];
  if (!ws) throw new SaveError(`the workbook no longer has the sheet "${sheetName}"`);
  for (const e of edits) {
    const cell = ws.getRow(e.row).getCell(e.column + 1);
    cell.value = cellValue(cell.value, e.value);
  }
  const out = Buffer.from(await wb.xlsx.writeBuffer());
  if (unkept.length) {
    const copy = besideWith(file, 'edited');
    writeAtomically(copy, out);
    return { file: copy, copyBecause: `the workbook has ${unkept.join(', ')}, which would be lost if it were written again; the edits were saved to ${path.basename(copy)} and ${path.basename(file)} was left as it was` };
  }
  const backup = besideWith(file, 'backup');
  fs.copyFileSync(file, backup);
  writeAtomically(file, out);
  return { file, backup };
}
