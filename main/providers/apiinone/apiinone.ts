/**
 * API in One (apiin.one) as a provider (id `apiinone`). Follows shared/provider-docs/000_1e6d0a5a9f68c7a8.txt:
 *   POST {base}/videos/generations   Bearer key; {model:"ltx-2", type, prompt, image|audio+audio_duration|
 *                                    video+video_duration+mode+audio_mode, resolution, aspect_ratio, duration, seed}
 *   GET  {base}/tasks/{task_id}      Bearer key ("poll the real task endpoint for results")
 * with base https://apiin.one/api/v1. The doc shows no response bodies, so answers are read
 * tolerantly: the task object is the top level or `data`; the id is `task_id` or `id`; the status is
 * one of the common words (pending/queued/processing/in_progress/running, completed/succeeded/
 * success, failed/error/cancelled); the video is `video_url`, `url`, `output[0]`, `result.url`, ...
 * Anything else is a ProviderError("unreadable") carrying the (redacted) answer.
 *
 * Media go only as public URLs (the doc's `image`, `audio`, `video` are "URL" fields). The control
 * mode (pose/depth/canny) and audio_mode (preserve/generate/none) come from storyboard columns
 * `control_mode` / `audio_mode` (kept as the row's metadata) or, failing those, from the notes cell
 * as `control_mode: depth` / `audio_mode: preserve`.
 */
import type {
  ActualCost,
  Capabilities,
  CostEstimate,
  FieldIssue,
  PollResult,
  Provider,
  ProviderContext,
  ProviderRequest,
  SubmitResult,
  ValidationResult,
} from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { normaliseHeader } from '../../storyboard/columns';
import { checkShot, resolutionLabel } from '../check-shot';
import { downloadTo, redact, sameOrigin, send, throwForStatus, type HttpResponse } from '../http';
import { missingKeyMessage, remoteConfig, type KeyLookup, type RemoteConfig } from '../remote-config';
import { APIINONE_DOC_USD_PER_CREDIT, APIINONE_FLAT_MODEL_CREDITS, APIINONE_LTX2_CREDIT_RANGES, apiinoneCredits } from './prices';

/** The doc's base URL ("curl -X POST https://apiin.one/api/v1/videos/generations"). */
export const APIINONE_DOC_BASE_URL = 'https://apiin.one/api/v1';
/** The doc this provider follows. */
export const APIINONE_DOC = 'shared/provider-docs/000_1e6d0a5a9f68c7a8.txt';
/**
 * Poll interval in ms. The doc names none ("Poll task status"); 5 s is used, scaled by
 * LTX_BATCH_POLL_SCALE.
 */
export const APIINONE_POLL_MS = 5_000;
/** The default model ("Use this in the request body model field": ltx-2). */
export const APIINONE_DEFAULT_MODEL = 'ltx-2';
/** Models on the same endpoint ("Models on the same endpoint"); the first is the default. */
export const APIINONE_MODELS = [APIINONE_DEFAULT_MODEL, ...Object.keys(APIINONE_FLAT_MODEL_CREDITS)];
/** Control modes of the `mode` parameter ("Control mode: pose, depth, or canny"). */
export const APIINONE_CONTROL_MODES = ['pose', 'depth', 'canny'] as const;
/** Audio modes of the `audio_mode` parameter ("Audio mode for control: preserve, generate, or none"). */
export const APIINONE_AUDIO_MODES = ['preserve', 'generate', 'none'] as const;

const ID = 'apiinone';
const ROUTE = 'POST /videos/generations';

