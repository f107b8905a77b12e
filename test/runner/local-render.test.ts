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
  it('starts the runner, renders every shot through the real pipeline, stitches the film, and leaves no runner behind', async () => {
    expect(fs.existsSync(path.join(venv, 'bin', 'python')), `the runner venv is missing at ${venv}: run bash resources/runner/install.sh ${venv} --cpu --test`).toBe(true);
    const before = runnerProcesses();
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,fps\n1,a red ball,1,64x64,8\n2,a blue cube,1,64x64,8\n3,a green cone,1,96x64,8\n' });
    const out = tmpDir();
    const home = tmpDir();
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--provider', 'local', '--plain'], { LTX_RUNNER_VENV: venv, LTX_RUNNER_MODEL: 'tiny-random', LTX_BATCH_HOME: home });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('3 succeeded');
    const clips = fs.readdirSync(path.join(out, 'clips'));
    expect(clips).toHaveLength(3);
    const first = await probe(path.join(out, 'clips', clips.sort()[0]));
    expect(first.video).toMatchObject({ width: 64, height: 64 });
    expect(first.audio).toBeDefined();
    const film = await probe(path.join(out, 'film.mp4'));
    expect(film.duration).toBeGreaterThan(2.5);
    // GPU (here: CPU) seconds recorded per job and in the ledger.
    const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
    const gpu = db.prepare(`SELECT gpu_seconds FROM jobs WHERE state = 'succeeded'`).all() as { gpu_seconds: number }[];
    db.close();
    expect(gpu.every((g) => g.gpu_seconds > 0)).toBe(true);
    const settings = new Database(path.join(home, 'settings.sqlite'), { readonly: true });
    const ledger = settings.prepare(`SELECT SUM(gpu_seconds) AS s, SUM(COALESCE(actual_usd, estimate_usd)) AS usd FROM ledger WHERE provider = 'local'`).get() as { s: number; usd: number };
    settings.close();
    expect(ledger.s).toBeGreaterThan(0);
    expect(ledger.usd).toBe(0);
    // No runner left holding the GPU.
    await new Promise((r) => setTimeout(r, 500));
    expect(runnerProcesses().filter((p) => !before.includes(p))).toEqual([]);
  }, 240_000);
});
