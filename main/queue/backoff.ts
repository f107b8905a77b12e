/**
 * Retry delays for jobs: exponential backoff with full jitter, honouring a service's Retry-After.
 * The delay is stored in the job's next_run_at, so a retry survives a restart (an in-memory retry
 * helper would forget it when the process dies).
 */

/** Base delay, cap and attempt limit; the defaults suit paid cloud renders. */
export interface BackoffPolicy {
  /** First delay in ms. */
  baseMs: number;
  /** Largest delay in ms. */
  maxMs: number;
}

/** Default policy: 2 s doubling up to 5 min. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 300_000 };

/**
 * Delay in ms before retry number `attempt` (1-based): random in [d/2, d] with d = base * 2^(attempt-1)
 * capped at max; never less than `retryAfterMs` when the service sent one.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, retryAfterMs?: number, random: () => number = Math.random): number {
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = d / 2 + random() * (d / 2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
