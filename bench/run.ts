/**
 * `npm run bench`: speed and memory figures of the core and the renderer, each beside a reference
 * doing the same work measured in the same run (the ratio is what to compare across machines). It
 * prints a table and writes bench/results/latest.json: `rows` holds one `{phase, value, unit,
 * reference, ratio, goal}` per figure (`npm run bench:table` writes them into README.md), the
 * other keys every detail.
 *
 * Phases (BENCH_ONLY picks among answers, throughput, stitch, renderer, farm; import and queue always run):
 *  - import: a 10,000-row CSV and XLSX read + validated + estimated, beside csv-parse / exceljs
 *    alone (bench/import-speed.ts); time per row at 1,000, 5,000 and 20,000 rows
 *  - queue: 10,000 jobs through every state with a zero-latency backend and a render budget set,
 *    beside bare better-sqlite3 doing 5 single-row update transactions plus one file
 *    create-and-rename per job (the least a job needs); time per job at 1,000, 5,000 and 20,000
 *  - answers: 64 MiB video answers streamed to disk, one and ten at once (bench/answers.ts)
 *  - throughput: 300 shots on the LTX simulator at its limits (bench/throughput.ts)
 *  - stitch: 100 x 5 s 720p clips, stream copy and re-encode (bench/stitching.ts)
 *  - renderer: the Shots grid and the Queue screen in Chromium (bench/renderer-grid.ts, bench/renderer-queue.ts)
 *  - farm: the render farm's overhead per shot beside its render time (bench/farm.ts)
 * Peak RSS of this process is read with getrusage after every phase (goal: 400 MiB, before the farm phase).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { importStoryboard } from '../main/storyboard/import';
import { planStoryboard } from '../main/pricing/plan';
import { ProviderRegistry } from '../main/providers/registry';
import { createPreviewProvider } from '../main/providers/preview/preview';
import type { Provider } from '../main/providers/provider';
import { ProjectStore } from '../main/queue/store';
import { farmPhase } from './farm';
import { QueueRunner } from '../main/queue/runner';
import { renderBudgetGuard } from '../main/pricing/render-budget';
import { ffmpegPath } from '../main/media/ffmpeg-path';
import { throughputPhase } from './throughput';
import { stitchPhase } from './stitching';
import { rendererPhase } from './renderer-grid';
import { queuePhase } from './renderer-queue';
import { answersPhase } from './answers';
import { importPhase, writeStoryboardCsv } from './import-speed';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ltx-bench-'));
const results: Record<string, unknown> = { machine: { nproc: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, rows: ROWS };
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

const gc = (globalThis as { gc?: () => void }).gc;
/** Frees what the last phase left (run with --expose-gc, as `npm run bench` does). */
const settle = () => gc?.();

