/**
 * The project store: shots and jobs of one output folder in DIR/project.sqlite.
 *
 * Every state change is one transaction that checks the state it moves from (so two processes, or a
 * stale worker, cannot both move a job) and appends to job_events.
 *
 * Speed: each statement is compiled once (a cache keyed by its SQL); a state change returns the
 * job it wrote (`UPDATE ... RETURNING`) instead of reading it back; the next queued jobs are picked
 * through an index that matches the query (no sort, no scan); the USD the project has committed is
 * a running total kept by triggers (migration 6), so a budget check reads one row; the queue's
 * claims, its submit marks and the moves that record a result are committed together with the
 * other writes of the same tick (group commit), each caller waiting for its own commit.
 */
import type { MediaInfo } from '../media/ffprobe';
import type Database from 'better-sqlite3';
import crypto from 'node:crypto';
import path from 'node:path';
import { openDatabase, type Db } from './db';
import { MIGRATIONS } from './migrations';
import { TRANSITIONS, type Job, type JobState } from './job';
import { planTakes, randomSeedBase, type ExistingTake } from './takes';
import { describeEdit } from '../providers/edit-checks';
import type { Shot } from '../storyboard/shot';
import type { CostEstimate, ProviderRequest, TakeEdit } from '../providers/provider';

/** Thrown when a job is not in the state a change expects (another worker moved it). */

/**
 * The hold on a job whose submit may have reached the service without its answer reaching us (a
 * lost answer, a process killed in that window). Such a job is never submitted again on its own:
 * it waits for the creator, who checks the provider and resubmits it ({@link ProjectStore.releaseFlagged}).
 */
export const FLAGGED_HOLD = 'may have been submitted twice: waiting for you to check the provider and resubmit it';

export class StaleJobError extends Error {}

/** A shot row of the store. */
export interface ShotRow {
  id: number;
  shotKey: string;
  order: number;
  row: number;
  spec: Shot;
  specHash: string;
  provider: string;
  active: boolean;
  chosenJobId: number | null;
}

/** What the store needs to know to queue a shot: the provider's request and estimate. */
export interface PlannedShot {
  shot: Shot;
  provider: string;
  request: ProviderRequest;
  estimate: CostEstimate;
  /** Takes the row asks for (default 1); take k uses seed base + k - 1 (see takes.ts). */
  takes?: number;
  /**
   * The request of a take: the provider's validate with the take's seed (null: the provider takes
   * none) and, for a continued shot, its start frame. Without it every take is sent `request` as it is.
   */
  requestFor?: (seed: number | null) => ProviderRequest;
  /** Whether the provider takes a seed (default true): takes then record and send seed + k - 1. */
  seeds?: boolean;
}

/** What syncing a storyboard into the store did (counts of takes, except `removed`). */
export interface SyncResult {
  /** Takes queued (a shot's first takes, a changed shot, a failed/canceled take run again, a raised `takes`). */
  queued: number;
  /** Finished takes whose clip is kept. */
  kept: number;
  /** Takes still queued or in flight from an earlier run (resumed). */
  resumed: number;
  /** Shots no longer in the storyboard (kept in the database, left out of the film). */
  removed: number;
}

/**
 * Hash of what determines a clip: the shot's content, the provider and the request sent to it
 * (so a change that only reaches the request, e.g. a control mode read from notes, is a new take).
 */
export function specHash(shot: Shot, provider: string, request?: ProviderRequest): string {
  // How many takes is not what a clip is: raising it adds takes, it does not re-render take 1.
  // Nor the row's cells as written before the look was applied: the prompt that is sent is in `rest`.
  const { row: _row, order: _order, notes: _notes, metadata: _metadata, takes: _takes, rowPrompt: _rp, rowNegativePrompt: _rn, ...rest } = shot;
  return crypto.createHash('sha256').update(JSON.stringify({ rest, provider, body: request?.body })).digest('hex').slice(0, 32);
}

type JobRow = Record<string, unknown>;

function toJob(r: JobRow): Job {
  return {
    id: r.id as number,
    shotId: r.shot_id as number,
    shotKey: r.shot_key as string,
    order: r.ord as number,
    take: r.take as number,
    seed: (r.seed as number) ?? null,
    variant: (r.variant as number) ?? null,
    afterShot: (r.after_shot as number) ?? null,
    fromJob: (r.from_job as number) ?? null,
    edit: r.edit ? (JSON.parse(r.edit as string) as TakeEdit) : null,
    note: (r.note as string | undefined) ?? '',
    origin: (r.origin as Job['origin']) ?? 'storyboard',
    chosen: !!r.chosen,
    provider: r.provider as string,
    state: r.state as JobState,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    nextRunAt: r.next_run_at as number,
    submitSentAt: (r.submit_sent_at as number) ?? null,
    remoteTaskId: (r.remote_task_id as string) ?? null,
    result: (r.result as string) ?? null,
    progress: r.progress as number,
    estimateUnit: (r.estimate_unit as Job['estimateUnit']) ?? null,
    estimateMin: (r.estimate_min as number) ?? null,
    estimateMax: (r.estimate_max as number) ?? null,
    estimateUsd: (r.estimate_usd as number) ?? null,
    actualUnit: (r.actual_unit as Job['actualUnit']) ?? null,
    actualAmount: (r.actual_amount as number) ?? null,
    actualUsd: (r.actual_usd as number) ?? null,
    refunded: !!r.refunded,
    gpuSeconds: (r.gpu_seconds as number) ?? null,
    holdReason: (r.hold_reason as string) ?? null,
    error: (r.error as string) ?? null,
    errorCode: (r.error_code as string) ?? null,
    notes: r.notes ? (JSON.parse(r.notes as string) as string[]) : [],
    maybeDuplicate: !!r.maybe_duplicate,
    output: (r.output as string) ?? null,
    media: r.media ? (JSON.parse(r.media as string) as MediaInfo) : null,
    request: r.request as string,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
    submittedAt: (r.submitted_at as number) ?? null,
    finishedAt: (r.finished_at as number) ?? null,
  };
}

