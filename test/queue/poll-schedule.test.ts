/**
 * Polls go when a task can next be done, not on one fixed interval: against the LTX simulator's
 * async jobs (v2), once a few tasks have finished the rest are polled about once each, where the
 * documented 5 s interval (scaled here to 100 ms) would poll a 700 ms render 7 times.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createLtxProvider } from '../../main/providers/ltx/ltx';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';
import { tmpDir, withFiles } from '../helpers/tmp';

const KEY = 'ltx-poll-schedule-key-2718';
let sim: LtxSimulator;
beforeAll(async () => {
  sim = await startLtxSimulator({ apiKey: KEY, renderMs: 700, shrinkVideos: true, concurrency: 4 });
});
afterAll(() => sim.close());

describe('poll scheduling', () => {
  it('after the first tasks, each task is polled about once, when it is done', async () => {
    const provider = createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_CONCURRENCY: '4', LTX_BATCH_POLL_SCALE: '0.02' });
    const reg = new ProviderRegistry([provider]);
    const shots = 16;
    const csv = ['shot,prompt,duration,resolution,provider', ...Array.from({ length: shots }, (_, i) => `${i + 1},poll schedule shot ${i + 1},6,1080p,ltx`)].join('\n');
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': csv }), 'sb.csv'));
    const plan = planStoryboard(sb.shots, reg);
    const dir = tmpDir('ltx-polls-');
    const store = new ProjectStore(dir);
    store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
    const summary = await new QueueRunner(store, reg, { outDir: dir, verifyClip: async () => {} }).run();
    expect(summary.succeeded).toBe(shots);
    // Polls per task, in the order the tasks were created.
    const polls = new Map<string, number>();
    for (const r of sim.requests.filter((x) => x.kinds.includes('poll'))) {
      const id = r.path.split('/').at(-1)!;
      polls.set(id, (polls.get(id) ?? 0) + 1);
    }
    const ids = sim.submissions.map((s) => s.taskId);
    const firstFour = ids.slice(0, 4).map((id) => polls.get(id) ?? 0);
    const rest = ids.slice(8).map((id) => polls.get(id) ?? 0);
    // The first tasks learn at the documented interval (about 7 polls for 700 ms at 100 ms) ...
    expect(Math.min(...firstFour)).toBeGreaterThanOrEqual(4);
    // ... the later ones are polled when they are done: 1, now and then 2.
    expect(rest.reduce((a, b) => a + b, 0) / rest.length, JSON.stringify(rest)).toBeLessThanOrEqual(1.5);
    store.close();
  });
});
