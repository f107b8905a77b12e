/**
 * Bytecompute prices, from its doc: shared/provider-docs/001_a37c907d49c89d52.txt (the pricing
 * table at the top: "Billed per second of generated video"), the same table as the public model
 * page https://bytecompute.ai/model/bytecompute/lightricks-ltx-2 (read 2026-12-02).
 *   sd: <= 1280x720  -> $0.02 per second
 *   hd: >  1280x720  -> $0.04 per second
 *   "The SD/HD boundary is 921,600 total pixels (width x height)."
 * Assumed (neither page says): the doc also says "The tier is determined by resolution and frame
 * rate" but its table names resolution only and gives no frame-rate rule, so 25 and 50 fps are
 * priced alike here; and failed jobs produce no video and are not billed (billing is per second
 * of generated video).
 */

/** Where the table comes from and when it was read. */
export const BYTECOMPUTE_PRICES_SOURCE = {
  url: 'https://bytecompute.ai/model/bytecompute/lightricks-ltx-2',
  doc: 'shared/provider-docs/001_a37c907d49c89d52.txt',
  read: '2026-12-02',
} as const;

/** One price tier: clips of at most `maxPixels` (width x height) cost `usdPerSecond`. */
export interface BytecomputeTier {
  /** The doc's tier name. */
  tier: 'sd' | 'hd';
  /** Largest width x height in this tier (inclusive); Infinity for the top tier. */
  maxPixels: number;
  /** USD per second of generated video. */
  usdPerSecond: number;
}

/** The doc's price table, cheapest first: SD up to 921,600 px (1280x720), HD above. */
export const BYTECOMPUTE_PRICES: readonly BytecomputeTier[] = [
  { tier: 'sd', maxPixels: 921_600, usdPerSecond: 0.02 },
  { tier: 'hd', maxPixels: Number.POSITIVE_INFINITY, usdPerSecond: 0.04 },
] as const;

/** The tier a `width` x `height` clip (pixels) is billed at. */
export function bytecomputeTier(width: number, height: number): BytecomputeTier {
  const px = width * height;
  return BYTECOMPUTE_PRICES.find((t) => px <= t.maxPixels) ?? BYTECOMPUTE_PRICES[BYTECOMPUTE_PRICES.length - 1];
}

/**
 * USD for `durationS` seconds of video at `width` x `height` pixels, rounded to 1/10000 USD
 * (e.g. 5 s at 1280x720 = $0.10; 5 s at 1920x1080 = $0.20).
 */
export function bytecomputeUsd(width: number, height: number, durationS: number): { tier: BytecomputeTier; usd: number } {
  const tier = bytecomputeTier(width, height);
  return { tier, usd: Math.round(durationS * tier.usdPerSecond * 10_000) / 10_000 };
}

/** The table as lines for `ltx-batch providers` / `prices`; what neither page states is marked "(assumed)". */
export function describeBytecomputePrices(): string[] {
  return [
    ...BYTECOMPUTE_PRICES.map((t) => `${t.tier.toUpperCase()} (${Number.isFinite(t.maxPixels) ? `up to ${t.maxPixels.toLocaleString('en-US')} pixels` : 'above that'}): $${t.usdPerSecond}/s of video`),
    '25 and 50 fps cost the same (assumed: the page says the tier depends on frame rate too, but gives no rule)',
    'failed jobs cost nothing (assumed: billed per second of generated video)',
  ];
}
