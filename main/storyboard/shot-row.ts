/**
 * One storyboard row read into a shot: the cell checks that hold for every cell, and the row's
 * columns parsed into a {@link Shot}, each problem naming the spreadsheet row and the column.
 *
 * The import (import.ts) calls these once per row with one {@link RowReader} made per sheet. They
 * are plain module functions, not closures made per import, so the engine keeps their compiled
 * code from one import to the next (closures made inside each import, and a long loop compiled
 * on the stack, were compiled again after each garbage collection).
 */
import { KNOWN_COLUMNS, type ColumnMapping, type KnownColumn } from './columns';
import {
  CellError,
  checkInsideFolder,
  parseAspectRatio,
  parseBudget,
  parseDuration,
  parseFps,
  parseLoras,
  parseMediaRef,
  parseMode,
  parseResolution,
  parseSeed,
  parseTakes,
} from './fields';
import type { StoryboardIssue } from './issues';
import { MAX_CELL_CHARS } from './read-csv';
import type { AspectRatio, MediaRef, Resolution, Shot } from './shot';
import { checkMediaFile } from '../media/sniff';

/** Defaults for cells left empty; documented in README. */
export const SHOT_DEFAULTS = { duration: 5, resolution: '720p', aspectRatio: '16:9' as AspectRatio, fps: 25, seed: -1 };

/** Longest shot id, in characters (ids become part of clip file names). */
export const MAX_SHOT_ID_CHARS = 64;

