/**
 * Frame rates as exact fractions. A storyboard's or a clip's `23.976`, `29.97`, `47.952` and
 * `59.94` are the NTSC rates 24000/1001, 30000/1001, 48000/1001 and 60000/1001: ffmpeg is given
 * those fractions (as `-r 30000/1001`), never 2997/100, which drifts by a frame about every 15
 * minutes against the NTSC rate editors use.
 */

/** A frame rate: `num / den` frames per second (25/1, 24000/1001). */
export interface Rate {
  num: number;
  den: number;
}

const NTSC = [24, 30, 48, 60, 120];

/**
 * The exact rate of `fps` frames per second: an NTSC rate when `fps` is within 0.01 of one
 * (23.976, 23.98, 29.97, ...), a whole number when it is within 0.001 of one, else `fps` to
 * 1/1000. Throws RangeError for a rate that is not positive.
 */
export function rateOf(fps: number): Rate {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new RangeError(`a frame rate must be more than 0 frames per second; got ${fps}`);
  for (const n of NTSC) if (Math.abs(fps - (n * 1000) / 1001) < 0.01 && Math.abs(fps - n) > 0.01) return { num: n * 1000, den: 1001 };
  if (Math.abs(fps - Math.round(fps)) < 0.001) return { num: Math.round(fps), den: 1 };
  return { num: Math.round(fps * 1000), den: 1000 };
}

/** `fps` as ffmpeg takes a rate: "25", "30000/1001". */
export function ffmpegRate(fps: number): string {
  const r = rateOf(fps);
  return r.den === 1 ? String(r.num) : `${r.num}/${r.den}`;
}
