/** The open project's queue: list, pause/resume a provider, cancel, retry, a new take. */
import { jobView } from '../views';
import { UserError } from '../../project/errors';
import { usd } from '../../pricing/money';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

export function queueHandlers(ctx: AppContext): HandlersFor<'queue.list' | 'queue.pauseProvider' | 'queue.resumeProvider' | 'queue.cancel' | 'queue.retry' | 'queue.rerender' | 'queue.chooseTake' | 'queue.noteTake' | 'queue.previewEdit' | 'queue.editTake'> {
  return {
    'queue.list': async () => {
      const s = ctx.session;
      if (!s) return [];
      const jobs = s.store.jobs();
      const takes = new Map(jobs.map((j) => [j.id, j.take]));
      return jobs.map((j) => jobView(j, s.dir, ctx.deps.mediaUrl, (id) => (id === null ? undefined : takes.get(id))));
    },
    'queue.pauseProvider': async ({ provider }) => {
      ctx.requireDriver().pauseProvider(provider, 'paused by you');
      return null;
    },
    'queue.resumeProvider': async ({ provider }) => {
      ctx.requireDriver().resumeProvider(provider);
      ctx.kick();
      return null;
    },
    'queue.cancel': async ({ jobId }) => {
      ctx.requireDriver().cancel(jobId);
      return null;
    },
    'queue.retry': async ({ jobId }) => {
      ctx.requireDriver().retry(jobId);
      ctx.kick();
      return null;
    },
    'queue.rerender': async ({ shotId, seed }) => {
      const job = ctx.requireDriver().rerender(shotId, seed);
      ctx.kick();
      return { jobId: job.id };
    },
    'queue.noteTake': async ({ jobId, note }) => {
      // A note is the creator's, not the queue's: written even while another process renders the project.
      const store = ctx.requireSession().store;
      if (!store.job(jobId)) throw new UserError(`take ${jobId} does not exist in this project`);
      store.noteTake(jobId, note);
      ctx.emitJob(store.job(jobId)!);
      return null;
    },
    'queue.chooseTake': async ({ shotId, jobId }) => {
      ctx.requireDriver().chooseTake(shotId, jobId);
      return null;
    },
    'queue.previewEdit': async ({ jobId, edit }) => {
      const s = ctx.requireDriver();
      const job = s.store.job(jobId);
      if (job) await ctx.deps.registry.get(job.provider)?.prepare?.();
      const p = s.previewEdit(jobId, edit);
      return { provider: p.provider, lengthS: p.lengthS, cost: p.usdMax !== null ? usd(p.usdMax) : `${p.estimate.max} ${p.estimate.unit}`, basis: p.estimate.basis, overBudget: p.overBudget };
    },
    'queue.editTake': async ({ jobId, edit }) => {
      const job = ctx.requireDriver().editTake(jobId, edit);
      ctx.kick();
      return { jobId: job.id };
    },
  };
}
