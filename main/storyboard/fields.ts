/**
 * Parsers for single storyboard cells. Each returns a value or throws {@link CellError} with a
 * message in a creator's words; the importer adds the row and column.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  ASPECT_RATIOS,
  MODES,
  RESOLUTION_TIERS,
  type AspectRatio,
  type LoraRef,
  type MediaRef,
  type Mode,
  type Resolution,
  type ResolutionTier,
} from './shot';

/** A cell that cannot be used, with the reason. */
export class CellError extends Error {}

/** Pixel sizes of the named tiers at 16:9 (width x height); 9:16 swaps them. */
export const TIER_SIZES: Record<ResolutionTier, [number, number]> = {
  '480p': [854, 480],
  '720p': [1280, 720],
  '1080p': [1920, 1080],
  '1440p': [2560, 1440],
  '2160p': [3840, 2160],
};

/**
 * Parses a number cell; accepts a decimal comma ("2,5"). Throws on NaN, infinities, text and
 * numbers like "1,000" whose comma could be a thousands separator or a decimal comma.
 */
/** Plain digits with at most one point ("5", "2.5", "25"), nothing else: Number() reads it as written. */
function isPlainNumber(text: string): boolean {
  if (text.length === 0 || text.length >= 16) return false;
  let points = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (++points > 1 || text.length === 1) return false;
    } else if (c < 48 || c > 57) return false;
  }
  return true;
}

export function parseNumber(text: string, what: string): number {
  // Fast path, most cells.
  if (isPlainNumber(text)) return Number(text);
  if (/^[-+]?\d{1,3},\d{3}$/.test(text.trim())) {
    throw new CellError(`${what} "${short(text)}" is ambiguous: a thousands separator or a decimal comma? Write it without the comma (1000) or with a point (1.5)`);
  }
  const t = text.trim().replace(/^(-?\d+),(\d+)$/, '$1.$2');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) throw new CellError(`${what} must be a number, got "${short(text)}"`);
  const n = Number(t);
  if (!Number.isFinite(n)) throw new CellError(`${what} must be a finite number, got "${short(text)}"`);
  return n;
}

/** Duration in seconds: a number > 0 and <= 600, with an optional trailing "s" ("5s", "5 sec"). */
export function parseDuration(text: string): number {
  // Most cells are a plain number of seconds ("5", "2.5"): no time-of-day or unit checks needed.
  if (isPlainNumber(text)) return checkDuration(Number(text));
  if (/^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text.trim())) {
    throw new CellError(`duration "${short(text)}" looks like a time (spreadsheets turn 0:05 into a time of day); write the length in seconds, e.g. 5`);
  }
  return checkDuration(parseNumber(text.trim().replace(/\s*s(ec(onds?)?)?$/i, ''), 'duration'));
}

function checkDuration(n: number): number {
  if (n <= 0) throw new CellError(`duration must be more than 0 seconds, got ${n}`);
  if (n > 600) throw new CellError(`duration must be at most 600 seconds, got ${n}`);
  return n;
}

/** Frames per second: a number from 1 to 120. */
export function parseFps(text: string): number {
  const n = parseNumber(text, 'fps');
  if (n < 1 || n > 120) throw new CellError(`fps must be between 1 and 120, got ${n}`);
  return n;
}

/** Seed: -1 (random) or a whole number from 0 to 4294967295. */
export function parseSeed(text: string): number {
  const n = parseNumber(text, 'seed');
  if (!Number.isInteger(n) || n < -1 || n > 4294967295) throw new CellError(`seed must be -1 (random) or a whole number from 0 to 4294967295, got "${short(text)}"`);
  return n;
}

/** Most takes one row may ask for (column `takes`, `--takes`): each take is a paid render. */
export const MAX_TAKES = 10;

/**
 * Takes: how many variants of the shot one batch renders, a whole number from 1 to
 * {@link MAX_TAKES}. Take k uses seed `seed + k - 1` (see main/queue/takes.ts).
 */
export function parseTakes(text: string): number {
  const n = parseNumber(text, 'takes');
  if (!Number.isInteger(n) || n < 1 || n > MAX_TAKES) throw new CellError(`takes must be a whole number from 1 to ${MAX_TAKES} (each take is a paid render), got "${short(text)}"`);
  return n;
}

