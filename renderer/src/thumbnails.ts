/**
 * Clip thumbnails ("media.thumbnail", a small JPEG as a data: URL), fetched only for rows on
 * screen, two at a time (each one runs ffmpeg in the core), and cached for the session by the
 * clip's URL: job ids start again in every project, and a row of the project that was open a
 * moment ago can still ask for its thumbnail after the core has opened another one, so neither a
 * picture nor a failure is remembered under a job id.
 */
import { useEffect, useState } from 'react';
import { getApi } from './api';

/** Thumbnails by clip URL. */
const cache = new Map<string, string>();
const failed = new Set<string>();
const inflight = new Map<string, Promise<string | null>>();
/** How many rows on screen want each thumbnail: a request whose rows scrolled away is dropped before it runs. */
const interest = new Map<string, number>();
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

/** Forgets every thumbnail (another project was opened), so the cache does not grow across projects. */
export function clearThumbnails(): void {
  cache.clear();
  failed.clear();
}

/** The thumbnail of a finished job whose clip is at `clipUrl` (cached by that URL), or null when it cannot be made. */
export function loadThumbnail(jobId: number, clipUrl: string): Promise<string | null> {
  const hit = cache.get(clipUrl);
  if (hit) return Promise.resolve(hit);
  if (failed.has(clipUrl)) return Promise.resolve(null);
  let p = inflight.get(clipUrl);
  if (!p) {
    p = (async () => {
      await slot();
      if (!interest.get(clipUrl)) {
        release();
        inflight.delete(clipUrl);
        return null;
      }
      try {
        const r = await getApi().call('media.thumbnail', { jobId });
        cache.set(clipUrl, r.dataUrl);
        return r.dataUrl;
      } catch {
        failed.add(clipUrl);
        return null;
      } finally {
        release();
        inflight.delete(clipUrl);
      }
    })();
    inflight.set(clipUrl, p);
  }
  return p;
}

/** The thumbnail of a finished job whose clip is at `clipUrl` (null: no clip yet); undefined while loading, null when it cannot be made. */
export function useThumbnail(jobId: number | null, clipUrl: string | null | undefined): string | null | undefined {
  const [url, setUrl] = useState<string | null | undefined>(() => (clipUrl ? cache.get(clipUrl) : undefined));
  useEffect(() => {
    if (jobId === null || !clipUrl) {
      setUrl(undefined);
      return;
    }
    const hit = cache.get(clipUrl);
    if (hit) {
      setUrl(hit);
      return;
    }
    let live = true;
    setUrl(undefined);
    interest.set(clipUrl, (interest.get(clipUrl) ?? 0) + 1);
    void loadThumbnail(jobId, clipUrl).then((u) => live && setUrl(u ?? (cache.get(clipUrl) || null)));
    return () => {
      live = false;
      const n = (interest.get(clipUrl) ?? 1) - 1;
      if (n > 0) interest.set(clipUrl, n);
      else interest.delete(clipUrl);
    };
  }, [jobId, clipUrl]);
  return url;
}
