/**
 * `npm run test:crash`: the crash-restart harness.
 *
 * Renders a batch of at least 50 shots across several cloud providers (their simulators, with
 * latency) and SIGKILLs the rendering process at random moments, at least 20 times, restarting it
 * each time: the CLI (`ltx-batch render`) and the core behind the app (`ltx-batch ui`, driven over
 * its WebSocket like the renderer does). The kill moments come from a seeded generator
 * (CRASH_SEED, printed) so a failure can be replayed. At the end it checks:
 *   - every shot reached a terminal state (succeeded);
 *   - no remote task was submitted twice for the same shot, except where the kill fell between
 *     sending a submit and storing its answer: those are flagged "may have been submitted twice"
 *     and counted separately;
 *   - every succeeded clip on disk is complete and plays (ffprobe); no temporary files are left;
 *   - the ledger matches what the simulators charged; PRAGMA integrity_check is ok.
 * Prints one JSON line and exits 1 when a check fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { probe } from '../../main/media/ffprobe';
import { startLtx2apiSimulator } from '../simulators/ltx2api';
import { startApixoSimulator } from '../simulators/apixo';
import { startBytecomputeSimulator } from '../simulators/bytecompute';
import type { SimulatorBase } from '../simulators/common';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 100000);
const SHOTS = Number(process.env.CRASH_SHOTS ?? 54);
const KILLS = Number(process.env.CRASH_KILLS ?? 24);

/** mulberry32: a small seeded generator so a run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = seeded(SEED);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ltx-crash-'));
const out = path.join(work, 'out');
const home = path.join(work, 'home');
const KEY = 'crash-harness-key-5150';

const sims = {
  ltx2api: await startLtx2apiSimulator({ apiKey: KEY, latencyMs: 15, renderMs: 900 }),
  apixo: await startApixoSimulator({ apiKey: KEY, latencyMs: 15, renderMs: 700 }),
  // Like an HTTP/1.0 server: every answer closes its connection (the case that crashed undici 7).
  bytecompute: await startBytecomputeSimulator({ apiKey: KEY, latencyMs: 15, renderMs: 600, closeConnections: true }),
} satisfies Record<string, SimulatorBase<any>>;
const providers = Object.keys(sims) as (keyof typeof sims)[];

// The storyboard: unique prompts so the simulators' submissions can be traced to shots.
const rows = ['shot,prompt,duration,resolution,provider'];
for (let i = 1; i <= SHOTS; i++) {
  const p = providers[i % providers.length];
  rows.push(`${i},"crash harness shot ${i} on ${p}",${p === 'bytecompute' ? 4 : 5},480p,${p}`);
}
const board = path.join(work, 'storyboard.csv');
fs.writeFileSync(board, rows.join('\n'));

const env: NodeJS.ProcessEnv = {
  ...process.env,
  LTX_BATCH_HOME: home,
  LTX_BATCH_POLL_SCALE: '0.004',
  LTX2API_USD_PER_CREDIT: '0.01',
  ...Object.fromEntries(providers.flatMap((p) => [[`${p.toUpperCase()}_API_KEY`, KEY], [`${p.toUpperCase()}_BASE_URL`, sims[p].baseUrl]])),
};
const cli = (args: string[]) => spawn(process.execPath, [path.join(ROOT, 'bin', 'ltx-batch.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

/** Starts the app's core (browser mode) and asks it to render the storyboard, like the renderer does. */
async function startAppCore(): Promise<ChildProcess> {
  const child = cli(['ui', '--port', '0']);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`ui exited early: ${buf}`)));
  });
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/ws?token=${u.searchParams.get('token')}`, { origin: `http://${u.host}` });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  let id = 0;
  const call = (method: string, args: unknown) =>
    new Promise<void>((resolve, reject) => {
      const my = ++id;
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'result' && m.id === my) (m.ok ? resolve() : reject(new Error(m.error.message)));
      });
      ws.send(JSON.stringify({ type: 'call', id: my, method, args }));
    });
  await call('app.ready', {});
  await call('storyboard.openPath', { path: board });
  await call('render.start', { project: out });
  child.once('exit', () => ws.terminate());
  return child;
}

let kills = 0;
const t0 = Date.now();
while (kills < KILLS) {
  const viaApp = kills % 3 === 2;
  const child = viaApp ? await startAppCore().catch(() => null) : cli(['render', board, '--out', out, '--plain']);
  if (!child) continue;
  const delay = 150 + Math.floor(rand() * 1600);
  const code = await Promise.race([exited(child), new Promise<'kill'>((r) => setTimeout(() => r('kill'), delay))]);
  if (code === 'kill') {
    child.kill('SIGKILL');
    await exited(child);
    kills++;
  } else if (!viaApp) {
    // It finished before the kill: the batch is done; later runs only re-check.
    if (code === 0) break;
  }
}
// Let it finish.
let finalCode: number | null = null;
for (let i = 0; i < 5 && finalCode !== 0; i++) {
  const c = cli(['render', board, '--out', out, '--plain']);
  let log = '';
  c.stdout!.on('data', (d) => (log += d));
  c.stderr!.on('data', (d) => (log += d));
  finalCode = await exited(c);
  if (finalCode !== 0) process.stderr.write(`final run ${i + 1} exited ${finalCode}:\n${log.slice(-2000)}\n`);
}

