/**
 * The project store: shots and jobs of one output folder in DIR/project.sqlite.
 *
 * Every state change is one transaction that checks the state it moves from (so two processes, or a
 * stale worker, cannot both move a job) and appends to job_events.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { openDatabase, type Db } from './db';
import { MIGRATIONS } from './migrations';
import { TRANSITIONS, type Job, type JobState } from './job';
import type { Shot } from '../storyboard/shot';
import type { CostEstimate, ProviderRequest } from '../providers/provider';

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
}

/** What syncing a storyboard into the store did. */
export interface SyncResult {
  /** Shots that got a new job (first take, changed shot, or a failed/canceled one re-run). */
  queued: number;
  /** Shots whose finished clip is kept. */
  kept: number;
  /** Shots with a job still in flight from an earlier run (resumed). */
  resumed: number;
  /** Shots no longer in the storyboard (kept in the database, left out of the film). */
  removed: number;
}

/**
 * Hash of what determines a clip: the shot's content, the provider and the request sent to it
 * (so a change that only reaches the request, e.g. a control mode read from notes, is a new take).
 */
export function specHash(shot: Shot, provider: string, request?: ProviderRequest): string {
  const { row: _row, order: _order, notes: _notes, metadata: _metadata, ...rest } = shot;
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
  gpu_seconds: number | null;
  hold_reason: string | null;
  error: string | null;
  error_code: string | null;
  notes: string;
  maybe_duplicate: number;
  output: string | null;
  submitted_at: number | null;
  finished_at: number | null;
}>;

const JOB_SELECT = `SELECT jobs.*, shots.shot_key, shots.ord FROM jobs JOIN shots ON shots.id = jobs.shot_id`;

/** The store of one project (output folder). */
export class ProjectStore {
  readonly db: Db;
  /** Clock, replaceable in tests (epoch ms). */
  now: () => number = () => Date.now();

