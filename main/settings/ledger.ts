/**
 * Budgets and the spend ledger, kept in the settings database beside (not inside) the projects.
 *
 * Every submission of a job is one ledger row: its estimate is reserved when it is submitted, the
 * actual cost is written when the service reports it, a refund returns it, a submission that never
 * reached the service is released. Spent in a month = actual costs (or the estimate where no
 * actual is known) of charged rows + reservations still open. Money is USD; credits count when
 * their USD rate is known.
 *
 * A job is admitted only when spent + its estimate stays within every budget that applies (the
 * monthly budget and the provider's monthly budget); the check and the reservation are one
 * IMMEDIATE transaction, so two processes rendering at once cannot overspend.
 */
import type { Db } from '../queue/db';
import { IN_FLIGHT_STATES, type Job } from '../queue/job';
import type { SubmitGuard } from '../queue/runner';

/** A budget: the overall monthly one, or a provider's monthly one. USD. */
export interface Budget {
  scope: 'month' | 'provider-month';
  /** '' for the overall budget. */
  provider: string;
  usd: number;
}

/** "YYYY-MM" of a time (local calendar month). */
export function monthOf(t: number | Date = Date.now()): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

/** Human name of a budget, used in hold reasons: "monthly budget $50.00", "ltx monthly budget $20.00". */
export function budgetName(b: Budget): string {
  return `${b.scope === 'month' ? 'monthly' : `${b.provider} monthly`} budget $${b.usd.toFixed(2)}`;
}

/** Sets (or replaces) a budget. Throws on a negative amount. */
export function setBudget(db: Db, b: Budget): void {
  if (!(b.usd >= 0)) throw new Error(`a budget must be 0 USD or more; got ${b.usd}`);
  db.prepare('INSERT INTO budgets (scope, provider, usd, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (scope, provider) DO UPDATE SET usd = excluded.usd, updated_at = excluded.updated_at').run(b.scope, b.provider, b.usd, Date.now());
}

/** Removes a budget; true when there was one. */
export function clearBudget(db: Db, scope: Budget['scope'], provider = ''): boolean {
  return db.prepare('DELETE FROM budgets WHERE scope = ? AND provider = ?').run(scope, provider).changes > 0;
}

/** All budgets. */
export function listBudgets(db: Db): Budget[] {
  return db.prepare('SELECT scope, provider, usd FROM budgets ORDER BY scope, provider').all() as Budget[];
}

/** The budgets that apply to a provider's jobs. */
export function budgetsFor(db: Db, provider: string): Budget[] {
  return listBudgets(db).filter((b) => b.scope === 'month' || b.provider === provider);
}

const SPENT_SQL = `SELECT COALESCE(SUM(CASE state
    WHEN 'reserved' THEN COALESCE(actual_usd, estimate_usd, 0)
    WHEN 'charged' THEN COALESCE(actual_usd, estimate_usd, 0)
    ELSE 0 END), 0) AS usd FROM ledger WHERE month = ?`;

/** USD spent (actuals + open reservations) in `month`, for one provider or all. */
export function spentUsd(db: Db, month: string, provider?: string): number {
  const row = (provider === undefined ? db.prepare(SPENT_SQL).get(month) : db.prepare(`${SPENT_SQL} AND provider = ?`).get(month, provider)) as { usd: number };
  return row.usd;
}

/** The first budget `extraUsd` more would pass, as a hold reason, or null. */
export function overBudget(db: Db, provider: string, extraUsd: number, month = monthOf()): string | null {
  for (const b of budgetsFor(db, provider)) {
    const spent = spentUsd(db, month, b.scope === 'month' ? undefined : provider);
    if (spent + extraUsd > b.usd + 1e-9) return `over budget: ${budgetName(b)} ($${spent.toFixed(2)} spent or reserved)`;
  }
  return null;
}

/**
 * The ledger guard of one project (identified by its output folder). `now` is replaceable for
 * tests of month boundaries.
 */
