/**
 * The public LTX API (Lightricks, https://docs.ltx.video, read 2026-12-02) as a provider (id `ltx`).
 *
 *   Async jobs (v2, the default; the docs mark it Beta and recommend it for production):
 *     POST {origin}/v2/{text-to-video|image-to-video|audio-to-video}  -> 202 {id, created_at}
 *     GET  {origin}/v2/{endpoint}/{id}  -> {status: pending|processing|completed|failed,
 *                                           result: {video_url}, error: {type, message}}
 *     A job id exists before any GPU work, so a crash mid-render costs nothing: the restarted
 *     process polls the stored id. Jobs are kept 24 h, then the poll answers 404.
 *   Synchronous (v1), used only when v2 is refused (404/405) or LTX_API_FORM=v1:
 *     POST {origin}/v1/{endpoint} -> the MP4 itself, id in `x-request-id`. The whole render is
 *     inside one request: if it is cut off the service may have rendered (and charged) it, so the
 *     queue flags the job "may have been submitted twice" and says so.
 *
 * Key: `Authorization: Bearer <key>` from LTX_API_KEY or LTXV_API_KEY (the docs' name) or the
 * keychain, sent only to the API's origin (never to `video_url` on a CDN or to upload storage).
 * LTX_BASE_URL is the origin (default https://api.ltx.video; a trailing /v1 or /v2 from an older
 * setting is stripped). Errors: `{type: "error", error: {type, message}}`; 402
 * `insufficient_funds_error` pauses the provider; 429 (`rate_limit_error`,
 * `concurrency_limit_error`) is paced with Retry-After like any 429.
 *
 * Models, sizes and durations: ./models.ts; prices: ./prices.ts; answers: ./api.ts; media: ./media.ts.
 * Seed doc 003's `/v1/generations/...` routes are not in the public API and are not kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Capabilities, CostEstimate, FieldIssue, PollResult, Provider, ProviderContext, ProviderRequest, ResultRef, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Mode, Shot } from '../../storyboard/shot';
import { checkShot } from '../check-shot';
import { isMediaType, readAnswer, retryAfterMs, type HttpResponse } from '../http';
import { createClient, type ServiceError } from '../client';
import { missingKeyMessage, remoteConfig, type KeyLookup } from '../remote-config';
import { normaliseHeader } from '../../storyboard/columns';
import { durationSync } from '../../media/ffprobe';
import { ErrorEnvelope, Job, JobCreated } from './api';
import { LTX_AUDIO_TO_VIDEO, LTX_CAMERA_MOTIONS, LTX_DEFAULT_MODEL, LTX_MODEL_SPECS, ltxDurations, ltxModel, type LtxEndpoint } from './models';
import { LTX_AUDIO_USD_PER_SECOND, LTX_PRICES_SOURCE, describeLtxPrices, ltxRate, usdFor } from './prices';
import { isLocalMedia, mediaField, resolveLocal, type LocalMedia } from './media';
import { LTX_EDIT_MODEL, LTX_EDIT_PRICES, ltxEdit } from './edits';

/** The public API's origin. Override with LTX_BASE_URL. */
export const LTX_PUBLIC_ORIGIN = 'https://api.ltx.video';
/** The docs this provider follows. */
export const LTX_DOC = 'https://docs.ltx.video (async jobs, models, input formats, errors, pricing; read 2026-12-02)';
/** `v2` (default: async jobs, v1 only if v2 is refused) or `v1` (always the synchronous form). */
export const LTX_FORM_ENV = 'LTX_API_FORM';
/** Poll interval of the Async Jobs page ("every 5 seconds"), ms; times LTX_BATCH_POLL_SCALE. */
export const LTX_POLL_MS = 5_000;
/** How long a v1 request may take (it holds the whole render), ms. */
export const LTX_V1_TIMEOUT_MS = 900_000;
/** Jobs in flight per key unless LTX_CONCURRENCY says otherwise (the Rate Limits page's default of 2 concurrent generations). */
export const LTX_DEFAULT_CONCURRENCY = 2;
/** Longest prompt sent (characters). The public docs name no limit: a guard against pasting a whole script into one cell. */
export const LTX_PROMPT_MAX_CHARS = 5000;
/** Task ids of the synchronous form start with this (their MP4 is on disk, nothing to poll). */
const V1_PREFIX = 'v1:';

