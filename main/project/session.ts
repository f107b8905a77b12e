/**
 * One open project: its store (DIR/project.sqlite), the guards every queue run goes through (the
 * project's render and row budgets, then the spend ledger's monthly ones), the queue runner while
 * one runs, the project lease while it runs (one process drives a folder at a time), and the rule
 * that a project belongs to one storyboard. The CLI render, browser mode and the desktop app all
 * work through one session per open project: viewing, rendering, retry and resume (kick), cancel,
 * pause, export.
 *
 * Nothing here writes to a terminal or a window: events go to `onEvent`; mistakes the creator can
 * fix are thrown as {@link UserError}.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Storyboard } from '../storyboard/import';
import type { Plan } from '../pricing/plan';
import { projectBudgetGuard } from '../pricing/render-budget';
import type { ProviderRegistry } from '../providers/registry';
import type { Job } from '../queue/job';
import { acquireLease, waitForLease, type ProjectBusyError, type ProjectLease } from '../queue/lease';
import { assertProjectOf, projectStoryboard } from '../queue/project-owner';
import { QueueRunner, type QueueEvent, type RunSummary, type SubmitGuard } from '../queue/runner';
import { FLAGGED_HOLD, ProjectStore, specHash } from '../queue/store';
import { diffShots, isEmptyDiff, type ShotDiff } from '../storyboard/shot-diff';
import { nextTakeSeed, randomSeedBase } from '../queue/takes';
import { withStartFrame } from '../queue/continuity';
import type { ProviderRequest, TakeEdit } from '../providers/provider';
import { describeEdit, planEdit, type EditPlan } from './edit-take';
import type { StitchResult } from '../timeline/stitch';
import { cleanStaleExports, exportFilm } from './export-film';
import { readTimeline } from '../timeline/timeline';
import { UserError } from './errors';
import { LookChangedError, restyledRows } from './restyle';

export { exportFilm };

/** What a session is built from. */
export interface ProjectSessionOptions {
  registry: ProviderRegistry;
  /** The spend ledger's guard for this project (monthly budgets), checked after the project's own budgets. */
  ledger?: SubmitGuard;
  /** Who drives the queue, shown to another process that finds the project busy (default "ltx-batch render"). */
  leaseLabel?: string;
  /** Every queue event of every run of this session (job changes, paused providers, log lines). */
  onEvent?: (e: QueueEvent) => void;
}

/** How one run of the queue goes. */
export interface QueueRunOptions {
  /** Caps each provider's concurrency. */
  concurrency?: number;
  usdPerCredit?: (provider: string) => number | undefined;
  /** Poll interval when a provider does not say, ms. */
  pollIntervalMs?: number;
  /** Backoff base in ms (tests shorten it). */
  backoffBaseMs?: number;
  /** When another process holds the project: wait for it (true) instead of throwing ProjectBusyError. */
  waitForProject?: boolean;
  /** Called once when this run starts waiting for the project (with the holder named in the error). */
  onWaitForProject?: (e: ProjectBusyError) => void;
  /** Stops waiting for the project (Ctrl-C while waiting). */
  waitSignal?: AbortSignal;
  /** Called once this run holds the project (after waiting for another process, when it had to). */
  onProjectTaken?: () => void;
  /** Called with the runner once it exists. */
  onRunner?: (runner: QueueRunner) => void;
}

/** How a storyboard is rendered into the session's project. */
export interface SessionRenderOptions extends QueueRunOptions {
  /** Provider for rows that name none. */
  provider?: string;
  /** Takes of rows whose `takes` cell is empty (--takes; default 1). */
  takes?: number;
  /** Render budget in USD, saved with the project (a later run without one keeps it). */
  budgetUsd?: number;
  /** Removes the project's saved render budget. */
  clearBudget?: boolean;
  /** Render into a folder whose project belongs to another storyboard file (the same storyboard moved or renamed). */
  replaceStoryboard?: boolean;
  /** Submit again the jobs held as "may have been submitted twice" (the creator has checked the provider). */
  resubmitFlagged?: boolean;
  /** Re-render finished shots whose prompt changed only because the style or a character did (see restyle.ts); without it such a render throws LookChangedError. */
  acceptChanges?: boolean;
  /** 0..1 while the film is stitched. */
  onStitchProgress?: (fraction: number) => void;
  /**
   * Render selected: the ids of the shots to render. Every shot of `plan` is still synced (its row
   * as it is now, so it has its place in the timeline and the film), but only these get new takes;
   * rows of the plan that cannot be rendered (no request) are left as they were.
   */
  only?: string[];
}

