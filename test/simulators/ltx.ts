/**
 * Simulator of the public LTX API (Lightricks, https://api.ltx.video), provider id `ltx`.
 *
 * Written from the service's public documentation (docs.ltx.video / docs.ltx.io: quickstart,
 * authentication, async-jobs, get-job-status, input-formats, models, pricing, errors, rate-limits;
 * see shared/notes/ltx-public-api.md), not from any client. `sim.baseUrl` is the ORIGIN
 * (`http://127.0.0.1:<port>`); clients append `/v1/...` and `/v2/...` themselves.
 *
 *   POST /v2/{text-to-video|image-to-video|audio-to-video}  -> 202 {id, created_at}        (Beta, async)
 *   GET  /v2/{endpoint}/{id}  -> {id, status: pending|processing|completed|failed, created_at,
 *                                 completed_at?, result?: {video_url}, error?: {type, message}}
 *        unknown id, an id of another endpoint, or a job past its retention (24 h after it ended) -> 404
 *   POST /v1/{text-to-video|image-to-video|audio-to-video}  (sync) -> the request is held for the
 *        render time, then answered with the MP4 bytes (Content-Type video/mp4, header x-request-id)
 *   POST /v2/retake {video_uri, start_time >= 0, duration >= 2, prompt?, mode?, resolution?, model?} and
 *   POST /v2/extend {video_uri, duration 2-20, prompt?, mode: end|start, model?, context? 1-20}
 *        (API reference, "Retake video section" / "Extend video"): the input video needs at least 73
 *        frames and at most 3840x2160 (extend: 16:9 or 9:16 only; context + duration at most 505
 *        frames at the input's rate); the section is clamped to the video; the result is the whole
 *        new video (retake: same length, 1920x1080 or 1080x1920 unless `resolution`; extend: the
 *        input's size, input + duration long). Polled at GET /v2/{retake|extend}/{id}; /v1 answers
 *        the MP4. Prices are not on the pricing page: charged at {@link LTX_RETAKE_USD_PER_SECOND} and
 *        ltx-2-3-pro's rate per second of the new video (the same assumption as the client's table).
 *   POST /v1/upload -> {upload_url, storage_uri: "ltx://uploads/<id>", expires_at, required_headers}
 *   PUT  <upload_url> (`/upload/<id>?...`, no API key needed) with `required_headers` -> 200
 *   GET/HEAD /files/<id>.mp4  result files (Range supported), no key needed
 *
 * All API routes take `Authorization: Bearer <key>`. Errors are
 * `{"type":"error","error":{"type","message"}}`: 400 invalid_request_error, 401 authentication_error,
 * 402 insufficient_funds_error, 404 not_found_error, 413 request_too_large, 422
 * content_filtered_error, 429 rate_limit_error / concurrency_limit_error (with Retry-After),
 * 500 api_error, 503 service_unavailable.
 *
 * `sim.v2Enabled = false` (option `v2: false`) makes every `/v2/...` route answer 404, as a
 * deployment without the async API would. Limits per key: `limits.concurrent` generations in flight
 * (default 2, the docs' default) and `limits.perMinute` API requests a minute (default 100; no number
 * is published); beyond them 429, counted in `sim.rateLimited`.
 */
import { randomUUID } from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  SimulatorBase,
  isJsonInteger,
  parseBody,
  probeMp4,
  randomId,
  roundAmount,
  sleep,
  type Fault,
  type FaultKind,
  type RequestContext,
  type RequestKind,
  type SimResponse,
  type SimTask,
  type SimulatorOptions,
} from "./common";

/** LTX model ids (ltx-2-* are deprecated but still priced on the pricing page). */
export type LtxModel = "ltx-2-3-fast" | "ltx-2-3-pro" | "ltx-2-fast" | "ltx-2-pro";

/** The generation and edit endpoints the simulator implements (v1 and v2). */
export type LtxEndpoint = "text-to-video" | "image-to-video" | "audio-to-video" | "retake" | "extend";

/** Retake: USD per second of the new video (assumed: the pricing page lists no retake line). */
export const LTX_RETAKE_USD_PER_SECOND = 0.1;
/** Retake and extend `mode` values. */
export const LTX_RETAKE_MODES = ["replace_audio_and_video", "replace_audio", "replace_video"];

/** Price tiers, by the short side of the output. */
export type LtxTier = "720p" | "1080p" | "1440p" | "2160p";

/** Every model id the API takes. */
export const LTX_MODELS: LtxModel[] = ["ltx-2-3-fast", "ltx-2-3-pro", "ltx-2-fast", "ltx-2-pro"];

/** The `camera_motion` values of the API reference. */
export const LTX_CAMERA_MOTIONS = ["dolly_in", "dolly_out", "dolly_left", "dolly_right", "jib_up", "jib_down", "static", "focus_shift"];

const LANDSCAPE = ["1920x1080", "2560x1440", "3840x2160"];
const PORTRAIT = ["1080x1920", "1440x2560", "2160x3840"];

/** Output sizes (`WIDTHxHEIGHT`) each model renders. */
export const LTX_RESOLUTIONS: Record<LtxModel, string[]> = {
  "ltx-2-fast": LANDSCAPE,
  "ltx-2-pro": LANDSCAPE,
  "ltx-2-3-pro": [...LANDSCAPE, ...PORTRAIT],
  "ltx-2-3-fast": ["1280x720", "720x1280", ...LANDSCAPE, ...PORTRAIT],
};

/** Frame rates each model renders. */
export const LTX_FPS: Record<LtxModel, number[]> = {
  "ltx-2-fast": [25, 50],
  "ltx-2-pro": [25, 50],
  "ltx-2-3-fast": [24, 25, 48, 50],
  "ltx-2-3-pro": [24, 25, 48, 50],
};

