/**
 * "Your prices": a creator's corrections to the providers' price tables, without a new release.
 *
 * The file is `prices.csv` in the app's data folder (README, "Prices"), one line per price:
 *
 *   provider,model,resolution,usd_per_second,note
 *   ltx,ltx-2-3-pro,1080p,0.08,checked on the pricing page 2026-12-02
 *   apixo,,,0.05,
 *
 * `model` and `resolution` may be empty (any); `resolution` is a tier (720p, 1080p, 4K) or
 * WIDTHxHEIGHT (either orientation matches). A shot takes the most specific line that matches it
 * (model and resolution, then model, then resolution, then the provider alone); its estimate is
 * then seconds x usd_per_second in USD, marked "your prices". Every line is validated with zod;
 * one bad line refuses the whole file (nothing is half-applied) with an error naming the file, the
 * line and the column.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { CostEstimate, Provider } from '../providers/provider';
import type { Shot } from '../storyboard/shot';
import { appHome } from '../settings/home';

/** The override file's name in the data folder. */
export const PRICE_OVERRIDES_FILE = 'prices.csv';

/** One line of the file. */
export interface PriceOverride {
  provider: string;
  /** Model id, or undefined for any model. */
  model?: string;
  /** Short side in pixels when the line names a resolution; with `size`, WIDTHxHEIGHT as written. */
  shortSide?: number;
  size?: string;
  /** USD per second of video. */
  usdPerSecond: number;
  note?: string;
  /** Line number in the file (the header is line 1). */
  line: number;
}

/** The overrides in force, or why none are. */
export interface PriceOverrides {
  file: string;
  overrides: PriceOverride[];
  /** Set when the file exists and a line is wrong: "FILE line N, column: what is wrong". */
  error?: string;
}

const TIERS: Record<string, number> = { '480p': 480, '720p': 720, '1080p': 1080, '1440p': 1440, '2160p': 2160, '4k': 2160 };

const Line = z.object({
  provider: z.string().trim().min(1, 'name a provider id (e.g. ltx)').regex(/^[a-z0-9_-]+$/i, 'a provider id has letters, digits, "-" or "_"'),
  model: z.string().trim().optional(),
  resolution: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => v === '' || v in TIERS || /^\d{2,5}x\d{2,5}$/.test(v), 'a tier (720p, 1080p, 1440p, 2160p, 4K) or WIDTHxHEIGHT, or empty for any')
    .optional(),
  usd_per_second: z
    .string()
    .trim()
    .min(1, 'required')
    .transform(Number)
    .refine((n) => Number.isFinite(n) && n >= 0 && n < 100, 'a number of USD per second, 0 or more (e.g. 0.06)'),
  note: z.string().optional(),
});

/** Where the file is for this environment. */
export function priceOverridesPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(appHome(env), PRICE_OVERRIDES_FILE);
}

/** Reads and validates the file; a missing file means no overrides. Never throws. */
export function loadPriceOverrides(file: string, knownProviders?: string[]): PriceOverrides {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file, overrides: [] };
    return { file, overrides: [], error: `${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  let records: Record<string, string>[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()), skip_empty_lines: true, relax_column_count: true, trim: false });
  } catch (e) {
    return { file, overrides: [], error: `${file}: not readable as CSV (${(e as Error).message})` };
  }
  const overrides: PriceOverride[] = [];
  for (let i = 0; i < records.length; i++) {
    const line = i + 2;
    const r = Line.safeParse(records[i]);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const column = issue.path[0] === undefined ? 'provider' : String(issue.path[0]);
      return { file, overrides: [], error: `${file} line ${line}, ${column}: ${issue.code === 'invalid_type' ? 'missing (the header must be provider,model,resolution,usd_per_second,note)' : issue.message}` };
    }
    const v = r.data;
    if (knownProviders && !knownProviders.includes(v.provider)) return { file, overrides: [], error: `${file} line ${line}, provider: unknown provider "${v.provider}"; known providers: ${knownProviders.join(', ')}` };
    const res = v.resolution ?? '';
    const m = /^(\d+)x(\d+)$/.exec(res);
    overrides.push({
      provider: v.provider,
      model: v.model || undefined,
      shortSide: res ? (TIERS[res] ?? Math.min(Number(m![1]), Number(m![2]))) : undefined,
      size: m ? res : undefined,
      usdPerSecond: v.usd_per_second,
      note: v.note?.trim() || undefined,
      line,
    });
  }
  return { file, overrides };
}

/** The most specific override for a shot on a provider, or undefined. */
export function matchOverride(overrides: PriceOverride[], providerId: string, shot: Shot, model: string | undefined): PriceOverride | undefined {
  const { width, height } = shot.resolution;
  const side = Math.min(width, height);
  const fits = (o: PriceOverride) =>
    o.provider === providerId && (!o.model || o.model === model) && (o.shortSide === undefined || (o.size ? o.size === `${width}x${height}` || o.size === `${height}x${width}` : o.shortSide === side));
  const score = (o: PriceOverride) => (o.model ? 2 : 0) + (o.shortSide !== undefined ? 1 : 0);
  return overrides.filter(fits).sort((a, b) => score(b) - score(a))[0];
}

/** A line describing an override, for `ltx-batch prices` and the Shots screen. */
export function describeOverride(o: PriceOverride): string {
  const what = [o.model ?? 'any model', o.size ?? (o.shortSide ? `${o.shortSide}p` : 'any resolution')].join(', ');
  return `your price: $${o.usdPerSecond}/s for ${what} (${PRICE_OVERRIDES_FILE} line ${o.line}${o.note ? `: ${o.note}` : ''})`;
}

/**
 * The provider with the overrides that name it applied to its estimates (the same object when
 * none do). Everything else is the provider's own.
 */
export function withPriceOverrides(p: Provider, all: PriceOverride[]): Provider {
  const mine = all.filter((o) => o.provider === p.id);
  if (!mine.length) return p;
  const wrapped = Object.create(p) as Provider;
  const own = p.estimate.bind(p);
  const prices = p.describePrices?.bind(p);
  const defaultModel = p.capabilities().models[0];
  wrapped.estimate = (shot: Shot): CostEstimate => {
    const o = matchOverride(mine, p.id, shot, shot.model ?? defaultModel);
    if (!o) return own(shot);
    const usd = Math.round(shot.duration * o.usdPerSecond * 10_000) / 10_000;
    return { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: `your prices: ${shot.duration} s x $${o.usdPerSecond}/s (${PRICE_OVERRIDES_FILE} line ${o.line})`, yours: true };
  };
  wrapped.describePrices = () => [...(prices?.() ?? []), ...mine.map(describeOverride)];
  return wrapped;
}
