/**
 * ltx-2api.com as a provider (id `ltx2api`). Follows shared/provider-docs/002_b07a798ff8644b97.txt
 * (= https://ltx-2api.com/docs) and its errors page https://ltx-2api.com/ltx-2-api-errors (read 2026-12-02):
 *   POST {base}/api/generate               Bearer key; {prompt, image?, resolution, aspect_ratio, duration, seed}
 *   GET  {base}/api/status?task_id=ID      no key (the doc: "does not require authentication"), so none is sent
 * Answers {code, message, data:{task_id, status, consumed_credits, error_message, response:[url]}};
 * statuses PENDING / IN_PROGRESS / SUCCESS / FAILED; failed tasks are refunded. Errors (the errors
 * page): {error:{code, message, details}, request_id} with codes like INVALID_API_KEY, INVALID_PROMPT.
 * Every answer is parsed with its schema in ./api.ts. Polling every 5-10 s as the doc recommends (7 s here).
 */
import type { ActualCost, Capabilities, CostEstimate, PollResult, Provider, ProviderContext, ProviderRequest, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { checkShot, resolutionLabel } from '../check-shot';
import { redact, retryAfterMs, type HttpResponse } from '../http';
import { createClient, type ServiceError } from '../client';
import { missingKeyMessage, remoteConfig, type KeyLookup, type RemoteConfig } from '../remote-config';
import { LTX2API_PRICES_SOURCE, describeLtx2apiPrices, ltx2apiCredits } from './prices';
import { Envelope, ErrorEnvelope, Submitted, TaskStatus } from './api';

/** The doc's base URL. */
export const LTX2API_DOC_BASE_URL = 'https://ltx-2api.com';
/** The doc this provider follows. */
export const LTX2API_DOC = 'shared/provider-docs/002_b07a798ff8644b97.txt';
/** The errors page the error envelope comes from. */
export const LTX2API_ERRORS_PAGE = 'https://ltx-2api.com/ltx-2-api-errors (read 2026-12-02)';
/** Recommended poll interval: the doc says 5-10 s. */
export const LTX2API_POLL_MS = 7_000;

const CAPABILITIES: Capabilities = {
  modes: ['text-to-video', 'image-to-video'],
  resolutions: ['480p', '720p', '1080p'],
  duration: { min: 5, max: 20, integerOnly: true },
  fps: null,
  aspectRatios: ['16:9', '9:16'],
  promptMaxChars: 2000,
  mediaInputs: 'url-only',
  models: ['ltx-2'],
};

/**
 * Error codes or texts taken to mean "insufficient credits". Assumed: the errors page has no 402
 * and publishes no such code, so any error whose code or message says so pauses the provider.
 */
const INSUFFICIENT_CODE = /INSUFFICIENT[_-]?(CREDITS?|BALANCE|FUNDS?)|NO[_-]?CREDITS|CREDITS?[_-]?(EXHAUSTED|INSUFFICIENT)|PAYMENT[_-]?REQUIRED/i;
const INSUFFICIENT_TEXT = /insufficient[\s_-]*(credit|balance|fund)|not enough (credit|balance)|out of credits|no credits left/i;

/** What an error answer says: the errors page's envelope, else the docs' `{code, message, data}`, else the body's start. */
function serviceError(res: HttpResponse): ServiceError {
  const env = ErrorEnvelope.safeParse(res.json);
  if (env.success) {
    const code = env.data.error.code || undefined;
    const message = env.data.error.message || undefined;
    if (code || message) return { message: code && message ? `${code}: ${message}` : (message ?? code)!, type: code };
  }
  const plain = Envelope.safeParse(res.json);
  const message = plain.success ? plain.data.data?.error_message || plain.data.message : undefined;
  return { message: message || res.text.slice(0, 300) || `HTTP ${res.status}` };
}

/** Creates the provider. `stored` looks keys up in the keychain. */
export function createLtx2apiProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const cfg: RemoteConfig = remoteConfig('ltx2api', LTX2API_DOC_BASE_URL, env, stored);
  const client = createClient({
    id: 'ltx2api',
    cfg,
    errorOf: serviceError,
    classify: (res, err) => {
      if (![400, 402, 403, 422].includes(res.status)) return undefined;
      if (!INSUFFICIENT_CODE.test(err.type ?? '') && !INSUFFICIENT_TEXT.test(err.message)) return undefined;
      return new ProviderError('credits', `insufficient credits (HTTP ${res.status}): ${redact(err.message, [cfg.key()])}`, { status: res.status, code: err.type, retryAfterMs: retryAfterMs(res.headers['retry-after']) });
    },
  });
  const next = () => LTX2API_POLL_MS * cfg.pollScale;
  const credits = (amount: number | null | undefined): ActualCost | undefined => (amount == null ? undefined : { unit: 'credits', amount });

  /** An answer that is HTTP 200 but says another `code` (400-599) in its envelope is that error (assumed). */
  const throwForEnvelope = (res: HttpResponse) => {
    const code = Envelope.safeParse(res.json).data?.code;
    if (code !== undefined && code >= 400 && code < 600) client.throwForAnswer({ ...res, status: code });
  };

  return {
    id: 'ltx2api',
    label: 'ltx-2api.com',
    kind: 'remote',
    doc: LTX2API_DOC,
    capabilities: () => CAPABILITIES,
    limits: () => ({ concurrency: 4, requestsPerMinute: 60 }),
    availability: () => (cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage('ltx2api') }),
    sources: () => ({
      prices: LTX2API_PRICES_SOURCE.source,
      pricesRead: LTX2API_PRICES_SOURCE.read,
      assumed: [
        'insufficient credits: the errors page has no 402 and no insufficient-credits code; an error answer (HTTP 400/402/403/422) whose code or message says insufficient credits, balance or funds pauses the provider',
        'prices marked (assumed) in the table',
        'error answers come in the errors page\'s envelope {error: {code, message, details}, request_id}; a {code, message, data} body (the docs\' success envelope) is read too',
        'a "code" of 400-599 inside an HTTP 200 answer is that error',
        'result URLs (data.response) need no key: they are fetched without it (the doc\'s example is on a CDN)',
        'where the errors page contradicts the docs page (INVALID_DURATION "6-20 s", INVALID_RESOLUTION "1080p, 1440p, 4K") the docs page\'s 5-20 s and 480p/720p/1080p are followed',
        'limits: 4 tasks at once, 60 requests a minute (the docs name none)',
        'key check: /api/generate with no prompt answers 401 for a bad key and 400 for a good one, and creates no task (no free check is documented)',
      ],
    }),
    validate(shot: Shot): ValidationResult {
      const issues = checkShot(shot, CAPABILITIES, 'ltx2api');
      if (shot.mode === 'image-to-video' && !shot.image) issues.push({ column: 'image', message: 'ltx2api image-to-video needs an image URL' });
      if (shot.seed > 2147483647) issues.push({ column: 'seed', message: `ltx2api takes seeds up to 2147483647; got ${shot.seed}` });
      if (issues.length) return { ok: false, issues };
      const body: Record<string, unknown> = {
        prompt: shot.prompt,
        resolution: resolutionLabel(shot, CAPABILITIES),
        duration: shot.duration,
        seed: shot.seed,
      };
      const notes: string[] = [];
      if (shot.mode === 'image-to-video' && shot.image?.kind === 'url') {
        body.image = shot.image.url;
        notes.push('aspect ratio follows the image (ltx2api image-to-video)');
      } else body.aspect_ratio = shot.aspectRatio;
      if (shot.fps !== 25) notes.push(`ltx2api does not take a frame rate; the clip comes at the service's rate, not ${shot.fps} fps`);
      if (shot.negativePrompt) notes.push('ltx2api has no negative prompt; it was not sent');
      return { ok: true, request: { route: 'POST /api/generate', body, notes } };
    },
    describePrices: () => describeLtx2apiPrices(cfg.usdPerCredit),
    estimate(shot: Shot): CostEstimate {
      const res = resolutionLabel(shot, CAPABILITIES) ?? '720p';
      const c = ltx2apiCredits(shot.duration, res);
      return { unit: 'credits', min: c, max: c, usdPerUnit: cfg.usdPerCredit, basis: `20 + (${shot.duration} - 5) x 3.2 + ${res} = ${c} credits` };
    },
    /** POST /api/generate with the key; the task id and the credits consumed from the doc's answer. */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      client.requireKey();
      const res = await client.call(ctx, { method: 'POST', path: '/api/generate', json: request.body });
      throwForEnvelope(res);
      const { data } = client.parse(Submitted, res, 'POST /api/generate');
      return { taskId: data.task_id, firstPollMs: next(), actual: credits(data.consumed_credits) };
    },
    /** GET /api/status without the key (the doc: none needed); 404 means the task is gone. */
    async poll(taskId: string, _request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      let res: HttpResponse;
      try {
        res = await client.call(ctx, { method: 'GET', path: `/api/status?task_id=${encodeURIComponent(taskId)}`, auth: false });
        throwForEnvelope(res);
      } catch (e) {
        if (e instanceof ProviderError && e.opts.status === 404) throw new ProviderError('expired', `ltx2api no longer knows task ${taskId}: ${e.message}`, { status: 404 });
        throw e;
      }
      const { data } = client.parse(TaskStatus, res, 'GET /api/status');
      switch (data.status) {
        case 'PENDING':
          return { status: 'pending', nextPollMs: next() };
        case 'IN_PROGRESS':
          return { status: 'running', nextPollMs: next() };
        case 'SUCCESS':
          return { status: 'succeeded', result: { kind: 'url', url: data.response[0] }, actual: credits(data.consumed_credits) };
        case 'FAILED':
          // The doc: "Credits are refunded."
          return { status: 'failed', message: data.error_message || 'generation failed', actual: { unit: 'credits', amount: 0, refunded: true } };
      }
    },
    async checkKey(ctx: ProviderContext) {
      // No documented no-cost check: send /api/generate a body without a prompt. The doc answers
      // 401 for a bad key and 400 for a missing prompt, so a 400 proves the key without a task.
      client.requireKey();
      try {
        await client.call(ctx, { method: 'POST', path: '/api/generate', json: { duration: 5 } });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        if (e.kind === 'auth') return { ok: false, message: e.message };
        if (e.opts.status === 400 || e.opts.status === 422) return { ok: true, message: 'key accepted (checked with an empty request, nothing was generated)' };
        throw e;
      }
      return { ok: true, message: 'key accepted' };
    },
    async download(_taskId, result, dest, ctx) {
      if (result.kind !== 'url') throw new ProviderError('unreadable', 'ltx2api result has no URL');
      // The video URL is on a CDN: no key is sent there.
      await client.download(ctx, result.url, dest, { auth: false });
    },
  };
}
