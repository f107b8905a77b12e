/**
 * `npm run bench`: speed figures of the core, printed as a table and written as JSON to
 * bench/results/latest.json. Each figure is measured beside a reference in the same run (as a
 * ratio), because the machines are noisy.
 *
 * Phases:
 *  - import: read + validate a generated 10,000-row CSV storyboard (reference: csv-parse alone)
 *  - estimate: plan (validate against the provider + estimate) the 10,000 shots
 *  - queue: 10,000 jobs through every state with a zero-latency backend (reference: bare
 *    better-sqlite3 doing the same number of single-row update transactions)
 *  - answers: 64 MiB video answers streamed to disk, one and ten at once, with the memory they
 *    cost (reference: copying the same bytes from disk)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { importStoryboard } from '../main/storyboard/import';
import { planStoryboard } from '../main/pricing/plan';
import { ProviderRegistry } from '../main/providers/registry';
import { createPreviewProvider } from '../main/providers/preview/preview';
import type { Provider } from '../main/providers/provider';
import { ProjectStore } from '../main/queue/store';
import { QueueRunner } from '../main/queue/runner';
import { ffmpegPath } from '../main/media/ffmpeg-path';
import ExcelJS from 'exceljs';
import { throughputPhase } from './throughput';
import { stitchPhase } from './stitching';
import { rendererPhase } from './renderer-grid';
import { answersPhase } from './answers';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ltx-bench-'));
const results: Record<string, unknown> = { machine: { nproc: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, rows: ROWS };
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const time = async <T>(fn: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
};

// A generated storyboard.
const csvFile = path.join(work, 'storyboard.csv');
const lines = ['shot,prompt,duration,resolution,aspect_ratio,fps,seed'];
for (let i = 1; i <= ROWS; i++) lines.push(`${i},"Shot ${i}: a slow dolly across a rain-soaked street, neon reflections, ""quoted"" words, commas, and more",${(i % 8) + 2},${['480p', '720p', '1080p'][i % 3]},16:9,25,${i}`);
fs.writeFileSync(csvFile, lines.join('\n'));

const [, csvParseMs] = await time(() => parse(fs.readFileSync(csvFile, 'utf8'), { bom: true }));
const [sb, importMs] = await time(() => importStoryboard(csvFile));
const registry = new ProviderRegistry([createPreviewProvider()]);
const [plan, estimateMs] = await time(() => planStoryboard(sb.shots, registry));
results.import = { ms: importMs + estimateMs, importMs, estimateMs, csvParseMs, ratio: (importMs + estimateMs) / csvParseMs };
results.estimate = { ms: estimateMs };
// The same storyboard as XLSX, next to exceljs alone reading it.
{
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Shots');
  for (const line of parse(fs.readFileSync(csvFile, 'utf8')) as string[][]) ws.addRow(line.map((c, i) => (i === 0 || i === 2 || i === 5 || i === 6 ? Number(c) || c : c)));
  const xlsxFile = path.join(work, 'storyboard.xlsx');
  await wb.xlsx.writeFile(xlsxFile);
  const [, exceljsMs] = await time(async () => new ExcelJS.Workbook().xlsx.load(fs.readFileSync(xlsxFile) as unknown as ArrayBuffer));
  const [xsb, xImportMs] = await time(() => importStoryboard(xlsxFile));
  const [, xEstimateMs] = await time(() => planStoryboard(xsb.shots, registry));
  results.importXlsx = { ms: xImportMs + xEstimateMs, exceljsMs, ratio: (xImportMs + xEstimateMs) / exceljsMs, shots: xsb.shots.length };
}
results.peakRssMiBImport = Math.round(peakRss / 2 ** 20);

// Queue: a zero-latency remote backend; "download" copies a tiny clip.
const clip = path.join(work, 'clip.mp4');
execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=32x32:r=5:d=0.2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip]);
let n = 0;
const zero: Provider = {
  id: 'zero', label: 'zero', kind: 'remote', doc: 'bench',
  capabilities: () => createPreviewProvider().capabilities(),
  limits: () => ({ concurrency: 64, requestsPerMinute: null }),
  availability: () => ({ ok: true }),
  validate: (s) => createPreviewProvider().validate(s),
  estimate: () => ({ unit: 'USD', min: 0.01, max: 0.01, usdPerUnit: 1, basis: 'bench' }),
  submit: async () => ({ taskId: `t${n++}`, firstPollMs: 0 }),
  poll: async () => ({ status: 'succeeded', result: { kind: 'task' }, actual: { unit: 'USD', amount: 0.01 } }),
  download: async (_t, _r, dest) => fs.copyFileSync(clip, dest),
};
const qreg = new ProviderRegistry([zero]);
const outDir = path.join(work, 'out');
const store = new ProjectStore(outDir);
const planned = plan.rows.map((r) => ({ shot: r.shot, provider: 'zero', request: r.request!, estimate: zero.estimate(r.shot) }));
const [, syncMs] = await time(() => store.syncStoryboard(sb.file, sb.hash, planned, () => false));
const runner = new QueueRunner(store, qreg, { outDir, pollIntervalMs: 0, verifyClip: async (f) => void fs.statSync(f) });
const [summary, queueMs] = await time(() => runner.run());
store.close();
// Reference: the same number of single-row update transactions, bare.
const ref = new Database(path.join(work, 'ref.sqlite'));
ref.pragma('journal_mode = WAL');
ref.pragma('synchronous = NORMAL');
ref.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, state TEXT, n INTEGER)');
const ins = ref.prepare('INSERT INTO t (state, n) VALUES (?, 0)');
ref.transaction(() => { for (let i = 0; i < ROWS; i++) ins.run('queued'); })();
const upd = ref.prepare('UPDATE t SET state = ?, n = n + 1 WHERE id = ?');
const STATES_PER_JOB = 5; // queued->submitting->running->downloading->succeeded (+ bookkeeping)
const [, refMs] = await time(() => {
  const tx = ref.transaction((id: number, s: string) => upd.run(s, id));
  for (let i = 1; i <= ROWS; i++) for (let k = 0; k < STATES_PER_JOB; k++) tx(i, `s${k}`);
});
ref.close();
results.queue = {
  jobs: ROWS, syncMs, ms: queueMs, jobsPerSecond: ROWS / (queueMs / 1000), succeeded: summary.succeeded,
  bareSqliteMs: refMs, bareSqliteJobsPerSecond: ROWS / (refMs / 1000), ratio: queueMs / refMs,
};
results.peakRssMiBQueue = Math.round(peakRss / 2 ** 20);
const only = (process.env.BENCH_ONLY ?? 'answers,throughput,stitch,renderer').split(',');
if (only.includes('answers')) results.answers = await answersPhase(work);
if (only.includes('throughput')) results.throughput = await throughputPhase(work);
results.peakRssMiBThroughput = Math.round(peakRss / 2 ** 20);
if (only.includes('stitch')) results.stitch = await stitchPhase(work);
results.peakRssMiBStitch = Math.round(peakRss / 2 ** 20);
if (only.includes('renderer')) results.renderer = await rendererPhase(work).catch((e: Error) => ({ error: e.message }));
clearInterval(sampler);
results.peakRssMiB = Math.round(peakRss / 2 ** 20);

fs.rmSync(work, { recursive: true, force: true });
results.machine = { ...(results.machine as object), cpu: os.cpus()[0]?.model };
const outFile = path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'latest.json');
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
const r = results as any;
const row = (name: string, figure: string, reference: string, ratio?: number) => ({ phase: name, figure, reference, ratio: ratio === undefined ? '' : ratio.toFixed(2) });
const table = [
  row(`import+validate+estimate ${ROWS} rows CSV`, `${r.import.ms.toFixed(0)} ms`, `csv-parse alone ${r.import.csvParseMs.toFixed(0)} ms`, r.import.ratio),
  row(`import+validate+estimate ${ROWS} rows XLSX`, `${r.importXlsx.ms.toFixed(0)} ms`, `exceljs alone ${r.importXlsx.exceljsMs.toFixed(0)} ms`, r.importXlsx.ratio),
  row(`queue: ${ROWS} jobs through every state`, `${r.queue.jobsPerSecond.toFixed(0)} jobs/s`, `bare better-sqlite3 ${r.queue.bareSqliteJobsPerSecond.toFixed(0)} tx-sets/s`, r.queue.ratio),
];
if (r.answers) {
  table.push(row(`${r.answers.parallel} x ${r.answers.sizeMiB} MiB video answers at once, streamed to disk`, `${r.answers.parallelMs.toFixed(0)} ms, +${r.answers.parallelRssGrowthMiB} MiB RSS (one answer: ${r.answers.oneMs.toFixed(0)} ms, +${r.answers.oneRssGrowthMiB} MiB)`, `fs.copyFile of the same bytes ${r.answers.copyMs.toFixed(0)} ms, +${r.answers.copyRssGrowthMiB} MiB`, r.answers.ratio));
}
if (r.throughput) table.push(row(`${r.throughput.shots} shots on the ltx simulator (10 at once, 100/min, ${r.throughput.renderS} s renders)`, `${r.throughput.wallS.toFixed(1)} s, ${r.throughput.got429} x 429`, `theoretical minimum ${r.throughput.minimumS.toFixed(1)} s`, r.throughput.ratio));
if (r.stitch) {
  table.push(row(`stitch ${r.stitch.clips} x ${r.stitch.clipSeconds} s ${r.stitch.height}p: stream copy`, `${r.stitch.copyMs.toFixed(0)} ms`, `cp of the same bytes ${r.stitch.cpMs.toFixed(0)} ms`, r.stitch.copyRatio));
  table.push(row(`stitch ${r.stitch.clips} x ${r.stitch.clipSeconds} s ${r.stitch.height}p: re-encode`, `${r.stitch.reencodeMs.toFixed(0)} ms`, `one ffmpeg re-encode of ${r.stitch.totalSeconds} s ${r.stitch.singleMs.toFixed(0)} ms`, r.stitch.reencodeRatio));
}
if (r.renderer && !r.renderer.error) table.push(row(`renderer: Shots grid with ${r.renderer.rows} rows (Chromium)`, `first render ${r.renderer.firstRenderMs.toFixed(0)} ms, ${r.renderer.droppedFrames} of ${r.renderer.frames} frames dropped scrolling`, 'a frame is dropped when it takes > 2 x 16.7 ms'));
table.push(row('peak RSS of the core process', `${r.peakRssMiB} MiB`, `import ${r.peakRssMiBImport}, queue ${r.peakRssMiBQueue}, throughput ${r.peakRssMiBThroughput}, stitch ${r.peakRssMiBStitch} MiB`));
console.table(table);
console.log(JSON.stringify(results));
