/**
 * Plans a storyboard: picks each shot's provider, validates the shot against it and estimates its
 * cost, with a running total against a budget. Nothing is sent anywhere.
 */
import type { CostEstimate, ProviderRequest } from '../providers/provider';
import { DEFAULT_PROVIDER, type ProviderRegistry } from '../providers/registry';
import type { StoryboardIssue } from '../storyboard/issues';
import type { Shot } from '../storyboard/shot';

/** One planned shot. Money in USD unless the unit says credits. */
export interface PlanRow {
  shot: Shot;
  provider: string;
  request?: ProviderRequest;
  estimate?: CostEstimate;
  /** Upper bound of the estimate in USD; null when credits have no known USD rate. */
  usdMax: number | null;
  /** Sum of usdMax of this row and every row before it (unknown-rate rows count 0). */
  runningUsd: number;
  /** Budget left after this row, when a budget is set. */
  remainingUsd?: number;
  /** Why this row would be held back, if it would ("over budget: render budget $5.00"). */
  heldBack?: string;
}

/** A planned storyboard. */
export interface Plan {
  rows: PlanRow[];
  /** Validation problems (row + column), errors block the render. */
  issues: StoryboardIssue[];
  /** Totals per provider: count, USD upper bound, and credits when that is the unit. */
  totals: Record<string, { shots: number; usdMax: number; credits: number; unknownUsd: number }>;
  totalUsd: number;
}

/** Options of {@link planStoryboard}. */
export interface PlanOptions {
  /** Provider for rows that name none (default "preview"). */
  provider?: string;
  /** Render budget in USD (--budget); rows whose running total passes it are marked held back. */
  budgetUsd?: number;
  /** USD per credit by provider, set by the user, where the doc gives none. */
  usdPerCredit?: (provider: string) => number | undefined;
}

/** Upper bound in USD of an estimate, or null when its credits have no rate. */
export function estimateUsdMax(e: CostEstimate, rate?: number): number | null {
  const r = e.unit === 'USD' ? 1 : (e.usdPerUnit ?? rate);
  return r === undefined ? null : e.max * r;
}

/** Validates and estimates every shot. Errors name the row and the column. */
export function planStoryboard(shots: Shot[], registry: ProviderRegistry, opts: PlanOptions = {}): Plan {
  const plan: Plan = { rows: [], issues: [], totals: {}, totalUsd: 0 };
  let running = 0;
  for (const shot of shots) {
    const providerId = shot.provider ?? opts.provider ?? DEFAULT_PROVIDER;
    const row: PlanRow = { shot, provider: providerId, usdMax: null, runningUsd: running };
    plan.rows.push(row);
    const p = registry.get(providerId);
    if (!p) {
      plan.issues.push({
        severity: 'error',
        row: shot.row,
        column: shot.provider ? 'provider' : undefined,
        message: `unknown provider "${providerId}"; known providers: ${registry.ids().join(', ')}`,
      });
      continue;
    }
    const v = p.validate(shot);
    if (!v.ok) {
      for (const i of v.issues) plan.issues.push({ severity: 'error', row: shot.row, column: i.column, message: `${p.id}: ${i.message}` });
      continue;
    }
    row.request = v.request;
    row.estimate = p.estimate(shot);
    row.usdMax = estimateUsdMax(row.estimate, opts.usdPerCredit?.(p.id));
    running += row.usdMax ?? 0;
    row.runningUsd = running;
    const t = (plan.totals[providerId] ??= { shots: 0, usdMax: 0, credits: 0, unknownUsd: 0 });
    t.shots++;
    t.usdMax += row.usdMax ?? 0;
    if (row.estimate.unit === 'credits') t.credits += row.estimate.max;
    if (row.usdMax === null) t.unknownUsd++;
    const budget = shot.budget ?? opts.budgetUsd;
    if (opts.budgetUsd !== undefined) row.remainingUsd = opts.budgetUsd - running;
    if (opts.budgetUsd !== undefined && running > opts.budgetUsd + 1e-9) row.heldBack = `over budget: render budget $${opts.budgetUsd.toFixed(2)}`;
    else if (shot.budget !== undefined && (row.usdMax ?? 0) > shot.budget + 1e-9) row.heldBack = `over budget: row budget $${shot.budget.toFixed(2)}`;
    else if (budget !== undefined && row.usdMax === null) row.heldBack = 'over budget: cost in credits has no known USD rate';
  }
  plan.totalUsd = running;
  return plan;
}
