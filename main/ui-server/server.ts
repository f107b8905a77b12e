/**
 * Browser mode (`ltx-batch ui`): serves the renderer build and the same contract over a WebSocket
 * on 127.0.0.1 only. Every request needs the random token printed in the URL (or the cookie the
 * first tokened page load sets); anything else gets 401. WebSocket upgrades must come from this
 * server's own Origin. Media (clips, the film) are served only for files the core registered.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppService, type AppServiceDeps } from '../app/app-service';
import { answerCall, EventHub, fileResponse, MediaFiles, type HeldEventLimits } from '../app/transport';

/** A running browser-mode server. */
export interface UiServer {
  /** The URL to open, with the token. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
  service: AppService;
  /** Events on their way to the pages (held while none is connected). */
  events: EventHub;
}

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
  /** How many events are held while no page is connected. */
  heldEvents?: HeldEventLimits;
}

const CSP = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; frame-ancestors 'none'";

/** Starts the server on 127.0.0.1. Throws when the port is taken. */
export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url');
  const media = new MediaFiles((id, name) => `/media/${id}/${name}`);
  const events = new EventHub(opts.heldEvents);
  const clients = new Set<WebSocket>();
  let port = 0;
  const service = new AppService({ ...opts.deps, emit: (event, payload) => events.emit(event, payload), mediaUrl: (file) => media.url(file) });
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
    if (m) file = media.file(m[1]);
    else {
      const rel = u.pathname === '/' ? 'index.html' : decodeURIComponent(u.pathname).replace(/^\/+/, '');
      const abs = path.resolve(opts.staticDir, rel);
      if (abs.startsWith(path.resolve(opts.staticDir) + path.sep)) file = abs;
      headers['content-security-policy'] = CSP;
    }
    const r = file ? fileResponse(file, req.headers.range) : null;
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(r.status, { ...headers, ...r.headers });
    if (r.body) r.body.pipe(res);
    else res.end();
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
      let disconnect: (() => void) | undefined;
      ws.on('close', () => {
        clients.delete(ws);
        disconnect?.();
      });
      ws.on('message', async (raw) => {
        let id: unknown = null;
        let msg: { type?: string; id?: unknown; method?: unknown; args?: unknown } | undefined;
        try {
          msg = JSON.parse(String(raw)) as typeof msg;
          id = msg?.id;
        } catch {
          /* answered as malformed below */
        }
        if (!msg || msg.type !== 'call' || typeof msg.id !== 'number') {
          ws.send(JSON.stringify({ type: 'result', id, ok: false, error: { message: 'malformed message: expected {type:"call", id:number, method, args}' } }));
          return;
        }
        const { method, reply } = await answerCall(service, msg.method, msg.args);
        ws.send(JSON.stringify({ type: 'result', id, ...reply }));
        // The page is ready for events once it has called app.ready: what was held goes to it first.
        if (method === 'app.ready' && !disconnect && ws.readyState === ws.OPEN) disconnect = events.connect((e) => ws.send(JSON.stringify({ type: 'event', event: e.event, payload: e.payload })));
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
    events,
    close: async () => {
      await service.shutdown();
      for (const c of clients) c.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