/** Reads the error envelope (or a bare `{message}`) into the service's type and message. */
function serviceError(res: HttpResponse): ServiceError {
  const env = ErrorEnvelope.safeParse(res.json);
  if (env.success) {
    const { type, message } = env.data.error;
    return { message: type && message ? `${type}: ${message}` : message || type || `HTTP ${res.status}`, type };
  }
  const m = (res.json as { message?: unknown } | undefined)?.message;
  return { message: typeof m === 'string' ? m : res.text.slice(0, 300) || `HTTP ${res.status}` };
}

/** A row setting read from a provider column kept with the shot (`generate_audio`, `camera_motion`). */
function rowSetting(shot: Shot, name: string): { value: string; column: string } | undefined {
  for (const [header, cell] of Object.entries(shot.metadata ?? {})) if (normaliseHeader(header) === name && cell.trim()) return { value: cell.trim(), column: header };
  return undefined;
}

const ENDPOINTS: Partial<Record<Mode, LtxEndpoint>> = { 'text-to-video': 'text-to-video', 'image-to-video': 'image-to-video', 'audio-to-video': 'audio-to-video' };

const CAPABILITIES: Capabilities = {
  modes: ['text-to-video', 'image-to-video', 'audio-to-video'],
  resolutions: [...new Set(LTX_MODEL_SPECS.flatMap((m) => m.sizes))],
  duration: { min: 6, max: 20, integerOnly: true },
  fps: [...new Set(LTX_MODEL_SPECS.flatMap((m) => m.fps))].sort((a, b) => a - b),
  aspectRatios: ['16:9', '9:16'],
  promptMaxChars: LTX_PROMPT_MAX_CHARS,
  mediaInputs: 'url-or-file',
  models: LTX_MODEL_SPECS.map((m) => m.id),
  // The API has no seed field (docs.ltx.video, read 2026-12-02): takes vary by the service.
  seeds: false,
  // image-to-video's last_frame_uri, ltx-2-3 models (models.ts lastFrame).
  endImage: true,
  // POST /v2/retake and /v2/extend (./edits.ts).
  edits: ['retake', 'extend'],
};

/** Endpoints a stored request may name: the generation endpoints and the edits. */
const ROUTES = new Set<string>([...Object.values(ENDPOINTS), 'retake', 'extend']);

/** The model a row renders with: its own, else the default (audio-to-video: ltx-2-3-pro, the model that has it). */
function modelFor(shot: Shot): string {
  if (shot.model) return shot.model;
  return shot.mode === 'audio-to-video' ? 'ltx-2-3-pro' : LTX_DEFAULT_MODEL;
}

/** The length of an audio input in seconds when it can be read here (a local file), else undefined. */
function audioSeconds(shot: Shot): number | undefined {
  return shot.audio?.kind === 'file' ? durationSync(shot.audio.path) : undefined;
}

/** File-name-safe form of a task id. */
function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'task';
}

/**
 * Creates the LTX provider. `env` supplies LTX_API_KEY / LTXV_API_KEY, LTX_BASE_URL,
 * LTX_API_FORM, LTX_CONCURRENCY and LTX_BATCH_POLL_SCALE; `stored` looks the key up in the
 * keychain. Creating it sends nothing.
 */
