/**
 * A full disk beyond the remote download (which each provider's matrix covers): the preview
 * provider's ffmpeg writing into a full output folder, and the CLI, whose project database lives in
 * the output folder too, when that disk fills up in the middle of a batch. The README's promise:
 * "a full disk stops the batch with that message"; nothing is failed, the batch resumes later.
 *
 * The output folders are small tmpfs mounts (root; CI runs as root).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { ROOT, tmpDir, withFiles } from '../helpers/tmp';
import { KITS, type Sim } from './kit';

const mounts: string[] = [];
function tmpfs(size: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltx-fault-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`mounting a tmpfs failed (these tests run as root): ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
  mounts.push(dir);
  return dir;
}
afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', m], { stdio: 'pipe' });
    }
    fs.rmSync(m, { recursive: true, force: true });
  }
});
/** Takes all but `leaveBytes` of the free space of the file system holding `dir` (as much as it can when others write too). */
function fill(dir: string, leaveBytes: number): string {
  const st = fs.statfsSync(dir);
  const filler = path.join(dir, 'filler');
  let left = Math.max(0, st.bavail * st.bsize - leaveBytes);
  const fd = fs.openSync(filler, 'w');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    while (left > 0) left -= fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

describe('the preview provider renders into a full disk', () => {
  it('stops the batch with "no space left" (ffmpeg could not write the clip); nothing failed, nothing half-written in clips/', async () => {
    const mnt = tmpfs('8m');
    const out = path.join(mnt, 'out');
    fs.mkdirSync(out);
    const rows = ['shot,prompt,duration,resolution', '1,a full disk,6,1280x720', '2,a full disk,6,1280x720', '3,a full disk,6,1280x720'];
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': rows.join('\n') }), 'sb.csv'));
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const plan = planStoryboard(sb.shots, reg);
    const store = new ProjectStore(tmpDir('ltx-fault-db-'));
    try {
      store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
      // Room for the animatic's small work files, not for a clip: ffmpeg itself runs out of space.
      const filler = fill(mnt, 24 * 1024);
      const summary = await new QueueRunner(store, reg, { outDir: out, backoff: { baseMs: 5, maxMs: 50 }, pollIntervalMs: 5 }).run();
      const jobs = store.latestJobs();
      expect(jobs.filter((j) => j.state === 'failed').map((j) => j.error)).toEqual([]);
      expect(summary.failed).toBe(0);
      expect(summary.stoppedBecause).toMatch(/no space left/);
      expect(fs.readdirSync(path.join(out, 'clips'))).toEqual([]);
      // Space freed: the same batch renders.
      fs.rmSync(filler);
      for (const p of store.pausedProviders().keys()) store.resumeProvider(p);
      expect(await new QueueRunner(store, reg, { outDir: out, backoff: { baseMs: 5, maxMs: 50 }, pollIntervalMs: 5 }).run()).toMatchObject({ succeeded: 3, failed: 0 });
    } finally {
      store.close();
    }
  });
});

/** Runs the CLI `render`; kills it (by its pid) after `limitMs` and reports it as hung. */
function runCli(args: string[], env: NodeJS.ProcessEnv, limitMs: number, onOutput?: (text: string) => void): Promise<{ code: number | null; out: string; hung: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ltx-batch.js'), ...args], { cwd: ROOT, env: { ...env, LTX_BATCH_HOME: tmpDir('ltx-home-') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let hung = false;
    const onData = (d: Buffer) => {
      text += d;
      onOutput?.(text);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: text, hung });
    });
  });
}

