/**
 * A client of the app's core in browser mode (`ltx-batch ui`), speaking the renderer's contract over
 * its WebSocket: calls with their results, and every event kept in arrival order so the crash
 * harness can wait for one (render.finished, render.failed) or read them afterwards.
 */
import WebSocket from 'ws';

/** An event the core sent, with the time it arrived (epoch ms). */
export interface AppEvent {
  event: string;
  payload: any;
  at: number;
}

/** Thrown when the core answers a call with an error. */
export class AppCallError extends Error {}

export class AppClient {
  readonly events: AppEvent[] = [];
  private id = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    onEvent?: (e: AppEvent) => void,
  ) {
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw));
      if (m.type === 'result') {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new AppCallError(m.error?.message ?? 'unknown error'));
      } else if (m.type === 'event') {
        const e = { event: m.event, payload: m.payload, at: Date.now() };
        this.events.push(e);
        onEvent?.(e);
        for (const w of [...this.waiters]) w();
      }
    });
    const gone = () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
      for (const w of [...this.waiters]) w();
    };
    ws.on('close', gone);
    ws.on('error', gone);
  }

  /** Connects to the URL `ltx-batch ui` printed (with its token), from the server's own Origin. */
  static async connect(url: string, onEvent?: (e: AppEvent) => void): Promise<AppClient> {
    const u = new URL(url);
    const ws = new WebSocket(`ws://${u.host}/ws?token=${u.searchParams.get('token')}`, { origin: `http://${u.host}` });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    return new AppClient(ws, onEvent);
  }

  /** Calls a contract method; rejects with AppCallError (the core's message) or 'connection closed'. */
  call<T = any>(method: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const id = ++this.id;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ type: 'call', id, method, args }));
    });
  }

  /** The first event from index `from` on that matches, waiting up to `timeoutMs`; null when none came (or the connection closed). */
  async waitFor(pred: (e: AppEvent) => boolean, from: number, timeoutMs: number): Promise<AppEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      if (this.closed || Date.now() >= deadline) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, deadline - Date.now());
        const waiters = this.waiters;
        function done() {
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  close(): void {
    this.ws.terminate();
  }
}
