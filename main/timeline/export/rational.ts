/**
 * Frame rates as exact fractions and SMPTE timecode, for the editor exports. A storyboard's or a
 * clip's `23.976`, `29.97`, `47.952` and `59.94` are the NTSC rates 24000/1001, 30000/1001,
 * 48000/1001 and 60000/1001 (read as 2997/100, 29.97 fps drifts by a frame about every 15
 * minutes). Timecode is non-drop-frame (`HH:MM:SS:FF`) counted at the nominal rate (24 or 30 for
 * NTSC), as CMX3600 and FCP7 XML write it; times inside FCPXML are exact fractions of a second.
 */

import { rateOf, type Rate } from '../../media/frame-rate';

export { rateOf, type Rate };

/** Frames per second as a number. */
export function fpsOf(r: Rate): number {
  return r.num / r.den;
}

/** True for a 1001-based (NTSC) rate. */
export function isNtsc(r: Rate): boolean {
  return r.den === 1001;
}

/** The whole frames per second timecode counts at this rate (24 for 24000/1001). */
export function timebase(r: Rate): number {
  return Math.round(r.num / r.den);
}

/** The nearest whole number of frames at `r` to `seconds`. */
export function framesOf(seconds: number, r: Rate): number {
  return Math.round((seconds * r.num) / r.den);
}

/** Seconds of `frames` frames at `r` (a float: use {@link fcpTime} where exactness matters). */
export function secondsOf(frames: number, r: Rate): number {
  return (frames * r.den) / r.num;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** `frames` at `r` as FCPXML's rational seconds ("1001/24000s", "5s", "0s"), exact and reduced. */
export function fcpTime(frames: number, r: Rate): string {
  if (frames === 0) return '0s';
  const n = frames * r.den;
  const g = gcd(Math.abs(n), r.num);
  const num = n / g;
  const den = r.num / g;
  return den === 1 ? `${num}s` : `${num}/${den}s`;
}

/**
 * Non-drop-frame SMPTE timecode of frame `frame` counted at the rate's timebase ("01:00:00:00").
 * Throws RangeError for a negative frame.
 */
export function timecode(frame: number, r: Rate): string {
  if (frame < 0) throw new RangeError(`timecode of a negative frame (${frame})`);
  const tb = timebase(r);
  const ff = frame % tb;
  const totalS = Math.floor(frame / tb);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(totalS / 3600))}:${p(Math.floor(totalS / 60) % 60)}:${p(totalS % 60)}:${p(ff)}`;
}

/**
 * Frame number of a timecode "HH:MM:SS:FF" (";" before the frames accepted) at the rate's
 * timebase. Throws RangeError naming the text when it is not a timecode at that rate.
 */
export function parseTimecode(text: string, r: Rate): number {
  const m = /^(\d{1,2}):(\d{2}):(\d{2})[:;](\d{2})$/.exec(text.trim());
  const tb = timebase(r);
  if (!m || Number(m[2]) > 59 || Number(m[3]) > 59 || Number(m[4]) >= tb) throw new RangeError(`"${text}" is not a timecode HH:MM:SS:FF at ${tb} frames per second`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * tb + Number(m[4]);
}