/** USD per second of output video, by model and tier (portrait sizes cost as their landscape twin). */
export const LTX_PRICES: Record<LtxModel, Partial<Record<LtxTier, number>>> = {
  "ltx-2-fast": { "1080p": 0.04, "1440p": 0.08, "2160p": 0.16 },
  "ltx-2-pro": { "1080p": 0.06, "1440p": 0.12, "2160p": 0.24 },
  "ltx-2-3-fast": { "720p": 0.03, "1080p": 0.06, "1440p": 0.12, "2160p": 0.24 },
  "ltx-2-3-pro": { "1080p": 0.08, "1440p": 0.16, "2160p": 0.32 },
};

/** audio-to-video: USD per second of input audio. */
export const LTX_AUDIO_USD_PER_SECOND = 0.1;

/** Models audio-to-video takes. */
export const LTX_AUDIO_MODELS: LtxModel[] = ["ltx-2-3-pro", "ltx-2-pro"];

/** Output sizes audio-to-video renders. */
export const LTX_AUDIO_RESOLUTIONS = ["1920x1080", "1080x1920"];

/** The price tier of a `WIDTHxHEIGHT` size (by its short side), or undefined. */
export function ltxTier(resolution: string): LtxTier | undefined {
  const m = /^(\d+)x(\d+)$/.exec(resolution);
  if (!m) return undefined;
  const short = Math.min(Number(m[1]), Number(m[2]));
  return ({ 720: "720p", 1080: "1080p", 1440: "1440p", 2160: "2160p" } as Record<number, LtxTier>)[short];
}

/** Cost in USD of a text/image-to-video generation (NaN if the size has no price). */
export function ltxCost(model: LtxModel, resolution: string, durationS: number): number {
  const tier = ltxTier(resolution);
  const rate = tier ? LTX_PRICES[model]?.[tier] : undefined;
  return rate === undefined ? NaN : roundAmount(rate * durationS);
}

/** Cost in USD of an audio-to-video generation of `audioS` seconds of input audio. */
export function ltxAudioCost(audioS: number): number {
  return roundAmount(LTX_AUDIO_USD_PER_SECOND * audioS);
}

/** Durations (s) a text/image-to-video request may ask for with this model, size and fps. */
export function ltxDurations(model: LtxModel, resolution: string, fps: number): number[] {
  const base = [6, 8, 10];
  const long =
    (model === "ltx-2-fast" && resolution === "1920x1080" && fps === 25) ||
    (model === "ltx-2-3-fast" && (resolution === "1920x1080" || resolution === "1080x1920") && (fps === 24 || fps === 25));
  return long ? [...base, 12, 14, 16, 18, 20] : base;
}

/** Service-specific data stored with each ltx generation. */
export interface LtxTaskInfo {
  /** "v2" (async job) or "v1" (sync, MP4 answer). */
  api: "v1" | "v2";
  /** Which endpoint created it. */
  endpoint: LtxEndpoint;
  /** Model used. */
  model: LtxModel;
  /** Output size, e.g. "1920x1080". */
  resolution: string;
  /** Output duration in seconds (for audio-to-video: the audio's length). */
  duration: number;
  /** Output frames per second. */
  fps: number;
  /** `generate_audio` as requested (default true; audio-to-video: true). */
  generateAudio: boolean;
  /** `camera_motion`, if given. */
  cameraMotion?: string;
  /** audio-to-video: seconds of input audio billed (probed, else `defaultAudioSeconds`). */
  audioSeconds?: number;
  /** Cost in USD (also in `sim.charges`). */
  cost: number;
}

/** One upload slot created by `POST /v1/upload` (`sim.uploads`). */
export interface LtxUpload {
  /** Upload id (the last segment of `storage_uri`). */
  id: string;
  /** `ltx://uploads/<id>`. */
  storageUri: string;
  /** The `upload_url` handed out (on this server, `/upload/<id>?...`). */
  uploadUrl: string;
  /** The `required_headers` handed out. */
  requiredHeaders: Record<string, string>;
  /** Simulator clock time of `POST /v1/upload`. */
  createdAt: number;
  /** When the upload URL stops accepting PUTs (createdAt + `uploadUrlTtlMs`). */
  urlExpiresAt: number;
  /** Simulator clock time of the last accepted PUT. */
  uploadedAt?: number;
  /** Bytes stored by the last accepted PUT. */
  data?: Buffer;
  /** Size of the stored file. */
  size?: number;
  /** Content-Type the stored file was PUT with. */
  contentType?: string;
  /** Number of PUT requests received for this slot (accepted or not). */
  puts: number;
  /** Whether any PUT to the upload URL carried an Authorization header (it should not). */
  putWithAuth: boolean;
  /** Authorization header values sent with PUTs to the upload URL. */
  putAuthorizations: string[];
}

/** One 429 sent because a real limit was hit. */
export interface LtxRateLimitEvent {
  /** Which limit. */
  reason: "concurrency" | "per-minute";
  /** Retry-After sent, seconds. */
  retryAfterS: number;
  /** Path of the refused request. */
  path: string;
  /** Simulator clock time. */
  at: number;
}

/** Options of {@link startLtxSimulator} (on top of the shared ones). */
export interface LtxSimulatorOptions extends SimulatorOptions {
  /** Whether the `/v2/...` (async, Beta) routes exist. Default true; false: every /v2 route answers 404. */
  v2?: boolean;
  /** Generations in flight per key before 429 concurrency_limit_error. Default 2 (the docs' default). */
  concurrency?: number;
  /** API requests per minute per key before 429 rate_limit_error. Default 100. */
  perMinute?: number;
  /** How long a finished v2 job (and its result file) stays readable, ms. Default 24 h. */
  retentionMs?: number;
  /** Whether the deprecated ltx-2-fast / ltx-2-pro are still accepted. Default true. */
  legacyModels?: boolean;
  /** Refuse request fields the API reference does not list (400). Default true. */
  strictFields?: boolean;
  /** Seconds of audio assumed when an audio input cannot be probed (HTTPS URLs, unreadable files). Default 5. */
  defaultAudioSeconds?: number;
  /** The `required_headers` of an upload. Default {"Content-Type": "application/octet-stream", "x-goog-content-length-range": "0,104857600"}. */
  uploadRequiredHeaders?: Record<string, string>;
}

