/** The estimate of the loaded storyboard against every budget, and rendering it into a project. */
import path from 'node:path';
import type { EstimateView } from '../../contract/api';
import { formatEstimate } from '../../pricing/money';
import { planStoryboard } from '../../pricing/plan';
import { specHash } from '../../queue/store';
import { UserError } from '../../project/errors';
import { issuePlace } from '../../storyboard/issues';
import { inAppWords } from '../app-words';
import type { LeaseHolder } from '../../queue/lease';
import { monthlyBudgets } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

/** "ltx-batch render (pid 123 on studio-box) is rendering this project since 21:04 UTC". */
function holderLine(h: LeaseHolder): string {
  const since = new Date(h.acquiredAt).toISOString().slice(11, 16);
  return `${h.label} (pid ${h.pid} on ${h.host}) is rendering this project since ${since} UTC`;
}

/**
 * The shots of the spreadsheet `rows` (render selected, render failed only) with every shot they
 * continue from, in storyboard order: a continued shot needs its parent's take. Throws UserError
 * for a row that is not a shot.
 */
export function selectedShots<S extends { row: number; id: string; continueFrom?: string }>(shots: S[], rows: number[]): S[] {
  const byRow = new Map(shots.map((s) => [s.row, s]));
  const byId = new Map(shots.map((s) => [s.id, s]));
  const keep = new Set<string>();
  for (const r of rows) {
    let s = byRow.get(r);
    if (!s) throw new UserError(`row ${r} is not a shot of this storyboard`);
    while (s && !keep.has(s.id)) {
      keep.add(s.id);
      s = s.continueFrom ? byId.get(s.continueFrom) : undefined;
    }
  }
  return shots.filter((s) => keep.has(s.id));
}

