/**
 * API in One (apiin.one) prices, from its doc: shared/provider-docs/000_1e6d0a5a9f68c7a8.txt.
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
