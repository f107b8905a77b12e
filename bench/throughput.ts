/**
 * Bench phase: throughput under a provider's limits. 300 shots against the ltx simulator in the
 * form the ltx provider uses by default (v2 async jobs: a submit, then polls), the simulator
 * enforcing 10 concurrent generations and 100 API requests in any 60 s, each render taking 2 s.
 * The wall time beside the least those limits allow, the number of 429s (goal 0), the requests
 * each shot needed, and the closest 100 consecutive requests came to each other at the simulator
 * (the rolling window as the service counts it, on its clock).
 *
 * The minimum. Each shot needs at least 2 API requests in this form: its submit and one poll that
 * finds it done (the result file is not an API request). With R = 2N requests and at most L = 100
 * in any W = 60 s, request k (0-based) cannot go before floor(k / L) * W, so the last one goes at
 * floor((R - 1) / L) * W at the earliest; the shots of that last window then need at least
 * ceil(S_last / C) renders of T seconds one after another, with C = 10 at once and
 * S_last = min(N, L / 2) shots in it. For N = 300, T = 2 s: 5 * 60 + ceil(50 / 10) * 2 = 310 s.
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

/** The least wall time, s, for `shots` under `perMinute` requests a minute and `concurrent` renders of `renderS` (see the module comment). */
export function minimumSeconds(shots: number, renderS: number, perMinute = 100, concurrent = 10, requestsPerShot = 2): number {
  const requests = shots * requestsPerShot;
  const lastWindowShots = Math.min(shots, Math.floor(perMinute / requestsPerShot));
  return Math.floor((requests - 1) / perMinute) * 60 + Math.ceil(lastWindowShots / concurrent) * renderS;
}

/** Runs the phase in `work`; returns its figures (seconds). */
export async function throughputPhase(work: string, shots = Number(process.env.BENCH_THROUGHPUT_SHOTS ?? 300), renderS = 2) {
  const sim = await startLtxSimulator({ apiKey: 'bench-key-0000', renderMs: renderS * 1000, shrinkVideos: true, concurrency: 10, perMinute: 100 });
  // The default form (v2) and the documented 5 s poll interval, unscaled.
  const env = { LTX_API_KEY: 'bench-key-0000', LTX_BASE_URL: sim.baseUrl, LTX_CONCURRENCY: '10' };
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
  const api = sim.requests.filter((r) => r.path.startsWith('/v1/') || r.path.startsWith('/v2/'));
  const polls = api.filter((r) => r.kinds.includes('poll')).length;
  const arrivals = api.map((r) => r.at).sort((a, b) => a - b);
  let closestWindowS = Infinity;
  for (let k = 100; k < arrivals.length; k++) closestWindowS = Math.min(closestWindowS, (arrivals[k] - arrivals[k - 100]) / 1000);
  await sim.close();
  const minimumS = minimumSeconds(shots, renderS);
  return {
    shots, renderS, succeeded: summary.succeeded, wallS, minimumS, ratio: wallS / minimumS, got429: sim.rateLimited,
    apiRequests: api.length, requestsPerShot: api.length / shots, pollsPerShot: polls / shots, maxInFlight: sim.maxInFlight,
    closestWindowS: Number.isFinite(closestWindowS) ? closestWindowS : null,
  };
}
