/**
 * Renders a storyboard into an output folder, end to end: import -> plan (validate + estimate) ->
 * queue (durable, resumable) -> clips -> stitched film. The CLI, the browser UI and the desktop
 * app all call this; it has no terminal or window code of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { assertImportable, importStoryboard, type Storyboard } from '../storyboard/import';
import { StoryboardError } from '../storyboard/issues';
import { planStoryboard, type Plan } from '../pricing/plan';
import { projectBudgetGuard } from '../pricing/render-budget';
import type { ProviderRegistry } from '../providers/registry';
import { ProjectStore } from '../queue/store';
import { acquireLease, waitForLease, type ProjectBusyError, type ProjectLease } from '../queue/lease';
import { assertProjectOf } from '../queue/project-owner';
import { QueueRunner, type QueueEvent, type RunSummary, type SubmitGuard } from '../queue/runner';
import type { StitchResult } from '../timeline/stitch';
import { stitchWithJoints } from '../timeline/crossfade';
import { CROSSFADE_SECONDS, filmPlan } from '../timeline/timeline';

/** Options of {@link renderStoryboard}. */
export interface RenderOptions {
  /** Output folder: DIR/clips, DIR/project.sqlite, DIR/film.mp4. */
  outDir: string;
  /** Provider for rows that name none. */
  provider?: string;
  /** Caps each provider's concurrency. */
  concurrency?: number;
  /** Render budget in USD, saved with the project (a later run without one keeps it). */
  budgetUsd?: number;
  /** Removes the project's saved render budget. */
  clearBudget?: boolean;
  /** Render into a folder whose project belongs to another storyboard file (the same storyboard moved or renamed). */
  replaceStoryboard?: boolean;
  onEvent?: (e: QueueEvent) => void;
  /** 0..1 while the film is stitched. */
  onStitchProgress?: (fraction: number) => void;
  /** Extra guard (monthly budgets, ledger), checked after the render budget. */
  guard?: SubmitGuard;
  usdPerCredit?: (provider: string) => number | undefined;
  /** Poll interval when a provider does not say, ms. */
  pollIntervalMs?: number;
  /** Called with the runner once it exists, so a caller can stop it (Ctrl-C, app quit). */
  onRunner?: (runner: QueueRunner) => void;
  /** Backoff base in ms (tests shorten it). */
  backoffBaseMs?: number;
  /** Who is rendering, shown to another process that finds the project busy (default "ltx-batch render"). */
  leaseLabel?: string;
  /** When another process holds the project: wait for it (true) instead of throwing ProjectBusyError. */
  waitForProject?: boolean;
  /** Called once when this render starts waiting for the project (with the holder named in the error). */
  onWaitForProject?: (e: ProjectBusyError) => void;
  /** Stops waiting for the project (Ctrl-C while waiting). */
  waitSignal?: AbortSignal;
  /** Submit again the jobs held as "may have been submitted twice" (the creator has checked the provider). */
  resubmitFlagged?: boolean;
}

/** What a render produced. */
export interface RenderResult {
  storyboard: Storyboard;
  plan: Plan;
  summary: RunSummary;
  /** Absolute path of the film when every shot has a clip. */
  film?: string;
  stitch?: StitchResult;
  /** Why no film was written, when none was. */
  filmSkipped?: string;
  /** Shots kept from an earlier run, queued anew, resumed. */
  sync: { queued: number; kept: number; resumed: number; removed: number };
}

/** Combines guards: the first that holds a job wins (the render budget is checked before the ledger reserves). */
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
  };
}

/**
 * Renders `storyboardFile` into `opts.outDir`. Re-running on the same folder resumes: finished
 * shots are kept, interrupted ones picked up. Throws {@link StoryboardError} (with every problem,
 * row and column) when the storyboard or a row/provider combination is invalid; nothing is queued then.
 */
export async function renderStoryboard(storyboardFile: string, registry: ProviderRegistry, opts: RenderOptions): Promise<RenderResult> {
  return renderLoadedStoryboard(await importStoryboard(storyboardFile), registry, opts);
}

/**
 * Renders a storyboard already read (and perhaps edited in the app); see {@link renderStoryboard}.
 * Takes the project's lease first (main/queue/lease.ts): when another live process is rendering the
 * same folder it throws ProjectBusyError naming it (or waits, with `waitForProject`), and nothing of
 * the project is touched.
 */
