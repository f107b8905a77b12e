/**
 * Jobs: one render attempt (a take) of one shot, and the states it moves through.
 *
 *   queued -> submitting -> running -> downloading -> succeeded
 *      ^          |            |            |
 *      +----------+------------+------------+--> failed | canceled
 *   (retries go back to queued before a task id exists, or stay running and poll again after)
 */

import type { MediaInfo } from '../media/ffprobe';
import type { TakeEdit } from '../providers/provider';

/** Every state of a job. */
export const JOB_STATES = ['queued', 'submitting', 'running', 'downloading', 'succeeded', 'failed', 'canceled'] as const;
/** One of {@link JOB_STATES}. */
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves. */
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'canceled'];
/** States of a job that holds a provider slot (work in flight). */
export const IN_FLIGHT_STATES: readonly JobState[] = ['submitting', 'running', 'downloading'];

/** Allowed moves; anything else is a bug and is refused by the store. */
export const TRANSITIONS: Record<JobState, readonly JobState[]> = {
  queued: ['submitting', 'canceled', 'failed'],
  submitting: ['running', 'downloading', 'queued', 'failed', 'canceled'],
  running: ['running', 'downloading', 'queued', 'failed', 'canceled'],
  downloading: ['succeeded', 'downloading', 'running', 'queued', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

/** A job as the queue, the CLI and the renderer see it. Money in the estimate's unit and in USD. */
export interface Job {
  id: number;
  shotId: number;
  /** The storyboard's shot id. */
  shotKey: string;
  /** Position of the shot in the film. */
  order: number;
  take: number;
  /** The seed this take was sent with (take k of a row: seed + k - 1); null when none was (a provider without seeds) or not recorded (before database version 8). */
  seed: number | null;
  /** Which of its row's takes this is (1..N); null for a New take, and for takes recorded before database version 8. */
  variant: number | null;
  /** Who asked for this take: the storyboard row (its `takes`) or the creator afterwards ("New take"). */
  origin: 'storyboard' | 'new-take';
  /** The project shot id this take continues from (it starts from that shot's chosen take's last frame); null when none. */
  afterShot: number | null;
  /** The parent's take (job id) whose last frame this take started from, once it was sent; null otherwise. */
  fromJob: number | null;
  /** The change that made this take from take `fromJob` (a retake of a section, an extension); null for every other take. */
  edit: TakeEdit | null;
  /** The creator's note on this take ('' when none; migration 11). */
  note: string;
  /** Whether this is its shot's chosen take (the one the film and every export use). */
  chosen: boolean;
  provider: string;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  /** Epoch ms before which the job is not worked on (backoff, poll interval). */
  nextRunAt: number;
  /** Epoch ms when the submit request was about to be sent (the ambiguous window starts). */
  submitSentAt: number | null;
  remoteTaskId: string | null;
  /** JSON of the provider's ResultRef once known. */
  result: string | null;
  /** 0..1 */
  progress: number;
  estimateUnit: 'USD' | 'credits' | null;
  estimateMin: number | null;
  estimateMax: number | null;
  /** Upper bound of the estimate in USD (null when credits have no known rate). */
  estimateUsd: number | null;
  actualUnit: 'USD' | 'credits' | null;
  actualAmount: number | null;
  actualUsd: number | null;
  refunded: boolean;
  gpuSeconds: number | null;
  /** Why a queued job is waiting (over budget, provider paused). */
  holdReason: string | null;
  /** The last error, as the service wrote it. */
  error: string | null;
  errorCode: string | null;
  /** What the provider rounded or adjusted. */
  notes: string[];
  /** The process died between sending a submit and storing its answer: the service may have run it twice. */
  maybeDuplicate: boolean;
  /** Clip path relative to the output folder, once succeeded. */
  output: string | null;
  /** What ffprobe read from the clip when it was recorded (null for clips recorded before version 7 of the database). */
  media: MediaInfo | null;
  /** The provider request JSON. */
  request: string;
  createdAt: number;
  updatedAt: number;
  submittedAt: number | null;
  finishedAt: number | null;
}
