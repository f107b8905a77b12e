/**
 * The key lookup handed to providers: the keychain, read when a request is made, with a missing
 * or unreachable keychain turned into "no key" plus a remembered reason for messages.
 */
import type { KeyLookup } from '../providers/remote-config';
import { osKeychain, type KeyStore } from './keychain';

/**
 * A lookup over `store` (each key read at most every 30 s), the last keychain problem seen
 * (undefined when none), and `store` wrapped so that a key saved or deleted through it is what the
 * lookup gives at once (a key saved in Settings is live everywhere, not 30 s later).
 */
export function keychainLookup(store: KeyStore = osKeychain()): { lookup: KeyLookup; problem: () => string | undefined; store: KeyStore } {
  let problem: string | undefined;
  const cache = new Map<string, { key: string | undefined; at: number }>();
  return {
    store: {
      get: (id) => store.get(id),
      set: (id, key) => {
        cache.delete(id);
        store.set(id, key);
        cache.delete(id);
      },
      delete: (id) => {
        cache.delete(id);
        const r = store.delete(id);
        cache.delete(id);
        return r;
      },
    },
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