/** What a render produced. */
export interface RenderResult {
  storyboard: Storyboard;
  plan: Plan;
  summary: RunSummary;
  /** The latest take of every shot after the run, in film order. */
  latest: Job[];
  /** Every take of the shots' current versions after the run, in film order then take. */
  takes: Job[];
  /** Absolute path of the film when every shot has a clip. */
  film?: string;
  stitch?: StitchResult & { placeholders: string[] };
  /** Why no film was written, when none was. */
  filmSkipped?: string;
  /** Shots the film holds as placeholder cards (no clip yet): a rough cut. */
  placeholders?: string[];
  /** Shots kept from an earlier run, queued anew, resumed. */
  sync: { queued: number; kept: number; resumed: number; removed: number };
  /** What changed in the storyboard since the project's last render (absent for a new project or no change). */
  changes?: ShotDiff;
  /** Continued shots whose chosen take starts from a take of their parent that the film no longer uses (offer to re-render them). */
  staleContinuity: { shot: string; parent: string; madeFromTake: number; parentTake: number | null }[];
}

/** Combines guards: the first that holds a job wins (the project's budgets are checked before the ledger reserves). */
function allOf(guards: (SubmitGuard | undefined)[]): SubmitGuard {
  const gs = guards.filter((g): g is SubmitGuard => !!g);
  return {
    admit: (job) => {
      for (const g of gs) {
        const r = g.admit(job);
        if (r) return r;
      }
      return null;
    },
    settle: (job) => gs.forEach((g) => g.settle?.(job)),
    reconcile: (jobOf) => gs.forEach((g) => g.reconcile?.(jobOf)),
  };
}

const ENDED = new Set(['succeeded', 'failed', 'canceled']);

/** One open project. Close it when done ({@link close}); it stops nothing by itself. */
export class ProjectSession {
  /** The queue runner while a run is in progress. */
  private runner: QueueRunner | null = null;
  /** The run (a render or a kick) in progress. */
  private running: Promise<unknown> | null = null;
  /** A run asked for while another was in progress: starts when that one ends. */
  private pendingKick: Promise<RunSummary> | null = null;
  /** Exports in progress (each stopped by {@link stop} and awaited by {@link idle}). */
  private readonly exports = new Set<{ abort: AbortController; done: Promise<unknown> }>();
  /** Set by {@link stop}: why no run may start any more (the app is quitting). */
  private stopped: string | undefined;

  private constructor(
    readonly dir: string,
    readonly store: ProjectStore,
    private readonly opts: ProjectSessionOptions,
  ) {}

  /** Opens (creating the folder and database when new) the project at `dir`. */
  static open(dir: string, opts: ProjectSessionOptions): ProjectSession {
    fs.mkdirSync(dir, { recursive: true });
    // What exports of a killed (or quit) process left behind; a live export elsewhere is kept.
    cleanStaleExports(dir);
    return new ProjectSession(dir, new ProjectStore(dir), opts);
  }

  /** True while this session runs the queue (a render or a kick). */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves when no run and no export is in progress (whatever they ended with). */
  async idle(): Promise<void> {
    while (this.running || this.exports.size > 0) {
      if (this.running) await this.running.catch(() => {});
      for (const e of [...this.exports]) await e.done.catch(() => {});
    }
  }

  /** The storyboard file this project belongs to, or undefined for a new project. */
  owner(): string | undefined {
    return projectStoryboard(this.store.db);
  }

