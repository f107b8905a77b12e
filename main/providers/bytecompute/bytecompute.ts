/**
 * Bytecompute (bytecompute.ai) as a provider (id `bytecompute`). Follows
 * shared/provider-docs/001_a37c907d49c89d52.txt. Every call carries `Authorization: Bearer KEY`:
 *   POST {base}/v1/text-to-video          {model:"Lightricks/LTX-2", prompt, duration, resolution:"WxH", fps}
 *   POST {base}/v1/image-to-video         the same plus image_uri (an image URL or a base64 data URI)
 *   POST {base}/v1/jobs/{id}              job status: queued / running / completed / failed
 *   POST {base}/v1/jobs/{id}/download     the MP4 (409 before completion; 404 unknown or expired after 24 h)
 * Errors come as {"type":"error","error":{"type","message"}}; the message is what is shown.
 *
 * The service "never rejects a request due to resolution or duration constraints": it adjusts them
 * and lists the changes in the job's `adjustments` field (null when nothing changed). This provider
 * still refuses rows outside the documented limits (4-10 s, 25/50 fps, up to 1920x1088) in
 * validate(), so that a creator learns at estimate time, naming the column, instead of getting a
 * clip of another length than the storyboard's timeline was cut for. What the service still
 * changes in an accepted request (it may, e.g., round sizes to its GPU's grid) is returned as
 * PollResult.adjustments text, which the queue records in the shot's notes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Capabilities, CostEstimate, FieldIssue, PollResult, Provider, ProviderContext, ProviderRequest, ResultRef, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { checkShot } from '../check-shot';
import { downloadTo, redact, send, throwForStatus, type HttpResponse } from '../http';
import { imageFormat } from '../../media/sniff';
import { missingKeyMessage, remoteConfig, type KeyLookup, type RemoteConfig } from '../remote-config';
import { BYTECOMPUTE_PRICES, bytecomputeUsd } from './prices';

/**
 * Default base URL. The doc gives none (it shows only paths such as /v1/text-to-video); the
 * service lives at bytecompute.ai, so its API host is assumed to be https://api.bytecompute.ai.
 * Set BYTECOMPUTE_BASE_URL to override it.
 */
export const BYTECOMPUTE_DEFAULT_BASE_URL = 'https://api.bytecompute.ai';
/** The doc this provider follows. */
export const BYTECOMPUTE_DOC = 'shared/provider-docs/001_a37c907d49c89d52.txt';
/** The model id the doc says to send ("Use \"Lightricks/LTX-2\""). */
export const BYTECOMPUTE_MODEL = 'Lightricks/LTX-2';
/** Poll interval in ms. The doc names none ("poll ... until status is completed"); 5 s is our choice. */
export const BYTECOMPUTE_POLL_MS = 5_000;
/** The doc's "Constraints" table: duration 4-10 s, 25 or 50 fps, at most 1920 x 1088 pixels. */
export const BYTECOMPUTE_LIMITS = { minSeconds: 4, maxSeconds: 10, fps: [25, 50], maxLong: 1920, maxShort: 1088 } as const;

/** Body key holding a local image path until submit, where it becomes a data URI in `image_uri`. Never sent. */
const IMAGE_FILE_KEY = 'image_file';

const CAPABILITIES: Capabilities = {
  modes: ['text-to-video', 'image-to-video'],
  // Any WIDTHxHEIGHT up to the doc's maximum; the tiers are sent as their pixel sizes (1080p = 1920x1080).
  resolutions: ['480p', '720p', '1080p', 'WIDTHxHEIGHT up to 1920x1088 (1088x1920 portrait)'],
  // The doc says "Length in seconds (4-10)" without requiring whole seconds.
  duration: { min: BYTECOMPUTE_LIMITS.minSeconds, max: BYTECOMPUTE_LIMITS.maxSeconds, integerOnly: false },
  fps: [...BYTECOMPUTE_LIMITS.fps],
  // There is no aspect-ratio parameter: the WIDTHxHEIGHT sent carries it.
  aspectRatios: ['16:9', '9:16'],
  // The doc names no prompt limit; this only guards against pasting a whole document into a cell.
  promptMaxChars: 10_000,
  // "image_uri: Image URL or base64 data URI": local files are sent as data URIs.
  mediaInputs: 'url-or-file',
  models: [BYTECOMPUTE_MODEL],
};

