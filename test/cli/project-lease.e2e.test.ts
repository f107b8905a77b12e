/**
 * Two `ltx-batch render` processes started at once on the same output folder: one renders, the
 * other exits at once naming the holder (exit 3), and the service receives each shot exactly once;
 * with --wait the second waits, then finds everything done and pays for nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';
import { runCli, startCli } from '../helpers/cli';
import { tmpDir, withFiles } from '../helpers/tmp';
import { AppService } from '../../main/app/app-service';
import { ProviderRegistry } from '../../main/providers/registry';
import { createLtxProvider } from '../../main/providers/ltx/ltx';
import { openSettings } from '../../main/settings/settings-db';

const KEY = 'ltx-lease-key-8080';
let sim: LtxSimulator;
beforeAll(async () => {
  // Renders of 3 s: long enough that two processes started together overlap even on a busy machine.
  sim = await startLtxSimulator({ apiKey: KEY, renderMs: 3000, shrinkVideos: true, concurrency: 10 });
});
afterAll(() => sim.close());
const env = () => ({ LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_CONCURRENCY: '10', LTX_BATCH_POLL_SCALE: '0.1' });

function board(tag: string) {
  const dir = withFiles({ 'board.csv': ['shot,prompt,duration,resolution,provider', ...[1, 2, 3, 4].map((i) => `${i},lease ${tag} shot ${i},6,1080p,ltx`)].join('\n') });
  return { file: path.join(dir, 'board.csv'), out: path.join(dir, 'out') };
}
const submitsOf = (tag: string) => sim.submissions.filter((s) => String((s.body as { prompt?: string }).prompt).startsWith(`lease ${tag} `)).length;

describe('one process drives a project folder at a time', () => {
  it('two renders started at once: one renders, the other names it and exits 3; each shot is paid once', async () => {
    const tag = `a${process.pid}`;
    const { file, out } = board(tag);
    const [a, b] = await Promise.all([runCli(['render', file, '--out', out], env()), runCli(['render', file, '--out', out], env())]);
    const codes = [a.code, b.code].sort();
    expect(codes, a.stderr + b.stderr).toEqual([0, 3]);
    const loser = a.code === 3 ? a : b;
    expect(loser.stderr).toMatch(/is being rendered by ltx-batch render \(pid \d+ on .+, since .+ UTC\); wait for it to finish, or run again with --wait/);
    expect(submitsOf(tag)).toBe(4);
    expect(fs.existsSync(path.join(out, 'film.mp4'))).toBe(true);
  });

  it('with --wait the second waits for the first, then has nothing left to pay for', async () => {
    const tag = `b${process.pid}`;
    const { file, out } = board(tag);
    // Renders long enough that the second starts while the first is still at work.
    const slow = await startLtxSimulator({ apiKey: KEY, renderMs: 3000, shrinkVideos: true, concurrency: 10 });
    // Polls every 0.5 s: well inside the 100 requests a minute the provider paces itself to.
    const env = () => ({ LTX_API_KEY: KEY, LTX_BASE_URL: slow.baseUrl, LTX_CONCURRENCY: '10', LTX_BATCH_POLL_SCALE: '0.1' });
    const submitsOf = (t: string) => slow.submissions.filter((s) => String((s.body as { prompt?: string }).prompt).startsWith(`lease ${t} `)).length;
    // The first is under way (its first shot submitted) before the second starts.
    const first = startCli(['render', file, '--out', out, '--plain'], env());
    let firstOut = '';
    first.stdout!.on('data', (d) => (firstOut += d));
    first.stderr!.resume();
    const firstDone = new Promise<number | null>((r) => first.on('close', (code) => r(code)));
    for (let i = 0; i < 1500 && !/submitting/.test(firstOut); i++) await new Promise((r) => setTimeout(r, 20));
    expect(firstOut).toMatch(/submitting/);
    const b = await runCli(['render', file, '--out', out, '--wait'], env());
    expect(await firstDone, firstOut).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/waiting: .* is being rendered by ltx-batch render/);
    expect(b.stdout).toMatch(/4 take\(s\) kept from an earlier run/);
    expect(submitsOf(tag)).toBe(4);
    await slow.close();
  });

  it('the app on a folder a CLI render holds: it follows that render read-only (shots arrive live, changes refused), then takes over and pays for nothing twice', async () => {
    const tag = `c${process.pid}`;
    const { file, out } = board(tag);
    const slow = await startLtxSimulator({ apiKey: KEY, renderMs: 2500, shrinkVideos: true, concurrency: 10 });
    const env = { LTX_API_KEY: KEY, LTX_BASE_URL: slow.baseUrl, LTX_CONCURRENCY: '10', LTX_BATCH_POLL_SCALE: '0.1' };
    const cli = startCli(['render', file, '--out', out, '--plain'], env);
    let cliOut = '';
    cli.stdout!.on('data', (d) => (cliOut += d));
    cli.stderr!.resume();
    const cliDone = new Promise<number | null>((r) => cli.on('close', (code) => r(code)));
    for (let i = 0; i < 1500 && !/submitting/.test(cliOut); i++) await new Promise((r) => setTimeout(r, 20));
    const events: { name: string; payload: unknown; at: number }[] = [];
    const settings = openSettings({ LTX_BATCH_HOME: tmpDir() });
    const service = new AppService({
      registry: new ProviderRegistry([createLtxProvider(env)]),
      keys: { get: () => undefined, set: () => {}, delete: () => false },
      settings,
      projectsDir: tmpDir(),
      mediaUrl: (f: string) => `/media/${path.basename(f)}`,
      emit: (name, payload) => events.push({ name, payload, at: Date.now() }),
    });
    await service.handle('storyboard.openPath', { path: file });
    await service.handle('render.start', { project: out, provider: 'ltx' });
    for (let i = 0; i < 250 && !events.some((e) => e.name === 'project.held'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.find((e) => e.name === 'project.held')?.payload).toMatchObject({ holder: expect.stringMatching(/^ltx-batch render \(pid \d+ on .+\) is rendering this project since \d\d:\d\d UTC$/) });
    expect((await service.handle('app.ready', {})).heldBy).toMatch(/ltx-batch render/);
    const jobs = await service.handle('queue.list', {});
    await expect(service.handle('queue.cancel', { jobId: jobs[0].id })).rejects.toThrow(/^read-only: ltx-batch render/);
    await expect(service.handle('timeline.update', { order: jobs.map((j) => j.shotId), takes: {}, joints: [] })).rejects.toThrow(/^read-only/);
    expect(await cliDone, cliOut).toBe(0);
    for (let i = 0; i < 500 && !events.some((e) => e.name === 'render.finished'); i++) await new Promise((r) => setTimeout(r, 20));
    // While it followed the CLI, the app showed the shots the CLI finished.
    const released = events.find((e) => e.name === 'project.held' && (e.payload as { holder: string | null }).holder === null);
    expect(released).toBeDefined();
    const seenWhileHeld = events.filter((e) => e.name === 'job.updated' && e.at <= released!.at && (e.payload as { state: string }).state === 'succeeded');
    expect(seenWhileHeld.length).toBeGreaterThan(0);
    expect(events.find((e) => e.name === 'render.finished')?.payload).toMatchObject({ succeeded: 4, failed: 0 });
    expect((await service.handle('app.ready', {})).heldBy).toBeNull();
    expect(slow.submissions.filter((x) => String((x.body as { prompt?: string }).prompt).startsWith(`lease ${tag} `)).length).toBe(4);
    await service.shutdown();
    settings.close();
    await slow.close();
  });
});
