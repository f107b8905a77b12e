/**
 * Simulator of Bytecompute (bytecompute.ai), provider id `bytecompute`.
 *
 * Doc: shared/provider-docs/001_*.txt. All with `Authorization: Bearer <key>`:
 *   POST /v1/text-to-video, POST /v1/image-to-video   (model "Lightricks/LTX-2")
 *   POST /v1/jobs/{id}            job status
 *   POST /v1/jobs/{id}/download   the MP4 (409 before completion)
 * Resolution and duration are never rejected: they are adjusted (listed in `adjustments`,
 * null when nothing changed). Errors: `{"type":"error","error":{"type","message"}}`.
 * Billed per second of generated video ($0.02/s up to 921,600 px, $0.04/s above), charged
 * when a job completes (failed jobs are not billed). Jobs expire 24 h after creation (404).
 *
 * Neither the doc nor the public model page (https://bytecompute.ai/model/bytecompute/lightricks-ltx-2,
 * the same text) shows a job object, so these are guesses, no public shape to follow: the status
 * words other than "completed" (queued, running, failed), the job's fields (`id`, `cost`, `error`,
 * the shape of an adjustment), the error `type` words other than "not_found" (an empty balance is
 * a 400 `insufficient_balance`), and the 409 for a failed job's download. `oddAnswers` lets a test
 * answer with other shapes.
 */
import {
  SimulatorBase,
  isHttpUrl,
  isUploadedFile,
  parseBody,
  roundAmount,
  type RequestContext,
  type RequestKind,
  type SimResponse,
  type SimTask,
  type SimulatorOptions,
} from "./common";
import { randomUUID } from "node:crypto";

/** One parameter change reported in a job's `adjustments`. */
export interface BytecomputeAdjustment {
  /** "resolution" or "duration". */
  field: "resolution" | "duration";
  /** What was asked for. */
  requested: string | number;
  /** What will be generated. */
  adjusted: string | number;
  /** Why. */
  reason: string;
}

/** Service-specific data stored with each bytecompute job. */
export interface BytecomputeTaskInfo {
  /** "text-to-video" or "image-to-video". */
  type: "text-to-video" | "image-to-video";
  /** Output resolution WIDTHxHEIGHT (after adjustment). */
  resolution: string;
  /** Output duration in seconds (after adjustment). */
  duration: number;
  /** Frames per second. */
  fps: number;
  /** Adjustments made, or null. */
  adjustments: BytecomputeAdjustment[] | null;
  /** "sd" (<= 921,600 px) or "hd". */
  tier: "sd" | "hd";
  /** Cost in USD of the job once completed. */
  costUsd: number;
}

/** The model id the service accepts. */
export const BYTECOMPUTE_MODEL = "Lightricks/LTX-2";
/** Jobs (and their downloads) expire this long after creation. */
export const BYTECOMPUTE_JOB_TTL_MS = 24 * 3600 * 1000;

const MAX_LONG = 1920;
const MAX_SHORT = 1088;
const SD_MAX_PIXELS = 921_600;

/** Price of a bytecompute job: $0.02/s for <= 921,600 px, $0.04/s above. */
export function bytecomputeCost(width: number, height: number, durationS: number): { tier: "sd" | "hd"; usd: number } {
  const tier = width * height <= SD_MAX_PIXELS ? "sd" : "hd";
  return { tier, usd: roundAmount(durationS * (tier === "sd" ? 0.02 : 0.04)) };
}

/**
 * Fits a requested resolution into the GPU limits: scaled down (aspect kept) to at most
 * 1920x1088 (1088x1920 portrait), dimensions rounded down to multiples of 32 (min 64).
 */
export function bytecomputeFitResolution(w: number, h: number): { width: number; height: number } {
  const landscape = w >= h;
  const maxW = landscape ? MAX_LONG : MAX_SHORT;
  const maxH = landscape ? MAX_SHORT : MAX_LONG;
  const s = Math.min(1, maxW / w, maxH / h);
  const fit = (x: number) => Math.max(64, Math.floor((x * s) / 32) * 32);
  return { width: fit(w), height: fit(h) };
}

const TYPE_MAP: Record<string, string> = {
  invalid_request: "invalid_request_error",
  unauthorized: "authentication_error",
  rate_limited: "rate_limit_error",
  insufficient_credits: "insufficient_balance",
  expired: "not_found",
  internal_error: "internal_error",
  server_error: "api_error",
};

/** The bytecompute simulator. Create with {@link startBytecomputeSimulator}. */
export class BytecomputeSimulator extends SimulatorBase<BytecomputeTaskInfo> {
  /** Service id. */
  readonly service = "bytecompute";

