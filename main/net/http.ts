/**
 * The one HTTP transport of the core: every request the app sends (provider APIs, uploads, result
 * downloads, the local runner) goes through {@link openRequest}.
 *
 * Built on axios' Node adapter, i.e. on `node:http` / `node:https`, and not on undici: undici 7
 * throws an uncatchable `AssertionError: assert(!this.paused)` from `Parser.finish` when a server
 * closes the connection after the body (HTTP/1.0, `Connection: close`) while the reader is slower
 * than the socket (undici issue #5360; fixed only in undici 8, which needs Node >= 22.19, and the
 * CLI still supports Node 20). Node's own HTTP client reports every such server behaviour as an
 * ordinary error or a complete body.
 *
 * What it guarantees, whatever a server sends:
 * - bodies are streams with backpressure: nothing is held in memory unless the caller reads it
 *   whole with {@link readBody} (which has a byte cap);
 * - gzip / deflate / br bodies are decoded;
 * - redirects are followed (at most 5) and the `authorization` header is dropped as soon as a
 *   redirect leaves the origin the request was sent to (a key never reaches a CDN);
 * - errors are {@link NetError}s with a code ("ECONNRESET", "ETIMEDOUT", "ETOOBIG", ...), never
 *   a crash of the process.
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import axios, { AxiosError, type AxiosRequestConfig } from 'axios';

/** A request body: JSON (serialised here), a spec FormData (multipart), or raw bytes / a stream. */
export type RequestBody = { json: unknown } | { form: FormData } | { raw: Buffer | Readable; contentType?: string; contentLength?: number };

/** One request. */
export interface OpenRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Aborts the request (and the body stream, once open). */
  signal?: AbortSignal;
  /** Milliseconds the socket may stay silent (waiting for headers or between body chunks) before the request fails with ETIMEDOUT. Default 60 000. */
  idleTimeoutMs?: number;
  /** Redirects to follow (default 5; 0 returns the 3xx itself). */
  maxRedirects?: number;
}

/** An open response: status and headers read, body not yet consumed. */
export interface OpenResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The URL that answered, after redirects. */
  url: string;
  /** The decoded body. Consume it or call `body.destroy()`. */
  body: Readable;
}

/** A transport failure: the connection, a timeout, a cap or the local disk; `code` says which. */
export class NetError extends Error {
  constructor(
    /** ECONNRESET, ECONNREFUSED, ETIMEDOUT, ENOTFOUND, EPROTO (a malformed answer), ETOOBIG (over a byte cap), ESHORT (fewer bytes than Content-Length), ENOSPC ... */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NetError';
  }
}

const client = axios.create({
  adapter: 'http',
  responseType: 'stream',
  decompress: true,
  validateStatus: () => true,
  // Streams have no length cap here (-1: axios adds no wrapper): readBody() and saveBody() apply their own.
  maxContentLength: -1,
  maxBodyLength: -1,
  transitional: { clarifyTimeoutError: true },
});

/**
 * Sends a request and resolves once the status and headers are in. Throws {@link NetError} when no
 * answer arrives (connection refused or reset, timeout, malformed answer) and rethrows the abort
 * reason when `signal` fires.
 */