  /** Throws OtherStoryboardError when the project belongs to another storyboard file than `file`. */
  assertBelongsTo(file: string): void {
    assertProjectOf(this.store.db, this.dir, file);
  }

  /** Every budget on every path: the project's (render and row budgets) first, then the ledger's monthly ones. */
  guard(): SubmitGuard {
    return allOf([projectBudgetGuard(this.store), this.opts.ledger]);
  }

  /** Asks a run in progress to stop at the next safe point; in-flight jobs resume next run. */
  stop(reason: string): void {
    // No run starts after a stop: a pending re-run (a retry asked for during a run) is dropped too.
    this.stopped = reason;
    this.runner?.stop(reason);
    for (const e of this.exports) e.abort.abort(new Error(reason));
  }

  /** Stops like {@link stop} and cuts the submits on their way too (see QueueRunner.abandonSubmits). */
  abandonSubmits(reason: string): void {
    this.stopped = reason;
    this.runner?.abandonSubmits(reason);
  }

  /** Closes the project's database. Call after {@link idle} when a run may be in progress. */
  close(): void {
    this.store.close();
  }

  private emit(e: QueueEvent): void {
    this.opts.onEvent?.(e);
  }

  private emitJob(id: number): Job {
    const job = this.store.job(id)!;
    this.emit({ type: 'job', job });
    return job;
  }

  /** Runs `work` as this session's one run; throws when a run is already in progress. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.running) throw new UserError('a render is already running', 'wait for it to finish, or pause its providers');
    const p = work();
    this.running = p;
    const done = () => {
      if (this.running === p) this.running = null;
    };
    p.then(done, done);
    return p;
  }

  /** Takes the project's lease (or waits for it), or throws ProjectBusyError naming the holder. */
  private async lease(o: QueueRunOptions): Promise<ProjectLease> {
    const leaseOpts = { label: this.opts.leaseLabel ?? 'ltx-batch render' };
    const lease = o.waitForProject ? await waitForLease(this.store.db, this.dir, { ...leaseOpts, onWait: o.onWaitForProject, signal: o.waitSignal }) : acquireLease(this.store.db, this.dir, leaseOpts);
    o.onProjectTaken?.();
    return lease;
  }

  /** Drives the queue once under the session's guards (the lease is the caller's). */
  private async drive(o: QueueRunOptions): Promise<RunSummary> {
    const runner = new QueueRunner(this.store, this.opts.registry, {
      outDir: this.dir,
      concurrency: o.concurrency,
      guard: this.guard(),
      onEvent: (e) => this.emit(e),
      usdPerCredit: o.usdPerCredit,
      pollIntervalMs: o.pollIntervalMs,
      backoff: o.backoffBaseMs !== undefined ? { baseMs: o.backoffBaseMs, maxMs: o.backoffBaseMs * 32 } : undefined,
    });
    this.runner = runner;
    o.onRunner?.(runner);
    // A stop that came before this runner existed (while waiting for the project, say) still holds.
    if (this.stopped) runner.stop(this.stopped);
    try {
      return await runner.run();
    } finally {
      this.runner = null;
    }
  }

  /**
   * Runs the project's queue as it stands (a resume, a retry, a new take) under the lease and every
   * budget, until nothing more can be done now. Throws ProjectBusyError when another process holds
   * the project, UserError when this session already runs it.
   */
  runQueue(o: QueueRunOptions = {}): Promise<RunSummary> {
    return this.exclusive(async () => {
      const lease = await this.lease(o);
      try {
        return await this.drive(o);
      } finally {
        lease.release();
      }
    });
  }

