/**
 * `npm run test:crash`: the crash-restart harness.
 *
 * Renders a batch of shots across four cloud providers' simulators (ltx2api, apixo, bytecompute with
 * `Connection: close`, and ltx in its synchronous v1 form, where the answer to the submit is the MP4
 * itself) and stops the rendering processes at seeded moments, restarting them each time:
 *   - SIGKILL of the CLI (`ltx-batch render`) or of the app's core (`ltx-batch ui`, driven over its
 *     WebSocket like the renderer);
 *   - interrupts: SIGINT to the CLI (Ctrl-C: it stops at a safe point and exits), and the app's
 *     quit (SIGTERM or SIGINT: `ui` closes the server, whose shutdown stops the queue at a safe point);
 *   - two `render` processes started at once on the same folder (one must exit 3 naming the other,
 *     or wait with --wait and take over when the holder is gone);
 *   - exports of the film from the app while re-rendered takes are in flight, in the app itself
 *     and while a CLI render holds the project;
 *   - the creator's go-ahead for jobs held as "may have been submitted twice" (`--resubmit-flagged`)
 *     on some restarts and always at the end.
 * Every decision comes from a generator seeded by CRASH_SEED (printed), so a failure can be
 * replayed (the moments are the same; what they hit depends on the machine's speed).
 *
 * At the end it checks: every shot succeeded; no task reached a service twice for the same job
 * unless the job was flagged "may have been submitted twice" (counted apart); no result a service
 * delivered was lost (a succeeded job's clip missing or unplayable, a delivered result never made a
 * clip and paid again); no ledger row is still 'reserved'; the ledger matches what the simulators
 * charged; no two processes drove the project at once; interrupts end the process in time; exports
 * work; no temporary file is left; PRAGMA integrity_check is ok for both databases. It prints one
 * JSON line and, for every problem, the shot, job, tasks and job_events; exits 1 when a check fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { probe } from '../../main/media/ffprobe';
import { startLtx2apiSimulator } from '../simulators/ltx2api';
import { startApixoSimulator } from '../simulators/apixo';
import { startBytecomputeSimulator } from '../simulators/bytecompute';
import { startLtxSimulator } from '../simulators/ltx';
import type { RequestRecord, SimResponse, SimulatorBase } from '../simulators/common';
import { AppClient, type AppEvent } from './app-client';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 100000);
const SHOTS = Number(process.env.CRASH_SHOTS ?? 66);
/** At least this many SIGKILLs and this many interrupts (SIGINT to the CLI, quit of the app) in the main phase. */
const KILLS = Number(process.env.CRASH_KILLS ?? 16);
const INTERRUPTS = Number(process.env.CRASH_INTERRUPTS ?? 12);
/** Rounds of "re-render some shots and export the film while they render". */
const EXPORT_ROUNDS = Number(process.env.CRASH_EXPORT_ROUNDS ?? 2);
/** How long an interrupted process may take to stop at its safe point and exit. */
const GRACE_MS = 60_000;

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
/** Every round draws the same number of values whatever it does, so one round's branch does not shift the next round's draws. */
const draw = (n: number) => Array.from({ length: n }, rand);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

const t0 = Date.now();
const rel = (t: number | undefined) => (t === undefined ? null : Math.round((t - t0) / 100) / 10);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ltx-crash-'));
const out = path.join(work, 'out');
const home = path.join(work, 'home');
const KEY = 'crash-harness-key-5150';

const sims = {
  ltx2api: await startLtx2apiSimulator({ apiKey: KEY, latencyMs: 15, renderMs: 900, shrinkVideos: true }),
  apixo: await startApixoSimulator({ apiKey: KEY, latencyMs: 15, renderMs: 700, shrinkVideos: true }),
  // Like an HTTP/1.0 server: every answer closes its connection (the case that crashed undici 7).
  bytecompute: await startBytecomputeSimulator({ apiKey: KEY, latencyMs: 15, renderMs: 600, closeConnections: true, shrinkVideos: true }),
  // The public LTX API without its async routes: the submit is held for the render and answered with the MP4.
  ltx: await startLtxSimulator({ apiKey: KEY, latencyMs: 15, renderMs: 1200, v2: false, concurrency: 10, shrinkVideos: true }),
} satisfies Record<string, SimulatorBase<any>>;
type SimName = keyof typeof sims;
const simNames = Object.keys(sims) as SimName[];

/**
 * Results the simulators delivered in full (a 200 whose last byte was handed to the socket), by
 * "sim:task". Read from outside the simulators, by wrapping their response writer.
 */
const delivered = new Map<string, number>();
for (const name of simNames) {
  const sim = sims[name] as unknown as { send: (res: http.ServerResponse, record: RequestRecord, resp: SimResponse, mode?: string) => void; tasks: Map<string, unknown> };
  const send = sim.send.bind(sim);
  sim.send = (res, record, resp, mode) => {
    send(res, record, resp, mode);
    if (mode || resp.status !== 200 || !resp.body || resp.headOnly || !record.kinds.includes('download') || res.destroyed) return;
    const id = [resp.headers?.['x-request-id'], ...record.path.split('/').map((s) => decodeURIComponent(s).replace(/\.mp4$/, ''))].find((s) => s && sim.tasks.has(s));
    if (id) res.once('finish', () => delivered.set(`${name}:${id}`, Date.now()));
  };
}

// The storyboard: unique prompts so the simulators' submissions can be traced to shots. One shot in
// six is ltx (each continuing the shot before it), one in twelve bytecompute, the others ltx2api and apixo. All but bytecompute's clips
// come out 1280x720 at 24 fps (quartered by the simulators), so stitching the film re-encodes only
// bytecompute's (832x480 at 25 fps; it takes no 24): each re-encode costs about a second.
const cycle: SimName[] = ['ltx2api', 'apixo', 'bytecompute', 'ltx2api', 'apixo', 'ltx', 'ltx2api', 'apixo', 'ltx2api', 'apixo', 'ltx2api', 'ltx'];
const rows = ['shot,prompt,duration,resolution,fps,provider,continue_from'];
const shotProvider = new Map<string, SimName>();
const shotSeconds = new Map<string, number>();
for (let i = 1; i <= SHOTS; i++) {
  const p = cycle[(i - 1) % cycle.length];
  const seconds = p === 'ltx' ? 6 : p === 'bytecompute' ? 4 : 5;
  shotProvider.set(String(i), p);
  shotSeconds.set(String(i), seconds);
  // Every ltx shot continues the shot before it: the queue holds it until that shot's clip exists
  // (dependencies across kills and restarts), then sends its last frame as the start image.
  rows.push(`${i},"crash harness shot ${i} on ${p}",${seconds},${p === 'bytecompute' ? '480p' : '720p'},${p === 'ltx' ? 24 : ''},${p},${p === 'ltx' && i > 1 ? 'previous' : ''}`);
}
const board = path.join(work, 'storyboard.csv');
fs.writeFileSync(board, rows.join('\n'));