export function renderHandlers(ctx: AppContext): HandlersFor<'estimate.get' | 'render.start'> {
  return {
    'estimate.get': async ({ provider, budgetUsd }): Promise<EstimateView> => {
      const sb = ctx.requireStoryboard();
      ctx.lastProvider = provider;
      const monthly = monthlyBudgets(ctx);
      const plan = planStoryboard(sb.shots, ctx.deps.registry, { provider, budgetUsd, monthly });
      const invalidByRow = new Map<number, string>();
      // Every rule a row breaks, at once (not the first only).
      for (const i of plan.issues) {
        if (i.row === undefined) continue;
        const text = `${i.column ? `${i.column}: ` : ''}${i.message}`;
        invalidByRow.set(i.row, invalidByRow.has(i.row) ? `${invalidByRow.get(i.row)}; ${text}` : text);
      }
      const tight = [...(budgetUsd !== undefined ? [{ name: `render budget $${budgetUsd.toFixed(2)}`, usd: budgetUsd, spentUsd: 0 }] : []), ...monthly.map((m) => ({ name: m.name, usd: m.usd, spentUsd: m.spentUsd }))]
        .map((b) => ({ ...b, left: b.usd - b.spentUsd }))
        .sort((x, y) => x.left - y.left)[0];
      // What a Render would render: rows without a finished clip of their current version in the
      // project this storyboard renders into (every row before its first render).
      const session = ctx.session;
      const owner = session?.owner();
      const owned = session && owner && path.resolve(owner) === path.resolve(sb.file);
      const current = owned ? new Map(session.store.shots().map((x) => [x.shotKey, x.specHash])) : null;
      const noClip = owned ? new Set(session.store.shotsWithoutCurrentClip()) : null;
      const renderable = plan.rows.filter((r) => r.request && !invalidByRow.has(r.shot.row));
      const needed = renderable.filter((r) => !current || current.get(r.shot.id) !== specHash(r.shot, r.provider, r.request) || noClip!.has(r.shot.id));
      return {
        unpriced: renderable.filter((r) => r.usdMax === null).length,
        toRender: { shots: needed.length, usdMax: needed.reduce((t, r) => t + (r.usdMax ?? 0), 0), unpriced: needed.filter((r) => r.usdMax === null).length },
        rows: plan.rows.map((r) => ({
          row: r.shot.row,
          shot: r.shot.id,
          provider: r.provider,
          estimate: r.estimate ? formatEstimate(r.estimate) : '-',
          usdMax: r.usdMax,
          runningUsd: r.runningUsd,
          budgets: r.budgets,
          heldBack: r.heldBack ?? null,
          invalid: inAppWords(invalidByRow.get(r.shot.row) ?? null),
        })),
        totalUsd: plan.totalUsd,
        totals: Object.fromEntries(Object.entries(plan.totals).map(([k, t]) => [k, { shots: t.shots, usdMax: t.usdMax, credits: t.credits }])),
        bar: tight ? { name: tight.name, limitUsd: tight.usd, spentUsd: tight.spentUsd, storyboardUsd: plan.totalUsd } : null,
      };
    },
    'render.start': async (o) => {
      const sb = ctx.requireStoryboard();
      if (ctx.session?.busy) throw new UserError('a render is already running', 'wait for it to finish, or pause its providers');
      const shots = o.rows ? selectedShots(sb.shots, o.rows) : sb.shots;
      // Render selected: only the rows it renders must be free of errors (the others keep their place in the film).
      const rendered = new Set(shots.map((x) => x.row));
      const concerns = (i: { row?: number }) => !o.rows || i.row === undefined || rendered.has(i.row);
      const errors = sb.issues.filter((i) => i.severity === 'error' && concerns(i));
      if (errors.length) throw new UserError(`the storyboard has ${errors.length} error(s)${o.rows ? ' in the rows to render' : ''}; nothing was queued`, 'fix the rows marked in red, then render again');
      const plan = planStoryboard(o.rows ? sb.shots.filter((x) => rendered.has(x.row) || !sb.issues.some((i) => i.severity === 'error' && i.row === x.row)) : sb.shots, ctx.deps.registry, { provider: o.provider, budgetUsd: o.budgetUsd });
      const bad = plan.issues.filter((i) => i.severity === 'error' && concerns(i));
      if (bad.length) throw new UserError(`${bad.length} row(s) cannot be rendered by the chosen provider (first: ${issuePlace(bad[0]) ?? 'the storyboard'}, ${bad[0].column}: ${bad[0].message}); nothing was queued`, 'change the provider of those rows or fix them');
      const dir = ctx.projectPath(o.project);
      const session = ctx.openProject(dir);
      // A project is its folder: another storyboard is never mixed into it (clips, timeline, film).
      const owner = session.owner();
      if (owner && path.resolve(owner) !== path.resolve(sb.file)) {
        throw new UserError(`project "${path.basename(dir)}" belongs to ${owner}; rendering ${path.basename(sb.file)} there would mix it into that project's clips, timeline and film`, 'give this render a new project name, or open that storyboard to continue its project');
      }
      // Checked here too, before the render goes to the background: the creator's go-ahead is asked for at once.
      session.assertLookAccepted(plan, o.acceptChanges);
      // The render goes on in the background; the renderer follows it through events.
      // When another process (a CLI render, another window) is rendering the project, the app
      // follows it read-only and starts this render as soon as that one ends.
      session.render(sb, plan, {
        provider: o.provider,
        budgetUsd: o.budgetUsd,
        concurrency: o.concurrency,
        acceptChanges: o.acceptChanges,
        ...(o.rows ? { only: shots.map((x) => x.id) } : {}),
        onStitchProgress: (fraction) => ctx.deps.emit('export.progress', { fraction }),
        waitForProject: true,
        waitSignal: ctx.waiting.signal,
        onWaitForProject: (e) => ctx.viewHeld(holderLine(e.holder)),
        onProjectTaken: () => ctx.endViewing(),
      }).then(
        (res) =>
          ctx.deps.emit('render.finished', {
            succeeded: res.summary.succeeded,
            failed: res.summary.failed,
            waiting: res.summary.waiting,
            filmUrl: res.film ? ctx.deps.mediaUrl(res.film) : null,
            filmSkipped: res.filmSkipped ?? null,
            placeholders: res.placeholders ?? [],
          }),
        (e) => {
          ctx.endViewing();
          ctx.deps.emit('render.failed', { message: (e as Error).message });
        },
      );
      return { project: dir };
    },
  };
}
