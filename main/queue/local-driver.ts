/**
 * The local driver: renders a claimed job on this machine's GPU runner (a provider with
 * `render`), with progress stored at most every 250 ms, then finishes the clip.
 */
import fs from 'node:fs';
import type { Provider, ProviderRequest } from '../providers/provider';
import { clipPathOf, finishClip } from './clip-finish';
import type { Job } from './job';
import { actualPatch } from './remote-driver';
import type { RunContext } from './run-context';
import type { JobPatch } from './store';

/**
 * Renders a claimed (`submitting`) job with a local provider into its staging folder, then
 * finishes the clip. Throws what the render throws (the scheduler hands it to the error policy);
 * a stop or cancel aborts the render through the job's signal.
 */
export async function driveLocal(rc: RunContext, job: Job, p: Provider, request: ProviderRequest): Promise<void> {
  job = rc.store.transition(job.id, 'submitting', 'running', { submitted_at: rc.store.now(), progress: 0 }, 'rendering');
  rc.emitJob(job);
  const { part } = clipPathOf(rc, job);
  // The job's staging folder: the provider's own files (ctx.tmpDir); the render in progress goes beside it.
  fs.mkdirSync(rc.staging(job), { recursive: true });
  let lastEmit = 0;
  let progressError: unknown;
  const out = await p.render!(request, part, {
    ...rc.providerContext(p, job),
    onProgress: (pr) => {
      const now = Date.now();
      if (progressError || (now - lastEmit < 250 && pr.fraction < 1)) return;
      lastEmit = now;
      try {
        rc.emitJob(rc.store.update(job.id, { progress: pr.fraction }) ?? job.id);
      } catch (e) {
        progressError = e; // e.g. the database's disk is full: raised below, after the render
      }
    },
  });
  if (progressError) throw progressError;
  if (rc.signalOf(job).aborted) throw rc.signalOf(job).reason ?? new Error('stopped');
  const patch: JobPatch = { gpu_seconds: out.gpuSeconds ?? null };
  if (out.actual) Object.assign(patch, actualPatch(rc, job, out.actual));
  if (out.notes?.length) patch.notes = JSON.stringify([...job.notes, ...out.notes]);
  await finishClip(rc, rc.store.transition(job.id, 'running', 'downloading', patch, 'rendered'), { kind: 'file', path: part }, p);
}
