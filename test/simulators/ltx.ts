/**
 * Simulator of the LTX API (Lightricks, api.ltx.video), provider id `ltx`.
 *
 * Doc: shared/provider-docs/003_*.txt plus the quick-start note in shared/README.md.
 * Base URL `https://api.ltx.video/v1`, key sent as `Authorization: Bearer <LTX_API_KEY>`.
 *   POST /v1/generations/text-to-video | image-to-video | audio-to-video
 *        -> {id,status,video_url,duration,model,resolution,cost}
 *        `sim.mode` "async" (default): status "processing", poll GET /v1/generations/{id};
 *        "sync": the request is held for the render time and answers status "completed".
 *   GET  /v1/generations/{id}
 *   POST /v1/text-to-video, /v1/image-to-video (quick-start form, `image_uri`): held for the render
 *        time, then answers with the MP4 bytes (Content-Type video/mp4, header x-request-id).
 * Errors 400/401/402/413/422/429(Retry-After)/500/503, body `{"error":{"type","message"}}`.
 * Limits per key: 10 in-flight tasks and 100 API requests per minute; beyond them 429 with
 * Retry-After, counted in `sim.rateLimited`.
 */
import {
  SimulatorBase,
  isHttpUrl,
  isJsonInteger,
  isUploadedFile,
  parseBody,
  randomId,
  roundAmount,
  sleep,
  type RequestContext,
  type RequestKind,
  type SimResponse,
  type SimTask,
  type SimulatorOptions,
} from "./common";

/** LTX model ids. */
export type LtxModel = "ltx-2-fast" | "ltx-2-pro";

/** Service-specific data stored with each ltx generation. */
export interface LtxTaskInfo {
  /** Model used. */
  model: LtxModel;
  /** Resolution string, e.g. "1920x1080". */
  resolution: string;
  /** Duration in seconds. */
  duration: number;
  /** Frames per second. */
  fps: number;
  /** Cost in USD. */
  cost: number;
  /** Which endpoint created it. */
  endpoint: "text-to-video" | "image-to-video" | "audio-to-video";
  /** Whether it came through the quick-start MP4 form. */
  quickStart: boolean;
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

/** USD per second of video by model and resolution (the doc's price table). */
export const LTX_PRICES: Record<LtxModel, Record<string, number>> = {
  "ltx-2-fast": { "1920x1080": 0.02, "2560x1440": 0.04, "3840x2160": 0.08 },
  "ltx-2-pro": { "1920x1080": 0.05, "2560x1440": 0.1, "3840x2160": 0.2 },
};

/** Cost in USD of an LTX generation. */
export function ltxCost(model: LtxModel, resolution: string, durationS: number): number {
  return roundAmount(LTX_PRICES[model][resolution] * durationS);
}

const MODELS: LtxModel[] = ["ltx-2-fast", "ltx-2-pro"];
const RESOLUTIONS = ["1920x1080", "2560x1440", "3840x2160"];
const IMAGE_EXT = ["jpg", "jpeg", "png", "webp", "gif"];
const AUDIO_EXT = ["mp3", "wav", "ogg", "m4a", "aac"];
const IMAGE_MIME = ["image/jpeg", "image/jpg", "image/png", "image/webp", "image/gif"];
const AUDIO_MIME = ["audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave", "audio/ogg", "audio/mp4", "audio/m4a", "audio/x-m4a", "audio/aac"];
const MAX_IMAGE = 20 * 1024 * 1024;
const MAX_AUDIO = 50 * 1024 * 1024;

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "insufficient_credits",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "file_too_large",
  422: "invalid_file_format",
  429: "rate_limit_error",
  500: "internal_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
};

