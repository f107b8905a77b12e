/**
 * The preload: exposes the contract to the renderer as `window.ltx` with named operations only
 * (call a contract method, subscribe to a contract event). No generic send/on/invoke, no Node.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, type EventName, type LtxApi, type MethodName } from '../main/contract/api';

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
ipcRenderer.on('ltx:event', (_e: IpcRendererEvent, event: EventName, payload: unknown) => {
  for (const l of listeners.get(event) ?? []) l(payload);
});

const api: LtxApi = {
  async call(method, args) {
    if (!METHOD_NAMES.includes(method as MethodName)) throw new Error(`unknown method ${String(method)}`);
    const r = (await ipcRenderer.invoke('ltx:call', method, args)) as { ok: boolean; result?: unknown; error?: { message: string; fix?: string; confirm?: string } };
    // A plain object crosses the context bridge intact (an Error would lose its `fix`).
    if (!r.ok) throw { message: r.error?.message ?? 'failed', fix: r.error?.fix, confirm: r.error?.confirm };
    return r.result as never;
  },
  on(event, listener) {
    if (!EVENT_NAMES.includes(event)) throw new Error(`unknown event ${String(event)}`);
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  },
  pathForFile(file) {
    try {
      return webUtils.getPathForFile(file) || undefined;
    } catch {
      return undefined;
    }
  },
};

contextBridge.exposeInMainWorld('ltx', api);