const HOUR = 3600_000;
const MB = 1024 * 1024;
const MAX_UPLOAD = 100 * MB;
const MAX_IMAGE_DATA_URI = 7 * MB;
const MAX_MEDIA_DATA_URI = 15 * MB;
const IMAGE_MIMES = ["image/png", "image/jpeg", "image/webp"];
const AUDIO_MIMES = ["audio/wav", "audio/mpeg", "audio/mp4", "audio/ogg"];
const VIDEO_MIMES = ["video/mp4", "video/quicktime"];

const ENDPOINTS: LtxEndpoint[] = ["text-to-video", "image-to-video", "audio-to-video", "retake", "extend"];
const FIELDS: Record<LtxEndpoint, string[]> = {
  "text-to-video": ["prompt", "model", "duration", "resolution", "fps", "generate_audio", "camera_motion"],
  "image-to-video": ["prompt", "model", "duration", "resolution", "fps", "generate_audio", "camera_motion", "image_uri", "last_frame_uri"],
  "audio-to-video": ["audio_uri", "image_uri", "prompt", "resolution", "guidance_scale", "model"],
  retake: ["video_uri", "start_time", "duration", "prompt", "mode", "resolution", "model"],
  extend: ["video_uri", "duration", "prompt", "mode", "model", "context"],
};

/** Error types the shared layer passes in, replaced by the type the LTX docs give for the status. */
const GENERIC_TYPES = new Set([
  "rate_limited", "internal_error", "server_error", "unauthorized", "insufficient_credits", "expired",
  "not_found", "method_not_allowed", "payload_too_large", "error", "invalid_request", "bad_gateway", "gateway_timeout",
]);
const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "insufficient_funds_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "request_too_large",
  422: "content_filtered_error",
  429: "rate_limit_error",
  500: "api_error",
  502: "api_error",
  503: "service_unavailable",
  504: "timeout_error",
  529: "overloaded_error",
};
/** HTTP status of a v1 (sync) answer for a generation that failed with error type `code`. */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  insufficient_funds_error: 402,
  content_filtered_error: 422,
  rate_limit_error: 429,
  concurrency_limit_error: 429,
  api_error: 500,
  service_unavailable: 503,
  timeout_error: 504,
  overloaded_error: 529,
};

/** A checked media input. */
interface Media {
  /** The bytes, when the input is a data URI or an upload. */
  bytes?: Buffer;
}

/** The ltx simulator. Create with {@link startLtxSimulator}. */
export class LtxSimulator extends SimulatorBase<LtxTaskInfo> {
  /** Service id. */
  readonly service = "ltx";
  /** Whether the `/v2/...` routes exist (false: 404 on all of them). */
  v2Enabled: boolean;
  /** Per-key limits (mutable): generations in flight, API requests per minute. */
  limits: { concurrent: number; perMinute: number };
  /** How long a finished v2 job and its result file stay readable, ms (simulator clock). */
  retentionMs: number;
  /** Whether ltx-2-fast / ltx-2-pro are accepted (false: 400, as after their removal). */
  legacyModels: boolean;
  /** Refuse fields the API reference does not list for the endpoint. */
  strictFields: boolean;
  /** Seconds of audio assumed when an audio input cannot be probed. */
  defaultAudioSeconds: number;
  /** `required_headers` handed out by `POST /v1/upload` (applies to uploads created afterwards). */
  uploadRequiredHeaders: Record<string, string>;
  /** How long an upload URL accepts PUTs, ms. Default 1 h. */
  uploadUrlTtlMs = HOUR;
  /** How long an uploaded file stays usable as a storage_uri after its PUT, ms. Default 24 h. */
  uploadTtlMs = 24 * HOUR;
  /** Upload slots, in creation order. */
  uploads: LtxUpload[] = [];
  /** Number of 429s sent because a limit was hit (fault-plan 429s are not counted). */
  rateLimited = 0;
  /** Details of each limit 429. */
  rateLimitEvents: LtxRateLimitEvent[] = [];
  /** Highest number of in-flight generations seen at any accepted submit (including it). */
  maxInFlight = 0;
  private readonly windowStarts: number[] = [];
  private closed = false;

  /** Creates the simulator (not started). */
  constructor(opts: LtxSimulatorOptions = {}) {
    super(opts);
    this.v2Enabled = opts.v2 ?? true;
    this.limits = { concurrent: opts.concurrency ?? 2, perMinute: opts.perMinute ?? 100 };
    this.retentionMs = opts.retentionMs ?? 24 * HOUR;
    this.legacyModels = opts.legacyModels ?? true;
    this.strictFields = opts.strictFields ?? true;
    this.defaultAudioSeconds = opts.defaultAudioSeconds ?? 5;
    this.uploadRequiredHeaders = opts.uploadRequiredHeaders ?? {
      "Content-Type": "application/octet-stream",
      "x-goog-content-length-range": `0,${MAX_UPLOAD}`,
    };
    this.expiredUrlStatus = 403;
    this.insufficientCreditsStatus = 402;
    this.defaultFailure = { code: "api_error", message: "Video generation failed" };
  }

  /** The origin (`http://127.0.0.1:<port>`): clients append /v1/... and /v2/... */
  get baseUrl(): string {
    return this.url;
  }

  /**
   * Compatibility view of {@link v2Enabled}: "async" when the /v2 routes exist, "sync" when only
   * the sync /v1 routes do. Setting it sets v2Enabled.
   */
  get mode(): "async" | "sync" {
    return this.v2Enabled ? "async" : "sync";
  }
  set mode(m: "async" | "sync") {
    this.v2Enabled = m !== "sync";
  }

  /** Generations currently in flight (submitted, not yet finished), v1 and v2 together. */
  get inFlight(): number {
    const t = this.now();
    let n = 0;
    for (const task of this.tasks.values()) if (t < task.doneAt) n++;
    return n;
  }

