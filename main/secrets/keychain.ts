/**
 * Provider API keys in the operating system's keychain (macOS Keychain, Windows Credential
 * Manager, the Secret Service on Linux) through @napi-rs/keyring. Service "ltx-batch", account =
 * the provider id. Keys are never written anywhere else.
 */
import { Entry } from '@napi-rs/keyring';

/** The keychain service name every key is stored under. */
export const KEYCHAIN_SERVICE = 'ltx-batch';

/** Thrown when no keychain can be reached (no Secret Service running, a locked keychain). */
export class KeychainUnavailableError extends Error {
  constructor(cause: string) {
    super(
      `the OS keychain is not available (${cause}). ` +
        (process.platform === 'linux'
          ? 'On Linux, LTX Batch keeps keys in the Secret Service (GNOME Keyring or KWallet): start and unlock one in your desktop session ' +
            '(on a headless box: dbus-run-session -- sh -c \'echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets; ltx-batch ...\'), '
          : 'Unlock your keychain, ') +
        'or set the key in the provider\'s <ID>_API_KEY environment variable. The key is never written to a file instead.',
    );
    this.name = 'KeychainUnavailableError';
  }
}

/** Where keys are kept. Implementations: the OS keychain, and a memory store in tests of other parts. */
export interface KeyStore {
  /** The key of a provider, or undefined. Throws {@link KeychainUnavailableError}. */
  get(providerId: string): string | undefined;
  /** Stores (or replaces) a key. Throws {@link KeychainUnavailableError}. */
  set(providerId: string, key: string): void;
  /** Deletes a key; true when one was there. Throws {@link KeychainUnavailableError}. */
  delete(providerId: string): boolean;
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    throw new KeychainUnavailableError(msg.replace(/\s+/g, ' ').trim());
  }
}

/** The OS keychain. `service` is overridable for tests that must not touch real entries. */
export function osKeychain(service = process.env.LTX_BATCH_KEYCHAIN_SERVICE || KEYCHAIN_SERVICE): KeyStore {
  return {
    get: (id) => wrap(() => new Entry(service, id).getPassword() ?? undefined),
    set: (id, key) => wrap(() => new Entry(service, id).setPassword(key)),
    delete: (id) => wrap(() => new Entry(service, id).deletePassword()),
  };
}

/** "…1234": the last 4 characters of a key, the most that is ever shown. */
export function keyHint(key: string): string {
  return key.length > 8 ? `…${key.slice(-4)}` : '…';
}
