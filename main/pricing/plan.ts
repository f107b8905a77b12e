/**
 * Plans a storyboard: picks each shot's provider, validates the shot against it and estimates its
 * cost, with a running total against a budget. Nothing is sent anywhere.
 */
import type { Capabilities, CostEstimate, ProviderRequest } from '../providers/provider';
import { DEFAULT_PROVIDER, type ProviderRegistry } from '../providers/registry';
import type { StoryboardIssue } from '../storyboard/issues';
import type { Shot } from '../storyboard/shot';
import { withStartFrame } from '../queue/continuity';

/** One planned shot. Money in USD unless the unit says credits. */
export interface PlanRow {
  shot: Shot;
  provider: string;
  request?: ProviderRequest;
  /** The estimate of one take. */
  estimate?: CostEstimate;
  /** Takes this row renders (its `takes` cell, else the batch's `takes`, else 1); each is estimated and budgeted. */
  takes: number;
  /** Upper bound in USD of every take of the row (one take's estimate times {@link takes}); null when credits have no known USD rate. */
  usdMax: number | null;
  /** Sum of usdMax of this row and every row before it (unknown-rate rows count 0). */
  runningUsd: number;
  /** Budget left after this row, when a budget is set. */
  remainingUsd?: number;
  /** Why this row would be held back, if it would ("over budget: render budget $5.00"). */
  heldBack?: string;
  /** Every budget that applies to this row and what it has left after the row (USD). */
  budgets: { name: string; remainingUsd: number }[];
}

/** A planned storyboard. */
export interface Plan {
  rows: PlanRow[];
  /** Validation problems (row + column), errors block the render. */
  issues: StoryboardIssue[];
  /** Totals per provider: shots, takes, USD upper bound, and credits when that is the unit (every take counted). */
  totals: Record<string, { shots: number; takes: number; usdMax: number; credits: number; unknownUsd: number }>;
  totalUsd: number;
}

/** Options of {@link planStoryboard}. */
export interface PlanOptions {
  /** Provider for rows that name none (default "preview"). */
  provider?: string;
  /** Takes for rows whose `takes` cell is empty (--takes; default 1). */
  takes?: number;
  /** Render budget in USD (--budget); rows whose running total passes it are marked held back. */
  budgetUsd?: number;
  /** USD per credit by provider, set by the user, where the doc gives none. */
  usdPerCredit?: (provider: string) => number | undefined;
  /** Monthly budgets that apply (from the settings database) with what is already spent this month. */
  monthly?: { name: string; usd: number; provider?: string; spentUsd: number }[];
}

/** Upper bound in USD of an estimate, or null when its credits have no rate. */
export function estimateUsdMax(e: CostEstimate, rate?: number): number | null {
  const r = e.unit === 'USD' ? 1 : (e.usdPerUnit ?? rate);
  return r === undefined ? null : e.max * r;
}

/** One budget that applies to a provider's rows: the render budget or a monthly one (USD). */
type BudgetScope = { key: string; name: string; usd: number; base: number };

/** What planning the rows of one storyboard shares (made once per plan by {@link planStoryboard}). */
interface Planner {
  plan: Plan;
  registry: ProviderRegistry;
  opts: PlanOptions;
  /** USD committed so far per budget scope key. */
  committed: Map<string, number>;
  /** Per provider, looked up once: the provider and the budgets that apply to its rows. */
  perProvider: Map<string, { p: ReturnType<ProviderRegistry['get']>; scopes: BudgetScope[] }>;
  /** Sum of usdMax so far. */
  running: number;
  /** Plan.totals while planning (a Map: a record keyed by provider made a shape per plan). */
  totals: Map<string, Plan['totals'][string]>;
}

/** The provider `providerId` and the budgets that apply to its rows (looked up once per plan). */
function lookup(pl: Planner, providerId: string) {
  let hit = pl.perProvider.get(providerId);
  if (!hit) {
    const { opts } = pl;
    const scopes: BudgetScope[] = [
      ...(opts.budgetUsd !== undefined ? [{ key: 'render', name: `render budget $${opts.budgetUsd.toFixed(2)}`, usd: opts.budgetUsd, base: 0 }] : []),
      ...(opts.monthly ?? []).filter((b) => !b.provider || b.provider === providerId).map((b) => ({ key: `month:${b.provider ?? ''}`, name: b.name, usd: b.usd, base: b.spentUsd })),
    ];
    hit = { p: pl.registry.get(providerId), scopes };
    pl.perProvider.set(providerId, hit);
  }
  return hit;
}

/** The providers that can do `what`, named for every provider alike ("ltx, local"). */
function providersThatCan(registry: ProviderRegistry, what: (c: Capabilities) => boolean): string {
  return (
    registry
      .ids()
      .filter((id) => {
        const q = registry.get(id);
        return !!q && what(q.capabilities());
      })
      .join(', ') || 'none registered'
  );
}

