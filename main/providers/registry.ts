/**
 * The providers this build knows, by id. The queue and the CLI look providers up here and
 * nowhere else.
 */
import type { Provider } from './provider';
import { createPreviewProvider } from './preview/preview';
import type { KeyLookup } from './remote-config';
import { createLtx2apiProvider } from './ltx2api/ltx2api';
import { createApixoProvider } from './apixo/apixo';
import { createBytecomputeProvider } from './bytecompute/bytecompute';
import { createApiinoneProvider } from './apiinone/apiinone';
import { createLtxProvider } from './ltx/ltx';
import { createLocalProvider } from './local/local';
import { createFarmProvider } from './farm/farm';
import { loadPriceOverrides, priceOverridesPath, withPriceOverrides, type PriceOverrides } from '../pricing/overrides';

/** Providers by id. */
export class ProviderRegistry {
  private readonly byId = new Map<string, Provider>();
  /** The creator's price overrides in force (prices.csv), and the error that refused the file, if any. */
  prices: PriceOverrides | undefined;

  constructor(providers: Provider[] = []) {
    for (const p of providers) this.add(p);
  }

  /** Adds or replaces a provider. */
  add(p: Provider): void {
    this.byId.set(p.id, p);
  }

  /** The provider with this id, or undefined. */
  get(id: string): Provider | undefined {
    return this.byId.get(id);
  }

  /** All providers, in the order added. */
  all(): Provider[] {
    return [...this.byId.values()];
  }

  /** Ids of all providers. */
  ids(): string[] {
    return [...this.byId.keys()];
  }
}

/** The default provider when neither the row nor the command names one. */
export const DEFAULT_PROVIDER = 'preview';

/**
 * The registry with every provider of this build, configured from the environment (keys, base
 * URLs) and the key store (`stored`, the OS keychain), with the creator's price overrides
 * (prices.csv in the data folder, main/pricing/overrides.ts) applied to the estimates.
 */
export function defaultRegistry(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): ProviderRegistry {
  const providers = [
    createPreviewProvider(),
    createLtx2apiProvider(env, stored),
    createApixoProvider(env, stored),
    createBytecomputeProvider(env, stored),
    createApiinoneProvider(env, stored),
    createLtxProvider(env, stored),
    createLocalProvider(env),
    createFarmProvider(env),
  ];
  // The creator's prices: all lines or none (a bad line is reported by every plan, naming the line).
  const prices = loadPriceOverrides(priceOverridesPath(env), providers.map((p) => p.id));
  const registry = new ProviderRegistry(prices.error ? providers : providers.map((p) => withPriceOverrides(p, prices.overrides)));
  registry.prices = prices;
  return registry;
}
