/**
 * APIXO (api.apixo.ai) as a provider (id `apixo`), model LTX 2 19B. Follows
 * shared/provider-docs/004_778e99b7f865feb7.txt (the same text as
 * https://apixo.ai/docs/models/video/ltx-2-19b, read 2026-12-02) and, for error answers, the
 * envelope of https://apixo.ai/docs/api-reference/error-codes. The key goes as a Bearer token,
 * sent by the client of ../client.ts to the API's origin only; answers are parsed with ./api.ts:
 *   POST {base}/generateTask/ltx-2-19b          JSON {request_type:"async", input:{mode, prompt, ...}}
 *        -> {code:200, message:"success", data:{taskId}}
 *   GET  {base}/statusTask/ltx-2-19b?taskId=ID
 *        -> {code, message, data:{taskId, state, resultJson?, failCode?, failMsg?, createTime, completeTime?, costTime?}}
 * States pending / processing / success / failed; `resultJson` is a JSON *string* holding
 * {resultUrls:[...]}. Result URLs are kept about 15 days. Modes text-to-video and image-to-video;
 * the -LoRA variants are chosen automatically when the row's `loras` column is not empty.
 * Polling as the doc's "Latency and polling" table recommends: first poll 40 / 60 / 90 s after
 * creation (480p / 720p / 1080p), about 10 s later for LoRA modes, then every 5 s. What neither
 * page states (error envelopes other than the 400 example, limits, ...) is listed in sources().
 */
