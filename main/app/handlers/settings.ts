/** Settings: provider keys (write-only), monthly budgets, the ffmpeg location, the projects folder. */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../project/errors';
import { setSetting } from '../../settings/app-settings';
import { clearBudget, setBudget } from '../../settings/ledger';
import { settingsView } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

export function settingsHandlers(ctx: AppContext): HandlersFor<'settings.get' | 'settings.setKey' | 'settings.deleteKey' | 'settings.setBudget' | 'settings.setFfmpegPath' | 'settings.setProjectsDir'> {
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
  return {
    'settings.get': async () => settingsView(ctx),
    'settings.setKey': async ({ provider, key }) => {
      requireRemote(provider);
      keychain(() => ctx.deps.keys.set(provider, key));
      return settingsView(ctx);
    },
    'settings.deleteKey': async ({ provider }) => {
      requireRemote(provider);
      keychain(() => ctx.deps.keys.delete(provider));
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
