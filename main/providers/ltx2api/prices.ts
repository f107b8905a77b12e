/**
 * ltx-2api.com prices, from its doc: shared/provider-docs/002_b07a798ff8644b97.txt ("Credit Calculation").
 *   base_credits = 20 + (duration - 5) x 3.2; 480p = base, 720p = base + 4, 1080p = base + 8.
 * The doc names no USD price for a credit: set LTX2API_USD_PER_CREDIT (or the app's setting) to
 * convert. Failed tasks are refunded.
 */

/** Credits added per resolution on top of the duration-based base. */
export const LTX2API_RESOLUTION_CREDITS: Record<string, number> = { '480p': 0, '720p': 4, '1080p': 8 };

/** Base credits: 20 for 5 s, plus 3.2 per second above 5. */
export const LTX2API_BASE = { credits: 20, seconds: 5, perSecond: 3.2 };

/** Credits for a clip of `duration` seconds at `resolution` (the doc's worked example: 10 s at 1080p = 44). */
export function ltx2apiCredits(duration: number, resolution: string): number {
  const base = LTX2API_BASE.credits + (duration - LTX2API_BASE.seconds) * LTX2API_BASE.perSecond;
  return Math.round((base + (LTX2API_RESOLUTION_CREDITS[resolution] ?? 0)) * 100) / 100;
}
