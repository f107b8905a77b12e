import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stitchFilm } from '../../main/timeline/stitch';
import { probe } from '../../main/media/ffprobe';
import { ffmpegPath } from '../../main/media/ffmpeg-path';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { tmpDir } from '../helpers/tmp';

const preview = createPreviewProvider();

async function animatic(dir: string, name: string, spec: { duration: number; width: number; height: number; fps: number }) {
  const dest = path.join(dir, name);
  await preview.render!({ route: 'x', body: { shotId: name, prompt: name, ...spec } }, dest, { signal: new AbortController().signal, tmpDir: dir, log: () => {}, beforeRequest: async () => {}, onProgress: () => {} });
  return dest;
}

/** A clip with no audio track, as some services return. */
function silentClip(dir: string, name: string, w: number, h: number, fps: number, duration: number) {
  const dest = path.join(dir, name);
  execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=s=${w}x${h}:r=${fps}:d=${duration}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', dest]);
  return dest;
}

describe('stitching the film', () => {
  it('joins clips that share a format by stream copy, duration = sum of clips', async () => {
    const dir = tmpDir();
    const clips = [
      await animatic(dir, 'a.mp4', { duration: 1.2, width: 320, height: 180, fps: 25 }),
      await animatic(dir, 'b.mp4', { duration: 0.8, width: 320, height: 180, fps: 25 }),
      await animatic(dir, 'c.mp4', { duration: 2, width: 320, height: 180, fps: 25 }),
    ];
    const progress: number[] = [];
    const res = await stitchFilm(clips, path.join(dir, 'film.mp4'), { workDir: path.join(dir, 'work'), onProgress: (f) => progress.push(f) });
    expect(res.mode).toBe('stream-copy');
    const film = await probe(path.join(dir, 'film.mp4'));
    expect(film.video).toMatchObject({ width: 320, height: 180, codec: 'h264' });
    expect(film.audio?.codec).toBe('aac');
    expect(Math.abs(film.duration - 4)).toBeLessThanOrEqual(3 / 25);
    expect(progress.at(-1)).toBe(1);
  });

  it('re-encodes only the clips that differ: scaled and padded, fps converted, silence added', async () => {
    const dir = tmpDir();
    const clips = [
      await animatic(dir, 'a.mp4', { duration: 1, width: 320, height: 180, fps: 25 }),
      silentClip(dir, 'b.mp4', 160, 160, 30, 1.5),
      await animatic(dir, 'c.mp4', { duration: 1, width: 320, height: 180, fps: 25 }),
      await animatic(dir, 'd.mp4', { duration: 0.5, width: 180, height: 320, fps: 24 }),
    ];
    const res = await stitchFilm(clips, path.join(dir, 'film.mp4'), { workDir: path.join(dir, 'work') });
    expect(res).toMatchObject({ mode: 're-encode', reencoded: 2, format: { width: 320, height: 180, fps: 25 } });
    const film = await probe(path.join(dir, 'film.mp4'));
    expect(film.video).toMatchObject({ width: 320, height: 180 });
    expect(Math.round(film.video!.fps)).toBe(25);
    expect(film.audio).toBeDefined();
    expect(Math.abs(film.duration - 4)).toBeLessThanOrEqual(4 / 25);
  });

  it('names the clip it cannot read', async () => {
    const dir = tmpDir();
    const bad = path.join(dir, 'broken.mp4');
    require('node:fs').writeFileSync(bad, 'not a video');
    await expect(stitchFilm([bad], path.join(dir, 'film.mp4'), { workDir: path.join(dir, 'w') })).rejects.toThrow(/broken\.mp4/);
  });
});