/** Columns a state change may set besides the state. */
export type JobPatch = Partial<{
  attempts: number;
  next_run_at: number;
  submit_sent_at: number | null;
  remote_task_id: string | null;
  result: string | null;
  progress: number;
  actual_unit: string | null;
  actual_amount: number | null;
  actual_usd: number | null;
  refunded: number;
  from_job: number | null;
  gpu_seconds: number | null;
  hold_reason: string | null;
  error: string | null;
  error_code: string | null;
  notes: string;
  maybe_duplicate: number;
  output: string | null;
  /** JSON of the clip's MediaInfo (migration 7). */
  media: string | null;
  submitted_at: number | null;
  finished_at: number | null;
}>;

const JOB_SELECT = `SELECT jobs.*, shots.shot_key, shots.ord, shots.chosen_job_id IS jobs.id AS chosen FROM jobs JOIN shots ON shots.id = jobs.shot_id`;
/** What an UPDATE of one job returns: the row as written, with its shot's key and order (as {@link JOB_SELECT}). */
const JOB_RETURNING = `RETURNING *, (SELECT shot_key FROM shots WHERE shots.id = jobs.shot_id) AS shot_key, (SELECT ord FROM shots WHERE shots.id = jobs.shot_id) AS ord, (SELECT chosen_job_id FROM shots WHERE shots.id = jobs.shot_id) IS jobs.id AS chosen`;
/**
 * The next runnable queued jobs of a provider, oldest first. `jobs_runnable` (migration 6) holds
 * exactly the queued, not held jobs, keyed by (provider, id, next_run_at): the rows come out in id
 * order (no sort) and a job not due yet is skipped inside the index. INDEXED BY and CROSS JOIN pin
 * that plan whatever the planner's statistics say (test/queue/store-speed.test.ts checks it).
 */
export const RUNNABLE_QUEUED_SQL =
  `SELECT jobs.*, shots.shot_key, shots.ord, shots.chosen_job_id IS jobs.id AS chosen FROM jobs INDEXED BY jobs_runnable CROSS JOIN shots ON shots.id = jobs.shot_id ` +
  `WHERE jobs.state = 'queued' AND jobs.hold_reason IS NULL AND jobs.provider = ? AND jobs.next_run_at <= ? ORDER BY jobs.id LIMIT ?`;
/**
 * What the project has committed, in USD, as the running total kept by migration 6's triggers
 * (Neumaier-compensated: sum + compensation), less the job `?`'s own share. The share is the same
 * expression the triggers and the original full SUM use: a job's actual cost, else its estimate,
 * 0 when refunded, counted while it is in flight or succeeded, or once submitted.
 */
const COMMITTED_USD_SQL = `SELECT (t.usd + t.usd_c) - COALESCE((SELECT CASE WHEN refunded = 1 THEN 0 ELSE COALESCE(actual_usd, estimate_usd, 0) END FROM jobs
   WHERE id = ? AND (state IN ('submitting','running','downloading','succeeded') OR (state IN ('failed','canceled','queued') AND submitted_at IS NOT NULL))), 0) AS usd
  FROM committed_totals t WHERE t.id = 1`;

/**
 * Makes a take that just finished (@job) its shot's (@shot) chosen take when the shot has none, when
 * the chosen take is of an earlier version of the shot (the row changed since), when the creator has
 * not chosen by hand and this is a New take they asked for, or when the creator has not chosen by
 * hand and this is a lower take of the same batch (take 1 before take 2, whichever finished first).
 * Otherwise the choice stays: a finished take is one more to choose from, never a silent swap.
 */
const CHOOSE_FINISHED_TAKE_SQL = `UPDATE shots SET
    chosen_by_creator = CASE WHEN chosen_job_id IS NULL OR (SELECT spec_hash FROM jobs WHERE id = shots.chosen_job_id) IS NOT (SELECT spec_hash FROM jobs WHERE id = @job) THEN 0 ELSE chosen_by_creator END,
    chosen_job_id = @job
  WHERE id = @shot AND (
    chosen_job_id IS NULL
    OR NOT EXISTS (SELECT 1 FROM jobs c WHERE c.id = shots.chosen_job_id AND c.state = 'succeeded')
    OR (SELECT spec_hash FROM jobs WHERE id = shots.chosen_job_id) IS NOT (SELECT spec_hash FROM jobs WHERE id = @job)
    OR (chosen_by_creator = 0 AND (SELECT origin FROM jobs WHERE id = @job) = 'new-take')
    OR (chosen_by_creator = 0 AND (SELECT origin FROM jobs WHERE id = shots.chosen_job_id) = 'storyboard' AND (SELECT origin FROM jobs WHERE id = @job) = 'storyboard'
        AND (SELECT take FROM jobs WHERE id = @job) < (SELECT take FROM jobs WHERE id = shots.chosen_job_id)))`;

/** What one shot's jobs other than `?` have committed in USD (a row budget's spending), by the share of {@link COMMITTED_USD_SQL}. */
const COMMITTED_USD_OF_SHOT_SQL = `SELECT COALESCE(SUM(CASE WHEN refunded = 1 THEN 0 ELSE COALESCE(actual_usd, estimate_usd, 0) END), 0) AS usd FROM jobs
   WHERE shot_id = ? AND id <> ? AND (state IN ('submitting','running','downloading','succeeded') OR (state IN ('failed','canceled','queued') AND submitted_at IS NOT NULL))`;

/**
 * True (in an UPDATE of jobs) when the job's parent shot has a chosen, finished take of its current
 * version that no lower take of its batch can still replace (take 1 is chosen over take 2 when it
 * finishes: a child waits for it rather than start from a frame the film will not use).
 */
const PARENT_READY_SQL = `EXISTS (SELECT 1 FROM shots p JOIN jobs c ON c.id = p.chosen_job_id WHERE p.id = jobs.after_shot AND c.state = 'succeeded' AND c.spec_hash = p.spec_hash
    AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.shot_id = p.id AND o.spec_hash = p.spec_hash AND o.origin = 'storyboard' AND o.take < c.take AND o.state IN ('queued', 'submitting', 'running', 'downloading')))`;
