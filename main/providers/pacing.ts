/**
 * Request pacing per provider, shared by every request this process sends to one provider's API
 * (submits, polls, key checks, uploads with the key), and not by downloads of result files (they
 * are not API calls and do not count against the API's limit).
 *
 * A rolling window (a sliding log of the last `requestsPerMinute` grants): a request may go when
 * fewer than that many went in the last 60 s plus a margin, so a burst goes through at once when
 * the window allows it, and requests wait in order (FIFO) when it does not. (p-throttle's strict
 * mode, used before, spaces calls evenly once its window is full, which at the LTX limit made 300
 * shots take 1.16x the burst minimum; the window is this product's own business, so it is written
 * here.) The margin covers the difference between when we send and when the service counts the
 * request: a request sent at the start of a window can arrive later than one sent at its end, by
 * up to the spread of one-way latencies. Each place is also dated when its request's answer
 * arrives (an upper bound on when the service counted it), so a request held up in a busy process
 * still counts from when it arrived. On localhost the bench finds the closest 100 consecutive
 * requests 60.25 s apart at the simulator; over the internet to a cloud API one-way latency varies
 * by tens to a few hundred ms, so the margin is 250 ms (PACING_MARGIN_MS), 0.4% of a window.
 *
 * A 429 slows the whole provider, not one job: {@link ProviderPacer.holdFor} stops every request
 * to it until the time the service named (Retry-After) has passed.
 */

/** Length of the rate window the services count in, ms. */
export const PACING_WINDOW_MS = 60_000;
/** Added to each window for the spread of network latency (see the module comment), ms. */
export const PACING_MARGIN_MS = 250;
/** A place is dated at most this long after the request was let go, ms (see ProviderPacer.acquire). */
export const ANSWER_DATING_CAP_MS = 2_000;

/** A place in the window: when its request went (moved to when it was answered, see {@link ProviderPacer.acquire}). */
interface Slot {
  t: number;
}

/** Called when a paced request's answer (its status line) arrives, or it failed. */
export type Answered = () => void;

interface Waiter {
  resolve: (answered: Answered) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** The pacing of one provider's API requests in this process. */
export class ProviderPacer {
  /** The last `requestsPerMinute` requests, oldest first (epoch ms). */
  private readonly granted_: Slot[] = [];
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private holdUntil = 0;
  private readonly windowMs: number;
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
    this.windowMs = (opts.windowMs ?? PACING_WINDOW_MS) + (opts.marginMs ?? PACING_MARGIN_MS);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Epoch ms when the next request may go (now or later). */
  private nextAt(): number {
    const limit = this.requestsPerMinute;
    const byWindow = limit && this.granted_.length >= limit ? this.granted_[this.granted_.length - limit].t + this.windowMs : 0;
    return Math.max(this.now(), this.holdUntil, byWindow);
  }

  private grant(): Answered {
    this.granted++;
    if (!this.requestsPerMinute) return () => {};
    const slot: Slot = { t: this.now() };
    this.granted_.push(slot);
    if (this.granted_.length > this.requestsPerMinute) this.granted_.shift();
    const sentAt = slot.t;
    // The service counts a request when it arrives, which is before its answer comes back but
    // may be well after we let it go (a busy event loop, a slow connection): the place is dated
    // at the answer, so the request a window later cannot arrive within a window of this one.
    // A long answer (the LTX v1 form answers after the render) counts as sent within 2 s.
    return () => {
      slot.t = Math.max(slot.t, Math.min(this.now(), sentAt + ANSWER_DATING_CAP_MS));
    };
  }

  /** Lets waiting requests go, in order, as far as the window allows; sets a timer for the rest. */
  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.waiters.length > 0) {
      const at = this.nextAt();
      if (at > this.now()) {
        this.timer = setTimeout(() => this.pump(), at - this.now());
        return;
      }
      const w = this.waiters.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(this.grant());
    }
  }

  /**
   * Resolves when the next request may be sent: after any hold (a 429's Retry-After), within the
   * rolling window, after the requests that asked before it; with a function to call when the
   * request's answer arrives (or it fails), which dates its place in the window. Resolves at once,
   * without using a place, when `signal` aborts (the caller then sends nothing).
   */
  acquire(signal?: AbortSignal): Promise<Answered> {
    if (signal?.aborted) return Promise.resolve(() => {});
    if (this.waiters.length === 0 && this.nextAt() <= this.now()) return Promise.resolve(this.grant());
    return new Promise<Answered>((resolve) => {
      const w: Waiter = { resolve, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(() => {});
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.pump();
    });
  }

  /** Holds every request to this provider for `ms` from now (a 429 with Retry-After). */
  holdFor(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, this.now() + Math.max(0, ms));
    if (this.waiters.length > 0) this.pump();
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