export function createLtxProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const base = (env.LTX_BASE_URL || LTX_PUBLIC_ORIGIN).replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const cfg = remoteConfig('ltx', LTX_PUBLIC_ORIGIN, { ...env, LTX_BASE_URL: base, LTX_API_KEY: env.LTX_API_KEY?.trim() ? env.LTX_API_KEY : env.LTXV_API_KEY }, stored);
  const formSetting = (env[LTX_FORM_ENV] ?? '').trim().toLowerCase();
  const formOk = formSetting === '' || formSetting === 'v2' || formSetting === 'v1';
  /** Set once the service has refused v2 (404/405): this process then uses v1. */
  let v1Only = formSetting === 'v1';
  const concurrency = Math.max(1, Math.floor(Number(env.LTX_CONCURRENCY) || LTX_DEFAULT_CONCURRENCY));
  const pollMs = () => LTX_POLL_MS * cfg.pollScale;

  const client = createClient({
    id: 'ltx',
    cfg,
    errorOf: serviceError,
    classify: (res, err) => {
      const opts = { status: res.status, code: err.type, retryAfterMs: retryAfterMs(res.headers['retry-after']) };
      if (err.type === 'insufficient_funds_error') return new ProviderError('credits', `insufficient funds (HTTP ${res.status}): ${err.message}`, opts);
      if (err.type === 'content_filtered_error') return new ProviderError('invalid', `HTTP ${res.status}: ${err.message}`, opts);
      return undefined;
    },
  });

  const mp4PathFor = (ctx: ProviderContext, taskId: string) => path.join(ctx.tmpDir, `ltx-${safeId(taskId)}.mp4`);

  /** Replaces local files in the body with data URIs or upload storage URIs. */
  const resolveBody = async (body: Record<string, unknown>, ctx: ProviderContext): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) out[k] = isLocalMedia(v) ? await resolveLocal(v as LocalMedia, client, ctx) : v;
    return out;
  };

  /** The synchronous form: the answer is the MP4, streamed to disk under ctx.tmpDir. */
  const submitV1 = async (endpoint: string, json: Record<string, unknown>, ctx: ProviderContext): Promise<SubmitResult> => {
    const res = await client.open(ctx, { method: 'POST', path: `/v1/${endpoint}`, json, headers: { accept: 'video/mp4, application/json' }, timeoutMs: LTX_V1_TIMEOUT_MS });
    if (res.status < 200 || res.status >= 300 || !isMediaType(res.headers['content-type'] ?? '')) {
      const r = await readAnswer(res, `calling ${new URL(res.url).host}`, client.secrets());
      client.throwForAnswer(r);
      throw new ProviderError('unreadable', `ltx answered /v1/${endpoint} with ${r.contentType || 'no content type'} instead of a video: ${r.text.slice(0, 300)}`);
    }
    const requestId = res.headers['x-request-id']?.trim();
    const taskId = `${V1_PREFIX}${requestId || randomUUID()}`;
    if (!requestId) ctx.log('ltx answered with an MP4 but no x-request-id header; using a local id', { taskId });
    fs.mkdirSync(ctx.tmpDir, { recursive: true });
    const file = mp4PathFor(ctx, taskId);
    await client.save(ctx, res, file);
    return { taskId, immediate: { status: 'succeeded', result: { kind: 'file', path: file } } };
  };

  const provider: Provider = {
    id: 'ltx',
    label: 'LTX API (Lightricks)',
    kind: 'remote',
    doc: LTX_DOC,
    capabilities: () => CAPABILITIES,
    limits: () => ({ concurrency, requestsPerMinute: 100 }),
    availability() {
      if (!formOk) return { ok: false, reason: `${LTX_FORM_ENV} must be "v2" (the default) or "v1"; got "${formSetting}"` };
      return cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage('ltx') };
    },
    sources: () => ({
      prices: LTX_PRICES_SOURCE.url,
      pricesRead: LTX_PRICES_SOURCE.read,
      assumed: [
        ...LTX_MODEL_SPECS.flatMap((m) => m.assumed.map((a) => `${m.id}: ${a}`)),
        'prices marked (assumed) in the table',
        'requests per minute: 100 (the public pages publish no number; the figure of the first LTX doc)',
        `prompt length: at most ${LTX_PROMPT_MAX_CHARS} characters (no limit published)`,
        'the charge is the estimate: job answers carry no cost',
        `retake: $${LTX_EDIT_PRICES.retakeUsdPerSecond}/s and extend: ${LTX_EDIT_MODEL}'s rate, ${LTX_EDIT_PRICES.basis}`,
      ],
    }),

    /**
     * Checks a row against ./models.ts and the Input Formats page and builds its request:
     * endpoint by mode, model (the row's, else ltx-2-3-fast; audio-to-video ltx-2-3-pro), size
     * WIDTHxHEIGHT (portrait for 9:16), fps, whole-second durations the model allows at that size
     * and rate, `generate_audio` and `camera_motion` columns, media as HTTPS URLs or local files.
     */
    validate(shot: Shot): ValidationResult {
      const issues: FieldIssue[] = checkShot(shot, CAPABILITIES, 'ltx').filter((i) => !['duration', 'resolution', 'fps', 'model'].includes(i.column));
      const notes: string[] = [];
      const endpoint = ENDPOINTS[shot.mode];
      const modelId = modelFor(shot);
      const model = ltxModel(modelId);
      const size = `${shot.resolution.width}x${shot.resolution.height}`;
      if (!model) issues.push({ column: 'model', message: `ltx has models ${CAPABILITIES.models.join(', ')}; got "${modelId}"` });
      else if (endpoint && !model.endpoints.includes(endpoint)) {
        issues.push({ column: 'model', message: `ltx ${endpoint} takes ${LTX_MODEL_SPECS.filter((m) => m.endpoints.includes(endpoint)).map((m) => m.id).join(' or ')}; got "${modelId}"` });
      }
      if (model?.successor) notes.push(`LTX announced ${model.id} as deprecated (2026-07-15) and removed (2026-08-15); if the service refuses it, use ${model.successor}`);
      if (!shot.model) notes.push(`model ${modelId} (the default${shot.mode === 'audio-to-video' ? ' for audio-to-video' : ''})`);

      const body: Record<string, unknown> = { prompt: shot.prompt, model: modelId };
      if (model && endpoint === 'audio-to-video') {
        if (!(LTX_AUDIO_TO_VIDEO.sizes as readonly string[]).includes(size)) issues.push({ column: 'resolution', message: `ltx audio-to-video renders ${LTX_AUDIO_TO_VIDEO.sizes.join(' or ')} (1080p at 16:9 or 9:16); got ${shot.resolution.label} (${size})` });
        body.resolution = size;
        notes.push(`audio-to-video: the clip is as long as the audio (${LTX_AUDIO_TO_VIDEO.minAudioS}-${LTX_AUDIO_TO_VIDEO.maxAudioS} s) at ${LTX_AUDIO_TO_VIDEO.fps} fps; the duration and fps cells are not sent`);
        const secs = audioSeconds(shot);
        if (secs !== undefined && (secs < LTX_AUDIO_TO_VIDEO.minAudioS || secs > LTX_AUDIO_TO_VIDEO.maxAudioS)) issues.push({ column: 'audio', message: `ltx audio-to-video takes audio of ${LTX_AUDIO_TO_VIDEO.minAudioS}-${LTX_AUDIO_TO_VIDEO.maxAudioS} s; this one is ${secs.toFixed(1)} s` });
      } else if (model && endpoint) {
        if (!model.sizes.includes(size)) issues.push({ column: 'resolution', message: `ltx ${model.id} renders ${model.sizes.join(', ')}; got ${shot.resolution.label} (${size})` });
        if (!model.fps.includes(shot.fps)) issues.push({ column: 'fps', message: `ltx ${model.id} renders at ${model.fps.join(', ')} fps; got ${shot.fps}` });
        const allowed = ltxDurations(model, size, shot.fps);
        if (!Number.isInteger(shot.duration) || !allowed.includes(shot.duration)) {
          const long = model.long ? ` (${model.long.durations[0]}-${model.long.durations.at(-1)} s in even seconds only at ${model.long.sizes.join(' or ')} and ${model.long.fps.join(' or ')} fps)` : '';
          issues.push({ column: 'duration', message: `ltx ${model.id} renders ${allowed.join(', ')} s at ${size} and ${shot.fps} fps${allowed.length === model.durations.length ? long : ''}; got ${shot.duration} s` });
        }
        Object.assign(body, { duration: shot.duration, resolution: size, fps: shot.fps });
        const audio = rowSetting(shot, 'generate_audio');
        if (audio) {
          const v = audio.value.toLowerCase();
          if (['true', 'yes', '1', 'on'].includes(v)) body.generate_audio = true;
          else if (['false', 'no', '0', 'off'].includes(v)) body.generate_audio = false;
          else issues.push({ column: audio.column, message: `generate_audio is true or false; got "${audio.value}"` });
        }
        const motion = rowSetting(shot, 'camera_motion');
        if (motion) {
          const v = motion.value.toLowerCase().replace(/[\s-]+/g, '_');
          if ((LTX_CAMERA_MOTIONS as readonly string[]).includes(v)) body.camera_motion = v;
          else issues.push({ column: motion.column, message: `ltx camera_motion is one of ${LTX_CAMERA_MOTIONS.join(', ')}; got "${motion.value}"` });
        }
      }
      if (shot.mode === 'image-to-video' || (shot.mode === 'audio-to-video' && shot.image)) {
        if (!shot.image) issues.push({ column: 'image', message: 'ltx image-to-video needs an image: a PNG, JPEG or WEBP file next to the storyboard, or an https:// URL' });
        else {
          const v = mediaField(shot.image, 'image', 'image', issues);
          if (v !== undefined) body.image_uri = v;
        }
      } else if (shot.image && endpoint) notes.push(`ltx ${shot.mode} takes no image; the image was not sent`);
      if (shot.endImage) {
        // The last frame: image-to-video's last_frame_uri, ltx-2-3 models only.
        if (shot.mode !== 'image-to-video') issues.push({ column: 'end_image', message: `ltx takes an end image in image-to-video only (with a start image); this row is ${shot.mode}` });
        else if (model && !model.lastFrame) issues.push({ column: 'end_image', message: `ltx takes an end image with ${LTX_MODEL_SPECS.filter((m) => m.lastFrame).map((m) => m.id).join(' or ')} only; got "${model.id}"` });
        else {
          const v = mediaField(shot.endImage, 'image', 'end_image', issues);
          if (v !== undefined) body.last_frame_uri = v;
        }
      }
      if (shot.mode === 'audio-to-video') {
        if (!shot.audio) issues.push({ column: 'audio', message: 'ltx audio-to-video needs an audio track: a WAV, MP3, M4A or OGG file next to the storyboard, or an https:// URL' });
        else {
          const v = mediaField(shot.audio, 'audio', 'audio', issues);
          if (v !== undefined) body.audio_uri = v;
        }
      } else if (shot.audio && endpoint) notes.push(`ltx ${shot.mode} takes no audio; the audio was not sent`);
      if (shot.video) notes.push('ltx takes no video input here; the video was not sent');
      if (shot.loras.length) issues.push({ column: 'loras', message: `ltx takes no LoRAs; got ${shot.loras.length}` });
      if (shot.negativePrompt) notes.push('ltx has no negative prompt; it was not sent');
      if (shot.seed >= 0) notes.push('ltx takes no seed; the seed was not sent');
      if (issues.length) return { ok: false, issues };
      return { ok: true, request: { route: endpoint!, body, notes } };
    },

    describePrices: describeLtxPrices,

    /** Retake or extend a finished take (./edits.ts). */
    edit: ltxEdit,

    /**
     * USD from ./prices.ts: seconds x the model's rate at the size's short side; audio-to-video:
     * seconds of the audio x $0.10 (2-20 s when the length cannot be read here, e.g. a URL).
     */
    estimate(shot: Shot): CostEstimate {
      const modelId = modelFor(shot);
      if (shot.mode === 'audio-to-video') {
        const secs = audioSeconds(shot);
        if (secs !== undefined) {
          const a = usdFor(Math.ceil(secs), LTX_AUDIO_USD_PER_SECOND);
          return { unit: 'USD', min: a, max: a, usdPerUnit: 1, basis: `${Math.ceil(secs)} s of audio x $${LTX_AUDIO_USD_PER_SECOND}/s (audio-to-video)` };
        }
        return { unit: 'USD', min: usdFor(LTX_AUDIO_TO_VIDEO.minAudioS, LTX_AUDIO_USD_PER_SECOND), max: usdFor(LTX_AUDIO_TO_VIDEO.maxAudioS, LTX_AUDIO_USD_PER_SECOND), usdPerUnit: 1, basis: `2-20 s of audio x $${LTX_AUDIO_USD_PER_SECOND}/s (audio-to-video; the audio's length is read when it is sent)` };
      }
      const side = Math.min(shot.resolution.width, shot.resolution.height);
      const rate = ltxRate(ltxModel(modelId) ? modelId : LTX_DEFAULT_MODEL, side) ?? ltxRate(LTX_DEFAULT_MODEL, 1080)!;
      const amount = usdFor(shot.duration, rate);
      return { unit: 'USD', min: amount, max: amount, usdPerUnit: 1, basis: `${shot.duration} s x $${rate}/s (${modelId}, ${side}p)` };
    },

    /**
     * Sends the request: v2 (202 + job id) unless this process found v2 refused, then v1 (the MP4
     * answer is the result). Local media become data URIs or uploads first. Throws ProviderError:
     * auth, credits (402 insufficient_funds_error), invalid (400/422), retryable (429/5xx/network,
     * Retry-After honoured), unreadable (an answer not in the documented shape).
     */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      client.requireKey();
      const endpoint = request.route;
      if (!ROUTES.has(endpoint)) throw new ProviderError('invalid', `ltx has no endpoint "${endpoint}"`);
      const json = await resolveBody(request.body, ctx);
      if (!v1Only) {
        const res = await client.open(ctx, { method: 'POST', path: `/v2/${endpoint}`, json });
          const r = await readAnswer(res, `calling ${new URL(res.url).host}`, client.secrets());
        if (r.status === 404 || r.status === 405) {
          v1Only = true;
          ctx.log(`ltx refused /v2/${endpoint} (HTTP ${r.status}); using the synchronous /v1 form from now on`);
        } else {
          client.throwForAnswer(r);
          const created = client.parse(JobCreated, r, `POST /v2/${endpoint}`);
          return { taskId: created.id, firstPollMs: pollMs() };
        }
      }
      return submitV1(endpoint, json, ctx);
    },

    /**
     * GET /v2/{endpoint}/{id}: pending / processing -> wait 5 s; completed -> the video_url;
     * failed -> the service's error type and message. 404 = the job is gone (kept 24 h) ->
     * "expired". A v1 task has nothing to poll: its MP4 is where submit saved it, or it is lost.
     */
    async poll(taskId: string, request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      if (taskId.startsWith(V1_PREFIX)) {
        const file = mp4PathFor(ctx, taskId);
        if (fs.existsSync(file) && fs.statSync(file).size > 0) return { status: 'succeeded', result: { kind: 'file', path: file } };
        throw new ProviderError('expired', `ltx answered request ${taskId.slice(V1_PREFIX.length)} with its MP4, which was lost before it was saved; render the shot again`);
      }
      const path404 = `/v2/${request.route}/${encodeURIComponent(taskId)}`;
      let res: HttpResponse;
      try {
        res = await client.call(ctx, { method: 'GET', path: path404 });
      } catch (e) {
        if (e instanceof ProviderError && e.opts.status === 404) throw new ProviderError('expired', `ltx no longer knows job ${taskId} (jobs are kept 24 h): ${e.message}`, { status: 404 });
        throw e;
      }
      const job = client.parse(Job, res, `GET ${path404}`);
      switch (job.status) {
        case 'pending':
          return { status: 'pending', nextPollMs: pollMs() };
        case 'processing':
          return { status: 'running', nextPollMs: pollMs(), progress: job.progress };
        case 'completed': {
          // The service's own time from creation to completion (both its clock): how long a job takes.
          const serviceMs = Date.parse(job.completed_at ?? '') - Date.parse(job.created_at ?? '');
          return { status: 'succeeded', result: { kind: 'url', url: job.result.video_url }, ...(Number.isFinite(serviceMs) && serviceMs >= 0 ? { serviceMs } : {}) };
        }
        case 'failed':
          // Not retried by itself: the docs do not say a failed job is free, and a creator must never pay twice unasked.
          return { status: 'failed', code: job.error?.type, message: job.error?.message ?? 'the job failed' };
      }
    },

    /**
     * Writes the clip to `dest`: a `video_url` is fetched (the key only if it is on the API's
     * origin); the MP4 a v1 answer left under tmpDir is moved. Throws ProviderError expired
     * (403/404/410), retryable (cut off, empty), disk.
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
      // A result URL is signed and public (a CDN): the key never goes there, even on the same origin.
      await client.download(ctx, result.url, dest, { auth: false });
    },

    /**
     * Checks the key without generating anything: GET /v2/text-to-video/{an id that does not
     * exist}. 401/403 -> rejected; 404 in the API's error envelope -> accepted. A 404 without the
     * envelope is a missing route (LTX_BASE_URL is not the LTX API), not an accepted key: it
     * throws ProviderError("setup"), as does any other answer that is not the API's.
     */
    async checkKey(ctx: ProviderContext) {
      client.requireKey();
      const probe = `/v2/text-to-video/ltx-batch-key-check-${randomUUID()}`;
      let res: HttpResponse;
      try {
        res = await client.call(ctx, { method: 'GET', path: probe });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        if (e.kind === 'auth') return { ok: false, message: e.message };
        if (e.opts.status === 404) {
          if (e.opts.code) return { ok: true, message: 'key accepted (checked by looking up a job that does not exist; nothing was generated)' };
          throw new ProviderError('setup', `${cfg.baseUrl} answered ${probe} with a 404 that is not the LTX API's error envelope: is LTX_BASE_URL the API's origin (https://api.ltx.video)?`, { status: 404 });
        }
        throw e;
      }
      throw new ProviderError('setup', `${cfg.baseUrl} answered a lookup of a job that cannot exist with HTTP ${res.status}: is LTX_BASE_URL the LTX API?`, { status: res.status });
    },
  };
  return provider;
}
