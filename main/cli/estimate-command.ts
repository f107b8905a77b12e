/**
 * `ltx-batch estimate STORYBOARD [--provider ID] [--budget USD] [--json]`: what every row will
 * cost, with the running total and the rows past the budget marked. Sends nothing.
 */
import { importStoryboard } from '../storyboard/import';
import { formatIssue } from '../storyboard/issues';
import { describeErrorCount } from '../contract/error-count';
import { planStoryboard } from '../pricing/plan';
import type { ProviderRegistry } from '../providers/registry';
import { formatEstimate, table, usd } from './format';
import type { StoryboardLook } from '../storyboard/import';
import type { LookOptions } from '../storyboard/style';

/** The look in the estimate: the style's parts and each character with how many shots name it. */
function describeLook(look: StoryboardLook): string {
  const lines: string[] = [];
  const { prefix, suffix, negative } = look.style;
  const parts = [prefix && `before each prompt "${prefix}"`, suffix && `after it "${suffix}"`, negative && `negative "${negative}"`].filter(Boolean);
  if (parts.length) lines.push(`style: ${parts.join('; ')}`);
  const names = Object.keys(look.characters);
  if (names.length) lines.push(`characters: ${names.map((n) => `{${n}} (${look.uses[n] ?? 0} shot(s))`).join(', ')}`);
  lines.push(`look from: ${look.sources.join(', ')}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Options of the estimate command. */
export interface EstimateCommandOptions {
  provider?: string;
  budget?: number;
  /** Takes of rows whose `takes` cell is empty (--takes). */
  takes?: number;
  /** --style, --negative, --characters. */
  look?: LookOptions;
  json?: boolean;
  /** Monthly budgets with what is already spent (from the settings database). */
  monthly?: { name: string; usd: number; provider?: string; spentUsd: number }[];
}

/** Runs the command; returns the exit code (1 when the storyboard has errors). */
export async function estimateCommand(file: string, registry: ProviderRegistry, opts: EstimateCommandOptions, out = process.stdout, err = process.stderr): Promise<number> {
  const sb = await importStoryboard(file, opts.look);
  const plan = planStoryboard(sb.shots, registry, { provider: opts.provider, budgetUsd: opts.budget, takes: opts.takes, monthly: opts.monthly });
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
            takes: r.takes,
            prompt: r.shot.prompt,
            negativePrompt: r.shot.negativePrompt ?? null,
            estimate: r.estimate ?? null,
            usdMax: r.usdMax,
            runningUsd: r.runningUsd,
            remainingUsd: r.remainingUsd ?? null,
            heldBack: r.heldBack ?? null,
            budgets: r.budgets,
          })),
          totals: plan.totals,
          totalUsd: plan.totalUsd,
          look: sb.look ?? null,
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
    err.write(`${describeErrorCount(issues)}: fix them and run again; nothing was queued.\n`);
    return 1;
  }
  const budgetNames = [...new Set(plan.rows.flatMap((r) => r.budgets.map((b) => b.name)))];
  const anyTakes = plan.rows.some((r) => r.takes > 1);
  const head = ['shot', 'row', 'provider', 'mode', 'duration', 'resolution', ...(anyTakes ? ['takes'] : []), 'estimate', 'running total', ...budgetNames.map((n) => `left: ${n}`), 'held back'];
  const t = table(head);
  for (const r of plan.rows) {
    // With takes, the estimate is every take's: "3 x $0.40 = $1.20".
    const estimate = !r.estimate ? '-' : r.takes > 1 ? `${r.takes} x ${formatEstimate(r.estimate)}${r.usdMax !== null ? ` = ${usd(r.usdMax)}` : ''}` : formatEstimate(r.estimate);
    const cells = [r.shot.id, String(r.shot.row), r.provider, r.shot.mode, `${r.shot.duration} s`, r.shot.resolution.label, ...(anyTakes ? [String(r.takes)] : []), estimate, usd(r.runningUsd)];
    for (const n of budgetNames) {
      const b = r.budgets.find((x) => x.name === n);
      cells.push(b ? usd(b.remainingUsd) : '');
    }
    cells.push(r.heldBack ? `HELD: ${r.heldBack}` : '');
    t.push(cells);
  }
  out.write(`${t.toString()}\n`);
  if (sb.look) out.write(describeLook(sb.look));
  for (const [id, tot] of Object.entries(plan.totals)) {
    out.write(`${id}: ${tot.shots} shot(s)${tot.takes !== tot.shots ? `, ${tot.takes} takes` : ''}, up to ${usd(tot.usdMax)}${tot.credits ? ` (${Number(tot.credits.toFixed(2))} credits)` : ''}${tot.unknownUsd ? `, ${tot.unknownUsd} with no known USD rate` : ''}\n`);
  }
  const held = plan.rows.filter((r) => r.heldBack).length;
  const takes = plan.rows.reduce((a, r) => a + r.takes, 0);
  out.write(`total: ${plan.rows.length} shot(s)${takes !== plan.rows.length ? `, ${takes} takes` : ''}, up to ${usd(plan.totalUsd)}${opts.budget !== undefined ? ` against a budget of ${usd(opts.budget)}` : ''}${budgetNames.length ? `; ${held} shot(s) would be held back` : ''}\n`);
  return 0;
}
