/**
 * Storyboard import: a CSV or XLSX file becomes validated shots, or a complete list of problems.
 *
 * The import is atomic: callers must not enqueue anything from a storyboard whose `issues` contain
 * an error ({@link assertImportable} throws {@link StoryboardError} in that case).
 *
 * Hostile and broken files are bounded: the file size ({@link MAX_FILE_BYTES}), the XLSX zip
 * (zip-guard.ts: declared sizes and entry count checked before anything is inflated), the CSV
 * (read-csv.ts: cell size, rows, delimiters), columns per row ({@link MAX_COLUMNS}) and shots
 * ({@link MAX_SHOTS}) are all checked before per-cell work, and every refusal names the row and
 * column (or says it concerns the whole file).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mapHeaders, normaliseHeader, PROVIDER_COLUMNS, type ColumnMapping, type KnownColumn } from './columns';
import { StoryboardError, type StoryboardIssue } from './issues';
import type { RawSheet } from './raw-sheet';
import { MAX_COLUMNS, MAX_SHOTS } from './limits';
import { readCsv } from './read-csv';
import { readXlsx } from './read-xlsx';
import { sniffFormat } from './sniff-format';
import { applyLook, resolveLook, type Look, type LookOptions } from './style';
import { resolveContinuity } from './continuity';
import { checkCells, knownColumnName, MAX_SHOT_ID_CHARS, readShotRow, rowReader, SHOT_DEFAULTS } from './shot-row';
import type { Shot } from './shot';


/** Largest storyboard file read, in bytes (a bigger file is refused before parsing). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export { MAX_COLUMNS, MAX_SHOTS, MAX_SHOT_ID_CHARS, SHOT_DEFAULTS };


/** The result of reading a storyboard. */
export interface Storyboard {
  /** Absolute path of the file. */
  file: string;
  format: 'csv' | 'xlsx';
  /** SHA-256 of the file's bytes. */
  hash: string;
  /** Shots in film order. Present even when there are errors (for display); never enqueue then. */
  shots: Shot[];
  issues: StoryboardIssue[];
  mapping?: ColumnMapping;
  /** The film's style and characters when the storyboard or the command line gives any, with how many shots use each character. */
  look?: StoryboardLook;
  /** For a results workbook (`ltx-batch report --xlsx`), the project folder it was written from: it renders into that project as its storyboard did. */
  resultsOf?: string;
}

/** A storyboard's look (style.ts) and, per character, how many shots name it. */
export type StoryboardLook = Look & { uses: Record<string, number> };

/** True when the storyboard has at least one error. */
export function hasErrors(sb: Storyboard): boolean {
  return sb.issues.some((i) => i.severity === 'error');
}

/** Throws {@link StoryboardError} listing every error when the storyboard has any. */
export function assertImportable(sb: Storyboard): void {
  if (hasErrors(sb)) throw new StoryboardError(sb.file, sb.issues);
}

/**
 * Reads and validates a storyboard file (.csv, .tsv, .txt or .xlsx; the format is also sniffed
 * from the bytes). Never throws for bad content: problems are returned in `issues`.
 * Throws only when the file cannot be read at all (missing, unreadable).
 */
export async function importStoryboard(file: string, look: LookOptions = {}): Promise<Storyboard> {
  const { sheet, ...meta } = await readStoryboardSheet(file);
  return { ...meta, ...interpretSheet(sheet, path.dirname(meta.file), undefined, look) };
}

/**
 * Reads a storyboard file into raw rows without interpreting them (the UI keeps the sheet to
 * re-run {@link interpretSheet} after the creator edits the mapping or a cell).
 */
