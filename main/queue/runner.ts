/**
 * The queue runner: takes the jobs of a project store through their states with the providers
 * they name, under each provider's concurrency and request-rate limits, until nothing more can
 * be done now. It knows nothing of any particular provider: only the {@link Provider} interface.
 *
 * Durability: every step is stored before the next begins. A submit is marked as about to be sent
 * (submit_sent_at) before the request leaves and its task id is stored as soon as it is answered,
 * so a restarted process polls instead of submitting (and paying) again; a job whose process died
 * between those two points is flagged `maybeDuplicate` and counted in the summary.
 */
import fs from 'node:fs';
import { setMaxListeners } from 'node:events';
import path from 'node:path';
import pThrottle from 'p-throttle';
import { ProviderError, type PollResult, type Provider, type ProviderContext, type ProviderRequest, type ResultRef, type ActualCost } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import { IN_FLIGHT_STATES, type Job, type JobState } from './job';
import { FLAGGED_HOLD, StaleJobError, type JobPatch, type ProjectStore } from './store';
import { probe } from '../media/ffprobe';
import { FfmpegNotFoundError } from '../media/ffmpeg-path';
import type { FfmpegError } from '../media/run-ffmpeg';

/**
 * Decides whether a job may be submitted now (budgets) and takes its reservation. `admit` runs
 * inside the queue's claim transaction; it must check and reserve atomically (in its own
 * transaction when it keeps money elsewhere), so two processes cannot both take the last dollars.
 */
export interface SubmitGuard {
  /** Returns null when the job may go (its reservation is taken), or why it must wait ("over budget: ..."). */
  admit(job: Job): string | null;
  /**
   * Called whenever the job's money may have changed: an actual cost or refund stored, a retry
   * before any task existed (the reservation is released), a flag "may have been submitted
   * twice", and when the job ends.
   */
  settle?(job: Job): void;
  /**
   * Called once at the start of each run, after interrupted jobs are recovered: settles what a
   * crash left open (a reservation whose job ended, or went back to the queue, before its
   * settle was stored, as when the process dies between the project database and the ledger).
   * `jobOf` reads a job of this project by id.
   */
  reconcile?(jobOf: (id: number) => Job | undefined): void;
}

/** Something that happened, for progress bars and the renderer. */
export type QueueEvent =
  | { type: 'job'; job: Job }
  | { type: 'provider-paused'; provider: string; reason: string }
  | { type: 'log'; message: string; fields?: Record<string, unknown> };

/** Options of {@link QueueRunner}. */
export interface QueueRunnerOptions {
  /**
   * Output folder: clips go to DIR/clips; what a provider returns is staged in DIR/staging/job-N
   * (never removed before it is a clip: a stop, a crash or an export leaves it for the next run).
   */
  outDir: string;
  /** Caps every provider's concurrency (never above a remote provider's documented limit). */
  concurrency?: number;
  guard?: SubmitGuard;
  onEvent?: (e: QueueEvent) => void;
  backoff?: BackoffPolicy;
  /** Default poll interval in ms when a provider does not say (5 s). */
  pollIntervalMs?: number;
  /** USD per credit by provider, for recording actual costs in USD. */
  usdPerCredit?: (provider: string) => number | undefined;
  /**
   * Checks a finished clip before it is moved into place; throws when it is not playable.
   * Default: ffprobe must find a video stream. (The benchmark swaps in a size check.)
   */
  verifyClip?: (file: string) => Promise<void>;
}

/** The default clip check: ffprobe reads it and finds a video stream. */
export async function probeClip(file: string): Promise<void> {
  const info = await probe(file);
  if (!info.video) throw new Error('no video stream');
}