  /** The upload slot of a storage uri (`ltx://uploads/<id>`) or id. */
  upload(idOrUri: string): LtxUpload | undefined {
    const id = idOrUri.startsWith("ltx://uploads/") ? idOrUri.slice("ltx://uploads/".length) : idOrUri;
    return this.uploads.find((u) => u.id === id);
  }

  /** Stops the server (also releases sync requests still held). */
  override async close(): Promise<void> {
    this.closed = true;
    await super.close();
  }

  /** Classifies requests for the fault plan. */
  protected classify(method: string, pathname: string): RequestKind[] {
    if (this.v2Enabled && method === "POST" && /^\/v2\/((text|image|audio)-to-video|retake|extend)$/.test(pathname)) return ["submit"];
    if (this.v2Enabled && method === "GET" && /^\/v2\/((text|image|audio)-to-video|retake|extend)\/[^/]+$/.test(pathname)) return ["poll"];
    // The sync form answers with the video itself: it is a submit and a download at once.
    if (method === "POST" && /^\/v1\/((text|image|audio)-to-video|retake|extend)$/.test(pathname)) return ["submit", "download"];
    return ["other"];
  }

  /** Error body in this service's shape. */
  protected errorResponse(status: number, type: string, message: string, headers?: Record<string, string>): SimResponse {
    const t = GENERIC_TYPES.has(type) ? TYPE_BY_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error") : type;
    return { status, headers, json: { type: "error", error: { type: t, message } } };
  }

  /**
   * The shared layer answers pre-handler faults before the route runs; "insufficient-credits" is
   * held back and fired by the submit itself, after validation, so its 402 names the cost.
   */
  protected override takeFault(reqKinds: RequestKind[], kinds: FaultKind[], method = "", pathname = ""): Fault | undefined {
    const k = kinds.length > 1 ? kinds.filter((x) => x !== "insufficient-credits") : kinds;
    return super.takeFault(reqKinds, k, method, pathname);
  }

  /** Result files stay readable as long as their job: {@link retentionMs} after it ended. */
  protected override resultExpired(task: SimTask<LtxTaskInfo>): boolean {
    return task.completedAt !== undefined && this.now() > task.completedAt + this.retentionMs;
  }

  /** Routes one API request. */
  protected async route(ctx: RequestContext): Promise<SimResponse> {
    const { method, pathname } = ctx;
    const upPut = /^\/upload\/([^/]+)$/.exec(pathname);
    if (upPut) return this.putUpload(ctx, decodeURIComponent(upPut[1]));

    const v2sub = /^\/v2\/([a-z-]+)$/.exec(pathname);
    const v2poll = /^\/v2\/([a-z-]+)\/([^/]+)$/.exec(pathname);
    const v1sub = /^\/v1\/([a-z-]+)$/.exec(pathname);
    const isV2 = pathname === "/v2" || pathname.startsWith("/v2/");
    if (isV2 && !this.v2Enabled) return this.errorResponse(404, "not_found", "Not found");
    const endpointOf = (s: string) => (ENDPOINTS as string[]).includes(s) ? (s as LtxEndpoint) : undefined;
    const known =
      (v2sub && endpointOf(v2sub[1])) || (v2poll && endpointOf(v2poll[1])) || (v1sub && (endpointOf(v1sub[1]) || v1sub[1] === "upload"));
    if (!known) return this.errorResponse(404, "not_found", `No route for ${method} ${pathname}`);

    const authErr = this.checkKey(ctx);
    if (authErr) return authErr;
    const limited = this.checkPerMinute(ctx);
    if (limited) return limited;

    if (v2poll) {
      if (method !== "GET") return this.errorResponse(405, "method_not_allowed", `Method ${method} not allowed; use GET`);
      return this.pollJob(endpointOf(v2poll[1])!, decodeURIComponent(v2poll[2]));
    }
    if (method !== "POST") return this.errorResponse(405, "method_not_allowed", `Method ${method} not allowed; use POST`);
    if (v1sub && v1sub[1] === "upload") return this.createUpload();
    const endpoint = endpointOf((v2sub ?? v1sub)![1])!;
    return this.submit(ctx, endpoint, v2sub ? "v2" : "v1");
  }

  // ----- auth and limits -----

  private checkKey(ctx: RequestContext): SimResponse | undefined {
    const h = ctx.req.headers.authorization;
    if (!h) return this.errorResponse(401, "authentication_error", "Missing authorization header");
    if (h !== `Bearer ${this.apiKey}`) return this.errorResponse(401, "authentication_error", "Invalid API key");
    return undefined;
  }

  private checkPerMinute(ctx: RequestContext): SimResponse | undefined {
    const t = this.now();
    while (this.windowStarts.length && this.windowStarts[0] <= t - 60_000) this.windowStarts.shift();
    if (this.windowStarts.length >= this.limits.perMinute) {
      const retry = Math.max(1, Math.ceil((this.windowStarts[0] + 60_000 - t) / 1000));
      return this.limit429("per-minute", retry, ctx, "rate_limit_error", "Rate limit exceeded. Please try again later.");
    }
    this.windowStarts.push(t);
    return undefined;
  }

  private limit429(reason: LtxRateLimitEvent["reason"], retryAfterS: number, ctx: RequestContext, type: string, message: string): SimResponse {
    this.rateLimited++;
    this.rateLimitEvents.push({ reason, retryAfterS, path: ctx.pathname, at: this.now() });
    return this.errorResponse(429, type, message, { "retry-after": String(retryAfterS) });
  }

  // ----- uploads -----

