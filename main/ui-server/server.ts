/**
 * Browser mode (`ltx-batch ui`): serves the renderer build and the same contract over a WebSocket
 * on 127.0.0.1 only. Every request needs the random token printed in the URL (or the cookie the
 * first tokened page load sets); anything else gets 401. WebSocket upgrades must come from this
 * server's own Origin. Media (clips, the film) are served only for files the core registered.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ContractError, type EventName, type EventPayloads } from '../contract/api';
import { AppService, UserError, type AppServiceDeps } from '../app/app-service';

/** A running browser-mode server. */
export interface UiServer {
  /** The URL to open, with the token. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
  service: AppService;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.mp4': 'video/mp4', '.woff2': 'font/woff2', '.json': 'application/json' };

/** Options of {@link startUiServer}. */
export interface UiServerOptions {
  /** 0 picks a free port. */
  port?: number;
  /** The renderer build (index.html and assets). */
  staticDir: string;
  /** Everything the service needs except emit and mediaUrl, which the server provides. */
  deps: Omit<AppServiceDeps, 'emit' | 'mediaUrl'>;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

/** Starts the server on 127.0.0.1. Throws when the port is taken. */
export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url');
  const media = new Map<string, string>();
  const clients = new Set<WebSocket>();
  const ready = new WeakSet<WebSocket>();
  const pending: string[] = [];
  let port = 0;
  const emit = <E extends EventName>(event: E, payload: EventPayloads[E]) => {
    const msg = JSON.stringify({ type: 'event', event, payload });
    const live = [...clients].filter((c) => ready.has(c));
    if (live.length === 0) pending.push(msg);
    for (const c of live) c.send(msg);
  };
  const mediaUrl = (file: string) => {
    const id = crypto.createHash('sha256').update(file).digest('base64url').slice(0, 22);
    media.set(id, file);
    return `/media/${id}/${encodeURIComponent(path.basename(file))}`;
  };
  const service = new AppService({ ...opts.deps, emit, mediaUrl });
  const tokenOk = (req: http.IncomingMessage) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const cookie = /(?:^|;\s*)ltx_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const given = u.searchParams.get('token') ?? cookie ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  };
  const originOk = (req: http.IncomingMessage) => {
    const o = req.headers.origin;
    return o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}`;
  };
  const server = http.createServer((req, res) => {
    if (!tokenOk(req)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('401: open the URL that `ltx-batch ui` printed (it carries the access token)\n');
      return;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const headers: Record<string, string> = { 'set-cookie': `ltx_token=${token}; HttpOnly; SameSite=Strict; Path=/`, 'x-content-type-options': 'nosniff' };
    let file: string | undefined;
    const m = /^\/media\/([A-Za-z0-9_-]{22})\//.exec(u.pathname);
    if (m) file = media.get(m[1]);
    else {
      const rel = u.pathname === '/' ? 'index.html' : decodeURIComponent(u.pathname).replace(/^\/+/, '');
      const abs = path.resolve(opts.staticDir, rel);
      if (abs.startsWith(path.resolve(opts.staticDir) + path.sep)) file = abs;
      headers['content-security-policy'] = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; frame-ancestors 'none'";
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const size = fs.statSync(file).size;
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && (range[1] || range[2])) {
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      res.writeHead(206, { ...headers, 'content-type': type, 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) });
      fs.createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': type, 'accept-ranges': 'bytes', 'content-length': String(size), 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/ws' || !tokenOk(req) || !originOk(req)) {
      socket.end(`HTTP/1.1 ${tokenOk(req) ? 403 : 401} ${tokenOk(req) ? 'Forbidden' : 'Unauthorized'}\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', async (raw) => {
        let id: unknown = null;
        try {
          const msg = JSON.parse(String(raw)) as { type?: string; id?: unknown; method?: unknown; args?: unknown };
          id = msg.id;
          if (msg.type !== 'call' || typeof msg.id !== 'number') throw new ContractError('malformed message: expected {type:"call", id:number, method, args}');
          const { method, result } = await service.call(msg.method, msg.args);
          ws.send(JSON.stringify({ type: 'result', id, ok: true, result }));
          if (method === 'app.ready' && !ready.has(ws)) {
            ready.add(ws);
            for (const p of pending.splice(0)) ws.send(p);
          }
        } catch (e) {
          const err = e as Error;
          const known = e instanceof UserError || e instanceof ContractError;
          ws.send(JSON.stringify({ type: 'result', id, ok: false, error: { message: known ? err.message : `something went wrong: ${err.message}`, fix: e instanceof UserError ? e.fix : undefined } }));
        }
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    service,
    close: async () => {
      await service.shutdown();
      for (const c of clients) c.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
