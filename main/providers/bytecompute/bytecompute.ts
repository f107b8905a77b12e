/**
 * Bytecompute (bytecompute.ai) as a provider (id `bytecompute`). Follows
 * shared/provider-docs/001_a37c907d49c89d52.txt (the same text as
 * https://bytecompute.ai/model/bytecompute/lightricks-ltx-2, read 2026-12-02). Every call carries
 * `Authorization: Bearer KEY` (sent by the client of ../client.ts, to the API's origin only):
 *   POST {base}/v1/text-to-video          {model:"Lightricks/LTX-2", prompt, duration, resolution:"WxH", fps}
 *   POST {base}/v1/image-to-video         the same plus image_uri (an image URL or a base64 data URI)
 *   POST {base}/v1/jobs/{id}              job status (the doc: "until status is completed")
 *   POST {base}/v1/jobs/{id}/download     the MP4 (409 before completion; 404 unknown or expired after 24 h)
 * Errors come as {"type":"error","error":{"type","message"}}; the message is what is shown. The
 * answers' schemas are in ./api.ts; what the doc does not say (the base URL, the status words
 * other than "completed", the 400 that means "insufficient balance", ...) is listed in sources().
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
import { z } from 'zod';
import type { Capabilities, CostEstimate, FieldIssue, PollResult, Provider, ProviderContext, ProviderRequest, ResultRef, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { checkShot } from '../check-shot';
import { readAnswer, redact, retryAfterMs, type HttpResponse } from '../http';
import { createClient, type ServiceError } from '../client';
import { imageFormat } from '../../media/sniff';
import { missingKeyMessage, remoteConfig, type KeyLookup } from '../remote-config';
import { Adjustment, ErrorEnvelope, Job, JobCreated, type BytecomputeJob } from './api';
import { BYTECOMPUTE_PRICES_SOURCE, bytecomputeUsd, describeBytecomputePrices } from './prices';

/**
 * Default base URL. The doc gives none (it shows only paths such as /v1/text-to-video) and no
 * public page names one; the service lives at bytecompute.ai, so its API host is assumed to be
 * https://api.bytecompute.ai. Set BYTECOMPUTE_BASE_URL to override it.
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
/** Longest prompt sent (characters). The doc names no limit: a guard against pasting a whole document into a cell. */
export const BYTECOMPUTE_PROMPT_MAX_CHARS = 10_000;
/** How long the MP4 answer of the download route may take, ms (it streams to disk). */
const DOWNLOAD_TIMEOUT_MS = 300_000;

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
  promptMaxChars: BYTECOMPUTE_PROMPT_MAX_CHARS,
  // "image_uri: Image URL or base64 data URI": local files are sent as data URIs.
  mediaInputs: 'url-or-file',
  models: [BYTECOMPUTE_MODEL],
  // The doc names no seed field: takes vary by the service.
  seeds: false,
};

/**
 * Error types taken to mean that the account cannot pay. The doc has no 402 and no public page
 * says how the service reports an empty balance: a 400 whose error type names it is assumed.
 */
const NO_BALANCE = /insufficient|balance|credit|quota_exceeded|payment/i;

/** What neither the doc nor a public page states, and this provider relies on. */
const ASSUMED: readonly string[] = [
  `base URL ${BYTECOMPUTE_DEFAULT_BASE_URL}: the doc shows only paths and no public page names a host (set BYTECOMPUTE_BASE_URL)`,
  'status words queued, running and failed (the doc names only "completed")',
  'an empty balance is a 400 whose error type names it (insufficient..., balance, credit, quota_exceeded, payment): the doc has no 402 and no public page describes it',
  'the submit answer is the job itself ({id, status, adjustments}); the job id is its `id` field',
  "a failed job's reason is its `error` ({type, message}, like the error envelope, or a string)",
  "a completed job's charge is its `cost.amount_usd`; without it the estimate stands",
  'an adjustment reads {field|parameter, requested, adjusted|applied, reason}; other shapes are shown as JSON',
  `poll every ${BYTECOMPUTE_POLL_MS / 1000} s (the doc names no interval)`,
  '4 jobs at once (the doc says "Queued, one per GPU" and names no number); no request rate limit',
  `prompt length: at most ${BYTECOMPUTE_PROMPT_MAX_CHARS} characters (no limit published)`,
  '403 means a rejected key like 401, also on the download route, and 429 and 502-504 mean "try again later": the doc lists only 400, 401, 404, 409 and 500',
  'prices marked (assumed) in the table',
];

