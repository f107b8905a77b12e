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
import {
  CellError,
  parseAspectRatio,
  parseBudget,
  parseDuration,
  parseFps,
  parseLoras,
  checkInsideFolder,
  parseMediaRef,
  parseMode,
  parseResolution,
  parseSeed,
  parseTakes,
} from './fields';
import { StoryboardError, type StoryboardIssue } from './issues';
import type { RawSheet } from './raw-sheet';
import { MAX_COLUMNS, MAX_SHOTS } from './limits';
import { readCsv, MAX_CELL_CHARS } from './read-csv';
import { readXlsx } from './read-xlsx';
import { sniffFormat } from './sniff-format';
import { applyLook, resolveLook, type Look, type LookOptions } from './style';
import { resolveContinuity } from './continuity';
import type { AspectRatio, Shot } from './shot';
import { checkMediaFile } from '../media/sniff';

/** Defaults for cells left empty; documented in README. */
export const SHOT_DEFAULTS = { duration: 5, resolution: '720p', aspectRatio: '16:9' as AspectRatio, fps: 25, seed: -1 };

/** Largest storyboard file read, in bytes (a bigger file is refused before parsing). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export { MAX_COLUMNS, MAX_SHOTS };

/** Longest shot id, in characters (ids become part of clip file names). */
export const MAX_SHOT_ID_CHARS = 64;

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

/** Control characters refused in any cell (tab, line feed and carriage return are allowed). */
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** Invisible characters that reverse or isolate text direction ("Trojan Source"); a warning. */
const BIDI_CHARS = /[\u202A-\u202E\u2066-\u2069]/;
/** Either of the above, to test each cell once. */
const SUSPICIOUS_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/;

/**
 * True when a cell's text would be run as a formula if the sheet were opened in Excel or LibreOffice
 * ("=...", or "+", "-", "@" followed, without a space, by a function call or a DDE "cmd|..." reference,
 * as in "@SUM(1)" or "-2+3+cmd|' /C calc'!A0"). Plain "-1", "- wide shot (aerial)" or "@director" are not.
 */
