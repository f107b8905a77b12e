/**
 * New takes from the command line, and a continued shot left behind by its parent: after a new
 * take of the parent, a re-run of `render` says which continued shots start from a take the film
 * no longer uses and how to re-render them (it never re-renders them by itself).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { withFiles } from '../helpers/tmp';
import { ProjectStore } from '../../main/queue/store';

describe('ltx-batch new-take and stale continued shots', () => {
  it('a new take of a parent: render lists the continued shot and the command that re-renders it; new-take on it clears the list', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,continue_from\n1,a door,0.4,64x36,\n2,it opens,0.4,64x36,previous\n' });
    const out = path.join(dir, 'out');
    const sb = path.join(dir, 'sb.csv');
    const first = await runCli(['render', sb, '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/starts from the last frame/);

    const take = await runCli(['new-take', '--out', out, '--shot', '1', '--seed', '5']);
    expect(take.code, take.stderr).toBe(0);
    expect(take.stdout).toMatch(/shot 1 take 2: .*\(now the chosen take\)/);
    expect(take.stdout).toMatch(/film: /);

    const again = await runCli(['render', sb, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`shot 2 starts from the last frame of shot 1 take 1, but the film now uses take 2 of shot 1: to re-render it from that take, run ltx-batch new-take --out ${out} --shot 2`);
    // Nothing was re-rendered by itself.
    expect(again.stdout).toMatch(/0 queued/);

    const child = await runCli(['new-take', '--out', out, '--shot', '2']);
    expect(child.code, child.stderr).toBe(0);
    const last = await runCli(['render', sb, '--out', out]);
    expect(last.stdout).not.toMatch(/starts from the last frame/);
    const store = new ProjectStore(out);
    try {
      const takes = store.jobs().map((j) => [j.shotKey, j.take, j.seed]);
      expect(takes).toContainEqual(['1', 2, 5]);
      expect(store.jobs().find((j) => j.shotKey === '2' && j.take === 2)!.fromJob).toBe(store.jobs().find((j) => j.shotKey === '1' && j.take === 2)!.id);
    } finally {
      store.close();
    }

    const bad = await runCli(['new-take', '--out', out, '--shot', '9']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/the project has no shot "9"\nshots: 1, 2/);
  }, 60_000);
});
