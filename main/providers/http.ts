/**
 * HTTP for the cloud providers (undici): JSON calls and streamed downloads, with every failure
 * classified as a {@link ProviderError} the queue understands, and secrets redacted from any text
 * that could reach a log, an error or the database.
 *
 * Status classes (what every provider doc agrees on; a provider may refine them):
 *   400, 404, 413, 422 -> invalid      401, 403 -> auth        402 -> credits (and a 400 saying so)
 *   409 -> not-ready                   429, 5xx -> retryable (Retry-After honoured)
 *   connection reset, DNS failure, timeout -> retryable
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { request } from 'undici';
import { ProviderError, type ProviderContext } from './provider';

/** Replaces every secret in `text` with "***" (and any Bearer token, whatever its value). */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out.replace(/(Bearer\s+)[^\s"',]+/gi, '$1***');
}

/** Parses a Retry-After header (seconds or an HTTP date) into ms. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** One HTTP call. `secrets` are redacted from errors. */
export interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** JSON body (sets Content-Type). */
  json?: unknown;
  /** Milliseconds before the call is abandoned as a timeout (default 60 s). */
  timeoutMs?: number;
  secrets?: (string | undefined)[];
}

/** A response read whole. `json` is set when the body parsed as JSON. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  text: string;
  json?: unknown;
  /** The raw body (for services that answer with the video itself). */
  bytes: Buffer;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_ABORTED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);

/** Converts a thrown network error to a retryable ProviderError (or rethrows an abort). */
export function networkError(e: unknown, what: string, secrets: (string | undefined)[] = []): ProviderError {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (err?.name === 'AbortError' && !err.code) throw e;
  const code = err?.code ?? err?.cause?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new ProviderError('disk', `no space left on the disk while ${what}`);
  const reason = code && NETWORK_CODES.has(code) ? code : (err?.message ?? String(e));
  return new ProviderError('retryable', redact(`network error while ${what}: ${reason}`, secrets));
}

/** Sends a call and reads the whole answer. Throws ProviderError("retryable") on network errors and timeouts. */
export async function send(ctx: ProviderContext, call: HttpCall): Promise<HttpResponse> {
  await ctx.beforeRequest();
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  let body: string | undefined;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers['content-type'] = 'application/json';
  }
  const timeout = call.timeoutMs ?? 60_000;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeout)]);
  try {
    const res = await request(call.url, { method: call.method, headers, body, signal, headersTimeout: timeout, bodyTimeout: timeout });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const contentType = String(res.headers['content-type'] ?? '');
    const text = contentType.startsWith('video/') ? '' : bytes.toString('utf8');
    let json: unknown;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.statusCode, headers: res.headers, contentType, text, json, bytes };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if ((e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError') throw new ProviderError('retryable', `no answer from ${new URL(call.url).host} within ${Math.round(timeout / 1000)} s`);
    throw networkError(e, `calling ${new URL(call.url).host}`, call.secrets);
  }
}

/**
 * Throws the ProviderError that an HTTP error status means; does nothing for 2xx.
 * `message` is the service's own error text (already extracted from its body).
 */
export function throwForStatus(res: HttpResponse, message: string, secrets: (string | undefined)[] = []): void {
  const s = res.status;
  if (s >= 200 && s < 300) return;
  const msg = redact(message || `HTTP ${s}`, secrets);
  const opts = { status: s, retryAfterMs: retryAfterMs(res.headers['retry-after']) };
  if (s === 401 || s === 403) throw new ProviderError('auth', `key rejected (HTTP ${s}): ${msg}`, opts);
  if (s === 402) throw new ProviderError('credits', `insufficient credits (HTTP 402): ${msg}`, opts);
  // Services without a 402 (ltx-2api.com, Bytecompute) say it in a 400: pause, do not fail every shot.
  if (s === 400 && /insufficient[\s_-]*(credit|balance|fund)|not enough (credit|balance)|out of credits|no credits left/i.test(msg)) throw new ProviderError('credits', `insufficient credits (HTTP 400): ${msg}`, opts);
  if (s === 409) throw new ProviderError('not-ready', `not ready yet (HTTP 409): ${msg}`, opts);
  if (s === 429 || s === 408 || s >= 500) throw new ProviderError('retryable', `HTTP ${s}: ${msg}`, opts);
  throw new ProviderError('invalid', `HTTP ${s}: ${msg}`, opts);
}

/** Options of {@link downloadTo}. */
export interface DownloadOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  timeoutMs?: number;
  secrets?: (string | undefined)[];
  /** Reads the service's error text from an error body. */
  errorMessage?: (res: HttpResponse) => string;
  /** Statuses that mean the result URL has expired (default 403, 404, 410). */
  expiredStatuses?: number[];
}

/**
 * Streams a result to `dest` (a temporary path). Complete means: status 2xx, at least one byte, and
 * as many bytes as Content-Length said. A cut-off download is retryable; 403/404/410 on a result
 * URL mean it has expired; a full disk is a "disk" error.
 */
export async function downloadTo(ctx: ProviderContext, url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  // Only calls made with the key count against the provider's request rate (a CDN URL does not).
  if (opts.headers?.authorization) await ctx.beforeRequest();
  const timeout = opts.timeoutMs ?? 300_000;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeout)]);
  const host = new URL(url).host;
  let res;
  try {
    res = await request(url, { method: opts.method ?? 'GET', headers: opts.headers, signal, headersTimeout: 60_000, bodyTimeout: 60_000 });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    throw networkError(e, `downloading from ${host}`, opts.secrets);
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const bytes = Buffer.from(await res.body.arrayBuffer().catch(() => new ArrayBuffer(0)));
    const text = bytes.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    const r: HttpResponse = { status: res.statusCode, headers: res.headers, contentType: String(res.headers['content-type'] ?? ''), text, json, bytes };
    const msg = redact(opts.errorMessage?.(r) || text.slice(0, 300) || `HTTP ${res.statusCode}`, opts.secrets ?? []);
    if ((opts.expiredStatuses ?? [403, 404, 410]).includes(res.statusCode)) throw new ProviderError('expired', `the result has expired or is gone (HTTP ${res.statusCode}): ${msg}`, { status: res.statusCode });
    throwForStatus(r, msg, opts.secrets);
  }
  const expected = Number(res.headers['content-length'] ?? NaN);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res.body, counter, fs.createWriteStream(dest));
  } catch (e) {
    fs.rmSync(dest, { force: true });
    if (ctx.signal.aborted) throw e;
    throw networkError(e, `downloading from ${host} (${received} bytes received${Number.isFinite(expected) ? ` of ${expected}` : ''})`, opts.secrets);
  }
  if (received === 0) {
    fs.rmSync(dest, { force: true });
    throw new ProviderError('retryable', `the download from ${host} was empty`);
  }
  if (Number.isFinite(expected) && received !== expected) {
    fs.rmSync(dest, { force: true });
    throw new ProviderError('retryable', `the download from ${host} was cut off after ${received} of ${expected} bytes`);
  }
}

/** True when `url` is on the same origin as `base` (so a key may be sent to it). */
export function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
