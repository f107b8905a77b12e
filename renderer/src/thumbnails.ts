/**
 * Clip thumbnails ("media.thumbnail", a small JPEG as a data: URL), fetched only for rows on
 * screen, two at a time (each one runs ffmpeg in the core), and cached for the session.
 */
import { useEffect, useState } from 'react';
import { getApi } from './api';

const cache = new Map<number, string>();
const failed = new Set<number>();
const inflight = new Map<number, Promise<string | null>>();
/** How many rows on screen want each thumbnail: a request whose rows scrolled away is dropped before it runs. */
const interest = new Map<number, number>();
const waiting: (() => void)[] = [];
let running = 0;
const LIMIT = 2;

function slot(): Promise<void> {
  if (running < LIMIT) {
    running++;
    return Promise.resolve();
  }
  return new Promise((r) => waiting.push(r));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/** Forgets every thumbnail (another project was opened: job ids start again). */
export function clearThumbnails(): void {
  cache.clear();
  failed.clear();
}

/** The thumbnail of a finished job (cached), or null when it cannot be made. */
export function loadThumbnail(jobId: number): Promise<string | null> {
  const hit = cache.get(jobId);
  if (hit) return Promise.resolve(hit);
  if (failed.has(jobId)) return Promise.resolve(null);
  let p = inflight.get(jobId);
  if (!p) {
    p = (async () => {
      await slot();
      if (!interest.get(jobId)) {
        release();
        inflight.delete(jobId);
        return null;
      }
      try {
        const r = await getApi().call('media.thumbnail', { jobId });
        cache.set(jobId, r.dataUrl);
        return r.dataUrl;
      } catch {
        failed.add(jobId);
        return null;
      } finally {
        release();
        inflight.delete(jobId);
      }
    })();
    inflight.set(jobId, p);
  }
  return p;
}

/** The thumbnail of a job once `enabled` (the job has succeeded); undefined while loading. */
export function useThumbnail(jobId: number | null, enabled: boolean): string | null | undefined {
  const [url, setUrl] = useState<string | null | undefined>(() => (jobId !== null ? cache.get(jobId) : undefined));
  useEffect(() => {
    if (jobId === null || !enabled) {
      setUrl(undefined);
      return;
    }
    const hit = cache.get(jobId);
    if (hit) {
      setUrl(hit);
      return;
    }
    let live = true;
    setUrl(undefined);
    interest.set(jobId, (interest.get(jobId) ?? 0) + 1);
    void loadThumbnail(jobId).then((u) => live && setUrl(u ?? (cache.get(jobId) || null)));
    return () => {
      live = false;
      const n = (interest.get(jobId) ?? 1) - 1;
      if (n > 0) interest.set(jobId, n);
      else interest.delete(jobId);
    };
  }, [jobId, enabled]);
  return url;
}
