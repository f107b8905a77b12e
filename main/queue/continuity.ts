/**
 * Continuity in the queue: a continued shot (Shot.continueFrom, see
 * main/storyboard/continuity.ts) starts from the last frame of its parent's chosen take. Its takes
 * are held ("waiting for shot 3") until the parent has a finished take of its current version;
 * when one is claimed, the last frame of the parent's chosen take is written to
 * DIR/frames/<shot>-start.png, the image its request names, and the take records which take it
 * started from. The SQL of the holds is in store.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runFfmpeg } from '../media/run-ffmpeg';
import { ProviderError } from '../providers/provider';
import type { MediaRef, Shot } from '../storyboard/shot';
import { safeName } from './clip-finish';
import type { Job } from './job';
import type { RunContext } from './run-context';

/** The start frame of a continued shot: DIR/frames/<shot>-start.png (`dir` '' gives the path relative to the project). */
export function startFramePath(dir: string, shotId: string): string {
  return path.join(dir, 'frames', `${safeName(shotId)}-start.png`);
}

/** The shot as its provider is asked to render it: a continued shot's image is its start frame (which exists once the take is claimed). */
export function withStartFrame(shot: Shot, dir: string): Shot {
  if (!shot.continueFrom) return shot;
  const image: MediaRef = { kind: 'file', path: startFramePath(dir, shot.id), original: `the last frame of shot ${shot.continueFrom}`, pending: true };
  return { ...shot, image, mode: 'image-to-video' };
}

/** Writes the last frame of `clip` to `dest` as PNG (written beside it, then renamed into place). Throws FfmpegError. */
export async function extractLastFrame(clip: string, dest: string, signal?: AbortSignal): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part.png`;
  // The last second decoded, each frame written over the one before: the file ends as the last frame.
  await runFfmpeg(['-v', 'error', '-sseof', '-1', '-i', clip, '-an', '-update', '1', '-f', 'image2', part], { signal });
  fs.renameSync(part, dest);
}

/**
 * Before a continued take is sent: writes its start frame from the parent's chosen take and notes
 * which take that was. Throws ProviderError (invalid) when the parent has no finished take any
 * more (the hold should have kept the take queued) or its clip cannot be read.
 */
export async function prepareStartFrame(rc: RunContext, job: Job): Promise<Job> {
  const parent = rc.store.continuityParentOf(job.shotId);
  if (!parent) return job;
  if (!parent.output) throw new ProviderError('invalid', `shot ${parent.shotKey} has no finished take to continue from`);
  const dest = startFramePath(rc.opts.outDir, job.shotKey);
  try {
    await extractLastFrame(path.join(rc.opts.outDir, parent.output), dest, rc.signalOf(job));
  } catch (e) {
    throw new ProviderError('invalid', `the last frame of shot ${parent.shotKey} take ${parent.take} could not be read: ${(e as Error).message}`);
  }
  const note = `starts from the last frame of shot ${parent.shotKey} take ${parent.take}`;
  return rc.store.update(job.id, { from_job: parent.jobId, notes: JSON.stringify([...job.notes.filter((n) => !n.startsWith('starts from the last frame of shot ')), note]) }) ?? job;
}
