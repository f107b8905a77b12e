/**
 * The renderer's only door to the core: the contract's LtxApi. In Electron the preload exposes it
 * as window.ltx; in browser mode (`ltx-batch ui`) it is a WebSocket client speaking the server's
 * protocol ({type:"call"} -> {type:"result"}, {type:"event"}). Only types come from the contract.
 */
import type { ErrorView, EventName, EventPayloads, LtxApi, MethodArgs, MethodName, MethodResults } from '../../main/contract/api';

declare global {
  interface Window {
    ltx?: LtxApi;
  }
}

/** An error the core (or the connection) reports, with the fix when there is one. */
export class ApiError extends Error {
  readonly fix?: string;
  /** See ErrorView.confirm. */
  readonly confirm?: string;
  constructor(message: string, fix?: string, confirm?: string) {
    super(message);
    this.name = 'ApiError';
    this.fix = fix;
    this.confirm = confirm;
  }
}

/** Turns anything thrown by a call into words for the creator: message and fix. */
export function toErrorView(e: unknown): ErrorView {
  if (e && typeof e === 'object') {
    const o = e as { message?: unknown; fix?: unknown; confirm?: unknown };
    const message = typeof o.message === 'string' && o.message ? o.message : 'something went wrong';
    const view: ErrorView = { message: cleanMessage(message), fix: typeof o.fix === 'string' && o.fix ? o.fix : undefined };
    if (typeof o.confirm === 'string' && o.confirm) view.confirm = o.confirm;
    return view;
  }
  return { message: typeof e === 'string' && e ? e : 'something went wrong' };
}

function cleanMessage(m: string): string {
  // Electron wraps errors crossing the bridge as "Error invoking remote method 'x': Error: ...".
  return m.replace(/^Error invoking remote method '[^']+':\s*(\w*Error:\s*)?/, '').replace(/^Error:\s*/, '');
}

/** State of the link to the core. Always "open" in Electron. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/** The API plus the connection state (for the status bar and re-syncing after a reconnect). */
export interface ApiClient extends LtxApi {
  /** Current state of the link. */
  state(): ConnectionState;
  /** Subscribes to state changes; returns the unsubscribe function. `reconnected` is true on every open after the first. */
  onState(listener: (state: ConnectionState, reconnected: boolean) => void): () => void;
  /** True inside the desktop app (window.ltx). */
  readonly electron: boolean;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string };
type Outgoing = { id: number; data: string; timer: ReturnType<typeof setTimeout> };

const WAIT_FOR_CONNECTION_MS = 15_000;

/** A WebSocket client of the browser-mode server that reconnects when the link drops. */
export function createWsClient(url: string): ApiClient {
  let ws: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let opened = false;
  let nextId = 1;
  let retryMs = 400;
  const pending = new Map<number, Pending>();
  const outbox: Outgoing[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const stateListeners = new Set<(s: ConnectionState, reconnected: boolean) => void>();

  const setState = (s: ConnectionState, reconnected = false) => {
    state = s;
    for (const l of stateListeners) l(s, reconnected);
  };

  const connect = () => {
    setState('connecting');
    let sock: WebSocket;
    try {
      sock = new WebSocket(url);
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      retryMs = 400;
      const again = opened;
      opened = true;
      for (const o of outbox.splice(0)) {
        clearTimeout(o.timer);
        sock.send(o.data);
      }
      setState('open', again);
    };
    sock.onmessage = (ev) => {
      let msg: { type?: string; id?: number; ok?: boolean; result?: unknown; error?: ErrorView; event?: string; payload?: unknown };
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (msg.type === 'result' && typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new ApiError(msg.error?.message || `${p.method} failed`, msg.error?.fix, msg.error?.confirm));
      } else if (msg.type === 'event' && typeof msg.event === 'string') {
        for (const l of listeners.get(msg.event) ?? []) {
          try {
            l(msg.payload);
          } catch (e) {
            console.error(`listener of ${msg.event} failed`, e);
          }
        }
      }
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      for (const [id, p] of pending) {
        // Calls still in the outbox were never sent; they wait for the next connection.
        if (outbox.some((o) => o.id === id)) continue;
        pending.delete(id);
        p.reject(new ApiError(`the connection to LTX Batch was lost while "${p.method}" was running`, 'it reconnects by itself; check the result before you try again'));
      }
      scheduleReconnect();
    };
    sock.onerror = () => {
      // onclose follows and handles it.
    };
  };

  const scheduleReconnect = () => {
    setState('closed');
    const wait = retryMs;
    retryMs = Math.min(retryMs * 2, 5000);
    setTimeout(connect, wait);
  };

  connect();

  return {
    electron: false,
    state: () => state,
    onState(l) {
      stateListeners.add(l);
      return () => void stateListeners.delete(l);
    },
    call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]> {
      const id = nextId++;
      const data = JSON.stringify({ type: 'call', id, method, args: args ?? {} });
      return new Promise<MethodResults[M]>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
        if (ws && ws.readyState === WebSocket.OPEN) {
          ws.send(data);
          return;
        }
        const timer = setTimeout(() => {
          const i = outbox.findIndex((o) => o.id === id);
          if (i >= 0) outbox.splice(i, 1);
          pending.delete(id);
          reject(new ApiError('LTX Batch is not reachable', 'check that `ltx-batch ui` is still running, then open the URL it printed (it carries the access token)'));
        }, WAIT_FOR_CONNECTION_MS);
        outbox.push({ id, data, timer });
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => void set.delete(l);
    },
  };
}

/** Wraps the preload's window.ltx. */
function electronClient(ltx: LtxApi): ApiClient {
  return {
    electron: true,
    state: () => 'open',
    onState: () => () => {},
    call: (method, args) => ltx.call(method, args),
    on: (event, listener) => ltx.on(event, listener),
  };
}

/** The WebSocket URL of the page's own server, with the page's token when the URL carries one (else the cookie is used). */
export function wsUrl(loc: Location = window.location): string {
  const token = new URLSearchParams(loc.search).get('token');
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

let client: ApiClient | null = null;

/** The API of this window: window.ltx in Electron, else the WebSocket client (one per page). */
export function getApi(): ApiClient {
  if (!client) client = window.ltx ? electronClient(window.ltx) : createWsClient(wsUrl());
  return client;
}
