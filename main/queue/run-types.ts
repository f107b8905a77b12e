/**
 * The queue's public shapes: the budget guard a run goes through, the events it emits, its
 * options and the summary it ends with.
 */
import type { BackoffPolicy } from './backoff';
import type { MediaInfo } from '../media/ffprobe';
import type { Job } from './job';

/**
 * Decides whether a job may be submitted now (budgets) and takes its reservation. `admit` runs
 * inside the queue's claim transaction; it must check and reserve atomically (in its own
 * transaction when it keeps money elsewhere), so two processes cannot both take the last dollars.
 */
export interface SubmitGuard {
  /** Returns null when the job may go (its reservation is taken), or why it must wait ("over budget: ..."). */
  admit(job: Job): string | null;
  /**
   * Called whenever the job's money may have changed: an actual cost or refund stored, a retry
   * before any task existed (the reservation is released), a flag "may have been submitted
   * twice", and when the job ends.
   */
  settle?(job: Job): void;
  /**
   * Called once at the start of each run, after interrupted jobs are recovered: settles what a
   * crash left open (a reservation whose job ended, or went back to the queue, before its
   * settle was stored, as when the process dies between the project database and the ledger).
   * `jobOf` reads a job of this project by id.
   */
  reconcile?(jobOf: (id: number) => Job | undefined): void;
}

/** Something that happened, for progress bars and the renderer. */
export type QueueEvent =
  | { type: 'job'; job: Job }
  | { type: 'provider-paused'; provider: string; reason: string }
  | { type: 'log'; message: string; fields?: Record<string, unknown> };

/** Options of {@link QueueRunner}. */
export interface QueueRunnerOptions {
  /**
   * Output folder: clips go to DIR/clips; what a provider returns is staged in DIR/staging/job-N
   * (never removed before it is a clip: a stop, a crash or an export leaves it for the next run).
   */
  outDir: string;
  /** Caps every provider's concurrency (never above a remote provider's documented limit). */
  concurrency?: number;
  guard?: SubmitGuard;
  onEvent?: (e: QueueEvent) => void;
  backoff?: BackoffPolicy;
  /** Default poll interval in ms when a provider does not say (5 s). */
  pollIntervalMs?: number;
  /** USD per credit by provider, for recording actual costs in USD. */
  usdPerCredit?: (provider: string) => number | undefined;
  /**
   * Checks a finished clip before it is moved into place; throws when it is not playable. What it
   * returns is stored with the clip (job.media). Default: ffprobe must find a video stream, and its
   * reading is stored. (The benchmark swaps in a size check.)
   */
  verifyClip?: (file: string) => Promise<MediaInfo | void>;
}

/** What a run ended with. */
export interface RunSummary {
  succeeded: number;
  failed: number;
  canceled: number;
  /** Queued jobs held back, by reason ("over budget: ...", "paused: key rejected"). */
  waiting: Record<string, number>;
  /** Jobs flagged "may have been submitted twice". */
  maybeDuplicate: number;
  /** Set when the run stopped early (disk full, stop requested). */
  stoppedBecause?: string;
}
