/**
 * Storyboard import: a CSV or XLSX file becomes validated shots, or a complete list of problems.
 *
 * The import is atomic: callers must not enqueue anything from a storyboard whose `issues` contain
 * an error ({@link assertImportable} throws {@link StoryboardError} in that case).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mapHeaders, type ColumnMapping, type KnownColumn } from './columns';
import {
  CellError,
  parseAspectRatio,
  parseBudget,
  parseDuration,
  parseFps,
  parseLoras,
  parseMediaRef,
  parseMode,
  parseResolution,
  parseSeed,
} from './fields';
import { StoryboardError, type StoryboardIssue } from './issues';
import type { RawSheet } from './raw-sheet';
import { readCsv, MAX_CELL_CHARS } from './read-csv';
import { readXlsx } from './read-xlsx';
import type { AspectRatio, Shot } from './shot';
import { checkMediaFile } from '../media/sniff';

/** Defaults for cells left empty; documented in README. */
export const SHOT_DEFAULTS = { duration: 5, resolution: '720p', aspectRatio: '16:9' as AspectRatio, fps: 25, seed: -1 };

/** Largest storyboard file read, in bytes (a bigger file is refused before parsing). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Largest number of shots in one storyboard. */
export const MAX_SHOTS = 20_000;

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
}

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
export async function importStoryboard(file: string): Promise<Storyboard> {
  const { sheet, ...meta } = await readStoryboardSheet(file);
  return { ...meta, ...interpretSheet(sheet, path.dirname(meta.file)) };
}

/**
 * Reads a storyboard file into raw rows without interpreting them (the UI keeps the sheet to
 * re-run {@link interpretSheet} after the creator edits the mapping or a cell).
 */
export async function readStoryboardSheet(file: string): Promise<{ file: string; format: 'csv' | 'xlsx'; hash: string; sheet: RawSheet }> {
  const abs = path.resolve(file);
  const st = fs.statSync(abs);
  const isZip = (b: Buffer) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
  if (st.size > MAX_FILE_BYTES) {
    const fatal = { row: 0, message: `file is ${(st.size / 1048576).toFixed(0)} MB; storyboards larger than ${MAX_FILE_BYTES / 1048576} MB are not read` };
    return { file: abs, format: abs.toLowerCase().endsWith('.xlsx') ? 'xlsx' : 'csv', hash: '', sheet: { rows: [], rowNumbers: [], warnings: [], fatal } };
  }
  const bytes = fs.readFileSync(abs);
  const hash = crypto.createHash('sha256').update(bytes).digest('hex');
  const format: 'csv' | 'xlsx' = isZip(bytes) || abs.toLowerCase().endsWith('.xlsx') ? 'xlsx' : 'csv';
  const sheet = format === 'xlsx' ? await readXlsx(bytes) : readCsv(bytes);
  return { file: abs, format, hash, sheet };
}

/**
 * Turns raw rows into shots. Exported for the renderer's column-mapping screen, which re-runs it
 * with a mapping the creator edited.
 */
