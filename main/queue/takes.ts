/**
 * Takes: the variants of one shot. A row asks for N takes (column `takes`, or `--takes N`); the
 * row's take k (jobs.variant = k) of a version of the shot uses seed `base + k - 1`, where `base` is
 * the row's seed, or, when the row's seed is -1 (random), a random seed picked once for the shot and
 * recorded (shots.seed_base). Every take records the seed it was sent with (jobs.seed; null for a
 * provider that takes no seed), so a take can be rendered again alike, and a later "New take" takes
 * the next seed not yet used.
 *
 * This file decides, for one shot, which takes a storyboard sync keeps, resumes, adds or withdraws;
 * the store (store.ts) applies that in its transaction. Nothing here touches the database.
 */
import crypto from 'node:crypto';
import type { Job, JobState } from './job';

/**
 * Largest random seed base: every take's seed (base + up to MAX_TAKES - 1, plus later new takes)
 * stays within 1..2^31-1, the smallest range a provider documents (APIXO: 1 through 2147483647).
 */
export const RANDOM_SEED_MAX = 2_147_483_647 - 100_000;

/** A random seed base for a shot whose row says -1, in 1..{@link RANDOM_SEED_MAX}. */
export function randomSeedBase(): number {
  return crypto.randomInt(1, RANDOM_SEED_MAX + 1);
}

/** What a take of the shot's current version is (the columns the sync reads). */
export interface ExistingTake {
  id: number;
  take: number;
  /** Which of the row's takes it is (1..N); null for a New take, and for takes recorded before database version 8 (read as 1). */
  variant: number | null;
  state: JobState;
  /** 'storyboard' (asked for by the row) or 'new-take' (asked for by the creator afterwards). */
  origin: string;
  /** Clip path relative to the project folder, when it has one. */
  output: string | null;
}

/** What a sync does with one shot's takes. */
export interface TakesPlan {
  /** Finished takes kept as they are (their clip is on disk). */
  kept: number[];
  /** Takes queued or in flight from an earlier run, resumed. */
  resumed: number[];
  /** Which of the row's takes (1..N) to queue. */
  add: number[];
  /** Queued takes the row no longer asks for (its `takes` was lowered): withdrawn before anything is spent. */
  withdraw: number[];
}

const ENDED: readonly JobState[] = ['succeeded', 'failed', 'canceled'];

/** Which of the row's takes a stored take is: its variant, 1 for a row's take recorded before variants were. */
const variantOf = (t: ExistingTake) => (t.origin === 'storyboard' ? (t.variant ?? 1) : null);

/**
 * Decides one shot's takes: for each of the row's takes 1..n, the latest stored take of it is kept
 * when it finished and its clip exists, resumed when it is still queued or in flight, else
 * (failed, canceled, clip deleted, none yet) that take is added. Queued takes of the row past n
 * are withdrawn; takes the creator asked for (New take) are never touched here. `existing` are
 * the takes of the shot's current version only.
 */
export function planTakes(existing: ExistingTake[], n: number, clipExists: (output: string) => boolean): TakesPlan {
  const plan: TakesPlan = { kept: [], resumed: [], add: [], withdraw: [] };
  const latest = new Map<number, ExistingTake>();
  for (const t of [...existing].sort((a, b) => a.take - b.take)) {
    const v = variantOf(t);
    if (v !== null) latest.set(v, t);
  }
  for (let v = 1; v <= n; v++) {
    const t = latest.get(v);
    if (t && t.state === 'succeeded' && t.output && clipExists(t.output)) plan.kept.push(t.id);
    else if (t && !ENDED.includes(t.state)) plan.resumed.push(t.id);
    else plan.add.push(v);
  }
  for (const t of existing) {
    const v = variantOf(t);
    if (t.state === 'queued' && v !== null && v > n) plan.withdraw.push(t.id);
  }
  return plan;
}

/** The seed of a new take: `pinned` when the creator gives one, else one more than the largest seed the shot has used. */
export function nextTakeSeed(usedSeeds: number[], fallbackBase: number, pinned?: number): number {
  if (pinned !== undefined) return pinned;
  return usedSeeds.length > 0 ? Math.max(...usedSeeds) + 1 : fallbackBase;
}

/**
 * Per shot, the latest attempt of each of the row's takes, and every New take (a failed take
 * rendered again counts once, as its last attempt), in the order given: what a batch's summary counts.
 */
export function latestPerVariant(jobs: Job[]): Job[] {
  const by = new Map<string, Job>();
  for (const j of jobs) {
    const key = j.origin === 'new-take' ? `job ${j.id}` : `${j.shotId}/${j.variant ?? 1}`;
    const had = by.get(key);
    if (!had || had.take < j.take) by.set(key, j);
  }
  return [...by.values()];
}
