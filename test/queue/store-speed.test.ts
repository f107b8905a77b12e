/**
 * The store's fast paths keep their meaning: the next queued jobs come from the index that matches
 * the query (no sort, no scan), the running committed-USD total equals the full SUM it replaced
 * over random histories, the submit mark is committed with synchronous = FULL (grouped), and a run
 * compiles no statement per job.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/queue/db';
import { MIGRATIONS } from '../../main/queue/migrations';
import { ProjectStore, RUNNABLE_QUEUED_SQL, type JobPatch, type PlannedShot } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { TRANSITIONS, type JobState } from '../../main/queue/job';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import type { Provider } from '../../main/providers/provider';
import type { Shot } from '../../main/storyboard/shot';
import { renderBudgetGuard } from '../../main/pricing/render-budget';
import { tmpDir } from '../helpers/tmp';

const SEED = Number(process.env.FC_SEED ?? 20_261_202);

/** The full SUM committedUsd used before migration 6 (the meaning the running total must keep). */
function summedUsd(store: ProjectStore, exceptJobId = -1): number {
  return (
    store.db
      .prepare(
        `SELECT COALESCE(SUM(CASE WHEN refunded = 1 THEN 0 ELSE COALESCE(actual_usd, estimate_usd, 0) END), 0) AS usd
         FROM jobs WHERE id != ? AND (state IN ('submitting','running','downloading','succeeded') OR (state IN ('failed','canceled','queued') AND submitted_at IS NOT NULL))`,
      )
      .get(exceptJobId) as { usd: number }
  ).usd;
}

let shotN = 0;
/** A planned shot for `provider` with an estimate of `usd` (null: credits without a known rate). */
function planned(provider: string, usd: number | null): PlannedShot {
  shotN++;
  const shot = { id: `s${shotN}`, order: shotN, row: shotN + 1, prompt: `shot ${shotN}`, mode: 't2v', duration: 2, resolution: '720p', aspectRatio: '16:9', fps: 25, seed: shotN, loras: [], metadata: {} } as unknown as Shot;
  return {
    shot,
    provider,
    request: { body: { prompt: shot.prompt }, route: 'bench' },
    estimate: usd === null ? { unit: 'credits', min: 1, max: 1, basis: 'test' } : { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: 'test' },
  };
}

const plannedOf = new WeakMap<ProjectStore, PlannedShot[]>();
/** Adds shots to a store's storyboard (syncStoryboard keeps active only the shots it is given: all of them again). */
function addShots(store: ProjectStore, shots: PlannedShot[]): void {
  const all = [...(plannedOf.get(store) ?? []), ...shots];
  plannedOf.set(store, all);
  store.syncStoryboard('sb.csv', `h${shotN}`, all, () => true);
}

