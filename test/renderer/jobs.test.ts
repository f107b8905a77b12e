/**
 * The renderer's jobs slice (renderer/src/jobs.ts): a batch of job updates applied incrementally
 * gives the same ids, counts, latest takes and providers as building from the whole list, and
 * what a batch did not change keeps its identity (so components selecting it do not render again).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { JobView } from '../../main/contract/api';
import { applyJobChanges, jobsDataOf, NO_JOBS, type JobsData } from '../../renderer/src/jobs';

const STATES: JobView['state'][] = ['queued', 'submitting', 'running', 'downloading', 'succeeded', 'failed', 'canceled'];

function job(id: number, over: Partial<JobView> = {}): JobView {
  return { id, shotId: id, shot: String(id), order: id, take: 1, seed: null, chosen: false, newTake: false, edit: null, durationS: null, provider: 'preview', state: 'queued', progress: 0, attempts: 0, error: null, holdReason: null, estimate: '-', actual: '-', notes: [], note: '', maybeDuplicate: false, clipUrl: null, ...over };
}

const comparable = (d: JobsData) => ({ ids: d.jobIds, byId: [...d.jobById.entries()].sort((a, b) => a[0] - b[0]), total: d.jobStats.total, byState: d.jobStats.byState, ended: d.jobStats.ended, progress: Math.round(d.jobStats.progress * 1e6) || 0, latest: [...d.latestTake.entries()].sort((a, b) => a[0] - b[0]), providers: d.jobProviders });

describe('renderer jobs slice', () => {
  it('applies batches of updates like a rebuild from the whole list', () => {
    const update = fc.record({
      id: fc.integer({ min: 1, max: 40 }),
      shotId: fc.integer({ min: 1, max: 15 }),
      order: fc.integer({ min: 0, max: 15 }),
      take: fc.integer({ min: 1, max: 3 }),
      provider: fc.constantFrom('preview', 'ltx', 'local'),
      state: fc.constantFrom(...STATES),
      progress: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(update, { maxLength: 12 }), { maxLength: 8 }), (batches) => {
        let d = NO_JOBS;
        const all = new Map<number, JobView>();
        for (const b of batches) {
          const views = b.map((u) => job(u.id, u));
          for (const v of views) all.set(v.id, v);
          d = applyJobChanges(d, views);
          expect(comparable(d)).toEqual(comparable(jobsDataOf(all.values())));
        }
      }),
      // A fixed seed, as the CSV fuzz test: CI runs the same cases each time (FC_SEED replays another).
      { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20240611) },
    );
  });

  it('keeps what a batch did not change: other jobs, the id list, unchanged counts', () => {
    const d0 = jobsDataOf(Array.from({ length: 1000 }, (_, i) => job(i + 1)));
    const moved = job(5, { state: 'running', progress: 0.5 });
    const d1 = applyJobChanges(d0, [moved]);
    expect(d1.jobById.get(5)).toBe(moved);
    expect(d1.jobById.get(6)).toBe(d0.jobById.get(6));
    expect(d1.jobIds).toBe(d0.jobIds);
    expect(d1.latestTake).toBe(d0.latestTake);
    expect(d1.jobProviders).toBe(d0.jobProviders);
    expect(d1.jobStats).not.toBe(d0.jobStats);
    expect(d1.jobStats.byState.running).toBe(1);
    // A note changing leaves the counts as they were.
    const d2 = applyJobChanges(d1, [{ ...moved, notes: ['a note'] }]);
    expect(d2.jobStats).toBe(d1.jobStats);
    // Nothing new: the same data.
    expect(applyJobChanges(d2, [d2.jobById.get(7)!])).toBe(d2);
    // New jobs after the last are appended, a new take of a shot moves its latest take.
    const d3 = applyJobChanges(d2, [job(1001, { order: 2000 }), job(1002, { shotId: 3, order: 3, take: 2 })]);
    expect(d3.jobIds.slice(0, 5)).toEqual([1, 2, 3, 1002, 4]);
    expect(d3.jobIds.at(-1)).toBe(1001);
    expect(d3.latestTake.get(3)).toBe(2);
  });
});
