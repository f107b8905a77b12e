/**
 * Bench phase: stitching 100 five-second 720p clips. The stream-copy path (with each clip's
 * MediaInfo as the project stores it when the clip is recorded) beside `cat` of the same bytes (best
 * of 5 each, alternating; coreutils' cat copies inside the kernel with copy_file_range, ffmpeg reads and writes); the re-encode path (every clip brought to another format) beside one ffmpeg
 * re-encode of the same total duration.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ffmpegPath } from '../main/media/ffmpeg-path';
import { clipInfos, stitchFilm } from '../main/timeline/stitch';

const ms = (fn: () => unknown) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

/** Runs the phase in `work`; returns its figures (ms). */
export async function stitchPhase(work: string, clips = Number(process.env.BENCH_STITCH_CLIPS ?? 100), clipSeconds = 5, height = 720) {
  const dir = path.join(work, 'stitch');
  fs.mkdirSync(dir, { recursive: true });
  const one = path.join(dir, 'clip-000.mp4');
  const width = Math.round((height * 16) / 9 / 2) * 2;
  execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=${width}x${height}:r=25:d=${clipSeconds}`, '-f', 'lavfi', '-i', `sine=f=330:r=48000:d=${clipSeconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', '-shortest', one]);
  const files = [one];
  for (let i = 1; i < clips; i++) {
    const f = path.join(dir, `clip-${String(i).padStart(3, '0')}.mp4`);
    fs.copyFileSync(one, f);
    files.push(f);
  }
  // What the project stores of each clip when it is recorded (the queue probes it then): stitching
  // reads nothing but the concat list.
  const stored = await clipInfos(files, {});
  // Best of 5 for both, alternating, each after `sync`: the copies just written (and the last round's
  // output) are still being flushed to disk, and whichever ran during that flush would pay for it.
  // Five, not three: on this machine's disk (a VM's ext4 with online discard) a write's cost swings
  // several-fold from one minute to the next, and three rounds left the ratio between 2.3 and 3.4
  // over runs of the same code.
  const flush = () => execFileSync('sync');
  let copyMs = Infinity;
  let cpMs = Infinity;
  for (let round = 0; round < 5; round++) {
    flush();
    const t0 = performance.now();
    await stitchFilm(files, path.join(dir, 'film-copy.mp4'), { workDir: path.join(dir, 'w1'), infos: stored });
    copyMs = Math.min(copyMs, performance.now() - t0);
    fs.rmSync(path.join(dir, 'film-copy.mp4'));
    flush();
    cpMs = Math.min(cpMs, ms(() => execFileSync('sh', ['-c', `cat ${files.map((f) => `'${f}'`).join(' ')} > '${path.join(dir, 'cp.bin')}'`])));
    fs.rmSync(path.join(dir, 'cp.bin'));
  }
  const t = performance.now();
  await stitchFilm(files, path.join(dir, 'film-reencode.mp4'), { workDir: path.join(dir, 'w2'), format: { width: 960, height: 540, fps: 25, sampleRate: 48000, channels: 2 } });
  const reencodeMs = performance.now() - t;
  const totalSeconds = clips * clipSeconds;
  const singleMs = ms(() =>
    execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-stream_loop', String(clips - 1), '-i', one, '-t', String(totalSeconds), '-vf', 'scale=960:540', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '160k', path.join(dir, 'single.mp4')]),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return { clips, clipSeconds, height, totalSeconds, copyMs, cpMs, copyRatio: copyMs / cpMs, reencodeMs, singleMs, reencodeRatio: reencodeMs / singleMs };
}
