/**
 * HTTP for the cloud providers (over main/net/http.ts): JSON calls and streamed downloads, with every failure
 * classified as a {@link ProviderError} the queue understands, and secrets redacted from any text
 * that could reach a log, an error or the database.
 *
 * Status classes (what every provider doc agrees on; a provider may refine them):
 *   400, 404, 413, 422 -> invalid      401, 403 -> auth        402 -> credits (and a 400 saying so)
 *   409 -> not-ready                   429, 5xx -> retryable (Retry-After honoured)
 *   connection reset, DNS failure, timeout -> retryable
 */
import fs from 'node:fs';
import { openRequest, readBody, saveBody, type NetError, type OpenResponse } from '../net/http';
import { ProviderError, type ProviderContext } from './provider';

/** Replaces every secret in `text` with "***" (and any Bearer token, whatever its value); any value is accepted and shown as text. */
export function redact(text: unknown, secrets: (string | undefined)[]): string {
  // Whatever a service put where text was expected (an object, a number) is shown as text, never a crash.
  let out = typeof text === 'string' ? text : text === undefined || text === null ? '' : typeof text === 'object' ? JSON.stringify(text) : String(text);
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
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** JSON body (sets Content-Type). */
  json?: unknown;
  /** Multipart body (a spec FormData; the transport writes the boundary). */
  form?: FormData;
  /** Milliseconds before the call is abandoned as a timeout (default 60 s). */
  timeoutMs?: number;
  secrets?: (string | undefined)[];
}

/** A response read whole. `json` is set when the body parsed as JSON. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  contentType: string;
  text: string;
  json?: unknown;
  /** The raw body (for services that answer with the video itself). */
  bytes: Buffer;
}

/** Bytes of a JSON / error answer read into memory at most (anything bigger is not an API answer). */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** OpenSSL's certificate verification failures (Node reports them as the error code). */
const TLS_CERT_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'HOSTNAME_MISMATCH']);

/** Converts a thrown transport error to a ProviderError ("disk" for a full disk, else "retryable"); rethrows an abort. */
export function networkError(e: unknown, what: string, secrets: (string | undefined)[] = []): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (err?.name === 'AbortError' && !err.code) throw e;
  const code = err?.code ?? err?.cause?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new ProviderError('disk', `no space left on the disk while ${what}`);
  // No connection was made: the request never left this machine (a submit cannot have created a task).
  // A TLS handshake that failed (an untrusted or expired certificate, a protocol mismatch) happens
  // before any byte of the request is written: nothing was sent either.
  const tls = typeof code === 'string' && (/^ERR_(SSL|TLS)_/.test(code) || TLS_CERT_CODES.has(code));
  const notSent = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || tls ? { sent: false as const } : {};
  const reason = code === 'ESHORT' ? err.message : code && code !== 'EUNKNOWN' ? `${code}${err.message && !err.message.includes(code) ? ` (${err.message})` : ''}` : (err?.message ?? String(e));
  return new ProviderError('retryable', redact(`network error while ${what}: ${reason}`, secrets), notSent);
}

/** True for content types that carry a video file rather than an API answer. */
export function isMediaType(contentType: string): boolean {
  return /^(video\/|application\/octet-stream)/i.test(contentType.trim());
}

/** Reads an open response whole (at most {@link MAX_ANSWER_BYTES}) into an {@link HttpResponse}. */
export async function readAnswer(res: OpenResponse, what: string, secrets: (string | undefined)[] = []): Promise<HttpResponse> {
  let bytes: Buffer;
  try {
    bytes = await readBody(res, MAX_ANSWER_BYTES);
  } catch (e) {
    if ((e as NetError).code === 'ETOOBIG') throw new ProviderError('unreadable', `${what}: the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, which no API answer is`);
    throw networkError(e, what, secrets);
  }
  const contentType = res.headers['content-type'] ?? '';
  const text = isMediaType(contentType) ? '' : bytes.toString('utf8');
  let json: unknown;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, headers: res.headers, contentType, text, json, bytes };
}