const env: NodeJS.ProcessEnv = {
  ...process.env,
  LTX_BATCH_HOME: home,
  // ltx2api paces itself to 60 requests a minute per process: polls every 0.56 s keep a task to a few requests.
  LTX_BATCH_POLL_SCALE: '0.08',
  LTX2API_USD_PER_CREDIT: '0.01',
  LTX_API_FORM: 'v1',
  LTX_CONCURRENCY: '10',
  ...Object.fromEntries(simNames.flatMap((p) => [[`${p.toUpperCase()}_API_KEY`, KEY], [`${p.toUpperCase()}_BASE_URL`, sims[p].baseUrl]])),
};
/** The creator's go-ahead for flagged jobs, where this version of the CLI has it. */
const RESUBMIT = fs.readFileSync(path.join(ROOT, 'main', 'cli', 'index.ts'), 'utf8').includes("'--resubmit-flagged'") ? ['--resubmit-flagged'] : [];

// ---------- processes ----------

type Sig = 'SIGKILL' | 'SIGINT' | 'SIGTERM';
interface Proc {
  n: number;
  kind: 'cli' | 'app';
  label: string;
  child: ChildProcess;
  pid: number;
  startedAt: number;
  endedAt?: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The signal the harness sent, and when. */
  sent?: Sig;
  sentAt?: number;
  out: string;
  err: string;
  /** First and last moment it was seen driving jobs (CLI job lines, app job.updated events). */
  active?: [number, number];
  /** The stretches it drove jobs, split where it stopped to follow another process (app: project.held). */
  segments: [number, number][];
  /** Set while it follows another process's render: the next touch starts a new segment. */
  paused?: boolean;
  /** When it was seen moving a job to submitting (a claim: new work). */
  claims: number[];
  done: Promise<void>;
}
const procs: Proc[] = [];
const alive = (p: Proc) => p.endedAt === undefined;
const touch = (p: Proc, at = Date.now()) => {
  p.active = p.active ? [p.active[0], at] : [at, at];
  const last = p.segments.at(-1);
  if (last && !p.paused) last[1] = at;
  else p.segments.push([at, at]);
  p.paused = false;
};
const ACTIVE_LINE = /^shot \S+ take \d+: (submitting|running|downloading|succeeded)/;
/** A process in a message: what it was, its pid, when it lived and how it ended. */
const procView = (p?: Proc) => (p ? `${p.label} pid ${p.pid} (${rel(p.startedAt)}-${rel(p.endedAt)} s, ${p.sent ? `${p.sent} at ${rel(p.sentAt)} s` : `exited ${p.code}`})` : 'no process');

function spawnCli(args: string[], kind: 'cli' | 'app', label: string): Proc {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ltx-batch.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { n: procs.length + 1, kind, label, child, pid: child.pid ?? -1, startedAt: Date.now(), code: null, signal: null, out: '', err: '', claims: [], segments: [], done: Promise.resolve() };
  let partial = '';
  child.stdout!.on('data', (d) => {
    p.out = (p.out + d).slice(-40_000);
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    if (lines.some((l) => ACTIVE_LINE.test(l))) touch(p);
    for (const l of lines) if (/^shot \S+ take \d+: submitting$/.test(l)) p.claims.push(Date.now());
  });
  child.stderr!.on('data', (d) => (p.err = (p.err + d).slice(-20_000)));
  child.once('exit', () => (p.endedAt = Date.now()));
  p.done = new Promise((r) =>
    child.once('close', (code, signal) => {
      p.endedAt ??= Date.now();
      p.code = code;
      p.signal = signal;
      r();
    }),
  );
  procs.push(p);
  return p;
}

const counts = { kills: 0, cliInterrupts: 0, appQuits: 0, interruptsBeforeHandlers: 0, childrenLeftAfterKill: 0 };
const pairs = { rounds: 0, withWait: 0, busyExits: 0, waited: 0 };
const exportsDone = { attempted: 0, ok: 0, duringRender: 0, cutBySignal: 0 };
const appRenderBusy = { expected: 0, named: 0 };
/** Set when an app's render reported every shot rendered (the main phase ends). */
let appsDone = false;

/** A problem found: printed with its evidence, and the run fails. */
interface Problem {
  kind: string;
  shot?: string;
  jobId?: number;
  detail: string;
  evidence?: unknown;
}
const problems: Problem[] = [];
/** What the harness saw that is not a failure by the rules above but worth reading (printed too). */
const notes: Problem[] = [];

/** Processes working in this run's folder already reported as left behind. */
const seenOrphans = new Set<number>();

/** Sends `sig`; for an interrupt, waits for the process to stop at its safe point (SIGKILL after GRACE_MS). */
async function stop(p: Proc, sig: Sig): Promise<void> {
  if (!alive(p)) return;
  const children = processes().filter((x) => x.ppid === p.pid);
  p.sent = sig;
  p.sentAt = Date.now();
  p.child.kill(sig);
  if (sig === 'SIGKILL') counts.kills++;
  else if (p.kind === 'cli') counts.cliInterrupts++;
  else counts.appQuits++;
  if (sig !== 'SIGKILL') {
    const exited = await Promise.race([p.done.then(() => true), sleep(GRACE_MS).then(() => false)]);
    if (!exited) {
      problems.push({ kind: 'hung after interrupt', detail: `${p.label} (pid ${p.pid}) did not exit within ${GRACE_MS / 1000} s of ${sig}; killed`, evidence: { stdoutTail: p.out.slice(-1500), stderrTail: p.err.slice(-1500) } });
      p.child.kill('SIGKILL');
    }
  }
  await p.done;
  // Its children (ffmpeg stitching, ffprobe probing) should be gone with it, at least after a graceful stop.
  const after = processes();
  const now = new Map(after.map((x) => [x.pid, x]));
  // Its children seen before the signal that still run, and any new orphan working in this run's folder.
  const live = new Set(procs.filter(alive).map((x) => x.pid));
  const orphans = after.filter((x) => x.args.includes(work) && !live.has(x.pid) && !live.has(x.ppid) && !seenOrphans.has(x.pid));
  for (const o of orphans) seenOrphans.add(o.pid);
  const left = [...new Set([...children.filter((c) => now.get(c.pid)?.args === c.args), ...orphans].map((c) => `${c.pid} ${c.args}`))];
  if (left.length && sig !== 'SIGKILL') problems.push({ kind: 'child process left after a stop', detail: `${p.label} (pid ${p.pid}) exited after ${sig}, leaving its children: ${left.join(' | ').slice(0, 600)}` });
  else if (left.length) {
    counts.childrenLeftAfterKill += left.length;
    notes.push({ kind: 'child process left after SIGKILL', detail: `${p.label} (pid ${p.pid}): ${left.join(' | ').slice(0, 400)}` });
  }
}

