/**
 * What ordinary servers do that our simulators never did, written byte by byte by a raw
 * `node:net` server: no answer may end the process, every path (JSON calls, multipart uploads,
 * downloads) reads it or fails the shot with a retryable error, and the key never follows a
 * redirect to another origin.
 *
 * The "slow disk" is a FIFO read slowly by the test: the download's writes block, which pushes
 * backpressure back onto the socket while the server closes the connection after its body (the
 * case that made undici 7 throw an uncatchable AssertionError and killed the whole batch).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadTo, send } from '../../main/providers/http';
import { ProviderError } from '../../main/providers/provider';
import { startRawServer, head, type RawServer } from '../helpers/raw-http';
import { testCtx } from '../helpers/provider-harness';
import { tmpDir } from '../helpers/tmp';

const KEY = 'sk-raw-server-test-8d1f';
const CLIP = Buffer.alloc(3 * 1024 * 1024);
for (let i = 0; i < CLIP.length; i++) CLIP[i] = (i * 31 + (i >> 9)) & 0xff;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function serve(handler: Parameters<typeof startRawServer>[0]): Promise<RawServer> {
  const s = await startRawServer(handler);
  servers.push(s);
  return s;
}

/** A destination on a "slow disk": a FIFO drained at about 4 KiB per millisecond. Resolves with what reached it. */
function slowDisk(): { dest: string; written: Promise<Buffer> } {
  const dest = path.join(tmpDir(), 'slow.fifo');
  execFileSync('mkfifo', [dest]);
  const chunks: Buffer[] = [];
  const written = pipeline(
    fs.createReadStream(dest, { highWaterMark: 4096 }),
    new Writable({
      highWaterMark: 4096,
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        setTimeout(cb, 1);
      },
    }),
  ).then(() => Buffer.concat(chunks));
  return { dest, written };
}

const auth = { authorization: `Bearer ${KEY}` };

