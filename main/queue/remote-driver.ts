/**
 * The remote driver: takes a claimed job through a cloud provider's task. The submit is marked as
 * sent (durably) before the request leaves and its task id stored as soon as it is answered; then
 * the task is polled on the provider's schedule and its result finished into a clip.
 */
import type { ActualCost, PollResult, Provider, ProviderRequest, ResultRef } from '../providers/provider';
import { backoffDelay, DEFAULT_BACKOFF, sleep } from './backoff';
import { finishClip } from './clip-finish';
import type { Job } from './job';
import type { RunContext } from './run-context';
import type { JobPatch } from './store';

/**
 * Drives a job with a remote provider from where it stands: a claimed job is submitted (once: a
 * stop awaits an answer already on its way), a running one polled at the provider's pace, a
 * downloading one finished. Returns when the job ends or waits for a later run; throws provider
 * errors for the error policy, or the stop reason when the run stops.
 */
export async function driveRemote(rc: RunContext, job: Job, p: Provider, request: ProviderRequest): Promise<void> {
  // The staging folder (ctx.tmpDir) is made when something is written to it: the download, or a provider's own file.
  const ctx = rc.providerContext(p, job);
  if (job.state === 'submitting') {
    // Canceled before anything left: nothing to mark as sent.
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('stopped');
    // From here a stop waits for the answer (only a cancel or abandonSubmits cuts it).
    rc.submitsInFlight.add(job.id);
    let res: Awaited<ReturnType<NonNullable<Provider['submit']>>>;
    try {
      // Durable before the request leaves (see ProjectStore.markSubmitSent): it is what stops a second payment.
      job = { ...job, submitSentAt: await rc.store.markSubmitSent(job.id) };
      res = await p.submit!(request, ctx);
    } finally {
      rc.submitsInFlight.delete(job.id);
    }
    const patch: JobPatch = {
      remote_task_id: res.taskId,
      submitted_at: rc.store.now(),
      // When the task can first be done: learned from earlier tasks, else the provider's first delay.
      next_run_at: rc.polls.firstPollAt({ ...job, submittedAt: rc.store.now() }, rc.store.now(), res.firstPollMs ?? rc.opts.pollIntervalMs ?? 5_000),
    };
    if (res.actual) Object.assign(patch, actualPatch(rc, job, res.actual));
    job = rc.store.transition(job.id, 'submitting', 'running', patch, `submitted: task ${res.taskId}`);
    rc.opts.guard?.settle?.(job);
    rc.emitJob(job);
    if (res.immediate) {
      const next = await applyPoll(rc, job, p, res.immediate);
      if (!next) return;
      job = next;
    }
    // Stopped while the answer was on its way: it is stored; the next run polls or finishes it.
    if (rc.stopSignal.aborted) throw rc.stopSignal.reason ?? new Error('stopped');
  }
  while (job.state === 'running') {
    const signal = rc.signalOf(job);
    await sleep(job.nextRunAt - rc.store.now(), signal);
    if (signal.aborted) throw signal.reason ?? new Error('stopped');
    const pr = await p.poll!(job.remoteTaskId!, request, ctx);
    const next = await applyPoll(rc, job, p, pr);
    if (!next) return;
    job = next;
  }
  if (job.state === 'downloading') {
    const result = JSON.parse(job.result ?? '{"kind":"task"}') as ResultRef;
    await finishClip(rc, job, result, p);
  }
}

/** Stores a poll result; returns the job for the next step, or null when the job ended. */
export async function applyPoll(rc: RunContext, job: Job, p: Provider, pr: PollResult): Promise<Job | null> {
  const now = rc.store.now();
  if (pr.status === 'pending' || pr.status === 'running') {
    const next = rc.store.update(job.id, { next_run_at: rc.polls.nextPollAt(job, now, pr.nextPollMs ?? rc.opts.pollIntervalMs ?? 5_000), progress: pr.progress ?? job.progress })!;
    rc.emitJob(next);
    return next;
  }
  if (pr.status === 'succeeded') {
    rc.polls.done(job, now, pr.serviceMs);
    const patch: JobPatch = { result: JSON.stringify(pr.result) };
    if (pr.actual) Object.assign(patch, actualPatch(rc, job, pr.actual));
    if (pr.adjustments) patch.notes = JSON.stringify([...job.notes, `adjusted by the service: ${pr.adjustments}`]);
    // Committed with the tick's other moves; lost to a crash, the next run polls the task again (free).
    const next = await rc.store.transitionGrouped(job.id, 'running', 'downloading', patch, 'finished remotely; downloading');
    rc.opts.guard?.settle?.(next);
    rc.emitJob(next);
    return next;
  }
  if (pr.status !== 'failed') throw new Error(`unknown task status ${(pr as { status: string }).status}`);
  rc.polls.forget(job.id);
  // The service's failure code and message as written: "SensitiveContent: Content violates ...".
  const message = pr.code ? `${pr.code}: ${pr.message}` : pr.message;
  const patch: JobPatch = { error: message, error_code: pr.code ?? null };
  if (pr.actual) Object.assign(patch, actualPatch(rc, job, pr.actual));
  let moved: Job;
  if (pr.retryable && job.attempts < job.maxAttempts) {
    const delay = backoffDelay(job.attempts, rc.opts.backoff ?? DEFAULT_BACKOFF);
    moved = rc.store.transition(job.id, 'running', 'queued', { ...patch, remote_task_id: null, submit_sent_at: null, next_run_at: now + delay }, `task failed (${message}); will submit again`);
  } else {
    moved = rc.store.transition(job.id, 'running', 'failed', { ...patch, finished_at: now }, `task failed: ${message}`);
  }
  rc.opts.guard?.settle?.(moved);
  rc.emitJob(moved);
  return null;
}

/** The job columns for what the service charged: USD, or credits converted at the user's rate or the estimate's. */
export function actualPatch(rc: RunContext, job: Job, actual: ActualCost): JobPatch {
  // Credits convert at the user's rate, else at the rate the estimate used (the provider's doc).
  const estimateRate = job.estimateUnit === 'credits' && job.estimateUsd !== null && job.estimateMax ? job.estimateUsd / job.estimateMax : undefined;
  const rate = actual.unit === 'USD' ? 1 : (rc.opts.usdPerCredit?.(job.provider) ?? estimateRate);
  return {
    actual_unit: actual.unit,
    actual_amount: actual.refunded ? 0 : actual.amount,
    actual_usd: rate === undefined ? null : (actual.refunded ? 0 : actual.amount) * rate,
    refunded: actual.refunded ? 1 : 0,
  };
}