/** The processes of this machine: pid, parent pid, command line. */
function processes(): { pid: number; ppid: number; args: string }[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout ?? '';
  return ps
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
}

/** Waits for the process to exit by itself, up to `ms`; true when it did. */
const exitsWithin = (p: Proc, ms: number) => Promise.race([p.done.then(() => true), sleep(ms).then(() => false)]);

/** The pid holding the project's lease, or null (no database yet, no holder, a holder that is gone). */
function leasePid(): number | null {
  const file = path.join(out, 'project.sqlite');
  if (!fs.existsSync(file)) return null;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 2000 });
    const row = db.prepare('SELECT pid FROM lease WHERE id = 1').get() as { pid: number } | undefined;
    if (!row) return null;
    const p = procs.find((x) => x.pid === row.pid);
    return p && alive(p) ? row.pid : null;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/** Starts the app's core (browser mode), connects like the renderer and opens the storyboard; null when it did not come up. */
async function startApp(label: string): Promise<{ proc: Proc; client: AppClient } | null> {
  const proc = spawnCli(['ui', '--port', '0'], 'app', label);
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url && alive(proc) && Date.now() < deadline) {
    url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(proc.out)?.[1];
    if (!url) await sleep(50);
  }
  if (!url) {
    problems.push({ kind: 'app did not start', detail: `${label} (pid ${proc.pid}) printed no URL`, evidence: { stdoutTail: proc.out.slice(-1500), stderrTail: proc.err.slice(-1500) } });
    if (alive(proc)) await stop(proc, 'SIGKILL');
    return null;
  }
  // While the app follows another process's render (project.held), the job updates it shows are
  // that process's work, not its own.
  let held = false;
  const onEvent = (e: AppEvent) => {
    if (e.event === 'project.held') {
      held = e.payload?.holder !== null;
      if (held) proc.paused = true;
    }
    if (held) return;
    if (e.event === 'job.updated' && ['submitting', 'running', 'downloading', 'succeeded'].includes(e.payload?.state)) touch(proc, e.at);
    if (e.event === 'job.updated' && e.payload?.state === 'submitting') proc.claims.push(e.at);
  };
  try {
    const client = await AppClient.connect(url, onEvent);
    await client.call('app.ready', {});
    await client.call('storyboard.openPath', { path: board });
    return { proc, client };
  } catch (e) {
    problems.push({ kind: 'app did not start', detail: `${label} (pid ${proc.pid}): ${(e as Error).message}` });
    if (alive(proc)) await stop(proc, 'SIGKILL');
    return null;
  }
}

/** render.failed events that are not the project being busy (the app's render of a folder a CLI holds). */
function appFailures(proc: Proc, client: AppClient): void {
  for (const e of client.events) {
    if (e.event !== 'render.failed') continue;
    if (/is being rendered by/.test(e.payload?.message ?? '')) continue;
    problems.push({ kind: 'app render failed', detail: `${proc.label} (pid ${proc.pid}): ${e.payload?.message}` });
  }
}

/** Main-phase renders go one shot at a time per provider, so that the batch outlasts the stops. */
const CONCURRENCY = 1;
const renderArgs = (extra: string[] = [], concurrency = true) => ['render', board, '--out', out, '--plain', ...(concurrency ? ['--concurrency', String(CONCURRENCY)] : []), ...extra];
/** Whether an app's render ended with every shot rendered. */
const appDone = (client: AppClient) => client.events.some((e) => e.event === 'render.finished' && e.payload?.succeeded >= SHOTS && Object.keys(e.payload?.waiting ?? {}).length === 0);
const interruptOf = (p: Proc, x: number): Sig => (p.kind === 'cli' ? 'SIGINT' : x < 0.5 ? 'SIGTERM' : 'SIGINT');

/** Kill or interrupt, from a draw, steering towards the targets still missing. */
function pickSignal(p: Proc, x: number, y: number): Sig {
  const interrupts = counts.cliInterrupts + counts.appQuits;
  const kill = counts.kills >= KILLS ? false : interrupts >= INTERRUPTS ? true : x < 0.55;
  return kill ? 'SIGKILL' : interruptOf(p, y);
}

// ---------- rounds ----------

/** The first of `ps` seen holding the project's lease within `ms`, or undefined (they exited, or nobody took it). */
async function leaseTaken(ps: Proc[], ms: number): Promise<Proc | undefined> {
  const until = Date.now() + ms;
  while (Date.now() < until && ps.some(alive)) {
    const pid = leasePid();
    const holder = ps.find((p) => p.pid === pid && alive(p));
    if (holder) return holder;
    await sleep(50);
  }
  return undefined;
}

/**
 * Stops `p` at a seeded moment: in one round in six during its start (from the spawn), otherwise
 * while it drives the queue (from the moment it took the project).
 */
async function stopAtMoment(p: Proc, d: number[]): Promise<void> {
  if (d[4] < 1 / 6) {
    if (!(await exitsWithin(p, 100 + d[2] * 1500))) await stop(p, pickSignal(p, d[0], d[1]));
    return;
  }
  if (!(await leaseTaken([p], 30_000)) && alive(p) && !(await exitsWithin(p, 30_000))) {
    problems.push({ kind: 'render never took the project', detail: `${p.label} (pid ${p.pid}) alive 60 s without the lease` });
  }
  if (alive(p) && !(await exitsWithin(p, d[2] * 2500))) await stop(p, pickSignal(p, d[0], d[1]));
}

