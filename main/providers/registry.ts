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

/** Providers by id. */
export class ProviderRegistry {
  private readonly byId = new Map<string, Provider>();

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
 * URLs) and the key store (`stored`, the OS keychain).
 */
export function defaultRegistry(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): ProviderRegistry {
  return new ProviderRegistry([
    createPreviewProvider(),
    createLtx2apiProvider(env, stored),
    createApixoProvider(env, stored),
    createBytecomputeProvider(env, stored),
    createApiinoneProvider(env, stored),
    createLtxProvider(env, stored),
    createLocalProvider(env),
  ]);
}
