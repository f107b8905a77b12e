/**
 * Simulator of ltx-2api.com, provider id `ltx2api`.
 *
 * Doc: shared/provider-docs/002_*.txt. Base URL `https://ltx-2api.com`:
 *   POST /api/generate            (Bearer key required)
 *   GET  /api/status?task_id=...  (NO auth required; whether one was sent anyway is recorded)
 * Body shapes `{code,message,data}`; statuses PENDING / IN_PROGRESS / SUCCESS / FAILED; the
 * result is `data.response` (array of URLs). Credits = 20 + (d-5)*3.2 + 0/4/8 (480p/720p/1080p),
 * charged at submit and refunded when a task FAILS.
 * Errors in the envelope of the public errors page (https://ltx-2api.com/ltx-2-api-errors, read
 * 2026-12-02): `{"error":{"code","message","details"},"request_id":"req_..."}`, with its codes
 * (MISSING_API_KEY, INVALID_API_KEY, INVALID_PROMPT, INVALID_DURATION, INVALID_RESOLUTION,
 * INVALID_IMAGE_URL). Assumed (the page names none): INVALID_REQUEST, INVALID_ASPECT_RATIO,
 * TASK_NOT_FOUND, RATE_LIMIT_EXCEEDED, INTERNAL_ERROR, SERVICE_UNAVAILABLE, and, for lack of credits
 * (the page has no 402 and no such code), HTTP 400 INSUFFICIENT_CREDITS.
 */
import {
  SimulatorBase,
  isHttpUrl,
  isJsonInteger,
  randomId,
  roundAmount,
  type RequestContext,
  type RequestKind,
  type RequestRecord,
  type SimResponse,
  type SimTask,
  type SimulatorOptions,
} from "./common";

/** Service-specific data stored with each ltx2api task. */
export interface Ltx2apiTaskInfo {
  /** Credits consumed at submit. */
  credits: number;
  /** Request echo as reported by the status endpoint. */
  request: Record<string, unknown>;
}

const RESOLUTIONS = ["480p", "720p", "1080p"];
/** Codes for the common layer's error words (the errors page names none for these: assumed). */
const COMMON_CODES: Record<string, string> = {
  unauthorized: "INVALID_API_KEY",
  rate_limited: "RATE_LIMIT_EXCEEDED",
  internal_error: "INTERNAL_ERROR",
  insufficient_credits: "INSUFFICIENT_CREDITS",
  not_found: "NOT_FOUND",
  invalid_request: "INVALID_REQUEST",
  method_not_allowed: "METHOD_NOT_ALLOWED",
  payload_too_large: "INVALID_REQUEST",
};
const SIZE_16_9: Record<string, [number, number]> = { "480p": [854, 480], "720p": [1280, 720], "1080p": [1920, 1080] };

/** The doc's credit formula: 20 + (duration - 5) x 3.2, plus 4 at 720p or 8 at 1080p (rounded to 0.1). */
export function ltx2apiCredits(resolution: string, duration: number): number {
  const add = resolution === "1080p" ? 8 : resolution === "720p" ? 4 : 0;
  return Math.round((20 + (duration - 5) * 3.2 + add) * 10) / 10;
}

/** The ltx2api simulator. Create with {@link startLtx2apiSimulator}. */
export class Ltx2apiSimulator extends SimulatorBase<Ltx2apiTaskInfo> {
  /** Service id. */
  readonly service = "ltx2api";
  /**
   * What `consumed_credits` shows for a FAILED task: "zero" (default; the credits were refunded)
   * or "keep" (the amount originally consumed). The refund is recorded in `charges` either way.
   */
  refundReporting: "zero" | "keep" = "zero";

  /** Creates the simulator (not started). */
  constructor(opts: SimulatorOptions = {}) {
    super(opts);
    this.expiredUrlStatus = 403;
    // No 402 in the doc: lack of credits is answered with its 400 (bad request).
    this.insufficientCreditsStatus = 400;
    this.defaultFailure = { code: "GENERATION_FAILED", message: "Video generation failed, credits have been refunded" };
  }

  /** Client base URL: `${url}` (paths /api/generate, /api/status). */
  get baseUrl(): string {
    return this.url;
  }

  /** Status requests (GET /api/status) that carried an Authorization header although none is needed. */
  get statusRequestsWithAuth(): RequestRecord[] {
    return this.requests.filter((r) => r.path === "/api/status" && r.authPresent);
  }

  /** Classifies requests for the fault plan. */
  protected classify(method: string, pathname: string): RequestKind[] {
    if (method === "POST" && pathname === "/api/generate") return ["submit"];
    if (method === "GET" && pathname === "/api/status") return ["poll"];
    return ["other"];
  }

  /**
   * Error body in the errors page's envelope. `type` is an error code (upper case) or one of the
   * common layer's lower-case words, turned into a code here.
   */
  protected errorResponse(status: number, type: string, message: string, headers?: Record<string, string>): SimResponse {
    const code = /^[A-Z0-9_]+$/.test(type) ? type : (COMMON_CODES[type] ?? (status === 503 ? "SERVICE_UNAVAILABLE" : type.toUpperCase()));
    return {
      status,
      headers,
      json: { error: { code, message, details: { field: null, suggestion: null } }, request_id: `req_${randomId(12)}` },
    };
  }

