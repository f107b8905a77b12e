/**
 * LTX API (Lightricks) prices, from its doc: shared/provider-docs/003_28694a66eaeaa661.txt
 * ("Pricing (per second of video)"). USD per second of video, by model and resolution:
 *
 *   | Model      | 1080p | 1440p | 4K    |
 *   | ltx-2-fast | $0.02 | $0.04 | $0.08 |
 *   | ltx-2-pro  | $0.05 | $0.10 | $0.20 |
 *
 * The doc marks every price "~" (approximate) and gives these worked examples, which the table
 * reproduces exactly: 6 s fast 1080p = $0.12, 10 s fast 1080p = $0.20, 6 s pro 1080p = $0.30,
 * 6 s pro 4K = $1.20. The amount actually charged is the response's `cost` field.
 */

/** Model ids of the doc ("Models"); the first is the service's default. */
export const LTX_MODELS = ['ltx-2-fast', 'ltx-2-pro'] as const;
/** One of {@link LTX_MODELS}. */
export type LtxModelId = (typeof LTX_MODELS)[number];

/** Resolutions of the doc's `resolution` parameter, with the price table's column names. */
export const LTX_RESOLUTIONS = { '1920x1080': '1080p', '2560x1440': '1440p', '3840x2160': '4K' } as const;
/** One of the keys of {@link LTX_RESOLUTIONS}. */
export type LtxResolution = keyof typeof LTX_RESOLUTIONS;

/** USD per second of video by model and resolution (the doc's price table). */
export const LTX_USD_PER_SECOND: Readonly<Record<LtxModelId, Readonly<Record<LtxResolution, number>>>> = {
  'ltx-2-fast': { '1920x1080': 0.02, '2560x1440': 0.04, '3840x2160': 0.08 },
  'ltx-2-pro': { '1920x1080': 0.05, '2560x1440': 0.1, '3840x2160': 0.2 },
};

/**
 * USD for `durationS` seconds of `model` at `resolution` (rounded to 1/10,000 of a dollar to drop
 * floating-point noise). Unknown models or resolutions throw: validate() refuses them first.
 */
export function ltxUsd(model: LtxModelId, resolution: LtxResolution, durationS: number): number {
  const perSecond = LTX_USD_PER_SECOND[model]?.[resolution];
  if (perSecond === undefined) throw new Error(`no LTX price for ${model} at ${resolution}`);
  return Math.round(perSecond * durationS * 10_000) / 10_000;
}
