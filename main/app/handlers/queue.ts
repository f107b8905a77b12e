/** The open project's queue: list, pause/resume a provider, cancel, retry, a new take. */
import { jobView } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

export function queueHandlers(ctx: AppContext): HandlersFor<'queue.list' | 'queue.pauseProvider' | 'queue.resumeProvider' | 'queue.cancel' | 'queue.retry' | 'queue.rerender' | 'queue.chooseTake'> {
  return {
    'queue.list': async () => {
      const s = ctx.session;
      return s ? s.store.jobs().map((j) => jobView(j, s.dir, ctx.deps.mediaUrl)) : [];
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
    'queue.chooseTake': async ({ shotId, jobId }) => {
      ctx.requireDriver().chooseTake(shotId, jobId);
      return null;
    },
  };
}
