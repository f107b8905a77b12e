/**
 * LTX API (Lightricks, api.ltx.video) as a provider (id `ltx`). Follows
 * shared/provider-docs/003_28694a66eaeaa661.txt, plus the quick-start form that Lightricks' own
 * published docs show (shared/README.md):
 *
 *   Doc form (the default):
 *     POST {base}/generations/text-to-video    {prompt, model, resolution, duration, fps, seed?}
 *     POST {base}/generations/image-to-video   ... + image (a URL, or the file uploaded as multipart/form-data)
 *     POST {base}/generations/audio-to-video   ... + audio (same), model ltx-2-pro, 1920x1080 only
 *       -> {id, status, video_url, duration, model, resolution, cost}; status "completed" carries
 *          video_url at once, "processing" is polled with GET {base}/generations/{id}.
 *   Quick-start form (LTX_API_FORM=quickstart):
 *     POST {base}/text-to-video, POST {base}/image-to-video (`image_uri`: a URL or a data URI)
 *       -> the MP4 itself (Content-Type video/mp4), its id in the `x-request-id` header.
 *   Either route may answer with an MP4 body; it is taken as the finished clip.
 *
 * Key: `Authorization: Bearer <LTX_API_KEY>` ("Authentication"), sent only to the API base URL,
 * never to the CDN that `video_url` points at. Limits ("Rate Limits"): 10 concurrent requests,
 * 100 requests per minute; 429 carries Retry-After (the doc's "Error Codes": without it, wait
 * 60 s; 500: wait 5 min; 503: wait and retry). Prices: ./prices.ts; the charge is the `cost` field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type {
  Capabilities,
  CostEstimate,
  FieldIssue,
  PollResult,
  Provider,
  ProviderContext,
  ProviderRequest,
  ResultRef,
  SubmitResult,
  ValidationResult,
} from '../provider';
import { ProviderError } from '../provider';
import type { MediaRef, Mode, Shot } from '../../storyboard/shot';
import { checkShot } from '../check-shot';
import { downloadTo, networkError, redact, send, throwForStatus, type HttpResponse } from '../http';
import { missingKeyMessage, remoteConfig, type KeyLookup, type RemoteConfig } from '../remote-config';
import { audioFormat, imageFormat } from '../../media/sniff';
import { LTX_MODELS, LTX_RESOLUTIONS, LTX_USD_PER_SECOND, ltxUsd, type LtxModelId, type LtxResolution } from './prices';

/** The doc's base URL ("Base URL"). Override with LTX_BASE_URL. */
export const LTX_DOC_BASE_URL = 'https://api.ltx.video/v1';
/** The doc this provider follows. */
export const LTX_DOC = 'shared/provider-docs/003_28694a66eaeaa661.txt';

/**
 * Environment variable choosing the request form: `generations` (default: the doc's
 * /generations/* routes answering JSON) or `quickstart` (Lightricks' quick-start routes
 * /text-to-video and /image-to-video answering with the MP4). Audio-to-video has no quick-start
 * route and always uses /generations/audio-to-video.
 */
export const LTX_FORM_ENV = 'LTX_API_FORM';
/** The values of {@link LTX_FORM_ENV}. */
export type LtxForm = 'generations' | 'quickstart';

/**
 * Poll timing in ms by model, from the doc's "Models" table (fast renders in ~5-15 s, pro in
 * ~30-90 s): first poll after the shortest render time, then every `everyMs`. The doc names no
 * poll interval; these are this provider's choice. Multiplied by LTX_BATCH_POLL_SCALE.
 */
export const LTX_POLL_MS: Readonly<Record<LtxModelId, { firstMs: number; everyMs: number }>> = {
  'ltx-2-fast': { firstMs: 5_000, everyMs: 5_000 },
  'ltx-2-pro': { firstMs: 30_000, everyMs: 10_000 },
};

/**
 * Waits the doc's "Error Codes" table prescribes when the answer carries no Retry-After, in ms:
 * 429 "Wait 60 seconds and retry", 500 "Wait 5 min and retry once". (503 names no wait: backoff.)
 */
export const LTX_DEFAULT_RETRY_AFTER_MS: Readonly<Record<number, number>> = { 429: 60_000, 500: 300_000 };

