/**
 * The budgets a project carries itself: the render budget (`--budget USD`, saved with the project
 * so resumes, retries and new takes see it too) and the per-row `budget` column. A job is not
 * submitted when what the project has already committed plus the job's upper-bound estimate would
 * pass the render budget, or when what its shot's takes have committed plus its own estimate would
 * pass its row's budget (a row budget covers every take of the row). "Committed" is
 * ProjectStore.committedUsd. The check runs inside the queue's claim transaction, so two
 * processes sharing a project cannot both take the last dollars.
 */
import type { Job } from '../queue/job';
import type { ProjectStore } from '../queue/store';
import type { SubmitGuard } from '../queue/runner';

/**
 * A guard for a render budget in USD and the per-row `budget` column. `budgetUsd` is read at each
 * check (a function: the project's saved budget may change while the queue runs).
 */
export function renderBudgetGuard(store: Pick<ProjectStore, 'committedUsd' | 'committedUsdOfShot'>, budgetUsd: () => number | undefined, rowBudget: (job: Job) => number | undefined): SubmitGuard {
  return {
    admit(job) {
      const est = job.estimateUsd;
      const row = rowBudget(job);
      const budget = budgetUsd();
      if ((budget !== undefined || row !== undefined) && est === null) return 'over budget: cost in credits has no known USD rate';
      if (row !== undefined) {
        const rowCommitted = store.committedUsdOfShot(job.shotId, job.id);
        if (rowCommitted + (est ?? 0) > row + 1e-9) return `over budget: row budget $${row.toFixed(2)}${rowCommitted > 0 ? ` ($${rowCommitted.toFixed(2)} committed to this row's other takes)` : ''}`;
      }
      if (budget === undefined) return null;
      const committed = store.committedUsd(job.id);
      if (committed + (est ?? 0) > budget + 1e-9) return `over budget: render budget $${budget.toFixed(2)} ($${committed.toFixed(2)} committed)`;
      return null;
    },
  };
}

/**
 * The project's own budgets as one guard: its saved render budget and every row's budget. Used
 * by every path that runs the queue (a render, a resume, a retry, a new take).
 */
export function projectBudgetGuard(store: ProjectStore): SubmitGuard {
  const rowBudgets = new Map(store.shots().map((s) => [s.id, s.spec.budget]));
  return renderBudgetGuard(store, () => store.renderBudget(), (job) => (rowBudgets.has(job.shotId) ? rowBudgets.get(job.shotId) : store.shots().find((s) => s.id === job.shotId)?.spec.budget));
}
