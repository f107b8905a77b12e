/**
 * The queue runner (the scheduler): takes the jobs of a project store through their states with
 * the providers they name, under each provider's concurrency and request-rate limits, until
 * nothing more can be done now. It knows nothing of any particular provider: only the
 * {@link Provider} interface. It recovers what a dead process left, claims jobs under the budget
 * guard, starts one driver per job (./remote-driver.ts, ./local-driver.ts; clips are finished by
 * ./clip-finish.ts) and hands failures to the error policy (./error-policy.ts).
 *
 * Durability: every step is stored before the next begins. A submit is marked as about to be sent
 * (submit_sent_at) before the request leaves and its task id is stored as soon as it is answered,
 * so a restarted process polls instead of submitting (and paying) again; a job whose process died
 * between those two points is flagged `maybeDuplicate` and counted in the summary.
 */
import fs from 'node:fs';
import { setMaxListeners } from 'node:events';
import path from 'node:path';
import type { Provider, ProviderContext, ProviderRequest } from '../providers/provider';
import { pacerFor } from '../providers/pacing';
import type { ProviderRegistry } from '../providers/registry';
import { sleep } from './backoff';
import { clipPathOf } from './clip-finish';
import { endCanceled, failJob, reactToError, toProviderError } from './error-policy';
import { IN_FLIGHT_STATES, type Job } from './job';
import { driveLocal } from './local-driver';
import { PollSchedule } from './poll-schedule';
import { driveRemote } from './remote-driver';
import type { RunContext } from './run-context';
import type { QueueEvent, QueueRunnerOptions, RunSummary } from './run-types';
import { FLAGGED_HOLD, StaleJobError, type ProjectStore } from './store';
import { latestPerVariant } from './takes';
import { prepareStartFrame } from './continuity';

export type { QueueEvent, QueueRunnerOptions, RunSummary, SubmitGuard } from './run-types';
export { freeBytes, probeClip, safeName } from './clip-finish';
export { toProviderError } from './error-policy';

/** Runs the jobs of one project store. */
export class QueueRunner {
  private readonly active = new Map<number, Promise<void>>();
  /** Jobs whose driver ended on an error that could not even be recorded: not restarted in this run. */
  private readonly stuck = new Set<number>();
  /** Set when a take ended: the holds of takes that continue a shot are looked at again before the next fill. */
  private continuityDirty = true;
  private readonly activeByProvider = new Map<string, number>();
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
  /** What the drivers (remote, local, clip finishing, error policy) see of this run. */
  private readonly rc: RunContext;