// Checks.
const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
const integrity = db.pragma('integrity_check', { simple: true });
const shots = db.prepare('SELECT id, shot_key FROM shots WHERE active = 1').all() as { id: number; shot_key: string }[];
const jobs = db.prepare('SELECT id, shot_id, state, maybe_duplicate, output, provider FROM jobs').all() as { id: number; shot_id: number; state: string; maybe_duplicate: number; output: string | null; provider: string }[];
const notTerminal = shots.filter((s) => !jobs.some((j) => j.shot_id === s.id && j.state === 'succeeded')).length;
const flaggedEvents = db.prepare(`SELECT job_id FROM job_events WHERE message LIKE '%may have been submitted twice%'`).all() as { job_id: number }[];
db.close();
let duplicates = 0;
let flagged = 0;
for (const s of shots) {
  const prompt = `crash harness shot ${s.shot_key} on`;
  const submitted = providers.reduce((n, p) => n + sims[p].submissions.filter((x) => String((x.body as any)?.prompt ?? (x.body as any)?.input?.prompt ?? '').startsWith(prompt + ' ')).length, 0);
  const flags = flaggedEvents.filter((e) => jobs.find((j) => j.id === e.job_id)?.shot_id === s.id).length;
  flagged += Math.min(flags, Math.max(0, submitted - 1));
  duplicates += Math.max(0, submitted - 1 - flags);
}
let lostClips = 0;
for (const j of jobs.filter((x) => x.state === 'succeeded')) {
  try {
    const info = await probe(path.join(out, j.output!));
    if (!info.video || info.duration < 1) lostClips++;
  } catch {
    lostClips++;
  }
}
const leftovers = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => /\.part($|\.)|^tmp(\/|$)/.test(f)).length;
// Ledger vs what the simulators charged (USD; ltx2api credits at the rate set above). A submission
// flagged "may have been submitted twice" is kept in the ledger at its estimate, because nobody can
// know whether the service charged for it: the simulators' total must lie between the ledger
// without the flagged rows and the ledger with them.
const settings = new Database(path.join(home, 'settings.sqlite'), { readonly: true });
let ledgerMismatches = 0;
const perProvider: Record<string, { charged: number; ledger: number; flagged: number }> = {};
for (const p of providers) {
  const charged = sims[p].charges.filter((c) => !c.refunded).reduce((s, c) => s + (c.unit === 'credits' ? c.amount * 0.01 : c.amount), 0);
  const sum = (flag: number) => (settings.prepare(`SELECT COALESCE(SUM(CASE WHEN state IN ('charged','reserved') THEN COALESCE(actual_usd, estimate_usd, 0) ELSE 0 END), 0) AS usd FROM ledger WHERE provider = ? AND maybe_duplicate = ?`).get(p, flag) as { usd: number }).usd;
  const confirmed = sum(0);
  const flaggedUsd = sum(1);
  perProvider[p] = { charged: Math.round(charged * 1000) / 1000, ledger: Math.round(confirmed * 1000) / 1000, flagged: Math.round(flaggedUsd * 1000) / 1000 };
  if (charged < confirmed - 0.005 || charged > confirmed + flaggedUsd + 0.005) ledgerMismatches++;
}
settings.close();
for (const s of Object.values(sims)) await s.close();

const result = {
  seed: SEED,
  kills,
  shots: shots.length,
  notTerminal,
  duplicateSubmissions: duplicates,
  flaggedAmbiguousSubmissions: flagged,
  lostClips,
  tempFilesLeft: leftovers,
  ledgerMismatches,
  ledger: perProvider,
  integrity,
  finalExitCode: finalCode,
  seconds: Math.round((Date.now() - t0) / 1000),
};
console.log(JSON.stringify(result));
const ok = kills >= KILLS && notTerminal === 0 && duplicates === 0 && lostClips === 0 && leftovers === 0 && ledgerMismatches === 0 && integrity === 'ok' && finalCode === 0 && shots.length >= 50;
if (ok) fs.rmSync(work, { recursive: true, force: true });
else console.error(`crash harness FAILED (replay with CRASH_SEED=${SEED}); work folder kept: ${work}`);
process.exit(ok ? 0 : 1);