/** What a run ended with. */
export interface RunSummary {
  succeeded: number;
  failed: number;
  canceled: number;
  /** Queued jobs held back, by reason ("over budget: ...", "paused: key rejected"). */
  waiting: Record<string, number>;
  /** Jobs flagged "may have been submitted twice". */
  maybeDuplicate: number;
  /** Set when the run stopped early (disk full, stop requested). */
  stoppedBecause?: string;
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

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

/** Bytes free for this user on the disk holding `dir` (Infinity when it cannot be read). */
export function freeBytes(dir: string): number {
  try {
    const st = fs.statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** File-name-safe form of a shot id. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'shot';
}

/** Runs the jobs of one project store. */
export class QueueRunner {
  private readonly active = new Map<number, Promise<void>>();
  /** Jobs whose driver ended on an error that could not even be recorded: not restarted in this run. */
  private readonly stuck = new Set<number>();
  private readonly activeByProvider = new Map<string, number>();
  private readonly throttles = new Map<string, () => Promise<void>>();
  private readonly abort = new AbortController();
  /** One controller per job being driven: aborted by a stop (via `abort`) or by {@link cancel}. */
  private readonly jobAborts = new Map<number, AbortController>();
  /** Jobs the creator canceled while this runner drove them. */
  private readonly canceled = new Set<number>();
  /** Jobs whose submit is on its way: a stop waits for their answers (see {@link stop}). */
  private readonly submitsInFlight = new Set<number>();
  private stopReason: string | undefined;
  private readonly clipsDir: string;
  /** Per-job staging folders (DIR/staging/job-N): whatever a provider returned, until it is a clip. */
  private readonly stagingDir: string;

  constructor(
    private readonly store: ProjectStore,
    private readonly providers: ProviderRegistry,
    private readonly opts: QueueRunnerOptions,
  ) {
    this.clipsDir = path.join(opts.outDir, 'clips');
    this.stagingDir = path.join(opts.outDir, 'staging');
    // Every job in flight (and each of its HTTP calls) listens for a stop: many at once is normal.
    setMaxListeners(1000, this.abort.signal);
  }

  /**
   * Asks the run to stop at the next safe point; in-flight jobs stay as they are and resume next
   * run. A submit already on its way is not cut off: its answer (a task id, or with the LTX v1 form
   * the paid MP4 itself) is awaited and stored, since cutting it would leave a charge with nothing
   * to show for it. {@link abandonSubmits} cuts those too.
   */
  stop(reason = 'stop requested'): void {
    this.stopReason ??= reason;
    this.abort.abort(new Error(reason));
  }

  /** How many submits are on their way (sent, their answers not yet stored). */
  get submitsOnTheirWay(): number {
    return this.submitsInFlight.size;
  }

  /**
   * Stops the run and cuts the submits on their way (a second Ctrl-C): each is flagged "may have
   * been submitted twice" and held for the creator, never resubmitted on its own.
   */
  abandonSubmits(reason = 'stop requested'): void {
    this.stop(reason);
    for (const id of this.submitsInFlight) this.jobAborts.get(id)?.abort(new Error('abandoned while the submit was on its way'));
  }

  /**
   * Cancels a job this runner is driving: its HTTP request or local render is aborted at once, its
   * polling stops, and the job ends as canceled with its task id kept and its ledger row settled
   * (released when nothing reached the service, charged when a task exists: none of the five cloud
   * APIs documents a way to cancel a task, so a submitted one keeps rendering and is billed).
   * Returns false when the runner is not driving the job (the caller cancels a queued job itself).
   */
  cancel(jobId: number): boolean {
    const ac = this.jobAborts.get(jobId);
    if (!ac) return false;
    this.canceled.add(jobId);
    ac.abort(new Error('canceled by you'));
    return true;
  }

  /** The signal of a job being driven (the run's, when the job has none). */
  private signalOf(job: Job): AbortSignal {
    return this.jobAborts.get(job.id)?.signal ?? this.abort.signal;
  }

  private emit(e: QueueEvent): void {
    this.opts.onEvent?.(e);
  }

  /** Emits a job as it now is: the copy a store write returned, or read by id. */
  private emitJob(jobOrId: Job | number): void {
    const job = typeof jobOrId === 'number' ? this.store.job(jobOrId) : jobOrId;
    if (job) this.emit({ type: 'job', job });
  }

  private limitFor(p: Provider): number {
    const documented = p.limits().concurrency;
    if (this.opts.concurrency === undefined) return documented;
    return p.kind === 'remote' ? Math.min(documented, this.opts.concurrency) : this.opts.concurrency;
  }

  private beforeRequestFor(p: Provider): () => Promise<void> {
    let t = this.throttles.get(p.id);
    if (!t) {
      const rpm = p.limits().requestsPerMinute;
      // A rolling minute plus a second of margin: the service counts on arrival, after network latency.
      t = rpm ? pThrottle({ limit: rpm, interval: 61_000, strict: true })(async () => {}) : async () => {};
      this.throttles.set(p.id, t);
    }
    return t;
  }

  /** The staging folder of one job: the provider's files for it, and its download in progress. */
  private staging(job: Job): string {
    return path.join(this.stagingDir, `job-${job.id}`);
  }

  private context(p: Provider, job: Job): ProviderContext {
    return {
      signal: this.signalOf(job),
      tmpDir: this.staging(job),
      log: (message, fields) => this.emit({ type: 'log', message: `[${p.id}] ${message}`, fields }),
      beforeRequest: this.beforeRequestFor(p),
    };
  }

  /**
   * Runs until every job is finished or waiting for something the run cannot change (budget, a
   * paused provider, a stop). Returns the summary of the project's latest takes.
   */
  async run(): Promise<RunSummary> {
    fs.mkdirSync(this.clipsDir, { recursive: true });
    this.recover();
    this.opts.guard?.reconcile?.((id) => this.store.job(id));
    while (!this.abort.signal.aborted) {
      const nextWake = this.fill();
      if (this.active.size === 0) {
        if (nextWake === undefined) break;
        await sleep(nextWake - this.store.now(), this.abort.signal);
        continue;
      }
      const wait = nextWake === undefined ? undefined : sleep(nextWake - this.store.now(), this.abort.signal);
      await Promise.race(wait ? [...this.active.values(), wait] : [...this.active.values()]);
    }
    await Promise.allSettled([...this.active.values()]);
    this.cleanStaging();
    return this.summary();
  }

  /**
   * Removes the staging folders of jobs whose clip is recorded (and empty ones). Any other job's
   * staged result stays: it may be a result the service delivered and charged for, and the next
   * run finishes the job from it.
   */
  private cleanStaging(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.stagingDir);
    } catch {
      return;
    }
    for (const name of names) {
      const id = Number(/^job-(\d+)$/.exec(name)?.[1]);
      const dir = path.join(this.stagingDir, name);
      const job = Number.isFinite(id) ? this.store.job(id) : undefined;
      const empty = fs.readdirSync(dir).length === 0;
      if (empty || job?.state === 'succeeded') fs.rmSync(dir, { recursive: true, force: true });
    }
    if (fs.readdirSync(this.stagingDir).length === 0) fs.rmSync(this.stagingDir, { recursive: true, force: true });
  }

