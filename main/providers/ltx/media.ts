/**
 * Images and audio for the public LTX API (Input Formats, https://docs.ltx.video/input-formats,
 * read 2026-12-02): PNG/JPEG/WEBP images and WAV/MP3/M4A/OGG audio, given as an HTTPS URL, a
 * data URI (up to 7 MB encoded for images, 15 MB for audio) or a `storage_uri` from the upload
 * endpoint (`POST /v1/upload`, then `PUT` the file to `upload_url` with `required_headers`; up to
 * 100 MB, kept 24 h).
 *
 * At validation a local file stays a path ({@link LocalMedia}); at submit it becomes a data URI
 * when it fits, else it is uploaded. The upload URL is storage, not the API: the key never goes
 * there.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FieldIssue, ProviderContext } from '../provider';
import { ProviderError } from '../provider';
import type { MediaRef } from '../../storyboard/shot';
import { mimeOfFile } from '../../media/sniff';
import { openRequest, readBody } from '../../net/http';
import { networkError } from '../http';
import type { RemoteClient } from '../client';
import { Upload } from './api';
import { LTX_INPUTS } from './models';

/** A local file in a stored request body, turned into a data URI or an upload at submit. */
export interface LocalMedia {
  file: string;
  /** `video`: a take's clip for retake and extend, always uploaded. */
  kind: 'image' | 'audio' | 'video';
}

/** True for a {@link LocalMedia} value. */
export function isLocalMedia(v: unknown): v is LocalMedia {
  return typeof v === 'object' && v !== null && typeof (v as LocalMedia).file === 'string' && ['image', 'audio', 'video'].includes((v as LocalMedia).kind);
}

const EXTS: Record<'image' | 'audio', string[]> = { image: ['png', 'jpg', 'jpeg', 'webp'], audio: ['wav', 'mp3', 'm4a', 'ogg', 'oga'] };

/** The lower-case extension of a path or URL path, without the dot ('' when none). */
function extOf(p: string): string {
  const last = p.split(/[\\/]/).pop() ?? '';
  return last.includes('.') ? (last.split('.').pop() ?? '').toLowerCase() : '';
}

/**
 * Checks one media cell (`column`: image or audio) and returns what to store in the request: the
 * HTTPS URL, or the local file as {@link LocalMedia}. Pushes an issue naming the column otherwise.
 */
export function mediaField(ref: MediaRef, kind: 'image' | 'audio', column: string, issues: FieldIssue[]): string | LocalMedia | undefined {
  const spec = LTX_INPUTS[kind];
  if (ref.kind === 'url') {
    const u = new URL(ref.url);
    if (u.protocol !== 'https:') {
      issues.push({ column, message: `ltx fetches ${kind}s only from https:// URLs; "${ref.original}" is ${u.protocol.replace(':', '')} (use https, or a file next to the storyboard)` });
      return undefined;
    }
    const ext = extOf(u.pathname);
    if (ext && !EXTS[kind].includes(ext)) {
      issues.push({ column, message: `ltx takes ${kind}s as ${spec.names}; "${ref.original}" is .${ext}` });
      return undefined;
    }
    return ref.url;
  }
  let size: number;
  try {
    // A file the queue writes before the take is sent (a start frame, a PNG) is checked then.
    size = ref.pending ? 0 : fs.statSync(ref.path).size;
  } catch {
    issues.push({ column, message: `the ${kind} file "${ref.original}" cannot be read` });
    return undefined;
  }
  const ext = extOf(ref.path);
  if (ext && !EXTS[kind].includes(ext)) {
    issues.push({ column, message: `ltx takes ${kind}s as ${spec.names}; "${ref.original}" is .${ext} (convert it)` });
    return undefined;
  }
  if (size > LTX_INPUTS.maxUploadBytes) {
    issues.push({ column, message: `ltx takes files up to ${LTX_INPUTS.maxUploadBytes / 1024 / 1024} MB; "${ref.original}" has ${(size / 1024 / 1024).toFixed(1)} MB` });
    return undefined;
  }
  return { file: ref.path, kind };
}

/** Data-URI size of `bytes` raw bytes (base64 plus the prefix), in bytes. */
function dataUriBytes(bytes: number, mime: string): number {
  return Math.ceil(bytes / 3) * 4 + `data:${mime};base64,`.length;
}

/**
 * Turns a local file into what the API takes: a data URI when it fits the page's limit, else a
 * `storage_uri` from the upload endpoint. Throws ProviderError: invalid (unreadable file, content
 * not an accepted type), the client's errors for the upload call, retryable for a failed PUT.
 */
export async function resolveLocal(m: LocalMedia, client: RemoteClient, ctx: ProviderContext): Promise<string> {
  const spec = m.kind === 'video' ? LTX_INPUTS.video : LTX_INPUTS[m.kind];
  let mime: string | undefined;
  let size: number;
  try {
    size = fs.statSync(m.file).size;
    mime = await mimeOfFile(m.file);
  } catch (e) {
    throw new ProviderError('invalid', `the ${m.kind} file "${path.basename(m.file)}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!mime || !(spec.mimes as readonly string[]).includes(mime)) throw new ProviderError('invalid', `"${path.basename(m.file)}" is ${mime ?? 'not a recognised file'}; ltx takes ${m.kind}s as ${spec.names}`);
  if (dataUriBytes(size, mime) <= spec.maxDataUriBytes) return `data:${mime};base64,${(await fs.promises.readFile(m.file)).toString('base64')}`;

  const res = await client.call(ctx, { method: 'POST', path: '/v1/upload' });
  const up = client.parse(Upload, res, 'the upload request');
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(600_000)]);
  try {
    // Storage, not the API: the key is not sent, and this request is not paced as an API call.
    const put = await openRequest({ method: 'PUT', url: up.upload_url, headers: { 'content-type': mime, ...up.required_headers }, body: { raw: fs.createReadStream(m.file), contentLength: size }, signal, idleTimeoutMs: 120_000, maxRedirects: 0 });
    const text = (await readBody(put, 64 * 1024)).toString('utf8');
    if (put.status < 200 || put.status >= 300) throw new ProviderError(put.status >= 500 || put.status === 429 ? 'retryable' : 'invalid', `uploading "${path.basename(m.file)}" to ltx storage failed (HTTP ${put.status}): ${text.slice(0, 200)}`, { status: put.status });
  } catch (e) {
    if (e instanceof ProviderError || ctx.signal.aborted) throw e;
    throw networkError(e, `uploading "${path.basename(m.file)}" to ltx storage`, client.secrets());
  }
  return up.storage_uri;
}