describe('picking the next queued jobs', () => {
  it('uses the jobs_runnable index: no temporary B-tree for the order, no full scan, with or without ANALYZE statistics', () => {
    const store = new ProjectStore(tmpDir());
    addShots(store, Array.from({ length: 400 }, (_, i) => planned(i % 3 ? 'a' : 'b', 0.5)));
    const ids = store.jobs().map((j) => j.id);
    for (const id of ids.slice(0, 100)) store.update(id, { hold_reason: 'over budget: test' });
    for (const id of ids.slice(100, 150)) store.update(id, { next_run_at: Date.now() + 60_000 });
    for (const id of ids.slice(150, 200)) store.transition(id, 'queued', 'submitting');
    const plan = () => (store.db.prepare(`EXPLAIN QUERY PLAN ${RUNNABLE_QUEUED_SQL}`).all('a', Date.now(), 10) as { detail: string }[]).map((r) => r.detail);
    for (const when of ['without statistics', 'after ANALYZE']) {
      if (when === 'after ANALYZE') store.db.exec('ANALYZE');
      const details = plan();
      expect(details.join(' | '), when).toMatch(/SEARCH jobs USING INDEX jobs_runnable \(provider=\?\)/);
      expect(details.join(' | '), when).not.toMatch(/TEMP B-TREE|SCAN /);
    }
    store.close();
  });

  it('returns what the unindexed query returns (due, not held, queued, oldest first)', () => {
    const store = new ProjectStore(tmpDir());
    addShots(store, Array.from({ length: 200 }, (_, i) => planned(['a', 'b'][i % 2], 1)));
    const now = Date.now();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(199), fc.constantFrom('hold', 'later', 'due', 'claim', 'release')), { maxLength: 40 }), fc.nat(30), (ops, limit) => {
        const ids = store.jobs().map((j) => j.id);
        for (const [k, op] of ops) {
          const job = store.job(ids[k])!;
          if (op === 'hold') store.update(job.id, { hold_reason: 'held' });
          else if (op === 'release') store.update(job.id, { hold_reason: null });
          else if (op === 'later') store.update(job.id, { next_run_at: now + 1_000 });
          else if (op === 'due') store.update(job.id, { next_run_at: now - 1 });
          else if (job.state === 'queued') store.transition(job.id, 'queued', 'submitting');
          else if (job.state === 'submitting') store.transition(job.id, 'submitting', 'queued');
        }
        for (const provider of ['a', 'b']) {
          const expected = (
            store.db
              .prepare(`SELECT jobs.id FROM jobs NOT INDEXED WHERE state = 'queued' AND provider = ? AND next_run_at <= ? AND hold_reason IS NULL ORDER BY id LIMIT ?`)
              .all(provider, now, limit) as { id: number }[]
          ).map((r) => r.id);
          expect(store.runnableQueued(provider, now, limit).map((j) => j.id)).toEqual(expected);
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
    store.close();
  });
});