describe('downloads from servers that close, reset or lie', () => {
  it('Connection: close right after a Content-Length body, onto a slow disk: the whole clip arrives', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.1 200 OK', { 'Content-Type': 'video/mp4', 'Content-Length': CLIP.length, Connection: 'close' }));
      sock.end(CLIP);
    });
    const disk = slowDisk();
    await downloadTo(testCtx(), `${s.url}/result.mp4`, disk.dest, { secrets: [KEY] });
    expect(sha(await disk.written)).toBe(sha(CLIP));
  });

  it('an HTTP/1.0 answer whose body ends at EOF (no length), onto a slow disk: the whole clip arrives', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.0 200 OK', { 'Content-Type': 'video/mp4' }));
      sock.end(CLIP);
    });
    const disk = slowDisk();
    await downloadTo(testCtx(), `${s.url}/result.mp4`, disk.dest);
    expect(sha(await disk.written)).toBe(sha(CLIP));
  });

  it('a reset mid-body is a retryable error and leaves no file', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.1 200 OK', { 'Content-Type': 'video/mp4', 'Content-Length': CLIP.length }));
      sock.write(CLIP.subarray(0, 200_000), () => setTimeout(() => sock.resetAndDestroy(), 20));
    });
    const dest = path.join(tmpDir(), 'clip.mp4');
    const err = await downloadTo(testCtx(), `${s.url}/r.mp4`, dest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'retryable' });
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('a body cut short of its Content-Length (clean close) is retryable and leaves no file', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.1 200 OK', { 'Content-Type': 'video/mp4', 'Content-Length': CLIP.length }));
      sock.end(CLIP.subarray(0, 100_000));
    });
    const dest = path.join(tmpDir(), 'clip.mp4');
    await expect(downloadTo(testCtx(), `${s.url}/r.mp4`, dest)).rejects.toMatchObject({ kind: 'retryable', message: expect.stringMatching(/cut off|100000/) });
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('a body far larger than its Content-Length: no crash, and never more than declared is kept', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.1 200 OK', { 'Content-Type': 'video/mp4', 'Content-Length': 1000 }));
      sock.end(CLIP);
    });
    const dest = path.join(tmpDir(), 'clip.mp4');
    await downloadTo(testCtx(), `${s.url}/r.mp4`, dest).catch((e: unknown) => expect(e).toBeInstanceOf(ProviderError));
    if (fs.existsSync(dest)) expect(fs.statSync(dest).size).toBe(1000);
  });

  it('a 302 to a CDN on another origin is followed without the key; a same-origin redirect keeps it', async () => {
    const cdn = await serve((_r, sock) => {
      sock.write(head('HTTP/1.0 200 OK', { 'Content-Type': 'video/mp4', 'Content-Length': CLIP.length }));
      sock.end(CLIP);
    });
    const api = await serve((r, sock) => {
      if (r.path === '/same') {
        sock.end(head('HTTP/1.1 302 Found', { Location: '/final', 'Content-Length': 0 }));
      } else if (r.path === '/final') {
        sock.write(head('HTTP/1.1 200 OK', { 'Content-Type': 'video/mp4', 'Content-Length': CLIP.length, Connection: 'close' }));
        sock.end(CLIP);
      } else {
        // Another origin: "localhost" instead of 127.0.0.1, on the CDN's port.
        sock.end(head('HTTP/1.1 302 Found', { Location: `${cdn.url.replace('127.0.0.1', 'localhost')}/clip.mp4`, 'Content-Length': 0 }));
      }
    });
    const a = path.join(tmpDir(), 'a.mp4');
    await downloadTo(testCtx(), `${api.url}/jobs/1/download`, a, { headers: auth, secrets: [KEY] });
    expect(sha(fs.readFileSync(a))).toBe(sha(CLIP));
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
    const b = path.join(tmpDir(), 'b.mp4');
    await downloadTo(testCtx(), `${api.url}/same`, b, { headers: auth, secrets: [KEY] });
    expect(api.requests.find((r) => r.path === '/final')!.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe('JSON calls and multipart uploads to servers that close, compress or flood', () => {
  const answer = { code: 200, message: 'success', data: { task_id: 'task-7', status: 'IN_PROGRESS' } };

  it('an HTTP/1.0 JSON answer without a length is read', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.0 200 OK', { 'Content-Type': 'application/json' }));
      sock.end(JSON.stringify(answer));
    });
    const res = await send(testCtx(), { method: 'POST', url: `${s.url}/videos/generations`, headers: auth, json: { prompt: 'a' }, secrets: [KEY] });
    expect(res.json).toEqual(answer);
    expect(JSON.parse(s.requests[0]!.body.toString())).toEqual({ prompt: 'a' });
  });

  it('a gzip-encoded JSON answer is decoded', async () => {
    const gz = zlib.gzipSync(JSON.stringify(answer));
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.1 200 OK', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': gz.length, Connection: 'close' }));
      sock.end(gz);
    });
    const res = await send(testCtx(), { method: 'GET', url: `${s.url}/tasks/task-7`, headers: auth, secrets: [KEY] });
    expect(res.json).toEqual(answer);
  });

  it('an endless answer is cut at 8 MiB and fails as unreadable, not as out of memory', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.0 200 OK', { 'Content-Type': 'application/json' }));
      const block = Buffer.alloc(1024 * 1024, 0x20);
      let n = 0;
      const more = (): void => {
        while (n < 64) {
          n++;
          if (!sock.write(block)) return void sock.once('drain', more);
        }
        sock.end();
      };
      more();
    });
    await expect(send(testCtx(), { method: 'GET', url: `${s.url}/tasks/x` })).rejects.toMatchObject({ kind: 'unreadable' });
  });

  it('a JSON answer cut short of its Content-Length is a retryable network error', async () => {
    const s = await serve((_r, sock) => {
      sock.write(head('HTTP/1.1 200 OK', { 'Content-Type': 'application/json', 'Content-Length': 500 }));
      sock.end('{"code":200,"data":{"task_');
    });
    await expect(send(testCtx(), { method: 'GET', url: `${s.url}/tasks/x` })).rejects.toMatchObject({ kind: 'retryable', message: expect.stringMatching(/network error while calling 127\.0\.0\.1/) });
  });

  it('a multipart upload to a server that answers HTTP/1.0 and closes is sent whole and its answer read', async () => {
    const s = await serve((r, sock) => {
      const ok = r.headers['content-type']?.startsWith('multipart/form-data') && r.body.includes(CLIP.subarray(0, 4096));
      sock.write(head('HTTP/1.0 200 OK', { 'Content-Type': 'application/json', Connection: 'close' }));
      sock.end(JSON.stringify({ received: ok ? r.body.length : 0 }));
    });
    const form = new FormData();
    form.append('prompt', 'a lighthouse');
    form.append('image', new Blob([new Uint8Array(CLIP.subarray(0, 65536))], { type: 'image/png' }), 'start.png');
    const res = await send(testCtx(), { method: 'POST', url: `${s.url}/upload`, headers: auth, form, secrets: [KEY] });
    expect((res.json as { received: number }).received).toBeGreaterThan(65536);
  });

  it('a connection closed before any answer is a retryable error naming the host, with the key redacted', async () => {
    const s = await serve((_r, sock) => sock.destroy());
    const err = await send(testCtx(), { method: 'POST', url: `${s.url}/submit`, headers: auth, json: {}, secrets: [KEY] }).catch((e: unknown) => e as ProviderError);
    expect(err).toMatchObject({ kind: 'retryable' });
    expect(String((err as Error).message)).toContain('127.0.0.1');
    expect(String((err as Error).message)).not.toContain(KEY);
  });

  it('a TLS handshake that fails (an untrusted certificate) sent nothing: retryable, marked as not sent', async () => {
    const dir = tmpDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    let requests = 0;
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/videos/generations`;
      const err = (await send(testCtx(), { method: 'POST', url, headers: auth, json: {}, secrets: [KEY] }).catch((e: unknown) => e)) as ProviderError;
      expect(err).toMatchObject({ kind: 'retryable', opts: { sent: false } });
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });
});