  /** Opens DIR/project.sqlite, creating it and applying migrations. */
  constructor(readonly dir: string) {
    this.db = openDatabase(path.join(dir, 'project.sqlite'), MIGRATIONS);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Brings the store in line with a storyboard, in one transaction. Finished shots whose content
   * and provider did not change keep their clip; changed, new, failed or canceled shots get a new
   * job (a new take); jobs in flight from an earlier run are resumed as they are. Shots that left
   * the storyboard are marked inactive and their queued jobs canceled.
   * `clipExists` tells whether a succeeded job's clip is still on disk (a deleted clip is re-rendered).
   */
  syncStoryboard(file: string, hash: string, planned: PlannedShot[], clipExists: (output: string) => boolean): SyncResult {
    const now = this.now();
    const res: SyncResult = { queued: 0, kept: 0, resumed: 0, removed: 0 };
    const tx = this.db.transaction(() => {
      this.db.prepare('INSERT INTO storyboards (file, hash, imported_at) VALUES (?, ?, ?)').run(file, hash, now);
      const keys = new Set(planned.map((p) => p.shot.id));
      for (const s of this.db.prepare('SELECT id, shot_key FROM shots WHERE active = 1').all() as { id: number; shot_key: string }[]) {
        if (keys.has(s.shot_key)) continue;
        this.db.prepare('UPDATE shots SET active = 0, updated_at = ? WHERE id = ?').run(now, s.id);
        for (const j of this.db.prepare(`SELECT id, state FROM jobs WHERE shot_id = ? AND state = 'queued'`).all(s.id) as { id: number; state: JobState }[]) {
          this.transitionInTx(j.id, 'queued', 'canceled', { finished_at: now, error: 'shot removed from the storyboard' }, 'shot removed from the storyboard');
        }
        res.removed++;
      }
      const upsert = this.db.prepare(
        `INSERT INTO shots (shot_key, ord, row, spec, spec_hash, provider, active, updated_at) VALUES (@key, @ord, @row, @spec, @hash, @provider, 1, @now)
         ON CONFLICT (shot_key) DO UPDATE SET ord = @ord, row = @row, spec = @spec, spec_hash = @hash, provider = @provider, active = 1, updated_at = @now RETURNING id`,
      );
      for (const p of planned) {
        const hashOf = specHash(p.shot, p.provider, p.request);
        const { id: shotId } = upsert.get({ key: p.shot.id, ord: p.shot.order, row: p.shot.row, spec: JSON.stringify(p.shot), hash: hashOf, provider: p.provider, now }) as { id: number };
        const latest = this.db.prepare('SELECT * FROM jobs WHERE shot_id = ? ORDER BY take DESC LIMIT 1').get(shotId) as JobRow | undefined;
        const sameSpec = latest?.spec_hash === hashOf;
        if (latest && sameSpec && latest.state === 'succeeded' && latest.output && clipExists(latest.output as string)) {
          res.kept++;
          continue;
        }
        if (latest && sameSpec && !['succeeded', 'failed', 'canceled'].includes(latest.state as string)) {
          // Resume as is; a queued job may have been held for budget: let it be re-evaluated.
          // (Never a job held because it may have been submitted twice: only the creator releases that.)
          this.db.prepare('UPDATE jobs SET hold_reason = NULL, updated_at = ? WHERE id = ? AND (hold_reason IS NULL OR hold_reason <> ?)').run(now, latest.id, FLAGGED_HOLD);
          res.resumed++;
          continue;
        }
        if (latest && !['succeeded', 'failed', 'canceled'].includes(latest.state as string)) {
          // The shot changed while a take was queued: cancel the old queued take; in-flight ones finish.
          if (latest.state === 'queued') this.transitionInTx(latest.id as number, 'queued', 'canceled', { finished_at: now, error: 'replaced by a new take: the shot changed' }, 'shot changed');
        }
        this.insertJob(shotId, p, hashOf, ((latest?.take as number) ?? 0) + 1, now);
        res.queued++;
      }
    });
    tx.immediate();
    return res;
  }

  private insertJob(shotId: number, p: PlannedShot, hashOf: string, take: number, now: number): number {
    const est = p.estimate;
    const usd = est.usdPerUnit !== undefined ? est.max * est.usdPerUnit : null;
    const info = this.db
      .prepare(
        `INSERT INTO jobs (shot_id, take, provider, spec_hash, request, state, next_run_at, estimate_unit, estimate_min, estimate_max, estimate_usd, notes, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(shotId, take, p.provider, hashOf, JSON.stringify(p.request), est.unit, est.min, est.max, usd, JSON.stringify(p.request.notes ?? []), now, now);
    const id = Number(info.lastInsertRowid);
    this.db.prepare('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, NULL, ?, ?)').run(id, now, 'queued', `take ${take} queued`);
    return id;
  }

  /**
   * Queues a new take of a shot (re-render), with the same request as its latest job.
   * Returns the new job's id. Throws when the shot is unknown.
   */
  newTake(shotId: number): number {
    return this.db.transaction(() => {
      const latest = this.db.prepare('SELECT * FROM jobs WHERE shot_id = ? ORDER BY take DESC LIMIT 1').get(shotId) as JobRow | undefined;
      if (!latest) throw new Error(`shot ${shotId} has no job to take again`);
      const now = this.now();
      const info = this.db
        .prepare(
          `INSERT INTO jobs (shot_id, take, provider, spec_hash, request, state, next_run_at, estimate_unit, estimate_min, estimate_max, estimate_usd, notes, created_at, updated_at)
           SELECT shot_id, take + 1, provider, spec_hash, request, 'queued', 0, estimate_unit, estimate_min, estimate_max, estimate_usd, notes, ?, ? FROM jobs WHERE id = ?`,
        )
        .run(now, now, latest.id);
      const id = Number(info.lastInsertRowid);
      this.db.prepare('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, NULL, ?, ?)').run(id, now, 'queued', 're-render requested');
      return id;
    })();
  }

  /**
   * The creator's go-ahead for jobs held as "may have been submitted twice" (all of them, or the
   * ones in `jobIds`): they are submitted again by the next run. Returns how many were released.
   */
  releaseFlagged(jobIds?: number[]): number {
    const now = this.now();
    const rows = this.db.prepare(`SELECT id FROM jobs WHERE state = 'queued' AND hold_reason = ?`).all(FLAGGED_HOLD) as { id: number }[];
    let n = 0;
    this.db.transaction(() => {
      for (const { id } of rows) {
        if (jobIds && !jobIds.includes(id)) continue;
        this.db.prepare('UPDATE jobs SET hold_reason = NULL, next_run_at = 0, updated_at = ? WHERE id = ?').run(now, id);
        this.db.prepare('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, ?, ?, ?)').run(id, now, 'queued', 'queued', 'resubmit approved by you (it may have been submitted twice)');
        n++;
      }
    }).immediate();
    return n;
  }

  /** The project's render budget in USD (saved with the project), or undefined for none. */
  renderBudget(): number | undefined {
    const r = this.db.prepare(`SELECT value FROM project_settings WHERE key = 'render_budget_usd'`).get() as { value: string } | undefined;
    const n = r ? Number(r.value) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }

  /** Saves the project's render budget in USD (undefined removes it). */
  setRenderBudget(usd: number | undefined): void {
    if (usd === undefined) this.db.prepare(`DELETE FROM project_settings WHERE key = 'render_budget_usd'`).run();
    else this.db.prepare(`INSERT INTO project_settings (key, value) VALUES ('render_budget_usd', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(usd));
  }

  /**
   * USD the project's jobs other than `exceptJobId` have committed: the actual cost of finished
   * or charged jobs, or their estimate while the service has not said (refunded jobs count 0).
   */
  committedUsd(exceptJobId = -1): number {
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(CASE WHEN refunded = 1 THEN 0 ELSE COALESCE(actual_usd, estimate_usd, 0) END), 0) AS usd
         FROM jobs WHERE id != ? AND (state IN ('submitting','running','downloading','succeeded') OR (state IN ('failed','canceled','queued') AND submitted_at IS NOT NULL))`,
      )
      .get(exceptJobId) as { usd: number };
    return row.usd;
  }

  /** One job by id, or undefined. */
  job(id: number): Job | undefined {
    const r = this.db.prepare(`${JOB_SELECT} WHERE jobs.id = ?`).get(id) as JobRow | undefined;
    return r ? toJob(r) : undefined;
  }

  /** All jobs, in film order then take. */
  jobs(): Job[] {
    return (this.db.prepare(`${JOB_SELECT} ORDER BY shots.ord, jobs.take`).all() as JobRow[]).map(toJob);
  }

  /** The latest take of every active shot, in film order. */
  latestJobs(): Job[] {
    return (
      this.db
        .prepare(`${JOB_SELECT} WHERE shots.active = 1 AND jobs.take = (SELECT MAX(take) FROM jobs j2 WHERE j2.shot_id = jobs.shot_id) ORDER BY shots.ord`)
        .all() as JobRow[]
    ).map(toJob);
  }

  /** Jobs in the given states, oldest first. */
  jobsIn(states: readonly JobState[]): Job[] {
    const q = `${JOB_SELECT} WHERE jobs.state IN (${states.map(() => '?').join(',')}) ORDER BY shots.ord, jobs.id`;
    return (this.db.prepare(q).all(...states) as JobRow[]).map(toJob);
  }

  /** Providers that have queued jobs (one index lookup per provider). */
  queuedProviders(): string[] {
    const out: string[] = [];
    let last = '';
    const next = this.db.prepare(`SELECT provider FROM jobs WHERE state = 'queued' AND provider > ? ORDER BY provider LIMIT 1`);
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
    const q = `${JOB_SELECT} WHERE jobs.state = 'queued' AND jobs.provider = ? AND jobs.next_run_at <= ? AND jobs.hold_reason IS NULL ORDER BY jobs.id LIMIT ?`;
    return (this.db.prepare(q).all(provider, now, limit) as JobRow[]).map(toJob);
  }

  /** The earliest next_run_at of a queued, not held job that is not due yet, or undefined. */
  nextQueuedWake(now: number): number | undefined {
    const r = this.db.prepare(`SELECT MIN(next_run_at) AS t FROM jobs WHERE state = 'queued' AND next_run_at > ? AND hold_reason IS NULL`).get(now) as { t: number | null };
    return r.t ?? undefined;
  }

  /** Ids of the jobs in the given states (cheap: no row is decoded). */
  jobIdsIn(states: readonly JobState[]): number[] {
    return (this.db.prepare(`SELECT id FROM jobs WHERE state IN (${states.map(() => '?').join(',')})`).all(...states) as { id: number }[]).map((r) => r.id);
  }

  /** Active shots in film order. */
  shots(): ShotRow[] {
    return (this.db.prepare('SELECT * FROM shots WHERE active = 1 ORDER BY ord').all() as Record<string, unknown>[]).map((r) => ({
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

  /** Chooses which succeeded take of a shot the film uses. Throws when the job is not a succeeded take of that shot. */
  chooseTake(shotId: number, jobId: number): void {
    const j = this.job(jobId);
    if (!j || j.shotId !== shotId || j.state !== 'succeeded') throw new Error(`job ${jobId} is not a finished take of shot ${shotId}`);
    this.db.prepare('UPDATE shots SET chosen_job_id = ? WHERE id = ?').run(jobId, shotId);
  }

  /**
   * Moves a job from `from` to `to` and sets `patch`, in one transaction.
   * Throws {@link StaleJobError} when the job is not in `from`, and Error for a move that
   * {@link TRANSITIONS} does not allow.
   */
  transition(id: number, from: JobState, to: JobState, patch: JobPatch = {}, message?: string): Job {
    this.db.transaction(() => this.transitionInTx(id, from, to, patch, message)).immediate();
    return this.job(id)!;
  }

  private transitionInTx(id: number, from: JobState, to: JobState, patch: JobPatch, message?: string): void {
    if (!TRANSITIONS[from].includes(to)) throw new Error(`job ${id}: ${from} -> ${to} is not a valid move`);
    const now = this.now();
    const sets = Object.keys(patch).map((k) => `${k} = @${k}`);
    const sql = `UPDATE jobs SET state = @to, updated_at = @now${sets.length ? `, ${sets.join(', ')}` : ''} WHERE id = @id AND state = @from`;
    const info = this.db.prepare(sql).run({ ...patch, to, from, id, now });
    if (info.changes !== 1) throw new StaleJobError(`job ${id} is not ${from}`);
    if (from !== to || message) this.db.prepare('INSERT INTO job_events (job_id, at, from_state, to_state, message) VALUES (?, ?, ?, ?, ?)').run(id, now, from, to, message ?? null);
  }

  /** Sets fields of a job without changing its state (progress, hold reason). */
  update(id: number, patch: JobPatch): void {
    const sets = Object.keys(patch).map((k) => `${k} = @${k}`);
    if (!sets.length) return;
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')}, updated_at = @now WHERE id = @id`).run({ ...patch, id, now: this.now() });
  }

