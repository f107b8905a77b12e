/**
 * When to poll a remote task: at the moment it can next have changed state, not on one fixed
 * interval, so polls do not spend a provider's request budget (100 a minute for the LTX API) on
 * answers that say "still rendering".
 *
 * Per provider, the schedule learns how long tasks take per unit of estimated cost (the estimate
 * is the provider's own measure of the work: seconds of video times its price for the model and
 * size), from the service's own figure (PollResult.serviceMs: LTX's completed_at - created_at)
 * or, when the service gives none, from the midpoint between the last poll that said "running"
 * and the one that said "done". With 3 or more samples, the first poll of a task goes at its
 * expected end plus 5% (at least 100 ms), and a task still rendering then is polled again after a
 * fifth of the provider's interval; before that, the provider's own interval applies. A poll is
 * never later than the provider's interval would put it after the expected end, so a slow task is
 * never left waiting long.
 */
import type { Job } from './job';

/** Samples kept per provider (the most recent). */
const SAMPLES = 20;
/** Samples needed before the learned expectation is used. */
const MIN_SAMPLES = 3;

/** Learned task durations per provider, and the poll times they give. */
export class PollSchedule {
  private readonly perUnit = new Map<string, number[]>();
  private readonly lastRunning = new Map<number, number>();

  private unitsOf(job: Job): number {
    return job.estimateMax && job.estimateMax > 0 ? job.estimateMax : 1;
  }

  /** The expected time from submit to done of `job`, ms, or undefined while too little is known. */
  expectedMs(job: Job): number | undefined {
    const xs = this.perUnit.get(job.provider);
    if (!xs || xs.length < MIN_SAMPLES) return undefined;
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] * this.unitsOf(job);
  }

  /** Epoch ms of a task's first poll; `submittedAt` epoch ms, `fallbackMs` the provider's first delay. */
  firstPollAt(job: Job, submittedAt: number, fallbackMs: number): number {
    const expected = this.expectedMs(job);
    if (expected === undefined) return submittedAt + fallbackMs;
    return submittedAt + expected + Math.max(100, expected * 0.05);
  }

  /**
   * Epoch ms of the next poll of a task that said pending or running at `now`; `intervalMs` is the
   * provider's interval (its nextPollMs, or the default).
   */
  nextPollAt(job: Job, now: number, intervalMs: number): number {
    this.lastRunning.set(job.id, now);
    const expected = this.expectedMs(job);
    if (expected === undefined || job.submittedAt === null) return now + intervalMs;
    const end = job.submittedAt + expected + Math.max(100, expected * 0.05);
    return end > now ? Math.min(end, now + intervalMs) : now + Math.max(100, intervalMs / 5);
  }

  /** Records a task that was found done at `now` (the service's own duration when it gave one). */
  done(job: Job, now: number, serviceMs?: number): void {
    const running = this.lastRunning.get(job.id);
    this.lastRunning.delete(job.id);
    let ms = serviceMs;
    if (ms === undefined && running !== undefined && job.submittedAt !== null) ms = (running + now) / 2 - job.submittedAt;
    if (ms === undefined || !(ms >= 0)) return;
    const xs = this.perUnit.get(job.provider) ?? [];
    xs.push(ms / this.unitsOf(job));
    if (xs.length > SAMPLES) xs.shift();
    this.perUnit.set(job.provider, xs);
  }

  /** Forgets a task that ended otherwise (failed, canceled). */
  forget(jobId: number): void {
    this.lastRunning.delete(jobId);
  }
}