// A generated storyboard for the queue phase, then the import phase on its own files.
const csvFile = writeStoryboardCsv(work, ROWS);
const sb = await importStoryboard(csvFile);
const registry = new ProviderRegistry([createPreviewProvider()]);
const plan = planStoryboard(sb.shots, registry);
results.import = await importPhase(work, ROWS);
settle();
/** The process's peak RSS so far (getrusage maxrss, MiB): exact, where samples can miss a peak reached inside synchronous work. */
const maxRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const maxRssAfter: Record<string, number> = { import: maxRssMiB() };
results.maxRssMiBAfter = maxRssAfter;

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
async function queueRun(count: number, onStore?: (store: ProjectStore) => () => void, base = work) {
  const outDir = path.join(base, `queue-${count}`);
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
function referenceRun(count: number, base = work) {
  const dir = path.join(base, `ref-${count}`);
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
async function queueBesideReference(count: number, base = work) {
  const before = referenceRun(count, base);
  const queue = await queueRun(count, undefined, base);
  const after = referenceRun(count, base);
  const ms = (before.ms + after.ms) / 2;
  return { queue, reference: { jobs: count, ms, jobsPerSecond: count / (ms / 1000), msPerJob: ms / count, runsMs: [before.ms, after.ms] } };
}
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
// The 10,000-job figure in the bench's folder on disk, as a project
// folder is; then time per job at 1,000, 5,000 and 20,000 jobs (no O(n^2): within 1.5x), each the
// best of three runs (the sizes taking turns), with the reference beside each run; then the
// statement count. The scaling runs (queue and reference) work in a RAM folder (/dev/shm, where
// there is one): on this machine's disk (ext4 in a VM) creating one small file costs from 15 us
// to 1 ms of kernel time from one minute to the next, measured with the reference alone (on
// /dev/shm: 14-16 us every time), so on disk the line measured the disk (1.09 to 1.90 over full
// runs of the same code) and could not show how the queue's own cost grows with its size.
const { queue: queueMain, reference: refMain } = await queueBesideReference(ROWS);
settle();
maxRssAfter.queue = maxRssMiB();
const only = (process.env.BENCH_ONLY ?? 'answers,throughput,stitch,renderer,farm').split(',');
if (only.includes('answers')) results.answers = await answersPhase(work);
settle();
if (only.includes('throughput')) results.throughput = await throughputPhase(work);
settle();
maxRssAfter.throughput = maxRssMiB();
if (only.includes('stitch')) results.stitch = await stitchPhase(work);
settle();
maxRssAfter.stitch = maxRssMiB();
if (only.includes('renderer')) {
  // The earlier phases wrote gigabytes: let the kernel finish writing them back first, so the
  // frames measured are the renderer's, not the disk flush's (2 cores).
  execFileSync('sync');
  await new Promise((r) => setTimeout(r, 2000));
  results.renderer = await rendererPhase(work).catch((e: Error) => ({ error: e.message }));
  results.rendererQueue = await queuePhase(work).catch((e: Error) => ({ error: e.message }));
}
maxRssAfter.renderer = maxRssMiB();
// The core's peak through the phases, read before the farm phase (not in the goal: it runs
// Temporal and a worker as child processes).
results.peakRssMiB = maxRssAfter.renderer;
if (only.includes('farm')) results.farm = await farmPhase(work).catch((e: Error) => ({ error: e.message }));

// The queue's scaling runs come last: at 20,000 jobs the queue holds twice the 10,000-row phases'
// data (about 8.5 KB a job), so their peak is reported on its own rather than as the core's peak
// through the phases above.
const SIZES = (process.env.BENCH_QUEUE_SIZES ?? '1000,5000,20000').split(',').map(Number);
// The sizes take turns (1,000, 5,000, 20,000, then again, three rounds), so a slow minute of the machine
// falls on every size rather than on all three runs of one (in one full run with the sizes one
// after another, the 1,000-job runs and their references were all twice as slow as usual).
const ramRoot = fs.existsSync('/dev/shm') ? '/dev/shm' : null;
const scaleBase = ramRoot ? fs.mkdtempSync(path.join(ramRoot, 'ltx-bench-queue-')) : work;
const runsBySize = SIZES.map(() => [] as Awaited<ReturnType<typeof queueBesideReference>>[]);
for (let round = 0; round < 3; round++) {
  for (let s = 0; s < SIZES.length; s++) {
    runsBySize[s].push(await queueBesideReference(SIZES[s], scaleBase));
    settle();
  }
}
if (scaleBase !== work) fs.rmSync(scaleBase, { recursive: true, force: true });
const scaled = runsBySize.map((runs) => runs.reduce((a, b) => (b.queue.msPerJob < a.queue.msPerJob ? b : a)));
const statements = await countStatements(SIZES[0]);
const perJob = scaled.map((x) => x.queue.msPerJob);
results.queue = {
  ...queueMain, succeeded: queueMain.jobs,
  reference: refMain, referenceJobsPerSecond: refMain.jobsPerSecond,
  /** Queue time over reference time (lower is better); shareOfReference is the queue's rate as a fraction of the reference's (goal >= 0.30). */
  ratio: queueMain.ms / refMain.ms, shareOfReference: queueMain.jobsPerSecond / refMain.jobsPerSecond,
  scaling: { folder: ramRoot ? 'RAM (/dev/shm)' : 'disk', sizes: scaled.map((x) => ({ jobs: x.queue.jobs, msPerJob: x.queue.msPerJob, cpuMsPerJob: x.queue.cpuMsPerJob, referenceMsPerJob: x.reference.msPerJob, overReference: x.queue.msPerJob / x.reference.msPerJob })), msPerJobRatio: Math.max(...perJob) / Math.min(...perJob), overReferenceRatio: Math.max(...scaled.map((x) => x.queue.msPerJob / x.reference.msPerJob)) / Math.min(...scaled.map((x) => x.queue.msPerJob / x.reference.msPerJob)) },
  statements,
};
clearInterval(phaseSampler);
results.peakRssMiBQueueScaling = maxRssMiB();

fs.rmSync(work, { recursive: true, force: true });
results.machine = { ...(results.machine as object), cpu: os.cpus()[0]?.model, date: new Date().toISOString().slice(0, 10) };
const r = results as any;
/** One figure beside its reference: `ratio` is value / reference (lower is better) unless stated. */
type BenchRow = { phase: string; value: number; unit: string; reference: number | string | null; ratio: number | null; goal: string };
const rows: BenchRow[] = [];
const add = (phase: string, value: number, unit: string, reference: number | string | null, ratio: number | null, goal: string) => rows.push({ phase, value: +value.toFixed(3), unit, reference: typeof reference === 'number' ? +reference.toFixed(3) : reference, ratio: ratio === null ? null : +ratio.toFixed(3), goal });
if (r.throughput) add(`${r.throughput.shots} shots on the ltx simulator (v2 jobs, 10 at once, 100 requests/min, ${r.throughput.renderS} s renders), ${r.throughput.got429} HTTP 429, ${r.throughput.requestsPerShot.toFixed(2)} requests a shot, vs the minimum floor((2N-1)/100)*60 + ceil(min(N,50)/10)*render_s`, r.throughput.wallS, 's', r.throughput.minimumS, r.throughput.ratio, '<= 1.05, 0 x 429');
if (r.stitch) {
  add(`stitch ${r.stitch.clips} x ${r.stitch.clipSeconds} s ${r.stitch.height}p clips by stream copy vs cat of the same bytes`, r.stitch.copyMs, 'ms', r.stitch.cpMs, r.stitch.copyRatio, '<= 3');
  add(`stitch ${r.stitch.clips} x ${r.stitch.clipSeconds} s ${r.stitch.height}p clips, every clip re-encoded, vs one ffmpeg re-encode of the same ${r.stitch.totalSeconds} s`, r.stitch.reencodeMs, 'ms', r.stitch.singleMs, r.stitch.reencodeRatio, '');
}
add(`import + validate + estimate ${ROWS}-row CSV vs csv-parse alone`, r.import.csv.ms, 'ms', r.import.csv.csvParseMs, r.import.csv.ratio, '<= 2');
add(`import + validate + estimate ${ROWS}-row XLSX vs exceljs alone`, r.import.xlsx.ms, 'ms', r.import.xlsx.exceljsMs, r.import.xlsx.ratio, '<= 1.2');
add(`import: time per row at ${r.import.scaling.sizes.map((x: any) => x.rows).join(', ')} rows (largest over smallest)`, r.import.scaling.sizes.at(-1).msPerRow, 'ms/row', r.import.scaling.sizes.map((x: any) => `${x.msPerRow.toFixed(4)}`).join(' / '), r.import.scaling.msPerRowRatio, '<= 1.5');
add(`queue: ${ROWS} jobs through every state (render budget set), share of the reference's rate`, r.queue.jobsPerSecond, 'jobs/s', r.queue.referenceJobsPerSecond, r.queue.shareOfReference, '>= 0.30 (higher is better), >= 1,000 jobs/s');
add(`queue: time per job at ${SIZES.join(', ')} jobs in a ${r.queue.scaling.folder === 'disk' ? 'folder on disk' : 'RAM folder'}, best of 3 each, reference run beside each (largest over smallest)`, r.queue.scaling.sizes.at(-1).msPerJob, 'ms/job', r.queue.scaling.sizes.map((x: any) => `${x.msPerJob.toFixed(3)} ms (ref ${x.referenceMsPerJob.toFixed(3)})`).join(' / '), r.queue.scaling.msPerJobRatio, '<= 1.5');
if (r.answers) add(`${r.answers.parallel} x ${r.answers.sizeMiB} MiB video answers at once, streamed to disk, vs fs.copyFile (RSS growth ${r.answers.parallelRssGrowthMiB} MiB, one answer ${r.answers.oneRssGrowthMiB} MiB)`, r.answers.parallelMs, 'ms', r.answers.copyMs, r.answers.ratio, '');
if (r.renderer && !r.renderer.error) {
  add(`Shots grid ${r.renderer.rows} rows: first render`, r.renderer.firstRenderMs, 'ms', 300, r.renderer.firstRenderMs / 300, '< 300 ms');
  add(`Shots grid ${r.renderer.rows} rows: frames over 33 ms scrolling end to end (best of 3)`, r.renderer.percentOver33, '%', `${r.renderer.over33} of ${r.renderer.frames} frames`, null, '<= 0.5%');
}
if (r.rendererQueue && !r.rendererQueue.error) add(`Queue screen ${r.rendererQueue.jobs} jobs, ${r.rendererQueue.updatesPerSecond ?? 200} job updates a second for 10 s: frames over 33 ms (best of 3)`, r.rendererQueue.percentOver33, '%', `${r.rendererQueue.over33} of ${r.rendererQueue.frames} frames`, null, '<= 0.5%');
if (r.farm && !r.farm.error) {
  add(`render farm: submit to worker start, per shot (median of ${r.farm.shots}; dev server on loopback, one worker), beside the shot's render on the worker (tiny pipeline on CPU)`, r.farm.submitToStartMs, 'ms', r.farm.renderMs, r.farm.submitToStartMs / r.farm.renderMs, '');
  add(`render farm: worker finish to clip in clips/, per shot (median of ${r.farm.shots}), beside the shot's render`, r.farm.finishToClipMs, 'ms', r.farm.renderMs, r.farm.finishToClipMs / r.farm.renderMs, '');
}
add(`peak RSS of the core through the phases (getrusage, MiB after each: ${Object.entries(r.maxRssMiBAfter).map(([k, v]) => `${k} ${v}`).join(', ')}; the queue's scaling runs up to ${Math.max(...SIZES)} jobs, run last: ${r.peakRssMiBQueueScaling})`, r.peakRssMiB, 'MiB', 400, r.peakRssMiB / 400, '<= 400 MiB');
results.rows = rows;
const outFile = path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'latest.json');
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.table(rows.map((x) => ({ phase: x.phase.slice(0, 90), value: `${x.value} ${x.unit}`, reference: x.reference, ratio: x.ratio, goal: x.goal })));