  private createUpload(): SimResponse {
    const id = randomUUID();
    const t = this.now();
    const signature = randomId(40);
    const expires = t + this.uploadUrlTtlMs;
    const u: LtxUpload = {
      id,
      storageUri: `ltx://uploads/${id}`,
      uploadUrl: `${this.url}/upload/${id}?expires=${Math.floor(expires / 1000)}&signature=${signature}`,
      requiredHeaders: { ...this.uploadRequiredHeaders },
      createdAt: t,
      urlExpiresAt: expires,
      puts: 0,
      putWithAuth: false,
      putAuthorizations: [],
    };
    this.uploads.push(u);
    return {
      status: 200,
      json: { upload_url: u.uploadUrl, storage_uri: u.storageUri, expires_at: new Date(expires).toISOString(), required_headers: u.requiredHeaders },
    };
  }

  /** The storage side of an upload: a signed URL, no API key; errors are plain XML like a bucket's. */
  private putUpload(ctx: RequestContext, id: string): SimResponse {
    const xml = (status: number, code: string, message: string): SimResponse => ({
      status,
      contentType: "application/xml; charset=utf-8",
      text: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    });
    const u = this.uploads.find((x) => x.id === id);
    if (!u) return xml(404, "NoSuchUpload", "The upload URL is unknown.");
    u.puts++;
    const auth = ctx.req.headers.authorization;
    if (auth !== undefined) {
      u.putWithAuth = true;
      u.putAuthorizations.push(auth);
    }
    if (ctx.method !== "PUT") return xml(405, "MethodNotAllowed", "Use PUT.");
    const signed = new URL(u.uploadUrl);
    if (ctx.query.get("signature") !== signed.searchParams.get("signature")) return xml(403, "SignatureDoesNotMatch", "The signature of the upload URL does not match.");
    if (this.now() > u.urlExpiresAt) return xml(400, "ExpiredToken", "The upload URL has expired.");
    for (const [name, value] of Object.entries(u.requiredHeaders)) {
      const got = ctx.req.headers[name.toLowerCase()];
      const sent = Array.isArray(got) ? got.join(", ") : got;
      const same = name.toLowerCase() === "content-type" ? sent?.split(";")[0].trim().toLowerCase() === value.split(";")[0].trim().toLowerCase() : sent === value;
      if (!same) return xml(403, "SignatureDoesNotMatch", `Required header ${name}: ${value} was ${sent === undefined ? "not sent" : `sent as "${sent}"`}.`);
    }
    const range = /^(\d+),(\d+)$/.exec(u.requiredHeaders["x-goog-content-length-range"] ?? "");
    const max = range ? Math.min(Number(range[2]), MAX_UPLOAD) : MAX_UPLOAD;
    const min = range ? Number(range[1]) : 0;
    if (ctx.raw.length > max || ctx.raw.length < min) {
      return xml(400, "EntityTooLarge", `Your proposed upload is ${ctx.raw.length} bytes, outside the allowed range ${min}-${max}.`);
    }
    u.data = Buffer.from(ctx.raw);
    u.size = ctx.raw.length;
    u.contentType = ctx.contentType || undefined;
    u.uploadedAt = this.now();
    return { status: 200, text: "" };
  }

  // ----- generations -----

