/**
 * The key lookup handed to providers: the keychain, read when a request is made, with a missing
 * or unreachable keychain turned into "no key" plus a remembered reason for messages.
 */
import type { KeyLookup } from '../providers/remote-config';
import { osKeychain, type KeyStore } from './keychain';

/** A lookup over `store` and the last keychain problem seen (undefined when none). */
export function keychainLookup(store: KeyStore = osKeychain()): { lookup: KeyLookup; problem: () => string | undefined } {
  let problem: string | undefined;
  const cache = new Map<string, { key: string | undefined; at: number }>();
  return {
    lookup: (id) => {
      const hit = cache.get(id);
      if (hit && Date.now() - hit.at < 30_000) return hit.key;
      try {
        const key = store.get(id);
        problem = undefined;
        cache.set(id, { key, at: Date.now() });
        return key;
      } catch (e) {
        problem = (e as Error).message;
        return undefined;
      }
    },
    problem: () => problem,
  };
}