/** One CLI render, stopped at a seeded moment. */
async function cliRound(d: number[], forceResubmit: boolean): Promise<Proc[]> {
  const p = spawnCli(renderArgs(forceResubmit || d[3] < 0.3 ? RESUBMIT : []), 'cli', 'render');
  await stopAtMoment(p, d);
  return [p];
}

/** The app's core renders the storyboard and is killed or quits at a seeded moment. */
async function appRound(d: number[]): Promise<Proc[]> {
  const app = await startApp('ui (render.start)');
  if (!app) return [];
  try {
    await app.client.call('render.start', { project: out, concurrency: CONCURRENCY });
  } catch (e) {
    problems.push({ kind: 'app render failed', detail: `render.start: ${(e as Error).message}` });
  }
  await exitsWithin(app.proc, 150 + d[2] * 2200);
  await stop(app.proc, pickSignal(app.proc, d[0], d[1]));
  appsDone ||= appDone(app.client);
  appFailures(app.proc, app.client);
  return [app.proc];
}

/**
 * Two renders at once on the same folder. Without --wait, the one that does not get the project
 * must exit 3 naming the holder's pid; with --wait on the second, it waits and takes over when the
 * holder is stopped. Each process that holds the project is stopped at its own seeded moment.
 */
async function pairRound(d: number[]): Promise<Proc[]> {
  pairs.rounds++;
  const wait = d[5] < 0.5;
  if (wait) pairs.withWait++;
  const a = spawnCli(renderArgs(d[3] < 0.3 ? RESUBMIT : []), 'cli', 'render (pair A)');
  const b = spawnCli(renderArgs(wait ? ['--wait'] : []), 'cli', `render (pair B${wait ? ', --wait' : ''})`);
  const both = [a, b];
  for (const step of [0, 1]) {
    const holder = await leaseTaken(both, 30_000);
    if (!holder) {
      if (both.some(alive)) problems.push({ kind: 'nobody holds the project', detail: `pair: ${both.filter(alive).map((p) => `${p.label} (pid ${p.pid})`).join(', ')} alive, no lease holder for 30 s` });
      break;
    }
    if (!(await exitsWithin(holder, (step === 0 ? d[2] : d[6]) * 2500))) await stop(holder, pickSignal(holder, step === 0 ? d[0] : d[7], d[1]));
  }
  for (const p of both) if (alive(p) && !(await exitsWithin(p, 20_000))) await stop(p, 'SIGKILL');
  for (const p of both) {
    if (p.err.includes('waiting: ')) pairs.waited++;
    if (p.code !== 3) continue;
    pairs.busyExits++;
    const other = both.find((x) => x !== p)!;
    if (!p.err.includes(`pid ${other.pid} on `)) problems.push({ kind: 'busy message does not name the holder', detail: `${p.label} (pid ${p.pid}) exited 3 but did not name pid ${other.pid}`, evidence: { stderrTail: p.err.slice(-800) } });
  }
  return both;
}

/** Re-renders 2-4 shots from the app: one ltx shot (a file answer) and 1-3 others, drawn. */
async function rerender(client: AppClient, d: number[]): Promise<void> {
  const jobs = (await client.call<any[]>('queue.list').catch(() => [])) ?? [];
  const latest = [...new Map(jobs.filter((j) => j.state === 'succeeded').map((j) => [j.shotId, j])).values()];
  const ltx = latest.filter((j) => shotProvider.get(j.shot) === 'ltx');
  const rest = latest.filter((j) => shotProvider.get(j.shot) !== 'ltx');
  const picked = new Set<number>();
  if (ltx.length) picked.add(ltx[Math.floor(d[0] * ltx.length)].shotId);
  for (let i = 0; i < 1 + Math.floor(d[1] * 3) && rest.length; i++) picked.add(rest[Math.floor(((d[2] + i * 0.618) % 1) * rest.length)].shotId);
  for (const shotId of picked) await client.call('queue.rerender', { shotId }).catch((e) => problems.push({ kind: 'rerender failed', detail: (e as Error).message }));
}

/**
 * Starts the app's export of the film now. `ended` settles with it; `judge`, called after the
 * processes were stopped, counts it: an export that failed before any stop is a problem, one cut by
 * the stop is not. A film exported in full is checked at once (a later process may write it again).
 */
async function exportNow(app: { proc: Proc; client: AppClient }): Promise<{ ended: Promise<void>; judge: () => Promise<void> }> {
  const listed = (await app.client.call<any[]>('queue.list').catch(() => [])) ?? [];
  const inFlight = listed.filter((j) => ['queued', 'submitting', 'running', 'downloading'].includes(j.state)).length;
  exportsDone.attempted++;
  if (inFlight) exportsDone.duringRender++;
  let endedAt = 0;
  let failure: Error | null = null;
  const ended = app.client.call<{ duration: number }>('timeline.export', {}, 180_000).then(
    async (r) => {
      endedAt = Date.now();
      const info = await probe(path.join(out, 'film.mp4')).catch((e: Error) => e);
      if (info instanceof Error || !info.video || Math.abs(info.duration - r.duration) > 0.5) {
        problems.push({ kind: 'exported film unplayable', detail: `after an export with ${inFlight} job(s) in flight: ${info instanceof Error ? info.message : `${info.duration} s, the export said ${r.duration} s`}` });
      }
    },
    (e: Error) => {
      endedAt = Date.now();
      failure = e;
    },
  );
  const judge = async () => {
    await ended;
    const err = failure as Error | null;
    if (!err) exportsDone.ok++;
    else if (app.proc.sentAt !== undefined && app.proc.sentAt <= endedAt) exportsDone.cutBySignal++;
    else problems.push({ kind: 'export failed', detail: `${app.proc.label} (pid ${app.proc.pid}), ${inFlight} job(s) in flight when it began: ${err.message}` });
  };
  return { ended, judge };
}

/** Half the time after the export has ended, else at a seeded moment (often during it). */
async function untilStop(ended: Promise<void>, x: number, y: number): Promise<void> {
  if (x < 0.5) await Promise.race([ended.then(() => sleep(200)), sleep(180_000)]);
  else await sleep(300 + y * 2500);
}

/** render.start in the app and its end (with everything rendered, it stitches the film). */
async function appRenderAll(app: { proc: Proc; client: AppClient }): Promise<void> {
  const from = app.client.events.length;
  await app.client.call('render.start', { project: out }).catch((e) => problems.push({ kind: 'app render failed', detail: `render.start: ${(e as Error).message}` }));
  await app.client.waitFor((e) => e.event === 'render.finished' || e.event === 'render.failed', from, 180_000);
}

