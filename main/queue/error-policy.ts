/**
 * What the queue does when a job's step fails: the error is classified (./toProviderError), then
 * the job is retried with backoff, kept polling, held ("may have been submitted twice"), its
 * provider paused (key rejected, insufficient credits), the run stopped (disk full, ffmpeg
 * missing), or the job failed with the service's own message.
 */
import fs from 'node:fs';
import { pacerFor } from '../providers/pacing';
import { ProviderError, type Provider } from '../providers/provider';
import { FfmpegNotFoundError } from '../media/ffmpeg-path';
import type { FfmpegError } from '../media/run-ffmpeg';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { clipPathOf } from './clip-finish';
import type { Job, JobState } from './job';
import type { RunContext } from './run-context';
import { FLAGGED_HOLD, StaleJobError, type JobPatch } from './store';

/**
 * Classifies an error thrown during a job: provider errors as they are; a full disk (ENOSPC) or an
 * unwritable folder or database stops the batch; a missing ffmpeg pauses the provider and stops the
 * batch (kind "setup"); anything else fails
 * the job with its message.
 */
export function toProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const message = (e as Error)?.message ?? String(e);
  const tail = (e as FfmpegError)?.stderrTail ?? '';
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || /No space left on device/i.test(message + tail)) {
    return new ProviderError('disk', `no space left on the disk holding the output folder (${message.split('\n')[0]})`);
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR')) return new ProviderError('disk', `the project database cannot be written (${message})`);
  if (code === 'EACCES' || code === 'EROFS') return new ProviderError('disk', `cannot write to the output folder (${message})`);
  if (e instanceof FfmpegNotFoundError || /FFMPEG_PATH is set to|FFPROBE_PATH is set to/.test(message)) return new ProviderError('setup', message);
  return new ProviderError('invalid', message);
}

/** Ends a job as failed with `message` (and the service's code), settling its ledger row; a job another writer moved is left alone. */
export function failJob(rc: RunContext, job: Job, message: string, code?: string): void {
  let failed: Job | undefined;
  try {
    failed = rc.store.transition(job.id, job.state, 'failed', { error: message, error_code: code ?? null, finished_at: rc.store.now() }, message);
    rc.opts.guard?.settle?.(failed);
  } catch (e) {
    if (!(e instanceof StaleJobError)) throw e;
  }
  rc.emitJob(failed ?? job.id);
}

/**
 * Ends a job the creator canceled while it was driven. Nothing sent: canceled, its reservation
 * released. A submit that may have left without its answer: canceled and flagged "may have been
 * submitted twice". A task that exists: canceled with its task id kept (the services cannot
 * cancel it: it is billed); a result already staged stays in staging.
 */
export function endCanceled(rc: RunContext, job: Job, p: Provider): void {
  if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'canceled') return;
  const maybeSent = job.state === 'submitting' && job.submitSentAt !== null && !job.remoteTaskId && p.kind === 'remote' && !p.idempotentSubmit;
  // A provider that can stop its task (the render farm) is asked to; the answer is not awaited.
  if (job.remoteTaskId && p.cancel) {
    const taskId = job.remoteTaskId;
    void p.cancel(taskId, rc.providerContext(p, job)).catch((e) => rc.emit({ type: 'log', message: `job ${job.id}: ${p.id} could not cancel task ${taskId}: ${(e as Error).message}` }));
  }
  const note = job.remoteTaskId
    ? p.cancel
      ? `canceled by you; ${p.id} asked to stop task ${job.remoteTaskId}`
      : `canceled by you; ${p.id} cannot cancel task ${job.remoteTaskId}, so it may finish and be billed`
    : maybeSent
      ? 'canceled by you while the submit was on its way: may have been submitted twice'
      : 'canceled by you';
  if (p.kind === 'local') fs.rmSync(clipPathOf(rc, job).part, { force: true });
  let done: Job | undefined;
  try {
    done = rc.store.transition(job.id, job.state, 'canceled', { finished_at: rc.store.now(), error: 'canceled by you', hold_reason: null, ...(maybeSent ? { maybe_duplicate: 1 } : {}) }, note);
    rc.opts.guard?.settle?.(done);
  } catch (e) {
    if (!(e instanceof StaleJobError)) throw e;
  }
  rc.emitJob(done ?? job.id);
}