/**
 * How long a submit may take to answer, in ms. The quick-start routes (and a /generations route
 * answering "completed") hold the request for the whole render (pro: ~30-90 s, more at 4K).
 */
export const LTX_SUBMIT_TIMEOUT_MS = 600_000;

/** Media the doc accepts ("File Requirements"): extensions, MIME types and the largest size in bytes. */
export const LTX_MEDIA = {
  image: {
    column: 'image' as const,
    exts: ['jpg', 'jpeg', 'png', 'webp', 'gif'],
    mime: { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' } as Record<string, string>,
    maxBytes: 20 * 1024 * 1024,
  },
  audio: {
    column: 'audio' as const,
    exts: ['mp3', 'wav', 'ogg', 'm4a', 'aac'],
    mime: { mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', m4a: 'audio/mp4', aac: 'audio/aac' } as Record<string, string>,
    maxBytes: 50 * 1024 * 1024,
  },
};

/**
 * Longest prompt sent, in characters. The doc names no limit; this is a guard against pasting a
 * whole script into one cell, not a documented limit.
 */
export const LTX_PROMPT_MAX_CHARS = 5000;

const RESOLUTIONS = Object.keys(LTX_RESOLUTIONS) as LtxResolution[];

const CAPABILITIES: Capabilities = {
  modes: ['text-to-video', 'image-to-video', 'audio-to-video'],
  resolutions: RESOLUTIONS,
  // The widest range ("Fast@1080p: 6-20"); validate() applies the narrower ones (pro, I2V, A2V: 6-10).
  duration: { min: 6, max: 20, integerOnly: true },
  fps: [25, 50],
  // The doc lists only landscape 16:9 resolutions and has no aspect-ratio parameter.
  aspectRatios: ['16:9'],
  promptMaxChars: LTX_PROMPT_MAX_CHARS,
  mediaInputs: 'url-or-file',
  models: [...LTX_MODELS],
};

/** Routes by mode and form, as stored in the request ("POST /generations/text-to-video"). */
const ROUTES: Record<LtxForm, Partial<Record<Mode, string>>> = {
  generations: {
    'text-to-video': 'POST /generations/text-to-video',
    'image-to-video': 'POST /generations/image-to-video',
    'audio-to-video': 'POST /generations/audio-to-video',
  },
  quickstart: {
    'text-to-video': 'POST /text-to-video',
    'image-to-video': 'POST /image-to-video',
    'audio-to-video': 'POST /generations/audio-to-video',
  },
};
const QUICKSTART_ROUTES = new Set(['POST /text-to-video', 'POST /image-to-video']);
const KNOWN_ROUTES = new Set([...Object.values(ROUTES.generations), ...Object.values(ROUTES.quickstart)]);

/** A local file in a stored request body: sent as a multipart part (or a data URI on quick-start routes) at submit. */
interface FileField {
  file: string;
  mime: string;
}

function isFileField(v: unknown): v is FileField {
  return typeof v === 'object' && v !== null && typeof (v as FileField).file === 'string' && typeof (v as FileField).mime === 'string';
}

/** Reads the service's own message from an error body (`{"error":{"type","message"}}`, or `{error}`/`{message}`). */
function serviceError(res: HttpResponse): { message: string; type?: string } {
  const j = res.json as { error?: unknown; message?: unknown; detail?: unknown } | undefined;
  const e = j?.error;
  if (e && typeof e === 'object') {
    const { type, code, message } = e as { type?: unknown; code?: unknown; message?: unknown };
    const t = typeof type === 'string' ? type : typeof code === 'string' ? code : undefined;
    const m = typeof message === 'string' ? message : '';
    return { message: t && m ? `${t}: ${m}` : m || t || res.text.slice(0, 300), type: t };
  }
  if (typeof e === 'string') return { message: e };
  if (typeof j?.message === 'string') return { message: j.message };
  if (typeof j?.detail === 'string') return { message: j.detail };
  return { message: res.text.slice(0, 300) };
}

/**
 * Throws the ProviderError an error status means (see http.ts), adding the doc's waits when the
 * answer has no Retry-After (429: 60 s, 500: 5 min) and the service's error type as the code.
 */
function throwForLtxStatus(res: HttpResponse, key: string | undefined): void {
  if (res.status >= 200 && res.status < 300) return;
  let r = res;
  const fallback = LTX_DEFAULT_RETRY_AFTER_MS[res.status];
  if (res.headers['retry-after'] === undefined && fallback !== undefined) r = { ...res, headers: { ...res.headers, 'retry-after': String(fallback / 1000) } };
  const { message, type } = serviceError(r);
  try {
    throwForStatus(r, message, [key]);
  } catch (e) {
    if (e instanceof ProviderError && type) throw new ProviderError(e.kind, e.message, { ...e.opts, code: type });
    throw e;
  }
}

/** The file extension of a path or URL path, lower case, without the dot ('' when none). */
function extOf(p: string): string {
  const last = p.split(/[\\/]/).pop() ?? '';
  return last.includes('.') ? (last.split('.').pop() ?? '').toLowerCase() : '';
}

/** The MIME type of a local media file by its extension, else by its first bytes; undefined when not accepted. */
function localMime(file: string, kind: 'image' | 'audio'): string | undefined {
  const spec = LTX_MEDIA[kind];
  const ext = extOf(file);
  if (spec.mime[ext]) return spec.mime[ext];
  if (ext) return undefined;
  try {
    const fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(16);
    const n = fs.readSync(fd, b, 0, 16, 0);
    fs.closeSync(fd);
    const fmt = kind === 'image' ? imageFormat(b.subarray(0, n)) : audioFormat(b.subarray(0, n));
    return fmt ? spec.mime[fmt === 'jpeg' ? 'jpg' : fmt] : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one media cell against "File Requirements"; returns the value to store in the body, or pushes an issue. */
function mediaField(ref: MediaRef, kind: 'image' | 'audio', issues: FieldIssue[]): string | FileField | undefined {
  const spec = LTX_MEDIA[kind];
  const accepted = spec.exts.join(', ');
  if (ref.kind === 'url') {
    const ext = extOf(new URL(ref.url).pathname);
    if (ext && !spec.exts.includes(ext)) {
      issues.push({ column: spec.column, message: `ltx takes ${kind}s as ${accepted}; "${ref.original}" is .${ext}` });
      return undefined;
    }
    return ref.url;
  }
  let size: number;
  try {
    size = fs.statSync(ref.path).size;
  } catch {
    issues.push({ column: spec.column, message: `the ${kind} file "${ref.original}" cannot be read` });
    return undefined;
  }
  const mime = localMime(ref.path, kind);
  if (!mime) {
    issues.push({ column: spec.column, message: `ltx takes ${kind}s as ${accepted}; "${ref.original}" is not one of them` });
    return undefined;
  }
  if (size > spec.maxBytes) {
    issues.push({ column: spec.column, message: `ltx takes ${kind} files up to ${spec.maxBytes / 1024 / 1024} MB; "${ref.original}" has ${(size / 1024 / 1024).toFixed(1)} MB (compress it, or put a public URL in the cell)` });
    return undefined;
  }
  return { file: ref.path, mime };
}

/** Longest duration the doc allows for this combination ("Technical Constraints": 20 s only for fast text-to-video at 1080p/25 fps). */
export function ltxMaxDuration(mode: Mode, model: string, resolution: string, fps: number): number {
  return mode === 'text-to-video' && model === 'ltx-2-fast' && resolution === '1920x1080' && fps === 25 ? 20 : 10;
}

/** Why the 10 s limit applies, in a creator's words. */
function tenSecondReason(mode: Mode, model: string): string {
  if (mode === 'image-to-video') return 'image-to-video';
  if (mode === 'audio-to-video') return 'audio-to-video';
  if (model === 'ltx-2-pro') return 'ltx-2-pro';
  return 'ltx-2-fast above 1920x1080 or at 50 fps';
}

/** Model the row asks for, or the default: ltx-2-fast, and ltx-2-pro for audio-to-video (its only model). */
function modelFor(shot: Shot): string {
  return shot.model || (shot.mode === 'audio-to-video' ? 'ltx-2-pro' : LTX_MODELS[0]);
}

/** The row's resolution as the doc's WIDTHxHEIGHT (landscape), or undefined when the doc has no such size. */
function ltxResolution(shot: Shot): LtxResolution | undefined {
  const { width, height } = shot.resolution;
  const wxh = `${Math.max(width, height)}x${Math.min(width, height)}`;
  return (RESOLUTIONS as string[]).includes(wxh) ? (wxh as LtxResolution) : undefined;
}

/** File-name-safe form of a task id. */
function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'task';
}

/** Where an MP4 answer for task `taskId` is kept until the queue moves it into place. */
function mp4PathFor(ctx: ProviderContext, taskId: string): string {
  return path.join(ctx.tmpDir, `ltx-${safeId(taskId)}.mp4`);
}

/** Builds a multipart/form-data body (a spec FormData): text fields, then files. */
async function multipartBody(fields: Record<string, unknown>, files: Record<string, FileField>): Promise<FormData> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    form.append(name, String(value));
  }
  for (const [name, f] of Object.entries(files)) {
    const data = await readLocal(f.file);
    form.append(name, new Blob([new Uint8Array(data)], { type: f.mime }), path.basename(f.file));
  }
  return form;
}

async function readLocal(file: string): Promise<Buffer> {
  try {
    return await fs.promises.readFile(file);
  } catch (e) {
    throw new ProviderError('invalid', `the media file "${path.basename(file)}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Creates the LTX API provider. `env` supplies LTX_API_KEY, LTX_BASE_URL, LTX_API_FORM and
 * LTX_BATCH_POLL_SCALE; `stored` looks keys up in the keychain. Creating it sends nothing.
 */
export function createLtxProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const cfg: RemoteConfig = remoteConfig('ltx', LTX_DOC_BASE_URL, env, stored);
  const formSetting = (env[LTX_FORM_ENV] ?? '').trim().toLowerCase();
  const form: LtxForm | undefined = formSetting === '' || formSetting === 'generations' ? 'generations' : formSetting === 'quickstart' || formSetting === 'quick-start' ? 'quickstart' : undefined;
  const keyOrThrow = cfg.requireKey;
  const pollMs = (model: unknown) => LTX_POLL_MS[(model === 'ltx-2-pro' ? 'ltx-2-pro' : 'ltx-2-fast') as LtxModelId];
  const usd = (amount: unknown) => (typeof amount === 'number' && Number.isFinite(amount) ? { unit: 'USD' as const, amount } : undefined);

  /** Reads a generation object (submit or poll answer) into a PollResult. */
  const readGeneration = (res: HttpResponse, request: ProviderRequest, key: string): PollResult => {
    const g = res.json as { id?: unknown; status?: unknown; video_url?: unknown; cost?: unknown; error?: unknown; progress?: unknown } | undefined;
    const actual = usd(g?.cost);
    const next = pollMs(request.body.model).everyMs * cfg.pollScale;
    switch (g?.status) {
      case 'queued':
      case 'pending':
        return { status: 'pending', nextPollMs: next };
      case 'processing':
        return { status: 'running', nextPollMs: next, progress: typeof g.progress === 'number' ? g.progress : undefined };
      case 'completed': {
        if (typeof g.video_url !== 'string' || !g.video_url) throw new ProviderError('unreadable', `ltx said "completed" without a video_url: ${redact(res.text.slice(0, 500), [key])}`);
        return { status: 'succeeded', result: { kind: 'url', url: g.video_url }, actual };
      }
      case 'failed': {
        const e = g.error;
        const obj = e && typeof e === 'object' ? (e as { type?: unknown; code?: unknown; message?: unknown }) : undefined;
        const code = typeof obj?.type === 'string' ? obj.type : typeof obj?.code === 'string' ? obj.code : undefined;
        const message = typeof obj?.message === 'string' ? obj.message : typeof e === 'string' ? e : 'generation failed';
        // The doc says nothing of refunds: the cost the service reports is what was charged.
        return { status: 'failed', code, message: redact(message, [key]), actual };
      }
      default:
        throw new ProviderError('unreadable', `ltx answered in a shape this version cannot read: ${redact(res.text.slice(0, 500), [key])}`);
    }
  };

  /** Takes an MP4 answer as the finished clip: writes it under ctx.tmpDir, task id from x-request-id. */
  const takeMp4 = (res: HttpResponse, ctx: ProviderContext): SubmitResult => {
    const header = res.headers['x-request-id'];
    const requestId = (Array.isArray(header) ? header[0] : header)?.trim();
    const taskId = requestId || `ltx-mp4-${randomUUID()}`;
    if (!requestId) ctx.log('ltx answered with an MP4 but no x-request-id header; using a local id', { taskId });
    if (res.bytes.length === 0) throw new ProviderError('retryable', 'ltx answered with an empty video');
    fs.mkdirSync(ctx.tmpDir, { recursive: true });
    const file = mp4PathFor(ctx, taskId);
    fs.writeFileSync(file, res.bytes);
    return { taskId, immediate: { status: 'succeeded', result: { kind: 'file', path: file } } };
  };

  return {
    id: 'ltx',
    label: 'LTX API (Lightricks)',
    kind: 'remote',
    doc: LTX_DOC,
    capabilities: () => CAPABILITIES,
    /** "Rate Limits": standard tier, 10 concurrent requests and 100 requests per minute. */
    limits: () => ({ concurrency: 10, requestsPerMinute: 100 }),
    availability() {
      if (!form) return { ok: false, reason: `${LTX_FORM_ENV} must be "generations" (the default) or "quickstart"; got "${formSetting}"` };
      return cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage('ltx') };
    },

    /**
     * Checks a row against the doc: mode (text/image/audio-to-video), model (ltx-2-fast,
     * ltx-2-pro; audio-to-video only ltx-2-pro), resolution (1920x1080, 2560x1440, 3840x2160 =
     * 1080p/1440p/2160p at 16:9; audio-to-video only 1920x1080), duration (whole seconds, 6-20 for
     * ltx-2-fast text-to-video at 1080p/25 fps, else 6-10), fps (25, 50), media (image: jpg, jpeg,
     * png, webp, gif up to 20 MB; audio: mp3, wav, ogg, m4a, aac up to 50 MB; a local file or an
     * http(s) URL). Builds the request; local files stay paths until submit.
     */
    validate(shot: Shot): ValidationResult {
      const model = modelFor(shot);
      const resolution = ltxResolution(shot);
      const issues = checkShot(shot, CAPABILITIES, 'ltx').filter((i) => i.column !== 'duration' && i.column !== 'resolution');
      if (!resolution) {
        issues.push({ column: 'resolution', message: `ltx renders 1920x1080, 2560x1440 or 3840x2160 (1080p, 1440p or 2160p/4K at 16:9); got ${shot.resolution.label}${shot.resolution.tier ? ` (${shot.resolution.width}x${shot.resolution.height})` : ''}` });
      }
      const max = ltxMaxDuration(shot.mode, model, resolution ?? '', shot.fps);
      const rule = max === 20 ? 'ltx-2-fast text-to-video at 1920x1080 and 25 fps' : tenSecondReason(shot.mode, model);
      if (shot.duration < 6 || shot.duration > max) {
        issues.push({ column: 'duration', message: `ltx renders 6-${max} s for ${rule}${max === 10 ? ' (6-20 s only with ltx-2-fast text-to-video at 1920x1080 and 25 fps)' : ''}; got ${shot.duration} s` });
      } else if (!Number.isInteger(shot.duration)) {
        issues.push({ column: 'duration', message: `ltx takes whole seconds (6-${max}); got ${shot.duration} s` });
      }
      if (shot.mode === 'audio-to-video') {
        if (shot.model && shot.model !== 'ltx-2-pro' && CAPABILITIES.models.includes(shot.model)) issues.push({ column: 'model', message: `ltx audio-to-video takes only ltx-2-pro; got "${shot.model}"` });
        if (resolution && resolution !== '1920x1080') issues.push({ column: 'resolution', message: `ltx audio-to-video renders only 1920x1080 (1080p); got ${shot.resolution.label}` });
      }
      if (shot.loras.length) issues.push({ column: 'loras', message: `ltx takes no LoRAs; got ${shot.loras.length}` });

      const notes: string[] = [];
      let image: string | FileField | undefined;
      let audio: string | FileField | undefined;
      if (shot.mode === 'image-to-video') {
        if (!shot.image) issues.push({ column: 'image', message: 'ltx image-to-video needs an image: a jpg, jpeg, png, webp or gif file next to the storyboard, or an http(s) URL' });
        else image = mediaField(shot.image, 'image', issues);
      } else if (shot.image && CAPABILITIES.modes.includes(shot.mode)) notes.push(`ltx ${shot.mode} takes no image; the image was not sent`);
      if (shot.mode === 'audio-to-video') {
        if (!shot.audio) issues.push({ column: 'audio', message: 'ltx audio-to-video needs an audio track: an mp3, wav, ogg, m4a or aac file next to the storyboard, or an http(s) URL' });
        else audio = mediaField(shot.audio, 'audio', issues);
      } else if (shot.audio && CAPABILITIES.modes.includes(shot.mode)) notes.push(`ltx ${shot.mode} takes no audio; the audio was not sent`);
      if (shot.video) notes.push('ltx takes no video input; the video was not sent');
      if (issues.length) return { ok: false, issues };

      const route = ROUTES[form ?? 'generations'][shot.mode]!;
      const quick = QUICKSTART_ROUTES.has(route);
      const body: Record<string, unknown> = { prompt: shot.prompt, model, resolution, duration: shot.duration, fps: shot.fps };
      if (shot.seed >= 0) body.seed = shot.seed;
      if (image !== undefined) body[quick ? 'image_uri' : 'image'] = image;
      if (audio !== undefined) body.audio = audio;
      if (!shot.model) notes.push(`model ${model} (the default${shot.mode === 'audio-to-video' ? ' and only model for audio-to-video' : ''})`);
      if (shot.negativePrompt) notes.push('ltx has no negative prompt; it was not sent');
      if (form === 'quickstart' && !quick) notes.push('audio-to-video has no quick-start route; sent to /generations/audio-to-video');
      return { ok: true, request: { route, body, notes } };
    },

    /** The doc's price table as lines (USD per second of video by model and resolution), for `ltx-batch providers`. */
    describePrices: () => [
      ...LTX_MODELS.map((m) => `${m}: ${RESOLUTIONS.map((r) => `$${LTX_USD_PER_SECOND[m][r]}/s at ${LTX_RESOLUTIONS[r]}`).join(', ')}`),
      'total = duration x per-second price; the doc marks prices approximate ("~"); the charge is the cost the service reports',
      'the doc promises no refund for failed generations',
    ],

    /** USD from the doc's per-second table (./prices.ts): duration x price of the model at the resolution. */
    estimate(shot: Shot): CostEstimate {
      const m = modelFor(shot);
      const model = ((LTX_MODELS as readonly string[]).includes(m) ? m : LTX_MODELS[0]) as LtxModelId;
      const resolution = ltxResolution(shot) ?? '1920x1080';
      const amount = ltxUsd(model, resolution, shot.duration);
      return { unit: 'USD', min: amount, max: amount, usdPerUnit: 1, basis: `${shot.duration} s x $${LTX_USD_PER_SECOND[model][resolution]}/s (${model}, ${LTX_RESOLUTIONS[resolution]})` };
    },

    /**
     * Sends the request to its route. Local files go as multipart/form-data parts on the doc's
     * routes and as data URIs (`image_uri`) on the quick-start routes. An MP4 answer is the
     * finished clip (task id = x-request-id); a JSON answer is a generation (task id = `id`).
     * Throws ProviderError: auth (401/403, no key), credits (402), invalid (400/413/422),
     * retryable (429/5xx/network, Retry-After or the doc's waits), unreadable (no id).
     */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      const key = keyOrThrow();
      if (!KNOWN_ROUTES.has(request.route)) throw new ProviderError('invalid', `ltx has no route "${request.route}"`);
      const quick = QUICKSTART_ROUTES.has(request.route);
      const url = `${cfg.baseUrl}${request.route.slice('POST '.length)}`;
      const fields: Record<string, unknown> = {};
      const files: Record<string, FileField> = {};
      for (const [k, v] of Object.entries(request.body)) {
        if (isFileField(v)) files[k] = v;
        else fields[k] = v;
      }
      let res: HttpResponse;
      if (Object.keys(files).length && !quick) {
        const mp = await multipartBody(fields, files);
        res = await send(ctx, { method: 'POST', url, headers: { authorization: `Bearer ${key}` }, form: mp, timeoutMs: LTX_SUBMIT_TIMEOUT_MS, secrets: [key] });
      } else {
        const json = { ...fields };
        for (const [k, f] of Object.entries(files)) json[k] = `data:${f.mime};base64,${(await readLocal(f.file)).toString('base64')}`;
        res = await send(ctx, { method: 'POST', url, headers: { authorization: `Bearer ${key}`, accept: 'application/json, video/mp4' }, json, secrets: [key], timeoutMs: LTX_SUBMIT_TIMEOUT_MS });
      }
      throwForLtxStatus(res, key);
      if (res.contentType.startsWith('video/')) return takeMp4(res, ctx);
      const id = (res.json as { id?: unknown } | undefined)?.id;
      if ((typeof id !== 'string' || !id) && typeof id !== 'number') throw new ProviderError('unreadable', `ltx answered without a generation id: ${redact(res.text.slice(0, 500), [key])}`);
      const state = readGeneration(res, request, key);
      const actual = usd((res.json as { cost?: unknown }).cost);
      if (state.status === 'pending' || state.status === 'running') return { taskId: String(id), firstPollMs: pollMs(request.body.model).firstMs * cfg.pollScale, actual };
      return { taskId: String(id), immediate: state, actual };
    },

    /**
     * Checks the key without generating anything: GET {base}/generations/{id} for an id that does
     * not exist (the doc has no account endpoint). 401/403 -> rejected; 404 or 2xx -> accepted.
     * Throws ProviderError for anything else (429, 5xx, network).
     */
    async checkKey(ctx: ProviderContext) {
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'GET', url: `${cfg.baseUrl}/generations/ltx-batch-key-check-00000000`, headers: { authorization: `Bearer ${key}` }, secrets: [key] });
      if (res.status === 401 || res.status === 403) return { ok: false, message: `key rejected (HTTP ${res.status}): ${redact(serviceError(res).message, [key])}` };
      if (res.status === 404 || (res.status >= 200 && res.status < 300)) return { ok: true, message: 'key accepted (checked by looking up a generation that does not exist; nothing was generated)' };
      throwForLtxStatus(res, key);
      return { ok: true, message: `key accepted (HTTP ${res.status})` };
    },

    /**
     * GET {base}/generations/{id}: "processing" -> running, "completed" -> succeeded with
     * video_url, "failed" -> failed with the service's error type and message; the reported `cost`
     * is the actual cost. A quick-start task has nothing to poll: its MP4 is looked for where
     * submit wrote it (a process that died after storing the task id), else the task is expired.
     */
    async poll(taskId: string, request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      if (QUICKSTART_ROUTES.has(request.route)) {
        const file = mp4PathFor(ctx, taskId);
        if (fs.existsSync(file) && fs.statSync(file).size > 0) return { status: 'succeeded', result: { kind: 'file', path: file } };
        throw new ProviderError('expired', `ltx quick-start request ${taskId} answered with its MP4, which was lost before it was saved; render the shot again`);
      }
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'GET', url: `${cfg.baseUrl}/generations/${encodeURIComponent(taskId)}`, headers: { authorization: `Bearer ${key}` }, secrets: [key] });
      if (res.status === 404) throw new ProviderError('expired', `ltx no longer knows generation ${taskId}: ${redact(serviceError(res).message, [key])}`, { status: 404 });
      throwForLtxStatus(res, key);
      if (res.contentType.startsWith('video/')) {
        const r = takeMp4({ ...res, headers: { ...res.headers, 'x-request-id': taskId } }, ctx);
        return r.immediate!;
      }
      return readGeneration(res, request, key);
    },

    /**
     * Writes the clip to `dest`: a `video_url` is fetched without the key (it is on the CDN; the
     * key would only go to a URL under the API base URL); a file an MP4 answer left is moved.
     * Throws ProviderError expired (403/404/410), retryable (cut off, empty), disk.
     */
    async download(_taskId: string, result: ResultRef, dest: string, ctx: ProviderContext): Promise<void> {
      if (result.kind === 'file') {
        if (!fs.existsSync(result.path)) throw new ProviderError('expired', 'the MP4 ltx answered with is no longer on disk; render the shot again');
        try {
          fs.renameSync(result.path, dest);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
          fs.copyFileSync(result.path, dest);
          fs.rmSync(result.path, { force: true });
        }
        return;
      }
      if (result.kind !== 'url') throw new ProviderError('unreadable', 'ltx result has no video_url');
      const key = cfg.key();
      const underApi = key && result.url.startsWith(`${cfg.baseUrl}/`);
      await downloadTo(ctx, result.url, dest, { headers: underApi ? { authorization: `Bearer ${key}` } : undefined, secrets: [key], errorMessage: (r) => serviceError(r).message });
    },
  };
}
