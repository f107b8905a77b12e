/**
 * The project's budget guard reads the shots once, not on every admission: a row without a
 * budget column used to fall through to a scan of every shot per job (36 ms a job at 10,000 shots).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { ProjectStore } from '../../main/queue/store';
import { projectBudgetGuard } from '../../main/pricing/render-budget';
import { tmpDir, withFiles } from '../helpers/tmp';

describe('projectBudgetGuard', () => {
  it('admits 50 jobs without row budgets, reading the shots only when it is built', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const csv = ['shot,prompt,duration,resolution', ...Array.from({ length: 50 }, (_, i) => `${i + 1},shot ${i + 1},0.4,64x36`)].join('\n');
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': csv }), 'sb.csv'));
    const plan = planStoryboard(sb.shots, reg);
    const store = new ProjectStore(tmpDir());
    store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
    let reads = 0;
    const shots = store.shots.bind(store);
    store.shots = () => (reads++, shots());
    const guard = projectBudgetGuard(store);
    for (const job of store.jobs()) expect(guard.admit(job)).toBeNull();
    expect(reads).toBe(1);
    store.close();
  });
});