  /** Answers sent as they are, instead of the next authorised request of a kind: the shapes a test wants the client to meet. */
  readonly oddAnswers: { on: RequestKind; answer: SimResponse }[] = [];

  /** Creates the simulator (not started). */
  constructor(opts: SimulatorOptions = {}) {
    super(opts);
    this.expiredUrlStatus = 404;
    // No 402 in the doc: lack of balance is reported as a 400 invalid-input error.
    this.insufficientCreditsStatus = 400;
    this.defaultFailure = { code: "generation_failed", message: "Internal failure during processing" };
  }

  /** Client base URL: `${url}` (paths are /v1/...). */
  get baseUrl(): string {
    return this.url;
  }

  /** Classifies requests for the fault plan. */
  protected classify(method: string, pathname: string): RequestKind[] {
    if (method !== "POST") return ["other"];
    if (pathname === "/v1/text-to-video" || pathname === "/v1/image-to-video") return ["submit"];
    if (/^\/v1\/jobs\/[^/]+\/download$/.test(pathname)) return ["download"];
    if (/^\/v1\/jobs\/[^/]+$/.test(pathname)) return ["poll"];
    return ["other"];
  }

  /** Error body in this service's shape. */
  protected errorResponse(status: number, type: string, message: string, headers?: Record<string, string>): SimResponse {
    if (type === "expired") message = message.includes("expired") ? message : `${message} (expired)`;
    return { status, headers, json: { type: "error", error: { type: TYPE_MAP[type] ?? type, message } } };
  }

  /** Expired job/URL: 404 not_found in the doc's wording. */
  protected expiredResponse(status?: number, message?: string): SimResponse {
    return this.errorResponse(status ?? 404, "not_found", message ?? "Job not found or has expired");
  }

  /** Routes one API request. */
  protected async route(ctx: RequestContext): Promise<SimResponse> {
    const { method, pathname } = ctx;
    const submitType =
      pathname === "/v1/text-to-video" ? "text-to-video" : pathname === "/v1/image-to-video" ? "image-to-video" : undefined;
    const dl = /^\/v1\/jobs\/([^/]+)\/download$/.exec(pathname);
    const job = /^\/v1\/jobs\/([^/]+)$/.exec(pathname);
    if (!submitType && !dl && !job) return this.errorResponse(404, "not_found", `No route for ${method} ${pathname}`);
    const authErr = this.checkBearer(ctx);
    if (authErr) return authErr;
    const odd = this.oddAnswers.findIndex((a) => this.classify(ctx.method, ctx.pathname).includes(a.on));
    if (odd >= 0) return this.oddAnswers.splice(odd, 1)[0].answer;
    if (method !== "POST") return this.errorResponse(405, "method_not_allowed", `Use POST for ${pathname}`);
    if (submitType) return this.submit(ctx, submitType);
    const id = decodeURIComponent((dl ?? job)![1]);
    const task = this.tasks.get(id);
    if (!task || this.now() > task.createdAt + BYTECOMPUTE_JOB_TTL_MS) {
      return this.errorResponse(404, "not_found", task ? `Job '${id}' not found (expired)` : `Job '${id}' not found`);
    }
    if (job) return { status: 200, json: this.jobObject(task) };
    const phase = this.phase(task);
    if (phase === "queued" || phase === "running") {
      return this.errorResponse(409, "conflict", `Job '${id}' is not complete (status: ${phase === "queued" ? "queued" : "running"})`);
    }
    if (phase === "failed") return this.errorResponse(409, "conflict", `Job '${id}' failed; there is no video to download`);
    return this.fileResponse(ctx, task, { "content-disposition": `attachment; filename="${id}.mp4"` });
  }