/** Export round in the app alone: the app re-renders some shots and exports the film while they render. */
async function exportRound(d: number[]): Promise<Proc[]> {
  const app = await startApp('ui (re-render + export)');
  if (!app) return [];
  await appRenderAll(app);
  await rerender(app.client, d);
  const exp = await exportNow(app);
  await untilStop(exp.ended, d[4], d[3]);
  await stop(app.proc, d[5] < 0.5 ? 'SIGKILL' : interruptOf(app.proc, d[6]));
  await exp.judge();
  appFailures(app.proc, app.client);
  return [app.proc];
}

/**
 * Export round across processes: the app queues re-renders with every provider paused (so it does
 * not run them itself), then a CLI render takes the project (resuming the providers) and renders
 * them; meanwhile the app's render.start must follow it read-only naming the CLI (project.held),
 * and the app exports the film.
 * Both are stopped at seeded moments.
 */
async function crossExportRound(d: number[]): Promise<Proc[]> {
  const app = await startApp('ui (export while a CLI renders)');
  if (!app) return [];
  await appRenderAll(app);
  for (const provider of simNames) await app.client.call('queue.pauseProvider', { provider }).catch((e) => problems.push({ kind: 'pause failed', detail: (e as Error).message }));
  const from = app.client.events.length;
  await rerender(app.client, d);
  await app.client.waitFor((e) => e.event === 'render.finished' || e.event === 'render.failed', from, 30_000);
  const cli = spawnCli(renderArgs(), 'cli', 'render (during app export)');
  if (await leaseTaken([cli], 30_000)) {
    appRenderBusy.expected++;
    const since = app.client.events.length;
    await app.client.call('render.start', { project: out }).catch((e) => problems.push({ kind: 'app render failed', detail: `render.start: ${(e as Error).message}` }));
    // The app follows the CLI's render read-only, naming it, and renders only once the CLI ends.
    const ev = await app.client.waitFor((e) => e.event === 'project.held' || e.event === 'render.finished' || e.event === 'render.failed', since, 30_000);
    if (ev?.event === 'project.held' && String(ev.payload?.holder).includes(`pid ${cli.pid} on `)) appRenderBusy.named++;
    else problems.push({ kind: 'app rendered a held project', detail: `while ${cli.label} (pid ${cli.pid}) held it, the app's render.start gave ${ev ? `${ev.event}: ${JSON.stringify(ev.payload).slice(0, 300)}` : 'no event within 30 s'}` });
  }
  const exp = await exportNow(app);
  await untilStop(exp.ended, d[4], d[3]);
  await stop(cli, d[5] < 0.5 ? 'SIGKILL' : 'SIGINT');
  await stop(app.proc, d[6] < 0.5 ? 'SIGKILL' : interruptOf(app.proc, d[7]));
  await exp.judge();
  appFailures(app.proc, app.client);
  return [cli, app.proc];
}

/** Runs `render --resubmit-flagged` without stopping it, up to `tries` times, until it exits 0. */
async function runToEnd(label: string, tries: number): Promise<number | null> {
  let code: number | null = null;
  for (let i = 0; i < tries && code !== 0; i++) {
    const p = spawnCli(renderArgs(RESUBMIT, false), 'cli', label);
    if (!(await exitsWithin(p, 240_000))) {
      problems.push({ kind: 'render did not finish', detail: `${label} (pid ${p.pid}) still running after 240 s; killed`, evidence: { stdoutTail: p.out.slice(-1500) } });
      await stop(p, 'SIGKILL');
    }
    code = p.code;
    if (code !== 0) process.stderr.write(`${label} ${i + 1} exited ${code}:\n${p.out.slice(-1500)}${p.err.slice(-800)}\n`);
  }
  return code;
}

// ---------- the run ----------

// Main phase: restarts with kills, interrupts and pairs until both targets are met (or the batch is done).
let batchDone = false;
let forceResubmit = false;
let rounds = 0;
const maxRounds = (KILLS + INTERRUPTS) * 3;
while (!batchDone && rounds < maxRounds && (counts.kills < KILLS || counts.cliInterrupts + counts.appQuits < INTERRUPTS)) {
  rounds++;
  const d = draw(9);
  const kind = d[8] < 0.2 ? 'pair' : d[8] < 0.5 ? 'app' : 'cli';
  const before = counts.kills + counts.cliInterrupts + counts.appQuits;
  const ps = kind === 'pair' ? await pairRound(d) : kind === 'app' ? await appRound(d) : await cliRound(d, forceResubmit);
  // A render that ended with 0 (by itself, or finishing its film after Ctrl-C): every shot has a clip.
  batchDone = ps.some((p) => p.kind === 'cli' && p.code === 0) || appsDone;
  // Nothing to stop (it ended by itself, e.g. only flagged jobs were left): the creator approves them next time.
  forceResubmit = counts.kills + counts.cliInterrupts + counts.appQuits === before;
}
const mainPhase = { rounds, kills: counts.kills, interrupts: counts.cliInterrupts + counts.appQuits, batchDoneEarly: batchDone };

// Export phase: the batch finished, then re-renders with exports during them (app alone, then app beside a CLI).
const settleCode = await runToEnd('settle run', 4);
for (let i = 0; i < EXPORT_ROUNDS; i++) {
  const d = draw(8);
  if (i % 2 === 0) await exportRound(d);
  else await crossExportRound(d);
}
// Let it finish.
const finalCode = await runToEnd('final run', 5);
await sleep(200);

// ---------- checks ----------