/** The hold reason of a take waiting for its parent shot: "waiting for shot 3", and why when the parent's latest take failed with none on its way. */
const WAITING_FOR_PARENT_SQL = `('waiting for shot ' || (SELECT shot_key FROM shots WHERE id = jobs.after_shot) || COALESCE(
    (SELECT CASE WHEN l.state IN ('failed', 'canceled') THEN ', which ' || l.state || COALESCE(': ' || l.error, '') END
     FROM jobs l JOIN shots p ON p.id = l.shot_id WHERE l.shot_id = jobs.after_shot AND l.spec_hash = p.spec_hash
       AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.shot_id = l.shot_id AND o.spec_hash = p.spec_hash AND o.state NOT IN ('succeeded', 'failed', 'canceled'))
     ORDER BY l.take DESC LIMIT 1), ''))`;

type Statement = Database.Statement;

/** A write waiting for the group commit at the end of the current tick (see {@link ProjectStore.transitionGrouped}). */
interface GroupedWrite {
  write: () => unknown;
  /** Its commit must survive a power loss (see {@link ProjectStore.markSubmitSent}). */
  durable: boolean;
  resolve: (value: never) => void;
  reject: (e: unknown) => void;
}

type GroupResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The store of one project (output folder). */
export class ProjectStore {
  readonly db: Db;
  /** Clock, replaceable in tests (epoch ms). */
  now: () => number = () => Date.now();

  /** Compiled statements by SQL: each is prepared once per connection. */
  private readonly stmts = new Map<string, Statement>();
  /** The connection's synchronous level (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA), as opened. */
  private readonly syncLevel: number;
  /** Writes asked for in this tick, committed together when it ends (group commit). */
  private pendingWrites: GroupedWrite[] = [];
  private groupFlush: NodeJS.Immediate | undefined;
  // The hot transactions, each wrapped once (IMMEDIATE: the write lock is taken before the first read).
  private readonly transitionTx: (id: number, from: JobState, to: JobState, patch: JobPatch, message?: string) => Job;
  private readonly groupTx: (batch: GroupedWrite[]) => GroupResult[];
  /** Runs one write of a group inside a savepoint: a write that throws leaves nothing behind, the others go on. */
  private readonly savepoint: (write: () => unknown) => unknown;

  /** Opens DIR/project.sqlite, creating it and applying migrations. */
  constructor(readonly dir: string) {
    this.db = openDatabase(path.join(dir, 'project.sqlite'), MIGRATIONS);
    this.syncLevel = this.db.pragma('synchronous', { simple: true }) as number;
    this.transitionTx = this.db.transaction((id: number, from: JobState, to: JobState, patch: JobPatch, message?: string) => this.transitionInTx(id, from, to, patch, message)).immediate;
    this.savepoint = this.db.transaction((write: () => unknown) => write());
    this.groupTx = this.db.transaction((batch: GroupedWrite[]) =>
      batch.map((w): GroupResult => {
        try {
          return { ok: true, value: this.savepoint(w.write) };
        } catch (error) {
          // An error SQLite answered by rolling the whole transaction back fails the whole group.
          if (!this.db.inTransaction) throw error;
          return { ok: false, error };
        }
      }),
    ).immediate;
  }

  /**
   * A number that changes whenever another connection (another process) commits to the project
   * database (SQLite's `PRAGMA data_version`); this connection's own writes do not change it.
   */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** Closes the database (writes still waiting for their group commit are committed first). */
  close(): void {
    if (this.groupFlush) {
      clearImmediate(this.groupFlush);
      this.flushGroup();
    }
    this.db.close();
  }

  /** The statement for `sql`, compiled on first use. */
  /** The project's own UUID (migration 12), made once when the project was created or upgraded. */
  projectUuid(): string {
    return (this.stmt('SELECT uuid FROM project_meta WHERE id = 1').get() as { uuid: string }).uuid;
  }