  /** Puts jobs a dead process left in flight back on their way. */
  private recover(): void {
    for (const job of this.store.jobsIn(IN_FLIGHT_STATES)) {
      const p = this.providers.get(job.provider);
      if (job.state === 'submitting' && !job.remoteTaskId) {
        const sent = job.submitSentAt !== null && p?.kind === 'remote';
        // A submit that may have reached the service is never sent again on its own: it waits for the creator.
        const moved = this.store.transition(job.id, 'submitting', 'queued', { submit_sent_at: null, ...(sent ? { maybe_duplicate: 1, hold_reason: FLAGGED_HOLD } : {}) },
          sent ? 'interrupted after the submit was sent and before its answer was stored: may have been submitted twice; held until you resubmit it' : 'interrupted before submitting; queued again');
        this.opts.guard?.settle?.(moved);
      } else if (job.state === 'running' && !job.remoteTaskId) {
        const moved = this.store.transition(job.id, 'running', 'queued', { submit_sent_at: null }, 'interrupted while rendering locally; queued again');
        this.opts.guard?.settle?.(moved);
      }
    }
  }

  /**
   * Starts drivers for every job that may go now; returns when the next delayed job is due.
   * Reads only what it needs (in-flight jobs without a driver, and per provider at most as many
   * queued jobs as it has free slots), so a 10,000-shot batch does not scan the table each time.
   */
  private fill(): number | undefined {
    const now = this.store.now();
    const paused = this.store.pausedProviders();
    // In-flight jobs (resumed after a restart, or waiting to poll) first: they already hold a slot.
    for (const id of this.store.jobIdsIn(IN_FLIGHT_STATES)) {
      if (this.active.has(id) || this.stuck.has(id)) continue;
      const job = this.store.job(id);
      if (!job) continue;
      const p = this.providers.get(job.provider);
      if (!p || paused.has(p.id)) continue;
      this.start(job, p);
    }
    for (const providerId of this.store.queuedProviders()) {
      const p = this.providers.get(providerId);
      if (!p) {
        for (const job of this.store.runnableQueued(providerId, now, 1000)) this.failJob(job, `provider "${providerId}" is not available in this version`);
        continue;
      }
      if (paused.has(p.id)) continue;
      const free = this.limitFor(p) - (this.activeByProvider.get(p.id) ?? 0);
      if (free <= 0) continue;
      const avail = p.availability();
      for (const job of this.store.runnableQueued(p.id, now, free)) {
        if (this.active.has(job.id)) continue;
        if (!avail.ok) {
          this.store.update(job.id, { hold_reason: `unavailable: ${avail.reason}` });
          continue;
        }
        this.start(job, p);
      }
    }
    return this.store.nextQueuedWake(now);
  }