export async function readStoryboardSheet(file: string): Promise<{ file: string; format: 'csv' | 'xlsx'; hash: string; sheet: RawSheet }> {
  const abs = path.resolve(file);
  const st = fs.statSync(abs);
  const name = path.basename(abs);
  const ext = path.extname(abs).toLowerCase();
  const byName: 'csv' | 'xlsx' = ext === '.xlsx' || ext === '.xlsm' || ext === '.xls' ? 'xlsx' : 'csv';
  const refuse = (message: string, format = byName) => ({ file: abs, format, hash: '', sheet: { rows: [], rowNumbers: [], warnings: [], fatal: { row: 0, message } } });
  // A FIFO or device would block or never end; only regular files are read.
  if (!st.isFile()) return refuse(`${name} is not a regular file`);
  if (st.size > MAX_FILE_BYTES) {
    return refuse(`file is ${(st.size / 1048576).toFixed(0)} MB; storyboards larger than ${MAX_FILE_BYTES / 1048576} MB are not read`);
  }
  const bytes = fs.readFileSync(abs);
  const hash = crypto.createHash('sha256').update(bytes).digest('hex');
  // The bytes decide the format, not the name: a CSV saved as .xlsx is read as CSV, an XLSX named
  // .csv as XLSX (each with a warning), and a picture named .csv is refused as a whole.
  const sniffed = sniffFormat(bytes);
  if (sniffed.kind === 'binary') {
    return { ...refuse(`${name} is not a storyboard: it looks like ${sniffed.what}, not CSV text or an XLSX workbook; export the storyboard from your spreadsheet as CSV or XLSX`), hash };
  }
  const format: 'csv' | 'xlsx' = sniffed.kind === 'text' ? 'csv' : 'xlsx';
  const sheet = format === 'xlsx' ? await readXlsx(bytes) : readCsv(bytes);
  if (format === 'csv' && byName === 'xlsx' && bytes.length > 0) sheet.warnings.unshift(`${name} is a text (CSV) file, not an Excel workbook; read as CSV`);
  if (format === 'xlsx' && byName === 'csv' && sniffed.kind === 'zip') sheet.warnings.unshift(`${name} is an Excel workbook (XLSX), not CSV text; read as XLSX`);
  return { file: abs, format, hash, sheet };
}

/** A shot id that is a number ("12", "3.5"). */
const NUMERIC_ID = /^\d+(\.\d+)?$/;

/**
 * Puts shots in film order, in place, and numbers their `order` from 0: by number when every shot
 * id is a number (rows with equal numbers in row order), else in the order of the rows.
 */
function filmOrder(shots: Shot[]): void {
  const numbers = new Float64Array(shots.length);
  let sorted = true;
  for (let i = 0; i < shots.length; i++) {
    const id = shots[i].id;
    if (!NUMERIC_ID.test(id)) {
      sorted = true; // row order
      break;
    }
    numbers[i] = Number(id);
    if (i > 0 && numbers[i] < numbers[i - 1]) sorted = false;
  }
  if (!sorted) {
    const key = new Map(shots.map((s, i) => [s, numbers[i]]));
    shots.sort((a, b) => key.get(a)! - key.get(b)! || a.row - b.row);
  }
  for (let i = 0; i < shots.length; i++) shots[i].order = i;
}

/**
 * Turns raw rows into shots. Exported for the renderer's column-mapping screen, which re-runs it
 * with a mapping the creator edited.
 */