/** The service's error text from {"type":"error","error":{"type","message"}} (or the raw body). */
function serviceError(res: HttpResponse): { type?: string; message: string } {
  const j = res.json as { error?: { type?: unknown; message?: unknown } | string; message?: unknown } | undefined;
  if (j && typeof j.error === 'object' && j.error) {
    const type = typeof j.error.type === 'string' ? j.error.type : undefined;
    const message = typeof j.error.message === 'string' && j.error.message ? j.error.message : type ?? '';
    return { type, message };
  }
  if (j && typeof j.error === 'string') return { message: j.error };
  if (j && typeof j.message === 'string') return { message: j.message };
  return { message: res.text.slice(0, 300) };
}

/** Error types meaning the account cannot pay (the doc has no 402; the service answers 400). */
const NO_BALANCE = /insufficient|balance|credit|quota_exceeded|payment/i;

/** Throws the ProviderError for a non-2xx answer (400 "insufficient balance" -> credits). */
function throwForService(res: HttpResponse, secrets: string[]): void {
  if (res.status >= 200 && res.status < 300) return;
  const e = serviceError(res);
  if (res.status === 400 && e.type && NO_BALANCE.test(e.type)) {
    throw new ProviderError('credits', `insufficient balance (HTTP 400 ${e.type}): ${redact(e.message, secrets)}`, { status: 400, code: e.type });
  }
  throwForStatus(res, e.message, secrets);
}

/**
 * The job's `adjustments` as one line of text, e.g. "duration 12 -> 10 (duration clamped to 4-10
 * seconds)"; undefined when null or empty. The doc does not show the field's shape, so a list of
 * {field, requested, adjusted, reason}, a list of strings, a map or a plain string are all read.
 */
export function formatAdjustments(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() || undefined;
  const one = (item: unknown, name?: string): string => {
    if (typeof item === 'string' || typeof item === 'number') return name ? `${name}: ${item}` : String(item);
    if (item && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      const field = typeof o.field === 'string' ? o.field : (typeof o.parameter === 'string' ? o.parameter : name);
      const from = o.requested ?? o.from ?? o.original;
      const to = o.adjusted ?? o.to ?? o.value;
      if (from !== undefined && to !== undefined) {
        const reason = typeof o.reason === 'string' && o.reason ? ` (${o.reason})` : '';
        return `${field ?? 'value'} ${String(from)} -> ${String(to)}${reason}`;
      }
    }
    return name ? `${name}: ${JSON.stringify(item)}` : JSON.stringify(item);
  };
  const parts = Array.isArray(v) ? v.map((x) => one(x)) : typeof v === 'object' ? Object.entries(v as Record<string, unknown>).map(([k, x]) => one(x, k)) : [String(v)];
  return parts.length ? parts.join('; ') : undefined;
}

/** A job object as the service returns it (only the fields read here). */
interface JobObject {
  id?: unknown;
  status?: unknown;
  adjustments?: unknown;
  cost?: { amount_usd?: unknown } | null;
  error?: { type?: unknown; message?: unknown } | string | null;
}

/** MIME type of an image file for its data URI, from its first bytes (else its extension). */
function imageMime(file: string, bytes: Buffer): string {
  const f = imageFormat(bytes.subarray(0, 16));
  if (f) return `image/${f}`;
  const ext = path.extname(file).slice(1).toLowerCase();
  return ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext ? `image/${ext}` : 'application/octet-stream';
}

/**
 * Creates the Bytecompute provider. Key from BYTECOMPUTE_API_KEY or the key store (`stored`);
 * base URL from BYTECOMPUTE_BASE_URL, else {@link BYTECOMPUTE_DEFAULT_BASE_URL}. Calls throw
 * {@link ProviderError} classified for the queue; keys never appear in messages.
 */
