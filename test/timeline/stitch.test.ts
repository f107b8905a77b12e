import { execFileSync, spawnSync } from 'node:child_process';
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

/** A 1 s High-profile clip with audio, encoded with extra x264 settings (they change its SPS and PPS). */
function highClip(dir: string, name: string, x264: string) {
  const dest = path.join(dir, name);
  execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25:d=1', '-f', 'lavfi', '-i', 'sine=r=48000:d=1', '-c:v', 'libx264', '-preset', 'medium', '-x264-params', x264, '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', '-shortest', dest]);
  return dest;
}

/** Decodes every frame of a film; returns what the decoder complained about ('' when nothing). */
function decodeErrors(file: string): string {
  const r = spawnSync(ffmpegPath(), ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  return `${r.stderr}${r.status === 0 ? '' : `exit ${r.status}`}`.trim();
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
    // The length reported (the CLI prints it) is the film's, as a player reads it.
    expect(Math.abs(res.duration - film.duration)).toBeLessThanOrEqual(1 / 25);
    expect(progress.at(-1)).toBe(1);
    expect(decodeErrors(path.join(dir, 'film.mp4'))).toBe('');
  });

  it('copies clips encoded with different settings (same profile and size) into a film that decodes cleanly', async () => {
    // Two services, or two presets, can give the same profile and size with different SPS/PPS: a
    // film carrying only the first clip's would show the second as garbage.
    const dir = tmpDir();
    const clips = [highClip(dir, 'a.mp4', 'ref=3'), highClip(dir, 'b.mp4', 'cabac=0:ref=1'), highClip(dir, 'c.mp4', 'ref=3')];
    const infos = await Promise.all(clips.map((c) => probe(c)));
    expect(new Set(infos.map((i) => i.video?.profile))).toEqual(new Set(['High']));
    expect(infos[0].video?.extradataHash).toBe(infos[2].video?.extradataHash);
    expect(infos[0].video?.extradataHash).not.toBe(infos[1].video?.extradataHash);
    const res = await stitchFilm(clips, path.join(dir, 'film.mp4'), { workDir: path.join(dir, 'work'), infos });
    expect(res.mode).toBe('stream-copy');
    expect(decodeErrors(path.join(dir, 'film.mp4'))).toBe('');
    const film = await probe(path.join(dir, 'film.mp4'));
    expect(Math.abs(film.duration - 3)).toBeLessThanOrEqual(3 / 25);
    expect(Math.abs(res.duration - film.duration)).toBeLessThanOrEqual(1 / 25);
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
