/**
 * Restart-in-the-middle-of-polling check for any provider: a task is submitted once, the process
 * "dies" with the task id stored (job left in `running`), and a fresh queue runner must finish it
 * by polling, without a second submission.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Provider } from '../../main/providers/provider';
import { ProviderRegistry } from '../../main/providers/registry';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner, type RunSummary } from '../../main/queue/runner';
import type { Shot } from '../../main/storyboard/shot';
import { requestFor, testCtx } from './provider-harness';
import { tmpDir } from './tmp';

/** Submits `shot` once, stores the task id as a killed process would have, then resumes with a new runner. */
export async function resumeAfterRestart(p: Provider, shot: Shot): Promise<{ summary: RunSummary; clip?: string }> {
  const dir = tmpDir();
  const request = requestFor(p, shot);
  const store = new ProjectStore(dir);
  try {
    store.syncStoryboard('sb.csv', 'hash', [{ shot, provider: p.id, request, estimate: p.estimate(shot) }], () => false);
    const [job] = store.jobs();
    store.transition(job.id, 'queued', 'submitting', { attempts: 1, submit_sent_at: Date.now() });
    const sub = await p.submit!(request, testCtx());
    store.transition(job.id, 'submitting', 'running', { remote_task_id: sub.taskId, submitted_at: Date.now(), next_run_at: Date.now() });
    // ... the process dies here; a new one starts:
    const summary = await new QueueRunner(store, new ProviderRegistry([p]), { outDir: dir, pollIntervalMs: 10, backoff: { baseMs: 5, maxMs: 20 } }).run();
    const out = store.latestJobs()[0].output;
    return { summary, clip: out && fs.existsSync(path.join(dir, out)) ? path.join(dir, out) : undefined };
  } finally {
    store.close();
  }
}