/** Validates and estimates every shot. Errors name the row and the column. */
export function planStoryboard(shots: Shot[], registry: ProviderRegistry, opts: PlanOptions = {}): Plan {
  const plan: Plan = { rows: [], issues: [], totals: {}, totalUsd: 0 };
  // A prices file with a bad line refuses every estimate until it is fixed: no estimate may use a price the creator did not mean.
  if (registry.prices?.error) plan.issues.push({ severity: 'error', message: `your prices: ${registry.prices.error}` });
  // The per-row work is a module function, not a closure made per plan, so its compiled code is kept between plans.
  const pl: Planner = { plan, registry, opts, committed: new Map(), perProvider: new Map(), running: 0, totals: new Map() };
  for (let i = 0; i < shots.length; i++) planRow(pl, shots[i]);
  plan.totals = Object.fromEntries(pl.totals);
  plan.totalUsd = pl.running;
  return plan;
}

/** Plans one shot: its provider, validation, estimate, totals and budgets (pushed to `pl.plan`). */
function planRow(pl: Planner, shot: Shot): void {
  const { plan, registry, opts, committed } = pl;
  const providerId = shot.provider ?? opts.provider ?? DEFAULT_PROVIDER;
  const takes = shot.takes ?? opts.takes ?? 1;
  // Every field from the start (undefined until known), so rows share one shape and planRow's
  // compiled code outlives each plan (fields added later made shapes that died with the plan).
  const row: PlanRow = { shot, provider: providerId, request: undefined, estimate: undefined, takes, usdMax: null, runningUsd: pl.running, remainingUsd: undefined, heldBack: undefined, budgets: [] };
  plan.rows.push(row);
  const { p, scopes } = lookup(pl, providerId);
  if (!p) {
    plan.issues.push({
      severity: 'error',
      row: shot.row,
      shot: shot.id,
      column: shot.provider ? 'provider' : undefined,
      message: `unknown provider "${providerId}"; known providers: ${registry.ids().join(', ')}`,
    });
    return;
  }
  if (shot.endImage && p.capabilities().endImage !== true) {
    plan.issues.push({ severity: 'error', row: shot.row, shot: shot.id, column: 'end_image', message: `${p.id} cannot start from an image and end on another (end_image); providers that can: ${providersThatCan(registry, (c) => c.endImage === true)}` });
    return;
  }
  if (shot.continueFrom && p.capabilities().mediaInputs !== 'url-or-file') {
    plan.issues.push({ severity: 'error', row: shot.row, shot: shot.id, column: 'continue_from', message: `${p.id} takes images only as public URLs, so it cannot start from the last frame of shot ${shot.continueFrom} (a file on this computer); providers that can: ${providersThatCan(registry, (c) => c.mediaInputs === 'url-or-file')}` });
    return;
  }
  // A continued shot is checked and priced as image-to-video from its start frame (written when its take is claimed).
  const asSent = withStartFrame(shot, '');
  const v = p.validate(asSent);
  if (!v.ok) {
    for (const i of v.issues) plan.issues.push({ severity: 'error', row: shot.row, shot: shot.id, column: i.column, message: `${p.id}: ${i.message}` });
    return;
  }
  if (takes > 1 && shot.seed >= 0 && p.capabilities().seeds !== false) {
    // The last take's seed (seed + takes - 1) must be one the provider takes too.
    const last = p.validate({ ...asSent, seed: shot.seed + takes - 1 });
    if (!last.ok) {
      for (const i of last.issues) plan.issues.push({ severity: 'error', row: shot.row, shot: shot.id, column: i.column, message: `${p.id}: take ${takes} would use seed ${shot.seed + takes - 1}: ${i.message}` });
      return;
    }
  }
  row.request = v.request;
  row.estimate = p.estimate(asSent);
  const oneTake = estimateUsdMax(row.estimate, opts.usdPerCredit?.(p.id));
  row.usdMax = oneTake === null ? null : oneTake * takes;
  pl.running += row.usdMax ?? 0;
  row.runningUsd = pl.running;
  let t = pl.totals.get(providerId);
  if (!t) pl.totals.set(providerId, (t = { shots: 0, takes: 0, usdMax: 0, credits: 0, unknownUsd: 0 }));
  t.shots++;
  t.takes += takes;
  t.usdMax += row.usdMax ?? 0;
  if (row.estimate.unit === 'credits') t.credits += row.estimate.max * takes;
  if (row.usdMax === null) t.unknownUsd++;
  // Budgets: a row that would be held back does not spend, so later rows may still fit.
  const cost = row.usdMax ?? 0;
  const anyBudget = scopes.length > 0 || shot.budget !== undefined;
  if (anyBudget && row.usdMax === null) row.heldBack = 'over budget: cost in credits has no known USD rate';
  else if (shot.budget !== undefined && cost > shot.budget + 1e-9) row.heldBack = `over budget: row budget $${shot.budget.toFixed(2)}`;
  else {
    const over = scopes.find((sc) => sc.base + (committed.get(sc.key) ?? 0) + cost > sc.usd + 1e-9);
    if (over) row.heldBack = `over budget: ${over.name}`;
  }
  if (!row.heldBack) for (const sc of scopes) committed.set(sc.key, (committed.get(sc.key) ?? 0) + cost);
  if (scopes.length > 0) row.budgets = scopes.map((sc) => ({ name: sc.name, remainingUsd: sc.usd - sc.base - (committed.get(sc.key) ?? 0) }));
  if (opts.budgetUsd !== undefined) row.remainingUsd = row.budgets[0].remainingUsd;
}
