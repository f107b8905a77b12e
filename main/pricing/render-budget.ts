/**
 * The render budget (--budget USD): a job is not submitted when what this project has already
 * committed plus the job's upper-bound estimate would pass it. "Committed" is the actual cost of
 * finished or charged jobs, or their estimate while the service has not said (refunded jobs
 * count 0). The check runs inside the queue's claim transaction, so two processes sharing a
 * project cannot both take the last dollars.
 */
import type { Db } from '../queue/db';
import type { Job } from '../queue/job';
import type { SubmitGuard } from '../queue/runner';

/** USD committed by the project's jobs other than `exceptJobId`. */
export function committedUsd(db: Db, exceptJobId = -1): number {
  const row = db
    .prepare(
      `SELECT COALESCE(SUM(CASE WHEN refunded = 1 THEN 0 ELSE COALESCE(actual_usd, estimate_usd, 0) END), 0) AS usd
       FROM jobs WHERE id != ? AND (state IN ('submitting','running','downloading','succeeded') OR (state IN ('failed','canceled','queued') AND submitted_at IS NOT NULL))`,
    )
    .get(exceptJobId) as { usd: number };
  return row.usd;
}

/** A guard for a render budget in USD and the per-row `budget` column. */
export function renderBudgetGuard(db: Db, budgetUsd: number | undefined, rowBudget: (job: Job) => number | undefined): SubmitGuard {
  return {
    admit(job) {
      const est = job.estimateUsd;
      const row = rowBudget(job);
      if ((budgetUsd !== undefined || row !== undefined) && est === null) return 'over budget: cost in credits has no known USD rate';
      if (row !== undefined && (est ?? 0) > row + 1e-9) return `over budget: row budget $${row.toFixed(2)}`;
      if (budgetUsd === undefined) return null;
      const committed = committedUsd(db, job.id);
      if (committed + (est ?? 0) > budgetUsd + 1e-9) return `over budget: render budget $${budgetUsd.toFixed(2)} ($${committed.toFixed(2)} committed)`;
      return null;
    },
  };
}
