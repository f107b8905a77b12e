/**
 * Bench phase: the render farm's overhead per shot, beside the shot's render time on its worker.
 * Temporal's dev server on 127.0.0.1 and one `ltx-batch farm worker` (tiny pipeline on CPU, a
 * shared folder); `shots` one-second 64x64 shots go through the queue one at a time
 * (LTX_FARM_IN_FLIGHT=1, so no shot waits for a busy worker). Per shot, from the job's history and
 * the workflow's result:
 *  - submit to worker start: the submit mark (submit_sent_at) to the worker's `started_at`;
 *  - worker finish to clip: the worker's `finished_at` (clip stored) to the job's `finished_at`
 *    (the clip checked and recorded in clips/);
 *  - render: the worker's GPU seconds.
 * Medians are reported. Needs the runner's venv with the Temporal CLI (install.sh --test).
 */
import path from 'node:path';
import { createFarmProvider } from '../main/providers/farm/farm';
import { ProviderRegistry } from '../main/providers/registry';
import { planStoryboard } from '../main/pricing/plan';
import { ProjectStore } from '../main/queue/store';
import { QueueRunner } from '../main/queue/runner';
import { importStoryboard } from '../main/storyboard/import';
import fs from 'node:fs';
import { DevServer, farmToolsPresent, freePort, startWorker } from '../test/farm/farm-harness';

/** Figures of the farm phase (ms). */
export interface FarmPhaseResult {
  shots: number;
  submitToStartMs: number;
  finishToClipMs: number;
  renderMs: number;
  perShot: { submitToStartMs: number; finishToClipMs: number; renderMs: number }[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the phase in `work`; throws when the runner venv lacks the Temporal CLI. */
export async function farmPhase(work: string, shots = 8): Promise<FarmPhaseResult> {
  if (!farmToolsPresent()) throw new Error('the runner venv has no Temporal CLI: bash resources/runner/install.sh resources/runner/.venv --cpu --test');
  const server = new DevServer(await freePort(), path.join(work, 'farm-bench.db'));
  await server.start();
  const storage = path.join(work, 'farm-storage');
  fs.mkdirSync(storage, { recursive: true });
  const taskQueue = `ltx-farm-bench-${process.pid}`;
  const worker = await startWorker({ address: server.address, taskQueue, storage });
  const env = { LTX_FARM_ADDRESS: server.address, LTX_FARM_TASK_QUEUE: taskQueue, LTX_FARM_STORAGE: storage, LTX_FARM_IN_FLIGHT: '1', LTX_BATCH_HOME: path.join(work, 'farm-home') };
  const farm = createFarmProvider(env);
  try {
    const csv = path.join(work, 'farm.csv');
    fs.writeFileSync(csv, ['shot,prompt,duration,resolution,fps,seed', ...Array.from({ length: shots }, (_, i) => `${i + 1},farm bench ${i + 1},1,64x64,8,${i + 1}`)].join('\n'));
    const sb = await importStoryboard(csv);
    const reg = new ProviderRegistry([farm]);
    const plan = planStoryboard(sb.shots, reg, { provider: 'farm' });
    const out = path.join(work, 'farm-out');
    const store = new ProjectStore(out);
    store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
    const sent = new Map<number, number>();
    const summary = await new QueueRunner(store, reg, {
      outDir: out,
      pollIntervalMs: 100,
      onEvent: (e) => {
        if (e.type === 'job' && e.job.submitSentAt && !sent.has(e.job.id)) sent.set(e.job.id, e.job.submitSentAt);
      },
    }).run();
    if (summary.succeeded !== shots) throw new Error(`farm bench: ${summary.succeeded} of ${shots} shots succeeded`);
    const perShot = [];
    for (const j of store.jobs()) {
      const s = await farm.gateway.describe(j.remoteTaskId!);
      if (s.status !== 'completed') throw new Error(`farm bench: workflow ${j.remoteTaskId} is ${s.status}`);
      const submit = sent.get(j.id) ?? j.submittedAt!;
      perShot.push({ submitToStartMs: s.result.started_at * 1000 - submit, finishToClipMs: j.finishedAt! - s.result.finished_at * 1000, renderMs: (s.result.gpu_seconds ?? 0) * 1000 });
    }
    store.close();
    return { shots, submitToStartMs: median(perShot.map((x) => x.submitToStartMs)), finishToClipMs: median(perShot.map((x) => x.finishToClipMs)), renderMs: median(perShot.map((x) => x.renderMs)), perShot };
  } finally {
    await farm.close?.();
    await worker.stop();
    await server.stop();
  }
}