  /**
   * Renders `storyboard` (already planned: `plan` has no errors) into this project: takes the
   * lease, checks the project belongs to the storyboard, syncs its shots (finished ones kept,
   * changed ones get a new take), runs the queue and stitches the film when every shot has a clip.
   */
  render(storyboard: Storyboard, plan: Plan, o: SessionRenderOptions = {}): Promise<RenderResult> {
    return this.exclusive(async () => {
      const lease = await this.lease(o);
      const used = [...new Set(storyboard.shots.map((s) => s.provider ?? o.provider ?? 'preview'))].map((id) => this.opts.registry.get(id)).filter((p) => !!p);
      try {
        // A project is its folder: another storyboard is never mixed into it unasked.
        // A results workbook written from this project renders into it as its storyboard did.
        const resultsOfThis = storyboard.resultsOf !== undefined && path.resolve(storyboard.resultsOf) === path.resolve(this.dir);
        if (!o.replaceStoryboard && !resultsOfThis) this.assertBelongsTo(storyboard.file);
        for (const p of used) await p.prepare?.();
        return await this.renderPlanned(storyboard, plan, o);
      } finally {
        for (const p of used) await p.close?.();
        lease.release();
      }
    });
  }

  private async renderPlanned(storyboard: Storyboard, plan: Plan, o: SessionRenderOptions): Promise<RenderResult> {
    const store = this.store;
    const only = o.only ? new Set(o.only) : undefined;
    this.assertLookAccepted(only ? { ...plan, rows: plan.rows.filter((r) => only.has(r.shot.id)) } : plan, o.acceptChanges);
    // What changed since the last render (nothing for a new project).
    const before = store.shots();
    const changes = before.length && !only ? diffShots(before.map((s) => ({ id: s.shotKey, hash: s.specHash })), plan.rows.map((r) => ({ id: r.shot.id, hash: specHash(r.shot, r.provider, r.request), usd: r.usdMax }))) : undefined;
    const sync = store.syncStoryboard(
      storyboard.file,
      storyboard.hash,
      plan.rows.filter((r) => !only || r.request).map((r) => ({
        shot: r.shot,
        provider: r.provider,
        request: r.request!,
        estimate: r.estimate!,
        takes: r.takes,
        requestFor: this.takeRequest(r.shot, r.provider),
        seeds: this.opts.registry.get(r.provider)?.capabilities().seeds !== false,
      })),
      (rel) => fs.existsSync(path.join(this.dir, rel)),
      { only },
    );
    if (o.resubmitFlagged) store.releaseFlagged();
    // Re-running the command is how a creator resumes providers paused by an earlier run.
    for (const p of store.pausedProviders().keys()) store.resumeProvider(p);
    // The render budget is saved with the project, so resumes, retries and new takes honour it too.
    if (o.budgetUsd !== undefined) store.setRenderBudget(o.budgetUsd);
    if (o.clearBudget) store.setRenderBudget(undefined);
    const summary = await this.drive(o);
    const latest = store.latestJobs();
    const staleContinuity = readTimeline(store).flatMap((t) => (t.continuity ? [{ shot: t.shotKey, ...t.continuity }] : []));
    const result: RenderResult = { storyboard, plan, summary, sync, latest, takes: store.currentTakes(), staleContinuity, ...(changes && !isEmptyDiff(changes) ? { changes } : {}) };
    // A shot is ready when a take of its current version finished (any one of its takes: the chosen one goes in the film).
    // A rough cut always: shots without a clip are placeholder cards in the film (none at all: no film).
    const missing = store.shotsWithoutCurrentClip();
    if (summary.stoppedBecause) result.filmSkipped = `the render stopped: ${summary.stoppedBecause}`;
    else if (missing.length > 0 && missing.length === store.shots().length) result.filmSkipped = `no shot has a clip yet (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''})`;
    else {
      const film = path.join(this.dir, 'film.mp4');
      try {
        result.stitch = await this.tracked(film, o.onStitchProgress);
        result.film = film;
        if (result.stitch.placeholders.length) result.placeholders = result.stitch.placeholders;
      } catch (e) {
        // The clips are safe; say why there is no film, next to the per-shot summary.
        result.filmSkipped = `the film could not be stitched: ${(e as Error).message}`;
      }
    }
    return result;
  }

  /**
   * A new style or character description re-renders finished shots only when the creator says so:
   * throws LookChangedError (which shots, what they would cost) unless `accepted`.
   */
  assertLookAccepted(plan: Plan, accepted = false): void {
    const restyled = restyledRows(this.store.shots(), plan.rows);
    if (restyled.length > 0 && !accepted) throw new LookChangedError(restyled);
  }

