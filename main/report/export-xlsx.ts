/**
 * The results back into the spreadsheet (`ltx-batch report --xlsx FILE`, and the app's "Results
 * to spreadsheet"): the storyboard's own columns and rows as written, then result columns per
 * shot, from its chosen take (else its latest): state, take, clip (a hyperlink to the file),
 * duration, estimate, actual cost, the provider's task id, error, and a thumbnail in the row. A
 * workbook's Style and Characters sheets are copied, so the file renders the same prompts.
 *
 * The result columns' headers start with "Result:" and the importer ignores every such column
 * (main/storyboard/columns.ts, RESULT_COLUMN_PREFIX): rendering the file again keeps every row
 * that was not edited (nothing is re-rendered) and renders the edited rows only. The workbook
 * names its project (keywords `ltx-batch-results-of:<folder>`), so it renders into that project
 * without --replace-storyboard, and the app proposes that project when it is opened. Text cells are
 * written as text, never as formulas (a prompt starting with "=" stays text).
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { ProjectStore } from '../queue/store';
import type { Job } from '../queue/job';
import { projectStoryboard } from '../queue/project-owner';
import { readStoryboardSheet } from '../storyboard/import';
import { mapHeaders, RESULT_COLUMN_PREFIX } from '../storyboard/columns';
import { RESULTS_OF_KEYWORD } from '../storyboard/raw-sheet';

/** The result columns, in order (headers as written). */
export const RESULT_HEADERS = ['state', 'take', 'clip', 'duration (s)', 'estimate (USD)', 'actual (USD)', 'task id', 'error', 'thumbnail'].map((h) => `${RESULT_COLUMN_PREFIX} ${h}`);

/** Options of {@link writeResultsXlsx}. */
export interface ResultsXlsxOptions {
  /** JPEG bytes of a take's thumbnail (empty: none). */
  thumbnail?: (job: Job, file: string) => Promise<Buffer>;
}

/** What was written. */
export interface ResultsXlsxSummary {
  file: string;
  rows: number;
  thumbnails: number;
  /** Where the storyboard's columns came from: the storyboard file, or the project (when the file is gone or unreadable). */
  columnsFrom: 'storyboard' | 'project';
}

/** A cell value: numbers that look like numbers (no leading zeros), everything else as text. */
function cellValue(text: string): string | number {
  return /^-?(0|[1-9]\d*)(\.\d+)?$/.test(text) && text.length < 16 ? Number(text) : text;
}

/**
 * Writes the results workbook of the project in `store` to `dest` (a temporary file renamed into
 * place). Throws when the file cannot be written.
 */
export async function writeResultsXlsx(store: ProjectStore, dest: string, o: ResultsXlsxOptions = {}): Promise<ResultsXlsxSummary> {
  const shots = store.shots();
  const jobs = store.jobs();
  const takeOf = (shotId: number, chosen: number | null): Job | undefined => jobs.find((j) => j.id === chosen) ?? jobs.filter((j) => j.shotId === shotId).at(-1);

  // The storyboard's own columns and rows, as the file has them now.
  let header: string[] = [];
  let rows: { cells: string[]; shotKey: string }[] = [];
  let look: { name: string; rows: string[][] }[] = [];
  let columnsFrom: ResultsXlsxSummary['columnsFrom'] = 'project';
  const source = projectStoryboard(store.db);
  if (source && fs.existsSync(source)) {
    const read = await readStoryboardSheet(source);
    if (!read.sheet.fatal && read.sheet.rows.length) {
      columnsFrom = 'storyboard';
      header = read.sheet.rows[0];
      const shotCol = mapHeaders(header.map((h) => h.trim())).known.shot;
      rows = read.sheet.rows.slice(1).map((cells, i) => ({ cells, shotKey: shotCol !== undefined && cells[shotCol]?.trim() ? cells[shotCol].trim() : String(read.sheet.rowNumbers[i + 1]) }));
      const sheets = read.sheet.lookSheets;
      look = [
        ...(sheets?.style ? [{ name: 'Style', rows: sheets.style.map((r) => r.cells) }] : []),
        ...(sheets?.characters ? [{ name: 'Characters', rows: sheets.characters.map((r) => r.cells) }] : []),
      ];
    }
  }
  if (columnsFrom === 'project') {
    header = ['shot', 'prompt', 'duration', 'resolution', 'fps', 'seed', 'provider'];
    rows = shots.map((s) => ({ shotKey: s.shotKey, cells: [s.shotKey, s.spec.rowPrompt ?? s.spec.prompt, String(s.spec.duration), s.spec.resolution.label, String(s.spec.fps), String(s.spec.seed), s.provider] }));
  }
  // Result columns go after the storyboard's own (and after any previous results, which are replaced).
  const own = header.map((h, i) => ({ h, i })).filter(({ h }) => !h.trim().toLowerCase().startsWith(RESULT_COLUMN_PREFIX.toLowerCase()));

  const wb = new ExcelJS.Workbook();
  wb.creator = 'LTX Batch';
  // Names the project, so rendering this workbook goes on with it (see Storyboard.resultsOf).
  wb.keywords = `${RESULTS_OF_KEYWORD}${path.resolve(store.dir)}`;
  const ws = wb.addWorksheet('Shots', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.addRow([...own.map(({ h }) => h), ...RESULT_HEADERS]);
  ws.getRow(1).font = { bold: true };
  const first = own.length + 1;
  const thumbCol = first + RESULT_HEADERS.length - 1;
  const dir = path.dirname(path.resolve(dest));
  let thumbnails = 0;
  for (const [k, r] of rows.entries()) {
    const shot = shots.find((s) => s.shotKey === r.shotKey);
    const job = shot ? takeOf(shot.id, shot.chosenJobId) : undefined;
    const clip = job?.state === 'succeeded' && job.output ? path.join(store.dir, job.output) : undefined;
    const result: (string | number | ExcelJS.CellHyperlinkValue | null)[] = [
      job?.state ?? 'not queued',
      job?.take ?? null,
      clip ? { text: path.basename(clip), hyperlink: path.relative(dir, clip).split(path.sep).join('/') } : null,
      job?.media ? Math.round((job.media.video?.duration ?? job.media.duration) * 1000) / 1000 : null,
      job?.estimateUsd ?? null,
      job?.actualUsd ?? null,
      job?.remoteTaskId ?? null,
      job?.error ?? null,
      null,
    ];
    const row = ws.addRow([...own.map(({ i }) => cellValue(r.cells[i] ?? '')), ...result]);
    if (clip && o.thumbnail) {
      const jpeg = await o.thumbnail(job!, clip).catch(() => Buffer.alloc(0));
      if (jpeg.length) {
        const id = wb.addImage({ buffer: jpeg as unknown as ExcelJS.Buffer, extension: 'jpeg' });
        ws.addImage(id, { tl: { col: thumbCol - 1, row: k + 1 }, ext: { width: 96, height: 54 }, editAs: 'oneCell' });
        row.height = 44;
        thumbnails++;
      }
    }
  }
  ws.getColumn(thumbCol).width = 15;
  for (const l of look) {
    const sheet = wb.addWorksheet(l.name);
    for (const cells of l.rows) sheet.addRow(cells.map((c) => c));
  }
  const tmp = `${dest}.part`;
  await wb.xlsx.writeFile(tmp);
  fs.renameSync(tmp, dest);
  return { file: path.resolve(dest), rows: rows.length, thumbnails, columnsFrom };
}
