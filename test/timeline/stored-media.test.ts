/**
 * Each clip is probed once, when it is recorded; what stitching and the Timeline need is stored
 * with it. Dragging a clip on the Timeline runs no ffprobe, and a stream-copy export probes only
 * the film it wrote. ffprobe is counted through FFPROBE_PATH pointing at a wrapper that logs each
 * run, then runs the real one.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findProgram } from '../../main/media/ffmpeg-path';
import { previewApp } from '../helpers/preview-app';
import { tmpDir, withFiles } from '../helpers/tmp';

const saved = process.env.FFPROBE_PATH;
afterEach(() => {
  if (saved === undefined) delete process.env.FFPROBE_PATH;
  else process.env.FFPROBE_PATH = saved;
});

describe('clips probed once, when recorded', () => {
  it("a Timeline drag runs no ffprobe, nor does a stream-copy export (every clip's length is stored)", async () => {
    const { service, settings, finished } = previewApp();
    const csv = ['shot,prompt,duration,resolution', ...[1, 2, 3, 4].map((i) => `${i},stored media shot ${i},1,160x90`)].join('\n');
    await service.handle('storyboard.openPath', { path: path.join(withFiles({ 'sb.csv': csv }), 'sb.csv') });
    const project = tmpDir('ltx-stored-media-');
    await service.handle('render.start', { project });
    expect((await finished())?.payload).toMatchObject({ succeeded: 4 });

    const log = path.join(tmpDir(), 'ffprobe.log');
    const wrapper = path.join(tmpDir(), 'ffprobe');
    fs.writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> '${log}'\nexec '${findProgram('ffprobe')}' "$@"\n`, { mode: 0o755 });
    process.env.FFPROBE_PATH = wrapper;
    const runs = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length : 0);

    const tl = await service.handle('timeline.get', {});
    expect(tl.clips.map((c) => Math.round(c.duration * 10) / 10)).toEqual([1, 1, 1, 1]);
    const order = tl.clips.map((c) => c.shotId).reverse();
    const dragged = await service.handle('timeline.update', { order, takes: {}, joints: order.slice(1).map(() => 'cut' as const) });
    expect(dragged.clips.map((c) => c.shotId)).toEqual(order);
    expect(runs()).toBe(0);
    const film = await service.handle('timeline.export', {});
    expect(runs()).toBe(0);
    // The length it reports is the film's, as a player reads it.
    const probed = Number(execFileSync(findProgram('ffprobe'), ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(project, 'film.mp4')], { encoding: 'utf8' }));
    expect(Math.abs(film.duration - probed)).toBeLessThanOrEqual(1 / 25);
    await service.shutdown();
    settings.close();
  });
});