export function createBytecomputeProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const cfg: RemoteConfig = remoteConfig('bytecompute', BYTECOMPUTE_DEFAULT_BASE_URL, env, stored);
  const keyOrThrow = cfg.requireKey;
  const pollMs = () => BYTECOMPUTE_POLL_MS * cfg.pollScale;
  const jobUrl = (id: string) => `${cfg.baseUrl}/v1/jobs/${encodeURIComponent(id)}`;

  /** Reads a job object (submit or status answer) into a PollResult. */
  const readJob = (res: HttpResponse, key: string): { id: string; result: PollResult } => {
    const job = res.json as JobObject | undefined;
    const raw = () => redact(res.text.slice(0, 500), [key]);
    if (!job || typeof job !== 'object' || typeof job.id !== 'string' || !job.id) throw new ProviderError('unreadable', `bytecompute answered without a job id: ${raw()}`);
    switch (job.status) {
      case 'queued':
        return { id: job.id, result: { status: 'pending', nextPollMs: pollMs() } };
      case 'running':
        return { id: job.id, result: { status: 'running', nextPollMs: pollMs() } };
      case 'completed': {
        const amount = job.cost && typeof job.cost === 'object' ? job.cost.amount_usd : undefined;
        return {
          id: job.id,
          result: {
            status: 'succeeded',
            result: { kind: 'task' },
            actual: typeof amount === 'number' && Number.isFinite(amount) ? { unit: 'USD', amount } : undefined,
            adjustments: formatAdjustments(job.adjustments),
          },
        };
      }
      case 'failed': {
        const err = job.error;
        const code = err && typeof err === 'object' && typeof err.type === 'string' ? err.type : undefined;
        const message = typeof err === 'string' ? err : err && typeof err.message === 'string' && err.message ? err.message : 'generation failed';
        // Billed "per second of generated video": a failed job generated none, so it costs nothing
        // (the job's `cost` field still shows the price it would have had, so it is not read here).
        return { id: job.id, result: { status: 'failed', code, message, actual: { unit: 'USD', amount: 0 } } };
      }
      default:
        throw new ProviderError('unreadable', `bytecompute answered with a job status this version cannot read: ${raw()}`);
    }
  };

  return {
    id: 'bytecompute',
    label: 'Bytecompute',
    kind: 'remote',
    doc: BYTECOMPUTE_DOC,
    capabilities: () => CAPABILITIES,
    // "Concurrency: Queued, one per GPU": the service queues what it cannot start, so a few jobs in
    // flight keep it busy without piling up work that could outlive the 24 h job expiry. The doc
    // names no request rate limit.
    limits: () => ({ concurrency: 4, requestsPerMinute: null }),
    availability: () => (cfg.key() ? { ok: true } : { ok: false, reason: missingKeyMessage('bytecompute') }),

    /**
     * Checks a row against the doc's limits (mode, 4-10 s, 25/50 fps, at most 1920x1088 or
     * 1088x1920, model) and builds the request body. A local image stays a path here
     * (`image_file`); submit() turns it into a data URI, so the database never holds the image.
     */
    validate(shot: Shot): ValidationResult {
      // checkShot cannot match free WIDTHxHEIGHT sizes against a list: the size is checked below.
      const issues: FieldIssue[] = checkShot(shot, CAPABILITIES, 'bytecompute').filter((i) => i.column !== 'resolution');
      const { width, height } = shot.resolution;
      const long = Math.max(width, height);
      const short = Math.min(width, height);
      if (long > BYTECOMPUTE_LIMITS.maxLong || short > BYTECOMPUTE_LIMITS.maxShort) {
        issues.push({
          column: 'resolution',
          message: `bytecompute renders up to 1920x1088 (1088x1920 portrait), e.g. 480p, 720p, 1080p or a WIDTHxHEIGHT within that; got ${shot.resolution.label}${shot.resolution.label === `${width}x${height}` ? '' : ` (${width}x${height})`}`,
        });
      }
      if (shot.mode === 'image-to-video' && !shot.image) issues.push({ column: 'image', message: 'bytecompute image-to-video needs an image: a file next to the storyboard or an http(s) URL' });
      if (shot.loras.length) issues.push({ column: 'loras', message: `bytecompute takes no LoRAs; remove the ${shot.loras.length} in this row or pick another provider` });
      if (issues.length) return { ok: false, issues };

      const body: Record<string, unknown> = {
        model: BYTECOMPUTE_MODEL,
        prompt: shot.prompt,
        duration: shot.duration,
        resolution: `${width}x${height}`,
        fps: shot.fps,
      };
      const notes: string[] = [];
      let route = 'POST /v1/text-to-video';
      if (shot.mode === 'image-to-video' && shot.image) {
        route = 'POST /v1/image-to-video';
        if (shot.image.kind === 'url') body.image_uri = shot.image.url;
        else {
          body[IMAGE_FILE_KEY] = shot.image.path;
          notes.push(`bytecompute gets "${shot.image.original}" as a base64 data URI`);
        }
      } else if (shot.image) notes.push('bytecompute text-to-video takes no image; the image column was not sent');
      if (shot.negativePrompt) notes.push('bytecompute has no negative prompt; it was not sent');
      if (shot.seed !== -1) notes.push('bytecompute takes no seed; it was not sent');
      return { ok: true, request: { route, body, notes } };
    },

    /**
     * Cost in USD: seconds x $0.02 (up to 921,600 px) or $0.04 (above), from the doc's price table.
     * The duration is clamped to 4-10 s as the service would.
     */
    estimate(shot: Shot): CostEstimate {
      const { width, height } = shot.resolution;
      const d = Math.min(BYTECOMPUTE_LIMITS.maxSeconds, Math.max(BYTECOMPUTE_LIMITS.minSeconds, shot.duration));
      const { tier, usd } = bytecomputeUsd(width, height, d);
      return { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis: `${d} s x $${tier.usdPerSecond}/s (${tier.tier}, ${width}x${height} = ${(width * height).toLocaleString('en-US')} px)` };
    },

    /**
     * Sends the request to /v1/text-to-video or /v1/image-to-video (a local image is read now and
     * sent as a data URI). Returns the job id; a job that is already finished comes back as
     * `immediate`. Throws ProviderError: auth (401/403), credits (400 insufficient balance, 402),
     * invalid (400 and other 4xx, or an unreadable image file), retryable (429, 5xx, network).
     */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      const key = keyOrThrow();
      const { [IMAGE_FILE_KEY]: file, ...body } = request.body;
      const i2v = typeof file === 'string' || body.image_uri !== undefined;
      if (typeof file === 'string') {
        let bytes: Buffer;
        try {
          bytes = await fs.promises.readFile(file);
        } catch (e) {
          throw new ProviderError('invalid', `the image file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        body.image_uri = `data:${imageMime(file, bytes)};base64,${bytes.toString('base64')}`;
      }
      const url = `${cfg.baseUrl}/v1/${i2v ? 'image-to-video' : 'text-to-video'}`;
      const res = await send(ctx, { method: 'POST', url, headers: { authorization: `Bearer ${key}` }, json: body, secrets: [key] });
      throwForService(res, [key]);
      const { id, result } = readJob(res, key);
      const adj = formatAdjustments((res.json as JobObject).adjustments);
      if (adj) ctx.log('bytecompute adjusted the request', { taskId: id, adjustments: adj });
      return {
        taskId: id,
        immediate: result.status === 'succeeded' || result.status === 'failed' ? result : undefined,
        firstPollMs: pollMs(),
      };
    },

    describePrices: () => [
      ...BYTECOMPUTE_PRICES.map((t) => `${t.tier.toUpperCase()} (${Number.isFinite(t.maxPixels) ? `up to ${t.maxPixels.toLocaleString('en-US')} pixels` : 'above that'}): $${t.usdPerSecond}/s of video`),
      'failed jobs cost nothing (billed per second of generated video)',
    ],

    /**
     * Checks the key without generating anything: asks for the status of a job id that cannot
     * exist. 401/403 = key rejected; 404 = the key was accepted (the job is simply unknown).
     */
    async checkKey(ctx: ProviderContext) {
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'POST', url: jobUrl('ltx-batch-key-check-00000000'), headers: { authorization: `Bearer ${key}` }, secrets: [key] });
      if (res.status === 401 || res.status === 403) return { ok: false, message: `key rejected (HTTP ${res.status}): ${redact(serviceError(res).message, [key])}` };
      if (res.status === 404 || (res.status >= 200 && res.status < 300)) return { ok: true, message: 'key accepted (checked by looking up a job that does not exist; nothing was generated)' };
      throwForService(res, [key]);
      return { ok: true, message: `key accepted (HTTP ${res.status})` };
    },

    /**
     * Reads the job's state (POST /v1/jobs/{id}): queued -> pending, running -> running,
     * completed -> succeeded (cost.amount_usd as the actual cost, `adjustments` as text),
     * failed -> failed with the error's type and message. 404 -> expired (unknown, or older than 24 h).
     */
    async poll(taskId: string, _request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      const key = keyOrThrow();
      const res = await send(ctx, { method: 'POST', url: jobUrl(taskId), headers: { authorization: `Bearer ${key}` }, secrets: [key] });
      if (res.status === 404) throw new ProviderError('expired', `bytecompute no longer knows job ${taskId} (jobs expire after 24 h): ${redact(serviceError(res).message, [key])}`, { status: 404 });
      throwForService(res, [key]);
      return readJob(res, key).result;
    },

    /**
     * Streams the MP4 from POST /v1/jobs/{id}/download (same origin as the API, so the key goes
     * with it). 409 -> not-ready (poll again); 404 -> expired; others as in http.ts.
     */
    async download(taskId: string, result: ResultRef, dest: string, ctx: ProviderContext): Promise<void> {
      if (result.kind !== 'task') throw new ProviderError('unreadable', `bytecompute results are fetched by job id, not from ${result.kind === 'url' ? 'a URL' : 'a file'}`);
      const key = keyOrThrow();
      await downloadTo(ctx, `${jobUrl(taskId)}/download`, dest, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        secrets: [key],
        errorMessage: (r) => serviceError(r).message,
        // 401/403 mean a rejected key here, not an expired result.
        expiredStatuses: [404, 410],
      });
    },
  };
}
