/**
 * Thumbnails of the open project's clips (a small JPEG as a data: URL, cached per job): the frame
 * at 0.4 s, or halfway through a clip shorter than 0.8 s (its length as probed when it was recorded).
 */
import path from 'node:path';
import { thumbnailJpeg } from '../../media/thumbnail';
import { UserError } from '../../project/errors';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

export function mediaHandlers(ctx: AppContext): HandlersFor<'media.thumbnail'> {
  return {
    'media.thumbnail': async ({ jobId }) => {
      const hit = ctx.thumbs.get(jobId);
      if (hit) return { dataUrl: hit };
      const store = ctx.requireSession().store;
      const j = store.job(jobId);
      if (!j || j.state !== 'succeeded' || !j.output) throw new UserError(`shot take ${jobId} has no finished clip`);
      const stdout = await thumbnailJpeg(path.join(store.dir, j.output), j.media?.duration ?? 0);
      if (stdout.length === 0) throw new UserError(`shot ${j.shotKey} take ${j.take}: its clip gave no picture for a thumbnail`);
      const dataUrl = `data:image/jpeg;base64,${stdout.toString('base64')}`;
      ctx.thumbs.set(jobId, dataUrl);
      return { dataUrl };
    },
  };
}
