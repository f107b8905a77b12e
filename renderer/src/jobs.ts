/**
 * The jobs of the open project as the renderer keeps them (the jobs slice of ./state.tsx): every
 * job by id, the ids in film order, running counts and the latest take of each shot. A batch of
 * job.updated events is applied in time proportional to the batch (not to the 10,000 jobs), and
 * everything a batch did not change keeps its identity, so a component that selects one job, or
 * the counts, renders again only when that changed.
 */
import type { JobView } from '../../main/contract/api';

/** States a job can still move from (queued included). */
export const LIVE_STATES: ReadonlySet<JobView['state']> = new Set(['queued', 'submitting', 'running', 'downloading']);

/** Counts of the open project's jobs. */
export interface JobStats {
  /** Jobs (takes) in all. */
  total: number;
  /** Jobs in each state. */
  byState: Readonly<Record<JobView['state'], number>>;
  /** Jobs that ended: succeeded, failed or canceled. */
  ended: number;
  /** Sum of every job's progress (0..1 each; an ended job counts 1): 100 * progress / total is the batch's percent done. */
  progress: number;
}

/** The jobs slice's data. Never changed in place: each batch of updates makes a new one. */
export interface JobsData {
  /** Job ids in film order, then take, then id. A new array only when a job was added or moved. */
  jobIds: number[];
  /** Every job by id; the JobView of a job no update touched stays the same object. */
  jobById: ReadonlyMap<number, JobView>;
  /** Counts; a new object only when a count or the progress changed. */
  jobStats: JobStats;
  /** The latest take of each shot, by shot id; a new map only when one changed. */
  latestTake: ReadonlyMap<number, number>;
  /** The chosen take's job id of each shot that has one, by shot id (from JobView.chosen); a new map only when one changed. */
  chosenTake: ReadonlyMap<number, number>;
  /** The providers of the jobs, sorted; a new array only when the set changed. */
  jobProviders: string[];
}

/** Film order, then take, then id. */
export const JOB_ORDER = (a: JobView, b: JobView) => a.order - b.order || a.take - b.take || a.id - b.id;

const ZERO_BY_STATE: Record<JobView['state'], number> = { queued: 0, submitting: 0, running: 0, downloading: 0, succeeded: 0, failed: 0, canceled: 0 };

/** A job's share of JobStats.progress. */
const progressOf = (j: JobView) => (LIVE_STATES.has(j.state) ? Math.max(0, Math.min(1, j.progress)) : 1);

/** No jobs. */
export const NO_JOBS: JobsData = {
  jobIds: [],
  jobById: new Map(),
  jobStats: { total: 0, byState: ZERO_BY_STATE, ended: 0, progress: 0 },
  latestTake: new Map(),
  chosenTake: new Map(),
  jobProviders: [],
};

/** The data of a whole list of jobs (queue.list, or the first load). */
export function jobsDataOf(list: Iterable<JobView>): JobsData {
  const jobById = new Map<number, JobView>();
  for (const j of list) jobById.set(j.id, j);
  const sorted = [...jobById.values()].sort(JOB_ORDER);
  const byState = { ...ZERO_BY_STATE };
  const latestTake = new Map<number, number>();
  const chosenTake = new Map<number, number>();
  const providers = new Set<string>();
  let progress = 0;
  for (const j of sorted) {
    if (j.chosen) chosenTake.set(j.shotId, j.id);
    byState[j.state]++;
    progress += progressOf(j);
    latestTake.set(j.shotId, Math.max(latestTake.get(j.shotId) ?? 0, j.take));
    providers.add(j.provider);
  }
  return {
    jobIds: sorted.map((j) => j.id),
    jobById,
    jobStats: { total: sorted.length, byState, ended: byState.succeeded + byState.failed + byState.canceled, progress },
    latestTake,
    chosenTake,
    jobProviders: [...providers].sort(),
  };
}

/**
 * The data after a batch of job updates (the newest JobView of each job that changed, new jobs
 * included): work in proportion to the batch, except when a job is added out of order (a merge of
 * the id list) or moves, changes shot or provider (the affected part is built again).
 */
