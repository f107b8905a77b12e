/**
 * Request pacing per provider, shared by every request this process sends to one provider's API
 * (submits, polls, key checks, uploads with the key), and not by downloads from a CDN (they carry
 * no key and do not count against the API's limit).
 *
 * A rolling window (p-throttle's strict mode): at most `requestsPerMinute` requests in any
 * window of 60 s plus a margin, so a burst goes through at once when the window allows it. The
 * margin covers the difference between when we send and when the service counts the request: a
 * request sent at the start of a window can arrive later than one sent at its end, by up to the
 * spread of one-way latencies. On localhost the bench measures that spread in microseconds; over
 * the internet to a cloud API one-way latency varies by tens to a few hundred ms, so the margin is
 * 250 ms (PACING_MARGIN_MS), 0.4% of a window.
 *
 * A 429 slows the whole provider, not one job: {@link ProviderPacer.holdFor} stops every request
 * to it until the time the service named (Retry-After) has passed.
 */
import pThrottle from 'p-throttle';

/** Length of the rate window the services count in, ms. */
export const PACING_WINDOW_MS = 60_000;
/** Added to each window for the spread of network latency (see the module comment), ms. */
export const PACING_MARGIN_MS = 250;

/** Waits `ms` (or until `signal` aborts). */
function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The pacing of one provider's API requests in this process. */
export class ProviderPacer {
  private readonly throttled: () => Promise<void>;
  private holdUntil = 0;
  /** Requests granted so far (for the bench and the tests). */
  granted = 0;

  /**
   * @param requestsPerMinute the provider's documented limit; null: no limit (only holds apply)
   * @param opts windowMs and marginMs (defaults: 60 s and {@link PACING_MARGIN_MS}); `now` for tests
   */
  constructor(
    readonly requestsPerMinute: number | null,
    private readonly opts: { windowMs?: number; marginMs?: number; now?: () => number } = {},
  ) {
    const interval = (opts.windowMs ?? PACING_WINDOW_MS) + (opts.marginMs ?? PACING_MARGIN_MS);
    this.throttled = requestsPerMinute ? pThrottle({ limit: requestsPerMinute, interval, strict: true })(async () => {}) : async () => {};
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * Resolves when the next request may be sent: after any hold (a 429's Retry-After), within the
   * rolling window. Resolves early when `signal` aborts (the caller then sends nothing).
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.now() < this.holdUntil && !signal?.aborted) await wait(this.holdUntil - this.now(), signal);
    if (signal?.aborted) return;
    await this.throttled();
    this.granted++;
  }

  /** Holds every request to this provider for `ms` from now (a 429 with Retry-After). */
  holdFor(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, this.now() + Math.max(0, ms));
  }

  /** When requests may go again, epoch ms (0 or past: now). */
  get heldUntil(): number {
    return this.holdUntil;
  }
}

const pacers = new WeakMap<object, ProviderPacer>();

/**
 * The process-wide pacer of a provider instance (the registry holds one instance per provider),
 * so every queue run, key check and app window of this process share one window.
 */
export function pacerFor(provider: { limits(): { requestsPerMinute: number | null } }): ProviderPacer {
  let p = pacers.get(provider);
  if (!p) {
    p = new ProviderPacer(provider.limits().requestsPerMinute);
    pacers.set(provider, p);
  }
  return p;
}