export async function openRequest(req: OpenRequest): Promise<OpenResponse> {
  const origin = new URL(req.url).origin;
  const headers: Record<string, string> = { ...req.headers };
  let data: unknown;
  if (req.body && 'json' in req.body) {
    data = JSON.stringify(req.body.json);
    headers['content-type'] = 'application/json';
  } else if (req.body && 'form' in req.body) {
    data = req.body.form;
  } else if (req.body && 'raw' in req.body) {
    data = req.body.raw;
    if (req.body.contentType) headers['content-type'] = req.body.contentType;
    if (req.body.contentLength !== undefined) headers['content-length'] = String(req.body.contentLength);
  }
  const config: AxiosRequestConfig = {
    method: req.method,
    url: req.url,
    headers,
    data,
    signal: req.signal,
    timeout: req.idleTimeoutMs ?? 60_000,
    maxRedirects: req.maxRedirects ?? 5,
    beforeRedirect: (options: Record<string, unknown>) => {
      const next = `${String(options.protocol)}//${String(options.hostname ?? options.host)}${options.port ? `:${String(options.port)}` : ''}`;
      const h = options.headers as Record<string, unknown> | undefined;
      if (h && new URL(next).origin !== origin) for (const k of Object.keys(h)) if (k.toLowerCase() === 'authorization') delete h[k];
    },
  };
  try {
    const res = await client.request<Readable>(config);
    // Headers as the server sent them (axios drops content-encoding once it decodes a body, and
    // a Content-Length is only checked against an undecoded body).
    const incoming = (res.request as { res?: { rawHeaders?: string[]; responseUrl?: string } } | undefined)?.res;
    const out: Record<string, string | undefined> = {};
    const raw = incoming?.rawHeaders;
    if (raw) for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]!.toLowerCase()] = out[raw[i]!.toLowerCase()] !== undefined ? `${out[raw[i]!.toLowerCase()]}, ${raw[i + 1]}` : raw[i + 1];
    else for (const [k, v] of Object.entries(res.headers as Record<string, unknown>)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v === undefined || v === null ? undefined : String(v);
    const finalUrl = incoming?.responseUrl ?? req.url;
    const body = res.data;
    // Body errors after this point reach whoever consumes the stream; a stream nobody reads must
    // not crash the process either.
    body.on('error', () => {});
    if (req.signal) {
      const onAbort = () => body.destroy(req.signal!.reason as Error);
      req.signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => req.signal!.removeEventListener('abort', onAbort));
    }
    return { status: res.status, headers: out, url: finalUrl, body };
  } catch (e) {
    if (req.signal?.aborted) throw req.signal.reason ?? e;
    throw toNetError(e);
  }
}

/** Maps whatever the stack threw to a {@link NetError}. */
export function toNetError(e: unknown): NetError {
  if (e instanceof NetError) return e;
  const err = e as AxiosError & { cause?: NodeJS.ErrnoException };
  let code = err?.code ?? err?.cause?.code ?? 'EUNKNOWN';
  if (code === AxiosError.ETIMEDOUT || code === AxiosError.ECONNABORTED) code = 'ETIMEDOUT';
  if (typeof code === 'string' && code.startsWith('HPE_')) code = 'EPROTO';
  if (code === AxiosError.ERR_FR_TOO_MANY_REDIRECTS) code = 'EREDIRECTS';
  if (err?.message === 'aborted' || code === 'ECONNABORTED') code = 'ECONNRESET';
  return new NetError(String(code), err?.message ?? String(e));
}

/**
 * Reads a body whole. Throws NetError("ETOOBIG") past `maxBytes` (the connection is dropped at that
 * point: a server cannot make us hold more), NetError("ESHORT") when it ends before the
 * Content-Length it declared, other NetErrors when the connection fails mid-body.
 */
export async function readBody(res: OpenResponse, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > maxBytes) {
        res.body.destroy();
        throw new NetError('ETOOBIG', `the answer is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    throw toNetError(e);
  }
  checkLength(res, n);
  return Buffer.concat(chunks);
}

/**
 * Streams a body to `dest` with backpressure (a slow disk slows the socket; memory stays flat) and
 * resolves with the bytes written. On any failure the partial file is removed and a NetError
 * thrown: ENOSPC / EDQUOT for a full disk, ESHORT when the body ended before its Content-Length,
 * ETOOBIG past `maxBytes`, a connection code otherwise. The abort reason is rethrown when `signal`
 * fires.
 */
export async function saveBody(res: OpenResponse, dest: string, opts: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<number> {
  let n = 0;
  const max = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > max) cb(new NetError('ETOOBIG', `the download is larger than ${max} bytes`));
      else cb(null, chunk);
    },
  });
  try {
    await pipeline(res.body, counter, fs.createWriteStream(dest));
    checkLength(res, n);
    return n;
  } catch (e) {
    fs.rmSync(dest, { force: true });
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    const err = toNetError(e);
    if (err.code === 'ESHORT' || err.code === 'ETOOBIG' || err.code === 'ENOSPC' || err.code === 'EDQUOT') throw err;
    throw new NetError(err.code, `${err.message} (${n} bytes received${res.headers['content-length'] ? ` of ${res.headers['content-length']}` : ''})`);
  }
}

function checkLength(res: OpenResponse, n: number): void {
  // A decoded (gzip) body has another length than the one declared for the wire.
  if (res.headers['content-encoding'] && res.headers['content-encoding'] !== 'identity') return;
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && n < declared) throw new NetError('ESHORT', `the answer was cut off after ${n} of ${declared} bytes`);
}