  private start(job: Job, p: Provider): void {
    this.activeByProvider.set(p.id, (this.activeByProvider.get(p.id) ?? 0) + 1);
    const ac = new AbortController();
    const onStop = () => {
      if (!this.submitsInFlight.has(job.id)) ac.abort(this.abort.signal.reason);
    };
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    setMaxListeners(1000, ac.signal);
    this.jobAborts.set(job.id, ac);
    const run = this.drive(job, p)
      .catch((e) => {
        // The error could not be recorded (the database is full, the job moved under us): leave the
        // job for the next run instead of restarting it in a tight loop.
        this.stuck.add(job.id);
        const pe = toProviderError(e);
        this.emit({ type: 'log', message: `job ${job.id}: ${pe.message}` });
        if (pe.kind === 'disk' || pe.kind === 'setup') this.stop(pe.message);
      })
      .finally(() => {
        this.abort.signal.removeEventListener('abort', onStop);
        this.jobAborts.delete(job.id);
        this.canceled.delete(job.id);
        this.active.delete(job.id);
        this.activeByProvider.set(p.id, (this.activeByProvider.get(p.id) ?? 1) - 1);
      });
    this.active.set(job.id, run);
  }

  /**
   * Claims a queued job (guard check + move to submitting) in one transaction, committed with the
   * tick's other claims and moves before anything is sent; null when held.
   */
  private async claim(job: Job): Promise<Job | null> {
    const guard = this.opts.guard;
    const claimed = await this.store.claimGrouped(job.id, guard && ((fresh) => guard.admit(fresh)));
    this.emitJob(claimed.job);
    return claimed.held ? null : claimed.job;
  }

  private async drive(initial: Job, p: Provider): Promise<void> {
    let job: Job | null = initial;
    try {
      if (job.state === 'queued') {
        job = await this.claim(job);
        if (!job) return;
      }
      const request = JSON.parse(job.request) as ProviderRequest;
      if (p.kind === 'local') await this.driveLocal(job, p, request);
      else await this.driveRemote(job, p, request);
    } catch (e) {
      if (e instanceof StaleJobError) {
        this.stuck.add(initial.id);
        return;
      }
      const current = this.store.job(initial.id);
      if (current && this.canceled.has(initial.id)) this.endCanceled(current, p);
      else if (current && !this.abort.signal.aborted) this.handleError(current, p, e);
      else if (current && p.kind === 'remote' && current.state === 'submitting' && current.submitSentAt !== null && !current.remoteTaskId) {
        // A submit abandoned on its way (abandonSubmits): it may have reached the service.
        const moved = this.store.transition(current.id, 'submitting', 'queued', { submit_sent_at: null, maybe_duplicate: 1, hold_reason: FLAGGED_HOLD, error: 'abandoned while the submit was on its way' },
          'stopped while the submit was on its way: may have been submitted twice; held until you resubmit it');
        this.opts.guard?.settle?.(moved);
        this.emitJob(moved);
      } else if (current && p.kind === 'local' && (current.state === 'submitting' || current.state === 'running')) {
        // Stopped mid-render: the local work is lost anyway (nothing was paid), so the job waits in the queue again.
        fs.rmSync(this.clipPath(current).part, { force: true });
        const moved = this.store.transition(current.id, current.state, 'queued', { submit_sent_at: null, progress: 0 }, `stopped (${this.stopReason ?? 'stop requested'}); will render again`);
        this.opts.guard?.settle?.(moved);
        this.emitJob(moved);
      }
    }
  }

