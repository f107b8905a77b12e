/**
 * `npm run bench`: speed figures of the core, printed as a table and written as JSON to
 * bench/results/latest.json. Each figure is measured beside a reference in the same run (as a
 * ratio), because the machines are noisy.
 *
 * Phases:
 *  - import: read + validate a generated 10,000-row CSV storyboard (reference: csv-parse alone)
 *  - estimate: plan (validate against the provider + estimate) the 10,000 shots
 *  - queue: 10,000 jobs through every state with a zero-latency backend and a render budget set
 *    (reference: bare better-sqlite3 doing 5 single-row update transactions plus one file
 *    create-and-rename per job, the least a job needs); time per job at 1,000 and 20,000 jobs;
 *    peak RSS during the 10,000-job run; statements, transactions and job reads per job
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
import { renderBudgetGuard } from '../main/pricing/render-budget';
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
const timeSync = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const r = fn();
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

// Queue: a zero-latency remote backend; "download" copies a tiny clip. Every job goes through every
// state with a render budget set (the budget check runs at each admission, as in `render --budget`).
const clip = path.join(work, 'clip.mp4');
execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=32x32:r=5:d=0.2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip]);
const clipBytes = fs.readFileSync(clip);
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
let phasePeakRss = 0;
const phaseSampler = setInterval(() => (phasePeakRss = Math.max(phasePeakRss, process.memoryUsage().rss)), 10);
/** `count` planned shots (the imported storyboard's, repeated under new ids past its end). */
const plannedShots = (count: number) =>
  Array.from({ length: count }, (_, i) => {
    const r = plan.rows[i % plan.rows.length];
    return { shot: { ...r.shot, id: `q${i + 1}`, order: i, row: i + 2 }, provider: 'zero', request: r.request!, estimate: zero.estimate(r.shot) };
  });
/** `count` jobs queued then run to the end; returns the run's figures (ms). */
async function queueRun(count: number, onStore?: (store: ProjectStore) => () => void) {
  const outDir = path.join(work, `queue-${count}`);
  const store = new ProjectStore(outDir);
  const [, syncMs] = await time(() => store.syncStoryboard(`bench-${count}.csv`, `h${count}`, plannedShots(count), () => false));
  const budget = count; // far above what the jobs cost: every job is admitted, each after a budget check
  const runner = new QueueRunner(store, qreg, { outDir, pollIntervalMs: 0, verifyClip: async (f) => void fs.statSync(f), guard: renderBudgetGuard(store, () => budget, () => undefined) });
  const rssBefore = process.memoryUsage().rss;
  phasePeakRss = rssBefore;
  const stopCounting = onStore?.(store);
  const cpu = process.cpuUsage();
  const [summary, ms] = await time(() => runner.run());
  const { user, system } = process.cpuUsage(cpu);
  stopCounting?.();
  const peak = Math.max(phasePeakRss, process.memoryUsage().rss);
  store.close();
  fs.rmSync(outDir, { recursive: true, force: true });
  if (summary.succeeded !== count) throw new Error(`queue bench: ${summary.succeeded} of ${count} jobs succeeded`);
  return { jobs: count, syncMs, ms, jobsPerSecond: count / (ms / 1000), msPerJob: ms / count, cpuMsPerJob: (user + system) / 1000 / count, rssBeforeMiB: Math.round(rssBefore / 2 ** 20), peakRssMiB: Math.round(peak / 2 ** 20) };
}
/**
 * The reference: what a job needs at least, with bare better-sqlite3 and node:fs. Per job, 5
 * single-row update transactions (one per state change) and one file created then renamed into
 * place (the clip), with the store's pragmas (WAL, synchronous = NORMAL). Fixed on purpose: it
 * does not change when the store does.
 */
function referenceRun(count: number) {
  const dir = path.join(work, `ref-${count}`);
  fs.mkdirSync(path.join(dir, 'staging'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'clips'), { recursive: true });
  const ref = new Database(path.join(dir, 'ref.sqlite'));
  ref.pragma('journal_mode = WAL');
  ref.pragma('synchronous = NORMAL');
  ref.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, state TEXT, n INTEGER)');
  const ins = ref.prepare('INSERT INTO t (state, n) VALUES (?, 0)');
  ref.transaction(() => { for (let i = 0; i < count; i++) ins.run('queued'); })();
  const upd = ref.prepare('UPDATE t SET state = ?, n = n + 1 WHERE id = ?');
  const tx = ref.transaction((id: number, s: string) => upd.run(s, id));
  const STATES = ['submitting', 'submitted', 'running', 'downloading', 'succeeded'];
  const [, ms] = timeSync(() => {
    for (let i = 1; i <= count; i++) {
      for (const s of STATES) tx.immediate(i, s);
      const part = path.join(dir, 'staging', `${i}.part.mp4`);
      fs.writeFileSync(part, clipBytes);
      fs.renameSync(part, path.join(dir, 'clips', `${i}.mp4`));
    }
  });
  ref.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { jobs: count, ms, jobsPerSecond: count / (ms / 1000), msPerJob: ms / count };
}
/**
 * A queue run between two reference runs of the same size; the reference's figure is their mean,
 * so a machine that gets busier or quieter during the queue run moves both sides alike.
 */