export function ledgerGuard(db: Db, project: string, now: () => number = Date.now): SubmitGuard {
  const open = (job: Job) => db.prepare(`SELECT * FROM ledger WHERE project = ? AND job_id = ? ORDER BY attempt DESC LIMIT 1`).get(project, job.id) as Record<string, unknown> | undefined;
  const guard: SubmitGuard = {
    admit(job) {
      return db.transaction(() => {
        const budgets = budgetsFor(db, job.provider);
        const est = job.estimateUsd;
        if (budgets.length > 0 && est === null) return `over budget: ${job.provider} prices in credits with no known USD rate (set ${job.provider.toUpperCase()}_USD_PER_CREDIT)`;
        const held = overBudget(db, job.provider, est ?? 0, monthOf(now()));
        if (held) return held;
        db.prepare(
          `INSERT INTO ledger (project, job_id, attempt, shot, provider, month, estimate_usd, estimate_amount, estimate_unit, state, reserved_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'reserved', ?)
           ON CONFLICT (project, job_id, attempt) DO UPDATE SET state = 'reserved', estimate_usd = excluded.estimate_usd, reserved_at = excluded.reserved_at`,
        ).run(project, job.id, job.attempts + 1, job.shotKey, job.provider, monthOf(now()), est, job.estimateMax, job.estimateUnit, now());
        return null;
      }).immediate();
    },
    settle(job) {
      db.transaction(() => {
        const row = open(job);
        if (!row) return;
        const set = (fields: Record<string, unknown>) => {
          const keys = Object.keys(fields);
          db.prepare(`UPDATE ledger SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id: row.id });
        };
        // Only the interrupted submission is flagged (the job is back in the queue after recovery).
        if (job.maybeDuplicate && job.state === 'queued' && !row.maybe_duplicate) set({ maybe_duplicate: 1, state: 'charged', settled_at: now() });
        if (job.gpuSeconds !== null && job.gpuSeconds !== row.gpu_seconds) set({ gpu_seconds: job.gpuSeconds });
        if (job.refunded) return set({ state: 'refunded', actual_usd: 0, actual_amount: 0, actual_unit: job.actualUnit, settled_at: now() });
        if (job.actualAmount !== null && (job.remoteTaskId || job.state === 'succeeded' || job.state === 'downloading')) {
          set({ actual_usd: job.actualUsd, actual_amount: job.actualAmount, actual_unit: job.actualUnit, ...(job.state === 'succeeded' || job.state === 'failed' || job.state === 'canceled' ? { state: 'charged', settled_at: now() } : {}) });
          return;
        }
        if (row.state !== 'reserved') return;
        const neverReached = !job.remoteTaskId && !job.maybeDuplicate && job.state !== 'succeeded';
        if (job.state === 'queued' || job.state === 'failed' || job.state === 'canceled') {
          // A submission that never got a task (rejected, retried, interrupted before sending) cost nothing.
          if (neverReached) return set({ state: 'released', settled_at: now() });
          return set({ state: 'charged', settled_at: now() });
        }
        if (job.state === 'succeeded') set({ state: 'charged', settled_at: now() });
      }).immediate();
    },
    reconcile(jobOf) {
      // Reservations of jobs that are no longer between submit and clip: settle them as they ended.
      const ids = db.prepare(`SELECT DISTINCT job_id FROM ledger WHERE project = ? AND state = 'reserved'`).pluck().all(project) as number[];
      for (const id of ids) {
        const job = jobOf(id);
        if (job && !IN_FLIGHT_STATES.includes(job.state)) guard.settle!(job);
      }
    },
  };
  return guard;
}

/** One line of the spend summary. USD; `actualUsd` null when no actual was reported. */
export interface SpendLine {
  provider: string;
  project: string;
  submissions: number;
  estimatedUsd: number;
  actualUsd: number | null;
  refunded: number;
  open: number;
  maybeDuplicate: number;
}

/** Ledger summary of a month per provider and project: estimated vs actual. */
export function spendSummary(db: Db, month: string): SpendLine[] {
  return db
    .prepare(
      `SELECT provider, project, COUNT(*) AS submissions,
         COALESCE(SUM(CASE WHEN state != 'released' THEN estimate_usd END), 0) AS estimatedUsd,
         SUM(CASE WHEN state IN ('charged','refunded') AND actual_usd IS NOT NULL THEN actual_usd END) AS actualUsd,
         SUM(state = 'refunded') AS refunded, SUM(state = 'reserved') AS open, SUM(maybe_duplicate) AS maybeDuplicate
       FROM ledger WHERE month = ? AND state != 'released' GROUP BY provider, project ORDER BY provider, project`,
    )
    .all(month) as SpendLine[];
}