export function looksLikeFormula(text: string): boolean {
  const t = text.trimStart();
  if (t.startsWith('=')) return t.length > 1;
  return /^[+\-@]\s*\S*?(?:[A-Za-z_][\w.]*\(|\|)/.test(t);
}

/** Describes a control character for a message: "NUL (U+0000)". */
function describeControl(ch: string): string {
  const code = ch.charCodeAt(0);
  const names: Record<number, string> = { 0: 'NUL', 7: 'BEL', 8: 'backspace', 0x0b: 'vertical tab', 0x0c: 'form feed', 0x1b: 'ESC', 0x7f: 'DEL' };
  return `${names[code] ? `${names[code]} ` : ''}(U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** The file-name-safe key of a shot id as the queue names clips (queue/clip-finish.ts safeName), case-folded. */
function clipNameKey(id: string): string {
  // Plain ids ("12", "3a") are their own key once lower-cased.
  if (id.length <= 80 && /^[A-Za-z0-9._-]+$/.test(id)) return id.toLowerCase();
  return (id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'shot').toLowerCase();
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
  // Cell content rules that hold for every cell, the header included.
  // Per cell, cheap tests first: this runs for every cell of up to 20,000 rows.
  const cellIssues = (cells: string[], row: number, out: StoryboardIssue[]) => {
    for (let idx = 0; idx < cells.length; idx++) {
      const c = cells[idx];
      if (c.length === 0) continue;
      if (c.length > MAX_CELL_CHARS) {
        out.push({ severity: 'error', row, column: columnName(idx), message: `cell is ${c.length} characters long; at most ${MAX_CELL_CHARS} are accepted` });
        continue;
      }
      if (!sheet.noSuspiciousChars && SUSPICIOUS_CHARS.test(c)) {
        const ctl = CONTROL_CHARS.exec(c);
        if (ctl) {
          out.push({ severity: 'error', row, column: columnName(idx), message: `cell contains a control character ${describeControl(ctl[0])} at character ${ctl.index + 1}; remove it (it is invisible in most editors)` });
        } else if (BIDI_CHARS.test(c)) {
          out.push({ severity: 'warning', row, column: columnName(idx), message: 'cell contains an invisible text-direction character (U+202A-U+202E or U+2066-U+2069); the text may not read as it looks' });
        }
      }
      const first = c.charCodeAt(0);
      // "=", "+", "-", "@", or a space (formula after leading spaces)
      if ((first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 || first === 0x20) && looksLikeFormula(c)) {
        out.push({ severity: 'warning', row, column: columnName(idx), message: `cell starts with "${c.trimStart()[0]}" like a spreadsheet formula; it is used as plain text (and neutralised when results are exported to CSV)` });
      }
    }
  };
  cellIssues(headers, headerRow, issues);
  if (dataRows === 0) issues.push({ severity: 'error', message: 'the storyboard has a header row but no shots' });
  const normalisedHeader = headers.map((h) => h.toLowerCase());
  const colName = (c: KnownColumn) => (mapping.known[c] !== undefined ? headers[mapping.known[c]!] || c : c);
  const unknownMetadata = (cells: string[]) => {
    const m: Record<string, string> = {};
    for (let k = 0; k < mapping.unknown.length; k++) m[mapping.unknown[k].header] = cells[mapping.unknown[k].index] ?? '';
    return m;
  };
  const seen = new Map<string, number>();
  const seenClipName = new Map<string, { id: string; row: number }>();
  const shots: Shot[] = [];
  // The row being read. The helpers below are made once for the sheet, not once per row: a
  // 10,000-row storyboard is read in a few milliseconds more than csv-parse takes.
  let cells: string[] = [];
  let row = 0;
  let rowIssues: StoryboardIssue[] = [];
  const get = (c: KnownColumn): string => {
    const idx = mapping.known[c];
    return idx === undefined ? '' : (cells[idx] ?? '').trim();
  };
  const err = (c: KnownColumn, message: string) => rowIssues.push({ severity: 'error', row, column: colName(c), message });
  const cell = <T>(c: KnownColumn, parse: (t: string) => T, fallback: T): T => {
    const t = get(c);
    if (t === '') return fallback;
    try {
      return parse(t);
    } catch (e) {
      if (e instanceof CellError) err(c, e.message);
      else throw e;
      return fallback;
    }
  };
  const defaultResolution = { '16:9': parseResolution(SHOT_DEFAULTS.resolution, '16:9'), '9:16': parseResolution(SHOT_DEFAULTS.resolution, '9:16') } as const;
  const resolutionIn = (aspect: AspectRatio) => (t: string) => parseResolution(t, aspect);
  const parseResolutionFor = { '16:9': resolutionIn('16:9'), '9:16': resolutionIn('9:16') } as const;
  const mediaParser = (kind: 'image' | 'audio' | 'video') => (t: string) => parseMediaRef(t, storyboardDir, kind);
  const parseImage = mediaParser('image');
  const parseAudio = mediaParser('audio');
  const parseVideo = mediaParser('video');
  // One list for the row's issues, emptied after each row (most rows have none).
  rowIssues = [];
  for (let i = 1; i < sheet.rows.length; i++) {
    cells = sheet.rows[i];
    row = sheet.rowNumbers[i];
    if (rowIssues.length > 0) rowIssues.length = 0;
    // A second header row (two exports pasted one under the other).
    if (headers.length >= 2 && cells.length >= 2 && (cells[0] ?? '').length >= normalisedHeader[0].length && headers.every((h, idx) => (cells[idx] ?? '').trim().toLowerCase() === normalisedHeader[idx])) {
      issues.push({ severity: 'error', row, column: columnName(0), message: 'this row repeats the header row (two files pasted together?); delete it' });
      continue;
    }
    cellIssues(cells, row, rowIssues);
    // Cells to the right of the last header: data that no column would read, and every cell after
    // an unquoted comma shifted into the wrong column. One error for the row, in the creator's
    // terms, rather than knock-on errors about the columns it shifted; the row is not a shot.
    const extra = cells.findIndex((c, idx) => idx >= headers.length && c.trim() !== '');
    if (extra >= 0) {
      let used = cells.length;
      while (used > headers.length && cells[used - 1].trim() === '') used--;
      const shotCell = mapping.known.shot !== undefined ? (cells[mapping.known.shot] ?? '').trim() : String(i);
      issues.push({
        severity: 'error',
        row,
        column: `column ${extra + 1}`,
        message: `${shotCell ? `shot ${shotCell} (row ${row})` : `row ${row}`} has ${used} cells, the header has ${headers.length}: a comma inside a cell that is not in quotes? Put that cell in double quotes ("a cat, walking"), or remove the extra cell "${cells[extra].trim().slice(0, 40)}"`,
      });
      continue;
    }
    let id = get('shot');
    if (mapping.known.shot === undefined) id = String(i);
    else if (id === '') err('shot', 'shot id is empty; give every row a shot id (e.g. 1, 2, 3 or 1A)');
    if (id.length > MAX_SHOT_ID_CHARS) err('shot', `shot id is ${id.length} characters long; at most ${MAX_SHOT_ID_CHARS} (ids become part of clip file names)`);
    if (id && seen.has(id)) err('shot', `duplicate shot id "${id}" (also on row ${seen.get(id)}); shot ids must be unique`);
    else if (id) {
      seen.set(id, row);
      const key = clipNameKey(id);
      const other = seenClipName.get(key);
      if (other) err('shot', `shot id "${id}" and "${other.id}" (row ${other.row}) would get the same clip file name (ids differ only by case or punctuation); rename one`);
      else seenClipName.set(key, { id, row });
    }
    const prompt = get('prompt');
    if (mapping.known.prompt !== undefined && prompt === '') err('prompt', 'prompt is empty; describe what the shot shows');
    const aspectRatio = cell('aspect_ratio', parseAspectRatio, SHOT_DEFAULTS.aspectRatio);
    const resolution = cell('resolution', parseResolutionFor[aspectRatio], defaultResolution[aspectRatio]);
    const image = cell('image', parseImage, undefined);
    const endImage = cell('end_image', parseImage, undefined);
    if (endImage?.kind === 'file') {
      const problem = checkInsideFolder(endImage, storyboardDir, 'image') ?? checkMediaFile(endImage.path, 'image');
      if (problem) err('end_image', problem);
    }
    const audio = cell('audio', parseAudio, undefined);
    const video = cell('video', parseVideo, undefined);
    if (image || audio || video) {
      for (const [ref, kind] of [[image, 'image'], [audio, 'audio'], [video, 'video']] as const) {
        if (ref?.kind === 'file') {
          const problem = checkInsideFolder(ref, storyboardDir, kind) ?? checkMediaFile(ref.path, kind);
          if (problem) err(kind, problem);
        }
      }
    }
    const continueFrom = get('continue_from') || undefined;
    if (continueFrom && (image || get('image') !== '')) err('continue_from', `a continued shot starts from the last frame of shot ${continueFrom}; remove its image, or the continue_from cell`);
    const mode = cell('mode', parseMode, image || continueFrom ? 'image-to-video' : 'text-to-video');
    if (continueFrom && mode !== 'image-to-video') err('continue_from', `a continued shot is image-to-video (it starts from the last frame of shot ${continueFrom}); this row's mode is ${mode}`);
    if (mode === 'image-to-video' && !image && !continueFrom && get('image') === '') err('image', 'mode image-to-video needs an image (a file next to the storyboard or an http(s) URL)');
    if ((mode === 'audio-to-video' || mode === 'lipsync') && !audio && get('audio') === '') err('audio', `mode ${mode} needs an audio file or URL`);
    if (mode === 'control' && !video && get('video') === '') err('video', 'mode control needs a video (the motion to follow)');
    const shot: Shot = {
      id,
      order: shots.length,
      row,
      prompt,
      mode,
      image,
      ...(endImage ? { endImage } : {}),
      audio,
      video,
      duration: cell('duration', parseDuration, SHOT_DEFAULTS.duration),
      resolution,
      aspectRatio,
      fps: cell('fps', parseFps, SHOT_DEFAULTS.fps),
      seed: cell('seed', parseSeed, SHOT_DEFAULTS.seed),
      takes: cell('takes', parseTakes, undefined),
      ...(continueFrom ? { continueFrom } : {}),
      provider: get('provider').toLowerCase() || undefined,
      model: get('model') || undefined,
      negativePrompt: get('negative_prompt') || undefined,
      loras: cell('loras', parseLoras, []),
      notes: get('notes') || undefined,
      budget: cell('budget', parseBudget, undefined),
      metadata: unknownMetadata(cells),
    };
    for (const x of rowIssues) issues.push(x);
    shots.push(shot);
  }
  // Film order: numeric shot ids sort numerically; otherwise the order of the rows.
  if (shots.length > 0 && shots.every((s) => /^\d+(\.\d+)?$/.test(s.id))) {
    shots.sort((a, b) => Number(a.id) - Number(b.id) || a.row - b.row);
  }
  shots.forEach((s, i) => (s.order = i));
  // Continuity: `previous` resolved in film order; unknown shots and cycles are errors.
  for (const i of resolveContinuity(shots, colName('continue_from'))) issues.push(i);
  // The film's look: the workbook's Style and Characters sheets and the command line's options.
  const resolved = resolveLook(sheet.lookSheets, lookOptions);
  for (const i of resolved.issues) issues.push(i);
  const applied = applyLook(shots, resolved.look, colName('prompt'));
  for (const i of applied.issues) issues.push(i);
  const hasLook = resolved.look.sources.length > 0;
  // Each row's issues name its shot id first (the creator thinks in shots), the spreadsheet row second.
  const shotOfRow = new Map<number, string>();
  for (let i = 1; i < sheet.rows.length; i++) {
    const id = mapping.known.shot !== undefined ? (sheet.rows[i][mapping.known.shot] ?? '').trim() : String(i);
    if (id) shotOfRow.set(sheet.rowNumbers[i], id.slice(0, MAX_SHOT_ID_CHARS));
  }
  for (const i of issues) if (i.row !== undefined && shotOfRow.has(i.row)) i.shot = shotOfRow.get(i.row);
  return { shots, issues, mapping, look: hasLook ? { ...resolved.look, uses: applied.uses } : undefined, ...(sheet.resultsOf ? { resultsOf: sheet.resultsOf } : {}) };
}