/**
 * The job's `adjustments` as one line of text, e.g. "duration 12 -> 10 (duration clamped to 4-10
 * seconds)"; undefined when null or empty. The doc does not show the field's shape, so a list of
 * {field, requested, adjusted, reason} (or the other names of ./api.ts's Adjustment), a list of
 * strings, a map or a plain string are all read; anything else is shown as JSON.
 */
export function formatAdjustments(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() || undefined;
  const one = (item: unknown, name?: string): string => {
    if (typeof item === 'string' || typeof item === 'number') return name ? `${name}: ${item}` : String(item);
    const a = Adjustment.safeParse(item);
    if (a.success) {
      const field = a.data.field ?? a.data.parameter ?? name;
      const from = a.data.requested ?? a.data.from ?? a.data.original;
      const to = a.data.adjusted ?? a.data.applied ?? a.data.to ?? a.data.value;
      if (from !== undefined && to !== undefined) return `${field ?? 'value'} ${String(from)} -> ${String(to)}${a.data.reason ? ` (${a.data.reason})` : ''}`;
    }
    return name ? `${name}: ${JSON.stringify(item)}` : JSON.stringify(item);
  };
  const map = z.record(z.string(), z.unknown()).safeParse(v);
  const parts = Array.isArray(v) ? v.map((x) => one(x)) : map.success ? Object.entries(map.data).map(([k, x]) => one(x, k)) : [String(v)];
  return parts.length ? parts.join('; ') : undefined;
}

/** MIME type of an image file for its data URI, from its first bytes (else its extension). */
function imageMime(file: string, bytes: Buffer): string {
  const f = imageFormat(bytes.subarray(0, 16));
  if (f) return `image/${f}`;
  const ext = path.extname(file).slice(1).toLowerCase();
  return ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext ? `image/${ext}` : 'application/octet-stream';
}

/** The service's error text, from the doc's envelope {"type":"error","error":{"type","message"}} (else the raw body), with the key redacted. */
function serviceError(res: HttpResponse, secrets: (string | undefined)[]): ServiceError {
  const env = ErrorEnvelope.safeParse(res.json);
  const type = env.success ? env.data.error.type : undefined;
  const message = env.success ? env.data.error.message || type : undefined;
  return { message: redact(message || res.text.slice(0, 300) || `HTTP ${res.status}`, secrets), type };
}

/**
 * Creates the Bytecompute provider. Key from BYTECOMPUTE_API_KEY or the key store (`stored`);
 * base URL from BYTECOMPUTE_BASE_URL, else {@link BYTECOMPUTE_DEFAULT_BASE_URL}. Calls throw
 * {@link ProviderError} classified for the queue; keys never appear in messages.
 */