  /** Writes the film (DIR/film.mp4 unless `dest`) as the timeline says; see {@link exportFilm}. */
  exportFilm(onProgress?: (fraction: number) => void, dest = path.join(this.dir, 'film.mp4')): Promise<StitchResult & { file: string; placeholders: string[] }> {
    return this.tracked(dest, onProgress).then((r) => ({ ...r, file: dest }));
  }

  /** An export that {@link stop} ends and {@link idle} waits for (its ffmpeg children included). */
  private tracked(dest: string, onProgress?: (fraction: number) => void): Promise<StitchResult & { placeholders: string[] }> {
    if (this.stopped) return Promise.reject(new UserError(`not exported: ${this.stopped}`));
    const abort = new AbortController();
    const done = exportFilm(this.store, dest, onProgress, abort.signal);
    const entry = { abort, done };
    this.exports.add(entry);
    const drop = () => this.exports.delete(entry);
    done.then(drop, drop);
    return done;
  }

  /** A job of the project, or a UserError naming it. */
  private requireJob(jobId: number): Job {
    const j = this.store.job(jobId);
    if (!j) throw new UserError(`job ${jobId} does not exist`);
    return j;
  }

  /**
   * Cancels a job. One the queue is driving is canceled by the queue (its request aborted, its task
   * id kept, its reservation settled); a queued one is withdrawn here before anything is sent.
   */
  cancel(jobId: number): void {
    const j = this.requireJob(jobId);
    if (ENDED.has(j.state)) throw new UserError(`shot ${j.shotKey} take ${j.take} has already ended (${j.state})`);
    if (this.runner?.cancel(j.id)) return;
    if (j.state !== 'queued') throw new UserError(`shot ${j.shotKey} take ${j.take} is ${j.state} in another process`, 'cancel it where it is being rendered');
    const done = this.store.transition(j.id, 'queued', 'canceled', { finished_at: Date.now(), error: 'canceled by you', hold_reason: null }, 'canceled by you (withdrawn before it was submitted)');
    this.opts.ledger?.settle?.(done);
    this.emitJob(j.id);
  }

  /**
   * Retries a job: one held as "may have been submitted twice" is released (the creator checked the
   * provider); a failed or canceled take renders again as the same take of its row (its seed and
   * request); anything else gets a new take of its shot. Returns the job that will render. Run the
   * queue afterwards ({@link kick}).
   */
  retry(jobId: number): Job {
    const held = this.requireJob(jobId);
    if (held.state === 'queued' && held.holdReason === FLAGGED_HOLD) {
      this.store.releaseFlagged([held.id]);
      return this.emitJob(held.id);
    }
    if (held.state === 'failed' || held.state === 'canceled') return this.emitJob(this.store.retryTake(held.id));
    return this.rerender(held.shotId);
  }

  /**
   * The request of one take of `shot` on `provider`: the provider's own validate with the take's
   * seed (null: the provider takes none, the row's is kept), so the seed lands where its API takes
   * it, and for a continued shot its start frame in this project (continuity.ts). Undefined when the
   * provider is not registered. Throws UserError when the provider refuses the take.
   */
  private takeRequest(shot: Storyboard['shots'][number], provider: string): ((seed: number | null) => ProviderRequest) | undefined {
    const p = this.opts.registry.get(provider);
    if (!p) return undefined;
    const base = withStartFrame(shot, this.dir);
    return (seed) => {
      const v = p.validate(seed === null ? base : { ...base, seed });
      if (!v.ok) throw new UserError(`shot ${shot.id}: ${provider} refuses ${seed === null ? 'the take' : `seed ${seed}`}: ${v.issues.map((i) => i.message).join('; ')}`);
      return v.request;
    };
  }

