/**
 * What the public LTX API renders, by model: sizes, frame rates, durations and endpoints.
 *
 * Source: the Supported Models page, https://docs.ltx.video/models, and the API reference's
 * request schemas (https://docs.ltx.video/api-documentation/api-reference), read 2026-12-02.
 * The LTX-2 rows are the page's own table. The LTX-2.3 table could only be read in part; rows
 * marked `assumed` come from the request schema's enums and the pricing page's rows and wait for
 * a check against the page. The deprecation notice (https://docs.ltx.video/ltx-2-deprecation)
 * announced ltx-2-fast / ltx-2-pro as deprecated on 2026-07-15 (served by LTX-2.3) and removed on
 * 2026-08-15; they are kept here because the public pricing page still lists them, with a note on
 * every row that uses them.
 */

/** Endpoints of the public API this provider uses (`/v1/<endpoint>` and `/v2/<endpoint>`). */
export type LtxEndpoint = 'text-to-video' | 'image-to-video' | 'audio-to-video';

/** One model's limits. Sizes are WIDTHxHEIGHT in pixels, durations whole seconds. */
export interface LtxModelSpec {
  id: string;
  endpoints: LtxEndpoint[];
  /** Output sizes for text- and image-to-video. */
  sizes: string[];
  fps: number[];
  /** Durations every size and rate allows. */
  durations: number[];
  /** Longer clips, allowed only at these sizes and rates. */
  long?: { durations: number[]; sizes: string[]; fps: number[] };
  /** Whether `last_frame_uri` (the shot's last frame) is accepted. */
  lastFrame: boolean;
  /** A newer model the service routes this one to, when this one is deprecated. */
  successor?: string;
  /** Lines of this row that the readable pages did not state. */
  assumed: string[];
}

const LANDSCAPE = ['1920x1080', '2560x1440', '3840x2160'];
const PORTRAIT = ['1080x1920', '1440x2560', '2160x3840'];
const LONG = [12, 14, 16, 18, 20];

/** The models, default first. */
export const LTX_MODEL_SPECS: readonly LtxModelSpec[] = [
  {
    id: 'ltx-2-3-fast',
    endpoints: ['text-to-video', 'image-to-video'],
    sizes: ['1280x720', '720x1280', ...LANDSCAPE, ...PORTRAIT],
    fps: [24, 25, 48, 50],
    durations: [6, 8, 10],
    long: { durations: LONG, sizes: ['1920x1080', '1080x1920'], fps: [24, 25] },
    lastFrame: true,
    assumed: ['720p sizes (on the pricing page, not in the readable part of the models page)', 'portrait sizes and 24/48 fps', '12-20 s at 1080p in either orientation'],
  },
  {
    id: 'ltx-2-3-pro',
    endpoints: ['text-to-video', 'image-to-video', 'audio-to-video'],
    sizes: [...LANDSCAPE, ...PORTRAIT],
    fps: [24, 25, 48, 50],
    durations: [6, 8, 10],
    lastFrame: true,
    assumed: ['portrait sizes and 24/48 fps'],
  },
  {
    id: 'ltx-2-fast',
    endpoints: ['text-to-video', 'image-to-video'],
    sizes: LANDSCAPE,
    fps: [25, 50],
    durations: [6, 8, 10],
    long: { durations: LONG, sizes: ['1920x1080'], fps: [25] },
    lastFrame: false,
    successor: 'ltx-2-3-fast',
    assumed: [],
  },
  {
    id: 'ltx-2-pro',
    endpoints: ['text-to-video', 'image-to-video', 'audio-to-video'],
    sizes: LANDSCAPE,
    fps: [25, 50],
    durations: [6, 8, 10],
    lastFrame: false,
    successor: 'ltx-2-3-pro',
    assumed: [],
  },
];

/** The model a row gets when it names none (audio-to-video: the default model that has that endpoint). */
export const LTX_DEFAULT_MODEL = 'ltx-2-3-fast';

/** Audio-to-video: the output size follows the image's orientation; the length follows the audio (2-20 s); 25 fps. */
export const LTX_AUDIO_TO_VIDEO = { sizes: ['1920x1080', '1080x1920'], minAudioS: 2, maxAudioS: 20, fps: 25 } as const;

/** The spec of a model id, or undefined. */
export function ltxModel(id: string): LtxModelSpec | undefined {
  return LTX_MODEL_SPECS.find((m) => m.id === id);
}

/** Durations a model allows at a size and rate, in seconds. */
export function ltxDurations(m: LtxModelSpec, size: string, fps: number): number[] {
  return m.long && m.long.sizes.includes(size) && m.long.fps.includes(fps) ? [...m.durations, ...m.long.durations] : m.durations;
}

/** `camera_motion` values of the text- and image-to-video request schemas. */
export const LTX_CAMERA_MOTIONS = ['dolly_in', 'dolly_out', 'dolly_left', 'dolly_right', 'jib_up', 'jib_down', 'static', 'focus_shift'] as const;

/**
 * Input media (Input Formats page, https://docs.ltx.video/input-formats, read 2026-12-02): types
 * and the largest data URI (encoded size, bytes). Larger local files go through the upload
 * endpoint (100 MB); remote inputs must be HTTPS URLs.
 */
export const LTX_INPUTS = {
  image: { mimes: ['image/png', 'image/jpeg', 'image/webp'], names: 'PNG, JPEG or WEBP', maxDataUriBytes: 7 * 1024 * 1024 },
  audio: { mimes: ['audio/wav', 'audio/x-wav', 'audio/vnd.wave', 'audio/wave', 'audio/mpeg', 'audio/mp4', 'audio/x-m4a', 'audio/ogg'], names: 'WAV, MP3, M4A or OGG', maxDataUriBytes: 15 * 1024 * 1024 },
  // A take's clip (retake, extend): always uploaded.
  video: { mimes: ['video/mp4', 'video/quicktime'], names: 'MP4 or MOV', maxDataUriBytes: 0 },
  maxUploadBytes: 100 * 1024 * 1024,
} as const;