/** The ltx simulator. Create with {@link startLtxSimulator}. */
export class LtxSimulator extends SimulatorBase<LtxTaskInfo> {
  /** Service id. */
  readonly service = "ltx";
  /** How /v1/generations/* answer: "async" (processing, then poll) or "sync" (held, then completed). */
  mode: "async" | "sync" = "async";
  /** Per-key limits (mutable). */
  limits = { concurrent: 10, perMinute: 100 };
  /** Number of 429s sent because a limit was hit (fault-plan 429s are not counted). */
  rateLimited = 0;
  /** Details of each limit 429. */
  rateLimitEvents: LtxRateLimitEvent[] = [];
  /** Highest number of in-flight generations seen at any accepted submit (including it). */
  maxInFlight = 0;
  private readonly windowStarts: number[] = [];

  /** Creates the simulator (not started). */
  constructor(opts: SimulatorOptions = {}) {
    super(opts);
    this.expiredUrlStatus = 403;
    this.insufficientCreditsStatus = 402;
    this.defaultFailure = { code: "generation_failed", message: "Video generation failed" };
  }

  /** Client base URL: `${url}/v1`. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Generations currently in flight (submitted, not yet finished). */
  get inFlight(): number {
    const t = this.now();
    let n = 0;
    for (const task of this.tasks.values()) if (t < task.doneAt) n++;
    return n;
  }

  /** Classifies requests for the fault plan. */
  protected classify(method: string, pathname: string): RequestKind[] {
    if (method === "POST" && /^\/v1\/generations\/(text|image|audio)-to-video$/.test(pathname)) return ["submit"];
    if (method === "POST" && (pathname === "/v1/text-to-video" || pathname === "/v1/image-to-video")) return ["submit", "download"];
    if (method === "GET" && /^\/v1\/generations\/[^/]+$/.test(pathname)) return ["poll"];
    return ["other"];
  }

  /** Error body in this service's shape. */
  protected errorResponse(status: number, type: string, message: string, headers?: Record<string, string>): SimResponse {
    const t = type === "expired" ? "url_expired" : TYPE_BY_STATUS[status] ?? type;
    return { status, headers, json: { error: { type: t, message } } };
  }

  /** Routes one API request. */
  protected async route(ctx: RequestContext): Promise<SimResponse> {
    const { method, pathname } = ctx;
    const gen = /^\/v1\/generations\/(text-to-video|image-to-video|audio-to-video)$/.exec(pathname);
    const quick = /^\/v1\/(text-to-video|image-to-video)$/.exec(pathname);
    const poll = !gen && /^\/v1\/generations\/([^/]+)$/.exec(pathname);
    if (!gen && !quick && !poll) return this.errorResponse(404, "not_found", `No route for ${method} ${pathname}`);
    const authErr = this.checkBearer(ctx);
    if (authErr) return authErr;
    const limited = this.checkPerMinute(ctx);
    if (limited) return limited;
    if (poll) {
      if (method !== "GET") return this.errorResponse(405, "method_not_allowed", "Use GET");
      const task = this.tasks.get(decodeURIComponent(poll[1]));
      if (!task) return this.errorResponse(404, "not_found", `Generation ${poll[1]} not found`);
      return { status: 200, json: this.generationObject(task) };
    }
    if (method !== "POST") return this.errorResponse(405, "method_not_allowed", "Use POST");
    const endpoint = (gen ? gen[1] : quick![1]) as LtxTaskInfo["endpoint"];
    return this.submit(ctx, endpoint, !!quick);
  }

  private checkPerMinute(ctx: RequestContext): SimResponse | undefined {
    const t = this.now();
    while (this.windowStarts.length && this.windowStarts[0] <= t - 60_000) this.windowStarts.shift();
    if (this.windowStarts.length >= this.limits.perMinute) {
      const retry = Math.max(1, Math.ceil((this.windowStarts[0] + 60_000 - t) / 1000));
      return this.limit429("per-minute", retry, ctx, `Rate limit exceeded: ${this.limits.perMinute} requests per minute`);
    }
    this.windowStarts.push(t);
    return undefined;
  }

  private limit429(reason: LtxRateLimitEvent["reason"], retryAfterS: number, ctx: RequestContext, message: string): SimResponse {
    this.rateLimited++;
    this.rateLimitEvents.push({ reason, retryAfterS, path: ctx.pathname, at: this.now() });
    return this.errorResponse(429, "rate_limited", message, { "retry-after": String(retryAfterS) });
  }

