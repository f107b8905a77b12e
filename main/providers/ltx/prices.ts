/**
 * Public LTX API prices, USD per second, from the pricing page.
 *
 *   | model        | 720p  | 1080p | 1440p | 2160p |
 *   | ltx-2-fast   |       | $0.04 | $0.08 | $0.16 |   read
 *   | ltx-2-pro    |       | $0.06 | $0.12 | $0.24 |   read
 *   | ltx-2-3-fast | $0.03 | $0.06 | $0.12 | $0.24 |   720p read; the rest assumed
 *   | ltx-2-3-pro  |       | $0.08 | $0.16 | $0.32 |   1440p read; the rest assumed
 *   audio-to-video (ltx-2-3-pro, ltx-2-pro): $0.10 per second of input audio   read
 *
 * Per second of output video, by the short side of the size (portrait sizes cost what their
 * landscape twins cost). The LTX-2.3 grid could not be read whole: the assumed cells follow the
 * ratios of the cells that were read (pro 1440p $0.16 = twice a $0.08 1080p; fast 720p $0.03 =
 * half a $0.06 1080p), and are marked so; budgets are upper bounds, so a wrong guess errs high.
 * Correct any line without a release with the prices override file (README, "Prices").
 */

/** Where the table comes from and when it was read. */
export const LTX_PRICES_SOURCE = { url: 'https://docs.ltx.video/pricing', read: '2026-12-02' } as const;

/** Short side in pixels -> the page's column name. */
export const LTX_PRICE_TIERS: Readonly<Record<number, string>> = { 720: '720p', 1080: '1080p', 1440: '1440p', 2160: '2160p' };

/** USD per second of output by model and short side (pixels); `assumed` lists the cells not read on the page. */
export const LTX_USD_PER_SECOND: Readonly<Record<string, { perSecond: Readonly<Record<number, number>>; assumed: number[] }>> = {
  'ltx-2-fast': { perSecond: { 1080: 0.04, 1440: 0.08, 2160: 0.16 }, assumed: [] },
  'ltx-2-pro': { perSecond: { 1080: 0.06, 1440: 0.12, 2160: 0.24 }, assumed: [] },
  'ltx-2-3-fast': { perSecond: { 720: 0.03, 1080: 0.06, 1440: 0.12, 2160: 0.24 }, assumed: [1080, 1440, 2160] },
  'ltx-2-3-pro': { perSecond: { 1080: 0.08, 1440: 0.16, 2160: 0.32 }, assumed: [1080, 2160] },
};

/** Audio-to-video: USD per second of the input audio. */
export const LTX_AUDIO_USD_PER_SECOND = 0.1;

/** USD per second for `model` at a size whose short side is `shortSide`; undefined when the page has no such price. */
export function ltxRate(model: string, shortSide: number): number | undefined {
  return LTX_USD_PER_SECOND[model]?.perSecond[shortSide];
}

/** `seconds` x `perSecond`, rounded to 1/10,000 of a dollar (no floating-point noise). */
export function usdFor(seconds: number, perSecond: number): number {
  return Math.round(seconds * perSecond * 10_000) / 10_000;
}

/** The table as lines for `ltx-batch providers` / `prices`, with "assumed" next to each cell not read on the page. */
export function describeLtxPrices(): string[] {
  return [
    ...Object.entries(LTX_USD_PER_SECOND).map(
      ([model, t]) => `${model}: ${Object.entries(t.perSecond).map(([side, usd]) => `$${usd}/s at ${LTX_PRICE_TIERS[Number(side)]}${t.assumed.includes(Number(side)) ? ' (assumed)' : ''}`).join(', ')}`,
    ),
    `audio-to-video: $${LTX_AUDIO_USD_PER_SECOND}/s of input audio`,
    'total = seconds x per-second price; portrait sizes cost what the landscape size with the same short side costs',
  ];
}