  /** Where a job's clip goes (`rel` to the output folder, `abs`), and its download or render in progress (`part`, in its staging folder). */
  private clipPath(job: Job): { rel: string; abs: string; part: string } {
    const rel = path.join('clips', `shot-${safeName(job.shotKey)}-take${job.take}.mp4`);
    return { rel, abs: path.join(this.opts.outDir, rel), part: path.join(this.staging(job), 'clip.part.mp4') };
  }

  private async driveLocal(job: Job, p: Provider, request: ProviderRequest): Promise<void> {
    job = this.store.transition(job.id, 'submitting', 'running', { submitted_at: this.store.now(), progress: 0 }, 'rendering');
    this.emitJob(job);
    const { part } = this.clipPath(job);
    fs.mkdirSync(path.dirname(part), { recursive: true });
    let lastEmit = 0;
    let progressError: unknown;
    const out = await p.render!(request, part, {
      ...this.context(p, job),
      onProgress: (pr) => {
        const now = Date.now();
        if (progressError || (now - lastEmit < 250 && pr.fraction < 1)) return;
        lastEmit = now;
        try {
          this.emitJob(this.store.update(job.id, { progress: pr.fraction }) ?? job.id);
        } catch (e) {
          progressError = e; // e.g. the database's disk is full: raised below, after the render
        }
      },
    });
    if (progressError) throw progressError;
    if (this.signalOf(job).aborted) throw this.signalOf(job).reason ?? new Error('stopped');
    const patch: JobPatch = { gpu_seconds: out.gpuSeconds ?? null };
    if (out.actual) Object.assign(patch, this.actualPatch(job, out.actual));
    if (out.notes?.length) patch.notes = JSON.stringify([...job.notes, ...out.notes]);
    await this.finish(this.store.transition(job.id, 'running', 'downloading', patch, 'rendered'), { kind: 'file', path: part }, p);
  }

  private async driveRemote(job: Job, p: Provider, request: ProviderRequest): Promise<void> {
    const ctx = this.context(p, job);
    fs.mkdirSync(ctx.tmpDir, { recursive: true });
    if (job.state === 'submitting') {
      // Canceled before anything left: nothing to mark as sent.
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('stopped');
      // From here a stop waits for the answer (only a cancel or abandonSubmits cuts it).
      this.submitsInFlight.add(job.id);
      let res: Awaited<ReturnType<NonNullable<Provider['submit']>>>;
      try {
        // Durable before the request leaves (see ProjectStore.markSubmitSent): it is what stops a second payment.
        job = { ...job, submitSentAt: await this.store.markSubmitSent(job.id) };
        res = await p.submit!(request, ctx);
      } finally {
        this.submitsInFlight.delete(job.id);
      }
      const patch: JobPatch = {
        remote_task_id: res.taskId,
        submitted_at: this.store.now(),
        next_run_at: this.store.now() + (res.firstPollMs ?? this.opts.pollIntervalMs ?? 5_000),
      };
      if (res.actual) Object.assign(patch, this.actualPatch(job, res.actual));
      job = this.store.transition(job.id, 'submitting', 'running', patch, `submitted: task ${res.taskId}`);
      this.opts.guard?.settle?.(job);
      this.emitJob(job);
      if (res.immediate) {
        const next = await this.applyPoll(job, p, res.immediate);
        if (!next) return;
        job = next;
      }
      // Stopped while the answer was on its way: it is stored; the next run polls or finishes it.
      if (this.abort.signal.aborted) throw this.abort.signal.reason ?? new Error('stopped');
    }
    while (job.state === 'running') {
      const signal = this.signalOf(job);
      await sleep(job.nextRunAt - this.store.now(), signal);
      if (signal.aborted) throw signal.reason ?? new Error('stopped');
      const pr = await p.poll!(job.remoteTaskId!, request, ctx);
      const next = await this.applyPoll(job, p, pr);
      if (!next) return;
      job = next;
    }
    if (job.state === 'downloading') {
      const result = JSON.parse(job.result ?? '{"kind":"task"}') as ResultRef;
      await this.finish(job, result, p);
    }
  }