  private async submit(ctx: RequestContext, endpoint: LtxEndpoint, api: "v1" | "v2"): Promise<SimResponse> {
    const parsed = await parseBody(ctx.raw, ctx.contentType);
    const bad = (msg: string) => this.errorResponse(400, "invalid_request_error", msg);
    if (!parsed.ok) return bad(parsed.error);
    if (parsed.kind === "multipart") return bad("request body must be JSON (Content-Type: application/json)");
    const body = parsed.value;
    if (this.strictFields) {
      for (const k of Object.keys(body)) {
        if (!FIELDS[endpoint].includes(k)) {
          const hint = endpoint === "audio-to-video" && k === "duration" ? " (the video is as long as the audio)" : "";
          return bad(`${k} is not a parameter of ${endpoint}${hint}; accepted: ${FIELDS[endpoint].join(", ")}`);
        }
      }
    }
    const checked =
      endpoint === "audio-to-video" ? await this.checkAudioToVideo(body)
      : endpoint === "retake" || endpoint === "extend" ? await this.checkEdit(body, endpoint)
      : await this.checkVideo(body, endpoint);
    if ("error" in checked) return checked.error;
    const { info, video } = checked;
    const cost = info.cost;

    const funds = this.takeFault(ctx.kinds, ["insufficient-credits"], ctx.method, ctx.pathname);
    if (funds) {
      return this.errorResponse(402, "insufficient_funds_error", funds.message ?? `Insufficient funds. Required: ${Math.ceil(roundAmount(cost * 100))} credits`);
    }
    const inFlight = this.inFlight;
    if (inFlight >= this.limits.concurrent) {
      const t = this.now();
      let soonest = Infinity;
      for (const task of this.tasks.values()) if (task.doneAt > t) soonest = Math.min(soonest, task.doneAt);
      const retry = Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - t) / 1000)) : 1;
      return this.limit429("concurrency", retry, ctx, "concurrency_limit_error", "Too many concurrent requests. Please try again later.");
    }
    this.maxInFlight = Math.max(this.maxInFlight, inFlight + 1);

    const id = randomUUID();
    const task = this.createTask(ctx, id, video, { ...info, api }, body);
    this.charge(id, cost, "USD");

    if (api === "v2") {
      return { status: 202, json: { id, created_at: new Date(task.createdAt).toISOString() } };
    }
    await this.waitDone(task);
    const headers = { "x-request-id": id };
    if (task.failure) {
      const status = STATUS_BY_TYPE[task.failure.code] ?? 500;
      return this.errorResponse(status, task.failure.code, task.failure.message, headers);
    }
    return this.fileResponse(ctx, task, headers);
  }

  /** Validates a text-to-video / image-to-video body. */
  private async checkVideo(
    body: Record<string, unknown>,
    endpoint: LtxEndpoint,
  ): Promise<{ error: SimResponse } | { info: Omit<LtxTaskInfo, "api">; video: { width: number; height: number; duration: number; fps: number } }> {
    const bad = (msg: string) => ({ error: this.errorResponse(400, "invalid_request_error", msg) });
    if (endpoint === "image-to-video") {
      if (body.image_uri === undefined || body.image_uri === null || body.image_uri === "") return bad("image_uri is required");
    }
    if (body.prompt === undefined || body.prompt === null) return bad("prompt is required");
    if (typeof body.prompt !== "string") return bad("prompt must be a string");
    if (body.prompt.trim() === "") return bad("prompt is required");
    const model = this.checkModel(body.model, LTX_MODELS);
    if (typeof model !== "string") return model;
    if (body.duration === undefined || body.duration === null) return bad("duration is required");
    if (!isJsonInteger(body.duration)) return bad(`duration must be an integer number of seconds; got ${JSON.stringify(body.duration)}`);
    if (body.resolution === undefined || body.resolution === null) return bad("resolution is required");
    if (typeof body.resolution !== "string" || !/^\d+x\d+$/.test(body.resolution)) {
      return bad(`resolution must be WIDTHxHEIGHT (e.g. 1920x1080); got ${JSON.stringify(body.resolution)}`);
    }
    const resolution = body.resolution;
    if (!LTX_RESOLUTIONS[model].includes(resolution)) {
      return bad(`resolution ${resolution} is not supported by ${model}; use one of ${LTX_RESOLUTIONS[model].join(", ")}`);
    }
    // The reference gives fps a default of 24, a rate the ltx-2 models do not render: they get 25.
    const fps = body.fps === undefined ? (LTX_FPS[model].includes(24) ? 24 : 25) : body.fps;
    if (!isJsonInteger(fps)) return bad(`fps must be an integer; got ${JSON.stringify(body.fps)}`);
    if (!LTX_FPS[model].includes(fps)) return bad(`fps ${fps} is not supported by ${model}; use one of ${LTX_FPS[model].join(", ")}`);
    const durations = ltxDurations(model, resolution, fps);
    if (!durations.includes(body.duration)) {
      return bad(`duration ${body.duration} is not supported by ${model} at ${resolution} and ${fps} fps; use one of ${durations.join(", ")}`);
    }
    if (body.generate_audio !== undefined && typeof body.generate_audio !== "boolean") {
      return bad(`generate_audio must be a boolean; got ${JSON.stringify(body.generate_audio)}`);
    }
    if (body.camera_motion !== undefined && (typeof body.camera_motion !== "string" || !LTX_CAMERA_MOTIONS.includes(body.camera_motion))) {
      return bad(`camera_motion must be one of ${LTX_CAMERA_MOTIONS.join(", ")}; got ${JSON.stringify(body.camera_motion)}`);
    }
    if (endpoint === "image-to-video") {
      const img = this.checkMedia("image_uri", body.image_uri, "image");
      if ("error" in img) return img;
      if (body.last_frame_uri !== undefined) {
        if (!model.startsWith("ltx-2-3-")) return bad(`last_frame_uri is only supported by ltx-2-3 models; got model ${model}`);
        const last = this.checkMedia("last_frame_uri", body.last_frame_uri, "image");
        if ("error" in last) return last;
      }
    }
    const [width, height] = resolution.split("x").map(Number);
    const duration = body.duration;
    return {
      info: {
        endpoint,
        model,
        resolution,
        duration,
        fps,
        generateAudio: body.generate_audio !== false,
        ...(typeof body.camera_motion === "string" ? { cameraMotion: body.camera_motion } : {}),
        cost: ltxCost(model, resolution, duration),
      },
      video: { width, height, duration, fps },
    };
  }

  /** Validates an audio-to-video body (and measures its audio). */
  private async checkAudioToVideo(
    body: Record<string, unknown>,
  ): Promise<{ error: SimResponse } | { info: Omit<LtxTaskInfo, "api">; video: { width: number; height: number; duration: number; fps: number } }> {
    const bad = (msg: string) => ({ error: this.errorResponse(400, "invalid_request_error", msg) });
    if (body.audio_uri === undefined || body.audio_uri === null || body.audio_uri === "") return bad("audio_uri is required");
    if (body.duration !== undefined) return bad("duration is not a parameter of audio-to-video (the video is as long as the audio)");
    const audio = this.checkMedia("audio_uri", body.audio_uri, "audio");
    if ("error" in audio) return audio;
    const hasImage = body.image_uri !== undefined && body.image_uri !== null;
    if (hasImage) {
      const img = this.checkMedia("image_uri", body.image_uri, "image");
      if ("error" in img) return img;
    }
    if (body.prompt !== undefined && body.prompt !== null && typeof body.prompt !== "string") return bad("prompt must be a string");
    if (!hasImage && (typeof body.prompt !== "string" || body.prompt.trim() === "")) return bad("prompt is required when no image_uri is given");
    const model = body.model === undefined ? "ltx-2-3-pro" : this.checkModel(body.model, LTX_AUDIO_MODELS);
    if (typeof model !== "string") return model;
    const resolution = body.resolution ?? "1920x1080";
    if (typeof resolution !== "string" || !LTX_AUDIO_RESOLUTIONS.includes(resolution)) {
      return bad(`resolution must be one of ${LTX_AUDIO_RESOLUTIONS.join(", ")} for audio-to-video; got ${JSON.stringify(resolution)}`);
    }
    if (body.guidance_scale !== undefined && (typeof body.guidance_scale !== "number" || !Number.isFinite(body.guidance_scale))) {
      return bad(`guidance_scale must be a number; got ${JSON.stringify(body.guidance_scale)}`);
    }
    let seconds = this.defaultAudioSeconds;
    if (audio.bytes) {
      const probed = await probeBytes(audio.bytes);
      if (probed !== undefined) {
        if (probed < 2 || probed > 20) return bad(`audio_uri: the audio must be 2-20 seconds long; it is ${roundAmount(probed)} s`);
        seconds = probed;
      }
    }
    seconds = Math.round(seconds * 1000) / 1000;
    const [width, height] = resolution.split("x").map(Number);
    return {
      info: { endpoint: "audio-to-video", model, resolution, duration: seconds, fps: 25, generateAudio: true, audioSeconds: seconds, cost: ltxAudioCost(seconds) },
      video: { width, height, duration: seconds, fps: 25 },
    };
  }

  /** Validates a retake / extend body and measures its input video (uploaded or a data URI). */
  private async checkEdit(
    body: Record<string, unknown>,
    endpoint: "retake" | "extend",
  ): Promise<{ error: SimResponse } | { info: Omit<LtxTaskInfo, "api">; video: { width: number; height: number; duration: number; fps: number } }> {
    const bad = (msg: string) => ({ error: this.errorResponse(400, "invalid_request_error", msg) });
    if (body.video_uri === undefined || body.video_uri === null || body.video_uri === "") return bad("video_uri is required");
    const media = this.checkMedia("video_uri", body.video_uri, "video");
    if ("error" in media) return media;
    const model = body.model === undefined ? "ltx-2-3-pro" : this.checkModel(body.model, ["ltx-2-3-pro"]);
    if (typeof model !== "string") return model;
    if (body.prompt !== undefined && typeof body.prompt !== "string") return bad("prompt must be a string");
    if (typeof body.prompt === "string" && body.prompt.length > 5000) return bad("prompt must be at most 5000 characters");
    if (typeof body.duration !== "number" || !Number.isFinite(body.duration)) return bad("duration is required (seconds)");
    // An HTTPS input is not fetched here: it is taken as a 5 s 1920x1080 clip at 24 fps.
    let input = { duration: 5, width: 1920, height: 1080, fps: 24 };
    if (media.bytes) {
      const p = await probeVideoBytes(media.bytes);
      if (!p) return bad("video_uri: the video cannot be decoded");
      input = p;
    }
    const frames = Math.round(input.duration * input.fps);
    if (frames < 73) return bad(`video_uri: the video must have at least 73 frames; it has ${frames}`);
    if (Math.max(input.width, input.height) > 3840 || Math.min(input.width, input.height) > 2160) return bad("video_uri: the video must be at most 3840x2160");
    if (endpoint === "retake") {
      if (typeof body.start_time !== "number" || !Number.isFinite(body.start_time) || body.start_time < 0) return bad("start_time is required and must be >= 0");
      if (body.duration < 2) return bad("duration must be at least 2 seconds");
      const mode = body.mode ?? "replace_audio_and_video";
      if (typeof mode !== "string" || !LTX_RETAKE_MODES.includes(mode)) return bad(`mode must be one of ${LTX_RETAKE_MODES.join(", ")}`);
      if (body.start_time >= input.duration) return bad(`start_time ${body.start_time} is past the end of the video (${roundAmount(input.duration)} s)`);
      const portrait = input.height > input.width;
      const resolution = typeof body.resolution === "string" ? body.resolution : portrait ? "1080x1920" : "1920x1080";
      if (!/^\d+x\d+$/.test(resolution)) return bad("resolution must be WIDTHxHEIGHT");
      const [width, height] = resolution.split("x").map(Number);
      const duration = roundAmount(input.duration);
      return {
        info: { endpoint, model, resolution, duration, fps: Math.round(input.fps), generateAudio: true, cost: roundAmount(Math.ceil(duration - 1e-9) * LTX_RETAKE_USD_PER_SECOND) },
        video: { width, height, duration, fps: Math.round(input.fps) },
      };
    }
    if (body.duration < 2 || body.duration > 20) return bad("duration must be between 2 and 20 seconds");
    const mode = body.mode ?? "end";
    if (mode !== "end" && mode !== "start") return bad("mode must be end or start");
    const ratio = input.width / input.height;
    if (Math.abs(ratio - 16 / 9) > 0.02 && Math.abs(ratio - 9 / 16) > 0.02) return bad("video_uri: the video must be 16:9 or 9:16");
    if (body.context !== undefined) {
      if (typeof body.context !== "number" || body.context < 1 || body.context > 20) return bad("context must be between 1 and 20 seconds");
      if ((body.context + body.duration) * input.fps > 505) return bad("context + duration must be at most 505 frames at the input's frame rate");
    }
    const resolution = `${input.width}x${input.height}`;
    const duration = roundAmount(input.duration + body.duration);
    const rate = LTX_PRICES["ltx-2-3-pro"][ltxTier(resolution) ?? "1080p"] ?? LTX_PRICES["ltx-2-3-pro"]["1080p"]!;
    return {
      info: { endpoint, model, resolution, duration, fps: Math.round(input.fps), generateAudio: true, cost: roundAmount(Math.ceil(duration - 1e-9) * rate) },
      video: { width: input.width, height: input.height, duration, fps: Math.round(input.fps) },
    };
  }

  private checkModel(v: unknown, allowed: LtxModel[]): LtxModel | { error: SimResponse } {
    const bad = (msg: string) => ({ error: this.errorResponse(400, "invalid_request_error", msg) });
    if (v === undefined || v === null || v === "") return bad("model is required");
    const names = allowed.filter((m) => this.legacyModels || m.startsWith("ltx-2-3-"));
    if (typeof v !== "string" || !(allowed as string[]).includes(v)) return bad(`model must be one of ${names.join(", ")}; got ${JSON.stringify(v)}`);
    if (!this.legacyModels && !v.startsWith("ltx-2-3-")) {
      return bad(`model ${v} is no longer supported; use ${v.replace(/^ltx-2-/, "ltx-2-3-")}`);
    }
    return v as LtxModel;
  }

  /** Checks an input URI: HTTPS URL (domain names only), data URI, or storage uri of a finished upload. */
  private checkMedia(field: string, v: unknown, kind: "image" | "audio" | "video"): Media | { error: SimResponse } {
    const bad = (msg: string) => ({ error: this.errorResponse(400, "invalid_request_error", msg) });
    if (typeof v !== "string" || v === "") return bad(`${field} must be a string (an HTTPS URL, a data URI or a storage_uri)`);
    if (v.startsWith("ltx://")) {
      const m = /^ltx:\/\/uploads\/([^/?#]+)$/.exec(v);
      const u = m ? this.uploads.find((x) => x.id === m[1]) : undefined;
      if (!u || !u.data || u.uploadedAt === undefined || this.now() > u.uploadedAt + this.uploadTtlMs) {
        return bad(`${field}: storage_uri ${v} was not found or has expired`);
      }
      const type = kind === "video" && isMp4(u.data) ? "video/mp4" : sniff(u.data);
      if (type?.split("/")[0] !== kind) {
        return bad(`${field}: the uploaded file is not a supported ${kind} (${(kind === "image" ? IMAGE_MIMES : kind === "audio" ? AUDIO_MIMES : VIDEO_MIMES).join(", ")})`);
      }
      return { bytes: u.data };
    }
    if (v.startsWith("data:")) {
      const m = /^data:([^;,]+);base64,([\s\S]*)$/.exec(v);
      if (!m) return bad(`${field}: a data URI must be data:<mime>;base64,<data>`);
      const mimes = kind === "image" ? IMAGE_MIMES : kind === "audio" ? AUDIO_MIMES : VIDEO_MIMES;
      if (!mimes.includes(m[1].toLowerCase())) return bad(`${field}: unsupported ${kind} type ${m[1]}; use one of ${mimes.join(", ")}`);
      const max = kind === "image" ? MAX_IMAGE_DATA_URI : MAX_MEDIA_DATA_URI;
      if (v.length > max) return bad(`${field}: data URI too large (${v.length} bytes encoded; at most ${max / MB} MB)`);
      const payload = m[2].replace(/\s/g, "");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 === 1) return bad(`${field}: the data URI is not valid base64`);
      return { bytes: Buffer.from(payload, "base64") };
    }
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return bad(`${field} must be an HTTPS URL, a data URI or a storage_uri (ltx://uploads/...); got ${JSON.stringify(v.slice(0, 80))}`);
    }
    if (url.protocol !== "https:") return bad(`${field} must use HTTPS; got ${url.protocol.replace(/:$/, "")}`);
    if (/^\d+\.\d+\.\d+\.\d+$/.test(url.hostname) || url.hostname.startsWith("[")) {
      return bad(`${field}: URLs must use a domain name, not an IP address`);
    }
    return {};
  }

  /** Holds a sync request until its task is done (by the simulator clock, capped by real time). */
  private async waitDone(task: SimTask<LtxTaskInfo>): Promise<void> {
    const realDeadline = Date.now() + Math.max(0, task.doneAt - this.now());
    while (!this.closed && this.now() < task.doneAt && Date.now() < realDeadline) {
      await sleep(Math.min(25, Math.max(1, task.doneAt - this.now())));
    }
    if (this.now() < task.doneAt) task.doneAt = this.now();
    if (task.startedAt > task.doneAt) task.startedAt = task.doneAt;
    this.refresh(task);
  }

  private pollJob(endpoint: LtxEndpoint, id: string): SimResponse {
    const task = this.tasks.get(id);
    const notFound = () => this.errorResponse(404, "not_found_error", `Job ${id} not found`);
    if (!task || task.info.api !== "v2" || task.info.endpoint !== endpoint) return notFound();
    const phase = this.phase(task);
    if (this.resultExpired(task)) return notFound();
    const o: Record<string, unknown> = {
      id: task.id,
      status: phase === "queued" ? "pending" : phase === "running" ? "processing" : phase === "succeeded" ? "completed" : "failed",
      created_at: new Date(task.createdAt).toISOString(),
    };
    if (phase === "succeeded" || phase === "failed") o.completed_at = new Date(task.completedAt ?? task.doneAt).toISOString();
    if (phase === "succeeded") o.result = { video_url: task.resultUrl };
    if (phase === "failed") o.error = { type: task.failure?.code ?? "api_error", message: task.failure?.message ?? "Video generation failed" };
    return { status: 200, json: o };
  }
}

