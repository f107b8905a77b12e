/**
 * ltx-2api.com as a provider (id `ltx2api`). Follows shared/provider-docs/002_b07a798ff8644b97.txt:
 *   POST {base}/api/generate               Bearer key; {prompt, image?, resolution, aspect_ratio, duration, seed}
 *   GET  {base}/api/status?task_id=ID      no key (the doc: "does not require authentication"), so none is sent
 * Answers {code, message, data:{task_id, status, consumed_credits, error_message, response:[url]}};
 * statuses PENDING / IN_PROGRESS / SUCCESS / FAILED; failed tasks are refunded. Polling every 5-10 s
 * as the doc recommends (7 s here).
 */
import type { Capabilities, CostEstimate, PollResult, Provider, ProviderContext, ProviderRequest, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { checkShot, resolutionLabel } from '../check-shot';
import { downloadTo, redact, send, throwForStatus, type HttpResponse } from '../http';
import { missingKeyMessage, remoteConfig, type KeyLookup, type RemoteConfig } from '../remote-config';
import { LTX2API_RESOLUTION_CREDITS, ltx2apiCredits } from './prices';

/** The doc's base URL. */
export const LTX2API_DOC_BASE_URL = 'https://ltx-2api.com';
/** The doc this provider follows. */
export const LTX2API_DOC = 'shared/provider-docs/002_b07a798ff8644b97.txt';
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

/** Reads the service's own message from an error body ({code, message} or {error}). */
function serviceMessage(res: HttpResponse): string {
  const j = res.json as { message?: string; error?: string; data?: { error_message?: string } } | undefined;
  return j?.data?.error_message || j?.message || j?.error || res.text.slice(0, 300);
}

/** Creates the provider. `stored` looks keys up in the keychain. */
export function createLtx2apiProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const cfg: RemoteConfig = remoteConfig('ltx2api', LTX2API_DOC_BASE_URL, env, stored);
  const keyOrThrow = cfg.requireKey;
  const unit = (credits: number): CostEstimate => ({ unit: 'credits', min: credits, max: credits, usdPerUnit: cfg.usdPerCredit, basis: '' });
  return {
    id: 'ltx2api',
    label: 'ltx-2api.com',
    kind: 'remote',
    doc: LTX2API_DOC,
    capabilities: () => CAPABILITIES,
    limits: () => ({ concurrency: 4, requestsPerMinute: 60 }),
    availability: () => (cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage('ltx2api') }),
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
    describePrices: () => [
      `credits = 20 + (duration - 5) x 3.2, plus ${Object.entries(LTX2API_RESOLUTION_CREDITS).map(([r, c]) => `${c} at ${r}`).join(', ')}`,
      'failed tasks are refunded',
      cfg.usdPerCredit ? `USD per credit: ${cfg.usdPerCredit} (LTX2API_USD_PER_CREDIT)` : 'no USD rate in the doc: set LTX2API_USD_PER_CREDIT to budget in USD',
    ],
    estimate(shot: Shot): CostEstimate {
      const res = resolutionLabel(shot, CAPABILITIES) ?? '720p';
      const c = ltx2apiCredits(shot.duration, res);
      return { ...unit(c), basis: `20 + (${shot.duration} - 5) x 3.2 + ${res} = ${c} credits` };
    },
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'POST', url: `${cfg.baseUrl}/api/generate`, headers: { authorization: `Bearer ${key}` }, json: request.body, secrets: [key] });
      throwForStatus(res, serviceMessage(res), [key]);
      const data = (res.json as { code?: number; data?: { task_id?: string; consumed_credits?: number } } | undefined)?.data;
      const code = (res.json as { code?: number } | undefined)?.code;
      if (code !== undefined && code !== 200) throwForStatus({ ...res, status: code }, serviceMessage(res), [key]);
      if (!data?.task_id) throw new ProviderError('unreadable', `ltx2api answered without a task id: ${redact(res.text.slice(0, 500), [key])}`);
      return {
        taskId: data.task_id,
        firstPollMs: LTX2API_POLL_MS * cfg.pollScale,
        actual: typeof data.consumed_credits === 'number' ? { unit: 'credits', amount: data.consumed_credits } : undefined,
      };
    },
    async poll(taskId: string, _request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      // No Authorization header here: the doc's status endpoint needs none, so the key stays home.
      const res = await send(ctx, { method: 'GET', url: `${cfg.baseUrl}/api/status?task_id=${encodeURIComponent(taskId)}` });
      if (res.status === 404) throw new ProviderError('expired', `ltx2api no longer knows task ${taskId}: ${serviceMessage(res)}`);
      throwForStatus(res, serviceMessage(res));
      const data = (res.json as { data?: { status?: string; consumed_credits?: number; error_message?: string | null; response?: string[] } } | undefined)?.data;
      const next = LTX2API_POLL_MS * cfg.pollScale;
      switch (data?.status) {
        case 'PENDING':
          return { status: 'pending', nextPollMs: next };
        case 'IN_PROGRESS':
          return { status: 'running', nextPollMs: next };
        case 'SUCCESS': {
          const url = data.response?.[0];
          if (!url) throw new ProviderError('unreadable', `ltx2api said SUCCESS with no video URL: ${res.text.slice(0, 500)}`);
          return { status: 'succeeded', result: { kind: 'url', url }, actual: typeof data.consumed_credits === 'number' ? { unit: 'credits', amount: data.consumed_credits } : undefined };
        }
        case 'FAILED':
          // The doc: "Credits are refunded."
          return { status: 'failed', message: data.error_message || 'generation failed', actual: { unit: 'credits', amount: 0, refunded: true } };
        default:
          throw new ProviderError('unreadable', `ltx2api answered with a status this version cannot read: ${res.text.slice(0, 500)}`);
      }
    },
    async checkKey(ctx: ProviderContext) {
      // No documented no-cost check: send /api/generate a body without a prompt. The doc answers
      // 401 for a bad key and 400 for a missing prompt, so a 400 proves the key without a task.
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'POST', url: `${cfg.baseUrl}/api/generate`, headers: { authorization: `Bearer ${key}` }, json: { duration: 5 }, secrets: [key] });
      if (res.status === 401 || res.status === 403) return { ok: false, message: `key rejected (HTTP ${res.status}): ${redact(serviceMessage(res), [key])}` };
      if (res.status === 400 || res.status === 422) return { ok: true, message: 'key accepted (checked with an empty request, nothing was generated)' };
      throwForStatus(res, serviceMessage(res), [key]);
      return { ok: true, message: `key accepted (HTTP ${res.status})` };
    },
    async download(_taskId, result, dest, ctx) {
      if (result.kind !== 'url') throw new ProviderError('unreadable', 'ltx2api result has no URL');
      // The video URL is on a CDN: no key is sent there.
      await downloadTo(ctx, result.url, dest, { errorMessage: serviceMessage });
    },
  };
}