/** Mode: one of {@link MODES}; "t2v"/"i2v"/"a2v" and spaces for hyphens are accepted. */
export function parseMode(text: string): Mode {
  const t = text.trim().toLowerCase().replace(/[\s_]+/g, '-');
  const short: Record<string, Mode> = { t2v: 'text-to-video', i2v: 'image-to-video', a2v: 'audio-to-video', text: 'text-to-video', image: 'image-to-video', audio: 'audio-to-video' };
  const m = short[t] ?? t;
  if (!(MODES as readonly string[]).includes(m)) throw new CellError(`mode must be one of ${MODES.join(', ')}; got "${short_(text)}"`);
  return m as Mode;
}

/** Aspect ratio: 16:9 or 9:16. */
export function parseAspectRatio(text: string): AspectRatio {
  if (text === '16:9' || text === '9:16') return text;
  const t = text.trim().replace(/\s+/g, '').replace(/[x/]/i, ':');
  if (!(ASPECT_RATIOS as readonly string[]).includes(t)) throw new CellError(`aspect_ratio must be 16:9 or 9:16, got "${short(text)}"`);
  return t as AspectRatio;
}

/** The named tiers' resolutions, one frozen object per tier and aspect ratio (shared by every row that names it). */
const TIER_RESOLUTIONS = { '16:9': new Map<ResolutionTier, Resolution>(), '9:16': new Map<ResolutionTier, Resolution>() };
function tierResolution(tier: ResolutionTier, aspect: AspectRatio): Resolution {
  const byTier = TIER_RESOLUTIONS[aspect];
  let r = byTier.get(tier);
  if (!r) {
    const [w, h] = TIER_SIZES[tier];
    r = Object.freeze(aspect === '9:16' ? { label: tier, width: h, height: w, tier } : { label: tier, width: w, height: h, tier });
    byTier.set(tier, r);
  }
  return r;
}

/**
 * Resolution: a tier (480p, 720p, 1080p, 1440p, 2160p; also "4K") sized by the aspect ratio, or
 * WIDTHxHEIGHT in pixels (each 16..7680, even).
 */
