/**
 * API in One (apiin.one) as a provider (id `apiinone`). Follows shared/provider-docs/000_1e6d0a5a9f68c7a8.txt
 * and the public model page https://apiin.one/model/ltx-2 (read 2026-12-02):
 *   POST {base}/videos/generations   Bearer key; {model:"ltx-2", type, prompt, image|audio+audio_duration|
 *                                    video+video_duration+mode+audio_mode, resolution, aspect_ratio, duration, seed}
 *                                    -> {"code":200,"message":"success","data":{"task_id","status":"IN_PROGRESS"}} (published)
 *   GET  {base}/tasks/{task_id}      Bearer key ("poll the real task endpoint for results"); its answer is not
 *                                    published: the same envelope is assumed (./api.ts, sources()).
 * with base https://apiin.one/api/v1. Every answer is parsed with its schema in ./api.ts; one that
 * does not match fails the shot as "unreadable", naming the field and showing the (redacted) answer.
 *
 * Media go only as public URLs (the doc's `image`, `audio`, `video` are "URL" fields). Lipsync and
 * control also need the media's length (`audio_duration`, `video_duration`): it is read from the URL
 * with ffprobe when the shot is sent, not taken from the row. The control mode (pose/depth/canny)
 * and audio_mode (preserve/generate/none) come from storyboard columns `control_mode` / `audio_mode`
 * (kept as the row's metadata) or, failing those, from the notes cell as `control_mode: depth`.
 */
