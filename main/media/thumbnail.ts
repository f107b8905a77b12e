/**
 * A small JPEG of a clip: the frame at 0.4 s (past any fade-in of the first frames), or halfway
 * through a clip shorter than 0.8 s (a seek past a clip's end gives no frame at all).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ffmpegPath } from './ffmpeg-path';

const run = promisify(execFile);

/** Where a thumbnail is taken in a clip, seconds. */
export const THUMBNAIL_AT_S = 0.4;

/**
 * The JPEG bytes of a thumbnail of `file` (a clip of `durationS` seconds), `width` pixels wide.
 * Resolves an empty buffer when the clip gives no picture; throws when ffmpeg fails.
 */
export async function thumbnailJpeg(file: string, durationS: number, width = 160): Promise<Buffer> {
  const at = Math.min(THUMBNAIL_AT_S, durationS / 2);
  const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-ss', at.toFixed(3), '-i', file, '-frames:v', '1', '-vf', `scale=${width}:-2`, '-f', 'image2pipe', '-vcodec', 'mjpeg', '-'], { encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 });
  return stdout;
}

/**
 * The JPEG bytes of a still image (a shot's start or end image) scaled to `width` pixels wide,
 * height in proportion. Throws when ffmpeg cannot read the file as an image.
 */
export async function imageThumbnailJpeg(file: string, width = 240): Promise<Buffer> {
  const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-i', file, '-frames:v', '1', '-vf', `scale=${width}:-2`, '-f', 'image2pipe', '-vcodec', 'mjpeg', '-'], { encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 });
  return stdout;
}