const CAPABILITIES: Capabilities = {
  modes: ['text-to-video', 'image-to-video', 'lipsync', 'control'],
  resolutions: ['480p', '720p', '1080p'],
  // "duration number: Video duration in seconds (5–20)"; whole seconds (see the report: the doc's
  // "number" is its JSON type, as for seed).
  duration: { min: 5, max: 20, integerOnly: true },
  fps: null,
  aspectRatios: ['16:9', '9:16'],
  // The doc names no prompt limit; 2000 characters, as the sibling LTX-2 route docs.
  promptMaxChars: 2000,
  mediaInputs: 'url-only',
  models: APIINONE_MODELS,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Status words by the state they mean (compared lower-case, with spaces and hyphens as "_"). */
const STATUS_WORDS: Record<string, 'pending' | 'running' | 'succeeded' | 'failed'> = {
  pending: 'pending', queued: 'pending', queue: 'pending', waiting: 'pending', submitted: 'pending', created: 'pending', not_started: 'pending',
  processing: 'running', in_progress: 'running', running: 'running', generating: 'running', started: 'running', starting: 'running',
  completed: 'succeeded', complete: 'succeeded', succeeded: 'succeeded', success: 'succeeded', successful: 'succeeded', done: 'succeeded', finished: 'succeeded',
  failed: 'failed', failure: 'failed', fail: 'failed', error: 'failed', errored: 'failed', cancelled: 'failed', canceled: 'failed', timeout: 'failed', timed_out: 'failed',
};

/** Maps a service status word to a state, or undefined when it is not one this version knows. */
export function apiinoneStatus(word: unknown): 'pending' | 'running' | 'succeeded' | 'failed' | undefined {
  if (typeof word !== 'string') return undefined;
  return STATUS_WORDS[word.trim().toLowerCase().replace(/[\s-]+/g, '_')];
}

/** The objects that may hold the task's fields: `data` (or `task`) first, then the top level. */
function taskObjects(json: unknown): Obj[] {
  if (!isObj(json)) return [];
  const out: Obj[] = [];
  for (const k of ['data', 'task']) if (isObj(json[k])) out.push(json[k] as Obj);
  out.push(json);
  return out;
}

function firstField(objs: Obj[], names: string[]): unknown {
  for (const o of objs) for (const n of names) if (o[n] !== undefined && o[n] !== null && o[n] !== '') return o[n];
  return undefined;
}

function taskIdOf(objs: Obj[]): string | undefined {
  const v = firstField(objs, ['task_id', 'taskId', 'id']);
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : undefined;
}

const isUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\//i.test(v);

/** A URL from a value that is a URL, an object with url/video_url, or a list of those. */
function urlIn(v: unknown, depth = 0): string | undefined {
  if (isUrl(v)) return v;
  if (depth > 2) return undefined;
  if (Array.isArray(v)) {
    for (const x of v) {
      const u = urlIn(x, depth + 1);
      if (u) return u;
    }
    return undefined;
  }
  if (isObj(v)) {
    for (const k of ['video_url', 'videoUrl', 'url', 'uri', 'video', 'output', 'videos']) {
      const u = urlIn(v[k], depth + 1);
      if (u) return u;
    }
  }
  return undefined;
}

function videoUrlOf(objs: Obj[]): string | undefined {
  for (const o of objs) {
    // Not `video`: a task may echo the control input under that name.
    for (const k of ['video_url', 'videoUrl', 'url', 'output', 'outputs', 'result', 'results', 'videos', 'response']) {
      const u = urlIn(o[k]);
      if (u) return u;
    }
  }
  return undefined;
}

function creditsOf(objs: Obj[]): number | undefined {
  const v = firstField(objs, ['credits_used', 'credits_consumed', 'consumed_credits', 'credits_charged', 'credits', 'cost']);
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function progressOf(objs: Obj[]): number | undefined {
  const v = firstField(objs, ['progress']);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  return Math.min(1, v > 1 ? v / 100 : v);
}

/** The failure code and message of a failed task (`error` as text or {code, message}, `error_message`, ...). */
function failureOf(objs: Obj[]): { code?: string; message?: string } {
  for (const o of objs) {
    const e = o.error;
    if (isObj(e)) {
      const code = e.code ?? e.type;
      const message = e.message ?? e.msg;
      if (code !== undefined || message !== undefined) return { code: code === undefined ? undefined : String(code), message: message === undefined ? undefined : String(message) };
    }
    if (typeof e === 'string' && e) return { message: e };
    for (const k of ['error_message', 'errorMessage', 'fail_reason', 'failure_reason', 'reason']) {
      if (typeof o[k] === 'string' && o[k]) return { message: o[k] as string, code: typeof o.error_code === 'string' ? o.error_code : undefined };
    }
  }
  return {};
}

/** The service's own message from an error answer ({code, message}, {error:{message}}, {error}), else the body's start. */
function serviceMessage(res: HttpResponse): string {
  const j = res.json;
  if (isObj(j)) {
    const f = failureOf([j]);
    if (f.message) return f.code ? `${f.code}: ${f.message}` : f.message;
    if (typeof j.message === 'string' && j.message) return j.message;
    if (typeof j.msg === 'string' && j.msg) return j.msg;
    if (typeof j.detail === 'string' && j.detail) return j.detail;
  }
  return res.text.slice(0, 300);
}

/** The answer as text for an "unreadable" error: its start, secrets and Bearer tokens redacted. */
function shown(res: HttpResponse, secrets: (string | undefined)[]): string {
  const body = res.text ? res.text.slice(0, 500) : `<${res.bytes.length} bytes of ${res.contentType || 'unknown type'}>`;
  return redact(`HTTP ${res.status} ${res.contentType || ''}: ${body}`, secrets);
}

/** Throws for an HTTP error status, or for an error `code` (>= 400) inside a 200 JSON envelope. */
function throwForAnswer(res: HttpResponse, secrets: (string | undefined)[]): void {
  throwForStatus(res, serviceMessage(res), secrets);
  const code = isObj(res.json) ? res.json.code : undefined;
  if (typeof code === 'number' && code >= 400 && code < 600) throwForStatus({ ...res, status: code }, serviceMessage(res), secrets);
}

/** A setting from the row: a metadata column (e.g. "Control Mode") first, then "name: value" in the notes. */
function rowSetting(shot: Shot, name: 'control_mode' | 'audio_mode'): { value: string; column: string } | undefined {
  for (const [header, cell] of Object.entries(shot.metadata ?? {})) {
    if (normaliseHeader(header) === name && cell.trim()) return { value: cell.trim().toLowerCase(), column: header };
  }
  const [a, b] = name.split('_');
  const m = new RegExp(`\\b${a}[ _-]?${b}\\s*[:=]\\s*([A-Za-z]+)`, 'i').exec(shot.notes ?? '');
  return m ? { value: m[1].toLowerCase(), column: 'notes' } : undefined;
}

/**
 * Creates the API in One provider. Key: APIINONE_API_KEY, else `stored` (the keychain); base URL:
 * APIINONE_BASE_URL, else the doc's; USD per credit: APIINONE_USD_PER_CREDIT, else the doc's $0.01.
 * Sends nothing until submit().
 */
export function createApiinoneProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const cfg: RemoteConfig = remoteConfig(ID, APIINONE_DOC_BASE_URL, env, stored);
  const usdPerCredit = cfg.usdPerCredit ?? APIINONE_DOC_USD_PER_CREDIT;
  const keyOrThrow = cfg.requireKey;
  const credits = (amount: number | undefined): ActualCost | undefined => (amount === undefined ? undefined : { unit: 'credits', amount });
  const next = () => APIINONE_POLL_MS * cfg.pollScale;

  /** Reads a task answer (submit or poll) into a PollResult; undefined status -> undefined. */
  const readTask = (objs: Obj[], res: HttpResponse, key: string): PollResult | undefined => {
    const state = apiinoneStatus(firstField(objs, ['status', 'state', 'task_status']));
    const actual = credits(creditsOf(objs));
    switch (state) {
      case 'pending':
      case 'running':
        return { status: state, progress: progressOf(objs), nextPollMs: next() };
      case 'succeeded': {
        const url = videoUrlOf(objs);
        if (!url) throw new ProviderError('unreadable', `apiinone said the task is done but gave no video URL this version can find: ${shown(res, [key])}`);
        return { status: 'succeeded', result: { kind: 'url', url }, actual };
      }
      case 'failed': {
        const f = failureOf(objs);
        // The doc says nothing about refunds: the credits the service reports are kept as charged.
        return { status: 'failed', code: f.code, message: f.message || `generation ${String(firstField(objs, ['status', 'state', 'task_status']))}`, actual };
      }
      default:
        return undefined;
    }
  };

  return {
    id: ID,
    label: 'API in One',
    kind: 'remote',
    doc: APIINONE_DOC,
    capabilities: () => CAPABILITIES,
    // The doc names no concurrency or rate limit.
    limits: () => ({ concurrency: 4, requestsPerMinute: null }),
    availability: () => (cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage(ID) }),

    /**
     * Checks the row against the doc's parameters (modes, 480p/720p/1080p, 5-20 s, 16:9|9:16,
     * URL-only media, the media each mode needs, control/audio modes) and builds the body.
     */
    validate(shot: Shot): ValidationResult {
      const issues: FieldIssue[] = checkShot(shot, CAPABILITIES, ID);
      const model = shot.model ?? APIINONE_DEFAULT_MODEL;
      const mode = shot.mode;
      if (model !== APIINONE_DEFAULT_MODEL && (mode === 'lipsync' || mode === 'control')) {
        issues.push({ column: 'mode', message: `${ID} does ${mode} only with model ltx-2; ${model} does text-to-video, image-to-video` });
      }
      if (mode === 'image-to-video' && !shot.image) issues.push({ column: 'image', message: `${ID} image-to-video needs an image: a public http(s) URL` });
      if (mode === 'lipsync' && !shot.audio) issues.push({ column: 'audio', message: `${ID} lipsync needs an audio: a public http(s) URL (5-20 s long)` });
      if (mode === 'control' && !shot.video) issues.push({ column: 'video', message: `${ID} control needs a video to follow: a public http(s) URL (5-20 s long)` });
      if (!Number.isInteger(shot.seed) || shot.seed < -1) issues.push({ column: 'seed', message: `${ID} takes a whole-number seed, -1 for random; got ${shot.seed}` });
      const control = rowSetting(shot, 'control_mode');
      const audioMode = rowSetting(shot, 'audio_mode');
      if (mode === 'control' && control && !(APIINONE_CONTROL_MODES as readonly string[]).includes(control.value)) {
        issues.push({ column: control.column, message: `${ID} control mode is one of ${APIINONE_CONTROL_MODES.join(', ')}; got "${control.value}"` });
      }
      if (mode === 'control' && audioMode && !(APIINONE_AUDIO_MODES as readonly string[]).includes(audioMode.value)) {
        issues.push({ column: audioMode.column, message: `${ID} audio mode is one of ${APIINONE_AUDIO_MODES.join(', ')}; got "${audioMode.value}"` });
      }
      if (issues.length) return { ok: false, issues };

      const notes: string[] = [];
      const body: Record<string, unknown> = {
        model,
        type: mode,
        prompt: shot.prompt,
        resolution: resolutionLabel(shot, CAPABILITIES),
        duration: shot.duration,
        seed: shot.seed,
      };
      const url = (ref: Shot['image']) => (ref?.kind === 'url' ? ref.url : undefined);
      if (mode === 'text-to-video') body.aspect_ratio = shot.aspectRatio;
      else if (shot.aspectRatio !== '16:9') notes.push(`${ID} takes an aspect ratio only for text-to-video; the ${mode} clip follows its input, not ${shot.aspectRatio}`);
      if (mode === 'image-to-video') body.image = url(shot.image);
      if (mode === 'lipsync') {
        body.audio = url(shot.audio);
        body.audio_duration = shot.duration;
        notes.push(`${ID} lipsync: audio_duration sent as the row's duration (${shot.duration} s); it should be the audio's length`);
      }
      if (mode === 'control') {
        body.video = url(shot.video);
        body.video_duration = shot.duration;
        notes.push(`${ID} control: video_duration sent as the row's duration (${shot.duration} s); it should be the video's length`);
        if (control) body.mode = control.value;
        else notes.push(`${ID} control: no control_mode (pose, depth or canny) given; the service's default is used`);
        if (audioMode) body.audio_mode = audioMode.value;
      } else if (audioMode) notes.push(`${ID} takes audio_mode only for control; it was not sent`);
      if (mode !== 'image-to-video' && shot.image) notes.push(`${ID} takes an image only for image-to-video; it was not sent`);
      if (mode !== 'lipsync' && shot.audio) notes.push(`${ID} takes an audio only for lipsync; it was not sent`);
      if (mode !== 'control' && shot.video) notes.push(`${ID} takes a video only for control; it was not sent`);
      if (shot.fps !== 25) notes.push(`${ID} does not take a frame rate; the clip comes at the service's rate, not ${shot.fps} fps`);
      if (shot.negativePrompt) notes.push(`${ID} has no negative prompt; it was not sent`);
      if (shot.loras.length) notes.push(`${ID} takes no LoRAs; they were not sent`);
      return { ok: true, request: { route: ROUTE, body, notes } };
    },

    /**
     * Credits for the shot: the mode's documented range for ltx-2 (min < max; budgets count max),
     * the flat price for the other models; usdPerUnit is the doc's $0.01 or APIINONE_USD_PER_CREDIT.
     */
    estimate(shot: Shot): CostEstimate {
      const model = shot.model ?? APIINONE_DEFAULT_MODEL;
      // validate() refuses modes the doc does not price; the widest range stands in if asked anyway.
      const c = apiinoneCredits(model, CAPABILITIES.modes.includes(shot.mode) ? shot.mode : 'control');
      return { unit: 'credits', min: c.min, max: c.max, usdPerUnit: usdPerCredit, basis: `${c.basis}; $${usdPerCredit}/credit` };
    },

    /** POST {base}/videos/generations with the key; returns the task id (`task_id` or `id`, top level or under `data`). */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'POST', url: `${cfg.baseUrl}/videos/generations`, headers: { authorization: `Bearer ${key}` }, json: request.body, secrets: [key] });
      throwForAnswer(res, [key]);
      const objs = taskObjects(res.json);
      const taskId = taskIdOf(objs);
      if (!taskId) throw new ProviderError('unreadable', `apiinone answered without a task id this version can read: ${shown(res, [key])}`);
      const actual = credits(creditsOf(objs));
      // A status word on submit is only used when it already says done or failed; polling decides otherwise.
      const read = readTask(objs, res, key);
      const immediate = read && (read.status === 'succeeded' || read.status === 'failed') ? read : undefined;
      return { taskId, immediate, firstPollMs: next(), actual };
    },

    describePrices: () => [
      `ltx-2 (the doc gives ranges only; budgets use the top): ${Object.entries(APIINONE_LTX2_CREDIT_RANGES).map(([m, r]) => `${m} ${r.min}-${r.max}`).join(', ')} credits`,
      `other models, per video: ${Object.entries(APIINONE_FLAT_MODEL_CREDITS).map(([m, c]) => `${m} ${c}`).join(', ')} credits`,
      `USD per credit: ${cfg.usdPerCredit ?? APIINONE_DOC_USD_PER_CREDIT}${cfg.usdPerCredit ? ' (APIINONE_USD_PER_CREDIT)' : " (the doc's 20-512 credits = ~$0.20-$5.12)"}`,
    ],
    /**
     * Checks the key without generating anything: reads a task id that cannot exist.
     * 401/403 = rejected; 404 = accepted (the task is simply unknown).
     */
    async checkKey(ctx: ProviderContext) {
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'GET', url: `${cfg.baseUrl}/tasks/ltx-batch-key-check-00000000`, headers: { authorization: `Bearer ${key}` }, secrets: [key] });
      if (res.status === 401 || res.status === 403) return { ok: false, message: `key rejected (HTTP ${res.status}): ${redact(serviceMessage(res), [key])}` };
      if (res.status === 404) return { ok: true, message: 'key accepted (checked by reading a task that does not exist; nothing was generated)' };
      throwForStatus(res, serviceMessage(res), [key]);
      return { ok: true, message: `key accepted (HTTP ${res.status})` };
    },

    /** GET {base}/tasks/{task_id} with the key; maps the status word; 404 means the task is gone. */
    async poll(taskId: string, _request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'GET', url: `${cfg.baseUrl}/tasks/${encodeURIComponent(taskId)}`, headers: { authorization: `Bearer ${key}` }, secrets: [key] });
      if (res.status === 404) throw new ProviderError('expired', redact(`apiinone no longer knows task ${taskId}: ${serviceMessage(res)}`, [key]), { status: 404 });
      throwForAnswer(res, [key]);
      const read = readTask(taskObjects(res.json), res, key);
      if (!read) throw new ProviderError('unreadable', `apiinone answered with a task status this version cannot read: ${shown(res, [key])}`);
      return read;
    },

    /**
     * Streams the video URL to `dest`. The key goes only to URLs under the API's base URL; a result
     * on a CDN (or anywhere else) is fetched without it.
     */
    async download(_taskId, result, dest, ctx) {
      if (result.kind !== 'url') throw new ProviderError('unreadable', 'apiinone result has no URL');
      const underBase = sameOrigin(result.url, cfg.baseUrl) && result.url.startsWith(`${cfg.baseUrl}/`);
      const key = underBase ? cfg.key() : undefined;
      await downloadTo(ctx, result.url, dest, { headers: key ? { authorization: `Bearer ${key}` } : undefined, secrets: [key], errorMessage: serviceMessage });
    },
  };
}