  /** Pauses a provider's jobs with a reason ("key rejected"); queued jobs stay queued until resumed. */
  pauseProvider(provider: string, reason: string): void {
    this.db.prepare('INSERT INTO provider_state (provider, paused_reason, paused_at) VALUES (?, ?, ?) ON CONFLICT (provider) DO UPDATE SET paused_reason = excluded.paused_reason, paused_at = excluded.paused_at').run(provider, reason, this.now());
  }

  /** Resumes a paused provider: its jobs held by the pause may go again. */
  resumeProvider(provider: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM provider_state WHERE provider = ?').run(provider);
      this.db.prepare(`UPDATE jobs SET hold_reason = NULL WHERE provider = ? AND state = 'queued' AND hold_reason LIKE 'paused:%'`).run(provider);
    })();
  }

  /** Paused providers and why. */
  pausedProviders(): Map<string, string> {
    const rows = this.db.prepare('SELECT provider, paused_reason FROM provider_state WHERE paused_reason IS NOT NULL').all() as { provider: string; paused_reason: string }[];
    return new Map(rows.map((r) => [r.provider, r.paused_reason]));
  }

  /** The state history of a job. */
  events(jobId: number): { at: number; from: string | null; to: string; message: string | null }[] {
    return this.db.prepare('SELECT at, from_state AS "from", to_state AS "to", message FROM job_events WHERE job_id = ? ORDER BY id').all(jobId) as never;
  }
}
