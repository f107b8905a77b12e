/**
 * The local GPU runner end to end on CPU: `ltx-batch render --provider local` with the tiny
 * randomly initialised LTX-2 pipeline (LTX_RUNNER_MODEL=tiny-random: every component of the real
 * diffusers pipeline, built in memory). Needs the runner's virtual environment, which
 * scripts/test.sh creates (resources/runner/.venv; LTX_RUNNER_VENV overrides).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { probe } from '../../main/media/ffprobe';
import { ffmpegPath } from '../../main/media/ffmpeg-path';
import { runCli } from '../helpers/cli';
import { ROOT, tmpDir, withFiles } from '../helpers/tmp';

const venv = process.env.LTX_RUNNER_VENV ?? path.join(ROOT, 'resources', 'runner', '.venv');

function runnerProcesses(): string[] {
  try {
    return execFileSync('pgrep', ['-f', 'ltx_runner serve'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('ltx-batch render --provider local (tiny LTX-2 pipeline on CPU)', () => {
  it('starts the runner, renders every shot and take through the real pipeline at exactly duration x fps frames, stitches the film, and leaves no runner behind', async () => {
    expect(fs.existsSync(path.join(venv, 'bin', 'python')), `the runner venv is missing at ${venv}: run bash resources/runner/install.sh ${venv} --cpu --test`).toBe(true);
    const before = runnerProcesses();
    // Shot 1 in two takes (seeds 7 and 8); 1 s at 8 fps is 8 frames, where the model's rule makes 9.
    // Shot 4 continues shot 3: image-to-video from the last frame of shot 3's chosen take.
    // Shot 2 ends on an image (the condition pipeline); every prompt gets a style.
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,fps,seed,takes,continue_from,end_image\n1,a red ball,1,64x64,8,7,2,,\n2,a blue cube,1,64x64,8,,,,end.png\n3,a green cone,1,96x64,8,,,,\n4,the cone tips over,1,96x64,8,,,previous,\n' });
    execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=64x64', '-frames:v', '1', path.join(dir, 'end.png')]);
    const out = tmpDir();
    const home = tmpDir();
    const env = { LTX_RUNNER_VENV: venv, LTX_RUNNER_MODEL: 'tiny-random', LTX_BATCH_HOME: home };
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--provider', 'local', '--plain', '--style', 'claymation, {prompt}'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('5 succeeded');
    const clips = fs.readdirSync(path.join(out, 'clips')).sort();
    expect(clips).toEqual(['shot-1-take1.mp4', 'shot-1-take2.mp4', 'shot-2-take1.mp4', 'shot-3-take1.mp4', 'shot-4-take1.mp4']);
    expect(fs.existsSync(path.join(out, 'frames', '4-start.png'))).toBe(true);
    const first = await probe(path.join(out, 'clips', clips[0]));
    expect(first.video).toMatchObject({ width: 64, height: 64, frames: 8 });
    expect(first.audio).toBeDefined();
    expect(first.audio!.duration!).toBeLessThanOrEqual(1.07);
    // The two takes were sent seeds 7 and 8 and are different pictures.
    const frameOf = (f: string) => execFileSync(ffmpegPath(), ['-v', 'error', '-i', path.join(out, 'clips', f), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    expect(frameOf(clips[0]).equals(frameOf(clips[1]))).toBe(false);
    // The film: take 1 of shot 1, then shots 2, 3 and 4: 32 frames, 4.0 s, not 36 frames (4.5 s).
    const film = await probe(path.join(out, 'film.mp4'));
    expect(film.video!.frames).toBe(32);
    expect(film.video!.duration!).toBeCloseTo(4.0, 2);
    // GPU (here: CPU) seconds recorded per job and in the ledger.
    const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
    const gpu = db.prepare(`SELECT gpu_seconds FROM jobs WHERE state = 'succeeded'`).all() as { gpu_seconds: number }[];
    expect(db.prepare('SELECT take, seed FROM jobs WHERE shot_id = (SELECT id FROM shots WHERE shot_key = ?) ORDER BY take').all('1')).toEqual([
      { take: 1, seed: 7 },
      { take: 2, seed: 8 },
    ]);
    // Shot 2 was sent its end image, and every take the styled prompt.
    const requests = (db.prepare('SELECT s.shot_key AS shot, j.request FROM jobs j JOIN shots s ON s.id = j.shot_id').all() as { shot: string; request: string }[]).map((r) => ({ shot: r.shot, body: (JSON.parse(r.request) as { body: { prompt: string; end_image_path?: string } }).body }));
    expect(requests.find((r) => r.shot === '2')!.body.end_image_path).toBe(path.join(dir, 'end.png'));
    expect(requests.every((r) => r.body.prompt.startsWith('claymation, '))).toBe(true);
    db.close();
    expect(gpu.every((g) => g.gpu_seconds > 0)).toBe(true);
    const settings = new Database(path.join(home, 'settings.sqlite'), { readonly: true });
    const ledger = settings.prepare(`SELECT SUM(gpu_seconds) AS s, SUM(COALESCE(actual_usd, estimate_usd)) AS usd FROM ledger WHERE provider = 'local'`).get() as { s: number; usd: number };
    settings.close();
    expect(ledger.s).toBeGreaterThan(0);
    expect(ledger.usd).toBe(0);

    // Extend shot 3 by 1 s (8 frames), then retake its first 2 s: each a new chosen take, the film follows.
    const ext = await runCli(['extend', '--out', out, '--shot', '3', '--by', '1'], env);
    expect(ext.code, ext.stderr).toBe(0);
    expect(ext.stdout).toMatch(/extension by 1 s at the end of shot 3 take 1 on local: a new take of 2 s, \$0\.00/);
    const extended = await probe(path.join(out, 'clips', 'shot-3-take2.mp4'));
    expect(extended.video).toMatchObject({ width: 96, height: 64, frames: 16 });
    // The extension keeps the take's 8 frames as they were.
    const framesOf = (f: string) => execFileSync(ffmpegPath(), ['-v', 'error', '-i', path.join(out, 'clips', f), '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
    const meanDiff = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    const size = 96 * 64;
    expect(meanDiff(framesOf('shot-3-take1.mp4').subarray(0, 8 * size), framesOf('shot-3-take2.mp4').subarray(0, 8 * size))).toBeLessThan(10);
    const re = await runCli(['retake', '--out', out, '--shot', '3', '--from', '0', '--to', '2'], env);
    expect(re.code, re.stderr).toBe(0);
    expect((await probe(path.join(out, 'clips', 'shot-3-take3.mp4'))).video).toMatchObject({ frames: 16 });
    const longer = await probe(path.join(out, 'film.mp4'));
    expect(longer.video!.frames).toBe(40);

    // No runner left holding the GPU.
    await new Promise((r) => setTimeout(r, 500));
    expect(runnerProcesses().filter((p) => !before.includes(p))).toEqual([]);
  }, 300_000);
});
