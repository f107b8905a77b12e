/**
 * ffprobe on a URL that never answers (a provider's media input on a hung server): probe() gives
 * up after its timeout or when the job is canceled, and kills ffprobe instead of leaving it running.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { probe } from '../../main/media/ffprobe';
import { startRawServer, type RawServer } from '../helpers/raw-http';

let hung: RawServer;
afterAll(() => hung?.close());

describe('probe() of a URL that never answers', () => {
  it('fails after its timeout, naming the URL and the wait', async () => {
    hung = await startRawServer(() => {
      /* read the request, never answer */
    });
    const t0 = Date.now();
    await expect(probe(`${hung.url}/voice.wav`, { timeoutMs: 800 })).rejects.toThrow(/no answer from .*voice\.wav within 1 s/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('stops when the job is canceled', async () => {
    const ac = new AbortController();
    const p = probe(`${hung.url}/dance.mp4`, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('canceled by the creator')), 300);
    await expect(p).rejects.toThrow('canceled by the creator');
  });
});