export function applyJobChanges(prev: JobsData, changed: Iterable<JobView>): JobsData {
  const jobById = new Map(prev.jobById);
  const byState = { ...prev.jobStats.byState };
  let progress = prev.jobStats.progress;
  let latestTake = prev.latestTake;
  let chosenTake = prev.chosenTake;
  let rebuildLatest = false;
  let resort = false;
  let rebuildProviders = false;
  const added: JobView[] = [];
  let touched = false;
  for (const j of changed) {
    const old = jobById.get(j.id);
    if (old === j) continue;
    touched = true;
    jobById.set(j.id, j);
    if (old) {
      byState[old.state]--;
      progress -= progressOf(old);
      if (old.order !== j.order || old.take !== j.take) resort = true;
      if (old.shotId !== j.shotId || old.take !== j.take) rebuildLatest = true;
      if (old.provider !== j.provider) rebuildProviders = true;
    } else {
      added.push(j);
      if (!prev.jobProviders.includes(j.provider)) rebuildProviders = true;
    }
    byState[j.state]++;
    progress += progressOf(j);
    // The newest word on a shot's choice wins: a take now chosen, or the chosen one no longer.
    const chosen = chosenTake.get(j.shotId);
    if ((j.chosen && chosen !== j.id) || (!j.chosen && chosen === j.id)) {
      if (chosenTake === prev.chosenTake) chosenTake = new Map(prev.chosenTake);
      if (j.chosen) (chosenTake as Map<number, number>).set(j.shotId, j.id);
      else (chosenTake as Map<number, number>).delete(j.shotId);
    }
    const latest = latestTake.get(j.shotId);
    if (!rebuildLatest && (latest === undefined || j.take > latest)) {
      if (latestTake === prev.latestTake) latestTake = new Map(prev.latestTake);
      (latestTake as Map<number, number>).set(j.shotId, j.take);
    }
  }
  if (!touched) return prev;

  let jobIds = prev.jobIds;
  if (resort) jobIds = [...jobById.values()].sort(JOB_ORDER).map((j) => j.id);
  else if (added.length) jobIds = mergeIds(prev.jobIds, added.sort(JOB_ORDER), jobById);

  if (rebuildLatest) {
    const m = new Map<number, number>();
    for (const j of jobById.values()) m.set(j.shotId, Math.max(m.get(j.shotId) ?? 0, j.take));
    latestTake = m;
  }
  let jobProviders = prev.jobProviders;
  if (rebuildProviders) {
    const set = new Set<string>();
    for (const j of jobById.values()) set.add(j.provider);
    const next = [...set].sort();
    if (next.length !== prev.jobProviders.length || next.some((p, i) => p !== prev.jobProviders[i])) jobProviders = next;
  }
  const s = prev.jobStats;
  const total = jobById.size;
  const ended = byState.succeeded + byState.failed + byState.canceled;
  const sameCounts = total === s.total && progress === s.progress && (Object.keys(byState) as JobView['state'][]).every((k) => byState[k] === s.byState[k]);
  // The progress sum is kept by adding and subtracting: it can drift by float rounding only (the
  // screens round it to a whole percent), and a refresh (queue.list) counts it again from scratch.
  const jobStats = sameCounts ? s : { total, byState, ended, progress: total ? progress : 0 };
  return { jobIds, jobById, jobStats, latestTake, chosenTake, jobProviders };
}

/** Merges new jobs (sorted) into the sorted id list: appended when they all come after it (the usual case), else merged. */
function mergeIds(ids: number[], added: JobView[], byId: ReadonlyMap<number, JobView>): number[] {
  const last = ids.length ? byId.get(ids[ids.length - 1])! : null;
  if (!last || JOB_ORDER(last, added[0]) < 0) return ids.concat(added.map((j) => j.id));
  const out: number[] = new Array(ids.length + added.length);
  let i = 0;
  let k = 0;
  let o = 0;
  while (i < ids.length && k < added.length) {
    if (JOB_ORDER(byId.get(ids[i])!, added[k]) <= 0) out[o++] = ids[i++];
    else out[o++] = added[k++].id;
  }
  while (i < ids.length) out[o++] = ids[i++];
  while (k < added.length) out[o++] = added[k++].id;
  return out;
}