  /** Stores a poll result; returns the job for the next step, or null when the job ended. */
  private async applyPoll(job: Job, p: Provider, pr: PollResult): Promise<Job | null> {
    const now = this.store.now();
    if (pr.status === 'pending' || pr.status === 'running') {
      const next = this.store.update(job.id, { next_run_at: now + (pr.nextPollMs ?? this.opts.pollIntervalMs ?? 5_000), progress: pr.progress ?? job.progress })!;
      this.emitJob(next);
      return next;
    }
    if (pr.status === 'succeeded') {
      const patch: JobPatch = { result: JSON.stringify(pr.result) };
      if (pr.actual) Object.assign(patch, this.actualPatch(job, pr.actual));
      if (pr.adjustments) patch.notes = JSON.stringify([...job.notes, `adjusted by the service: ${pr.adjustments}`]);
      // Committed with the tick's other moves; lost to a crash, the next run polls the task again (free).
      const next = await this.store.transitionGrouped(job.id, 'running', 'downloading', patch, 'finished remotely; downloading');
      this.opts.guard?.settle?.(next);
      this.emitJob(next);
      return next;
    }
    if (pr.status !== 'failed') throw new Error(`unknown task status ${(pr as { status: string }).status}`);
    // The service's failure code and message as written: "SensitiveContent: Content violates ...".
    const message = pr.code ? `${pr.code}: ${pr.message}` : pr.message;
    const patch: JobPatch = { error: message, error_code: pr.code ?? null };
    if (pr.actual) Object.assign(patch, this.actualPatch(job, pr.actual));
    let moved: Job;
    if (pr.retryable && job.attempts < job.maxAttempts) {
      const delay = backoffDelay(job.attempts, this.opts.backoff ?? DEFAULT_BACKOFF);
      moved = this.store.transition(job.id, 'running', 'queued', { ...patch, remote_task_id: null, submit_sent_at: null, next_run_at: now + delay }, `task failed (${message}); will submit again`);
    } else {
      moved = this.store.transition(job.id, 'running', 'failed', { ...patch, finished_at: now }, `task failed: ${message}`);
    }
    this.opts.guard?.settle?.(moved);
    this.emitJob(moved);
    return null;
  }

  private actualPatch(job: Job, actual: ActualCost): JobPatch {
    // Credits convert at the user's rate, else at the rate the estimate used (the provider's doc).
    const estimateRate = job.estimateUnit === 'credits' && job.estimateUsd !== null && job.estimateMax ? job.estimateUsd / job.estimateMax : undefined;
    const rate = actual.unit === 'USD' ? 1 : (this.opts.usdPerCredit?.(job.provider) ?? estimateRate);
    return {
      actual_unit: actual.unit,
      actual_amount: actual.refunded ? 0 : actual.amount,
      actual_usd: rate === undefined ? null : (actual.refunded ? 0 : actual.amount) * rate,
      refunded: actual.refunded ? 1 : 0,
    };
  }