/** Control characters refused in any cell (tab, line feed and carriage return are allowed). */
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** Invisible characters that reverse or isolate text direction ("Trojan Source"); a warning. */
const BIDI_CHARS = /[\u202A-\u202E\u2066-\u2069]/;
/** Either of the above, to test each cell once. */
const SUSPICIOUS_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/;
/** A shot id that is its own clip-name key once lower-cased. */
const PLAIN_ID = /^[A-Za-z0-9._-]+$/;
/** A formula after a leading "+", "-" or "@": a function call or a DDE "cmd|..." reference. */
const FORMULA_AFTER_SIGN = /^[+\-@]\s*\S*?(?:[A-Za-z_][\w.]*\(|\|)/;

/**
 * True when a cell's text would be run as a formula if the sheet were opened in Excel or LibreOffice
 * ("=...", or "+", "-", "@" followed, without a space, by a function call or a DDE "cmd|..." reference,
 * as in "@SUM(1)" or "-2+3+cmd|' /C calc'!A0"). Plain "-1", "- wide shot (aerial)" or "@director" are not.
 */
function looksLikeFormula(text: string): boolean {
  const t = text.trimStart();
  if (t.startsWith('=')) return t.length > 1;
  return FORMULA_AFTER_SIGN.test(t);
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
  if (id.length <= 80 && PLAIN_ID.test(id)) return id.toLowerCase();
  return (id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'shot').toLowerCase();
}

/**
 * What reading the rows of one sheet shares: its header and mapping, where media paths are
 * resolved, the ids seen so far, and where problems go. Made once per sheet by {@link rowReader}.
 */
export interface RowReader {
  /** The header cells, trimmed. */
  headers: string[];
  /** The header cells, lower-cased (a repeated header row is recognised by them). */
  normalisedHeaders: string[];
  mapping: ColumnMapping;
  /** Cell index of every known column by its position in KNOWN_COLUMNS ({@link COL}), -1 where the sheet has none. */
  index: Int32Array;
  /** The folder media paths are resolved against (the storyboard's). */
  storyboardDir: string;
  /** The reader checked the whole text for control and text-direction characters and found none. */
  noSuspiciousChars: boolean;
  /** Shot id -> the row it is on. */
  seen: Map<string, number>;
  /**
   * Clip-name key -> the first shot id with it, for ids that are not their own key ("Shot 1A");
   * an id that is its own key ("12", "1a") is found in `seen` under it.
   */
  seenClipName: Map<string, string>;
  /** Where the row's problems go. */
  issues: StoryboardIssue[];
  /** The default resolution per aspect ratio (720p). */
  defaultResolution: Record<AspectRatio, Resolution>;
}

/** Makes the {@link RowReader} for a sheet with these trimmed `headers`. */
export function rowReader(headers: string[], mapping: ColumnMapping, storyboardDir: string, noSuspiciousChars: boolean, issues: StoryboardIssue[]): RowReader {
  return {
    headers,
    normalisedHeaders: headers.map((h) => h.toLowerCase()),
    mapping,
    index: Int32Array.from(KNOWN_COLUMNS, (c) => mapping.known[c] ?? -1),
    storyboardDir,
    noSuspiciousChars,
    seen: new Map(),
    seenClipName: new Map(),
    issues,
    defaultResolution: { '16:9': parseResolution(SHOT_DEFAULTS.resolution, '16:9'), '9:16': parseResolution(SHOT_DEFAULTS.resolution, '9:16') },
  };
}

/** The header as written for cell `idx` ("column 8" past the header). */
export function columnName(r: RowReader, idx: number): string {
  return r.headers[idx] || `column ${idx + 1}`;
}

/** The header a known column has in this sheet (the column's own name when the sheet has none). */
export function knownColumnName(r: RowReader, c: KnownColumn): string {
  const idx = r.mapping.known[c];
  return idx !== undefined ? r.headers[idx] || c : c;
}

/**
 * Checks that hold for every cell, the header included, pushing to `out`: no cell over
 * MAX_CELL_CHARS (error), no control character (error), no text-direction character (warning),
 * and text that a spreadsheet would run as a formula (warning: it is used as plain text).
 */
export function checkCells(r: RowReader, cells: string[], row: number, out: StoryboardIssue[]): void {
  // Cheap tests first: this runs for every cell of up to 20,000 rows.
  for (let idx = 0; idx < cells.length; idx++) {
    const c = cells[idx];
    if (c.length === 0) continue;
    if (c.length > MAX_CELL_CHARS) {
      out.push({ severity: 'error', row, column: columnName(r, idx), message: `cell is ${c.length} characters long; at most ${MAX_CELL_CHARS} are accepted` });
      continue;
    }
    if (!r.noSuspiciousChars && SUSPICIOUS_CHARS.test(c)) {
      const ctl = CONTROL_CHARS.exec(c);
      if (ctl) {
        out.push({ severity: 'error', row, column: columnName(r, idx), message: `cell contains a control character ${describeControl(ctl[0])} at character ${ctl.index + 1}; remove it (it is invisible in most editors)` });
      } else if (BIDI_CHARS.test(c)) {
        out.push({ severity: 'warning', row, column: columnName(r, idx), message: 'cell contains an invisible text-direction character (U+202A-U+202E or U+2066-U+2069); the text may not read as it looks' });
      }
    }
    const first = c.charCodeAt(0);
    // "=", "+", "-", "@", or a space (formula after leading spaces)
    if ((first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 || first === 0x20) && looksLikeFormula(c)) {
      out.push({ severity: 'warning', row, column: columnName(r, idx), message: `cell starts with "${c.trimStart()[0]}" like a spreadsheet formula; it is used as plain text (and neutralised when results are exported to CSV)` });
    }
  }
}

/** Each known column's position in KNOWN_COLUMNS: the per-cell helpers below take these numbers, not names. */
const COL = Object.fromEntries(KNOWN_COLUMNS.map((c, i) => [c, i])) as Record<KnownColumn, number>;

/** The trimmed text of known column `c` ({@link COL}) in `cells` ('' when the sheet has no such column). */
function get(r: RowReader, cells: string[], c: number): string {
  const idx = r.index[c];
  if (idx < 0) return '';
  const t = cells[idx];
  return t === undefined ? '' : t.trim();
}

/** An error on `row` in known column `c` (a {@link COL} number or its name). */
function err(r: RowReader, row: number, c: number | KnownColumn, message: string): void {
  r.issues.push({ severity: 'error', row, column: knownColumnName(r, typeof c === 'number' ? KNOWN_COLUMNS[c] : c), message });
}

/** The cell's text parsed by `parse`, or `fallback` when empty or refused (a refusal is an error naming the cell). */
function cell<T>(r: RowReader, cells: string[], row: number, c: number, parse: (t: string) => T, fallback: T): T {
  const t = get(r, cells, c);
  if (t === '') return fallback;
  try {
    return parse(t);
  } catch (e) {
    if (!(e instanceof CellError)) throw e;
    err(r, row, c, e.message);
    return fallback;
  }
}

/** The resolution cell for the row's aspect ratio (720p when empty or refused). */
function resolutionCell(r: RowReader, cells: string[], row: number, aspect: AspectRatio): Resolution {
  const t = get(r, cells, COL.resolution);
  if (t === '') return r.defaultResolution[aspect];
  try {
    return parseResolution(t, aspect);
  } catch (e) {
    if (!(e instanceof CellError)) throw e;
    err(r, row, COL.resolution, e.message);
    return r.defaultResolution[aspect];
  }
}

/** A media cell (image, end_image, audio, video) as a reference, or undefined when empty or refused. */
function media(r: RowReader, cells: string[], row: number, c: number, kind: 'image' | 'audio' | 'video'): MediaRef | undefined {
  const t = get(r, cells, c);
  if (t === '') return undefined;
  try {
    return parseMediaRef(t, r.storyboardDir, kind);
  } catch (e) {
    if (!(e instanceof CellError)) throw e;
    err(r, row, c, e.message);
    return undefined;
  }
}

/** A cell that is set, or undefined when empty. */
function optional(r: RowReader, cells: string[], c: number): string | undefined {
  const t = get(r, cells, c);
  return t === '' ? undefined : t;
}

/**
 * Reads data row `index` (1-based among the sheet's rows; spreadsheet row `row`) into a shot, or
 * undefined when the row is not a shot (a repeated header row, or cells past the header: a comma
 * that is not in quotes). Every problem goes to `r.issues` naming the row and the column; a shot
 * is returned even with errors (for display), with the defaults where its cells were refused.
 */
export function readShotRow(r: RowReader, cells: string[], index: number, row: number): Shot | undefined {
  const { headers, mapping } = r;
  const issues = r.issues;
  // A second header row (two exports pasted one under the other).
  if (headers.length >= 2 && cells.length >= 2 && (cells[0] ?? '').length >= r.normalisedHeaders[0].length && isHeaderRow(r, cells)) {
    issues.push({ severity: 'error', row, column: columnName(r, 0), message: 'this row repeats the header row (two files pasted together?); delete it' });
    return undefined;
  }
  checkCells(r, cells, row, issues);
  // Cells to the right of the last header: data that no column would read, and every cell after
  // an unquoted comma shifted into the wrong column. One error for the row, in the creator's
  // terms, rather than knock-on errors about the columns it shifted; the row is not a shot.
  for (let extra = headers.length; extra < cells.length; extra++) {
    if (cells[extra].trim() === '') continue;
    let used = cells.length;
    while (used > headers.length && cells[used - 1].trim() === '') used--;
    const shotCell = r.index[COL.shot] >= 0 ? (cells[r.index[COL.shot]] ?? '').trim() : String(index);
    issues.push({
      severity: 'error',
      row,
      column: `column ${extra + 1}`,
      message: `${shotCell ? `shot ${shotCell} (row ${row})` : `row ${row}`} has ${used} cells, the header has ${headers.length}: a comma inside a cell that is not in quotes? Put that cell in double quotes ("a cat, walking"), or remove the extra cell "${cells[extra].trim().slice(0, 40)}"`,
    });
    return undefined;
  }
  const id = r.index[COL.shot] < 0 ? String(index) : get(r, cells, COL.shot);
  if (id === '') err(r, row, COL.shot, 'shot id is empty; give every row a shot id (e.g. 1, 2, 3 or 1A)');
  if (id.length > MAX_SHOT_ID_CHARS) err(r, row, COL.shot, `shot id is ${id.length} characters long; at most ${MAX_SHOT_ID_CHARS} (ids become part of clip file names)`);
  if (id) checkIdUnique(r, id, row);
  const prompt = get(r, cells, COL.prompt);
  if (r.index[COL.prompt] >= 0 && prompt === '') err(r, row, COL.prompt, 'prompt is empty; describe what the shot shows');
  const aspectRatio = cell(r, cells, row, COL.aspect_ratio, parseAspectRatio, SHOT_DEFAULTS.aspectRatio);
  const resolution = resolutionCell(r, cells, row, aspectRatio);
  const image = media(r, cells, row, COL.image, 'image');
  const endImage = media(r, cells, row, COL.end_image, 'image');
  if (endImage?.kind === 'file') {
    const problem = checkInsideFolder(endImage, r.storyboardDir, 'image') ?? checkMediaFile(endImage.path, 'image');
    if (problem) err(r, row, COL.end_image, problem);
  }
  const audio = media(r, cells, row, COL.audio, 'audio');
  const video = media(r, cells, row, COL.video, 'video');
  if (image?.kind === 'file') checkMedia(r, row, image, 'image');
  if (audio?.kind === 'file') checkMedia(r, row, audio, 'audio');
  if (video?.kind === 'file') checkMedia(r, row, video, 'video');
  const continueFrom = optional(r, cells, COL.continue_from);
  const imageWritten = image !== undefined || get(r, cells, COL.image) !== '';
  if (continueFrom && imageWritten) err(r, row, COL.continue_from, `a continued shot starts from the last frame of shot ${continueFrom}; remove its image, or the continue_from cell`);
  const mode = cell(r, cells, row, COL.mode, parseMode, image || continueFrom ? 'image-to-video' : 'text-to-video');
  if (continueFrom && mode !== 'image-to-video') err(r, row, COL.continue_from, `a continued shot is image-to-video (it starts from the last frame of shot ${continueFrom}); this row's mode is ${mode}`);
  if (mode === 'image-to-video' && !continueFrom && !imageWritten) err(r, row, COL.image, 'mode image-to-video needs an image (a file next to the storyboard or an http(s) URL)');
  if ((mode === 'audio-to-video' || mode === 'lipsync') && !audio && get(r, cells, COL.audio) === '') err(r, row, COL.audio, `mode ${mode} needs an audio file or URL`);
  if (mode === 'control' && !video && get(r, cells, COL.video) === '') err(r, row, COL.video, 'mode control needs a video (the motion to follow)');
  const provider = get(r, cells, COL.provider);
  const shot: Shot = {
    id,
    order: 0,
    row,
    prompt,
    mode,
    image,
    // Always present (undefined when empty), in this order: a shot's spec hash is its JSON, which
    // leaves undefined out, so the hash is the one earlier versions gave (store.ts specHash).
    endImage,
    audio,
    video,
    duration: cell(r, cells, row, COL.duration, parseDuration, SHOT_DEFAULTS.duration),
    resolution,
    aspectRatio,
    fps: cell(r, cells, row, COL.fps, parseFps, SHOT_DEFAULTS.fps),
    seed: cell(r, cells, row, COL.seed, parseSeed, SHOT_DEFAULTS.seed),
    takes: cell(r, cells, row, COL.takes, parseTakes, undefined),
    continueFrom,
    provider: provider === '' ? undefined : provider.toLowerCase(),
    model: optional(r, cells, COL.model),
    negativePrompt: optional(r, cells, COL.negative_prompt),
    loras: cell(r, cells, row, COL.loras, parseLoras, []),
    notes: optional(r, cells, COL.notes),
    budget: cell(r, cells, row, COL.budget, parseBudget, undefined),
    metadata: unknownCells(mapping, cells),
  };
  return shot;
}

/**
 * A shot id must be unique, and no two ids may give the same clip file name (ids that differ only
 * by case or punctuation): an error on the later row naming the earlier one.
 */
function checkIdUnique(r: RowReader, id: string, row: number): void {
  const before = r.seen.get(id);
  if (before !== undefined) {
    err(r, row, COL.shot, `duplicate shot id "${id}" (also on row ${before}); shot ids must be unique`);
    return;
  }
  r.seen.set(id, row);
  const key = clipNameKey(id);
  // Another id with this key: one that is its own key (in `seen`), or one that is not (in `seenClipName`).
  let other = key !== id && r.seen.has(key) ? key : undefined;
  other ??= r.seenClipName.size > 0 ? r.seenClipName.get(key) : undefined;
  if (other !== undefined) {
    err(r, row, COL.shot, `shot id "${id}" and "${other}" (row ${r.seen.get(other)}) would get the same clip file name (ids differ only by case or punctuation); rename one`);
  } else if (key !== id) r.seenClipName.set(key, id);
}

/** True when every header cell is repeated, case aside, in `cells`. */
function isHeaderRow(r: RowReader, cells: string[]): boolean {
  for (let idx = 0; idx < r.headers.length; idx++) if ((cells[idx] ?? '').trim().toLowerCase() !== r.normalisedHeaders[idx]) return false;
  return true;
}

/** A media file must be inside the storyboard's folder and be the kind of file its column says. */
function checkMedia(r: RowReader, row: number, ref: MediaRef, kind: 'image' | 'audio' | 'video'): void {
  const problem = checkInsideFolder(ref, r.storyboardDir, kind) ?? checkMediaFile(ref.kind === 'file' ? ref.path : '', kind);
  if (problem) err(r, row, kind, problem);
}

/** The cells under headers no column reads, by header (kept as notes on the shot). */
function unknownCells(mapping: ColumnMapping, cells: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (let k = 0; k < mapping.unknown.length; k++) m[mapping.unknown[k].header] = cells[mapping.unknown[k].index] ?? '';
  return m;
}
