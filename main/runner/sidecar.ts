/**
 * The local GPU runner as a sidecar process (resources/runner, Python): started on 127.0.0.1 on a
 * free port with a random bearer token (passed in a file readable only by this user), considered
 * up when /health answers, restarted after an unexpected exit, and stopped (POST /shutdown, then
 * SIGTERM, then SIGKILL) with a wait for the process to be gone, so no Python process is left
 * holding the GPU. A runner started by hand on another machine is used by URL and token instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRequest } from '../net/http';
import { resourcesDir } from '../media/ffmpeg-path';
import { appHome } from '../settings/home';

/** Where a runner is: a URL and its token. */
export interface RunnerEndpoint {
  url: string;
  token: string;
}

/** The runner's virtual environment: LTX_RUNNER_VENV, else APP_HOME/runner-venv. */
export function runnerVenv(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.LTX_RUNNER_VENV || path.join(appHome(env), 'runner-venv'));
}

/** The runner's Python interpreter inside the venv. */
export function runnerPython(env: NodeJS.ProcessEnv = process.env): string {
  const venv = runnerVenv(env);
  return process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

/** The runner's source folder (resources/runner; extraResources in packaged builds). */
export function runnerSourceDir(): string {
  return path.join(resourcesDir(), 'runner');
}

/** Thrown when the runner is not installed or does not come up; the message says what to do. */
export class RunnerUnavailableError extends Error {}

/** Options of {@link RunnerSidecar}. */
export interface SidecarOptions {
  env?: NodeJS.ProcessEnv;
  /** Model: "tiny-random" (tests), a local diffusers folder, or a hub id (LTX_RUNNER_MODEL). */
  model?: string;
  /** Seconds to wait for /health after start (default 120: the first import of torch is slow). */
  startTimeoutS?: number;
  /** Structured log lines of the runner (its stderr). */
  onLog?: (line: string) => void;
}

/** One runner process (or a remote runner), started on first use. */
export class RunnerSidecar {
  private child: ChildProcess | null = null;
  private endpoint: RunnerEndpoint | null = null;
  private starting: Promise<RunnerEndpoint> | null = null;
  private stopping = false;
  /** Times the process was (re)started. */
  starts = 0;
  /** The last lines the runner wrote to stderr (to explain a crash). */
  private lastLog: string[] = [];

  constructor(private readonly opts: SidecarOptions = {}) {}

  private get env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env;
  }

  /** A runner on another machine, when LTX_RUNNER_URL and LTX_RUNNER_TOKEN are set. */
  remote(): RunnerEndpoint | null {
    const url = this.env.LTX_RUNNER_URL;
    const token = this.env.LTX_RUNNER_TOKEN;
    return url && token ? { url: url.replace(/\/+$/, ''), token } : null;
  }

  /** True when the venv's Python exists (or a remote runner is configured). */
  installed(): boolean {
    return !!this.remote() || fs.existsSync(runnerPython(this.env));
  }

  /** The PID of the running process, if any. */
  pid(): number | undefined {
    return this.child?.pid;
  }

  /** The runner's endpoint, starting the process when needed. Throws RunnerUnavailableError. */
  async ensure(): Promise<RunnerEndpoint> {
    const remote = this.remote();
    if (remote) return remote;
    if (this.endpoint && this.child && this.child.exitCode === null && this.child.signalCode === null) return this.endpoint;
    this.starting ??= this.start().finally(() => (this.starting = null));
    return this.starting;
  }

  private async start(): Promise<RunnerEndpoint> {
    const py = runnerPython(this.env);
    if (!fs.existsSync(py)) throw new RunnerUnavailableError(`the local runner is not installed (no ${py}); install it with: ltx-batch runner install`);
    const token = crypto.randomBytes(24).toString('base64url');
    const tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltx-runner-'));
    const tokenFile = path.join(tokenDir, 'token');
    fs.writeFileSync(tokenFile, token, { mode: 0o600 });
    const args = ['-m', 'ltx_runner', 'serve', '--host', '127.0.0.1', '--port', '0', '--token-file', tokenFile, '--parent-pid', String(process.pid)];
    const model = this.opts.model ?? this.env.LTX_RUNNER_MODEL;
    if (model) args.push('--model', model);
    const child = spawn(py, args, { cwd: runnerSourceDir(), env: { ...this.env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', (e) => reject(new RunnerUnavailableError(`the local runner could not be started: ${e.message}`))));
    spawnFailed.catch(() => {});
    this.lastLog = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      for (const line of d.split('\n').filter(Boolean)) {
        this.lastLog = [...this.lastLog, line].slice(-20);
        this.opts.onLog?.(line);
      }
    });
    child.once('exit', () => {
      fs.rmSync(tokenDir, { recursive: true, force: true });
      if (this.child === child) {
        this.child = null;
        this.endpoint = null;
      }
    });
    const timeout = (this.opts.startTimeoutS ?? 120) * 1000;
    const port = await Promise.race([spawnFailed, new Promise<number>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new RunnerUnavailableError(`the local runner did not start within ${timeout / 1000} s`)), timeout);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        clearTimeout(timer);
        try {
          const msg = JSON.parse(buf.slice(0, nl)) as { event?: string; port?: number; error?: string };
          if (msg.event === 'listening' && msg.port) resolve(msg.port);
          else reject(new RunnerUnavailableError(`the local runner could not start: ${msg.error ?? buf.slice(0, nl)}`));
        } catch {
          reject(new RunnerUnavailableError(`the local runner printed something unexpected: ${buf.slice(0, 200)}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new RunnerUnavailableError(`the local runner exited (code ${code}) while starting: ${this.explain()}`));
      });
    })]);
    const ep = { url: `http://127.0.0.1:${port}`, token };
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        const r = await openRequest({ method: 'GET', url: `${ep.url}/health`, idleTimeoutMs: 5000 });
        r.body.resume();
        if (r.status === 200) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new RunnerUnavailableError('the local runner did not answer /health');
      await new Promise((r) => setTimeout(r, 200));
    }
    this.endpoint = ep;
    return ep;
  }

  /** What the runner's stderr said last, to explain a failure (missing module, CUDA). */
  explain(): string {
    const text = this.lastLog.join('\n');
    if (/No module named/.test(text)) return `a Python package is missing (${/No module named '?([\w.]+)/.exec(text)?.[1]}); reinstall with: ltx-batch runner install --force`;
    if (/CUDA/i.test(text) && /error/i.test(text)) return `a CUDA error: ${this.lastLog.filter((l) => /CUDA/i.test(l)).slice(-1)[0]}`;
    return this.lastLog.slice(-3).join(' | ') || 'no output';
  }

  /** Stops the process and waits until it is gone (POST /shutdown, then SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.stopping) return;
    this.stopping = true;
    const gone = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
    try {
      if (this.endpoint) {
        await openRequest({ method: 'POST', url: `${this.endpoint.url}/shutdown`, headers: { authorization: `Bearer ${this.endpoint.token}` }, idleTimeoutMs: 3000 }).then((r) => void r.body.resume()).catch(() => {});
      }
      const term = setTimeout(() => child.kill('SIGTERM'), 3000);
      const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
      await gone;
      clearTimeout(term);
      clearTimeout(kill);
    } finally {
      this.stopping = false;
      this.child = null;
      this.endpoint = null;
    }
  }
}