  /**
   * Makes the result a clip: a file the provider staged is checked where it lies and moved into
   * clips/ (never deleted: a stop before the move leaves it staged, and the next run finishes from
   * it); a URL or task result is downloaded into the job's staging folder first (a partial download
   * is removed: the service still has the result). A clip already in place (a crash between the
   * move and its record) is checked and recorded without fetching anything.
   */
  private async finish(job: Job, result: ResultRef, p: Provider): Promise<void> {
    const { rel, abs, part } = this.clipPath(job);
    const signal = this.signalOf(job);
    const stopped = () => signal.reason ?? new Error('stopped');
    let src: string;
    if (fs.existsSync(abs) && (result.kind !== 'file' || !fs.existsSync(result.path))) {
      src = abs;
    } else if (result.kind === 'file') {
      src = result.path;
      if (!fs.existsSync(src)) throw new ProviderError('expired', `the clip ${p.id} returned is no longer at ${src}; render the shot again`);
    } else {
      fs.mkdirSync(path.dirname(part), { recursive: true });
      fs.rmSync(part, { force: true });
      await p.download!(job.remoteTaskId!, result, part, this.context(p, job));
      src = part;
    }
    if (signal.aborted) throw stopped();
    const st = fs.statSync(src, { throwIfNoEntry: false });
    if (!st || st.size === 0) {
      if (src === part) fs.rmSync(part, { force: true });
      throw new ProviderError('retryable', 'the clip came back empty');
    }
    try {
      await (this.opts.verifyClip ?? probeClip)(src);
    } catch (e) {
      if (signal.aborted) throw stopped();
      // A download can be fetched again; a file the service handed over is kept for inspection.
      if (src === part) fs.rmSync(part, { force: true });
      if (freeBytes(this.opts.outDir) < 16 * 1024 * 1024) throw new ProviderError('disk', `no space left on the disk holding the output folder (the clip came out incomplete: ${(e as Error).message})`);
      throw new ProviderError(p.kind === 'remote' && src === part ? 'retryable' : 'invalid', `the clip is incomplete or unreadable (${(e as Error).message})${src !== part ? `; it is kept at ${src}` : ''}`);
    }
    if (signal.aborted) throw stopped();
    if (src !== abs) {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.renameSync(src, abs);
    }
    // Succeeded and chosen as the shot's take in one transaction, committed with the tick's other
    // moves before the staging folder goes; lost to a crash, the next run finds the clip in place.
    const done = await this.store.recordClipGrouped(job, { output: rel, progress: 1, finished_at: this.store.now(), error: null, hold_reason: null }, 'clip saved');
    fs.rmSync(this.staging(job), { recursive: true, force: true });
    this.opts.guard?.settle?.(done);
    this.emitJob(done);
  }

