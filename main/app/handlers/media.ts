/**
 * Thumbnails of the open project's clips (a small JPEG as a data: URL, cached per job): the frame
 * at 0.4 s, or halfway through a clip shorter than 0.8 s (its length as probed when it was recorded).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../media/ffmpeg-path';
import { UserError } from '../../project/errors';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

const run = promisify(execFile);

/** Where a thumbnail is taken in a clip, seconds (past any fade-in of the first frames). */
const THUMBNAIL_AT_S = 0.4;

export function mediaHandlers(ctx: AppContext): HandlersFor<'media.thumbnail'> {
  return {
    'media.thumbnail': async ({ jobId }) => {
      const hit = ctx.thumbs.get(jobId);
      if (hit) return { dataUrl: hit };
      const store = ctx.requireSession().store;
      const j = store.job(jobId);
      if (!j || j.state !== 'succeeded' || !j.output) throw new UserError(`shot take ${jobId} has no finished clip`);
      // A seek past the clip's end gives no frame at all: short clips are taken halfway.
      const at = Math.min(THUMBNAIL_AT_S, (j.media?.duration ?? 0) / 2);
      const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-ss', at.toFixed(3), '-i', path.join(store.dir, j.output), '-frames:v', '1', '-vf', 'scale=160:-2', '-f', 'image2pipe', '-vcodec', 'mjpeg', '-'], { encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 });
      if (stdout.length === 0) throw new UserError(`shot ${j.shotKey} take ${j.take}: its clip gave no picture for a thumbnail`);
      const dataUrl = `data:image/jpeg;base64,${stdout.toString('base64')}`;
      ctx.thumbs.set(jobId, dataUrl);
      return { dataUrl };
    },
  };
}