export function createBytecomputeProvider(env: NodeJS.ProcessEnv = process.env, stored?: KeyLookup): Provider {
  const cfg = remoteConfig('bytecompute', BYTECOMPUTE_DEFAULT_BASE_URL, env, stored);
  const pollMs = () => BYTECOMPUTE_POLL_MS * cfg.pollScale;
  const jobPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;
  const client = createClient({
    id: 'bytecompute',
    cfg,
    errorOf: (res) => serviceError(res, [cfg.key()]),
    classify: (res, err) => {
      if (res.status !== 400 || !err.type || !NO_BALANCE.test(err.type)) return undefined;
      return new ProviderError('credits', `insufficient balance (HTTP 400 ${err.type}): ${err.message}`, { status: 400, code: err.type, retryAfterMs: retryAfterMs(res.headers['retry-after']) });
    },
  });

  /** A job (submit or status answer) as a PollResult. */
  const resultOf = (job: BytecomputeJob): PollResult => {
    switch (job.status) {
      case 'queued':
        return { status: 'pending', nextPollMs: pollMs() };
      case 'running':
        return { status: 'running', nextPollMs: pollMs() };
      case 'completed': {
        const amount = job.cost?.amount_usd;
        return { status: 'succeeded', result: { kind: 'task' }, actual: amount !== undefined ? { unit: 'USD', amount } : undefined, adjustments: formatAdjustments(job.adjustments) };
      }
      case 'failed': {
        const err = job.error;
        const code = typeof err === 'object' && err ? err.type : undefined;
        const message = (typeof err === 'string' ? err : err?.message) || 'generation failed';
        // Billed "per second of generated video": a failed job generated none, so it costs nothing
        // (the job's `cost` field may still show the price it would have had, so it is not read here).
        return { status: 'failed', code, message, actual: { unit: 'USD', amount: 0 } };
      }
    }
  };

  /** Re-throws a 404 from the job routes as "expired" (the doc: "Job ID does not exist or has expired"). */
  const expiredOn404 = (e: unknown, taskId: string): never => {
    if (e instanceof ProviderError && (e.opts.status === 404 || e.opts.status === 410)) {
      throw new ProviderError('expired', `bytecompute no longer knows job ${taskId} (jobs expire after 24 h): ${e.message}`, { status: e.opts.status, code: e.opts.code });
    }
    throw e;
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
    sources: () => ({ prices: BYTECOMPUTE_PRICES_SOURCE.url, pricesRead: BYTECOMPUTE_PRICES_SOURCE.read, assumed: [...ASSUMED] }),

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
     * invalid (400 and other 4xx, or an unreadable image file), retryable (429, 5xx, network),
     * unreadable (an answer without a job id).
     */
    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      client.requireKey();
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
      const route = `/v1/${i2v ? 'image-to-video' : 'text-to-video'}`;
      const res = await client.call(ctx, { method: 'POST', path: route, json: body });
      const job = client.parse(JobCreated, res, `POST ${route}`);
      const result = resultOf({ ...job, status: job.status ?? 'queued' });
      const adj = formatAdjustments(job.adjustments);
      if (adj) ctx.log('bytecompute adjusted the request', { taskId: job.id, adjustments: adj });
      return {
        taskId: job.id,
        immediate: result.status === 'succeeded' || result.status === 'failed' ? result : undefined,
        firstPollMs: pollMs(),
      };
    },

    describePrices: describeBytecomputePrices,

    /**
     * Checks the key without generating anything: asks for the status of a job id that cannot
     * exist. 401/403 = key rejected; 404 in the doc's error envelope = the key was accepted (the
     * job is simply unknown). A 404 without the envelope is a missing route: the base URL (assumed,
     * the doc names none) is not the API's, and ProviderError("setup") says so.
     */
    async checkKey(ctx: ProviderContext) {
      client.requireKey();
      const probe = jobPath('ltx-batch-key-check-00000000');
      try {
        await client.call(ctx, { method: 'POST', path: probe });
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        if (e.kind === 'auth') return { ok: false, message: e.message };
        if (e.opts.status !== 404) throw e;
        if (!e.opts.code) throw new ProviderError('setup', `${cfg.baseUrl} answered ${probe} with a 404 that is not Bytecompute's error envelope: is BYTECOMPUTE_BASE_URL the API's address? (the doc names none; ${BYTECOMPUTE_DEFAULT_BASE_URL} is assumed)`, { status: 404 });
      }
      return { ok: true, message: 'key accepted (checked by looking up a job that does not exist; nothing was generated)' };
    },

    /**
     * Reads the job's state (POST /v1/jobs/{id}): queued -> pending, running -> running,
     * completed -> succeeded (cost.amount_usd as the actual cost, `adjustments` as text),
     * failed -> failed with the error's type and message. 404 -> expired (unknown, or older than 24 h).
     */
    async poll(taskId: string, _request: ProviderRequest, ctx: ProviderContext): Promise<PollResult> {
      const route = jobPath(taskId);
      const res = await client.call(ctx, { method: 'POST', path: route }).catch((e: unknown) => expiredOn404(e, taskId));
      return resultOf(client.parse(Job, res, `POST ${route}`));
    },

    /**
     * Streams the MP4 from POST /v1/jobs/{id}/download (same origin as the API, so the key goes
     * with it) to `dest`, never into memory. 409 -> not-ready (poll again); 404/410 -> expired;
     * a JSON answer instead of a video -> unreadable; others as in http.ts.
     */
    async download(taskId: string, result: ResultRef, dest: string, ctx: ProviderContext): Promise<void> {
      if (result.kind !== 'task') throw new ProviderError('unreadable', `bytecompute results are fetched by job id, not from ${result.kind === 'url' ? 'a URL' : 'a file'}`);
      const route = `${jobPath(taskId)}/download`;
      const res = await client.open(ctx, { method: 'POST', path: route, headers: { accept: 'video/mp4, application/octet-stream, application/json' }, timeoutMs: DOWNLOAD_TIMEOUT_MS });
      const contentType = res.headers['content-type'] ?? '';
      if (res.status < 200 || res.status >= 300 || /^(application\/(problem\+)?json|text\/)/i.test(contentType)) {
        const answer = await readAnswer(res, `calling ${new URL(res.url).host}`, client.secrets());
        try {
          client.throwForAnswer(answer);
        } catch (e) {
          expiredOn404(e, taskId);
        }
        throw new ProviderError('unreadable', `bytecompute answered POST ${route} with ${contentType} instead of a video: ${redact(answer.text.slice(0, 300), client.secrets())}`);
      }
      await client.save(ctx, res, dest);
    },
  };
}
