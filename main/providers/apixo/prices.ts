/**
 * APIXO prices for LTX 2 19B, from its doc: shared/provider-docs/004_778e99b7f865feb7.txt
 * ("Billing"): billed per second; the unit price is chosen by resolution and by base vs LoRA mode,
 * then multiplied by the submitted duration ("total cost = duration * selected per-second unit
 * price"). Prices are in USD. The doc's own minimum-5-s column is the worked example:
 * 5 s at 720p base = $0.08, 5 s at 1080p LoRA = $0.15.
 * The doc promises no refund for failed tasks and the API reports no cost, so only estimates exist.
 */

/** USD per second of video, by resolution tier: `base` for text-/image-to-video, `lora` for the -LoRA modes. */
export const APIXO_USD_PER_SECOND = {
  '480p': { base: 0.012, lora: 0.015 },
  '720p': { base: 0.016, lora: 0.02 },
  '1080p': { base: 0.024, lora: 0.03 },
} as const satisfies Record<string, { base: number; lora: number }>;

/** A resolution tier APIXO prices (and renders). */
export type ApixoResolution = keyof typeof APIXO_USD_PER_SECOND;

/** The per-second unit price in USD for a resolution tier, base or LoRA mode; undefined for a tier the doc does not price. */
export function apixoUnitPrice(resolution: string, lora: boolean): number | undefined {
  const row = (APIXO_USD_PER_SECOND as Record<string, { base: number; lora: number }>)[resolution];
  return row ? (lora ? row.lora : row.base) : undefined;
}

/**
 * Cost in USD of a clip of `duration` seconds at `resolution` ("480p" | "720p" | "1080p"), base or
 * LoRA mode: duration x unit price, rounded to 1/10000 USD. Throws RangeError for a resolution the
 * doc does not price.
 */
export function apixoUsd(duration: number, resolution: string, lora: boolean): number {
  const unit = apixoUnitPrice(resolution, lora);
  if (unit === undefined) throw new RangeError(`APIXO prices 480p, 720p and 1080p only; got ${resolution}`);
  return Math.round(duration * unit * 10_000) / 10_000;
}