  private async submit(ctx: RequestContext, type: "text-to-video" | "image-to-video"): Promise<SimResponse> {
    const parsed = await parseBody(ctx.raw, ctx.contentType);
    const bad = (msg: string) => this.errorResponse(400, "invalid_request", msg);
    if (!parsed.ok) return bad(parsed.error);
    const body = parsed.value;
    const multipart = parsed.kind === "multipart";
    const num = (v: unknown): number | undefined | null => {
      if (v === undefined) return undefined;
      if (typeof v === "number" && Number.isFinite(v)) return v;
      if (multipart && typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
      return null;
    };
    if (body.model === undefined) return bad("missing required parameter: model");
    if (body.model !== BYTECOMPUTE_MODEL) return bad(`unsupported model '${String(body.model)}'; use "${BYTECOMPUTE_MODEL}"`);
    if (typeof body.prompt !== "string" || body.prompt.trim() === "") return bad("missing required parameter: prompt");
    const fps = num(body.fps) ?? 25;
    if (fps === null || (fps !== 25 && fps !== 50)) return bad("fps must be 25 or 50");
    const reqDuration = num(body.duration) ?? 5;
    if (reqDuration === null || reqDuration <= 0) return bad("duration must be a positive number of seconds");

    let defaultRes = "1280x704";
    if (type === "image-to-video") {
      const img = body.image;
      const uri = body.image_uri;
      if (img === undefined && uri === undefined) return bad("either image or image_uri must be provided");
      if (img !== undefined) {
        if (!isUploadedFile(img)) return bad("image must be an uploaded file (multipart/form-data); use image_uri for URLs");
        if (!/^image\/(png|jpe?g|webp)$/.test(img.type)) return bad(`unsupported image format '${img.type || "unknown"}'`);
      } else if (typeof uri === "string" && uri.startsWith("data:")) {
        const m = /^data:(image\/(png|jpe?g|webp));base64,([A-Za-z0-9+/=\s]+)$/.exec(uri);
        if (!m) return bad("unsupported image format in image_uri data URI (png, jpeg or webp, base64)");
        const dims = pngDims(Buffer.from(m[3], "base64"));
        if (dims) defaultRes = `${dims.width}x${dims.height}`;
      } else if (!isHttpUrl(uri)) {
        return bad("image_uri must be an http(s) URL or a base64 data URI");
      }
    }
    const resStr = body.resolution ?? defaultRes;
    const rm = typeof resStr === "string" ? /^(\d+)x(\d+)$/.exec(resStr) : null;
    if (!rm || Number(rm[1]) <= 0 || Number(rm[2]) <= 0) return bad("resolution must be WIDTHxHEIGHT, e.g. 1280x704");

    const adjustments: BytecomputeAdjustment[] = [];
    const fit = bytecomputeFitResolution(Number(rm[1]), Number(rm[2]));
    const resolution = `${fit.width}x${fit.height}`;
    if (resolution !== resStr) {
      adjustments.push({
        field: "resolution",
        requested: resStr as string,
        adjusted: resolution,
        reason: "resolution fitted to the GPU limit of 1920x1088 and multiples of 32",
      });
    }
    const duration = Math.min(10, Math.max(4, reqDuration));
    if (duration !== reqDuration) {
      adjustments.push({ field: "duration", requested: reqDuration, adjusted: duration, reason: "duration clamped to 4-10 seconds" });
    }
    const cost = bytecomputeCost(fit.width, fit.height, duration);
    const id = randomUUID();
    const task = this.createTask(
      ctx,
      id,
      { width: fit.width, height: fit.height, duration, fps },
      { type, resolution, duration, fps, adjustments: adjustments.length ? adjustments : null, tier: cost.tier, costUsd: cost.usd },
      body,
    );
    return { status: 200, json: this.jobObject(task) };
  }

  /** Completed jobs are billed per second; failed ones are not. */
  protected onTerminal(task: SimTask<BytecomputeTaskInfo>): void {
    if (!task.failure) this.charge(task.id, task.info.costUsd, "USD");
  }

  private jobObject(task: SimTask<BytecomputeTaskInfo>): Record<string, unknown> {
    const phase = this.phase(task);
    const status = phase === "succeeded" ? "completed" : phase;
    const terminal = phase === "succeeded" || phase === "failed";
    return {
      id: task.id,
      object: "job",
      model: BYTECOMPUTE_MODEL,
      type: task.info.type,
      status,
      created_at: new Date(task.createdAt).toISOString(),
      started_at: phase === "queued" ? null : new Date(task.startedAt).toISOString(),
      completed_at: terminal ? new Date(task.completedAt ?? task.doneAt).toISOString() : null,
      expires_at: new Date(task.createdAt + BYTECOMPUTE_JOB_TTL_MS).toISOString(),
      resolution: task.info.resolution,
      duration: task.info.duration,
      fps: task.info.fps,
      adjustments: task.info.adjustments,
      cost: { tier: task.info.tier, usd_per_second: task.info.tier === "sd" ? 0.02 : 0.04, amount_usd: task.info.costUsd },
      error: phase === "failed" && task.failure ? { type: task.failure.code, message: task.failure.message } : null,
    };
  }
}

/** Width/height from a PNG's IHDR chunk, if `buf` is a PNG. */
function pngDims(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length < 24 || buf.readUInt32BE(0) !== 0x89504e47 || buf.toString("ascii", 12, 16) !== "IHDR") return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Creates and starts a bytecompute simulator. */
export async function startBytecomputeSimulator(opts: SimulatorOptions = {}): Promise<BytecomputeSimulator> {
  const sim = new BytecomputeSimulator(opts);
  await sim.start();
  return sim;
}
