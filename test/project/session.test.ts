/**
 * A retry (a new take) asked for while a render is past its last look at the queue (stitching the
 * film) is not lost: the session runs the queue again once the render ends.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { ProjectSession } from '../../main/project/session';
import type { RunSummary } from '../../main/queue/runner';
import { updateTimeline } from '../../main/timeline/timeline';
import { tmpDir, withFiles } from '../helpers/tmp';
import { ffmpegPath } from '../../main/media/ffmpeg-path';

describe('ProjectSession', () => {
  it('a new take asked for while the film is being stitched is rendered by a run right after', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,0.5,64x36\n2,gulls,0.5,64x36' }), 'sb.csv'));
    const plan = planStoryboard(sb.shots, reg);
    const session = ProjectSession.open(tmpDir('ltx-session-'), { registry: reg });
    let retry: Promise<RunSummary> | null | undefined;
    await session.render(sb, plan, {
      onStitchProgress: () => {
        if (retry !== undefined) return;
        session.rerender(session.store.latestJobs()[0]!.shotId);
        retry = session.kick();
      },
    });
    expect(retry).toBeTruthy();
    await retry;
    const takes = session.store.jobs().filter((j) => j.shotKey === '1');
    expect(takes.map((j) => [j.take, j.state])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
    session.close();
  });

  it('after stop() (the app quitting) a re-run asked for during the run does not start', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,0.5,64x36' }), 'sb.csv'));
    const plan = planStoryboard(sb.shots, reg);
    const session = ProjectSession.open(tmpDir('ltx-session-'), { registry: reg });
    let pending: Promise<RunSummary> | null | undefined;
    await session.render(sb, plan, {
      onStitchProgress: () => {
        if (pending !== undefined) return;
        session.rerender(session.store.latestJobs()[0]!.shotId);
        pending = session.kick();
        session.stop('the app is quitting');
      },
    });
    await pending;
    await session.idle();
    expect(session.store.jobs().map((j) => [j.take, j.state])).toEqual([
      [1, 'succeeded'],
      [2, 'queued'],
    ]);
    expect(session.kick()).toBeNull();
    session.close();
  });

  it('the app quitting during an export: stop() ends it, idle() waits until its ffmpeg is done, and no work folder or partial film is left', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const csv = ['shot,prompt,duration,resolution', ...[1, 2, 3, 4].map((i) => `${i},export then quit ${i},2,320x180`)].join('\n');
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': csv }), 'sb.csv'));
    const dir = tmpDir('ltx-session-');
    const session = ProjectSession.open(dir, { registry: reg });
    await session.render(sb, planStoryboard(sb.shots, reg));
    fs.rmSync(path.join(dir, 'film.mp4'));
    // Crossfades make the export re-encode (long enough to quit in the middle).
    const ids = session.store.latestJobs().map((j) => j.shotId);
    updateTimeline(session.store, ids, {}, ids.slice(1).map(() => 'crossfade'));
    let settled = false;
    const exporting = session.exportFilm(() => session.stop('the app is quitting')).finally(() => (settled = true));
    exporting.catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    session.stop('the app is quitting');
    await session.idle();
    expect(settled).toBe(true);
    await expect(exporting).rejects.toThrow();
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.export-') || n.endsWith('.part'))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'film.mp4'))).toBe(false);
    session.close();
  });

  it('two exports of one project at once (two windows, or the app and `ltx-batch export`) both finish with a film that plays', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const csv = ['shot,prompt,duration,resolution', ...[1, 2, 3].map((i) => `${i},two exports ${i},1,320x180`)].join('\n');
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': csv }), 'sb.csv'));
    const dir = tmpDir('ltx-session-');
    const first = ProjectSession.open(dir, { registry: reg });
    await first.render(sb, planStoryboard(sb.shots, reg));
    const ids = first.store.latestJobs().map((j) => j.shotId);
    // Crossfades re-encode, so the two exports overlap for a while.
    updateTimeline(first.store, ids, {}, ids.slice(1).map(() => 'crossfade'));
    const second = ProjectSession.open(dir, { registry: reg });
    const results = await Promise.allSettled([first.exportFilm(), second.exportFilm()]);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
    const played = spawnSync(ffmpegPath(), ['-v', 'error', '-i', path.join(dir, 'film.mp4'), '-f', 'null', '-'], { encoding: 'utf8' });
    expect(played.status).toBe(0);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.export-') || n.endsWith('.part'))).toEqual([]);
    first.close();
    second.close();
  });

  it("what a killed export left (its work folder, film.mp4.part) is removed when the project is next opened; a live export's folder is kept", async () => {
    const dir = tmpDir('ltx-session-');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const leave = (name: string, pid: number) => {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, 'owner'), JSON.stringify({ pid, host: os.hostname() }));
      fs.writeFileSync(path.join(dir, name, 'list.txt'), 'file clip.mp4');
    };
    leave('.export-killed', Number(dead));
    fs.writeFileSync(path.join(dir, 'film.mp4.part'), 'half a film');
    fs.writeFileSync(path.join(dir, 'film.mp4..export-killed.part'), 'half a film');
    const reg = new ProviderRegistry([createPreviewProvider()]);
    ProjectSession.open(dir, { registry: reg }).close();
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.export-') || n.endsWith('.part'))).toEqual([]);
    // A live export (this test's parent process stands for another app window exporting).
    leave('.export-live', process.ppid);
    fs.writeFileSync(path.join(dir, 'film.mp4.part'), 'being written');
    fs.writeFileSync(path.join(dir, 'film.mp4..export-live.part'), 'being written');
    ProjectSession.open(dir, { registry: reg }).close();
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.export-') || n.endsWith('.part')).sort()).toEqual(['.export-live', 'film.mp4..export-live.part', 'film.mp4.part']);
  });

  it('a stop that arrives while a render waits for the project (the app quitting as it takes over) starts no work', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,0.5,64x36' }), 'sb.csv'));
    const dir = tmpDir('ltx-session-');
    const session = ProjectSession.open(dir, { registry: reg });
    const rendering = session.render(sb, planStoryboard(sb.shots, reg), {
      waitForProject: true,
      // The project is taken; the quit comes before the queue runner exists.
      onProjectTaken: () => session.stop('the app is quitting'),
    });
    const res = await rendering;
    expect(res.summary.stoppedBecause).toBe('the app is quitting');
    expect(session.store.jobs().map((j) => j.state)).toEqual(['queued']);
    session.close();
  });
});