async function queueBesideReference(count: number) {
  const before = referenceRun(count);
  const queue = await queueRun(count);
  const after = referenceRun(count);
  const ms = (before.ms + after.ms) / 2;
  return { queue, reference: { jobs: count, ms, jobsPerSecond: count / (ms / 1000), msPerJob: ms / count, runsMs: [before.ms, after.ms] } };
}
const median = <T>(xs: T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)];
/**
 * Counts, in one run of `count` jobs, the statements the store executes per job (BEGIN and COMMIT
 * included), how many it compiles, how many transactions it commits and how often it reads a
 * whole job back. better-sqlite3's prototypes are wrapped for that run only (not a timed one).
 */
async function countStatements(count: number) {
  const probeDb = new Database(':memory:');
  const stmtProto = Object.getPrototypeOf(probeDb.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  probeDb.close();
  const dbProto = Database.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const bySql = new Map<string, number>();
  const add = (sql: string) => bySql.set(sql, (bySql.get(sql) ?? 0) + 1);
  let compiled = 0;
  const restore: (() => void)[] = [];
  const wrap = (proto: Record<string, (...a: unknown[]) => unknown>, name: string, count: (self: any, args: unknown[]) => void) => {
    const orig = proto[name];
    proto[name] = function (this: unknown, ...args: unknown[]) {
      count(this, args);
      return orig.apply(this, args);
    };
    restore.push(() => (proto[name] = orig));
  };
  await queueRun(count, () => {
    for (const m of ['run', 'get', 'all', 'iterate']) wrap(stmtProto, m, (self: { source: string }) => add(self.source));
    wrap(dbProto, 'prepare', () => compiled++);
    wrap(dbProto, 'pragma', (_s, [src]) => { compiled++; add(`PRAGMA ${src}`); });
    wrap(dbProto, 'exec', (_s, [src]) => { compiled++; add(String(src)); });
    return () => restore.forEach((r) => r());
  });
  const total = [...bySql.values()].reduce((a, b) => a + b, 0);
  const sum = (re: RegExp) => [...bySql].filter(([s]) => re.test(s)).reduce((a, [, k]) => a + k, 0);
  return {
    jobs: count,
    statementsPerJob: total / count,
    compiledPerJob: compiled / count,
    transactionsPerJob: sum(/^BEGIN/) / count,
    jobReadsPerJob: sum(/^SELECT jobs\.\*.* WHERE jobs\.id = \?$/) / count,
    top: [...bySql].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([sql, k]) => ({ perJob: +(k / count).toFixed(2), sql: sql.replace(/\s+/g, ' ').slice(0, 140) })),
  };
}
// The 10,000-job figure (peak RSS sampled during it), then time per job at 1,000 jobs (the median
// of three runs: one is short) and at 20,000 (no O(n^2): within 1.5x), each beside the reference at
// the same size; then the statement count.
const { queue: queueMain, reference: refMain } = await queueBesideReference(ROWS);
const [SMALL, LARGE] = (process.env.BENCH_QUEUE_SIZES ?? '1000,20000').split(',').map(Number);
const small = median([await queueBesideReference(SMALL), await queueBesideReference(SMALL), await queueBesideReference(SMALL)], (r) => r.queue.msPerJob);
const { queue: queueSmall, reference: refSmall } = small;
const { queue: queueLarge, reference: refLarge } = await queueBesideReference(LARGE);
clearInterval(phaseSampler);
const statements = await countStatements(SMALL);
results.queue = {
  ...queueMain, succeeded: queueMain.jobs,
  reference: refMain, referenceJobsPerSecond: refMain.jobsPerSecond,
  /** Queue time over reference time (lower is better); shareOfReference is the queue's rate as a fraction of the reference's (goal >= 0.30). */
  ratio: queueMain.ms / refMain.ms, shareOfReference: queueMain.jobsPerSecond / refMain.jobsPerSecond,
  scaling: { small: queueSmall, large: queueLarge, refSmall, refLarge, msPerJobRatio: queueLarge.msPerJob / queueSmall.msPerJob },
  statements,
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
  row(`queue: ${ROWS} jobs through every state, render budget set`, `${r.queue.jobsPerSecond.toFixed(0)} jobs/s (${(r.queue.ms / 1000).toFixed(1)} s, CPU ${r.queue.cpuMsPerJob.toFixed(2)} ms a job), ${(100 * r.queue.shareOfReference).toFixed(0)}% of the reference's rate`, `bare better-sqlite3, 5 single-row update tx + 1 file create-and-rename per job: ${r.queue.referenceJobsPerSecond.toFixed(0)} jobs/s`, r.queue.ratio),
  row(`queue: time per job at ${SMALL} and ${LARGE} jobs`, `${r.queue.scaling.small.msPerJob.toFixed(3)} / ${r.queue.scaling.large.msPerJob.toFixed(3)} ms (x${r.queue.scaling.msPerJobRatio.toFixed(2)})`, `reference ${r.queue.scaling.refSmall.msPerJob.toFixed(3)} / ${r.queue.scaling.refLarge.msPerJob.toFixed(3)} ms`, r.queue.scaling.msPerJobRatio),
  row(`queue: peak RSS during the ${ROWS}-job phase`, `${r.queue.peakRssMiB} MiB`, `${r.queue.rssBeforeMiB} MiB when it started`),
  row(`queue: SQLite per job (${SMALL}-job run)`, `${r.queue.statements.statementsPerJob.toFixed(1)} statements, ${r.queue.statements.transactionsPerJob.toFixed(1)} transactions`, `${r.queue.statements.compiledPerJob.toFixed(1)} compiled, ${r.queue.statements.jobReadsPerJob.toFixed(1)} whole-job reads`),
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
