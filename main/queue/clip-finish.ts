/**
 * Clip finishing: a job's result becomes DIR/clips/shot-<id>-take<n>.mp4. A file the provider
 * staged is checked where it lies and moved; a URL or task result is downloaded into the job's
 * staging folder first. Nothing the service delivered is deleted before it is a recorded clip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProviderError, type Provider, type ResultRef } from '../providers/provider';
import { probe, type MediaInfo } from '../media/ffprobe';
import type { Job } from './job';
import type { RunContext } from './run-context';

/**
 * The default clip check: ffprobe reads it and finds a video stream. Returns what it read, stored
 * with the clip (stitching and the timeline use it instead of probing again).
 */
export async function probeClip(file: string): Promise<MediaInfo> {
  const info = await probe(file);
  if (!info.video) throw new Error('no video stream');
  return info;
}

/**
 * A note when a clip's length (its video stream's as probed, else the container's; seconds) differs
 * from the row's `wanted` seconds by more than one frame of the clip (at least 0.05 s), else undefined.
 */
export function clipLengthNote(media: MediaInfo, wanted: number | undefined): string | undefined {
  const length = media.video?.duration ?? media.duration;
  if (wanted === undefined || !(length > 0)) return undefined;
  const frame = media.video?.fps ? 1 / media.video.fps : 0.04;
  if (Math.abs(length - wanted) <= Math.max(frame, 0.05) + 1e-6) return undefined;
  return `the clip is ${length.toFixed(2)} s long; the row asks for ${wanted} s (the timeline and the film use the clip's real length)`;
}

/** Bytes free for this user on the disk holding `dir` (Infinity when it cannot be read). */
export function freeBytes(dir: string): number {
  try {
    const st = fs.statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** File-name-safe form of a shot id. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'shot';
}

/**
 * Where a job's clip goes (`rel` to the output folder, `abs`), and its download or render in
 * progress (`part`: DIR/staging/job-N.part.mp4, beside the job's staging folder rather than in it,
 * so a download needs no folder of its own made and removed per job).
 */
export function clipPathOf(rc: RunContext, job: Job): { rel: string; abs: string; part: string } {
  const rel = path.join('clips', `shot-${safeName(job.shotKey)}-take${job.take}.mp4`);
  return { rel, abs: path.join(rc.opts.outDir, rel), part: `${rc.staging(job)}.part.mp4` };
}

/**
 * Makes the result a clip: a file the provider staged is checked where it lies and moved into
 * clips/ (never deleted: a stop before the move leaves it staged, and the next run finishes from
 * it); a URL or task result is downloaded into the job's staging folder first (a partial download
 * is removed: the service still has the result). A clip already in place (a crash between the
 * move and its record) is checked and recorded without fetching anything.
 */
export async function finishClip(rc: RunContext, job: Job, result: ResultRef, p: Provider): Promise<void> {
  const { rel, abs, part } = clipPathOf(rc, job);
  const signal = rc.signalOf(job);
  const stopped = () => signal.reason ?? new Error('stopped');
  let src: string;
  if (fs.existsSync(abs) && (result.kind !== 'file' || !fs.existsSync(result.path))) {
    src = abs;
  } else if (result.kind === 'file') {
    src = result.path;
    if (!fs.existsSync(src)) throw new ProviderError('expired', `the clip ${p.id} returned is no longer at ${src}; render the shot again`);
  } else {
    // A staging folder made just now holds no partial download; one that was there may (an earlier try).
    if (fs.mkdirSync(path.dirname(part), { recursive: true }) === undefined) fs.rmSync(part, { force: true });
    await p.download!(job.remoteTaskId!, result, part, rc.providerContext(p, job));
    src = part;
  }
  if (signal.aborted) throw stopped();
  const st = fs.statSync(src, { throwIfNoEntry: false });
  if (!st || st.size === 0) {
    if (src === part) fs.rmSync(part, { force: true });
    throw new ProviderError('retryable', 'the clip came back empty');
  }
  let media: MediaInfo | void;
  try {
    media = await (rc.opts.verifyClip ?? probeClip)(src);
  } catch (e) {
    if (signal.aborted) throw stopped();
    // A download can be fetched again; a file the service handed over is kept for inspection.
    if (src === part) fs.rmSync(part, { force: true });
    if (freeBytes(rc.opts.outDir) < 16 * 1024 * 1024) throw new ProviderError('disk', `no space left on the disk holding the output folder (the clip came out incomplete: ${(e as Error).message})`);
    throw new ProviderError(p.kind === 'remote' && src === part ? 'retryable' : 'invalid', `the clip is incomplete or unreadable (${(e as Error).message})${src !== part ? `; it is kept at ${src}` : ''}`);
  }
  if (signal.aborted) throw stopped();
  if (src !== abs) moveInto(src, abs);
  // A clip of another length than the row asked for (a service that rounds, or ignores the
  // duration) is recorded as such; the timeline and the film use its real length.
  const lengthNote = media ? clipLengthNote(media, rc.store.shotDuration(job.shotId)) : undefined;
  // Succeeded and chosen as the shot's take in one transaction, committed with the tick's other
  // moves before the staging folder goes; lost to a crash, the next run finds the clip in place.
  const done = await rc.store.recordClipGrouped(
    job,
    { output: rel, media: media ? JSON.stringify(media) : null, progress: 1, finished_at: rc.store.now(), error: null, hold_reason: null, ...(lengthNote ? { notes: JSON.stringify([...job.notes, lengthNote]) } : {}) },
    'clip saved',
  );
  removeStaging(rc.staging(job));
  rc.opts.guard?.settle?.(done);
  rc.emitJob(done);
}

/** Renames `src` to `dest`, making dest's folder first only when it is missing (clips/ is made when a run starts). */
function moveInto(src: string, dest: string): void {
  try {
    fs.renameSync(src, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(src)) throw e;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(src, dest);
  }
}

/** Removes a job's staging folder, if a provider made one: one call when it is missing or empty, else with what the provider left in it. */
function removeStaging(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