  constructor(
    private readonly store: ProjectStore,
    private readonly providers: ProviderRegistry,
    private readonly opts: QueueRunnerOptions,
  ) {
    this.clipsDir = path.join(opts.outDir, 'clips');
    this.stagingDir = path.join(opts.outDir, 'staging');
    // Every job in flight (and each of its HTTP calls) listens for a stop: many at once is normal.
    setMaxListeners(1000, this.abort.signal);
    this.rc = {
      store,
      opts,
      stopSignal: this.abort.signal,
      polls: new PollSchedule(),
      submitsInFlight: this.submitsInFlight,
      emit: (e) => this.emit(e),
      emitJob: (j) => this.emitJob(j),
      signalOf: (j) => this.signalOf(j),
      providerContext: (p, j) => this.context(p, j),
      staging: (j) => this.staging(j),
      stop: (r) => this.stop(r),
    };
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

  /** The staging folder of one job: the provider's files for it, and its download in progress. */
  private staging(job: Job): string {
    return path.join(this.stagingDir, `job-${job.id}`);
  }

  private context(p: Provider, job: Job): ProviderContext {
    return {
      signal: this.signalOf(job),
      tmpDir: this.staging(job),
      log: (message, fields) => this.emit({ type: 'log', message: `[${p.id}] ${message}`, fields }),
      beforeRequest: () => pacerFor(p).acquire(this.signalOf(job)),
      onRateLimited: (ms) => pacerFor(p).holdFor(ms),
      job: { project: (this.projectUuid ??= this.store.projectUuid()), id: job.id, attempt: job.attempts },
    };
  }

  /** The project's UUID, read once (see ProjectStore.projectUuid). */
  private projectUuid: string | undefined;

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
      // job-N: a job's staging folder; job-N.part.mp4: its download or render in progress.
      const m = /^job-(\d+)(\.part\.mp4)?$/.exec(name);
      const entry = path.join(this.stagingDir, name);
      const job = m ? this.store.job(Number(m[1])) : undefined;
      let empty: boolean;
      try {
        empty = m?.[2] ? fs.statSync(entry).size === 0 : fs.readdirSync(entry).length === 0;
      } catch {
        continue; // gone, or a file that is not ours: left alone
      }
      if (empty || job?.state === 'succeeded') fs.rmSync(entry, { recursive: true, force: true });
    }
    if (fs.readdirSync(this.stagingDir).length === 0) fs.rmSync(this.stagingDir, { recursive: true, force: true });
  }

  /** Puts jobs a dead process left in flight back on their way. */
  private recover(): void {
    for (const job of this.store.jobsIn(IN_FLIGHT_STATES)) {
      const p = this.providers.get(job.provider);
      if (job.state === 'submitting' && !job.remoteTaskId) {
        // A provider that refuses a duplicate submit (idempotentSubmit) collects the task if it started: no flag.
        const sent = job.submitSentAt !== null && p?.kind === 'remote' && !p.idempotentSubmit;
        // A submit that may have reached the service is never sent again on its own: it waits for the creator.
        const moved = this.store.transition(job.id, 'submitting', 'queued', { submit_sent_at: null, ...(sent ? { maybe_duplicate: 1, hold_reason: FLAGGED_HOLD } : {}) },
          sent
            ? 'interrupted after the submit was sent and before its answer was stored: may have been submitted twice; held until you resubmit it'
            : job.submitSentAt !== null
              ? `interrupted while submitting; queued again (${job.provider} refuses a duplicate: the next submit collects the task if it started)`
              : 'interrupted before submitting; queued again');
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
    // A take that ended may let the takes that continue its shot go (or say why they still wait).
    if (this.continuityDirty) {
      this.continuityDirty = false;
      this.store.updateContinuityHolds();
    }
    for (const providerId of this.store.queuedProviders()) {
      const p = this.providers.get(providerId);
      if (!p) {
        for (const job of this.store.runnableQueued(providerId, now, 1000)) failJob(this.rc, job, `provider "${providerId}" is not available in this version`);
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
        this.continuityDirty = true;
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
        // A continued shot starts from its parent's chosen take: its last frame is written now.
        if (job.afterShot !== null) job = await prepareStartFrame(this.rc, job);
      }
      const request = JSON.parse(job.request) as ProviderRequest;
      if (p.kind === 'local') await driveLocal(this.rc, job, p, request);
      else await driveRemote(this.rc, job, p, request);
    } catch (e) {
      if (e instanceof StaleJobError) {
        this.stuck.add(initial.id);
        return;
      }
      const current = this.store.job(initial.id);
      if (current && this.canceled.has(initial.id)) endCanceled(this.rc, current, p);
      else if (current && !this.abort.signal.aborted) reactToError(this.rc, current, p, e);
      else if (current && p.kind === 'remote' && p.idempotentSubmit && current.state === 'submitting' && !current.remoteTaskId) {
        // Stopped while the submit was on its way to a provider that refuses duplicates: the next run submits the same take again and collects it if it started.
        const moved = this.store.transition(current.id, 'submitting', 'queued', { submit_sent_at: null }, `stopped while submitting (${this.stopReason ?? 'stop requested'}); the next run collects the task if it started`);
        this.opts.guard?.settle?.(moved);
        this.emitJob(moved);
      } else if (current && p.kind === 'remote' && current.state === 'submitting' && current.submitSentAt !== null && !current.remoteTaskId) {
        // A submit abandoned on its way (abandonSubmits): it may have reached the service.
        const moved = this.store.transition(current.id, 'submitting', 'queued', { submit_sent_at: null, maybe_duplicate: 1, hold_reason: FLAGGED_HOLD, error: 'abandoned while the submit was on its way' },
          'stopped while the submit was on its way: may have been submitted twice; held until you resubmit it');
        this.opts.guard?.settle?.(moved);
        this.emitJob(moved);
      } else if (current && p.kind === 'local' && (current.state === 'submitting' || current.state === 'running')) {
        // Stopped mid-render: the local work is lost anyway (nothing was paid), so the job waits in the queue again.
        fs.rmSync(clipPathOf(this.rc, current).part, { force: true });
        const moved = this.store.transition(current.id, current.state, 'queued', { submit_sent_at: null, progress: 0 }, `stopped (${this.stopReason ?? 'stop requested'}); will render again`);
        this.opts.guard?.settle?.(moved);
        this.emitJob(moved);
      }
    }
  }

  /** Counts the takes of the project's active shots as they are now: per shot, the latest take of each seed (see latestPerVariant). */
  summary(): RunSummary {
    const s: RunSummary = { succeeded: 0, failed: 0, canceled: 0, waiting: {}, maybeDuplicate: 0, stoppedBecause: this.stopReason };
    const pausedProviders = this.store.pausedProviders();
    for (const j of latestPerVariant(this.store.currentTakes())) {
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