for (const p of procs) {
  const expected = p.kind === 'cli' ? [0, 1, 3, 130] : [0];
  if (p.signal) {
    if (p.signal === p.sent) {
      if (p.sent !== 'SIGKILL') counts.interruptsBeforeHandlers++;
      continue;
    }
    if (p.signal === 'SIGKILL' && p.sent && p.sent !== 'SIGKILL') continue; // killed after hanging: reported already
    problems.push({ kind: 'unexpected exit', detail: `${p.label} (pid ${p.pid}) ended by ${p.signal}, which the harness did not send`, evidence: { stderrTail: p.err.slice(-1500) } });
  } else if (!expected.includes(p.code ?? -1)) {
    problems.push({ kind: 'unexpected exit', detail: `${p.label} (pid ${p.pid}) exited ${p.code}${p.sent ? ` after ${p.sent}` : ''}`, evidence: { stderrTail: p.err.slice(-1500) } });
  }
  const errors = p.err.split('\n').filter((l) => /^error: /.test(l) && !/is being rendered by/.test(l));
  if (errors.length) problems.push({ kind: 'error printed', detail: `${p.label} (pid ${p.pid}): ${errors.join(' | ').slice(0, 600)}` });
  const stitch = /no film written: the film could not be stitched[^\n]*/.exec(p.out);
  if (stitch) problems.push({ kind: 'film not stitched', detail: `${p.label} (pid ${p.pid}): ${stitch[0]}` });
}
// A process asked to stop starts no new work (100 ms of slack for a claim already made and the output in transit).
for (const p of procs.filter((x) => x.sent && x.sent !== 'SIGKILL')) {
  const late = p.claims.filter((t) => t > p.sentAt! + 100);
  if (late.length) problems.push({ kind: 'work started after a stop', detail: `${procView(p)} moved ${late.length} job(s) to submitting after ${p.sent}, at ${late.map(rel).join(', ')} s` });
}
// No two processes drove the project's jobs at the same time (200 ms of slack for output in transit).
const activeProcs = procs.filter((p) => p.active);
for (let i = 0; i < activeProcs.length; i++) {
  for (let j = i + 1; j < activeProcs.length; j++) {
    const [a, b] = [activeProcs[i], activeProcs[j]];
    for (const sa of a.segments) {
      for (const sb of b.segments) {
        const overlap = Math.min(sa[1], sb[1]) - Math.max(sa[0], sb[0]);
        if (overlap > 200) problems.push({ kind: 'two processes drove the project at once', detail: `${a.label} (pid ${a.pid}) active ${rel(sa[0])}-${rel(sa[1])} s and ${b.label} (pid ${b.pid}) active ${rel(sb[0])}-${rel(sb[1])} s` });
      }
    }
  }
}

const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
const integrity = db.pragma('integrity_check', { simple: true });
const shots = db.prepare('SELECT id, shot_key FROM shots WHERE active = 1').all() as { id: number; shot_key: string }[];
interface JobRow {
  id: number;
  shot_id: number;
  take: number;
  state: string;
  maybe_duplicate: number;
  output: string | null;
  provider: string;
  remote_task_id: string | null;
  error: string | null;
}
const jobs = db.prepare('SELECT id, shot_id, take, state, maybe_duplicate, output, provider, remote_task_id, error FROM jobs').all() as JobRow[];
const events = db.prepare('SELECT id, job_id, at, from_state, to_state, message FROM job_events ORDER BY id').all() as { id: number; job_id: number; at: number; from_state: string | null; to_state: string; message: string | null }[];
db.close();

const stripV1 = (t: string) => t.replace(/^v1:/, '');
const storedBy = new Map<number, string[]>();
const ownerOfTask = new Map<string, number>();
for (const e of events) {
  const m = /^submitted: task (.+)$/.exec(e.message ?? '');
  if (!m) continue;
  const id = stripV1(m[1]);
  storedBy.set(e.job_id, [...(storedBy.get(e.job_id) ?? []), id]);
  ownerOfTask.set(id, e.job_id);
}
/** A flag: the job went back from submitting with "may have been submitted twice" (the creator's go-ahead is not one). */
const flagEvents = events.filter((e) => e.from_state === 'submitting' && /may have been submitted twice/.test(e.message ?? ''));
const flaggedJobs = new Set(flagEvents.map((e) => e.job_id));
const shotOfJob = new Map(jobs.map((j) => [j.id, shots.find((s) => s.id === j.shot_id)?.shot_key ?? `#${j.shot_id}`]));
/** The process that most likely sent a request at `t`: alive then and already driving jobs (else alive), the first to end after it. */
function procAt(t: number): Proc | undefined {
  const living = procs.filter((p) => p.startedAt <= t && (p.endedAt ?? Infinity) >= t && p.code !== 3);
  const driving = living.filter((p) => p.active && p.active[0] <= t);
  return (driving.length ? driving : living).sort((x, y) => (x.endedAt ?? Infinity) - (y.endedAt ?? Infinity))[0];
}

/** Everything the service and the project know about one shot, for a problem's evidence. */
function shotEvidence(key: string) {
  const shot = shots.find((s) => s.shot_key === key);
  const sim = shotProvider.get(key)!;
  const own = jobs.filter((j) => j.shot_id === shot?.id);
  return {
    provider: sim,
    serviceTasks: simTasks(key).map((t) => ({ task: t.taskId, submittedAt: rel(t.at), delivered: rel(delivered.get(`${sim}:${t.taskId}`)), storedBy: ownerOfTask.get(t.taskId) ?? null, process: procView(procAt(t.at)) })),
    jobs: own.map((j) => ({
      job: j.id,
      take: j.take,
      state: j.state,
      maybeDuplicate: !!j.maybe_duplicate,
      task: j.remote_task_id,
      output: j.output,
      error: j.error,
      events: events.filter((e) => e.job_id === j.id).map((e) => `${rel(e.at)} s ${e.from_state ?? '-'} -> ${e.to_state}: ${e.message ?? ''}`),
    })),
  };
}
function simTasks(key: string) {
  const sim = shotProvider.get(key)!;
  const prefix = `crash harness shot ${key} on `;
  return sims[sim].submissions.filter((x) => String((x.body as any)?.prompt ?? (x.body as any)?.input?.prompt ?? '').startsWith(prefix)).map((x) => ({ taskId: x.taskId, at: x.at }));
}