export async function renderLoadedStoryboard(storyboard: Storyboard, registry: ProviderRegistry, opts: RenderOptions): Promise<RenderResult> {
  assertImportable(storyboard);
  const plan = planStoryboard(storyboard.shots, registry, { provider: opts.provider, budgetUsd: opts.budgetUsd, usdPerCredit: opts.usdPerCredit });
  if (plan.issues.some((i) => i.severity === 'error')) throw new StoryboardError(storyboard.file, [...storyboard.issues, ...plan.issues]);
  fs.mkdirSync(opts.outDir, { recursive: true });
  const store = new ProjectStore(opts.outDir);
  let lease: ProjectLease | undefined;
  const used = [...new Set(storyboard.shots.map((s) => s.provider ?? opts.provider ?? 'preview'))].map((id) => registry.get(id)).filter((p) => !!p);
  try {
    const leaseOpts = { label: opts.leaseLabel ?? 'ltx-batch render' };
    lease = opts.waitForProject ? await waitForLease(store.db, opts.outDir, { ...leaseOpts, onWait: opts.onWaitForProject, signal: opts.waitSignal }) : acquireLease(store.db, opts.outDir, leaseOpts);
    // A project is its folder: another storyboard is never mixed into it unasked.
    if (!opts.replaceStoryboard) assertProjectOf(store.db, opts.outDir, storyboard.file);
    for (const p of used) await p.prepare?.();
    return await renderPlanned(storyboard, registry, opts, store, plan);
  } finally {
    for (const p of used) await p.close?.();
    lease?.release();
    store.close();
  }
}

async function renderPlanned(storyboard: Storyboard, registry: ProviderRegistry, opts: RenderOptions, store: ProjectStore, plan: Plan): Promise<RenderResult> {
  const sync = store.syncStoryboard(
    storyboard.file,
    storyboard.hash,
    plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })),
    (rel) => fs.existsSync(path.join(opts.outDir, rel)),
  );
  if (opts.resubmitFlagged) store.releaseFlagged();
  // Re-running the command is how a creator resumes providers paused by an earlier run.
  for (const p of store.pausedProviders().keys()) store.resumeProvider(p);
  // The render budget is saved with the project, so resumes, retries and new takes honour it too.
  if (opts.budgetUsd !== undefined) store.setRenderBudget(opts.budgetUsd);
  if (opts.clearBudget) store.setRenderBudget(undefined);
  const guard = allOf([projectBudgetGuard(store), opts.guard]);
  const runner = new QueueRunner(store, registry, {
    outDir: opts.outDir,
    concurrency: opts.concurrency,
    guard,
    onEvent: opts.onEvent,
    usdPerCredit: opts.usdPerCredit,
    pollIntervalMs: opts.pollIntervalMs,
    backoff: opts.backoffBaseMs !== undefined ? { baseMs: opts.backoffBaseMs, maxMs: opts.backoffBaseMs * 32 } : undefined,
  });
  opts.onRunner?.(runner);
  const summary = await runner.run();
  const result: RenderResult = { storyboard, plan, summary, sync };
  const latest = store.latestJobs();
  const missing = latest.filter((j) => j.state !== 'succeeded');
  if (summary.stoppedBecause) result.filmSkipped = `the render stopped: ${summary.stoppedBecause}`;
  else if (missing.length > 0) result.filmSkipped = `${missing.length} shot(s) have no clip yet (${missing.slice(0, 5).map((j) => j.shotKey).join(', ')}${missing.length > 5 ? ', ...' : ''})`;
  else {
    const film = path.join(opts.outDir, 'film.mp4');
    try {
      result.stitch = await exportFilm(store, film, opts.onStitchProgress);
      result.film = film;
    } catch (e) {
      // The clips are safe; say why there is no film, next to the per-shot summary.
      result.filmSkipped = `the film could not be stitched: ${(e as Error).message}`;
    }
  }
  return result;
}

/**
 * Writes the project's film to `dest` as its timeline says (order, chosen takes, cuts and
 * crossfades). Throws when a shot has no finished clip, naming the shots.
 */
export async function exportFilm(store: ProjectStore, dest: string, onProgress?: (fraction: number) => void): Promise<StitchResult> {
  const plan = filmPlan(store);
  if (plan.missing.length) throw new Error(`shot(s) ${plan.missing.join(', ')} have no finished clip yet`);
  // Its own work folder: an export never touches a render's staged results (DIR/staging).
  const workDir = fs.mkdtempSync(path.join(store.dir, '.export-'));
  try {
    return await stitchWithJoints(plan.clips, plan.joints, dest, CROSSFADE_SECONDS, { workDir, onProgress });
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.rmSync(`${dest}.part`, { force: true });
  }
}
