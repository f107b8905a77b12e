/**
 * Retake and extend as the creator asks for them: from a finished take of a shot, the take's
 * provider builds the request and estimate of the edit (Provider.edit), the project's budgets say
 * whether it fits, and the store queues it as the shot's next take (ProjectStore.editTake). The
 * CLI (`ltx-batch retake|extend`), browser mode and the app go through ProjectSession, which calls
 * this. Money in USD; lengths in seconds.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { CostEstimate, EditSource, ProviderRequest, TakeEdit } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import type { Job } from '../queue/job';
import type { ProjectStore } from '../queue/store';
import { estimateUsdMax } from '../pricing/plan';
import { projectBudgetGuard } from '../pricing/render-budget';
import { describeEdit, editedLength } from '../providers/edit-checks';
import { UserError } from './errors';

/** What an edit would make, before it is queued. */
export interface EditPlan {
  /** The take being edited. */
  source: Job;
  provider: string;
  request: ProviderRequest;
  estimate: CostEstimate;
  /** Upper bound in USD; null when credits have no known rate. */
  usdMax: number | null;
  /** Length of the new take, seconds. */
  lengthS: number;
  /** Why the project's budgets would hold it ("over budget: ..."), or null when it fits. */
  overBudget: string | null;
}

export { describeEdit };

/**
 * Plans `edit` of take `jobId` of the project in `dir`: the take must have finished with its clip on
 * disk, and its provider must make the edit. Sends nothing, queues nothing. Throws UserError naming
 * the take and what to change (the provider's issues, by field).
 */
export function planEdit(store: ProjectStore, registry: ProviderRegistry, dir: string, jobId: number, edit: TakeEdit, usdPerCredit?: (provider: string) => number | undefined): EditPlan {
  const job = store.job(jobId);
  if (!job) throw new UserError(`job ${jobId} does not exist`);
  const name = `shot ${job.shotKey} take ${job.take}`;
  if (job.state !== 'succeeded' || !job.output) throw new UserError(`${name} has no clip to ${edit.kind} (it is ${job.state})`, 'choose a finished take');
  const clipPath = path.resolve(dir, job.output);
  if (!fs.existsSync(clipPath)) throw new UserError(`${name}'s clip is missing (${job.output})`, 'render the shot again');
  const p = registry.get(job.provider);
  if (!p?.edit || !p.capabilities().edits?.includes(edit.kind)) {
    const can = registry.all().filter((x) => x.edit && x.capabilities().edits?.includes(edit.kind)).map((x) => x.id);
    throw new UserError(`${name} was rendered by ${job.provider}, which cannot ${edit.kind} a take`, `providers that can: ${can.join(', ') || 'none'}`);
  }
  const video = job.media?.video;
  const body = JSON.parse(job.request) as { body?: Record<string, unknown> };
  const shotSpec = store.shots().find((s) => s.id === job.shotId)?.spec;
  const source: EditSource = {
    clipPath,
    durationS: video?.duration ?? job.media?.duration ?? shotSpec?.duration ?? 0,
    width: video?.width ?? shotSpec?.resolution.width ?? 0,
    height: video?.height ?? shotSpec?.resolution.height ?? 0,
    fps: video?.fps ?? shotSpec?.fps ?? 25,
    prompt: String(body.body?.prompt ?? shotSpec?.prompt ?? ''),
    ...(typeof body.body?.model === 'string' ? { model: body.body.model } : {}),
  };
  const r = p.edit(edit, source);
  if (!r.ok) throw new UserError(`${job.provider} cannot make this ${describeEdit(edit)} of ${name}: ${r.issues.map((i) => `${i.column}: ${i.message}`).join('; ')}`);
  const usdMax = estimateUsdMax(r.estimate, usdPerCredit?.(p.id));
  const overBudget = projectBudgetGuard(store).admit({ ...job, id: -1, estimateUsd: usdMax });
  return { source: job, provider: p.id, request: r.request, estimate: r.estimate, usdMax, lengthS: editedLength(edit, source), overBudget };
}