// Shots, duplicates, lost results.
let notTerminal = 0;
let duplicates = 0;
let flaggedDuplicates = 0;
let lostClips = 0;
let deliveredLostOnKill = 0;
let abandonedOnInterrupt = 0;
for (const s of shots) {
  const key = s.shot_key;
  const own = jobs.filter((j) => j.shot_id === s.id);
  if (!own.some((j) => j.state === 'succeeded')) {
    notTerminal++;
    problems.push({ kind: 'shot not finished', shot: key, detail: `no succeeded take (latest: ${own.at(-1)?.state ?? 'none'})`, evidence: shotEvidence(key) });
  }
  for (const j of own.filter((x) => x.state === 'failed')) problems.push({ kind: 'job failed', shot: key, jobId: j.id, detail: j.error ?? '', evidence: shotEvidence(key) });
  // A task the service received that no job stored (the answer was lost), or a second task stored by one job.
  const tasks = simTasks(key);
  const orphans = tasks.filter((t) => !ownerOfTask.has(t.taskId));
  const multi = own.reduce((n, j) => n + Math.max(0, (storedBy.get(j.id)?.length ?? 0) - 1), 0);
  const extra = orphans.length + multi;
  const flags = flagEvents.filter((e) => own.some((j) => j.id === e.job_id)).length;
  flaggedDuplicates += Math.min(extra, flags);
  if (extra > flags) {
    duplicates += extra - flags;
    problems.push({ kind: 'duplicate submission', shot: key, detail: `${tasks.length} task(s) for ${own.length} job(s): ${extra - flags} more than the jobs and their ${flags} flag(s) explain`, evidence: shotEvidence(key) });
  }
  const sim = shotProvider.get(key)!;
  for (const t of tasks) {
    const at = delivered.get(`${sim}:${t.taskId}`);
    const jobId = ownerOfTask.get(t.taskId);
    if (jobId !== undefined) {
      // A stored task whose result was delivered must be the task its job's clip came from.
      const j = jobs.find((x) => x.id === jobId)!;
      if (at !== undefined && !(j.state === 'succeeded' && stripV1(j.remote_task_id ?? '') === t.taskId)) {
        lostClips++;
        problems.push({ kind: 'lost clip', shot: key, jobId, detail: `task ${t.taskId} was delivered at ${rel(at)} s but job ${jobId} ended ${j.state} with task ${j.remote_task_id}`, evidence: shotEvidence(key) });
      }
      continue;
    }
    // The answer never reached the database: whose process was it, and how did it end? A SIGKILL
    // after the last byte left the service is the ambiguous window; any other end must keep it.
    const owner = procAt(at ?? t.at);
    const how = !owner ? 'no process was alive' : owner.sent ? `${owner.sent} reached ${procView(owner)}` : `${procView(owner)} ended by itself`;
    if (at !== undefined && owner?.sent === 'SIGKILL') {
      deliveredLostOnKill++;
      notes.push({ kind: 'delivered, then the process was killed', shot: key, detail: `task ${t.taskId} delivered at ${rel(at)} s; ${procView(owner)}`, evidence: shotEvidence(key) });
    } else if (at !== undefined) {
      lostClips++;
      const gap = owner?.sentAt !== undefined ? at - owner.sentAt : 0;
      problems.push({ kind: 'lost clip', shot: key, detail: `task ${t.taskId} was delivered in full${owner?.sentAt !== undefined ? ` ${Math.abs(gap)} ms ${gap <= 0 ? 'before' : 'after'}` : ', then'} ${how}; no job stored it, so the shot was submitted and paid again`, evidence: shotEvidence(key) });
    } else if (owner?.sent && owner.sent !== 'SIGKILL') {
      abandonedOnInterrupt++;
      notes.push({ kind: 'submit abandoned by an interrupt', shot: key, detail: `task ${t.taskId} (submitted at ${rel(t.at)} s, charged by the service) was dropped when ${how}: flagged, and paid again once resubmitted`, evidence: shotEvidence(key) });
    } else if (!owner?.sent) {
      problems.push({ kind: 'submit answer lost', shot: key, detail: `task ${t.taskId} (submitted at ${rel(t.at)} s) was never stored and ${how}`, evidence: shotEvidence(key) });
    }
  }
}
// Succeeded clips on disk, complete and playable; clips no job names.
const named = new Set<string>();
for (const j of jobs.filter((x) => x.state === 'succeeded')) {
  named.add(path.normalize(j.output ?? ''));
  try {
    const info = await probe(path.join(out, j.output!));
    if (!info.video || info.duration < 1) throw new Error(`no video or ${info.duration} s`);
  } catch (e) {
    lostClips++;
    problems.push({ kind: 'lost clip', shot: shotOfJob.get(j.id), jobId: j.id, detail: `succeeded with ${j.output}, which does not play: ${(e as Error).message}`, evidence: shotEvidence(shotOfJob.get(j.id)!) });
  }
}
const strayClips = fs.existsSync(path.join(out, 'clips')) ? fs.readdirSync(path.join(out, 'clips')).filter((f) => !named.has(path.join('clips', f))) : [];
if (strayClips.length) notes.push({ kind: 'clips no job names', detail: strayClips.join(', ') });
// Temporary files: staging folders, export work folders, partial files.
const leftovers = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => /\.part($|\.)|(^|\/)tmp(\/|$)|^staging(\/|$)|^\.export-/.test(f));
for (const f of leftovers.filter((x) => !x.includes('/'))) {
  // Who made it: the process alive when it was created, and how that process ended.
  const born = fs.statSync(path.join(out, f)).birthtimeMs || fs.statSync(path.join(out, f)).mtimeMs;
  const maker = procs.filter((p) => p.startedAt <= born && (p.endedAt ?? Infinity) >= born && p.code !== 3).sort((x, y) => (x.endedAt ?? Infinity) - (y.endedAt ?? Infinity));
  const inside = leftovers.filter((x) => x.startsWith(`${f}/`));
  problems.push({ kind: 'temporary files left', detail: `${f}${inside.length ? ` (${inside.slice(0, 5).join(', ')})` : ''} made at ${rel(born)} s; alive then: ${maker.map(procView).join('; ') || 'no process'}` });
}
// The film.
let filmSeconds: number | null = null;
const expectedFilm = [...shotSeconds.values()].reduce((a, b) => a + b, 0);
try {
  filmSeconds = Math.round((await probe(path.join(out, 'film.mp4'))).duration * 100) / 100;
  if (Math.abs(filmSeconds - expectedFilm) > 0.05 * SHOTS) problems.push({ kind: 'film length', detail: `film.mp4 is ${filmSeconds} s; the shots add up to ${expectedFilm} s` });
} catch (e) {
  problems.push({ kind: 'film missing', detail: (e as Error).message });
}