/** The media type of a file by its first bytes (the formats the input-formats page lists). */
function sniff(b: Buffer): string | undefined {
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from("89504e470d0a1a0a", "hex"))) return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WAVE") return "audio/wav";
  if (b.length >= 3 && b.toString("latin1", 0, 3) === "ID3") return "audio/mpeg";
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0) return "audio/mpeg";
  if (b.length >= 4 && b.toString("latin1", 0, 4) === "OggS") return "audio/ogg";
  if (b.length >= 8 && b.toString("latin1", 4, 8) === "ftyp") return "audio/mp4";
  return undefined;
}

/** True for an ISO media file (MP4 / MOV: "ftyp" at byte 4). */
function isMp4(b: Buffer): boolean {
  return b.length >= 12 && b.toString("latin1", 4, 8) === "ftyp";
}

/** Length, size and rate of video bytes by ffprobe, or undefined when they cannot be probed. */
async function probeVideoBytes(bytes: Buffer): Promise<{ duration: number; width: number; height: number; fps: number } | undefined> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "ltx-sim-video-"));
  try {
    const file = path.join(dir, "input.mp4");
    await fsp.writeFile(file, bytes);
    const p = await probeMp4(file);
    return Number.isFinite(p.duration) && p.duration > 0 && p.width > 0 ? { duration: p.duration, width: p.width, height: p.height, fps: p.fps || 24 } : undefined;
  } catch {
    return undefined;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Duration in seconds of media bytes by ffprobe, or undefined when they cannot be probed. */
async function probeBytes(bytes: Buffer): Promise<number | undefined> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "ltx-sim-audio-"));
  try {
    const file = path.join(dir, "input");
    await fsp.writeFile(file, bytes);
    const p = await probeMp4(file);
    return Number.isFinite(p.duration) && p.duration > 0 ? p.duration : undefined;
  } catch {
    return undefined;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Creates and starts an ltx simulator. */
export async function startLtxSimulator(opts: LtxSimulatorOptions = {}): Promise<LtxSimulator> {
  const sim = new LtxSimulator(opts);
  await sim.start();
  return sim;
}
