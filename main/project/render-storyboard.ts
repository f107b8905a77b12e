/**
 * Renders a storyboard into an output folder, end to end: import -> plan (validate + estimate) ->
 * queue (durable, resumable) -> clips -> stitched film, for the CLI (`ltx-batch render`). The work is
 * the project session's (./session.ts), which browser mode and the desktop app keep open instead.
 * No terminal or window code here.
 */
import { assertImportable, importStoryboard, type Storyboard } from '../storyboard/import';
import { StoryboardError } from '../storyboard/issues';
import type { LookOptions } from '../storyboard/style';
import { planStoryboard, type Plan } from '../pricing/plan';
import type { ProviderRegistry } from '../providers/registry';
import type { QueueEvent, SubmitGuard } from '../queue/runner';
import { ProjectSession, type RenderResult, type SessionRenderOptions } from './session';

export { exportFilm, type RenderResult } from './session';

/** Options of {@link renderStoryboard}. */
export interface RenderOptions extends SessionRenderOptions {
  /** Output folder: DIR/clips, DIR/project.sqlite, DIR/film.mp4. */
  outDir: string;
  onEvent?: (e: QueueEvent) => void;
  /** Extra guard (monthly budgets, ledger), checked after the project's own budgets. */
  guard?: SubmitGuard;
  /** Who is rendering, shown to another process that finds the project busy (default "ltx-batch render"). */
  leaseLabel?: string;
  /** The command line's style and characters (--style, --negative, --characters), over the workbook's sheets. */
  look?: LookOptions;
}

/**
 * Renders `storyboardFile` into `opts.outDir`. Re-running on the same folder resumes: finished
 * shots are kept, interrupted ones picked up. Throws {@link StoryboardError} (with every problem,
 * row and column) when the storyboard or a row/provider combination is invalid; nothing is queued then.
 */
export async function renderStoryboard(storyboardFile: string, registry: ProviderRegistry, opts: RenderOptions): Promise<RenderResult> {
  return renderLoadedStoryboard(await importStoryboard(storyboardFile, opts.look), registry, opts);
}

/**
 * Validates and estimates a storyboard for a render; throws {@link StoryboardError} with every
 * problem (row and column) when it cannot be rendered as it is. Nothing is touched.
 */
export function planRender(storyboard: Storyboard, registry: ProviderRegistry, opts: Pick<RenderOptions, 'provider' | 'budgetUsd' | 'usdPerCredit' | 'takes'>): Plan {
  assertImportable(storyboard);
  const plan = planStoryboard(storyboard.shots, registry, { provider: opts.provider, budgetUsd: opts.budgetUsd, usdPerCredit: opts.usdPerCredit, takes: opts.takes });
  if (plan.issues.some((i) => i.severity === 'error')) throw new StoryboardError(storyboard.file, [...storyboard.issues, ...plan.issues]);
  return plan;
}

/**
 * Renders a storyboard already read; see {@link renderStoryboard}. Opens the project's session
 * (main/project/session.ts) for the render and closes it after: the session takes the project's
 * lease first (when another live process is rendering the same folder it throws ProjectBusyError
 * naming it, or waits with `waitForProject`), and nothing of the project is touched then.
 */
export async function renderLoadedStoryboard(storyboard: Storyboard, registry: ProviderRegistry, opts: RenderOptions): Promise<RenderResult> {
  const plan = planRender(storyboard, registry, opts);
  const session = ProjectSession.open(opts.outDir, { registry, ledger: opts.guard, leaseLabel: opts.leaseLabel, onEvent: opts.onEvent });
  try {
    return await session.render(storyboard, plan, opts);
  } finally {
    session.close();
  }
}