describe('committedUsd as a running total', () => {
  /** One random change to the project: a move, a field update, a new take, new shots, a removed shot. */
  const opArb = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('move' as const), pick: fc.nat(), to: fc.nat(), patch: patchArb() }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), patch: patchArb() }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('take' as const), pick: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('shots' as const), usd: fc.array(fc.option(usdArb(), { nil: null }), { minLength: 1, maxLength: 4 }) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 1 },
  );
  function usdArb() {
    return fc.oneof(fc.double({ min: 0, max: 500, noNaN: true }), fc.constantFrom(0.1, 0.2, 0.3, 1e-9, 0.01, 3.3333333333333335));
  }
  /** Any subset of the columns the total depends on (besides the state), each with a random value. */
  function patchArb() {
    return fc.record({
      keys: fc.subarray(['submitted', 'actual', 'refunded'] as const),
      submitted: fc.boolean(),
      actual: fc.option(usdArb(), { nil: null }),
      refunded: fc.constantFrom(0, 1),
    });
  }
  type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

  function apply(store: ProjectStore, op: Op, now: number): void {
    const count = (store.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const picked = count ? (store.db.prepare('SELECT id FROM jobs ORDER BY id LIMIT 1 OFFSET ?').get(('pick' in op ? op.pick : 0) % count) as { id: number }) : undefined;
    const job = picked && store.job(picked.id);
    const toPatch = (p: { keys: readonly string[]; submitted: boolean; actual: number | null; refunded: number }): JobPatch => ({
      ...(p.keys.includes('submitted') ? { submitted_at: p.submitted ? now : null } : {}),
      ...(p.keys.includes('actual') ? { actual_usd: p.actual } : {}),
      ...(p.keys.includes('refunded') ? { refunded: p.refunded } : {}),
    });
    switch (op.kind) {
      case 'shots':
        addShots(store, op.usd.map((u) => planned('a', u)));
        return;
      case 'move': {
        if (!job) return;
        const moves = TRANSITIONS[job.state];
        if (!moves.length) return void store.newTake(job.shotId);
        store.transition(job.id, job.state, moves[op.to % moves.length] as JobState, toPatch(op.patch));
        return;
      }
      case 'update':
        if (job) store.update(job.id, toPatch(op.patch));
        return;
      case 'take':
        if (job) store.newTake(job.shotId);
        return;
      case 'delete':
        if (job) store.db.prepare('DELETE FROM shots WHERE id = ?').run(job.shotId);
        return;
    }
  }

  function expectSame(store: ProjectStore, exceptJobId: number): void {
    const total = store.committedUsd(exceptJobId);
    const sum = summedUsd(store, exceptJobId);
    expect(Math.abs(total - sum), `committedUsd(${exceptJobId}) = ${total}, SUM = ${sum}`).toBeLessThanOrEqual(1e-9);
  }

  it('equals the full SUM after every step of random histories (moves, costs, refunds, new takes, removed shots)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(usdArb(), { nil: null }), { minLength: 2, maxLength: 8 }), fc.array(opArb, { minLength: 20, maxLength: 60 }), (first, ops) => {
        const store = new ProjectStore(tmpDir());
        try {
          const now = Date.now();
          addShots(store, first.map((u) => planned('a', u)));
          for (const op of ops) {
            apply(store, op, now);
            const ids = store.jobs().map((j) => j.id);
            expectSame(store, -1);
            for (const id of ids.slice(0, 3)) expectSame(store, id);
            if (ids.length) expectSame(store, ids[ids.length - 1]);
          }
        } finally {
          store.close();
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('stays equal over a long history (no drift: 3,000 changes of amounts from $0.000000001 to $500)', () => {
    const store = new ProjectStore(tmpDir());
    const ops = fc.sample(opArb, { seed: SEED, numRuns: 3_000 });
    const now = Date.now();
    addShots(store, Array.from({ length: 20 }, (_, i) => planned('a', i % 5 ? i * 0.37 : null)));
    for (const [i, op] of ops.entries()) {
      apply(store, op, now);
      if (i % 200 === 0) expectSame(store, -1);
    }
    expectSame(store, -1);
    for (const j of store.jobs().slice(0, 20)) expectSame(store, j.id);
    store.close();
  });

  it('starts from the SUM of the jobs a project already had when the migration ran', () => {
    const dir = tmpDir();
    const old = openDatabase(path.join(dir, 'project.sqlite'), MIGRATIONS.slice(0, 5));
    old.prepare(`INSERT INTO shots (id, shot_key, ord, row, spec, spec_hash, provider, updated_at) VALUES (1, 'a', 0, 2, '{}', 'h', 'a', 0)`).run();
    const ins = old.prepare(`INSERT INTO jobs (shot_id, take, provider, spec_hash, request, state, estimate_usd, actual_usd, refunded, submitted_at, created_at, updated_at) VALUES (1, ?, 'a', 'h', '{}', ?, ?, ?, ?, ?, 0, 0)`);
    ins.run(1, 'succeeded', 1.5, 1.25, 0, 1);
    ins.run(2, 'failed', 2, null, 0, 1);
    ins.run(3, 'failed', 4, null, 0, null);
    ins.run(4, 'running', 0.7, 0.7, 1, 1);
    ins.run(5, 'queued', 8, null, 0, null);
    old.close();
    const store = new ProjectStore(dir);
    expect(store.committedUsd()).toBeCloseTo(3.25, 12);
    expectSame(store, -1);
    for (const j of store.jobs()) expectSame(store, j.id);
    store.close();
  });
});

/** A remote provider that answers at once; its "download" writes a few bytes. */
function zeroProvider(): Provider {
  const preview = createPreviewProvider();
  let n = 0;
  return {
    id: 'a', label: 'zero', kind: 'remote', doc: 'test',
    capabilities: () => preview.capabilities(),
    limits: () => ({ concurrency: 8, requestsPerMinute: null }),
    availability: () => ({ ok: true }),
    validate: (s) => preview.validate(s),
    estimate: () => ({ unit: 'USD', min: 0.01, max: 0.01, usdPerUnit: 1, basis: 'test' }),
    submit: async () => ({ taskId: `t${n++}`, firstPollMs: 0 }),
    poll: async () => ({ status: 'succeeded', result: { kind: 'task' }, actual: { unit: 'USD', amount: 0.01 } }),
    download: async (_t, _r, dest) => fs.writeFileSync(dest, 'clip'),
  };
}

/** Calls `fn` with every statement execution (its SQL) and compile logged; restores better-sqlite3 after. */
async function logged<T>(fn: (log: string[], compiled: () => number) => Promise<T>): Promise<T> {
  const probe = new Database(':memory:');
  const stmtProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  const dbProto = Database.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const log: string[] = [];
  let compiled = 0;
  const saved: [Record<string, (...a: unknown[]) => unknown>, string, (...a: unknown[]) => unknown][] = [];
  const wrap = (proto: Record<string, (...a: unknown[]) => unknown>, name: string, note: (self: { source: string }) => void) => {
    const orig = proto[name];
    saved.push([proto, name, orig]);
    proto[name] = function (this: { source: string }, ...args: unknown[]) {
      note(this);
      return orig.apply(this, args);
    };
  };
  for (const m of ['run', 'get', 'all', 'iterate']) wrap(stmtProto, m, (self) => log.push(self.source));
  wrap(dbProto, 'prepare', () => compiled++);
  try {
    return await fn(log, () => compiled);
  } finally {
    for (const [proto, name, orig] of saved) proto[name] = orig;
  }
}

describe('the submit mark', () => {
  it('is committed with synchronous = FULL (the WAL is fsynced), marks of one tick in one transaction, and the level restored', async () => {
    const store = new ProjectStore(tmpDir());
    addShots(store, [planned('a', 1), planned('a', 1), planned('a', 1)]);
    const ids = store.jobs().map((j) => j.id);
    for (const id of ids) store.transition(id, 'queued', 'submitting');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    const log = await logged(async (log) => {
      const at = await Promise.all(ids.map((id) => store.markSubmitSent(id)));
      for (const [i, id] of ids.entries()) expect(store.job(id)!.submitSentAt).toBe(at[i]);
      return log;
    });
    const mark = 'UPDATE jobs SET submit_sent_at = ?, updated_at = ? WHERE id = ?';
    // (each write of a group runs in its own savepoint: left out here)
    expect(log.filter((sql) => !/^(SAVEPOINT|RELEASE) /.test(sql)).slice(0, 7)).toEqual(['PRAGMA synchronous = FULL', 'BEGIN IMMEDIATE', mark, mark, mark, 'COMMIT', 'PRAGMA synchronous = 1']);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    store.close();
  });

  it('a pending mark is committed when the store closes', async () => {
    const dir = tmpDir();
    const store = new ProjectStore(dir);
    addShots(store, [planned('a', 1)]);
    const [job] = store.jobs();
    store.transition(job.id, 'queued', 'submitting');
    const marked = store.markSubmitSent(job.id);
    store.close();
    const at = await marked;
    const again = new ProjectStore(dir);
    expect(again.job(job.id)!.submitSentAt).toBe(at);
    again.close();
  });
});

describe('a run through every state', () => {
  it('compiles no statement per job and reads no job back after writing it', async () => {
    const counts: Record<number, { compiled: number; perJob: number; reads: number }> = {};
    for (const jobs of [60, 120]) {
      const dir = tmpDir();
      const store = new ProjectStore(dir);
      addShots(store, Array.from({ length: jobs }, () => planned('a', 0.01)));
      const runner = new QueueRunner(store, new ProviderRegistry([zeroProvider()]), { outDir: dir, pollIntervalMs: 0, verifyClip: async () => {}, guard: renderBudgetGuard(store, () => 1_000, () => undefined) });
      counts[jobs] = await logged(async (log, compiled) => {
        const summary = await runner.run();
        expect(summary.succeeded).toBe(jobs);
        const reads = log.filter((s) => /^SELECT jobs\.\*.* WHERE jobs\.id = \?$/.test(s)).length;
        return { compiled: compiled(), perJob: log.length / jobs, reads: reads / jobs };
      });
      store.close();
    }
    // Compiles are the first use of each statement: as many for 120 jobs as for 60.
    expect(counts[120].compiled).toBe(counts[60].compiled);
    // One read of a job (the budget check's, inside the claim); about 27 statements a job (BEGIN and
    // COMMIT included): the claim, the durable mark, three moves, the picks of the next jobs.
    expect(counts[120].reads).toBeLessThanOrEqual(1);
    expect(counts[120].perJob).toBeLessThan(30);
  });
});