import type { ActualCost, Capabilities, CostEstimate, FieldIssue, PollResult, Provider, ProviderContext, ProviderRequest, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { normaliseHeader } from '../../storyboard/columns';
import { checkShot, resolutionLabel } from '../check-shot';
import type { HttpResponse } from '../http';
import { createClient, type ServiceError } from '../client';
import { missingKeyMessage, remoteConfig, type KeyLookup, type RemoteConfig } from '../remote-config';
import { APIINONE_DOC_USD_PER_CREDIT, APIINONE_FLAT_MODEL_CREDITS, APIINONE_PRICES_SOURCE, apiinoneCredits, describeApiinonePrices } from './prices';
import { APIINONE_STATUS_WORDS, Envelope, ErrorAnswer, Submitted, TaskAnswer, videoUrlOf, type ApiinoneTask } from './api';
import { APIINONE_LENGTH_FIELDS, APIINONE_LENGTH_SLACK_S, mediaSeconds } from './media-length';

/** The doc's base URL ("curl -X POST https://apiin.one/api/v1/videos/generations"). */
export const APIINONE_DOC_BASE_URL = 'https://apiin.one/api/v1';
/** The doc this provider follows. */
export const APIINONE_DOC = 'shared/provider-docs/000_1e6d0a5a9f68c7a8.txt';
/** Poll interval in ms. The doc names none ("Poll task status"); 5 s is used (assumed), scaled by LTX_BATCH_POLL_SCALE. */
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

/** `{code, message}` or a text, as the service wrote it (code as text). */
function codeAndMessage(e: ApiinoneTask['error']): { code?: string; message?: string } {
  if (typeof e === 'string') return { message: e || undefined };
  return { code: e?.code == null ? undefined : String(e.code), message: e?.message || undefined };
}

/** What an error answer says: `{error: {code, message}}` or `{error: "..."}`, `{code, message}` (assumed), else the body's start. */
function serviceError(res: HttpResponse): ServiceError {
  const e = ErrorAnswer.safeParse(res.json);
  const { code, message } = e.success ? codeAndMessage(e.data.error) : {};
  if (message) return { message: code ? `${code}: ${message}` : message, type: code };
  if (e.success && e.data.message) return { message: e.data.message };
  return { message: res.text.slice(0, 300) || `HTTP ${res.status}` };
}

/** The failure code and message of a failed task (`error` as {code, message} or text, or `error_message`). */
function failureOf(t: ApiinoneTask): { code?: string; message?: string } {
  const { code, message } = codeAndMessage(t.error);
  return { code, message: message ?? t.error_message ?? undefined };
}

/** Progress as 0..1 (the service may say 0-100). */
function progressOf(v: number | null | undefined): number | undefined {
  if (v == null || !Number.isFinite(v) || v < 0) return undefined;
  return Math.min(1, v > 1 ? v / 100 : v);
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
  const client = createClient({ id: ID, cfg, errorOf: serviceError });
  const credits = (amount: number | null | undefined): ActualCost | undefined => (amount == null ? undefined : { unit: 'credits', amount });
  const next = () => APIINONE_POLL_MS * cfg.pollScale;

  /** An answer that is HTTP 200 but says `code` 400-599 in its envelope is that error (assumed). */
  const throwForEnvelope = (res: HttpResponse) => {
    const code = Envelope.safeParse(res.json).data?.code;
    if (code !== undefined && code >= 400 && code < 600) client.throwForAnswer({ ...res, status: code });
  };

  /** GET with the key, the envelope checked; 404 (as HTTP status or envelope code) means the task is gone. */
  const getTask = async (ctx: ProviderContext, taskId: string): Promise<HttpResponse> => {
    try {
      const res = await client.call(ctx, { method: 'GET', path: `/tasks/${encodeURIComponent(taskId)}` });
      throwForEnvelope(res);
      return res;
    } catch (e) {
      if (e instanceof ProviderError && e.opts.status === 404) throw new ProviderError('expired', `apiinone no longer knows task ${taskId}: ${e.message}`, { status: 404 });
      throw e;
    }
  };

  /** Lipsync / control: the body with the media's real length in audio_duration / video_duration. */
  const withMediaLength = async (body: Record<string, unknown>, ctx: ProviderContext): Promise<Record<string, unknown>> => {
    const mode = body.type;
    if (mode !== 'lipsync' && mode !== 'control') return body;
    const { media, length } = APIINONE_LENGTH_FIELDS[mode];
    const url = body[media];
    if (typeof url !== 'string') throw new ProviderError('invalid', `apiinone ${mode} needs a ${media} URL`);
    return { ...body, [length]: await mediaSeconds(url, mode, ctx) };
  };

  /** A parsed task as a PollResult. */
  const readTask = (t: ApiinoneTask): PollResult => {
    const actual = credits(t.credits_used ?? t.consumed_credits);
    const state = APIINONE_STATUS_WORDS[t.status];
    if (state === 'pending' || state === 'running') return { status: state, progress: progressOf(t.progress), nextPollMs: next() };
    if (state === 'succeeded') {
      // The schema refuses a finished task without a URL, so there is one.
      return { status: 'succeeded', result: { kind: 'url', url: videoUrlOf(t) ?? '' }, actual };
    }
    // The doc says nothing about refunds: the credits the service reports are kept as charged (assumed).
    const f = failureOf(t);
    return { status: 'failed', code: f.code, message: f.message || `generation ${t.status}`, actual };
  };

  return {
    id: ID,
    label: 'API in One',
    kind: 'remote',
    doc: APIINONE_DOC,
    capabilities: () => CAPABILITIES,
    limits: () => ({ concurrency: 4, requestsPerMinute: null }),
    availability: () => (cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage(ID) }),
    sources: () => ({
      prices: APIINONE_PRICES_SOURCE.source,
      pricesRead: APIINONE_PRICES_SOURCE.read,
      assumed: [
        'the task answer (GET /tasks/{task_id}) is not published: it is read as the submit answer\'s envelope {code, message, data: {task_id, status, ...}}',
        'status words besides the published IN_PROGRESS: PENDING / QUEUED (waiting), COMPLETED / SUCCESS (done), FAILED (failed), upper case (read in any case)',
        'the video URL of a finished task is in data.video_url, data.output, data.response[0] or data.result.url',
        'a failed task says why in data.error ({code, message} or text) or data.error_message',
        'error answers are {code: <HTTP status>, message, data: null}; a code of 400-599 inside an HTTP 200 answer is that error',
        'a task the service answers 404 for is gone (the shot fails as expired)',
        'prices marked (assumed) in the table',
        `audio_duration / video_duration: the media's length read with ffprobe, rounded up to whole seconds (the doc types them "number", 5-20; ${APIINONE_LENGTH_SLACK_S} s of container padding is not counted)`,
        'duration is sent in whole seconds (the doc types it "number", 5-20)',
        `poll interval: ${APIINONE_POLL_MS / 1000} s (the doc names none)`,
        'limits: 4 tasks at once, no request rate (the doc names none)',
        `prompt length: at most ${CAPABILITIES.promptMaxChars} characters (no limit published; the figure of the sibling LTX-2 route docs)`,
        'result URLs need no key: the key goes only to URLs under the base URL',
        'key check: reading a task that cannot exist answers 404 for a good key and 401/403 for a bad one',
      ],
    }),

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
        notes.push(`${ID} lipsync: audio_duration is the audio's length, read from its URL when the shot is sent`);
      }
      if (mode === 'control') {
        body.video = url(shot.video);
        notes.push(`${ID} control: video_duration is the video's length, read from its URL when the shot is sent`);
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

    /** POST {base}/videos/generations with the key (lipsync/control: the media's length read first); the task id from the published answer. */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      client.requireKey();
      const json = await withMediaLength(request.body, ctx);
      const res = await client.call(ctx, { method: 'POST', path: '/videos/generations', json });
      throwForEnvelope(res);
      const submitted = client.parse(Submitted, res, 'POST /videos/generations');
      return { taskId: submitted.data.task_id, firstPollMs: next() };
    },

    describePrices: () => describeApiinonePrices(cfg.usdPerCredit),

    /**
     * Checks the key without generating anything: reads a task id that cannot exist.
     * 401/403 = rejected; 404 = accepted (the task is simply unknown).
     */
    async checkKey(ctx: ProviderContext) {
      client.requireKey();
      try {
        await client.call(ctx, { method: 'GET', path: '/tasks/ltx-batch-key-check-00000000' });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        if (e.kind === 'auth') return { ok: false, message: e.message };
        if (e.opts.status === 404) return { ok: true, message: 'key accepted (checked by reading a task that does not exist; nothing was generated)' };
        throw e;
      }
      return { ok: true, message: 'key accepted' };
    },

    /** GET {base}/tasks/{task_id} with the key; the status word decides; 404 means the task is gone. */
    async poll(taskId: string, _request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      const res = await getTask(ctx, taskId);
      return readTask(client.parse(TaskAnswer, res, 'GET /tasks/{task_id}').data);
    },

    /** Streams the video URL to `dest`; the key goes only to URLs under the API's base URL. */
    async download(_taskId, result, dest, ctx) {
      if (result.kind !== 'url') throw new ProviderError('unreadable', 'apiinone result has no URL');
      await client.download(ctx, result.url, dest, { auth: result.url.startsWith(`${cfg.baseUrl}/`) });
    },
  };
}
