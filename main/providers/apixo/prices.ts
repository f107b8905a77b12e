/**
 * APIXO prices for LTX 2 19B, from its doc: shared/provider-docs/004_778e99b7f865feb7.txt
 * ("Billing"), the same table as the public page https://apixo.ai/docs/models/video/ltx-2-19b
 * (read 2026-12-02): billed per second; the unit price is chosen by resolution and by base vs LoRA mode,
 * then multiplied by the submitted duration ("total cost = duration * selected per-second unit
 * price"). Prices are in USD. The doc's own minimum-5-s column is the worked example:
 * 5 s at 720p base = $0.08, 5 s at 1080p LoRA = $0.15.
 * The doc promises no refund for failed tasks and the API reports no cost, so only estimates exist
 * (that a failed task is billed all the same is assumed: neither page says).
 */

/** Where the table comes from and when it was read. */
export const APIXO_PRICES_SOURCE = {
  url: 'https://apixo.ai/docs/models/video/ltx-2-19b',
  doc: 'shared/provider-docs/004_778e99b7f865feb7.txt',
  read: '2026-12-02',
} as const;

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

/** The "Billing" table as lines for `ltx-batch providers` / `prices`; what the page does not state is marked "(assumed)". */
export function describeApixoPrices(): string[] {
  return [
    ...Object.entries(APIXO_USD_PER_SECOND).map(([r, p]) => `${r}: $${p.base}/s base modes, $${p.lora}/s LoRA modes`),
    'total = duration x per-second price; LoRA modes are used when the loras column is filled',
    'failed tasks are billed all the same (assumed: the doc promises no refund, and the API reports no cost)',
  ];
}
