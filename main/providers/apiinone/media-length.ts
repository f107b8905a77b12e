/**
 * The length API in One must be told for lipsync (`audio_duration`) and control (`video_duration`):
 * read from the media's public URL with ffprobe when the shot is sent, never taken from the row.
 *
 * The doc: "audio_duration number: Audio duration in seconds for lipsync (5–20)", "video_duration
 * number: Video duration for control mode (5–20)". It names no rounding; the value sent is the
 * length rounded up to whole seconds (assumed, listed in sources()): a whole number is valid
 * whatever "number" allows, and rounding up never tells the service the media is shorter than it is.
 * Container padding of up to {@link APIINONE_LENGTH_SLACK_S} (AAC/MP3 priming) is not counted.
 */
import { probe, type MediaInfo } from '../../media/ffprobe';
import { FfmpegNotFoundError, ffprobePath } from '../../media/ffmpeg-path';
import { ProviderError, type ProviderContext } from '../provider';

/** Shortest and longest media the doc accepts, seconds. */
export const APIINONE_MEDIA_SECONDS = { min: 5, max: 20 } as const;
/** Seconds of container padding forgiven before rounding up. */
export const APIINONE_LENGTH_SLACK_S = 0.05;
/** How long ffprobe may take to read a URL, ms. */
export const APIINONE_PROBE_TIMEOUT_MS = 60_000;

/** The media field of each mode that needs a length, and the field the length goes in. */
export const APIINONE_LENGTH_FIELDS = {
  lipsync: { media: 'audio', length: 'audio_duration' },
  control: { media: 'video', length: 'video_duration' },
} as const;

/** ffprobe's reading of `url`; ffprobe is killed after {@link APIINONE_PROBE_TIMEOUT_MS} or when the job is canceled. */
function probeUrl(url: string, ctx: ProviderContext): Promise<MediaInfo> {
  return probe(url, { signal: ctx.signal, timeoutMs: APIINONE_PROBE_TIMEOUT_MS });
}

/**
 * The whole seconds to send for the media at `url`. Throws ProviderError "invalid" when its length
 * cannot be read or is outside 5-20 s (nothing is sent then), "setup" when ffprobe is missing.
 */
export async function mediaSeconds(url: string, mode: keyof typeof APIINONE_LENGTH_FIELDS, ctx: ProviderContext): Promise<number> {
  const { media, length } = APIINONE_LENGTH_FIELDS[mode];
  try {
    ffprobePath();
  } catch (e) {
    if (e instanceof FfmpegNotFoundError) throw new ProviderError('setup', `apiinone ${mode} needs the ${media}'s length and ffprobe reads it: ${e.message}`);
    throw e;
  }
  let info: MediaInfo;
  try {
    info = await probeUrl(url, ctx);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    throw new ProviderError('invalid', `apiinone ${mode}: cannot read the length of the ${media} ${url} (${(e as Error).message}); the service needs it as ${length}, so the shot was not sent`);
  }
  const stream = media === 'audio' ? info.audio?.duration : info.video?.duration;
  const seconds = [info.duration, stream].find((d): d is number => d !== undefined && Number.isFinite(d) && d > 0);
  if (seconds === undefined) throw new ProviderError('invalid', `apiinone ${mode}: ffprobe found no length in the ${media} ${url}; the service needs it as ${length}, so the shot was not sent`);
  const { min, max } = APIINONE_MEDIA_SECONDS;
  if (seconds < min - APIINONE_LENGTH_SLACK_S || seconds > max + APIINONE_LENGTH_SLACK_S) {
    throw new ProviderError('invalid', `apiinone ${mode} takes ${media} of ${min}-${max} s (${length}); ${url} is ${seconds.toFixed(2)} s long`);
  }
  return Math.min(max, Math.max(min, Math.ceil(seconds - APIINONE_LENGTH_SLACK_S)));
}
