/**
 * API in One (apiin.one) prices, from its doc: shared/provider-docs/000_1e6d0a5a9f68c7a8.txt
 * (read 2026-11-21; the public model page https://apiin.one/model/ltx-2, read 2026-12-02, repeats
 * "20–512 credits per video").
 *
 * What the doc states, and all that this table holds:
 *   - "Pricing: 20–512 credits per video (~$0.20–$5.12)"  -> $0.01 per credit.
 *   - FAQ "How much does LTX-2 cost?": "Credits depend on mode, resolution, and duration.
 *     Text/image-to-video: 20–76 credits. Lipsync: 32–256 credits. Control: 64–512 credits."
 *   - "Models on the same endpoint": grok-video 24 credits, wan-2-6 80 credits, kling-3 300 credits
 *     (one price per video, no range).
 * The doc gives no formula for ltx-2 by resolution and duration, so an ltx-2 estimate is the
 * mode's whole range (min < max) and budgets count its upper bound. (The route header also reads
 * "24 credits" for ltx-2; the FAQ ranges are what is used, since 24 is inside the text-to-video range
 * and the doc does not say which request it prices.)
 */
import type { Mode } from '../../storyboard/shot';

/** Where the table comes from and when it was read. */
export const APIINONE_PRICES_SOURCE = { source: 'shared/provider-docs/000_1e6d0a5a9f68c7a8.txt', read: '2026-11-21' } as const;

/** What the price lines rely on that no doc or public page states (marked "(assumed)" in the table). */
const APIINONE_PRICE_ASSUMPTIONS = [
  'the price actually charged is read from the task answer (credits_used or consumed_credits); no published answer shows a credit field',
  'a failed task keeps the credits it reports (the doc says nothing of refunds)',
] as const;

/** USD per credit the doc implies ($0.20 for 20 credits, $5.12 for 512). Overridable by APIINONE_USD_PER_CREDIT. */
export const APIINONE_DOC_USD_PER_CREDIT = 0.01;

/** ltx-2 credits per video by mode, as ranges (FAQ "How much does LTX-2 cost?"). */
export const APIINONE_LTX2_CREDIT_RANGES: Readonly<Record<'text-to-video' | 'image-to-video' | 'lipsync' | 'control', { min: number; max: number }>> = {
  'text-to-video': { min: 20, max: 76 },
  'image-to-video': { min: 20, max: 76 },
  lipsync: { min: 32, max: 256 },
  control: { min: 64, max: 512 },
};

/** Flat credits per video of the other models on the same endpoint ("Models on the same endpoint"). */
export const APIINONE_FLAT_MODEL_CREDITS: Readonly<Record<string, number>> = {
  'grok-video': 24,
  'wan-2-6': 80,
  'kling-3': 300,
};

/**
 * Credits one video may cost, as `{min, max, basis}`: the mode's range for ltx-2 (min < max), the
 * flat price for grok-video / wan-2-6 / kling-3 (min = max). Throws on a mode or model the doc
 * does not price (validate() refuses those first).
 */
export function apiinoneCredits(model: string, mode: Mode): { min: number; max: number; basis: string } {
  const flat = APIINONE_FLAT_MODEL_CREDITS[model];
  if (flat !== undefined) return { min: flat, max: flat, basis: `${model}: ${flat} credits per video (flat, from the doc)` };
  const range = (APIINONE_LTX2_CREDIT_RANGES as Record<string, { min: number; max: number } | undefined>)[mode];
  if (!range) throw new Error(`apiinone has no price for ${model} ${mode}`);
  return {
    min: range.min,
    max: range.max,
    basis: `${model} ${mode}: ${range.min}-${range.max} credits (the doc gives only a range per mode; it depends on resolution and duration)`,
  };
}

/** The table as lines for `ltx-batch providers` / `prices`; `usdPerCredit` is APIINONE_USD_PER_CREDIT when set. */
export function describeApiinonePrices(usdPerCredit?: number): string[] {
  return [
    `ltx-2 (the doc gives ranges only; budgets use the top): ${Object.entries(APIINONE_LTX2_CREDIT_RANGES).map(([m, r]) => `${m} ${r.min}-${r.max}`).join(', ')} credits`,
    `other models, per video: ${Object.entries(APIINONE_FLAT_MODEL_CREDITS).map(([m, c]) => `${m} ${c}`).join(', ')} credits`,
    `USD per credit: ${usdPerCredit ?? APIINONE_DOC_USD_PER_CREDIT}${usdPerCredit ? ' (APIINONE_USD_PER_CREDIT)' : " (the doc's 20-512 credits = ~$0.20-$5.12)"}`,
    ...APIINONE_PRICE_ASSUMPTIONS.map((a) => `${a} (assumed)`),
  ];
}
