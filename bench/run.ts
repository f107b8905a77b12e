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
results.import = { ms: importMs, csvParseMs, ratio: importMs / csvParseMs };
results.estimate = { ms: estimateMs };

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
clearInterval(sampler);
results.peakRssMiB = Math.round(peakRss / 2 ** 20);

fs.rmSync(work, { recursive: true, force: true });
const outFile = path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'latest.json');
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
const r = results as { import: { ms: number; csvParseMs: number; ratio: number }; estimate: { ms: number }; queue: { ms: number; jobsPerSecond: number; bareSqliteMs: number; ratio: number } };
console.table({
  [`import ${ROWS} rows`]: { ms: r.import.ms.toFixed(0), reference: `csv-parse ${r.import.csvParseMs.toFixed(0)} ms`, ratio: r.import.ratio.toFixed(1) },
  [`estimate ${ROWS} rows`]: { ms: r.estimate.ms.toFixed(0), reference: '', ratio: '' },
  [`queue ${ROWS} jobs`]: { ms: r.queue.ms.toFixed(0), reference: `bare sqlite ${r.queue.bareSqliteMs.toFixed(0)} ms`, ratio: r.queue.ratio.toFixed(1) },
});
console.log(JSON.stringify(results));
