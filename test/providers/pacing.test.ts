/**
 * The per-provider rolling window: a burst goes at once when the window allows it, no window ever
 * holds more than the limit, waiting requests go in order as soon as places free up (not spread
 * evenly), an abandoned wait frees its place, and a 429's hold stops everything until it ends.
 * Real time, with a 300 ms window standing for the services' 60 s.
 */
import { describe, expect, it } from 'vitest';
import { ProviderPacer } from '../../main/providers/pacing';

const WINDOW = 300;
/** Grant times (ms since start) of `n` requests asked for at once. */
async function burst(p: ProviderPacer, n: number, t0: number, signal?: (i: number) => AbortSignal | undefined): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => p.acquire(signal?.(i)).then(() => Date.now() - t0)));
}

describe('ProviderPacer: a rolling window', () => {
  it('5 a window: 12 asked at once go as 5 at once, 5 one window later, 2 after that; never 6 in one window', async () => {
    const p = new ProviderPacer(5, { windowMs: WINDOW, marginMs: 0 });
    const t0 = Date.now();
    const at = await burst(p, 12, t0);
    expect(at.slice(0, 5).every((t) => t < 50)).toBe(true);
    // The next five go together as soon as the first five are a window old (a burst, not one every 60 ms).
    expect(at.slice(5, 10).every((t) => t >= WINDOW - 5 && t < WINDOW + 60)).toBe(true);
    expect(Math.max(...at.slice(5, 10)) - Math.min(...at.slice(5, 10))).toBeLessThan(40);
    expect(at.slice(10).every((t) => t >= 2 * WINDOW - 10)).toBe(true);
    const sorted = [...at].sort((a, b) => a - b);
    for (let i = 5; i < sorted.length; i++) expect(sorted[i] - sorted[i - 5]).toBeGreaterThanOrEqual(WINDOW - 5);
    expect(p.granted).toBe(12);
  });

  it('a wait abandoned (its job canceled) takes no place: the requests behind it go sooner', async () => {
    const p = new ProviderPacer(2, { windowMs: WINDOW, marginMs: 0 });
    const t0 = Date.now();
    const ac = new AbortController();
    const waits = burst(p, 5, t0, (i) => (i === 2 ? ac.signal : undefined));
    ac.abort();
    const at = await waits;
    expect(at[2]).toBeLessThan(30);
    // Requests 3 and 4 take the two places the first two free, one window on.
    expect(at[3]).toBeLessThan(WINDOW + 60);
    expect(at[4]).toBeLessThan(WINDOW + 60);
    expect(p.granted).toBe(4);
  });

  it('a hold (429 with Retry-After) stops every request until it ends, then the window applies again', async () => {
    const p = new ProviderPacer(100, { windowMs: WINDOW, marginMs: 0 });
    const t0 = Date.now();
    p.holdFor(200);
    const at = await burst(p, 3, t0);
    expect(at.every((t) => t >= 195)).toBe(true);
    const none = new ProviderPacer(null);
    none.holdFor(100);
    const [t] = await burst(none, 1, Date.now());
    expect(t).toBeGreaterThanOrEqual(95);
  });

  it('a place is dated when its answer arrives: a request let go late (a busy process) cannot make the service see a full window early', async () => {
    const p = new ProviderPacer(2, { windowMs: WINDOW, marginMs: 0 });
    const t0 = Date.now();
    const first = await p.acquire();
    await p.acquire();
    // The first request only reached the service (and answered) 150 ms after it was let go.
    await new Promise((r) => setTimeout(r, 150));
    first();
    const [third] = await burst(p, 1, t0);
    expect(third).toBeGreaterThanOrEqual(150 + WINDOW - 5);
  });
});
