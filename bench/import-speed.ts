/**
 * Bench phase: importing a storyboard. A generated N-row storyboard (CSV, then the same as XLSX)
 * read, validated and estimated (importStoryboard + planStoryboard with the preview provider),
 * beside the parser alone reading the same file (csv-parse; exceljs's xlsx.load). Both sides are
 * warmed up (3 runs each), then run alternately; each figure is the median of 7 runs, so the JIT and a noisy
 * machine touch both alike. Also: time per row at several sizes, each timed over 20,000 rows of
 * back-to-back imports, best of 3 (no O(n^2)).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { importStoryboard } from '../main/storyboard/import';
import { planStoryboard } from '../main/pricing/plan';
import { ProviderRegistry } from '../main/providers/registry';
import { createPreviewProvider } from '../main/providers/preview/preview';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function ms(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Writes an N-row storyboard CSV (the same rows every run); returns its path. */
export function writeStoryboardCsv(dir: string, rows: number): string {
  const file = path.join(dir, `storyboard-${rows}.csv`);
  const lines = ['shot,prompt,duration,resolution,aspect_ratio,fps,seed'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},"Shot ${i}: a slow dolly across a rain-soaked street, neon reflections, ""quoted"" words, commas, and more",${(i % 8) + 2},${['480p', '720p', '1080p'][i % 3]},16:9,25,${i}`);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

/** The same storyboard as an XLSX workbook (numbers as numbers, as Excel keeps them). */
export async function writeStoryboardXlsx(csvFile: string): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Shots');
  for (const line of parse(fs.readFileSync(csvFile, 'utf8')) as string[][]) ws.addRow(line.map((c, i) => (i === 0 || i === 2 || i === 5 || i === 6 ? Number(c) || c : c)));
  const file = csvFile.replace(/\.csv$/, '.xlsx');
  await wb.xlsx.writeFile(file);
  return file;
}

const registry = new ProviderRegistry([createPreviewProvider()]);
/** import + validate + estimate, as the app and the CLI do before anything is sent. */
async function ours(file: string) {
  const sb = await importStoryboard(file);
  const plan = planStoryboard(sb.shots, registry);
  if (sb.shots.length === 0 || plan.rows.length !== sb.shots.length) throw new Error(`import bench: ${file} gave ${sb.shots.length} shots`);
}

/** Collects garbage when the bench runs with --expose-gc (between timed runs, never inside one). */
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/**
 * Median ms of `a` and `b` run alternately `runs` times, after `warmups` runs of each: both sides
 * measured with their code compiled by the optimising JIT (one warm-up left ours, with more
 * functions to compile, half-interpreted, and the ratio swung from 1.6 to 2.3 between runs).
 */
async function paired(a: () => unknown, b: () => unknown, runs = 7, warmups = 3): Promise<[number, number]> {
  for (let i = 0; i < warmups; i++) {
    await a();
    gc();
    await b();
    gc();
  }
  const xa: number[] = [];
  const xb: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    xa.push(await ms(a));
    gc();
    xb.push(await ms(b));
  }
  return [median(xa), median(xb)];
}

/** Runs the phase in `work`; returns its figures (ms). */
export async function importPhase(work: string, rows = 10_000, sizes = [1_000, 5_000, 20_000]) {
  const csv = writeStoryboardCsv(work, rows);
  const [csvMs, csvParseMs] = await paired(() => ours(csv), () => parse(fs.readFileSync(csv, 'utf8'), { bom: true }));
  // Written by a child process: exceljs building a 10,000-row workbook is bench setup, not the core's memory.
  const xlsx = execFileSync(process.execPath, ['--import', 'tsx', path.join(path.dirname(new URL(import.meta.url).pathname), 'make-xlsx.ts'), csv], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  const [xlsxMs, exceljsMs] = await paired(() => ours(xlsx), () => new ExcelJS.Workbook().xlsx.load(fs.readFileSync(xlsx) as unknown as ArrayBuffer));
  const scaling: { rows: number; ms: number; msPerRow: number }[] = [];
  // Time per row: each size warmed up (3 runs), then 20,000 rows' worth of back-to-back imports
  // of it (20 x 1,000, 4 x 5,000, 1 x 20,000) timed together, best of 3. A single 1,000-row run
  // is 10 ms: one collection or one pause of this machine in it changed its figure by half.
  const batchRows = Math.max(...sizes);
  for (const n of sizes) {
    const f = writeStoryboardCsv(work, n);
    for (let i = 0; i < 3; i++) await ours(f);
    const reps = Math.ceil(batchRows / n);
    let best = Infinity;
    for (let trial = 0; trial < 3; trial++) {
      gc();
      const t = await ms(async () => {
        for (let k = 0; k < reps; k++) await ours(f);
      });
      best = Math.min(best, t / reps);
    }
    scaling.push({ rows: n, ms: best, msPerRow: best / n });
  }
  const perRow = scaling.map((s) => s.msPerRow);
  return {
    rows,
    csv: { ms: csvMs, csvParseMs, ratio: csvMs / csvParseMs },
    xlsx: { ms: xlsxMs, exceljsMs, ratio: xlsxMs / exceljsMs },
    scaling: { sizes: scaling, msPerRowRatio: Math.max(...perRow) / Math.min(...perRow) },
  };
}
