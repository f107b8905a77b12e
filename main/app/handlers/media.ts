/** Thumbnails of the open project's clips (a small JPEG as a data: URL, cached per job). */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../media/ffmpeg-path';
import { UserError } from '../../project/errors';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

const run = promisify(execFile);

export function mediaHandlers(ctx: AppContext): HandlersFor<'media.thumbnail'> {
  return {
    'media.thumbnail': async ({ jobId }) => {
      const hit = ctx.thumbs.get(jobId);
      if (hit) return { dataUrl: hit };
      const store = ctx.requireSession().store;
      const j = store.job(jobId);
      if (!j || j.state !== 'succeeded' || !j.output) throw new UserError(`shot take ${jobId} has no finished clip`);
      const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-ss', '0.4', '-i', path.join(store.dir, j.output), '-frames:v', '1', '-vf', 'scale=160:-2', '-f', 'image2pipe', '-vcodec', 'mjpeg', '-'], { encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 });
      const dataUrl = `data:image/jpeg;base64,${stdout.toString('base64')}`;
      ctx.thumbs.set(jobId, dataUrl);
      return { dataUrl };
    },
  };
}