  /** Routes one API request. */
  protected async route(ctx: RequestContext): Promise<SimResponse> {
    const { method, pathname } = ctx;
    if (pathname === "/api/generate") {
      const auth = ctx.req.headers.authorization;
      if (!auth) return this.errorResponse(401, "MISSING_API_KEY", "No API key was provided in the Authorization header.");
      if (auth !== `Bearer ${this.apiKey}`) return this.errorResponse(401, "INVALID_API_KEY", "The provided API key is invalid or has been revoked.");
      if (method !== "POST") return this.errorResponse(405, "method_not_allowed", "Method not allowed");
      return this.submit(ctx);
    }
    if (pathname === "/api/status") {
      if (method !== "GET") return this.errorResponse(405, "method_not_allowed", "Method not allowed");
      const id = ctx.query.get("task_id");
      if (!id) return this.errorResponse(400, "INVALID_REQUEST", "task_id is required");
      const task = this.tasks.get(id);
      if (!task) return this.errorResponse(404, "TASK_NOT_FOUND", "Task not found");
      return { status: 200, json: { code: 200, message: "success", data: this.statusData(task) } };
    }
    return this.errorResponse(404, "NOT_FOUND", `No route for ${method} ${pathname}`);
  }

  private submit(ctx: RequestContext): SimResponse {
    let body: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(ctx.raw.toString("utf8"));
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
      body = v as Record<string, unknown>;
    } catch {
      return this.errorResponse(400, "INVALID_REQUEST", "Request body must be a JSON object");
    }
    const bad = (code: string, msg: string) => this.errorResponse(400, code, msg);
    const prompt = body.prompt;
    if (typeof prompt !== "string" || prompt.trim() === "") return bad("INVALID_PROMPT", "The prompt is empty: prompt is required");
    if (prompt.length > 2000) return bad("INVALID_PROMPT", "The prompt is too long: at most 2000 characters");
    if (body.image !== undefined && body.image !== null && !isHttpUrl(body.image)) return bad("INVALID_IMAGE_URL", "image must be an image URL");
    const image = (body.image ?? undefined) as string | undefined;
    const resolution = body.resolution ?? "720p";
    if (typeof resolution !== "string" || !RESOLUTIONS.includes(resolution)) return bad("INVALID_RESOLUTION", "Resolution must be 480p, 720p or 1080p");
    const aspect = body.aspect_ratio ?? "16:9";
    if (aspect !== "16:9" && aspect !== "9:16") return bad("INVALID_ASPECT_RATIO", "aspect_ratio must be 16:9 or 9:16");
    const duration = body.duration ?? 5;
    if (!isJsonInteger(duration)) return bad("INVALID_DURATION", "Duration must be a whole number of seconds");
    if (duration < 5 || duration > 20) return bad("INVALID_DURATION", "Duration must be between 5 and 20 seconds");
    const seed = body.seed ?? -1;
    if (!isJsonInteger(seed)) return bad("INVALID_REQUEST", "seed must be an integer");

    const credits = ltx2apiCredits(resolution, duration);
    const [w, h] = SIZE_16_9[resolution];
    const portrait = !image && aspect === "9:16";
    const request: Record<string, unknown> = { prompt, resolution, duration };
    if (image) request.image = image;
    else request.aspect_ratio = aspect;
    if (body.seed !== undefined) request.seed = seed;
    const id = `n50${randomId(9)}ltx2`;
    const task = this.createTask(
      ctx,
      id,
      { width: portrait ? h : w, height: portrait ? w : h, duration, fps: 24 },
      { credits, request },
      body,
    );
    this.charge(id, credits, "credits");
    const data = this.statusData(task);
    return {
      status: 200,
      json: { code: 200, message: "success", data: { task_id: data.task_id, status: data.status, consumed_credits: data.consumed_credits } },
    };
  }

  /** Refund on failure, as the doc promises. */
  protected onTerminal(task: SimTask<Ltx2apiTaskInfo>): void {
    if (task.failure) this.refund(task.id);
  }

  private statusData(task: SimTask<Ltx2apiTaskInfo>): Record<string, unknown> & { task_id: string; status: string; consumed_credits: number } {
    const phase = this.phase(task);
    const status = phase === "queued" ? "PENDING" : phase === "running" ? "IN_PROGRESS" : phase === "succeeded" ? "SUCCESS" : "FAILED";
    const consumed = phase === "failed" && this.refundReporting === "zero" ? 0 : roundAmount(task.info.credits);
    return {
      task_id: task.id,
      status,
      consumed_credits: consumed,
      error_message: phase === "failed" ? task.failure?.message ?? "Generation failed" : null,
      created_at: new Date(task.createdAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      request: task.info.request,
      response: phase === "succeeded" ? [task.resultUrl] : [],
    };
  }
}

/** Creates and starts an ltx2api simulator. */
export async function startLtx2apiSimulator(opts: SimulatorOptions = {}): Promise<Ltx2apiSimulator> {
  const sim = new Ltx2apiSimulator(opts);
  await sim.start();
  return sim;
}
