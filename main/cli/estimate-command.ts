/**
 * `ltx-batch estimate STORYBOARD [--provider ID] [--budget USD] [--json]`: what every row will
 * cost, with the running total and the rows past the budget marked. Sends nothing.
 */
import { importStoryboard } from '../storyboard/import';
import { formatIssue } from '../storyboard/issues';
import { planStoryboard } from '../pricing/plan';
import type { ProviderRegistry } from '../providers/registry';
import { formatEstimate, table, usd } from './format';

/** Options of the estimate command. */
export interface EstimateCommandOptions {
  provider?: string;
  budget?: number;
  json?: boolean;
  /** Monthly budgets with what is already spent (from the settings database). */
  monthly?: { name: string; usd: number; provider?: string; spentUsd: number }[];
}

/** Runs the command; returns the exit code (1 when the storyboard has errors). */
export async function estimateCommand(file: string, registry: ProviderRegistry, opts: EstimateCommandOptions, out = process.stdout, err = process.stderr): Promise<number> {
  const sb = await importStoryboard(file);
  const plan = planStoryboard(sb.shots, registry, { provider: opts.provider, budgetUsd: opts.budget, monthly: opts.monthly });
  const issues = [...sb.issues, ...plan.issues];
  const errors = issues.filter((i) => i.severity === 'error');
  if (opts.json) {
    out.write(
      `${JSON.stringify(
        {
          file: sb.file,
          budgetUsd: opts.budget ?? null,
          rows: plan.rows.map((r) => ({
            shot: r.shot.id,
            row: r.shot.row,
            provider: r.provider,
            mode: r.shot.mode,
            duration: r.shot.duration,
            resolution: r.shot.resolution.label,
            estimate: r.estimate ?? null,
            usdMax: r.usdMax,
            runningUsd: r.runningUsd,
            remainingUsd: r.remainingUsd ?? null,
            heldBack: r.heldBack ?? null,
            budgets: r.budgets,
          })),
          totals: plan.totals,
          totalUsd: plan.totalUsd,
          issues,
        },
        null,
        2,
      )}\n`,
    );
    return errors.length ? 1 : 0;
  }
  for (const i of issues) err.write(`${formatIssue(i, file)}\n`);
  if (errors.length) {
    err.write(`${errors.length} error(s): fix them and run again; nothing was queued.\n`);
    return 1;
  }
  const budgetNames = [...new Set(plan.rows.flatMap((r) => r.budgets.map((b) => b.name)))];
  const head = ['shot', 'row', 'provider', 'mode', 'duration', 'resolution', 'estimate', 'running total', ...budgetNames.map((n) => `left: ${n}`), 'held back'];
  const t = table(head);
  for (const r of plan.rows) {
    const cells = [r.shot.id, String(r.shot.row), r.provider, r.shot.mode, `${r.shot.duration} s`, r.shot.resolution.label, r.estimate ? formatEstimate(r.estimate) : '-', usd(r.runningUsd)];
    for (const n of budgetNames) {
      const b = r.budgets.find((x) => x.name === n);
      cells.push(b ? usd(b.remainingUsd) : '');
    }
    cells.push(r.heldBack ? `HELD: ${r.heldBack}` : '');
    t.push(cells);
  }
  out.write(`${t.toString()}\n`);
  for (const [id, tot] of Object.entries(plan.totals)) {
    out.write(`${id}: ${tot.shots} shot(s), up to ${usd(tot.usdMax)}${tot.credits ? ` (${Number(tot.credits.toFixed(2))} credits)` : ''}${tot.unknownUsd ? `, ${tot.unknownUsd} with no known USD rate` : ''}\n`);
  }
  const held = plan.rows.filter((r) => r.heldBack).length;
  out.write(`total: ${plan.rows.length} shot(s), up to ${usd(plan.totalUsd)}${opts.budget !== undefined ? ` against a budget of ${usd(opts.budget)}` : ''}${budgetNames.length ? `; ${held} shot(s) would be held back` : ''}\n`);
  return 0;
}
