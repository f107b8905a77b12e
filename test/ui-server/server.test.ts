import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUiServer, type UiServer } from '../../main/ui-server/server';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { openSettings } from '../../main/settings/settings-db';
import type { KeyStore } from '../../main/secrets/keychain';
import { ROOT, tmpDir, withFiles } from '../helpers/tmp';

let server: UiServer;
const memoryKeys = (): KeyStore => {
  const m = new Map<string, string>();
  return { get: (id) => m.get(id), set: (id, k) => void m.set(id, k), delete: (id) => m.delete(id) };
};

beforeAll(async () => {
  const staticDir = withFiles({ 'index.html': '<!doctype html><title>LTX Batch</title>', 'assets/app.js': 'console.log(1)' });
  server = await startUiServer({ port: 0, staticDir, deps: { registry: new ProviderRegistry([createPreviewProvider()]), keys: memoryKeys(), settings: openSettings({ LTX_BATCH_HOME: tmpDir() }), projectsDir: tmpDir() } });
});
afterAll(() => server.close());

function get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.port, path: p, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    }).on('error', reject);
  });
}

function connect(query: string, origin: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query}`, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, method: string, args: unknown, id = Math.floor(Math.random() * 1e9)): Promise<{ ok: boolean; result?: any; error?: { message: string } }> {
  return new Promise((resolve) => {
    const onMsg = (raw: WebSocket.RawData) => {
      const m = JSON.parse(String(raw));
      if (m.type === 'result' && m.id === id) {
        ws.off('message', onMsg);
        resolve(m);
      }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ type: 'call', id, method, args }));
  });
}

describe('browser mode server', () => {
  const origin = () => `http://127.0.0.1:${server.port}`;

  it('listens on 127.0.0.1 only and prints a URL with a token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('answers 401 without the token or with a wrong one, and serves the app with it (setting a cookie for assets)', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get('/assets/app.js')).status).toBe(401);
    const ok = await get(`/?token=${server.token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('LTX Batch');
    expect(ok.headers['content-security-policy']).toContain("default-src 'self'");
    const cookie = String(ok.headers['set-cookie']).split(';')[0];
    expect((await get('/assets/app.js', { cookie })).status).toBe(200);
    expect((await get('/../../../etc/passwd', { cookie })).status).toBe(404);
  });

  it('refuses WebSockets without the token, with a wrong token, and from a foreign Origin', async () => {
    await expect(connect('', origin())).rejects.toThrow('HTTP 401');
    await expect(connect('?token=nope', origin())).rejects.toThrow('HTTP 401');
    await expect(connect(`?token=${server.token}`, 'http://evil.example')).rejects.toThrow('HTTP 403');
    await expect(connect(`?token=${server.token}`, undefined)).rejects.toThrow('HTTP 403');
  });

  it('serves the contract: malformed messages get an error naming the problem; good calls work', async () => {
    const ws = await connect(`?token=${server.token}`, origin());
    try {
      const bad = await new Promise<any>((resolve) => {
        ws.once('message', (raw) => resolve(JSON.parse(String(raw))));
        ws.send('{"type":"call","id":"x"}');
      });
      expect(bad).toMatchObject({ ok: false, error: { message: expect.stringContaining('malformed message') } });
      expect(await call(ws, 'queue.cancel', { jobId: 'drop' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('bad arguments for queue.cancel: jobId') } });
      expect(await call(ws, 'no.such', {})).toMatchObject({ ok: false, error: { message: 'unknown method "no.such"' } });
      const ready = await call(ws, 'app.ready', {});
      expect(ready.ok).toBe(true);
      expect(ready.result.providers.map((p: { id: string }) => p.id)).toEqual(['preview']);
      const sb = await call(ws, 'storyboard.openPath', { path: path.join(ROOT, 'examples', 'storyboard.csv') });
      expect(sb.result.shots).toHaveLength(8);
      const est = await call(ws, 'estimate.get', {});
      expect(est.result.totalUsd).toBe(0);
      // A user mistake comes back in words, with the fix.
      const noProject = await call(ws, 'queue.cancel', { jobId: 1 });
      expect(noProject.error).toMatchObject({ message: 'no project is open', fix: 'render a storyboard first' });
    } finally {
      ws.close();
    }
  });

  it('holds events until the renderer says it is ready, then delivers them', async () => {
    const ws = await connect(`?token=${server.token}`, origin());
    const events: string[] = [];
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw));
      if (m.type === 'event') events.push(m.event);
    });
    try {
      // The render emits job events while this socket has not said it is ready: they are held.
      await call(ws, 'storyboard.openPath', { path: path.join(ROOT, 'examples', 'storyboard.csv') });
      const started = await call(ws, 'render.start', { project: 'events-test' });
      expect(started.ok).toBe(true);
      await new Promise((r) => setTimeout(r, 1500));
      expect(events).toEqual([]);
      // While held, a job's superseded updates are dropped: one (its latest) per job.
      const held = server.events.heldEvents().filter((e) => e.event === 'job.updated');
      expect(held.length).toBeGreaterThan(0);
      expect(new Set(held.map((e) => (e.payload as { id: number }).id)).size).toBe(held.length);
      await call(ws, 'app.ready', {});
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (events.includes('render.finished')) {
            clearInterval(t);
            resolve();
          }
        }, 100);
      });
      // The first events delivered are the held ones, from the start of the render.
      expect(events[0]).toBe('job.updated');
      expect(events.filter((e) => e === 'job.updated').length).toBeGreaterThan(8);
      expect(fs.existsSync(path.join(started.result.project, 'film.mp4'))).toBe(true);
    } finally {
      ws.close();
    }
  });
});