export function interpretSheet(sheet: RawSheet, storyboardDir: string, mappingOverride?: ColumnMapping): { shots: Shot[]; issues: StoryboardIssue[]; mapping?: ColumnMapping } {
  const issues: StoryboardIssue[] = sheet.warnings.map((message) => ({ severity: 'warning' as const, message }));
  if (sheet.fatal) {
    issues.push({ severity: 'error', row: sheet.fatal.row || undefined, message: sheet.fatal.message });
    return { shots: [], issues };
  }
  if (sheet.rows.length === 0) {
    issues.push({ severity: 'error', message: 'the storyboard is empty: expected a header row (shot, prompt, duration, ...) and one row per shot' });
    return { shots: [], issues };
  }
  const headers = sheet.rows[0].map((h) => h.trim());
  const mapping = mappingOverride ?? mapHeaders(headers);
  const headerRow = sheet.rowNumbers[0];
  for (const d of mapping.duplicates) issues.push({ severity: 'error', row: headerRow, column: d.header, message: `duplicate column: "${d.header}" names ${d.column} again; remove or rename one of them` });
  if (mapping.known.prompt === undefined) issues.push({ severity: 'error', row: headerRow, column: 'prompt', message: 'no prompt column; the header row must name a "prompt" column' });
  if (mapping.unknown.length > 0) issues.push({ severity: 'warning', row: headerRow, message: `unknown column(s) kept as notes on each shot: ${mapping.unknown.map((u) => u.header).join(', ')}` });
  for (const ci of sheet.cellIssues ?? []) issues.push({ severity: 'error', row: ci.row, column: headers[ci.columnIndex] || `column ${ci.columnIndex + 1}`, message: ci.message });
  const dataRows = sheet.rows.length - 1;
  if (dataRows === 0) issues.push({ severity: 'error', message: 'the storyboard has a header row but no shots' });
  if (dataRows > MAX_SHOTS) {
    issues.push({ severity: 'error', message: `${dataRows} rows; at most ${MAX_SHOTS} shots per storyboard (split it into several)` });
    return { shots: [], issues, mapping };
  }
  const colName = (c: KnownColumn) => (mapping.known[c] !== undefined ? headers[mapping.known[c]!] || c : c);
  const seen = new Map<string, number>();
  const shots: Shot[] = [];
  for (let i = 1; i < sheet.rows.length; i++) {
    const cells = sheet.rows[i];
    const row = sheet.rowNumbers[i];
    const get = (c: KnownColumn): string => {
      const idx = mapping.known[c];
      return idx === undefined ? '' : (cells[idx] ?? '').trim();
    };
    const rowIssues: StoryboardIssue[] = [];
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
    cells.forEach((c, idx) => {
      if (c.length > MAX_CELL_CHARS) rowIssues.push({ severity: 'error', row, column: headers[idx] || `column ${idx + 1}`, message: `cell is ${c.length} characters long; at most ${MAX_CELL_CHARS} are accepted` });
    });
    let id = get('shot');
    if (mapping.known.shot === undefined) id = String(i);
    else if (id === '') err('shot', 'shot id is empty; give every row a shot id (e.g. 1, 2, 3 or 1A)');
    if (id && seen.has(id)) err('shot', `duplicate shot id "${id}" (also on row ${seen.get(id)}); shot ids must be unique`);
    else if (id) seen.set(id, row);
    const prompt = get('prompt');
    if (mapping.known.prompt !== undefined && prompt === '') err('prompt', 'prompt is empty; describe what the shot shows');
    const aspectRatio = cell('aspect_ratio', parseAspectRatio, SHOT_DEFAULTS.aspectRatio);
    const resolution = cell('resolution', (t) => parseResolution(t, aspectRatio), parseResolution(SHOT_DEFAULTS.resolution, aspectRatio));
    const image = cell('image', (t) => parseMediaRef(t, storyboardDir, 'image'), undefined);
    const audio = cell('audio', (t) => parseMediaRef(t, storyboardDir, 'audio'), undefined);
    const video = cell('video', (t) => parseMediaRef(t, storyboardDir, 'video'), undefined);
    for (const [ref, kind, c] of [[image, 'image', 'image'], [audio, 'audio', 'audio'], [video, 'video', 'video']] as const) {
      if (ref?.kind === 'file') {
        const problem = checkMediaFile(ref.path, kind);
        if (problem) err(c, problem);
      }
    }
    const mode = cell('mode', parseMode, image ? 'image-to-video' : 'text-to-video');
    if (mode === 'image-to-video' && !image && get('image') === '') err('image', 'mode image-to-video needs an image (a file next to the storyboard or an http(s) URL)');
    if ((mode === 'audio-to-video' || mode === 'lipsync') && !audio && get('audio') === '') err('audio', `mode ${mode} needs an audio file or URL`);
    if (mode === 'control' && !video && get('video') === '') err('video', 'mode control needs a video (the motion to follow)');
    const shot: Shot = {
      id,
      order: shots.length,
      row,
      prompt,
      mode,
      image,
      audio,
      video,
      duration: cell('duration', parseDuration, SHOT_DEFAULTS.duration),
      resolution,
      aspectRatio,
      fps: cell('fps', parseFps, SHOT_DEFAULTS.fps),
      seed: cell('seed', parseSeed, SHOT_DEFAULTS.seed),
      provider: get('provider').toLowerCase() || undefined,
      model: get('model') || undefined,
      negativePrompt: get('negative_prompt') || undefined,
      loras: cell('loras', parseLoras, []),
      notes: get('notes') || undefined,
      budget: cell('budget', parseBudget, undefined),
      metadata: Object.fromEntries(mapping.unknown.map((u) => [u.header, cells[u.index] ?? ''])),
    };
    issues.push(...rowIssues);
    shots.push(shot);
  }
  // Film order: numeric shot ids sort numerically; otherwise the order of the rows.
  if (shots.length > 0 && shots.every((s) => /^\d+(\.\d+)?$/.test(s.id))) {
    shots.sort((a, b) => Number(a.id) - Number(b.id) || a.row - b.row);
  }
  shots.forEach((s, i) => (s.order = i));
  return { shots, issues, mapping };
}
