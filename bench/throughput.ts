/**
 * Bench phase: throughput under a provider's limits. 300 shots against the ltx simulator
 * enforcing 10 concurrent generations and 100 requests a minute, each render taking 2 s; the wall
 * time beside the theoretical minimum those limits allow, and the number of 429s received (goal 0).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLtxProvider } from '../main/providers/ltx/ltx';
import { ProviderRegistry } from '../main/providers/registry';
import { planStoryboard } from '../main/pricing/plan';
import { importStoryboard } from '../main/storyboard/import';
import { ProjectStore } from '../main/queue/store';
import { QueueRunner } from '../main/queue/runner';
import { startLtxSimulator } from '../test/simulators/ltx';

/** Runs the phase in `work`; returns its figures (seconds). */
export async function throughputPhase(work: string, shots = Number(process.env.BENCH_THROUGHPUT_SHOTS ?? 300), renderS = 2) {
  // The synchronous v1 form (one request per shot) on an account allowing 10 generations at once.
  const sim = await startLtxSimulator({ apiKey: 'bench-key-0000', renderMs: renderS * 1000, shrinkVideos: true, concurrency: 10, v2: false });
  const env = { LTX_API_KEY: 'bench-key-0000', LTX_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.05', LTX_API_FORM: 'v1', LTX_CONCURRENCY: '10' };
  const provider = createLtxProvider(env);
  const csv = ['shot,prompt,duration,resolution,provider', ...Array.from({ length: shots }, (_, i) => `${i + 1},throughput shot ${i + 1},6,1080p,ltx`)].join('\n');
  const file = path.join(work, 'throughput.csv');
  fs.writeFileSync(file, csv);
  const sb = await importStoryboard(file);
  const reg = new ProviderRegistry([provider]);
  const plan = planStoryboard(sb.shots, reg);
  const dir = path.join(work, 'throughput-out');
  const store = new ProjectStore(dir);
  store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: 'ltx', request: r.request!, estimate: r.estimate! })), () => false);
  const t0 = performance.now();
  const summary = await new QueueRunner(store, reg, { outDir: dir, verifyClip: async (f) => void fs.statSync(f) }).run();
  const wallS = (performance.now() - t0) / 1000;
  store.close();
  const requests = sim.requests.filter((r) => r.path.startsWith('/v1/')).length;
  await sim.close();
  // With one API request per shot (the sync form): 100 requests in each minute, 10 renders at once.
  const perMinute = 100;
  const byRate = Math.ceil(shots / perMinute - 1) * 60 + renderS;
  const byConcurrency = Math.ceil(shots / 10) * renderS;
  const minimumS = Math.max(byRate, byConcurrency);
  return { shots, renderS, succeeded: summary.succeeded, wallS, minimumS, ratio: wallS / minimumS, got429: sim.rateLimited, apiRequests: requests, maxInFlight: sim.maxInFlight };
}
