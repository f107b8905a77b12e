/** Settings: provider keys (write-only), monthly budgets, the ffmpeg location, the projects folder. */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../project/errors';
import { pacerFor } from '../../providers/pacing';
import { redact } from '../../providers/http';
import { setSetting } from '../../settings/app-settings';
import { clearBudget, setBudget } from '../../settings/ledger';
import { settingsView } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

/** How long a key check may take before it is reported as not checked, ms. */
export const KEY_CHECK_TIMEOUT_MS = 15_000;

export function settingsHandlers(ctx: AppContext): HandlersFor<'settings.get' | 'settings.setKey' | 'settings.deleteKey' | 'settings.testKey' | 'settings.setBudget' | 'settings.setFfmpegPath' | 'settings.setProjectsDir'> {
  const requireRemote = (id: string) => {
    const p = ctx.deps.registry.get(id);
    if (!p || p.kind !== 'remote') throw new UserError(`"${id}" is not a cloud provider`);
  };
  const keychain = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  };
  /**
   * Checks `provider`'s key with its service (its checkKey: a request that generates nothing) and
   * keeps the result for Settings. A check that could not reach the service, or took longer than
   * KEY_CHECK_TIMEOUT_MS, is reported as "could not check the key: ..."; null for a provider with
   * no key check.
   */
  const checkKey = async (provider: string) => {
    const p = ctx.deps.registry.get(provider);
    if (!p?.checkKey) return null;
    const signal = AbortSignal.timeout(KEY_CHECK_TIMEOUT_MS);
    let check: { ok: boolean; message: string };
    // Refused: the service answered and said no (not a network failure or a timeout).
    let refused = false;
    try {
      check = await p.checkKey({ signal, tmpDir: '', log: () => {}, beforeRequest: () => pacerFor(p).acquire(signal) });
      refused = !check.ok;
    } catch (e) {
      check = { ok: false, message: `could not check the key: ${(e as Error).message}` };
    }
    const entry = { ok: check.ok, message: redact(check.message, ctx.secrets()), at: new Date().toISOString() };
    ctx.keyChecks.set(provider, entry);
    return { ...entry, refused };
  };
  return {
    'settings.get': async () => settingsView(ctx),
    'settings.setKey': async ({ provider, key }) => {
      requireRemote(provider);
      let before: string | undefined;
      keychain(() => {
        before = ctx.deps.keys.get(provider);
        ctx.deps.keys.set(provider, key);
      });
      ctx.forgetSecrets();
      // Saving a key checks it: a key the service refuses is not kept, and the key it would have replaced is put back.
      const previousCheck = ctx.keyChecks.get(provider);
      const check = await checkKey(provider);
      if (check?.refused) {
        keychain(() => (before !== undefined ? ctx.deps.keys.set(provider, before) : ctx.deps.keys.delete(provider)));
        if (before !== undefined && previousCheck) ctx.keyChecks.set(provider, previousCheck);
        else ctx.keyChecks.delete(provider);
        throw new UserError(`${provider} refused the key, so it was not saved${before !== undefined ? ' (the key saved before is kept)' : ''}: ${check.message}`, `copy the key again from your ${provider} account and paste the whole of it`);
      }
      return settingsView(ctx);
    },
    'settings.testKey': async ({ provider }) => {
      requireRemote(provider);
      await checkKey(provider);
      return settingsView(ctx);
    },
    'settings.deleteKey': async ({ provider }) => {
      requireRemote(provider);
      keychain(() => ctx.deps.keys.delete(provider));
      ctx.keyChecks.delete(provider);
      ctx.forgetSecrets();
      return settingsView(ctx);
    },
    'settings.setBudget': async ({ provider = '', monthlyUsd }) => {
      if (monthlyUsd === null) clearBudget(ctx.deps.settings, provider ? 'provider-month' : 'month', provider);
      else setBudget(ctx.deps.settings, { scope: provider ? 'provider-month' : 'month', provider, usd: monthlyUsd });
      return settingsView(ctx);
    },
    'settings.setFfmpegPath': async ({ path: p }) => {
      if (p && !fs.existsSync(p)) throw new UserError(`there is no program at ${p}`, 'choose the ffmpeg program itself, e.g. /usr/bin/ffmpeg');
      setSetting(ctx.deps.settings, 'ffmpegPath', p);
      if (p) process.env.FFMPEG_PATH = p;
      else delete process.env.FFMPEG_PATH;
      return settingsView(ctx);
    },
    'settings.setProjectsDir': async (a) => {
      const p = path.resolve(a.path);
      fs.mkdirSync(p, { recursive: true });
      setSetting(ctx.deps.settings, 'projectsDir', p);
      ctx.deps.projectsDir = p;
      return settingsView(ctx);
    },
  };
}