export function interpretSheet(
  sheet: RawSheet,
  storyboardDir: string,
  mappingOverride?: ColumnMapping,
  lookOptions: LookOptions = {},
): { shots: Shot[]; issues: StoryboardIssue[]; mapping?: ColumnMapping; look?: StoryboardLook; resultsOf?: string } {
  const issues: StoryboardIssue[] = sheet.warnings.map((message) => ({ severity: 'warning' as const, message }));
  if (sheet.fatal) {
    issues.push({ severity: 'error', row: sheet.fatal.row || undefined, column: sheet.fatal.column, message: sheet.fatal.message });
    return { shots: [], issues };
  }
  if (sheet.rows.length === 0) {
    issues.push({ severity: 'error', message: 'the storyboard is empty: expected a header row (shot, prompt, duration, ...) and one row per shot' });
    return { shots: [], issues };
  }
  // Bounds first, before any per-cell work: shots, then columns.
  const dataRows = sheet.rows.length - 1;
  if (dataRows > MAX_SHOTS) {
    issues.push({
      severity: 'error',
      row: sheet.rowNumbers[MAX_SHOTS + 1],
      message: `too many shots: this row is shot ${MAX_SHOTS + 1}, and a storyboard holds at most ${MAX_SHOTS}; split it into several storyboards`,
    });
    return { shots: [], issues };
  }
  for (let i = 0; i < sheet.rows.length; i++) {
    const cells = sheet.rows[i];
    if (cells.length <= MAX_COLUMNS) continue;
    let last = cells.length - 1;
    while (last >= MAX_COLUMNS && (cells[last] ?? '').trim() === '') last--;
    if (last >= MAX_COLUMNS) {
      issues.push({
        severity: 'error',
        row: sheet.rowNumbers[i],
        column: `column ${MAX_COLUMNS + 1}`,
        message: `row has ${last + 1} cells; at most ${MAX_COLUMNS} columns are read (a storyboard needs about 17); remove the extra columns`,
      });
      return { shots: [], issues };
    }
    sheet.rows[i] = cells.slice(0, MAX_COLUMNS);
  }
  const headers = sheet.rows[0].map((h) => h.trim());
  const mapping = mappingOverride ?? mapHeaders(headers);
  const headerRow = sheet.rowNumbers[0];
  const columnName = (idx: number) => headers[idx] || `column ${idx + 1}`;
  for (const d of mapping.duplicates) issues.push({ severity: 'error', row: headerRow, column: d.header, message: `duplicate column: "${d.header}" names ${d.column} again; remove or rename one of them` });
  if (mapping.known.prompt === undefined) issues.push({ severity: 'error', row: headerRow, column: 'prompt', message: 'no prompt column; the header row must name a "prompt" column' });
  const unknown = mapping.unknown.filter((u) => !(PROVIDER_COLUMNS as readonly string[]).includes(normaliseHeader(u.header)));
  if (unknown.length > 0) {
    const names = unknown.slice(0, 20).map((u) => u.header).join(', ');
    issues.push({ severity: 'warning', row: headerRow, message: `unknown column(s) kept as notes on each shot: ${names}${unknown.length > 20 ? `, and ${unknown.length - 20} more` : ''}` });
  }
  for (const ci of sheet.cellIssues ?? []) issues.push({ severity: ci.severity ?? 'error', row: ci.row, column: columnName(ci.columnIndex), message: ci.message });
  // Cell content rules that hold for every cell, the header included; then each row is read into
  // a shot by shot-row.ts (module functions made once, so their compiled code is kept).
  const reader = rowReader(headers, mapping, storyboardDir, sheet.noSuspiciousChars === true, issues);
  checkCells(reader, headers, headerRow, issues);
  if (dataRows === 0) issues.push({ severity: 'error', message: 'the storyboard has a header row but no shots' });
  const colName = (c: KnownColumn) => knownColumnName(reader, c);
  const shots: Shot[] = [];
  for (let i = 1; i < sheet.rows.length; i++) {
    const shot = readShotRow(reader, sheet.rows[i], i, sheet.rowNumbers[i]);
    if (shot) {
      shot.order = shots.length;
      shots.push(shot);
    }
  }
  // Film order: numeric shot ids sort numerically; otherwise the order of the rows.
  filmOrder(shots);
  // Continuity: `previous` resolved in film order; unknown shots and cycles are errors.
  for (const i of resolveContinuity(shots, colName('continue_from'))) issues.push(i);
  // The film's look: the workbook's Style and Characters sheets and the command line's options.
  const resolved = resolveLook(sheet.lookSheets, lookOptions);
  for (const i of resolved.issues) issues.push(i);
  const applied = applyLook(shots, resolved.look, colName('prompt'));
  for (const i of applied.issues) issues.push(i);
  const hasLook = resolved.look.sources.length > 0;
  // Each row's issues name its shot id first (the creator thinks in shots), the spreadsheet row second.
  const rowsWithIssues = new Set<number>();
  for (const i of issues) if (i.row !== undefined && i.row !== headerRow) rowsWithIssues.add(i.row);
  if (rowsWithIssues.size > 0) {
    const shotOfRow = new Map<number, string>();
    for (let i = 1; i < sheet.rows.length; i++) {
      if (!rowsWithIssues.has(sheet.rowNumbers[i])) continue;
      const id = mapping.known.shot !== undefined ? (sheet.rows[i][mapping.known.shot] ?? '').trim() : String(i);
      if (id) shotOfRow.set(sheet.rowNumbers[i], id.slice(0, MAX_SHOT_ID_CHARS));
    }
    for (const i of issues) if (i.row !== undefined && shotOfRow.has(i.row)) i.shot = shotOfRow.get(i.row);
  }
  return { shots, issues, mapping, look: hasLook ? { ...resolved.look, uses: applied.uses } : undefined, ...(sheet.resultsOf ? { resultsOf: sheet.resultsOf } : {}) };
}