export function parseResolution(text: string, aspect: AspectRatio): Resolution {
  const t = TIER_SIZES[text as ResolutionTier] ? text : text.trim().toLowerCase().replace(/\s+/g, '');
  const tier = (t === '4k' ? '2160p' : t) as ResolutionTier;
  if ((RESOLUTION_TIERS as readonly string[]).includes(tier)) return tierResolution(tier, aspect);
  const m = /^(\d{2,5})[x×*](\d{2,5})$/.exec(t);
  if (!m) throw new CellError(`resolution must be 480p, 720p, 1080p, 1440p, 2160p or WIDTHxHEIGHT (e.g. 1280x720), got "${short(text)}"`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  for (const [v, name] of [[width, 'width'], [height, 'height']] as const) {
    if (v < 16 || v > 7680) throw new CellError(`resolution ${name} must be 16..7680 pixels, got ${v}`);
    if (v % 2 !== 0) throw new CellError(`resolution ${name} must be even (video encoders need it), got ${v}`);
  }
  const shortSide = Math.min(width, height);
  const matched = RESOLUTION_TIERS.find((r) => TIER_SIZES[r][1] === shortSide);
  return { label: `${width}x${height}`, width, height, tier: matched };
}

/**
 * A media reference: an http(s) URL, or a path relative to the storyboard's folder that must stay
 * inside it (no "../" escapes, no absolute paths elsewhere). Other URL schemes are refused.
 *
 * Backslashes count as folder separators on every system (a storyboard written on Windows says
 * "shots\\a.png"), so "..\\..\\secret" is refused everywhere, as are Windows drive paths
 * ("C:\\...") and network paths ("\\\\server\\share"). Links are checked by
 * {@link checkInsideFolder} once the file exists.
 */
export function parseMediaRef(text: string, storyboardDir: string, what: string): MediaRef {
  const t = text.trim();
  if (t.includes('\0')) throw new CellError(`${what} contains a NUL character; write a plain file name or URL`);
  // On Windows, path.resolve below handles drive and network paths (inside the folder is fine).
  if (process.platform !== 'win32' && (/^[a-z]:[\\/]/i.test(t) || /^[\\/]{2}/.test(t))) {
    throw new CellError(`${what} "${short(t)}" is an absolute path (a drive or network share) outside the storyboard's folder; copy the file next to the storyboard and use a relative path`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(t);
  if (scheme && !(process.platform === 'win32' && scheme[1].length === 1)) {
    const s = scheme[1].toLowerCase();
    if (s.length === 1 && process.platform !== 'win32') throw new CellError(`${what} "${short(t)}" is a Windows drive path outside the storyboard's folder; copy the file next to the storyboard and use a relative path`);
    if (s !== 'http' && s !== 'https') throw new CellError(`${what} must be a file next to the storyboard or an http(s) URL; "${s}:" links are not allowed`);
    try {
      const u = new URL(t);
      if (!u.hostname) throw new Error('no host');
      return { kind: 'url', url: u.toString(), original: t };
    } catch {
      throw new CellError(`${what} is not a valid URL: "${short(t)}"`);
    }
  }
  const base = path.resolve(storyboardDir);
  const full = path.resolve(base, t.replace(/\\/g, '/'));
  if (!isInside(base, full)) {
    throw new CellError(`${what} "${short(t)}" points outside the storyboard's folder; copy the file next to the storyboard and use a relative path`);
  }
  return { kind: 'file', path: full, original: t };
}

/** True when `file` is `dir` or below it (both absolute). A name like "..foo.png" is inside. */
function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return !(rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel));
}

/**
 * Follows links: a media file that is (or sits in a folder that is) a symbolic link leading
 * outside the storyboard's folder is refused, so "../" rules cannot be sidestepped with a link.
 * Returns the problem in a creator's words, or undefined when the file is inside (or missing:
 * the media check then says "file not found").
 */
export function checkInsideFolder(ref: MediaRef, storyboardDir: string, what: string): string | undefined {
  if (ref.kind !== 'file') return undefined;
  let realBase: string;
  try {
    realBase = fs.realpathSync(path.resolve(storyboardDir));
  } catch {
    return undefined;
  }
  let real: string;
  try {
    real = fs.realpathSync(ref.path);
  } catch {
    try {
      if (fs.lstatSync(ref.path).isSymbolicLink()) return `${what} "${short(ref.original)}" is a link to a file that does not exist (${short(fs.readlinkSync(ref.path))})`;
    } catch {
      /* missing: reported by the media check */
    }
    return undefined;
  }
  if (!isInside(realBase, real)) {
    return `${what} "${short(ref.original)}" is a symbolic link (or inside a linked folder) that leads outside the storyboard's folder, to ${short(real)}; copy the file next to the storyboard instead`;
  }
  return undefined;
}

/**
 * LoRAs: entries separated by ";" or new lines, each "PATH" or "PATH SCALE" (scale a number,
 * default 1.0). At most 8 are read; providers apply their own limits (APIXO: 3, scale 0-4).
 */
export function parseLoras(text: string): LoraRef[] {
  const out: LoraRef[] = [];
  for (const part of text.split(/[;\n]+/)) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\S+)(?:\s+([-+]?\d*\.?\d+))?$/.exec(p);
    if (!m) throw new CellError(`loras entry "${short(p)}" must be "PATH" or "PATH SCALE", e.g. "https://example.com/style.safetensors 0.8"`);
    out.push({ path: m[1], scale: m[2] === undefined ? 1 : Number(m[2]) });
  }
  if (out.length > 8) throw new CellError(`at most 8 loras per shot, got ${out.length}`);
  return out;
}

/** Budget per row in USD: a number >= 0, "$" allowed. */
export function parseBudget(text: string): number {
  const n = parseNumber(text.trim().replace(/^\$|\s*usd$/gi, ''), 'budget');
  if (n < 0) throw new CellError(`budget must be 0 or more USD, got ${n}`);
  return n;
}

function short(text: string): string {
  const t = String(text);
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}
const short_ = short;
