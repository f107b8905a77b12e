/**
 * The render budget is saved with the project: a resume without --budget still honours it (before,
 * it was only an argument, so a second run spent past it), and --clear-budget removes it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';
import { runCli } from '../helpers/cli';
import { withFiles } from '../helpers/tmp';

const KEY = 'ltx-budget-key-1357';
let sim: LtxSimulator;
beforeAll(async () => {
  sim = await startLtxSimulator({ apiKey: KEY, renderMs: 50, shrinkVideos: true, concurrency: 10 });
});
afterAll(() => sim.close());

describe('the render budget belongs to the project', () => {
  it('a later run without --budget keeps it; --clear-budget lifts it', async () => {
    const tag = `saved-budget-${process.pid}`;
    const dir = withFiles({ 'board.csv': ['shot,prompt,duration,resolution,provider', ...[1, 2, 3].map((i) => `${i},${tag} shot ${i},6,1080p,ltx`)].join('\n') });
    const file = path.join(dir, 'board.csv');
    const out = path.join(dir, 'out');
    const env = { LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_CONCURRENCY: '1', LTX_BATCH_POLL_SCALE: '0.01' };
    const paid = () => sim.submissions.filter((s) => String((s.body as { prompt?: string }).prompt).startsWith(tag)).length;
    // $0.36 a shot (ltx-2-3-fast, 6 s at 1080p): a $0.50 budget pays for one.
    const first = await runCli(['render', file, '--out', out, '--budget', '0.5'], env);
    expect(first.stdout).toMatch(/2 shot\(s\) wait for budget/);
    expect(paid()).toBe(1);
    const again = await runCli(['render', file, '--out', out], env);
    expect(again.stdout).toMatch(/2 waiting \(over budget: render budget \$0\.50/);
    expect(paid()).toBe(1);
    const cleared = await runCli(['render', file, '--out', out, '--clear-budget'], env);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(paid()).toBe(3);
  });
});
