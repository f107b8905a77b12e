/**
 * Retake and extend on the public LTX API (https://docs.ltx.video, API reference: "Retake video
 * section" and "Extend video", sync /v1 and async /v2; read 2026-12-02):
 *
 *   POST /v2/retake  {video_uri, start_time >= 0, duration >= 2, prompt?, mode?, resolution?, model?}
 *   POST /v2/extend  {video_uri, duration 2-20, prompt?, mode: end|start, model?, context? 1-20}
 *   then GET /v2/{retake|extend}/{id} like every async job; the result is the whole new video.
 *
 * The input video must have at least 73 frames (about 3 s at 24 fps), at most 3840x2160; extend
 * takes 16:9 or 9:16 and keeps the input's resolution; a retake answers 1920x1080 (1080x1920 for
 * portrait) unless told. Both default to ltx-2-3-pro. The take's clip is uploaded (POST
 * /v1/upload) when the job is sent.
 *
 * Prices (assumed, see LTX_EDIT_PRICES): the pricing page read here lists no retake or extend line.
 */
import type { EditResult, EditSource, FieldIssue, TakeEdit } from '../provider';
import { checkEdit, editedLength, editNote } from '../edit-checks';
import { LTX_PRICE_TIERS, ltxRate, usdFor } from './prices';
import type { LocalMedia } from './media';

/** The model both endpoints default to and the only one their reference lists. */
export const LTX_EDIT_MODEL = 'ltx-2-3-pro';
/** Fewest frames an input video may have (both endpoints). */
export const LTX_EDIT_MIN_FRAMES = 73;
/** Largest input, pixels on each side (landscape or portrait). */
export const LTX_EDIT_MAX_SIZE = { long: 3840, short: 2160 } as const;
/** Extension length, seconds. */
export const LTX_EXTEND_SECONDS = { min: 2, max: 20 } as const;

/**
 * What an edit costs, assumed until the pricing page lists it: a retake at $0.10 per second (the
 * figure third-party listings of the same endpoint give), an extension at ltx-2-3-pro's rate for
 * the input's size; both charged on the whole new video, the upper bound of the two readings
 * (the whole output or only the new part), so a budget errs high.
 */
export const LTX_EDIT_PRICES = { retakeUsdPerSecond: 0.1, extendModel: LTX_EDIT_MODEL, basis: 'per second of the whole new take (assumed)' } as const;

/** USD per second of ltx-2-3-pro at the smallest priced tier that holds a short side of `side` pixels. */
function extendRate(side: number): number {
  const tiers = Object.keys(LTX_PRICE_TIERS).map(Number).sort((a, b) => a - b);
  for (const t of tiers) {
    const r = ltxRate(LTX_EDIT_MODEL, t);
    if (r !== undefined && t >= side) return r;
  }
  return ltxRate(LTX_EDIT_MODEL, 2160)!;
}

/** Builds the request and estimate of a retake or extension of `source` on the LTX API. Sends nothing. */
export function ltxEdit(edit: TakeEdit, source: EditSource): EditResult {
  const issues: FieldIssue[] = checkEdit(edit, source);
  const frames = Math.round(source.durationS * source.fps);
  if (frames < LTX_EDIT_MIN_FRAMES) issues.push({ column: 'take', message: `ltx ${edit.kind}s videos of at least ${LTX_EDIT_MIN_FRAMES} frames (about 3 s at 24 fps); this take has ${frames}` });
  const long = Math.max(source.width, source.height);
  const short = Math.min(source.width, source.height);
  if (long > LTX_EDIT_MAX_SIZE.long || short > LTX_EDIT_MAX_SIZE.short) issues.push({ column: 'take', message: `ltx takes videos up to 3840x2160; this take is ${source.width}x${source.height}` });
  if (edit.kind === 'extend') {
    const ratio = source.width / source.height;
    if (Math.abs(ratio - 16 / 9) > 0.02 && Math.abs(ratio - 9 / 16) > 0.02) issues.push({ column: 'take', message: `ltx extends 16:9 or 9:16 videos; this take is ${source.width}x${source.height}` });
    if (edit.seconds > 0 && (edit.seconds < LTX_EXTEND_SECONDS.min || edit.seconds > LTX_EXTEND_SECONDS.max)) issues.push({ column: 'seconds', message: `ltx extends by ${LTX_EXTEND_SECONDS.min}-${LTX_EXTEND_SECONDS.max} s; got ${edit.seconds} s` });
  }
  if (issues.length) return { ok: false, issues };

  const video: LocalMedia = { file: source.clipPath, kind: 'video' };
  const prompt = (edit.prompt ?? source.prompt).trim();
  const out = editedLength(edit, source);
  const seconds = Math.ceil(out - 1e-9);
  if (edit.kind === 'retake') {
    const usd = usdFor(seconds, LTX_EDIT_PRICES.retakeUsdPerSecond);
    return {
      ok: true,
      request: { route: 'retake', body: { video_uri: video, start_time: edit.startS, duration: edit.durationS, mode: edit.mode, prompt, model: LTX_EDIT_MODEL }, notes: [editNote(edit)] },
      estimate: { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: `${seconds} s x $${LTX_EDIT_PRICES.retakeUsdPerSecond}/s (retake, ${LTX_EDIT_PRICES.basis})` },
    };
  }
  const rate = extendRate(short);
  const usd = usdFor(seconds, rate);
  return {
    ok: true,
    request: { route: 'extend', body: { video_uri: video, duration: edit.seconds, mode: edit.at, prompt, model: LTX_EDIT_MODEL }, notes: [editNote(edit)] },
    estimate: { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: `${seconds} s x $${rate}/s (extend, ${LTX_EDIT_MODEL} at ${short}p, ${LTX_EDIT_PRICES.basis})` },
  };
}
