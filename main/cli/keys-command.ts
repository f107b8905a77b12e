/**
 * `ltx-batch keys set|list|delete|test ID`: provider API keys in the OS keychain.
 * `set` reads the key from a hidden prompt on a terminal or from standard input, never from an
 * argument (which would land in shell history). Nothing ever prints more than the last 4 characters.
 */
import { pacerFor } from '../providers/pacing';
import { read } from 'read';
import { osKeychain, keyHint, type KeyStore } from '../secrets/keychain';
import { keyEnvName } from '../providers/remote-config';
import type { ProviderRegistry } from '../providers/registry';
import { ProviderError } from '../providers/provider';
import { table } from './format';

/** Reads all of standard input (a piped key), trimmed. */
async function readStdin(input: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of input) s += chunk;
  return s.trim();
}

function remoteIds(registry: ProviderRegistry): string[] {
  return registry.all().filter((p) => p.kind === 'remote' && !p.keyless).map((p) => p.id);
}

/** Runs a keys subcommand; returns the exit code. */
export async function keysCommand(
  action: 'set' | 'list' | 'delete' | 'test',
  id: string | undefined,
  registry: ProviderRegistry,
  io: { store?: KeyStore; stdin?: NodeJS.ReadStream; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const store = io.store ?? osKeychain();
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const env = io.env ?? process.env;
  const stdin = io.stdin ?? process.stdin;
  const ids = remoteIds(registry);
  if (action !== 'list') {
    if (!id || !ids.includes(id)) {
      err.write(`unknown provider "${id ?? ''}"; providers with keys: ${ids.join(', ')}\n`);
      return 2;
    }
  }
  try {
    if (action === 'set') {
      const key = stdin.isTTY ? String(await read({ prompt: `API key for ${id} (input hidden): `, silent: true, replace: '', input: stdin, output: process.stderr })).trim() : await readStdin(stdin);
      if (!key) {
        err.write('no key given; nothing stored\n');
        return 1;
      }
      if (/\s/.test(key)) {
        err.write('the key contains spaces or line breaks; nothing stored (paste only the key)\n');
        return 1;
      }
      store.set(id!, key);
      out.write(`stored the key for ${id} in the OS keychain (${keyHint(key)})\n`);
      if (env[keyEnvName(id!)]) out.write(`note: ${keyEnvName(id!)} is set in this environment and is used before the keychain\n`);
      return 0;
    }
    if (action === 'delete') {
      out.write(store.delete(id!) ? `deleted the key for ${id}\n` : `no key stored for ${id}\n`);
      return 0;
    }
    if (action === 'list') {
      const t = table(['provider', 'key', 'from']);
      for (const pid of ids) {
        const fromEnv = env[keyEnvName(pid)];
        const stored = store.get(pid);
        const shown = fromEnv ?? stored;
        t.push([pid, shown ? `set (${keyHint(shown)})` : 'not set', fromEnv ? keyEnvName(pid) : stored ? 'keychain' : '']);
      }
      out.write(`${t.toString()}\n`);
      return 0;
    }
    // test
    const p = registry.get(id!)!;
    const avail = p.availability();
    if (!avail.ok) {
      err.write(`${avail.reason}\n`);
      return 1;
    }
    if (!p.checkKey) {
      err.write(`${id} has no key check\n`);
      return 1;
    }
    const signal = new AbortController().signal;
    // Paced with the provider's other requests from this process (its rolling window).
    const res = await p.checkKey({ signal, tmpDir: '', log: () => {}, beforeRequest: () => pacerFor(p).acquire(signal) });
    (res.ok ? out : err).write(`${id}: ${res.message}\n`);
    return res.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof ProviderError) {
      err.write(`${id}: could not check the key: ${e.message}\n`);
      return 1;
    }
    const msg = (e as Error).message;
    err.write(`${id ? msg.replace('<ID>_API_KEY', keyEnvName(id)) : msg}\n`);
    return 1;
  }
}
