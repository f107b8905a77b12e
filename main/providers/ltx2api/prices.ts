/**
 * ltx-2api.com prices, from its doc: shared/provider-docs/002_b07a798ff8644b97.txt ("Credit Calculation";
 * the same as https://ltx-2api.com/docs), read 2026-11-21.
 *   base_credits = 20 + (duration - 5) x 3.2; 480p = base, 720p = base + 4, 1080p = base + 8.
 *   "If generation fails, credits are automatically refunded to your account."
 * The doc names no USD price for a credit: set LTX2API_USD_PER_CREDIT (or the app's setting) to
 * convert. It names no rounding either: durations that give fractions (6 s = 23.2 + resolution)
 * are kept to 2 decimals (assumed).
 */

/** Where the table comes from and when it was read. */
export const LTX2API_PRICES_SOURCE = { source: 'shared/provider-docs/002_b07a798ff8644b97.txt', read: '2026-11-21' } as const;

/** What the price lines rely on that the doc does not state (marked "(assumed)" in the table). */
const LTX2API_PRICE_ASSUMPTIONS = ['credits for durations that give fractions are kept to 2 decimals (the doc names no rounding)'] as const;

/** Credits added per resolution on top of the duration-based base. */
export const LTX2API_RESOLUTION_CREDITS: Record<string, number> = { '480p': 0, '720p': 4, '1080p': 8 };

/** Base credits: 20 for 5 s, plus 3.2 per second above 5. */
export const LTX2API_BASE = { credits: 20, seconds: 5, perSecond: 3.2 };

/** Credits for a clip of `duration` seconds at `resolution` (the doc's worked example: 10 s at 1080p = 44). */
export function ltx2apiCredits(duration: number, resolution: string): number {
  const base = LTX2API_BASE.credits + (duration - LTX2API_BASE.seconds) * LTX2API_BASE.perSecond;
  return Math.round((base + (LTX2API_RESOLUTION_CREDITS[resolution] ?? 0)) * 100) / 100;
}

/** The table as lines for `ltx-batch providers` / `prices`; `usdPerCredit` is LTX2API_USD_PER_CREDIT when set. */
export function describeLtx2apiPrices(usdPerCredit?: number): string[] {
  return [
    `credits = 20 + (duration - 5) x 3.2, plus ${Object.entries(LTX2API_RESOLUTION_CREDITS).map(([r, c]) => `${c} at ${r}`).join(', ')}`,
    'failed tasks are refunded',
    ...LTX2API_PRICE_ASSUMPTIONS.map((a) => `${a} (assumed)`),
    usdPerCredit ? `USD per credit: ${usdPerCredit} (LTX2API_USD_PER_CREDIT)` : 'no USD rate in the doc: set LTX2API_USD_PER_CREDIT to budget in USD',
  ];
}
