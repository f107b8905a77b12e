/**
 * How a cloud provider finds its key and base URL.
 *
 * Key: the environment variable `<ID>_API_KEY` first, then the key store (the OS keychain, see
 * main/secrets/). Base URL: `<ID>_BASE_URL`, else the doc's. The key is read when a request is
 * made and never stored anywhere else.
 */
import { ProviderError } from './provider';

/** Looks up a stored key for a provider id; undefined when none. Throws when the key store cannot be read. */
export type KeyLookup = (providerId: string) => string | undefined;

/** What a remote provider is created with. */
export interface RemoteConfig {
  /** The key, read when needed (undefined when none is set). */
  key: () => string | undefined;
  /** The key, or throws ProviderError("auth") saying how to set one (the queue pauses the provider). */
  requireKey: () => string;
  /** Base URL without a trailing slash. */
  baseUrl: string;
  /** Where the key comes from, for messages ("LTX_API_KEY" or "the keychain"). */
  keySource: () => string;
  /** USD per credit set by the user (`<ID>_USD_PER_CREDIT`), for providers priced in credits. */
  usdPerCredit?: number;
  /** Multiplier of the documented poll intervals (LTX_BATCH_POLL_SCALE, default 1). */
  pollScale: number;
}

/** Name of the environment variable holding a provider's key, e.g. LTX2API_API_KEY. */
export function keyEnvName(id: string): string {
  return `${id.toUpperCase()}_API_KEY`;
}

/** Name of the environment variable overriding a provider's base URL, e.g. LTX_BASE_URL. */
export function baseUrlEnvName(id: string): string {
  return `${id.toUpperCase()}_BASE_URL`;
}

/** Builds a provider's config from the environment and an optional key store. */
export function remoteConfig(id: string, docBaseUrl: string, env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): RemoteConfig {
  const base = (env[baseUrlEnvName(id)] || docBaseUrl).replace(/\/+$/, '');
  const key = () => {
    const fromEnv = env[keyEnvName(id)];
    if (fromEnv && fromEnv.trim()) return fromEnv.trim();
    return stored?.(id);
  };
  return {
    baseUrl: base,
    key,
    requireKey: () => {
      const k = key();
      if (!k) throw new ProviderError('auth', missingKeyMessage(id));
      return k;
    },
    keySource: () => (env[keyEnvName(id)] ? keyEnvName(id) : 'the keychain'),
    usdPerCredit: positive(env[`${id.toUpperCase()}_USD_PER_CREDIT`]),
    pollScale: positive(env.LTX_BATCH_POLL_SCALE) ?? 1,
  };
}

/** The message for a provider that has no key. */
export function missingKeyMessage(id: string): string {
  return `no API key for ${id}: run "ltx-batch keys set ${id}" (stored in the OS keychain) or set ${keyEnvName(id)}`;
}

function positive(v: string | undefined): number | undefined {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}