  private async submit(ctx: RequestContext, endpoint: LtxTaskInfo["endpoint"], quickStart: boolean): Promise<SimResponse> {
    const parsed = await parseBody(ctx.raw, ctx.contentType);
    const bad = (msg: string) => this.errorResponse(400, "invalid_request", msg);
    if (!parsed.ok) return bad(parsed.error);
    const body = parsed.value;
    const multipart = parsed.kind === "multipart";
    const int = (v: unknown): number | undefined | null => {
      if (v === undefined) return undefined;
      if (isJsonInteger(v)) return v;
      if (multipart && typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
      return null;
    };
    if (typeof body.prompt !== "string" || body.prompt.trim() === "") return bad("prompt is required");
    const model = (body.model ?? (endpoint === "audio-to-video" ? "ltx-2-pro" : "ltx-2-fast")) as LtxModel;
    if (!MODELS.includes(model)) return bad(`invalid model '${String(body.model)}' (ltx-2-fast or ltx-2-pro)`);
    const resolution = body.resolution ?? "1920x1080";
    if (typeof resolution !== "string" || !RESOLUTIONS.includes(resolution)) {
      return bad(`invalid resolution '${String(resolution)}' (1920x1080, 2560x1440 or 3840x2160)`);
    }
    const fps = int(body.fps) ?? 25;
    if (fps !== 25 && fps !== 50) return bad("fps must be 25 or 50");
    const seed = int(body.seed);
    if (seed === null) return bad("seed must be an integer");
    const duration = int(body.duration) ?? 6;
    if (duration === null) return bad("duration must be an integer number of seconds");
    let maxD = 10;
    if (endpoint === "text-to-video" && model === "ltx-2-fast" && resolution === "1920x1080" && fps === 25) maxD = 20;
    if (duration < 6 || duration > maxD) {
      return bad(`duration ${duration} out of range for ${model} ${endpoint} at ${resolution}/${fps}fps (6-${maxD} seconds)`);
    }
    if (endpoint === "image-to-video") {
      const field = quickStart ? "image_uri" : "image";
      const err = this.checkMedia(body[field], field, IMAGE_EXT, IMAGE_MIME, MAX_IMAGE, quickStart);
      if (err) return err;
    }
    if (endpoint === "audio-to-video") {
      if (model !== "ltx-2-pro") return bad("audio-to-video supports only ltx-2-pro");
      if (resolution !== "1920x1080") return bad("audio-to-video supports only 1920x1080");
      const err = this.checkMedia(body.audio, "audio", AUDIO_EXT, AUDIO_MIME, MAX_AUDIO, false);
      if (err) return err;
    }

    // Concurrency limit (10 in-flight generations per key).
    const inFlight = this.inFlight;
    if (inFlight >= this.limits.concurrent) {
      const t = this.now();
      let soonest = Infinity;
      for (const task of this.tasks.values()) if (task.doneAt > t) soonest = Math.min(soonest, task.doneAt);
      const retry = Math.max(1, Math.ceil((soonest - t) / 1000));
      return this.limit429("concurrency", retry, ctx, `Too many concurrent requests: at most ${this.limits.concurrent} in flight`);
    }
    this.maxInFlight = Math.max(this.maxInFlight, inFlight + 1);

    const [w, h] = resolution.split("x").map(Number);
    const cost = ltxCost(model, resolution, duration);
    const id = quickStart ? `req_${randomId(20)}` : `gen_${randomId(20)}`;
    const task = this.createTask(
      ctx,
      id,
      { width: w, height: h, duration, fps },
      { model, resolution, duration, fps, cost, endpoint, quickStart },
      body,
    );
    this.charge(id, cost, "USD");

    if (quickStart) {
      await this.waitDone(task);
      if (task.failure) {
        return this.errorResponse(500, "internal_error", `${task.failure.code}: ${task.failure.message}`, { "x-request-id": id });
      }
      return this.fileResponse(ctx, task, { "x-request-id": id });
    }
    if (this.mode === "sync") {
      await this.waitDone(task);
      return { status: 200, json: this.generationObject(task) };
    }
    return { status: 200, json: { ...this.generationObject(task), status: "processing", video_url: null } };
  }

  private checkMedia(
    v: unknown,
    field: string,
    exts: string[],
    mimes: string[],
    maxBytes: number,
    urlOnly: boolean,
  ): SimResponse | undefined {
    const kind = exts === IMAGE_EXT ? "image" : "audio";
    if (v === undefined || v === null || v === "") return this.errorResponse(400, "invalid_request", `${field} is required`);
    if (isUploadedFile(v)) {
      if (urlOnly) return this.errorResponse(400, "invalid_request", `${field} must be a URL or data URI`);
      if (v.size > maxBytes) return this.errorResponse(413, "file_too_large", `${kind} file too large (max ${maxBytes / 1024 / 1024}MB)`);
      const ext = v.filename.split(".").pop()?.toLowerCase() ?? "";
      if (!mimes.includes(v.type.toLowerCase()) && !exts.includes(ext)) {
        return this.errorResponse(422, "invalid_file_format", `unsupported ${kind} format (${exts.join(", ")})`);
      }
      return undefined;
    }
    if (typeof v !== "string") return this.errorResponse(400, "invalid_request", `${field} must be a file or URL`);
    if (v.startsWith("data:")) {
      const m = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(v);
      if (!m) return this.errorResponse(400, "invalid_request", `${field} is a malformed data URI`);
      if (!mimes.includes(m[1].toLowerCase())) {
        return this.errorResponse(422, "invalid_file_format", `unsupported ${kind} format '${m[1]}' (${exts.join(", ")})`);
      }
      const payload = m[3].replace(/\s/g, "");
      const bytes = m[2] ? Math.floor((payload.length * 3) / 4) - (payload.endsWith("==") ? 2 : payload.endsWith("=") ? 1 : 0) : payload.length;
      if (bytes > maxBytes) return this.errorResponse(413, "file_too_large", `${kind} file too large (max ${maxBytes / 1024 / 1024}MB)`);
      return undefined;
    }
    if (!isHttpUrl(v)) return this.errorResponse(400, "invalid_request", `${field} must be a file, an http(s) URL or a data URI`);
    const last = new URL(v).pathname.split("/").pop() ?? "";
    if (last.includes(".")) {
      const ext = last.split(".").pop()!.toLowerCase();
      if (!exts.includes(ext)) return this.errorResponse(422, "invalid_file_format", `unsupported ${kind} format '.${ext}' (${exts.join(", ")})`);
    }
    return undefined;
  }

  /** Holds a sync request until its task is done (by the simulator clock, capped by real time). */
  private async waitDone(task: SimTask<LtxTaskInfo>): Promise<void> {
    const realDeadline = Date.now() + Math.max(0, task.doneAt - this.now());
    while (this.now() < task.doneAt && Date.now() < realDeadline) {
      await sleep(Math.min(25, Math.max(1, task.doneAt - this.now())));
    }
    if (this.now() < task.doneAt) task.doneAt = this.now();
    this.refresh(task);
  }

  private generationObject(task: SimTask<LtxTaskInfo>): Record<string, unknown> {
    const phase = this.phase(task);
    const status = phase === "succeeded" ? "completed" : phase === "failed" ? "failed" : "processing";
    const o: Record<string, unknown> = {
      id: task.id,
      status,
      video_url: phase === "succeeded" ? task.resultUrl : null,
      duration: task.info.duration,
      model: task.info.model,
      resolution: task.info.resolution,
      cost: task.info.cost,
    };
    if (phase === "failed" && task.failure) o.error = { type: task.failure.code, message: task.failure.message };
    return o;
  }
}

/** Creates and starts an ltx simulator. */
export async function startLtxSimulator(opts: SimulatorOptions = {}): Promise<LtxSimulator> {
  const sim = new LtxSimulator(opts);
  await sim.start();
  return sim;
}