  /**
   * Queues a new take of a shot; returns it. It uses `seed` when the creator pins one, else the next
   * seed the shot has not used (one more than the largest). Run the queue afterwards ({@link kick}).
   * Throws UserError when the shot's provider refuses the seed.
   */
  rerender(shotId: number, seed?: number): Job {
    const { used, base, spec, provider } = this.store.takeSeedsOf(shotId);
    const requestFor = this.takeRequest(spec, provider);
    if (!requestFor || this.opts.registry.get(provider)?.capabilities().seeds === false) return this.emitJob(this.store.newTake(shotId));
    const next = nextTakeSeed(used, base ?? randomSeedBase(), seed);
    return this.emitJob(this.store.newTake(shotId, { seed: next, request: requestFor(next) }));
  }

  /**
   * What a retake or extension of take `jobId` would be (request, estimate, new length, whether the
   * project's budgets hold it), without queueing it. Throws UserError (see planEdit).
   */
  previewEdit(jobId: number, edit: TakeEdit, usdPerCredit?: (provider: string) => number | undefined): EditPlan {
    return planEdit(this.store, this.opts.registry, this.dir, jobId, edit, usdPerCredit);
  }

  /**
   * Queues a retake or extension of take `jobId` as its shot's next take (run the queue afterwards:
   * {@link kick}). Like a New take it becomes the chosen take when it finishes, unless the creator
   * chose one by hand; the budgets check it again when it is sent. Throws UserError when the take
   * cannot be edited this way or when the project's budgets would hold it (`acceptOverBudget`
   * queues it anyway, held until a budget allows it).
   */
  editTake(jobId: number, edit: TakeEdit, o: { usdPerCredit?: (provider: string) => number | undefined; acceptOverBudget?: boolean } = {}): Job {
    const plan = this.previewEdit(jobId, edit, o.usdPerCredit);
    if (plan.overBudget && !o.acceptOverBudget) throw new UserError(`the ${describeEdit(edit)} of shot ${plan.source.shotKey} take ${plan.source.take} (${plan.estimate.basis}) would be held: ${plan.overBudget}`, 'raise the budget first');
    return this.emitJob(this.store.editTake(jobId, edit, plan.request, plan.estimate, plan.usdMax));
  }

  /**
   * Makes a finished take the shot's chosen take (the creator's choice: a take finishing later does
   * not replace it). Renders nothing. Emits the job events of the take chosen and of the one it
   * replaces. Throws UserError when the job is not a finished take of the shot.
   */
  chooseTake(shotId: number, jobId: number): void {
    const before = this.store.shots().find((s) => s.id === shotId)?.chosenJobId ?? null;
    try {
      this.store.chooseTake(shotId, jobId);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (before !== null && before !== jobId) this.emitJob(before);
    this.emitJob(jobId);
  }

  /** Holds a provider's queued jobs until it is resumed. */
  pauseProvider(provider: string, reason: string): void {
    this.store.pauseProvider(provider, reason);
    this.emit({ type: 'provider-paused', provider, reason });
  }

  /** Lets a paused provider's jobs go again. Run the queue afterwards ({@link kick}). */
  resumeProvider(provider: string): void {
    this.store.resumeProvider(provider);
  }

  /**
   * Runs the queue again after a retry, a new take or a resume; when a run is already in progress,
   * once more after it ends. Returns that run (null only when it cannot start: never today).
   */
  kick(o: QueueRunOptions = {}): Promise<RunSummary> | null {
    if (this.stopped) return null;
    if (!this.busy) return this.runQueue(o);
    // The run in progress may already be past its last look at the queue (stitching the film, say):
    // run again once it ends, once however many kicks came meanwhile (it finds nothing when the
    // run did pick the new work up).
    this.pendingKick ??= this.idle().then(() => {
      this.pendingKick = null;
      if (this.stopped) return { succeeded: 0, failed: 0, canceled: 0, waiting: {}, maybeDuplicate: 0, stoppedBecause: this.stopped };
      return this.runQueue(o);
    });
    return this.pendingKick;
  }
}

/** The storyboard a project folder belongs to, read without keeping the project open (undefined when none or unreadable). */
export function storyboardOfProject(dir: string): string | undefined {
  const store = new ProjectStore(dir);
  try {
    return projectStoryboard(store.db);
  } finally {
    store.close();
  }
}
