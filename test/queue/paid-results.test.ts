/**
 * A result the service delivered (and charged for) is never deleted before it is a clip: not by
 * a stop (Ctrl-C, app quit), not by a crash right after it was moved, not by an export during a
 * render. The next run finishes such a job from the staged file instead of paying again.
 * Provider: ltx in its synchronous form (the answer is the MP4 itself) against its simulator.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createLtxProvider } from '../../main/providers/ltx/ltx';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { exportFilm } from '../../main/project/render-storyboard';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';
import { tmpDir, withFiles } from '../helpers/tmp';

const KEY = 'ltx-paid-results-key-5150';
let sim: LtxSimulator;
beforeAll(async () => {
  sim = await startLtxSimulator({ apiKey: KEY, renderMs: 30, shrinkVideos: true, v2: false, concurrency: 10 });
});
afterAll(() => sim.close());

async function project(shots: number) {
  const provider = createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_API_FORM: 'v1', LTX_CONCURRENCY: '10', LTX_BATCH_POLL_SCALE: '0.001' });
  const reg = new ProviderRegistry([provider]);
  const csv = ['shot,prompt,duration,resolution,provider', ...Array.from({ length: shots }, (_, i) => `${i + 1},paid result ${process.pid} ${Date.now()} shot ${i + 1},6,1080p,ltx`)].join('\n');
  const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': csv }), 'sb.csv'));
  const plan = planStoryboard(sb.shots, reg);
  expect(plan.issues.filter((i) => i.severity === 'error')).toEqual([]);
  const dir = tmpDir('ltx-paid-');
  const store = new ProjectStore(dir);
  const planned = plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! }));
  store.syncStoryboard(sb.file, sb.hash, planned, () => false);
  return { store, reg, dir, sb, planned };
}
const submitsFor = (store: ProjectStore) => {
  const prompts = new Set(store.jobs().map((j) => (JSON.parse(j.request) as { body: { prompt: string } }).body.prompt));
  return sim.submissions.filter((s) => prompts.has((s.body as { prompt: string }).prompt)).length;
};

describe('a paid result is never lost', () => {
  it('a stop right after the MP4 answer arrived: the next run finishes the clip without a second submit', async () => {
    const { store, reg, dir } = await project(1);
    let runner!: QueueRunner;
    runner = new QueueRunner(store, reg, {
      outDir: dir,
      verifyClip: async () => {},
      // Ctrl-C the moment the service's answer is stored as the job's result.
      onEvent: (e) => {
        if (e.type === 'job' && e.job.state === 'downloading') runner.stop('interrupted');
      },
    });
    await runner.run();
    expect(submitsFor(store)).toBe(1);
    const again = await new QueueRunner(store, reg, { outDir: dir }).run();
    expect(again.succeeded).toBe(1);
    expect(submitsFor(store)).toBe(1);
    const [job] = store.latestJobs();
    expect(fs.statSync(path.join(dir, job.output!)).size).toBeGreaterThan(0);
    store.close();
  });

  /**
   * Renders `shots` with 400 ms renders and calls `interrupt` 200 ms after the first submit is
   * claimed (the requests are on their way, their answers will be the MP4s); then runs again.
   */
  async function interruptedWhileSubmitting(shots: number, interrupt: (r: QueueRunner) => void) {
    const { store, reg, dir } = await project(shots);
    sim.renderMs = 400;
    try {
      let runner!: QueueRunner;
      let timer: NodeJS.Timeout | undefined;
      runner = new QueueRunner(store, reg, {
        outDir: dir,
        verifyClip: async () => {},
        onEvent: (e) => {
          if (e.type === 'job' && e.job.state === 'submitting' && !timer) timer = setTimeout(() => interrupt(runner), 200);
        },
      });
      const first = await runner.run();
      const heldAfterFirst = store.latestJobs().filter((j) => j.maybeDuplicate || j.holdReason).length;
      const again = await new QueueRunner(store, reg, { outDir: dir, verifyClip: async () => {} }).run();
      return { first, heldAfterFirst, again, submits: submitsFor(store) };
    } finally {
      sim.renderMs = 30;
      store.close();
    }
  }

  it('Ctrl-C while the v1 request (whose answer is the paid MP4) is on its way: the answer is awaited and kept, nothing is flagged or paid again', async () => {
    const r = await interruptedWhileSubmitting(2, (runner) => runner.stop('interrupted'));
    expect(r.first.stoppedBecause).toBe('interrupted');
    expect(r.first.maybeDuplicate).toBe(0);
    expect(r.heldAfterFirst).toBe(0);
    expect(r.again.succeeded).toBe(2);
    expect(r.submits).toBe(2);
  });

  it('Ctrl-C twice abandons a submit on its way: it is flagged "may have been submitted twice" and held, never resubmitted on its own', async () => {
    const r = await interruptedWhileSubmitting(1, (runner) => {
      runner.stop('interrupted');
      runner.abandonSubmits();
    });
    expect(r.first.maybeDuplicate).toBe(1);
    expect(r.heldAfterFirst).toBe(1);
    expect(r.again.succeeded).toBe(0);
    expect(r.submits).toBe(1);
  });

  it('a crash right after the staged file was moved into clips/: the next run records the clip, nothing is paid again', async () => {
    const { store, reg, dir } = await project(1);
    let runner!: QueueRunner;
    let moved = false;
    runner = new QueueRunner(store, reg, {
      outDir: dir,
      // The last check before the move: simulate the process dying just after the rename by
      // moving the file ourselves and stopping before the job is recorded.
      verifyClip: async (file) => {
        const job = store.latestJobs()[0];
        const dest = path.join(dir, 'clips', `shot-1-take${job.take}.mp4`);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.renameSync(file, dest);
        moved = true;
        runner.stop('killed');
        throw new Error('the process died here');
      },
    });
    await runner.run();
    expect(moved).toBe(true);
    const again = await new QueueRunner(store, reg, { outDir: dir }).run();
    expect(again.succeeded).toBe(1);
    expect(submitsFor(store)).toBe(1);
    store.close();
  });

  it('an export during a render does not remove the render\'s staged results', async () => {
    const { store, reg, dir, sb, planned } = await project(2);
    expect((await new QueueRunner(store, reg, { outDir: dir }).run()).succeeded).toBe(2);
    // A new take of shot 2 renders while the film (shot 1, shot 2 take 1) is exported.
    const changed = planned.map((p, i) => (i === 1 ? { ...p, request: { ...p.request, body: { ...p.request.body, prompt: `${String(p.request.body.prompt)} again` } }, shot: { ...p.shot, prompt: `${p.shot.prompt} again` } } : p));
    store.syncStoryboard(sb.file, sb.hash, changed, (rel) => fs.existsSync(path.join(dir, rel)));
    let exporting: Promise<unknown> | undefined;
    const runner = new QueueRunner(store, reg, {
      outDir: dir,
      verifyClip: async () => {
        // The take's MP4 is staged: an export runs to the end right now.
        if (!exporting) {
          exporting = exportFilm(store, path.join(dir, 'film.mp4'));
          await exporting;
        }
      },
    });
    const summary = await runner.run();
    expect(exporting).toBeDefined();
    expect(summary.succeeded).toBe(2);
    expect(store.latestJobs().map((j) => [j.shotKey, j.take, j.state])).toEqual([['1', 1, 'succeeded'], ['2', 2, 'succeeded']]);
    expect(submitsFor(store)).toBe(3);
    store.close();
  });
});