/**
 * Sends a call and resolves with the open response (body not read), after pacing it with
 * `ctx.beforeRequest()`. For answers that may be a video (read them with {@link saveBody}) or JSON
 * (read with {@link readAnswer}). Throws ProviderError("retryable") on network errors and timeouts.
 */
export async function open(ctx: ProviderContext, call: HttpCall): Promise<OpenResponse> {
  const answered = await ctx.beforeRequest();
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  const timeout = call.timeoutMs ?? 60_000;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeout)]);
  const host = new URL(call.url).host;
  try {
    const res = await openRequest({ method: call.method, url: call.url, headers, body: call.json !== undefined ? { json: call.json } : call.form ? { form: call.form } : undefined, signal, idleTimeoutMs: timeout });
    // A 429 naming its wait holds every request to the provider at once, before it is even read.
    if (res.status === 429) {
      const wait = retryAfterMs(res.headers['retry-after']);
      if (wait !== undefined) ctx.onRateLimited?.(wait);
    }
    return res;
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if ((e as Error).name === 'TimeoutError' || (e as NetError).code === 'ETIMEDOUT') throw new ProviderError('retryable', `no answer from ${host} within ${Math.round(timeout / 1000)} s`);
    throw networkError(e, `calling ${host}`, call.secrets);
  } finally {
    if (typeof answered === 'function') answered();
  }
}

/** Sends a call and reads the whole answer. Throws ProviderError("retryable") on network errors and timeouts. */
export async function send(ctx: ProviderContext, call: HttpCall): Promise<HttpResponse> {
  const res = await open(ctx, call);
  return readAnswer(res, `calling ${new URL(call.url).host}`, call.secrets);
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
  // A result file is not an API call: it is not paced against the provider's request rate (the
  // LTX simulator, written from the docs, counts only API routes). A 429 on it still holds the
  // provider, as any 429 naming its wait does.
  const timeout = opts.timeoutMs ?? 300_000;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeout)]);
  const host = new URL(url).host;
  let res: OpenResponse;
  try {
    res = await openRequest({ method: opts.method ?? 'GET', url, headers: opts.headers, signal, idleTimeoutMs: 60_000 });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    throw networkError(e, `downloading from ${host}`, opts.secrets);
  }
  if (res.status === 429) {
    const wait = retryAfterMs(res.headers['retry-after']);
    if (wait !== undefined) ctx.onRateLimited?.(wait);
  }
  if (res.status < 200 || res.status >= 300) {
    const r = await readAnswer(res, `downloading from ${host}`, opts.secrets).catch(() => ({ status: res.status, headers: res.headers, contentType: '', text: '', bytes: Buffer.alloc(0) }) as HttpResponse);
    const msg = redact(opts.errorMessage?.(r) || r.text.slice(0, 300) || `HTTP ${res.status}`, opts.secrets ?? []);
    if ((opts.expiredStatuses ?? [403, 404, 410]).includes(res.status)) throw new ProviderError('expired', `the result has expired or is gone (HTTP ${res.status}): ${msg}`, { status: res.status });
    throwForStatus(r, msg, opts.secrets);
  }
  await saveResult(ctx, res, dest, host, opts.secrets);
}

/**
 * Streams a result body (a download, or a service that answers with the MP4 itself) to `dest`:
 * backpressure all the way to the disk, so ten 4K answers at once cost no more memory than one.
 * Complete means at least one byte and as many bytes as Content-Length said; otherwise the file is
 * removed and ProviderError("retryable") thrown ("disk" for a full disk).
 */
export async function saveResult(ctx: ProviderContext, res: OpenResponse, dest: string, host: string, secrets: (string | undefined)[] = []): Promise<void> {
  let received: number;
  try {
    received = await saveBody(res, dest, { signal: ctx.signal });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if ((e as NetError).code === 'ESHORT') throw new ProviderError('retryable', `the download from ${host} was cut off: ${(e as Error).message}`);
    throw networkError(e, `downloading from ${host}`, secrets);
  }
  if (received === 0) {
    fs.rmSync(dest, { force: true });
    throw new ProviderError('retryable', `the download from ${host} was empty`);
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