import { z } from 'zod';
import type { Capabilities, CostEstimate, FieldIssue, PollResult, Provider, ProviderContext, ProviderRequest, ResultRef, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { checkShot, resolutionLabel } from '../check-shot';
import { redact, retryAfterMs, type HttpResponse } from '../http';
import { createClient, type ClientCall, type ServiceError } from '../client';
import { missingKeyMessage, remoteConfig, type KeyLookup } from '../remote-config';
import { Envelope, ErrorAnswer, TaskCreated, TaskStatus } from './api';
import { APIXO_PRICES_SOURCE, apixoUnitPrice, apixoUsd, describeApixoPrices } from './prices';

/** The doc's base URL. */
export const APIXO_DOC_BASE_URL = 'https://api.apixo.ai/api/v1';
/** The doc this provider follows. */
export const APIXO_DOC = 'shared/provider-docs/004_778e99b7f865feb7.txt';
/** The model id in the doc's paths ("Capability" table: Model ID). */
export const APIXO_MODEL = 'ltx-2-19b';
/** Recommended first poll after task creation, in ms, by resolution (doc: "Latency and polling"). */
export const APIXO_FIRST_POLL_MS: Record<string, number> = { '480p': 40_000, '720p': 60_000, '1080p': 90_000 };
/** Added to the first poll for LoRA modes, in ms (doc: "Add about 10s to the base first poll"). */
export const APIXO_LORA_FIRST_POLL_EXTRA_MS = 10_000;
/** Poll interval after the first poll, in ms (doc: 5 s for every workload). */
export const APIXO_POLL_MS = 5_000;
/** Most LoRAs per task (doc: "input.loras ... cannot contain more than 3 items"). */
export const APIXO_MAX_LORAS = 3;
/** LoRA scale range, inclusive (doc: "from 0.0 through 4.0"). */
export const APIXO_LORA_SCALE = { min: 0, max: 4 };
/** Largest seed (doc: "-1, or from 1 through 2147483647"). */
export const APIXO_MAX_SEED = 2147483647;
/** Failure codes the doc says to retry (RateLimited: "Retry with exponential backoff"; Timeout: "Retry"). */
export const APIXO_RETRYABLE_FAIL_CODES: readonly string[] = ['RateLimited', 'Timeout'];
/** How long the doc says result URLs are kept. */
export const APIXO_RESULT_TTL_DAYS = 15;

/** APIXO's four modes (doc: "input.mode"). */
export type ApixoMode = 'text-to-video' | 'image-to-video' | 'text-to-video-LoRA' | 'image-to-video-LoRA';

const CAPABILITIES: Capabilities = {
  // The -LoRA variants are not storyboard modes: they are picked from the `loras` column.
  modes: ['text-to-video', 'image-to-video'],
  resolutions: ['480p', '720p', '1080p'],
  duration: { min: 5, max: 20, integerOnly: true },
  // The doc names no frame rate and takes none.
  fps: null,
  aspectRatios: ['16:9', '9:16'],
  promptMaxChars: 5000,
  mediaInputs: 'url-only',
  models: [APIXO_MODEL],
};

/**
 * First poll delay in ms for a task, before `pollScale` (doc "Latency and polling"): 40 s at 480p,
 * 60 s at 720p, 90 s at 1080p, plus 10 s for LoRA modes. An unknown resolution gets the 1080p delay.
 */
export function apixoFirstPollMs(resolution: string, lora: boolean): number {
  return (APIXO_FIRST_POLL_MS[resolution] ?? APIXO_FIRST_POLL_MS['1080p']) + (lora ? APIXO_LORA_FIRST_POLL_EXTRA_MS : 0);
}

/**
 * The service's error text (with the key redacted): the error-codes page's envelope `{code,
 * message: "Invalid request", data: {error: "Missing required field: input.prompt"}}` gives
 * "Invalid request: Missing required field: input.prompt"; a bare `{message}` gives the message;
 * anything else the start of the body.
 */
function serviceError(res: HttpResponse, secrets: (string | undefined)[]): ServiceError {
  const e = ErrorAnswer.safeParse(res.json);
  const title = e.success ? e.data.message : undefined;
  const detail = e.success ? e.data.data?.error : undefined;
  const message = title && detail ? (detail.includes(title) ? detail : `${title}: ${detail}`) : detail || title;
  return { message: redact(message || res.text.slice(0, 300) || `HTTP ${res.status}`, secrets) };
}

/** The part of a stored generateTask body that sets the first poll. */
const StoredInput = z.looseObject({ input: z.looseObject({ resolution: z.string().optional(), mode: z.string().optional() }).optional() });

/** What neither the doc nor a public page states, and this provider relies on. */
const ASSUMED: readonly string[] = [
  'error answers other than a 400 use the envelope of the error-codes page\'s 400 example ({code, message, data: {error}}); a bare {code, message} is read too',
  'an HTTP 200 whose `code` is 400 or more is handled as that status (the response-format page says `code` is the HTTP status code)',
  '4 tasks at once and no request rate limit: the doc says limits "vary by account, API key, and route" and names no numbers',
  'the first of `resultUrls` is the clip (one video per task)',
  'result URLs need no key, and answer 403, 404 or 410 once gone (the doc says only that they are "normally stored for 15 days")',
  'the key check: a status lookup of a task that does not exist answers 404 (or 400) once the key is accepted, and 401/403 before',
  'prices marked (assumed) in the table',
];

/** Issues with the `loras` column against the doc's limits (at most 3; each path non-empty, scale 0-4). */
function loraIssues(shot: Shot): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const format = 'write them as "PATH SCALE; PATH SCALE"';
  if (shot.loras.length > APIXO_MAX_LORAS) {
    issues.push({ column: 'loras', message: `apixo takes at most ${APIXO_MAX_LORAS} LoRAs per shot; got ${shot.loras.length}` });
  }
  shot.loras.forEach((l, i) => {
    if (!l.path || !l.path.trim()) issues.push({ column: 'loras', message: `apixo needs a path (a public download URL) for every LoRA; LoRA ${i + 1} has none (${format})` });
    if (typeof l.scale !== 'number' || !Number.isFinite(l.scale) || l.scale < APIXO_LORA_SCALE.min || l.scale > APIXO_LORA_SCALE.max) {
      issues.push({ column: 'loras', message: `apixo takes LoRA scales from ${APIXO_LORA_SCALE.min} through ${APIXO_LORA_SCALE.max}; LoRA ${i + 1} (${l.path}) has ${l.scale}` });
    }
  });
  return issues;
}

/**
 * Creates the APIXO provider (doc 004: "Endpoint and authentication"). Key: APIXO_API_KEY, then
 * `stored` (the keychain), sent as a Bearer token to the two API routes only; base URL:
 * APIXO_BASE_URL or the doc's. Estimates are in USD. submit/poll/download throw
 * {@link ProviderError}: auth (no key, 401, 403), credits (402), retryable (429, 5xx, network),
 * invalid (400/413/422 with the service's message), expired (unknown task on poll, result URL gone),
 * unreadable (an answer in a shape this version cannot read, shown redacted).
 */
