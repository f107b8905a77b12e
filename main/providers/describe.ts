/**
 * A provider described for people: what it renders, its limits, its prices and whether it is ready.
 * Shared by `ltx-batch providers` and the app's provider list.
 */
import type { Provider } from './provider';

/** The description of one provider. Seconds, requests per minute. */
export interface ProviderDescription {
  id: string;
  label: string;
  kind: 'remote' | 'local';
  doc: string;
  modes: string[];
  resolutions: string[];
  duration: { min: number; max: number; integerOnly: boolean };
  fps: number[] | 'any';
  aspectRatios: string[];
  promptMaxChars: number;
  media: 'public URLs only' | 'local files or URLs';
  models: string[];
  concurrency: number;
  requestsPerMinute: number | null;
  prices: string[];
  /** The price table's source (doc file or public URL) and the date it was read (YYYY-MM-DD); null for free providers. */
  priceSource: { source: string; read: string } | null;
  /** Behaviour no doc or public page states, each an assumption to check against the service. */
  assumed: string[];
  ready: boolean;
  notReady: string | null;
}

/** Describes `p` as it is now (availability reads the key store). */
export function describeProvider(p: Provider): ProviderDescription {
  const c = p.capabilities();
  const l = p.limits();
  const avail = p.availability();
  return {
    id: p.id,
    label: p.label,
    kind: p.kind,
    doc: p.doc,
    modes: c.modes,
    resolutions: c.resolutions,
    duration: c.duration,
    fps: c.fps ?? 'any',
    aspectRatios: c.aspectRatios,
    promptMaxChars: c.promptMaxChars,
    media: c.mediaInputs === 'url-only' ? 'public URLs only' : 'local files or URLs',
    models: c.models,
    concurrency: l.concurrency,
    requestsPerMinute: l.requestsPerMinute,
    prices: p.describePrices?.() ?? [],
    priceSource: p.sources ? { source: p.sources().prices, read: p.sources().pricesRead } : null,
    assumed: p.sources?.().assumed ?? [],
    ready: avail.ok,
    notReady: avail.ok ? null : avail.reason,
  };
}
