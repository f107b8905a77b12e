/**
 * Cancel means cancel: a job the queue is driving stops at once (its HTTP request aborted, its
 * polling over), ends canceled with its task id kept, and its ledger row is settled, never left
 * "reserved". Provider: ltx (async v2 jobs) against its simulator; the real spend ledger.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createLtxProvider } from '../../main/providers/ltx/ltx';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { ledgerGuard } from '../../main/settings/ledger';
import { openSettings } from '../../main/settings/settings-db';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';
import { tmpDir, withFiles } from '../helpers/tmp';

const KEY = 'ltx-cancel-key-2468';
let sim: LtxSimulator;
beforeAll(async () => {
  sim = await startLtxSimulator({ apiKey: KEY, renderMs: 3000, shrinkVideos: true, concurrency: 10 });
});
afterAll(() => sim.close());

async function project(shots: number, env: Record<string, string> = {}) {
  const provider = createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_CONCURRENCY: '10', LTX_BATCH_POLL_SCALE: '0.02', ...env });
  const reg = new ProviderRegistry([provider]);
  const csv = ['shot,prompt,duration,resolution,provider', ...Array.from({ length: shots }, (_, i) => `${i + 1},cancel ${process.pid} ${Date.now()} shot ${i + 1},6,1080p,ltx`)].join('\n');
  const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': csv }), 'sb.csv'));
  const plan = planStoryboard(sb.shots, reg);
  const dir = tmpDir('ltx-cancel-');
  const store = new ProjectStore(dir);
  store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
  const settings = openSettings({ LTX_BATCH_HOME: tmpDir('ltx-cancel-home-') });
  return { store, reg, dir, settings, guard: ledgerGuard(settings, dir) };
}
const ledgerStates = (settings: ReturnType<typeof openSettings>) => (settings.prepare('SELECT state FROM ledger ORDER BY id').all() as { state: string }[]).map((r) => r.state);

describe('cancel a job the queue is driving', () => {
  it('a submitted job: polling stops, the job ends canceled with its task id, the ledger row is charged (the service cannot cancel)', async () => {
    const { store, reg, dir, settings, guard } = await project(1);
    let runner!: QueueRunner;
    let canceledAt = 0;
    runner = new QueueRunner(store, reg, {
      outDir: dir,
      guard,
      onEvent: (e) => {
        if (e.type === 'job' && e.job.state === 'running' && e.job.remoteTaskId && !canceledAt) {
          canceledAt = Date.now();
          expect(runner.cancel(e.job.id)).toBe(true);
        }
      },
    });
    const t0 = Date.now();
    const summary = await runner.run();
    expect(Date.now() - t0).toBeLessThan(2500); // did not wait for the 3 s render
    expect(summary).toMatchObject({ canceled: 1, succeeded: 0 });
    const [job] = store.jobs();
    expect(job).toMatchObject({ state: 'canceled', error: 'canceled by you' });
    expect(job.remoteTaskId).toBeTruthy();
    expect(store.events(job.id).at(-1)!.message).toMatch(/ltx cannot cancel task .*billed/);
    const pollsAfter = sim.requests.filter((r) => r.method === 'GET' && r.path.includes(job.remoteTaskId!) && r.at > canceledAt + 50);
    expect(pollsAfter).toHaveLength(0);
    expect(ledgerStates(settings)).toEqual(['charged']);
    store.close();
    settings.close();
  });

  it('a job canceled before it was claimed is never submitted, and nothing is reserved', async () => {
    const { store, reg, dir, settings, guard } = await project(2, { LTX_CONCURRENCY: '1' });
    const [, second] = store.jobs();
    let runner!: QueueRunner;
    runner = new QueueRunner(store, reg, {
      outDir: dir,
      guard,
      onEvent: (e) => {
        // While shot 1 renders, the creator cancels shot 2, which the queue is not driving yet.
        if (e.type === 'job' && e.job.id !== second.id && e.job.state === 'running' && store.job(second.id)!.state === 'queued') {
          expect(runner.cancel(second.id)).toBe(false);
          store.transition(second.id, 'queued', 'canceled', { finished_at: Date.now(), error: 'canceled by you' }, 'canceled by you');
        }
      },
    });
    const summary = await runner.run();
    expect(summary).toMatchObject({ succeeded: 1, canceled: 1 });
    const prompt = (JSON.parse(second.request) as { body: { prompt: string } }).body.prompt;
    expect(sim.submissions.filter((s) => (s.body as { prompt: string }).prompt === prompt)).toHaveLength(0);
    expect(ledgerStates(settings)).toEqual(['charged']);
    store.close();
    settings.close();
  });

  it('a submit on its way (a slow service) is aborted; the job ends canceled, flagged, and its reservation settled', async () => {
    const slow = await startLtxSimulator({ apiKey: KEY, renderMs: 100, shrinkVideos: true, concurrency: 10, latencyMs: 3000 });
    try {
      const provider = createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: slow.baseUrl, LTX_BATCH_POLL_SCALE: '0.02' });
      const reg = new ProviderRegistry([provider]);
      const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,provider\n1,cancel slow,6,1080p,ltx' }), 'sb.csv'));
      const plan = planStoryboard(sb.shots, reg);
      const dir = tmpDir('ltx-cancel-');
      const store = new ProjectStore(dir);
      store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
      const settings = openSettings({ LTX_BATCH_HOME: tmpDir('ltx-cancel-home-') });
      let runner!: QueueRunner;
      runner = new QueueRunner(store, reg, {
        outDir: dir,
        guard: ledgerGuard(settings, dir),
        onEvent: (e) => {
          if (e.type === 'job' && e.job.state === 'submitting') setTimeout(() => runner.cancel(e.job.id), 300);
        },
      });
      const t0 = Date.now();
      expect(await runner.run()).toMatchObject({ canceled: 1 });
      expect(Date.now() - t0).toBeLessThan(2500);
      const [job] = store.jobs();
      expect(job).toMatchObject({ state: 'canceled', maybeDuplicate: true });
      expect(ledgerStates(settings)).not.toContain('reserved');
      store.close();
      settings.close();
    } finally {
      await slow.close();
    }
  });
});
