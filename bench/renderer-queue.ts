/**
 * Bench phase: the renderer's Queue screen with 10,000 jobs while 200 job updates a second arrive
 * for 10 s, in Chromium (browser mode); the percent of frames over 33 ms (./renderer-page.ts
 * SLOW_FRAME_MS), best of 3 runs. Goal: percentOver33 <= 0.5.
 *
 * The jobs and their updates reach the page the way a render's do: as 'job.updated' events
 * (main/contract/api.ts) sent by the browser-mode server's event hub (UiServer.events), so the
 * page cannot tell them from a real render's and nothing in the core or the renderer is there for
 * the bench. The jobs are made up (JobViews of 10,000 one-take shots on the preview provider): a
 * render of 10,000 shots would take far longer than the phase and measure the core instead.
 * The updates walk a render through the queue: ten jobs at a time go queued -> submitting ->
 * running (progress in steps of 10%) -> downloading -> succeeded (one in 20 fails with an error),
 * at the top of the list (on screen), and one update in four touches a job anywhere in the list
 * (a hold reason coming and going), as a budget or a paused provider does.
 * Needs Chromium at /usr/bin/chromium (CHROMIUM_PATH overrides). Standalone:
 *   npx tsx -e "import('./bench/renderer-queue.ts').then(async m => console.log(await m.queuePhase(require('fs').mkdtempSync('/tmp/rq-'))))"
 */
import type { JobView } from '../main/contract/api';
import type { UiServer } from '../main/ui-server/server';
import { bestPass, frameStats, frames, startFrames, stopFrames, withAppPage, type FrameStats } from './renderer-page';

/** One run of the phase: its frame figures and the updates sent. */
export interface QueueRun extends FrameStats {
  /** job.updated events sent during the run. */
  updates: number;
  /** How long the updates were sent, s. */
  seconds: number;
}

/** Figures of the queue phase (times in ms). */
export interface QueuePhaseResult extends FrameStats {
  jobs: number;
  /** Job updates a second during a run. */
  updatesPerSecond: number;
  /** Length of a run, s. */
  seconds: number;
  /** From clicking the Queue tab (10,000 jobs loaded) until its first row shows, ms. */
  firstRenderMs: number;
  /** Each run; the top-level frame figures are the best of them. */
  runs: QueueRun[];
}

/** A queued take of shot i + 1 (film order i), as the core's jobView() would give it. */
function queuedJob(i: number): JobView {
  return { id: i + 1, shotId: i + 1, shot: String(i + 1), order: i, take: 1, seed: null, chosen: false, newTake: false, edit: null, durationS: null, provider: 'preview', state: 'queued', progress: 0, attempts: 0, error: null, holdReason: null, estimate: '$0.00', actual: '-', notes: [], note: '', maybeDuplicate: false, clipUrl: null };
}

/** Moves made-up jobs through the queue, one update at a time (see the file's comment). */
class FakeRender {
  private readonly live: number[] = [];
  private next = 0;
  private turn = 0;
  constructor(readonly jobs: JobView[]) {}

  /** The next update: a new JobView object for one job (the old one is never changed). */
  step(): JobView {
    this.turn++;
    if (this.turn % 4 === 0) {
      const i = Math.floor(Math.random() * this.jobs.length);
      const j = this.jobs[i];
      return (this.jobs[i] = { ...j, holdReason: j.holdReason ? null : 'the render budget is almost spent' });
    }
    while (this.live.length < 10 && this.next < this.jobs.length) this.live.push(this.next++);
    if (!this.live.length) return (this.jobs[0] = { ...this.jobs[0] });
    const k = this.turn % this.live.length;
    const i = this.live[k];
    const j = this.jobs[i];
    let n: JobView;
    if (j.state === 'queued') n = { ...j, state: 'submitting', attempts: 1, holdReason: null };
    else if (j.state === 'submitting') n = { ...j, state: 'running', progress: 0 };
    else if (j.state === 'running' && j.progress < 0.95) n = { ...j, progress: Math.min(1, j.progress + 0.1) };
    else if (j.state === 'running') n = { ...j, state: 'downloading', progress: 1 };
    else {
      const failed = i % 20 === 7;
      n = failed ? { ...j, state: 'failed', error: 'the provider answered 500: internal error (after 1 try)', notes: ['retried once after a timeout'] } : { ...j, state: 'succeeded', actual: '$0.00' };
      this.live.splice(k, 1);
    }
    return (this.jobs[i] = n);
  }
}

/** Sends `perSecond` updates a second for `seconds` from the server's event hub; resolves with how many were sent. */
function sendUpdates(server: UiServer, render: FakeRender, perSecond: number, seconds: number): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const elapsed = Math.min(seconds, (performance.now() - t0) / 1000);
      const due = Math.floor(elapsed * perSecond);
      while (sent < due) {
        server.events.emit('job.updated', render.step());
        sent++;
      }
      if (elapsed >= seconds) {
        clearInterval(timer);
        resolve(sent);
      }
    }, 5);
  });
}

/**
 * Runs the phase in `work` (a temporary folder): `jobs` jobs on the Queue screen, `perSecond`
 * updates a second for `seconds` s, three runs; returns its figures.
 */
export async function queuePhase(work: string, jobs = 10_000, perSecond = 200, seconds = 10): Promise<QueuePhaseResult> {
  return withAppPage(work, 'queue', async (page, server) => {
    const render = new FakeRender(Array.from({ length: jobs }, (_, i) => queuedJob(i)));
    for (const j of render.jobs) server.events.emit('job.updated', j);
    // The sidebar counts them once they have all arrived.
    await page.getByText(`Rendering 0/${jobs}`).waitFor({ timeout: 60_000 });
    await frames(page, 10);
    const firstRenderMs = (await page.evaluate(`new Promise((resolve) => {
      const t0 = performance.now();
      document.querySelector('[data-testid="nav-queue"]').click();
      const done = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
      if (document.querySelector('[data-testid="job-1-1"]')) return done();
      const mo = new MutationObserver(() => {
        if (document.querySelector('[data-testid="job-1-1"]')) { mo.disconnect(); done(); }
      });
      mo.observe(document.body, { childList: true, subtree: true });
    })`)) as number;
    await page.getByTestId('batch-progress-label').getByText(`0 of ${jobs.toLocaleString('en-US')} takes done`).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    const runs: QueueRun[] = [];
    for (let r = 0; r < 3; r++) {
      await frames(page, 10);
      await startFrames(page);
      const updates = await sendUpdates(server, render, perSecond, seconds);
      // The last updates' frame.
      await frames(page, 2);
      runs.push({ ...frameStats(await stopFrames(page)), updates, seconds });
    }
    const { updates: _updates, seconds: _seconds, ...best } = bestPass(runs);
    return { jobs, updatesPerSecond: perSecond, seconds, firstRenderMs: Math.round(firstRenderMs), ...best, runs };
  });
}
