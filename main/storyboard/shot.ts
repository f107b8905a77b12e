/**
 * The shot: one storyboard row after import and validation.
 *
 * Units: durations in seconds, sizes in pixels, fps in frames per second.
 */

/** Generation modes a storyboard row may ask for (column `mode`). */
export const MODES = ['text-to-video', 'image-to-video', 'audio-to-video', 'lipsync', 'control'] as const;
/** One of {@link MODES}. */
export type Mode = (typeof MODES)[number];

/** Aspect ratios a storyboard row may ask for (column `aspect_ratio`). */
export const ASPECT_RATIOS = ['16:9', '9:16'] as const;
/** One of {@link ASPECT_RATIOS}. */
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Named resolution tiers (column `resolution`), by the length of the short side in pixels. */
export const RESOLUTION_TIERS = ['480p', '720p', '1080p', '1440p', '2160p'] as const;
/** One of {@link RESOLUTION_TIERS}. */
export type ResolutionTier = (typeof RESOLUTION_TIERS)[number];

/**
 * A resolution as the row asked for it and as pixels.
 * `tier` is set when the row named a tier ("720p"), or when WIDTHxHEIGHT has the short side of one.
 */
export interface Resolution {
  /** What the row said, normalised: "720p" or "1280x720". */
  label: string;
  /** Output width in pixels. */
  width: number;
  /** Output height in pixels. */
  height: number;
  /** The tier whose short side equals min(width, height), if any. */
  tier?: ResolutionTier;
}

/**
 * A media input of a shot (image, audio or video column): a local file or an http(s) URL.
 * Local paths are resolved against the storyboard's folder and never leave it.
 */
export type MediaRef =
  /** `pending`: a file the queue writes just before the take is sent (a continued shot's start frame): at planning it does not exist yet. */
  | { kind: 'file'; path: string; original: string; pending?: true }
  | { kind: 'url'; url: string; original: string };

/** A LoRA reference from the `loras` column: `path` is a URL or name, `scale` a weight (APIXO: 0-4). */
export interface LoraRef {
  path: string;
  scale: number;
}

/** One validated storyboard row. */
export interface Shot {
  /** The shot id from the `shot` column (or the row number when the column is absent). Unique in a storyboard. */
  id: string;
  /** Position in the film, 0-based, from the order of rows (or numeric shot ids). */
  order: number;
  /** The spreadsheet row this shot came from (1-based, header is row 1). */
  row: number;
  prompt: string;
  mode: Mode;
  image?: MediaRef;
  /** The shot's last frame (column `end_image`), for providers that take one (Capabilities.endImage). */
  endImage?: MediaRef;
  audio?: MediaRef;
  video?: MediaRef;
  /** Clip length in seconds. */
  duration: number;
  resolution: Resolution;
  aspectRatio: AspectRatio;
  /** Frames per second. */
  fps: number;
  /** -1 means random (a random seed is then picked once for the shot and recorded with each take). */
  seed: number;
  /**
   * How many takes (variants) one batch renders, from the `takes` column; undefined when the cell
   * is empty (the batch's `--takes`, else 1). Take k uses seed `seed + k - 1`. Not part of what
   * makes a clip: raising it adds takes, lowering it keeps the finished ones.
   */
  takes?: number;
  /**
   * The shot id this shot continues from (column `continue_from`; `previous` resolved to the shot
   * before it in film order): it starts from the last frame of that shot's chosen take, as
   * image-to-video, and is rendered once that take exists (see main/queue/continuity.ts).
   */
  continueFrom?: string;
  /**
   * The row's prompt cell as written, when the look changed it (`{Name}` references expanded, the
   * style's prefix and suffix added: see style.ts); `prompt` is then what is sent.
   */
  rowPrompt?: string;
  /** The row's negative_prompt cell as written ('' when empty), when the style's negative prompt was added to it. */
  rowNegativePrompt?: string;
  /** Provider id chosen for this row, if the row names one (else the batch's). */
  provider?: string;
  model?: string;
  negativePrompt?: string;
  loras: LoraRef[];
  notes?: string;
  /** Per-row budget cap in USD (column `budget`), if any. */
  budget?: number;
  /** Unknown columns, kept as they were (header -> cell text). */
  metadata: Record<string, string>;
}