/** Reacts to an error of a provider call according to its kind (see ProviderErrorKind). */
export function reactToError(rc: RunContext, job: Job, p: Provider, e: unknown): void {
  const now = rc.store.now();
  const err = toProviderError(e);
  const back = (to: JobState, patch: JobPatch, message: string) => {
    let moved: Job | undefined;
    try {
      moved = rc.store.transition(job.id, job.state, to, patch, message);
      rc.opts.guard?.settle?.(moved);
    } catch (x) {
      if (!(x instanceof StaleJobError)) throw x;
    }
    rc.emitJob(moved ?? job.id);
  };
  // A submit whose answer never arrived (connection dropped, timeout: no HTTP status) may have
  // reached the service: say so, never resubmit silently. A connection that was never made
  // (refused, unknown host) sent nothing.
  if (job.state === 'submitting' && job.submitSentAt !== null && !job.remoteTaskId && err.kind === 'retryable' && err.opts.status === undefined && err.opts.sent !== false && !p.idempotentSubmit) {
    job = rc.store.update(job.id, { maybe_duplicate: 1 })!;
    // Never submitted again on its own: the creator checks the provider and resubmits it.
    return back('queued', { submit_sent_at: null, error: err.message, hold_reason: FLAGGED_HOLD }, `the answer to the submit was lost (${err.message}): may have been submitted twice; held until you resubmit it`);
  }
  // Where a retry goes: before a task id exists, back to queued; after, keep polling/downloading.
  const retryState: JobState = job.remoteTaskId ? (job.state === 'downloading' && err.kind === 'not-ready' ? 'running' : job.state) : 'queued';
  const retryPatch = (delay: number): JobPatch => ({ next_run_at: now + delay, error: err.message, ...(retryState === 'queued' ? { submit_sent_at: null } : {}) });
  switch (err.kind) {
    case 'not-ready':
      return back(retryState, retryPatch(rc.opts.pollIntervalMs ?? 5_000), 'result not ready yet');
    case 'retryable': {
      if (job.attempts >= job.maxAttempts) return failJob(rc, job, `gave up after ${job.attempts} attempts: ${err.message}`, err.opts.code);
      const delay = backoffDelay(job.attempts, rc.opts.backoff ?? DEFAULT_BACKOFF, err.opts.retryAfterMs);
      // A 429 that names its wait slows the whole provider: no request to it goes before then.
      if (err.opts.status === 429 && err.opts.retryAfterMs !== undefined) pacerFor(p).holdFor(err.opts.retryAfterMs);
      rc.store.update(job.id, { attempts: job.attempts + (retryState === 'queued' ? 0 : 1) });
      return back(retryState, retryPatch(delay), `retrying in ${Math.round(delay / 1000)} s: ${err.message}`);
    }
    case 'auth':
    case 'credits': {
      const reason = err.kind === 'auth' ? 'key rejected' : 'insufficient credits';
      rc.store.pauseProvider(p.id, `${reason}: ${err.message}`);
      rc.emit({ type: 'provider-paused', provider: p.id, reason });
      return back(retryState, { ...retryPatch(0), hold_reason: `paused: ${reason}` }, `${p.id} paused: ${reason}`);
    }
    case 'disk':
    case 'setup': {
      const reason = err.kind === 'disk' ? 'disk full' : 'ffmpeg missing';
      rc.store.pauseProvider(p.id, `${reason}: ${err.message}`);
      back(retryState, { ...retryPatch(0), hold_reason: `paused: ${reason}` }, err.message);
      rc.stop(err.kind === 'disk' ? `disk full: ${err.message}` : err.message);
      return;
    }
    case 'expired':
    case 'invalid':
    case 'unreadable':
    default:
      return failJob(rc, job, err.message, err.opts.code);
  }
}
