/**
 * The render farm in Settings: its configuration (environment over the values saved here) and the
 * workers polling its task queue, each with what it renders now (README, "Render farm").
 */
import type { FarmView } from '../../contract/api';
import { FARM_SETTINGS, type FarmProvider, type FarmSettings } from '../../providers/farm/farm';
import { getSetting, setSetting } from '../../settings/app-settings';
import { UserError } from '../../project/errors';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

const SETTING = 'farm';
/** Contract field -> environment variable. */
const FIELDS = { address: 'LTX_FARM_ADDRESS', namespace: 'LTX_FARM_NAMESPACE', taskQueue: 'LTX_FARM_TASK_QUEUE', storage: 'LTX_FARM_STORAGE', usdPerGpuHour: 'LTX_FARM_USD_PER_GPU_HOUR' } as const;

function saved(ctx: AppContext): FarmSettings {
  try {
    const v = JSON.parse(getSetting(ctx.deps.settings, SETTING) ?? '{}') as Record<string, unknown>;
    return Object.fromEntries(FARM_SETTINGS.filter((k) => typeof v[k] === 'string').map((k) => [k, v[k] as string]));
  } catch {
    return {};
  }
}

/** "ltx-batch-<uuid>-job-3-attempt-1" -> "job 3 of project 01247f5c". */
function takeLabel(workflowId: string): string {
  const m = /^ltx-batch-([0-9a-f]{8})[0-9a-f-]*-job-(\d+)-attempt-(\d+)$/.exec(workflowId);
  return m ? `job ${m[2]} of project ${m[1]}${m[3] !== '1' ? ` (attempt ${m[3]})` : ''}` : workflowId;
}

async function farmView(farm: FarmProvider): Promise<FarmView> {
  const c = farm.config;
  const base: FarmView = {
    configured: c.configured,
    address: c.address,
    namespace: c.namespace,
    taskQueue: c.taskQueue,
    storage: c.storageSpec ?? null,
    usdPerGpuHour: c.usdPerGpuHour ?? null,
    fromEnv: Object.entries(FIELDS)
      .filter(([, v]) => farm.fromEnv.includes(v))
      .map(([k]) => k),
    reachable: false,
    reason: null,
    workers: [],
    waiting: 0,
    secondsPerStep: farm.measuredSecondsPerStep(),
  };
  if (!c.configured) return { ...base, reason: 'no farm address is set' };
  try {
    const [pollers, active] = await Promise.all([farm.gateway.pollers(), farm.gateway.active()]);
    const now = Date.now();
    return {
      ...base,
      reachable: true,
      workers: pollers.map((p) => {
        const on = active.find((a) => a.worker === p.identity);
        return { identity: p.identity, lastSeenS: Math.max(0, Math.round((now - p.lastSeenMs) / 1000)), rendering: on ? `${takeLabel(on.workflowId)}, step ${on.step} of ${on.steps}` : null };
      }),
      waiting: active.filter((a) => !a.worker).length,
    };
  } catch (e) {
    return { ...base, reason: `the Temporal server at ${c.address} did not answer (${(e as Error).message.slice(0, 300)})` };
  }
}

/** `farm.status` and `farm.configure`; the values saved in Settings are applied when the app starts. */
export function farmHandlers(ctx: AppContext): HandlersFor<'farm.status' | 'farm.configure'> {
  const farm = () => {
    const p = ctx.deps.registry.get('farm') as FarmProvider | undefined;
    if (!p?.configure) throw new UserError('this build has no render farm provider', 'update LTX Batch');
    return p;
  };
  const p = ctx.deps.registry.get('farm') as FarmProvider | undefined;
  if (p?.configure) void p.configure(saved(ctx));
  return {
    'farm.status': () => farmView(farm()),
    'farm.configure': async (a) => {
      const f = farm();
      const next: FarmSettings = { ...saved(ctx) };
      for (const [field, name] of Object.entries(FIELDS) as [keyof typeof FIELDS, (typeof FIELDS)[keyof typeof FIELDS]][]) {
        // What the environment sets is not saved: it wins anyway, and would outlive a change of the environment.
        if (f.fromEnv.includes(name)) continue;
        const v = a[field];
        if (v === null || v === '') delete next[name];
        else next[name] = String(v);
      }
      setSetting(ctx.deps.settings, SETTING, JSON.stringify(next));
      await f.configure(next);
      return farmView(f);
    },
  };
}