  /**
   * Ends a job the creator canceled while it was driven. Nothing sent: canceled, its reservation
   * released. A submit that may have left without its answer: canceled and flagged "may have been
   * submitted twice". A task that exists: canceled with its task id kept (the services cannot
   * cancel it: it is billed); a result already staged stays in staging.
   */
  private endCanceled(job: Job, p: Provider): void {
    if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'canceled') return;
    const maybeSent = job.state === 'submitting' && job.submitSentAt !== null && !job.remoteTaskId && p.kind === 'remote';
    const note = job.remoteTaskId ? `canceled by you; ${p.id} cannot cancel task ${job.remoteTaskId}, so it may finish and be billed` : maybeSent ? 'canceled by you while the submit was on its way: may have been submitted twice' : 'canceled by you';
    if (p.kind === 'local') fs.rmSync(this.clipPath(job).part, { force: true });
    let done: Job | undefined;
    try {
      done = this.store.transition(job.id, job.state, 'canceled', { finished_at: this.store.now(), error: 'canceled by you', hold_reason: null, ...(maybeSent ? { maybe_duplicate: 1 } : {}) }, note);
      this.opts.guard?.settle?.(done);
    } catch (e) {
      if (!(e instanceof StaleJobError)) throw e;
    }
    this.emitJob(done ?? job.id);
  }

  private failJob(job: Job, message: string, code?: string): void {
    let failed: Job | undefined;
    try {
      failed = this.store.transition(job.id, job.state, 'failed', { error: message, error_code: code ?? null, finished_at: this.store.now() }, message);
      this.opts.guard?.settle?.(failed);
    } catch (e) {
      if (!(e instanceof StaleJobError)) throw e;
    }
    this.emitJob(failed ?? job.id);
  }

  /** Reacts to an error of a provider call according to its kind (see ProviderErrorKind). */
  private handleError(job: Job, p: Provider, e: unknown): void {
    const now = this.store.now();
    const err = toProviderError(e);
    const back = (to: JobState, patch: JobPatch, message: string) => {
      let moved: Job | undefined;
      try {
        moved = this.store.transition(job.id, job.state, to, patch, message);
        this.opts.guard?.settle?.(moved);
      } catch (x) {
        if (!(x instanceof StaleJobError)) throw x;
      }
      this.emitJob(moved ?? job.id);
    };
    // A submit whose answer never arrived (connection dropped, timeout: no HTTP status) may have
    // reached the service: say so, never resubmit silently. A connection that was never made
    // (refused, unknown host) sent nothing.
    if (job.state === 'submitting' && job.submitSentAt !== null && !job.remoteTaskId && err.kind === 'retryable' && err.opts.status === undefined && err.opts.sent !== false) {
      job = this.store.update(job.id, { maybe_duplicate: 1 })!;
      // Never submitted again on its own: the creator checks the provider and resubmits it.
      return back('queued', { submit_sent_at: null, error: err.message, hold_reason: FLAGGED_HOLD }, `the answer to the submit was lost (${err.message}): may have been submitted twice; held until you resubmit it`);
    }
    // Where a retry goes: before a task id exists, back to queued; after, keep polling/downloading.
    const retryState: JobState = job.remoteTaskId ? (job.state === 'downloading' && err.kind === 'not-ready' ? 'running' : job.state) : 'queued';
    const retryPatch = (delay: number): JobPatch => ({ next_run_at: now + delay, error: err.message, ...(retryState === 'queued' ? { submit_sent_at: null } : {}) });
    switch (err.kind) {
      case 'not-ready':
        return back(retryState, retryPatch(this.opts.pollIntervalMs ?? 5_000), 'result not ready yet');
      case 'retryable': {
        if (job.attempts >= job.maxAttempts) return this.failJob(job, `gave up after ${job.attempts} attempts: ${err.message}`, err.opts.code);
        const delay = backoffDelay(job.attempts, this.opts.backoff ?? DEFAULT_BACKOFF, err.opts.retryAfterMs);
        this.store.update(job.id, { attempts: job.attempts + (retryState === 'queued' ? 0 : 1) });
        return back(retryState, retryPatch(delay), `retrying in ${Math.round(delay / 1000)} s: ${err.message}`);
      }
      case 'auth':
      case 'credits': {
        const reason = err.kind === 'auth' ? 'key rejected' : 'insufficient credits';
        this.store.pauseProvider(p.id, `${reason}: ${err.message}`);
        this.emit({ type: 'provider-paused', provider: p.id, reason });
        return back(retryState, { ...retryPatch(0), hold_reason: `paused: ${reason}` }, `${p.id} paused: ${reason}`);
      }
      case 'disk':
      case 'setup': {
        const reason = err.kind === 'disk' ? 'disk full' : 'ffmpeg missing';
        this.store.pauseProvider(p.id, `${reason}: ${err.message}`);
        back(retryState, { ...retryPatch(0), hold_reason: `paused: ${reason}` }, err.message);
        this.stop(err.kind === 'disk' ? `disk full: ${err.message}` : err.message);
        return;
      }
      case 'expired':
      case 'invalid':
      case 'unreadable':
      default:
        return this.failJob(job, err.message, err.opts.code);
    }
  }

  /** Counts the latest takes of the project's active shots. */
  summary(): RunSummary {
    const s: RunSummary = { succeeded: 0, failed: 0, canceled: 0, waiting: {}, maybeDuplicate: 0, stoppedBecause: this.stopReason };
    const pausedProviders = this.store.pausedProviders();
    for (const j of this.store.latestJobs()) {
      if (j.maybeDuplicate) s.maybeDuplicate++;
      if (j.state === 'succeeded' || j.state === 'failed' || j.state === 'canceled') s[j.state]++;
      else {
        const paused = pausedProviders.get(j.provider);
        const reason = j.holdReason ?? (paused ? `paused: ${paused.split(':')[0]}` : `not finished (${j.state})`);
        s.waiting[reason] = (s.waiting[reason] ?? 0) + 1;
      }
    }
    return s;
  }
}
