/**
 * What the queue's job drivers share with the scheduler (QueueRunner, ./runner.ts) while one run
 * goes on: the store, the run's options, events, each job's abort signal and staging folder, the
 * run's stop signal, and the submits on their way (which a first stop waits for).
 */
import type { Provider, ProviderContext } from '../providers/provider';
import type { Job } from './job';
import type { PollSchedule } from './poll-schedule';
import type { QueueEvent, QueueRunnerOptions } from './run-types';
import type { ProjectStore } from './store';

/** The run as the drivers see it. */
export interface RunContext {
  readonly store: ProjectStore;
  readonly opts: QueueRunnerOptions;
  /** Aborted when the run is asked to stop. */
  readonly stopSignal: AbortSignal;
  /** When to poll each task (learned task durations per provider). */
  readonly polls: PollSchedule;
  /** Jobs whose submit is on its way: a first stop does not abort them. */
  readonly submitsInFlight: Set<number>;
  emit(e: QueueEvent): void;
  /** Emits a job as it now is: the copy a store write returned, or read by id. */
  emitJob(jobOrId: Job | number): void;
  /** The job's own abort signal (a cancel, a stop, abandonSubmits). */
  signalOf(job: Job): AbortSignal;
  /** What a provider call gets for this job (signal, staging folder, log, pacing). */
  providerContext(p: Provider, job: Job): ProviderContext;
  /** The job's staging folder: DIR/staging/job-N. */
  staging(job: Job): string;
  /** Stops the run (a full disk, a missing ffmpeg). */
  stop(reason: string): void;
}
