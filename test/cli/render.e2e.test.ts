import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { probe } from '../../main/media/ffprobe';
import { runCli, startCli } from '../helpers/cli';
import { ROOT, tmpDir, withFiles } from '../helpers/tmp';

describe('ltx-batch render (end to end, preview provider)', () => {
  it('renders examples/storyboard.csv into a stitched film', async () => {
    const out = tmpDir();
    const res = await runCli(['render', 'examples/storyboard.csv', '--out', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('8 succeeded, 0 failed');
    // The film line, and nothing saying there is none or that it is a rough cut.
    expect(res.stdout).toMatch(/^film: .*film\.mp4 \(28\.\d\d s, /m);
    expect(res.stdout).not.toMatch(/no film written|a rough cut/);
    const film = await probe(path.join(out, 'film.mp4'));
    // 4+3+3+4+4+3+3+4 = 28 s, within a frame per clip.
    expect(Math.abs(film.duration - 28)).toBeLessThanOrEqual(8 / 25);
    expect(film.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(Math.round(film.video!.fps)).toBe(25);
    expect(film.audio).toMatchObject({ codec: 'aac', channels: 2 });
    expect(fs.readdirSync(path.join(out, 'clips'))).toHaveLength(8);
    expect(fs.readdirSync(out).sort()).toEqual(['clips', 'film.mp4', 'film.mp4.cut.json', 'project.sqlite', 'project.sqlite-shm', 'project.sqlite-wal'].filter((f) => fs.existsSync(path.join(out, f))).sort());
    expect(fs.existsSync(path.join(out, 'tmp'))).toBe(false);
    // A second run keeps every clip and renders nothing again.
    const again = await runCli(['render', 'examples/storyboard.csv', '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('8 take(s) kept from an earlier run, 0 resumed, 0 queued');
  });

  it('--takes 2 estimates and renders two takes of every row, seeds seed and seed + 1, and says so', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,seed,provider\n1,a harbour at dawn,0.4,64x36,20,\n2,gulls over the pier,6,1080p,30,ltx' });
    const est = await runCli(['estimate', path.join(dir, 'sb.csv'), '--takes', '2', '--json']);
    const rows = (JSON.parse(est.stdout) as { rows: { takes: number; usdMax: number; estimate: { max: number } }[] }).rows;
    expect(rows.map((r) => r.takes)).toEqual([2, 2]);
    expect(rows[1].usdMax).toBeCloseTo(rows[1].estimate.max * 2, 9);
    const bad = await runCli(['render', path.join(dir, 'sb.csv'), '--out', tmpDir(), '--takes', '11']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--takes.*from 1 to 10/);
    fs.writeFileSync(path.join(dir, 'sb.csv'), 'shot,prompt,duration,resolution,seed\n1,a harbour at dawn,0.4,64x36,20\n2,gulls over the pier,0.4,64x36,30');
    const out = tmpDir();
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--takes', '2', '--plain']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('0 take(s) kept from an earlier run, 0 resumed, 4 queued');
    expect(res.stdout).toContain('4 succeeded, 0 failed');
    const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
    expect(db.prepare('SELECT take, seed FROM jobs ORDER BY id').all()).toEqual([
      { take: 1, seed: 20 },
      { take: 2, seed: 21 },
      { take: 1, seed: 30 },
      { take: 2, seed: 31 },
    ]);
    db.close();
    expect(fs.readdirSync(path.join(out, 'clips'))).toHaveLength(4);
  });

  it('resumes after the process is killed mid-batch: no shot rendered twice, film complete', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => `${i + 1},"shot ${i + 1} of the resume test",1.5,640x360`);
    const dir = withFiles({ 'sb.csv': ['shot,prompt,duration,resolution', ...rows].join('\n') });
    const out = tmpDir();
    const child = startCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--concurrency', '1', '--plain']);
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d) => {
        seen += d;
        if ((seen.match(/: succeeded/g) ?? []).length >= 2 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('close', () => resolve());
    });
    await new Promise((r) => child.on('close', r));
    const before = new Map(fs.readdirSync(path.join(out, 'clips')).map((f) => [f, fs.statSync(path.join(out, 'clips', f)).mtimeMs]));
    expect(before.size).toBeGreaterThanOrEqual(2);
    expect(before.size).toBeLessThan(6);
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--concurrency', '1', '--plain']);
    expect(res.code).toBe(0);
    for (const [f, mtime] of before) expect(fs.statSync(path.join(out, 'clips', f)).mtimeMs).toBe(mtime);
    const db = new Database(path.join(out, 'project.sqlite'), { readonly: true });
    const perShot = db.prepare(`SELECT shot_id, SUM(state = 'succeeded') AS ok, COUNT(*) AS jobs FROM jobs GROUP BY shot_id`).all() as { ok: number; jobs: number }[];
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect(perShot).toHaveLength(6);
    for (const s of perShot) expect(s).toEqual(expect.objectContaining({ ok: 1, jobs: 1 }));
    const film = await probe(path.join(out, 'film.mp4'));
    expect(Math.abs(film.duration - 9)).toBeLessThanOrEqual(6 / 25);
    expect(fs.readdirSync(path.join(out, 'clips'))).toHaveLength(6);
  });

  it('refuses a storyboard with errors: exit 1, each problem with row and column, nothing queued', async () => {
    const dir = withFiles({ 'bad.csv': 'shot,prompt,duration\n1,ok,3\n2,too long,-1\n3,,2\n' });
    const out = tmpDir();
    const res = await runCli(['render', path.join(dir, 'bad.csv'), '--out', out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('shot 2 (row 3), column duration: duration must be more than 0 seconds');
    expect(res.stderr).toContain('shot 3 (row 4), column prompt: prompt is empty');
    // Counted as the app counts them.
    expect(res.stderr).toContain('2 errors in 2 shots: fix them and run again; nothing was queued.');
    expect(fs.existsSync(path.join(out, 'project.sqlite'))).toBe(false);
  });
});

describe('ltx-batch estimate', () => {
  it('prints a row per shot with the running total and marks rows past the budget', async () => {
    const res = await runCli(['estimate', 'examples/storyboard.csv', '--budget', '0']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/│ 8\s+│ 9\s+│ preview/);
    expect(res.stdout).toContain('total: 8 shot(s), up to $0.00 against a budget of $0.00; 0 shot(s) would be held back');
    const json = JSON.parse((await runCli(['estimate', 'examples/storyboard.csv', '--json'])).stdout);
    expect(json.rows).toHaveLength(8);
    expect(json.rows[0]).toMatchObject({ shot: '1', provider: 'preview', duration: 4, resolution: '720p' });
  });

  it('exits 1 and names row and column for an unknown provider', async () => {
    const dir = withFiles({ 's.csv': 'shot,prompt,provider\n1,a,nosuch\n' });
    const res = await runCli(['estimate', path.join(dir, 's.csv')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('shot 1 (row 2), column provider: unknown provider "nosuch"');
  });

  it('exits 2 on a usage error', async () => {
    const res = await runCli(['render', 'examples/storyboard.csv']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("required option '-o, --out <dir>' not specified");
  });
});

void ROOT;

describe('ltx-batch report --csv', () => {
  it('exports the per-shot results with formula-looking cells neutralised', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,"=HYPERLINK(""http://evil.example"",""x"")",1,320x180\n2,a plain shot,1,320x180\n' });
    const out = tmpDir();
    expect((await runCli(['render', path.join(dir, 'sb.csv'), '--out', out])).code).toBe(0);
    const res = await runCli(['report', '--out', out]);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toBe('shot,row,prompt,provider,state,take,clip,estimate,actual,error');
    expect(lines[1]).toContain(`"'=HYPERLINK(`);
    expect(lines[2]).toMatch(/^2,3,a plain shot,preview,succeeded,1,clips\/shot-2-take1\.mp4,0,/);
  });
});