// The ledger: no reservation left open; totals against what the simulators charged (USD; ltx2api
// credits at the rate set above). A submission flagged "may have been submitted twice" is kept at
// its estimate, because nobody can know whether the service charged for it: the simulators' total
// must lie between the ledger without the flagged rows and the ledger with them.
const settings = new Database(path.join(home, 'settings.sqlite'), { readonly: true });
const settingsIntegrity = settings.pragma('integrity_check', { simple: true });
const open = settings.prepare(`SELECT job_id, attempt, shot, provider, estimate_usd, reserved_at FROM ledger WHERE state = 'reserved'`).all() as { job_id: number; attempt: number; shot: string; provider: string; estimate_usd: number; reserved_at: number }[];
for (const r of open) {
  const last = events.filter((e) => e.job_id === r.job_id).at(-1);
  const rowsOfJob = settings.prepare('SELECT attempt, state, estimate_usd, actual_usd, maybe_duplicate, reserved_at, settled_at FROM ledger WHERE job_id = ? ORDER BY attempt').all(r.job_id) as Record<string, number | string | null>[];
  problems.push({
    kind: 'leaked reservation',
    shot: r.shot,
    jobId: r.job_id,
    detail: `ledger row of job ${r.job_id} attempt ${r.attempt} (${r.provider}, $${r.estimate_usd}) still 'reserved' (reserved at ${rel(r.reserved_at)} s); the job's last move, ${last?.from_state} -> ${last?.to_state} at ${rel(last?.at)} s, was made while ${procView(procAt(last?.at ?? 0))}`,
    evidence: { ledger: rowsOfJob.map((x) => ({ ...x, reserved_at: rel(x.reserved_at as number), settled_at: rel((x.settled_at as number) ?? undefined) })), ...shotEvidence(r.shot) },
  });
}
let ledgerMismatches = 0;
const perProvider: Record<string, { charged: number; ledger: number; flagged: number }> = {};
for (const p of simNames) {
  const charged = sims[p].charges.filter((c) => !c.refunded).reduce((s, c) => s + (c.unit === 'credits' ? c.amount * 0.01 : c.amount), 0);
  const sum = (flag: number) => (settings.prepare(`SELECT COALESCE(SUM(CASE WHEN state IN ('charged','reserved') THEN COALESCE(actual_usd, estimate_usd, 0) ELSE 0 END), 0) AS usd FROM ledger WHERE provider = ? AND maybe_duplicate = ?`).get(p, flag) as { usd: number }).usd;
  const confirmed = sum(0);
  const flaggedUsd = sum(1);
  perProvider[p] = { charged: Math.round(charged * 1000) / 1000, ledger: Math.round(confirmed * 1000) / 1000, flagged: Math.round(flaggedUsd * 1000) / 1000 };
  if (charged < confirmed - 0.005 || charged > confirmed + flaggedUsd + 0.005) {
    ledgerMismatches++;
    problems.push({ kind: 'ledger mismatch', detail: `${p}: the service charged $${perProvider[p].charged}, the ledger holds $${perProvider[p].ledger} confirmed + $${perProvider[p].flagged} flagged` });
  }
}
settings.close();
const rateLimited = (sims.ltx as unknown as { rateLimited?: unknown[] }).rateLimited?.length ?? 0;
for (const s of Object.values(sims)) await s.close();

const interrupts = counts.cliInterrupts + counts.appQuits;
if (counts.kills < KILLS || interrupts < INTERRUPTS) problems.push({ kind: 'too few stops', detail: `${counts.kills} kills (want ${KILLS}) and ${interrupts} interrupts (want ${INTERRUPTS}): the batch finished first` });
if (SHOTS < 50 || shots.length < SHOTS) problems.push({ kind: 'too few shots', detail: `${shots.length} shots` });
if (integrity !== 'ok' || settingsIntegrity !== 'ok') problems.push({ kind: 'integrity', detail: `project: ${integrity}; settings: ${settingsIntegrity}` });
if (finalCode !== 0) problems.push({ kind: 'final run failed', detail: `exit ${finalCode}` });

const result = {
  seed: SEED,
  kills: counts.kills,
  interrupts,
  interruptsBy: { cliSigint: counts.cliInterrupts, appQuit: counts.appQuits, beforeHandlers: counts.interruptsBeforeHandlers },
  childrenLeftAfterKill: counts.childrenLeftAfterKill,
  shots: shots.length,
  ltxV1Shots: [...shotProvider.values()].filter((p) => p === 'ltx').length,
  notTerminal,
  flaggedJobs: flaggedJobs.size,
  // duplicateSubmissions excludes the submissions a "may have been submitted twice" flag explains (flaggedAmbiguousSubmissions).
  duplicateSubmissions: duplicates,
  flaggedAmbiguousSubmissions: flaggedDuplicates,
  lostClips,
  leakedReservations: open.length,
  deliveredThenKilled: deliveredLostOnKill,
  submitsAbandonedByInterrupt: abandonedOnInterrupt,
  pairs,
  appRenderOnHeldProject: appRenderBusy,
  exports: exportsDone,
  tempFilesLeft: leftovers.length,
  strayClips: strayClips.length,
  ledgerMismatches,
  ledger: perProvider,
  ltxRateLimited: rateLimited,
  integrity,
  settingsIntegrity,
  filmSeconds,
  expectedFilmSeconds: expectedFilm,
  mainPhase,
  settleExitCode: settleCode,
  finalExitCode: finalCode,
  problems: problems.length,
  problemKinds: [...new Set(problems.map((p) => p.kind))],
  seconds: Math.round((Date.now() - t0) / 1000),
};
const report = {
  result,
  problems,
  notes,
  flagged: [...flaggedJobs].map((id) => ({ job: id, shot: shotOfJob.get(id), ...shotEvidence(shotOfJob.get(id)!) })),
  processes: procs.map((p) => ({ n: p.n, label: p.label, pid: p.pid, start: rel(p.startedAt), end: rel(p.endedAt), sent: p.sent ?? null, sentAt: rel(p.sentAt), code: p.code, signal: p.signal, active: p.active?.map(rel) ?? null, stdoutTail: p.out.slice(-1200), stderrTail: p.err.slice(-600) })),
};
fs.writeFileSync(path.join(work, 'report.json'), JSON.stringify(report, null, 2));
const show = (label: string, list: Problem[]) => {
  for (const p of list) process.stderr.write(`${label} ${p.kind}${p.shot ? ` (shot ${p.shot}${p.jobId ? `, job ${p.jobId}` : ''})` : ''}: ${p.detail}\n${p.evidence ? `${JSON.stringify(p.evidence, null, 2)}\n` : ''}`);
};
show('NOTE', notes.slice(0, 10));
show('PROBLEM', problems.slice(0, 25));
console.log(JSON.stringify(result));
const ok = problems.length === 0;
if (ok) fs.rmSync(work, { recursive: true, force: true });
else console.error(`crash harness FAILED: ${problems.length} problem(s) (replay with CRASH_SEED=${SEED}); work folder kept: ${work} (report.json has every problem with its evidence and the process timeline)`);
process.exit(ok ? 0 : 1);