  private stmt(sql: string): Statement {
    let st = this.stmts.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.stmts.set(sql, st);
    }
    return st;
  }

  /**
   * Brings the store in line with a storyboard, in one transaction. Finished shots whose content
   * and provider did not change keep their clip; changed, new, failed or canceled shots get a new
   * job (a new take); jobs in flight from an earlier run are resumed as they are. Shots that left
   * the storyboard are marked inactive and their queued jobs canceled.
   * `clipExists` tells whether a succeeded job's clip is still on disk (a deleted clip is re-rendered).
   * With `only` (render selected), only those shot ids get new or resumed takes; the other planned
   * shots are brought in line with their rows (order, spec) and nothing is queued for them.
   */
  syncStoryboard(file: string, hash: string, planned: PlannedShot[], clipExists: (output: string) => boolean, o: { only?: ReadonlySet<string> } = {}): SyncResult {
    const now = this.now();
    const res: SyncResult = { queued: 0, kept: 0, resumed: 0, removed: 0 };
    const tx = this.db.transaction(() => {
      this.stmt('INSERT INTO storyboards (file, hash, imported_at) VALUES (?, ?, ?)').run(file, hash, now);
      const keys = new Set(planned.map((p) => p.shot.id));
      for (const s of this.stmt('SELECT id, shot_key FROM shots WHERE active = 1').all() as { id: number; shot_key: string }[]) {
        if (keys.has(s.shot_key)) continue;
        this.stmt('UPDATE shots SET active = 0, updated_at = ? WHERE id = ?').run(now, s.id);
        for (const j of this.stmt(`SELECT id, state FROM jobs WHERE shot_id = ? AND state = 'queued'`).all(s.id) as { id: number; state: JobState }[]) {
          this.transitionInTx(j.id, 'queued', 'canceled', { finished_at: now, error: 'shot removed from the storyboard' }, 'shot removed from the storyboard');
        }
        res.removed++;
      }
      const upsert = this.stmt(
        `INSERT INTO shots (shot_key, ord, row, spec, spec_hash, provider, active, updated_at) VALUES (@key, @ord, @row, @spec, @hash, @provider, 1, @now)
         ON CONFLICT (shot_key) DO UPDATE SET ord = @ord, row = @row, spec = @spec, spec_hash = @hash, provider = @provider, active = 1, updated_at = @now RETURNING id, seed_base`,
      );
      for (const p of planned) {
        const hashOf = specHash(p.shot, p.provider, p.request);
        const { id: shotId, seed_base: storedBase } = upsert.get({ key: p.shot.id, ord: p.shot.order, row: p.shot.row, spec: JSON.stringify(p.shot), hash: hashOf, provider: p.provider, now }) as { id: number; seed_base: number | null };
        // Takes of an earlier version of the shot that have not started are withdrawn; in-flight ones finish.
        for (const old of this.stmt(`SELECT id FROM jobs WHERE shot_id = ? AND spec_hash <> ? AND state = 'queued'`).all(shotId, hashOf) as { id: number }[]) {
          this.transitionInTx(old.id, 'queued', 'canceled', { finished_at: now, error: 'replaced by a new take: the shot changed' }, 'shot changed');
        }
        // Render selected: the other shots are kept in step with their rows, and get no new takes.
        if (o.only && !o.only.has(p.shot.id)) continue;
        const existing = this.stmt('SELECT id, take, variant, state, origin, output FROM jobs WHERE shot_id = ? AND spec_hash = ? ORDER BY take').all(shotId, hashOf) as ExistingTake[];
        const plan = planTakes(existing, Math.max(1, p.takes ?? 1), clipExists);
        res.kept += plan.kept.length;
        res.resumed += plan.resumed.length;
        for (const id of plan.resumed) {
          // Resume as is; a queued job may have been held for budget: let it be re-evaluated.
          // (Never a job held because it may have been submitted twice: only the creator releases that.)
          this.stmt('UPDATE jobs SET hold_reason = NULL, updated_at = ? WHERE id = ? AND (hold_reason IS NULL OR hold_reason <> ?)').run(now, id, FLAGGED_HOLD);
        }
        for (const id of plan.withdraw) {
          this.transitionInTx(id, 'queued', 'canceled', { finished_at: now, error: 'withdrawn: the row asks for fewer takes' }, 'takes lowered');
        }
        if (plan.add.length === 0) continue;
        // Seeds (providers that take one): the row's, else (seed -1) a random one picked once for the shot and kept.
        const seeded = !!p.requestFor && p.seeds !== false;
        let base: number | null = seeded && p.shot.seed >= 0 ? p.shot.seed : null;
        if (base === null && seeded) {
          base = storedBase ?? randomSeedBase();
          if (storedBase === null) this.stmt('UPDATE shots SET seed_base = ? WHERE id = ?').run(base, shotId);
        }
        let take = ((this.stmt('SELECT MAX(take) AS t FROM jobs WHERE shot_id = ?').get(shotId) as { t: number | null }).t ?? 0) + 1;
        for (const variant of plan.add) {
          const seed = base === null ? null : base + variant - 1;
          const request = p.requestFor ? p.requestFor(seed) : p.request;
          this.insertJob(shotId, { ...p, request }, hashOf, take++, now, { seed, variant, origin: 'storyboard' });
          res.queued++;
        }
      }
      // Continuity: the takes of continued shots name their parent and wait for its finished take.
      for (const p of planned) {
        if (!p.shot.continueFrom) continue;
        this.stmt(
          `UPDATE jobs SET after_shot = (SELECT id FROM shots WHERE shot_key = ?) WHERE shot_id = (SELECT id FROM shots WHERE shot_key = ?) AND state = 'queued' AND after_shot IS NULL`,
        ).run(p.shot.continueFrom, p.shot.id);
      }
      this.updateContinuityHolds();
    });
    tx.immediate();
    return res;
  }

  /**
   * Holds the queued takes of continued shots whose parent has no finished take of its current
   * version as its chosen take ("waiting for shot 3", ", which failed: ..." when its latest take
   * failed and none is on its way), and releases those whose parent has one. Returns how many
   * holds changed. Cheap: reads only queued takes that continue a shot (index jobs_after_shot).
   */
  updateContinuityHolds(): number {
    // Most projects continue no shot: one read of the partial index, and no write transaction, then.
    if (!this.stmt(`SELECT 1 FROM jobs WHERE state = 'queued' AND after_shot IS NOT NULL LIMIT 1`).get()) return 0;
    const release = this.stmt(`UPDATE jobs SET hold_reason = NULL, next_run_at = 0 WHERE state = 'queued' AND after_shot IS NOT NULL AND hold_reason LIKE 'waiting for shot %' AND (${PARENT_READY_SQL})`).run().changes;
    const hold = this.stmt(
      `UPDATE jobs SET hold_reason = ${WAITING_FOR_PARENT_SQL} WHERE state = 'queued' AND after_shot IS NOT NULL AND (hold_reason IS NULL OR hold_reason LIKE 'waiting for shot %') AND NOT (${PARENT_READY_SQL}) AND hold_reason IS NOT ${WAITING_FOR_PARENT_SQL}`,
    ).run().changes;
    return release + hold;
  }

  /**
   * The shot a shot continues from, as its chosen take stands: shot id, its key, the chosen take's
   * number and clip (null when it has none). Undefined when the shot continues none.
   */
  continuityParentOf(shotId: number): { shotId: number; shotKey: string; jobId: number | null; take: number | null; output: string | null } | undefined {
    const r = this.stmt(
      `SELECT p.id AS id, p.shot_key AS key, c.id AS job, c.take AS take, CASE WHEN c.state = 'succeeded' THEN c.output END AS output
       FROM shots s JOIN shots p ON p.shot_key = json_extract(s.spec, '$.continueFrom') LEFT JOIN jobs c ON c.id = p.chosen_job_id WHERE s.id = ?`,
    ).get(shotId) as { id: number; key: string; job: number | null; take: number | null; output: string | null } | undefined;
    return r ? { shotId: r.id, shotKey: r.key, jobId: r.job, take: r.take, output: r.output } : undefined;
  }

  private insertJob(shotId: number, p: Pick<PlannedShot, 'provider' | 'request' | 'estimate'>, hashOf: string, take: number, now: number, t: { seed: number | null; variant: number | null; origin: Job['origin'] }): number {
    const est = p.estimate;
    const usd = est.usdPerUnit !== undefined ? est.max * est.usdPerUnit : null;
    const info = this.stmt(
      `INSERT INTO jobs (shot_id, take, seed, variant, origin, provider, spec_hash, request, state, next_run_at, estimate_unit, estimate_min, estimate_max, estimate_usd, notes, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(shotId, take, t.seed, t.variant, t.origin, p.provider, hashOf, JSON.stringify(p.request), est.unit, est.min, est.max, usd, JSON.stringify(p.request.notes ?? []), now, now);
    const id = Number(info.lastInsertRowid);
    this.stmt('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, NULL, ?, ?)').run(id, now, 'queued', `take ${take} queued${t.seed !== null ? ` (seed ${t.seed})` : ''}`);
    return id;
  }

  /**
   * The seeds a shot's takes have used (recorded ones only) and the base its seeds count from
   * (the row's seed, else the random one recorded for it, else undefined). Throws for an unknown shot.
   */
  takeSeedsOf(shotId: number): { used: number[]; base: number | undefined; spec: Shot; provider: string; specHash: string } {
    const shot = this.stmt('SELECT spec, spec_hash, provider, seed_base FROM shots WHERE id = ?').get(shotId) as { spec: string; spec_hash: string; provider: string; seed_base: number | null } | undefined;
    if (!shot) throw new Error(`shot ${shotId} does not exist`);
    const spec = JSON.parse(shot.spec) as Shot;
    const used = (this.stmt('SELECT DISTINCT seed FROM jobs WHERE shot_id = ? AND seed IS NOT NULL').all(shotId) as { seed: number }[]).map((r) => r.seed);
    return { used, base: spec.seed >= 0 ? spec.seed : (shot.seed_base ?? undefined), spec, provider: shot.provider, specHash: shot.spec_hash };
  }

  /**
   * Queues a new take of a shot (the creator's "New take"). With `take`, it is sent that request
   * and records that seed (null: the provider takes none; the caller built the request from the
   * shot with the seed: see ProjectSession.rerender); without, it repeats the latest take's request
   * and seed. Returns the new job's id. Throws when the shot has no take yet.
   */
  newTake(shotId: number, take?: { seed: number | null; request: ProviderRequest }): number {
    // A retake or extension is not the shot's take to repeat: its request edits another clip.
    const latest = this.stmt('SELECT id, seed FROM jobs WHERE shot_id = ? AND edit IS NULL ORDER BY take DESC LIMIT 1').get(shotId) as { id: number; seed: number | null } | undefined;
    if (!latest) throw new Error(`shot ${shotId} has no job to take again`);
    const seed = take ? take.seed : latest.seed;
    return this.copyTake(latest.id, { newTake: true, seed, request: take?.request, message: `re-render requested: new take${seed !== null ? `, seed ${seed}` : ''}` });
  }

  /**
   * Queues a retake or extension of the finished take `sourceId` as its shot's next take: a
   * creator's new take of the same row version (spec hash) on the same provider, sent `request`,
   * carrying `estimate` (budgets count it like any take), `from_job` the source and the edit.
   * Returns the new job's id. Throws when the source does not exist.
   */
  editTake(sourceId: number, edit: TakeEdit, request: ProviderRequest, estimate: CostEstimate, usdMax: number | null): number {
    return this.db.transaction(() => {
      const now = this.now();
      const info = this.stmt(
        `INSERT INTO jobs (shot_id, take, seed, variant, origin, from_job, edit, provider, spec_hash, request, state, next_run_at, estimate_unit, estimate_min, estimate_max, estimate_usd, notes, created_at, updated_at)
           SELECT shot_id, (SELECT MAX(take) FROM jobs j2 WHERE j2.shot_id = jobs.shot_id) + 1, NULL, NULL, 'new-take', id, @edit,
             provider, spec_hash, @request, 'queued', 0, @unit, @min, @max, @usd, @notes, @now, @now
           FROM jobs WHERE id = @source`,
      ).run({ source: sourceId, edit: JSON.stringify(edit), request: JSON.stringify(request), unit: estimate.unit, min: estimate.min, max: estimate.max, usd: usdMax, notes: JSON.stringify(request.notes ?? []), now });
      if (info.changes === 0) throw new Error(`job ${sourceId} does not exist`);
      const id = Number(info.lastInsertRowid);
      const what = describeEdit(edit);
      this.stmt('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, NULL, ?, ?)').run(id, now, 'queued', `${what} of job ${sourceId}, requested by you`);
      return id;
    })();
  }

  /**
   * Renders a failed or canceled take again as the same take of its row: a new job with its seed,
   * variant, origin, request and estimate (a Retry, where New take makes another variant). Returns
   * the new job's id. Throws when the job does not exist.
   */
  retryTake(jobId: number): number {
    return this.copyTake(jobId, { newTake: false, message: `retry of job ${jobId}` });
  }

  /**
   * Queues a copy of job `sourceId` as its shot's next take (provider, version, estimate, the shot
   * it continues): as a New take (no variant, `seed` and `request` when given) or as the same take
   * of its row again (its seed, variant, origin and request). Returns the new job's id; throws when
   * the source does not exist.
   */
  private copyTake(sourceId: number, o: { newTake: boolean; seed?: number | null; request?: ProviderRequest; message: string }): number {
    return this.db.transaction(() => {
      const now = this.now();
      const info = this.stmt(
        `INSERT INTO jobs (shot_id, take, seed, variant, origin, after_shot, from_job, edit, provider, spec_hash, request, state, next_run_at, estimate_unit, estimate_min, estimate_max, estimate_usd, notes, created_at, updated_at)
           SELECT shot_id, (SELECT MAX(take) FROM jobs j2 WHERE j2.shot_id = jobs.shot_id) + 1,
             CASE WHEN @newTake THEN @seed ELSE seed END, CASE WHEN @newTake THEN NULL ELSE variant END, CASE WHEN @newTake THEN 'new-take' ELSE origin END,
             after_shot, CASE WHEN @newTake OR edit IS NULL THEN NULL ELSE from_job END, CASE WHEN @newTake THEN NULL ELSE edit END, provider, spec_hash, COALESCE(@request, request), 'queued', 0, estimate_unit, estimate_min, estimate_max, estimate_usd, COALESCE(@notes, notes), @now, @now
           FROM jobs WHERE id = @source`,
      ).run({ newTake: o.newTake ? 1 : 0, seed: o.seed ?? null, request: o.request ? JSON.stringify(o.request) : null, notes: o.request ? JSON.stringify(o.request.notes ?? []) : null, now, source: sourceId });
      if (info.changes === 0) throw new Error(`job ${sourceId} does not exist`);
      const id = Number(info.lastInsertRowid);
      this.stmt('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, NULL, ?, ?)').run(id, now, 'queued', o.message);
      this.updateContinuityHolds();
      return id;
    })();
  }

  /**
   * The creator's go-ahead for jobs held as "may have been submitted twice" (all of them, or the
   * ones in `jobIds`): they are submitted again by the next run. Returns how many were released.
   */
  releaseFlagged(jobIds?: number[]): number {
    const now = this.now();
    const rows = this.stmt(`SELECT id FROM jobs WHERE state = 'queued' AND hold_reason = ?`).all(FLAGGED_HOLD) as { id: number }[];
    let n = 0;
    this.db.transaction(() => {
      for (const { id } of rows) {
        if (jobIds && !jobIds.includes(id)) continue;
        this.stmt('UPDATE jobs SET hold_reason = NULL, next_run_at = 0, updated_at = ? WHERE id = ?').run(now, id);
        this.stmt('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, ?, ?, ?)').run(id, now, 'queued', 'queued', 'resubmit approved by you (it may have been submitted twice)');
        n++;
      }
    }).immediate();
    return n;
  }

  /** The project's render budget in USD (saved with the project), or undefined for none. */
  renderBudget(): number | undefined {
    const r = this.stmt(`SELECT value FROM project_settings WHERE key = 'render_budget_usd'`).get() as { value: string } | undefined;
    const n = r ? Number(r.value) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }

  /** Saves the project's render budget in USD (undefined removes it). */
  setRenderBudget(usd: number | undefined): void {
    if (usd === undefined) this.stmt(`DELETE FROM project_settings WHERE key = 'render_budget_usd'`).run();
    else this.stmt(`INSERT INTO project_settings (key, value) VALUES ('render_budget_usd', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(usd));
  }

  /**
   * USD the project's jobs other than `exceptJobId` have committed: the actual cost of finished
   * or charged jobs, or their estimate while the service has not said (refunded jobs count 0).
   * Read from a running total the database keeps on every change of a job (migration 6), not by
   * summing the table: a budget check at each admission costs two row reads. Equal to the full
   * SUM it replaces (test/queue/store-speed.test.ts compares them over random histories).
   */
  committedUsd(exceptJobId = -1): number {
    return (this.stmt(COMMITTED_USD_SQL).get(exceptJobId) as { usd: number }).usd;
  }

  /**
   * USD one shot's takes other than `exceptJobId` have committed (the same share as
   * {@link committedUsd}, summed over the shot's jobs): what a row budget has already paid for.
   */
  committedUsdOfShot(shotId: number, exceptJobId = -1): number {
    return (this.stmt(COMMITTED_USD_OF_SHOT_SQL).get(shotId, exceptJobId) as { usd: number }).usd;
  }

  /** One job by id, or undefined. */
  job(id: number): Job | undefined {
    const r = this.stmt(`${JOB_SELECT} WHERE jobs.id = ?`).get(id) as JobRow | undefined;
    return r ? toJob(r) : undefined;
  }

  /** All jobs, in film order then take. */
  jobs(): Job[] {
    return (this.stmt(`${JOB_SELECT} ORDER BY shots.ord, jobs.take`).all() as JobRow[]).map(toJob);
  }

  /** The latest take of every active shot, in film order. */
  latestJobs(): Job[] {
    return (
      this.stmt(`${JOB_SELECT} WHERE shots.active = 1 AND jobs.take = (SELECT MAX(take) FROM jobs j2 WHERE j2.shot_id = jobs.shot_id) ORDER BY shots.ord`).all() as JobRow[]
    ).map(toJob);
  }

  /** Every take of the active shots' current versions (the row as it is now), in film order then take. */
  currentTakes(): Job[] {
    return (this.stmt(`${JOB_SELECT} WHERE shots.active = 1 AND jobs.spec_hash = shots.spec_hash ORDER BY shots.ord, jobs.take`).all() as JobRow[]).map(toJob);
  }

  /** Shot ids (the storyboard's) of active shots that have no finished take of their current version, in film order. */
  shotsWithoutCurrentClip(): string[] {
    return (
      this.stmt(
        `SELECT shot_key FROM shots WHERE active = 1 AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.shot_id = shots.id AND jobs.spec_hash = shots.spec_hash AND jobs.state = 'succeeded') ORDER BY ord`,
      ).all() as { shot_key: string }[]
    ).map((r) => r.shot_key);
  }

  /** Jobs in the given states, oldest first. */
  jobsIn(states: readonly JobState[]): Job[] {
    const q = `${JOB_SELECT} WHERE jobs.state IN (${states.map(() => '?').join(',')}) ORDER BY shots.ord, jobs.id`;
    return (this.stmt(q).all(...states) as JobRow[]).map(toJob);
  }

  /** Providers that have queued jobs that are not held (one index lookup per provider, in jobs_runnable). */
  queuedProviders(): string[] {
    const out: string[] = [];
    let last = '';
    const next = this.stmt(`SELECT provider FROM jobs INDEXED BY jobs_runnable WHERE state = 'queued' AND hold_reason IS NULL AND provider > ? ORDER BY provider LIMIT 1`);
    for (;;) {
      const r = next.get(last) as { provider: string } | undefined;
      if (!r) return out;
      out.push(r.provider);
      last = r.provider;
    }
  }

  /**
   * Up to `limit` queued jobs of a provider that are due and not held, oldest job first (jobs are
   * created in film order, so this is film order within a take).
   */
  runnableQueued(provider: string, now: number, limit: number): Job[] {
    return (this.stmt(RUNNABLE_QUEUED_SQL).all(provider, now, limit) as JobRow[]).map(toJob);
  }

  /** The earliest next_run_at of a queued, not held job that is not due yet, or undefined. */
  nextQueuedWake(now: number): number | undefined {
    const r = this.stmt(`SELECT MIN(next_run_at) AS t FROM jobs WHERE state = 'queued' AND next_run_at > ? AND hold_reason IS NULL`).get(now) as { t: number | null };
    return r.t ?? undefined;
  }

  /** Ids of the jobs in the given states (cheap: no row is decoded). */
  jobIdsIn(states: readonly JobState[]): number[] {
    return (this.stmt(`SELECT id FROM jobs WHERE state IN (${states.map(() => '?').join(',')})`).all(...states) as { id: number }[]).map((r) => r.id);
  }

  /** Active shots in film order. */
  shots(): ShotRow[] {
    return (this.stmt('SELECT * FROM shots WHERE active = 1 ORDER BY ord').all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as number,
      shotKey: r.shot_key as string,
      order: r.ord as number,
      row: r.row as number,
      spec: JSON.parse(r.spec as string) as Shot,
      specHash: r.spec_hash as string,
      provider: r.provider as string,
      active: !!r.active,
      chosenJobId: (r.chosen_job_id as number) ?? null,
    }));
  }

  /** The length in seconds the shot's row asks for now, or undefined for an unknown shot. */
  shotDuration(shotId: number): number | undefined {
    const r = this.stmt(`SELECT json_extract(spec, '$.duration') AS d FROM shots WHERE id = ?`).get(shotId) as { d: number | null } | undefined;
    return r?.d ?? undefined;
  }

  /** Chooses which succeeded take of a shot the film uses. Throws when the job is not a succeeded take of that shot. */
  chooseTake(shotId: number, jobId: number): void {
    const j = this.job(jobId);
    if (!j || j.shotId !== shotId || j.state !== 'succeeded') throw new Error(`job ${jobId} is not a finished take of shot ${shotId}`);
    // A choice that changes the take is the creator's: a take finishing later no longer replaces it.
    this.stmt('UPDATE shots SET chosen_by_creator = CASE WHEN chosen_job_id IS ? THEN chosen_by_creator ELSE 1 END, chosen_job_id = ? WHERE id = ?').run(jobId, jobId, shotId);
  }

  /**
   * Sets the creator's note on a take (any state; at most 2,000 characters, trimmed). Throws when
   * there is no such job.
   */
  noteTake(jobId: number, note: string): void {
    const r = this.stmt('UPDATE jobs SET note = ? WHERE id = ?').run(note.trim().slice(0, 2000), jobId);
    if (r.changes === 0) throw new Error(`job ${jobId} does not exist`);
  }

  /**
   * Moves a job from `from` to `to` and sets `patch`, in one transaction.
   * Throws {@link StaleJobError} when the job is not in `from`, and Error for a move that
   * {@link TRANSITIONS} does not allow.
   */
  transition(id: number, from: JobState, to: JobState, patch: JobPatch = {}, message?: string): Job {
    return this.transitionTx(id, from, to, patch, message);
  }

  /** The move of {@link transition}, inside the caller's transaction; returns the job as written. */
  private transitionInTx(id: number, from: JobState, to: JobState, patch: JobPatch, message?: string): Job {
    if (!TRANSITIONS[from].includes(to)) throw new Error(`job ${id}: ${from} -> ${to} is not a valid move`);
    const now = this.now();
    const sets = Object.keys(patch).map((k) => `, ${k} = @${k}`).join('');
    const row = this.stmt(`UPDATE jobs SET state = @to, updated_at = @now${sets} WHERE id = @id AND state = @from ${JOB_RETURNING}`).get({ ...patch, to, from, id, now }) as JobRow | undefined;
    if (!row) throw new StaleJobError(`job ${id} is not ${from}`);
    if (from !== to || message) this.stmt('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, ?, ?, ?)').run(id, now, from, to, message ?? null);
    return toJob(row);
  }

  /**
   * Claims a queued job for a submit: `admit` (a budget check, given the job as it is at that moment)
   * either holds it (its hold reason is stored) or lets it go, and then it moves to submitting as
   * attempt n + 1; in one transaction, committed with the other writes of this tick (see
   * {@link transitionGrouped}). Resolves with the job as written and the hold reason, if any;
   * rejects with {@link StaleJobError} when the job is no longer queued.
   */
  claimGrouped(id: number, admit?: (job: Job) => string | null): Promise<{ job: Job; held: string | null }> {
    return this.inGroup(() => this.claimInTx(id, admit));
  }

  private claimInTx(id: number, admit?: (job: Job) => string | null): { job: Job; held: string | null } {
    if (admit) {
      // The guard decides on the job as it is inside this transaction (another process may have moved it).
      const fresh = this.job(id);
      if (!fresh || fresh.state !== 'queued') throw new StaleJobError(`job ${id} is no longer queued`);
      const held = admit(fresh);
      if (held) return { job: this.update(id, { hold_reason: held })!, held };
    }
    // attempts + 1 of the row as it is inside this transaction (the caller's copy may be stale).
    const now = this.now();
    const row = this.stmt(
      `UPDATE jobs SET state = 'submitting', updated_at = ?, attempts = attempts + 1, hold_reason = NULL, error = NULL, error_code = NULL, submit_sent_at = NULL WHERE id = ? AND state = 'queued' ${JOB_RETURNING}`,
    ).get(now, id) as JobRow | undefined;
    if (!row) throw new StaleJobError(`job ${id} is no longer queued`);
    const job = toJob(row);
    this.stmt('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, ?, ?, ?)').run(id, now, 'queued', 'submitting', `attempt ${job.attempts}`);
    return { job, held: null };
  }

  /**
   * {@link transition}, committed together with the other writes asked for in the same tick (group
   * commit): one transaction and one write of the pages they share instead of one each. Resolves
   * with the job as written once it is committed; the caller waits for that before its job's next
   * step outside the database. Rejects as {@link transition} throws (only this write is undone).
   * For moves that record what happened after the fact (a result, a clip in place), where losing
   * the last tick's commits to a crash costs nothing: the next run finds the result again.
   */
  transitionGrouped(id: number, from: JobState, to: JobState, patch: JobPatch = {}, message?: string): Promise<Job> {
    return this.inGroup(() => this.transitionInTx(id, from, to, patch, message));
  }

  /**
   * Records a job's clip: downloading -> succeeded with `patch`, and, by {@link CHOOSE_FINISHED_TAKE_SQL}'s
   * rule, the clip chosen as its shot's take, in one transaction committed with the other writes of
   * this tick (see {@link transitionGrouped}).
   */
  recordClipGrouped(job: Pick<Job, 'id' | 'shotId'>, patch: JobPatch, message: string): Promise<Job> {
    return this.inGroup(() => {
      // The choice first, so the job as written says whether it is the chosen take.
      this.stmt(CHOOSE_FINISHED_TAKE_SQL).run({ job: job.id, shot: job.shotId });
      return this.transitionInTx(job.id, 'downloading', 'succeeded', patch, message);
    });
  }

  /**
   * Marks a job's submit as about to be sent (`submit_sent_at`); resolves with the time stored once
   * the mark is on disk, and only then may the request leave.
   *
   * This is the write that prevents paying twice (a restarted process that finds it does not submit
   * again on its own), so it must survive a power loss, whatever the synchronous mode of the other
   * transactions. The database runs in WAL mode with synchronous = NORMAL: a commit is appended to
   * the WAL but not fsynced (the WAL is synced only at checkpoints), so the last commits before a
   * power cut can vanish; they are durable only against a crash of the process. In WAL mode,
   * synchronous = FULL fsyncs the WAL at each commit, and an fsync covers every frame appended before
   * it: the transaction holding marks is committed with synchronous = FULL (the level cannot change
   * inside a transaction, so it is set just before and restored just after; a connection opened at
   * FULL or EXTRA is left alone). An fsync costs about a millisecond, so the marks asked for in the
   * same tick are committed together with the tick's other writes, one fsync for all (group commit),
   * and each caller waits for its own commit before its request leaves. (A wal_checkpoint would also
   * make it durable, but copies the WAL into the database and syncs both files: more work for the
   * same guarantee.)
   */
  markSubmitSent(id: number): Promise<number> {
    const at = this.now();
    return this.inGroup(() => {
      this.stmt('UPDATE jobs SET submit_sent_at = ?, updated_at = ? WHERE id = ?').run(at, at, id);
      return at;
    }, true);
  }

  /** Queues `write` for this tick's group commit; resolves with its result once committed. */
  private inGroup<T>(write: () => T, durable = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingWrites.push({ write, durable, resolve: resolve as (value: never) => void, reject });
      this.groupFlush ??= setImmediate(() => this.flushGroup());
    });
  }

  /**
   * Commits the writes of the tick in one IMMEDIATE transaction (each in a savepoint), fsynced when
   * one of them must be durable, then settles each one's promise: its result, or its own error.
   */
  private flushGroup(): void {
    this.groupFlush = undefined;
    const batch = this.pendingWrites;
    this.pendingWrites = [];
    if (!batch.length) return;
    let results: GroupResult[];
    try {
      results = batch.some((w) => w.durable) ? this.durably(() => this.groupTx(batch)) : this.groupTx(batch);
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    results.forEach((r, i) => (r.ok ? batch[i].resolve(r.value as never) : batch[i].reject(r.error)));
  }

  /** Runs `commit` (one whole transaction, or one statement outside any) with synchronous = FULL: its commit is fsynced. */
  private durably<T>(commit: () => T): T {
    if (this.syncLevel >= 2) return commit();
    this.stmt('PRAGMA synchronous = FULL').run();
    try {
      return commit();
    } finally {
      this.stmt(`PRAGMA synchronous = ${this.syncLevel}`).run();
    }
  }

  /**
   * Sets fields of a job without changing its state (progress, hold reason). Returns the job as
   * written (undefined when there is no such job).
   */
  update(id: number, patch: JobPatch): Job | undefined {
    const sets = Object.keys(patch).map((k) => `${k} = @${k}, `).join('');
    if (!sets) return this.job(id);
    const row = this.stmt(`UPDATE jobs SET ${sets}updated_at = @now WHERE id = @id ${JOB_RETURNING}`).get({ ...patch, id, now: this.now() }) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  /** Pauses a provider's jobs with a reason ("key rejected"); queued jobs stay queued until resumed. */
  pauseProvider(provider: string, reason: string): void {
    this.stmt('INSERT INTO provider_state (provider, paused_reason, paused_at) VALUES (?, ?, ?) ON CONFLICT (provider) DO UPDATE SET paused_reason = excluded.paused_reason, paused_at = excluded.paused_at').run(provider, reason, this.now());
  }

  /** Resumes a paused provider: its jobs held by the pause may go again. */
  resumeProvider(provider: string): void {
    this.db.transaction(() => {
      this.stmt('DELETE FROM provider_state WHERE provider = ?').run(provider);
      this.stmt(`UPDATE jobs SET hold_reason = NULL WHERE provider = ? AND state = 'queued' AND hold_reason LIKE 'paused:%'`).run(provider);
    })();
  }

  /** Paused providers and why. */
  pausedProviders(): Map<string, string> {
    const rows = this.stmt('SELECT provider, paused_reason FROM provider_state WHERE paused_reason IS NOT NULL').all() as { provider: string; paused_reason: string }[];
    return new Map(rows.map((r) => [r.provider, r.paused_reason]));
  }

  /** The state history of a job. */
  events(jobId: number): { at: number; from: string | null; to: string; message: string | null }[] {
    return this.stmt('SELECT at, from_state AS "from", to_state AS "to", message FROM job_events WHERE job_id = ? ORDER BY id').all(jobId) as never;
  }
}