export function createApixoProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const cfg = remoteConfig('apixo', APIXO_DOC_BASE_URL, env, stored);
  const client = createClient({
    id: 'apixo',
    cfg,
    errorOf: (res) => serviceError(res, [cfg.key()]),
    // The doc's "HTTP errors" table: 401 missing or invalid key, 402 balance or quota, 403 key or
    // route cannot access the model; the rest as every provider (../http.ts).
    classify: (res, err) => {
      const opts = { status: res.status, retryAfterMs: retryAfterMs(res.headers['retry-after']) };
      if (res.status === 401) return new ProviderError('auth', `key rejected (HTTP 401, missing or invalid API key): ${err.message}`, opts);
      if (res.status === 403) return new ProviderError('auth', `APIXO: the key or route cannot access the model ${APIXO_MODEL} (HTTP 403): ${err.message}`, opts);
      if (res.status === 402) return new ProviderError('credits', `APIXO: insufficient balance or quota (HTTP 402): ${err.message}`, opts);
      return undefined;
    },
  });

  /** One API call; an HTTP 200 whose `code` is 400 or more is handled as that status. */
  const call = async (ctx: ProviderContext, c: ClientCall): Promise<HttpResponse> => {
    const res = await client.call(ctx, c);
    const env = Envelope.safeParse(res.json);
    if (env.success && env.data.code !== undefined && env.data.code >= 400) client.throwForAnswer({ ...res, status: env.data.code });
    return res;
  };
  const statusPath = (taskId: string) => `/statusTask/${APIXO_MODEL}?taskId=${encodeURIComponent(taskId)}`;

  return {
    id: 'apixo',
    label: 'APIXO',
    kind: 'remote',
    doc: APIXO_DOC,
    capabilities: () => CAPABILITIES,
    // The doc: "Rate limits and concurrency can vary by account, API key, and route" and names no
    // numbers; 4 tasks in flight keeps a batch polite, and 429s are retried with backoff.
    limits: () => ({ concurrency: 4, requestsPerMinute: null }),
    availability: () => (cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage('apixo') }),
    sources: () => ({ prices: APIXO_PRICES_SOURCE.url, pricesRead: APIXO_PRICES_SOURCE.read, assumed: [...ASSUMED] }),

    /** Checks the row against the doc's "Validation notes" and builds the generateTask body. */
    validate(shot: Shot): ValidationResult {
      const issues = checkShot(shot, CAPABILITIES, 'apixo');
      if (!shot.prompt.trim()) issues.push({ column: 'prompt', message: 'apixo needs a prompt of 1-5000 characters; this one is empty' });
      if (shot.mode === 'image-to-video' && !shot.image) {
        issues.push({ column: 'image', message: 'apixo image-to-video needs exactly one image, as a public http(s) URL (JPG, PNG or WebP)' });
      }
      if (!Number.isInteger(shot.seed) || !(shot.seed === -1 || (shot.seed >= 1 && shot.seed <= APIXO_MAX_SEED))) {
        issues.push({ column: 'seed', message: `apixo takes seed -1 (random) or a whole number from 1 through ${APIXO_MAX_SEED}; got ${shot.seed}` });
      }
      issues.push(...loraIssues(shot));
      if (issues.length) return { ok: false, issues };

      const lora = shot.loras.length > 0;
      const imageMode = shot.mode === 'image-to-video';
      const mode: ApixoMode = `${imageMode ? 'image-to-video' : 'text-to-video'}${lora ? '-LoRA' : ''}`;
      const notes: string[] = [];
      const input: Record<string, unknown> = {
        mode,
        prompt: shot.prompt,
        resolution: resolutionLabel(shot, CAPABILITIES),
        duration: shot.duration,
      };
      if (imageMode && shot.image?.kind === 'url') {
        input.image_urls = [shot.image.url];
        if (shot.aspectRatio !== '16:9') notes.push('apixo takes no aspect ratio for image-to-video; the clip follows the service, not the row');
      } else {
        // The doc: aspect_ratio is for text-to-video modes only.
        input.aspect_ratio = shot.aspectRatio;
        if (shot.image) notes.push('the image is not sent: the row is text-to-video');
      }
      input.seed = shot.seed;
      if (lora) {
        input.loras = shot.loras.map((l) => ({ path: l.path, scale: l.scale }));
        for (const l of shot.loras) {
          if (!/^https?:\/\//i.test(l.path)) notes.push(`LoRA "${l.path}" is not an http(s) URL; APIXO must be able to download it (Hugging Face or Civitai download links work)`);
        }
      }
      if (shot.fps !== 25) notes.push(`apixo does not take a frame rate; the clip comes at the service's rate, not ${shot.fps} fps`);
      if (shot.negativePrompt) notes.push('apixo has no negative prompt; it was not sent');
      // Always "async" and polled: "callback" needs a public HTTPS endpoint to receive the result,
      // which a desktop app does not have.
      const body = { request_type: 'async', input };
      return { ok: true, request: { route: `POST /generateTask/${APIXO_MODEL}`, body, notes } };
    },

    describePrices: describeApixoPrices,

    /** USD estimate from the doc's "Billing" table: duration x per-second price (resolution, base or LoRA). */
    estimate(shot: Shot): CostEstimate {
      const label = resolutionLabel(shot, CAPABILITIES);
      const res = label ?? '1080p';
      const lora = shot.loras.length > 0;
      const usd = apixoUsd(shot.duration, res, lora);
      const unit = apixoUnitPrice(res, lora)!;
      const basis = `${shot.duration} s x $${unit}/s (${res}, ${lora ? 'LoRA' : 'base'} mode${label ? '' : '; resolution not rendered by apixo, priced as 1080p'})`;
      return { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis };
    },

    /** POST /generateTask/ltx-2-19b; returns the taskId and the doc's recommended first poll delay. */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      const route = `/generateTask/${APIXO_MODEL}`;
      const res = await call(ctx, { method: 'POST', path: route, json: request.body });
      const { taskId } = client.parse(TaskCreated, res, `POST ${route}`).data;
      const stored = StoredInput.safeParse(request.body);
      const input = stored.success ? stored.data.input : undefined;
      const lora = input?.mode?.endsWith('-LoRA') ?? false;
      return { taskId, firstPollMs: apixoFirstPollMs(input?.resolution ?? '', lora) * cfg.pollScale };
    },

    /** GET /statusTask/ltx-2-19b?taskId=; maps pending/processing/success/failed. 404 -> expired (task unknown). */
    async poll(taskId: string, _request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      const route = statusPath(taskId);
      let res: HttpResponse;
      try {
        res = await call(ctx, { method: 'GET', path: route });
      } catch (e) {
        if (e instanceof ProviderError && e.opts.status === 404) {
          throw new ProviderError('expired', `APIXO does not know task ${taskId} (${e.message}); tasks and results are kept about ${APIXO_RESULT_TTL_DAYS} days`, e.opts);
        }
        throw e;
      }
      const data = client.parse(TaskStatus, res, `GET ${route}`).data;
      const next = APIXO_POLL_MS * cfg.pollScale;
      switch (data.state) {
        case 'pending':
          return { status: 'pending', nextPollMs: next };
        case 'processing':
          return { status: 'running', nextPollMs: next };
        case 'success':
          // The API reports no cost; the doc's billing is what the estimate shows.
          return { status: 'succeeded', result: { kind: 'url', url: data.resultJson.resultUrls[0] } };
        case 'failed': {
          const code = data.failCode || undefined;
          // The doc promises no refund, and reports no charge: no actual cost is recorded.
          return { status: 'failed', code, message: data.failMsg || 'generation failed', retryable: code !== undefined && APIXO_RETRYABLE_FAIL_CODES.includes(code) };
        }
      }
    },

    /**
     * Checks the key without spending: GET /statusTask for a task id that cannot exist. The doc
     * answers 401 (missing or invalid key) or 403 (key or route cannot access the model) before it
     * looks the task up, and 404 (task not found) once the key is accepted.
     */
    async checkKey(ctx: ProviderContext): Promise<{ ok: boolean; message: string }> {
      client.requireKey();
      try {
        await call(ctx, { method: 'GET', path: statusPath('ltx-batch-key-check') });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        if (e.kind === 'auth') return { ok: false, message: e.message };
        if (e.opts.status !== 404 && e.opts.status !== 400) throw e;
      }
      return { ok: true, message: 'key accepted (checked with a status lookup of a task that does not exist; nothing was generated)' };
    },

    /** Streams the result URL to `dest`; no key is sent there (a file host, and the doc asks for none). */
    async download(_taskId: string, result: ResultRef, dest: string, ctx: ProviderContext): Promise<void> {
      if (result.kind !== 'url') throw new ProviderError('unreadable', 'apixo result has no URL');
      try {
        await client.download(ctx, result.url, dest, { auth: false, expiredStatuses: [403, 404, 410] });
      } catch (e) {
        if (e instanceof ProviderError && e.kind === 'expired') {
          throw new ProviderError('expired', `${e.message} (APIXO keeps result URLs about ${APIXO_RESULT_TTL_DAYS} days; render the shot again)`, e.opts);
        }
        throw e;
      }
    },
  };
}