describe('the CLI, preview provider: the disk holding the project fills up while clips render', () => {
  it('stops by itself saying the disk is full (no busy loop); nothing failed', async () => {
    const mnt = tmpfs('8m');
    const out = path.join(mnt, 'out');
    const sb = path.join(withFiles({ 'sb.csv': ['shot,prompt,duration,resolution', ...[1, 2, 3, 4].map((i) => `${i},full disk while rendering ${i},20,1280x720`)].join('\n') }), 'sb.csv');
    let filler: string | undefined;
    try {
      const res = await runCli(['render', sb, '--out', out, '--plain'], { ...process.env }, 12_000, (text) => {
        if (!filler && /: running/.test(text)) filler = fill(mnt, 0);
      });
      expect(filler, res.out).toBeDefined();
      expect(res.hung, `the CLI did not end within 12 s:\n${res.out}`).toBe(false);
      expect(res.code).toBe(1);
      expect(res.out).toMatch(/no space left|disk is full|disk full/i);
      expect(fs.readdirSync(path.join(out, 'clips'))).toEqual([]);
    } finally {
      if (filler) fs.rmSync(filler, { force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the CLI: the disk holding the project (database and clips) fills up mid-batch', () => {
  const kit = KITS.apixo;
  let sim: Sim;
  beforeAll(async () => {
    sim = await kit.start();
  });
  afterAll(() => sim?.close());

  it('stops promptly saying the disk is full, without hammering the service; nothing failed; a re-run after freeing space finishes', async () => {
    const mnt = tmpfs('8m');
    const out = path.join(mnt, 'out');
    const sb = path.join(withFiles({ 'sb.csv': ['shot,prompt,duration,resolution,provider', ...[1, 2, 3].map((i) => `${i},cli full disk shot ${i},5,480p,apixo`)].join('\n') }), 'sb.csv');
    const env: NodeJS.ProcessEnv = { ...process.env, APIXO_API_KEY: 'apixo-fault-matrix-key-31337', APIXO_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.01' };
    const renderMs = sim.renderMs;
    // Long enough renders that the disk fills while every task is being polled.
    sim.renderMs = 1_500;
    let filler: string | undefined;
    let pollsAtFill = 0;
    let filledAt = 0;
    const run = (onOutput?: (text: string) => void) => runCli(['render', sb, '--out', out, '--plain'], env, 12_000, onOutput);
    try {
      const first = await run((text) => {
        if (!filler && (text.match(/: running/g) ?? []).length >= 3) {
          filler = fill(mnt, 0);
          filledAt = Date.now();
          pollsAtFill = sim.requests.filter((r) => r.kinds.includes('poll')).length;
        }
      });
      const elapsedMs = Date.now() - filledAt;
      const pollsAfterFill = sim.requests.filter((r) => r.kinds.includes('poll')).length - pollsAtFill;
      expect(filler, first.out).toBeDefined();
      // Polling needs no disk, so the tasks go on being polled at the documented interval
      // (5 s, scaled here to 50 ms) until a result has to be written. Hammering would be polls
      // faster than that schedule; 3 tasks polled on schedule make at most 3 per 50 ms (twice
      // that allowed for timer jitter). It stops once the renders are done (1.5 s) and a
      // download meets the full disk.
      const onSchedule = 2 * 3 * Math.ceil(elapsedMs / (5_000 * 0.01)) + 10;
      expect(
        { hung: first.hung, onSchedule: pollsAfterFill <= onSchedule, prompt: elapsedMs < sim.renderMs + 5_000 },
        `polls after the disk filled: ${pollsAfterFill} in ${elapsedMs} ms (at most ${onSchedule})\n${first.out}`,
      ).toEqual({ hung: false, onSchedule: true, prompt: true });
      expect(first.code).toBe(1);
      expect(first.out).toMatch(/no space left|disk is full|disk full/i);
      const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
      try {
        expect((db.prepare(`SELECT state, error FROM jobs`).all() as { state: string }[]).filter((j) => j.state === 'failed')).toEqual([]);
      } finally {
        db.close();
      }
      expect(fs.readdirSync(path.join(out, 'clips'))).toEqual([]);
      // Freed: the same command finishes the batch, each shot submitted once.
      fs.rmSync(filler!);
      const again = await run();
      expect(again.code, again.out).toBe(0);
      expect(again.out).toContain('3 succeeded, 0 failed');
      const prompts = sim.submissions.map((s) => (s.body as { input: { prompt: string } }).input.prompt).filter((p) => p.startsWith('cli full disk'));
      expect(prompts.sort()).toEqual(['cli full disk shot 1', 'cli full disk shot 2', 'cli full disk shot 3']);
    } finally {
      sim.renderMs = renderMs;
      if (filler) fs.rmSync(filler, { force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
