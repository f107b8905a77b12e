/**
 * Simulator of "API in One" (apiin.one), provider id `apiinone`.
 *
 * Doc: shared/provider-docs/000_*.txt and the public model page https://apiin.one/model/ltx-2
 * (read 2026-12-02). Base URL `https://apiin.one/api/v1`:
 *   POST /api/v1/videos/generations   (Bearer key; model "ltx-2" | "grok-video" | "wan-2-6" | "kling-3")
 *     -> exactly the public page's answer: {"code":200,"message":"success","data":{"task_id":"n50..._ltx2","status":"IN_PROGRESS"}}
 *   GET  /api/v1/tasks/{task_id}      (Bearer key)
 * Not published, so assumed here (switchable to test a client's tolerance): the task answer has the
 * same envelope, `{code, message, data: {task_id, status, progress, consumed_credits, <video field>,
 * error: {code, message}, error_message}}`; status words PENDING / IN_PROGRESS / SUCCESS / FAILED
 * (`sim.statusWords`); the video URL in `data.video_url` (or `output` / `response` lists:
 * `sim.videoField`); errors `{code: <status>, message, data: null}`. `sim.shape` "weird" and "html"
 * answer with bodies no client can read.
 */
import {
  SimulatorBase,
  isHttpUrl,
  isJsonInteger,
  randomId,
  type RequestContext,
  type RequestKind,
  type SimResponse,
  type SimTask,
  type SimulatorOptions,
  type TaskPhase,
} from "./common";

/** Response shapes the apiinone simulator can answer with. */
export type ApiinoneShape =
  /** The public page's submit answer; the assumed `{code, message, data}` task answer. */
  | "public"
  /** 200 JSON with neither an id nor a status a client could recognise. */
  | "weird"
  /** 200 text/html (a CDN challenge page) instead of JSON. */
  | "html";

/** Where a finished task's video URL is put (all assumed): `video_url` (a URL), `output` or `response` (a list of URLs). */
export type ApiinoneVideoField = "video_url" | "output" | "response";

/** Status words reported for each task phase. */
export interface ApiinoneStatusWords {
  /** Waiting in the queue. */
  queued: string;
  /** Rendering. */
  running: string;
  /** Done with a video. */
  succeeded: string;
  /** Failed. */
  failed: string;
}

/** Service-specific data stored with each apiinone task. */
export interface ApiinoneTaskInfo {
  /** Model id as submitted. */
  model: string;
  /** Mode ("text-to-video", ...). */
  type: string;
  /** Credits charged. */
  credits: number;
  /** Resolution tier. */
  resolution: string;
}

/** Credit prices of the other models on the same endpoint (flat per video, from the doc). */
export const APIINONE_FLAT_MODEL_CREDITS: Record<string, number> = {
  "grok-video": 24,
  "wan-2-6": 80,
  "kling-3": 300,
};

const TYPES = ["text-to-video", "image-to-video", "lipsync", "control"];
const RESOLUTIONS = ["480p", "720p", "1080p"];
const RES_INDEX: Record<string, number> = { "480p": 0, "720p": 1, "1080p": 2 };
const SIZE_16_9: Record<string, [number, number]> = { "480p": [854, 480], "720p": [1280, 720], "1080p": [1920, 1080] };

/**
 * Credits the simulator charges for an ltx-2 video, fitted to the doc's per-mode ranges:
 * text/image-to-video 20 + (d-5)*3.2 + 0/4/8 (20-76); lipsync d*6.4/9.6/12.8 (32-256);
 * control d*12.8/19.2/25.6 (64-512). Rounded up to a whole credit.
 */
export function apiinoneLtxCredits(type: string, resolution: string, duration: number): number {
  const r = RES_INDEX[resolution] ?? 1;
  let c: number;
  if (type === "lipsync") c = duration * [6.4, 9.6, 12.8][r];
  else if (type === "control") c = duration * [12.8, 19.2, 25.6][r];
  else c = 20 + (duration - 5) * 3.2 + [0, 4, 8][r];
  return Math.ceil(Math.round(c * 1000) / 1000);
}

/** IN_PROGRESS is the public page's; the other words are assumed, in its upper case. */
const DEFAULT_WORDS: ApiinoneStatusWords = { queued: "PENDING", running: "IN_PROGRESS", succeeded: "SUCCESS", failed: "FAILED" };

/** The apiinone simulator. Create with {@link startApiinoneSimulator}. */
export class ApiinoneSimulator extends SimulatorBase<ApiinoneTaskInfo> {
  /** Service id. */
  readonly service = "apiinone";
  /** Response shape (mutable at any time). Default "public". */
  shape: ApiinoneShape = "public";
  /** Overrides of the status words (e.g. `{succeeded: "COMPLETED"}`). */
  statusWords: Partial<ApiinoneStatusWords> = {};
  /** Where the task answer puts the video URL (mutable). Default "video_url". */
  videoField: ApiinoneVideoField = "video_url";

  /** Creates the simulator (not started). */
  constructor(opts: SimulatorOptions = {}) {
    super(opts);
    this.expiredUrlStatus = 403;
    this.insufficientCreditsStatus = 402;
    this.defaultFailure = { code: "GENERATION_FAILED", message: "Video generation failed" };
  }

  /** Client base URL: `${url}/api/v1`. */
  get baseUrl(): string {
    return `${this.url}/api/v1`;
  }

  /** Classifies requests for the fault plan. */
  protected classify(method: string, pathname: string): RequestKind[] {
    if (method === "POST" && pathname === "/api/v1/videos/generations") return ["submit"];
    if (method === "GET" && pathname.startsWith("/api/v1/tasks/")) return ["poll"];
    return ["other"];
  }

  private words(): ApiinoneStatusWords {
    return { ...DEFAULT_WORDS, ...this.statusWords };
  }

  /** Error body in this service's shape. */
  protected errorResponse(status: number, _type: string, message: string, headers?: Record<string, string>): SimResponse {
    switch (this.shape) {
      case "weird":
        return { status, headers, json: { ok: false, e: status } };
      case "html":
        return { status, headers, contentType: "text/html; charset=utf-8", text: htmlPage(`Error ${status}`) };
      default:
        return { status, headers, json: { code: status, message, data: null } };
    }
  }

  /** Routes one API request. */
  protected async route(ctx: RequestContext): Promise<SimResponse> {
    const { method, pathname } = ctx;
    const isSubmit = pathname === "/api/v1/videos/generations";
    const isPoll = /^\/api\/v1\/tasks\/[^/]+$/.test(pathname);
    if (!isSubmit && !isPoll) return this.errorResponse(404, "not_found", `No route for ${method} ${pathname}`);
    const authErr = this.checkBearer(ctx);
    if (authErr) return authErr;
    if (isSubmit) {
      if (method !== "POST") return this.errorResponse(405, "method_not_allowed", "Use POST");
      return this.submit(ctx);
    }
    if (method !== "GET") return this.errorResponse(405, "method_not_allowed", "Use GET");
    const id = decodeURIComponent(pathname.slice("/api/v1/tasks/".length));
    const task = this.tasks.get(id);
    if (!task) return this.errorResponse(404, "not_found", `Task ${id} not found`);
    return this.taskResponse(task, false);
  }

  private async submit(ctx: RequestContext): Promise<SimResponse> {
    let body: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(ctx.raw.toString("utf8"));
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
      body = v as Record<string, unknown>;
    } catch {
      return this.errorResponse(400, "invalid_request", "Request body must be a JSON object");
    }
    const bad = (msg: string) => this.errorResponse(400, "invalid_request", msg);
    const model = body.model;
    if (typeof model !== "string" || model === "") return bad("model is required");
    if (model !== "ltx-2" && !(model in APIINONE_FLAT_MODEL_CREDITS)) return bad(`Unknown model: ${model}`);
    const type = body.type ?? "text-to-video";
    if (typeof type !== "string" || !TYPES.includes(type)) return bad(`type must be one of ${TYPES.join(", ")}`);
    if (model !== "ltx-2" && type !== "text-to-video" && type !== "image-to-video") {
      return bad(`type ${type} is not supported by model ${model}`);
    }
    const prompt = body.prompt;
    if (prompt !== undefined && typeof prompt !== "string") return bad("prompt must be a string");
    if ((type === "text-to-video" || type === "image-to-video") && (typeof prompt !== "string" || prompt.trim() === "")) {
      return bad(`prompt is required for ${type}`);
    }
    const resolution = body.resolution ?? "720p";
    if (typeof resolution !== "string" || !RESOLUTIONS.includes(resolution)) return bad("resolution must be 480p, 720p or 1080p");
    if (body.aspect_ratio !== undefined) {
      if (type !== "text-to-video") return bad("aspect_ratio is only supported for text-to-video");
      if (body.aspect_ratio !== "16:9" && body.aspect_ratio !== "9:16") return bad("aspect_ratio must be 16:9 or 9:16");
    }
    const aspect = (body.aspect_ratio as string | undefined) ?? "16:9";
    const inRange = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 5 && v <= 20;
    const duration = body.duration ?? 5;
    if (!inRange(duration)) return bad("duration must be a number from 5 to 20");
    if (body.seed !== undefined && !(isJsonInteger(body.seed) && body.seed >= -1)) return bad("seed must be an integer (-1 for random)");
    let outDuration = duration as number;
    if (type === "image-to-video" && !isHttpUrl(body.image)) return bad("image (URL) is required for image-to-video");
    if (type === "lipsync") {
      if (!isHttpUrl(body.audio)) return bad("audio (URL) is required for lipsync");
      if (body.audio_duration !== undefined && !inRange(body.audio_duration)) return bad("audio_duration must be from 5 to 20");
      outDuration = (body.audio_duration as number | undefined) ?? outDuration;
    }
    if (type === "control") {
      if (!isHttpUrl(body.video)) return bad("video (URL) is required for control");
      if (body.video_duration !== undefined && !inRange(body.video_duration)) return bad("video_duration must be from 5 to 20");
      if (body.mode !== undefined && !["pose", "depth", "canny"].includes(body.mode as string)) return bad("mode must be pose, depth or canny");
      if (body.audio_mode !== undefined && !["preserve", "generate", "none"].includes(body.audio_mode as string)) {
        return bad("audio_mode must be preserve, generate or none");
      }
      outDuration = (body.video_duration as number | undefined) ?? outDuration;
    }
    const credits = model === "ltx-2" ? apiinoneLtxCredits(type, resolution, outDuration) : APIINONE_FLAT_MODEL_CREDITS[model];
    const [w, h] = SIZE_16_9[resolution];
    const portrait = type === "text-to-video" && aspect === "9:16";
    const id = `n50${randomId(12)}_ltx2`;
    const task = this.createTask(
      ctx,
      id,
      { width: portrait ? h : w, height: portrait ? w : h, duration: outDuration, fps: 24 },
      { model, type, credits, resolution },
      body,
    );
    this.charge(id, credits, "credits");
    return this.taskResponse(task, true);
  }

  private taskResponse(task: SimTask<ApiinoneTaskInfo>, isSubmit: boolean): SimResponse {
    const phase: TaskPhase = this.phase(task);
    const status = this.words()[phase];
    const done = phase === "succeeded";
    const error = phase === "failed" && task.failure ? { code: task.failure.code, message: task.failure.message } : null;
    const progress = phase === "queued" ? 0 : phase === "running" ? 50 : 100;
    const completed = phase === "succeeded" || phase === "failed" ? task.completedAt ?? task.doneAt : null;
    switch (this.shape) {
      case "weird":
        return {
          status: 200,
          json: { ok: true, result: { ticket: Buffer.from(`${task.id}:${phase}`).toString("base64").split("").reverse().join(""), s: progress } },
        };
      case "html":
        return { status: 200, contentType: "text/html; charset=utf-8", text: htmlPage("Just a moment...") };
      default: {
        // The public page's submit answer, word for word.
        if (isSubmit) return { status: 200, json: { code: 200, message: "success", data: { task_id: task.id, status: "IN_PROGRESS" } } };
        const video = this.videoField === "video_url" ? (done ? task.resultUrl : null) : done ? [task.resultUrl] : [];
        return {
          status: 200,
          json: {
            code: 200,
            message: "success",
            data: {
              task_id: task.id,
              model: task.info.model,
              type: task.info.type,
              status,
              progress,
              consumed_credits: task.info.credits,
              [this.videoField]: video,
              error,
              error_message: error?.message ?? null,
              created_at: new Date(task.createdAt).toISOString(),
              completed_at: completed === null ? null : new Date(completed).toISOString(),
            },
          },
        };
      }
    }
  }
}

function htmlPage(title: string): string {
  return `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>Checking your browser before accessing apiin.one.</p></body></html>`;
}

/** Creates and starts an apiinone simulator. */
export async function startApiinoneSimulator(opts: SimulatorOptions = {}): Promise<ApiinoneSimulator> {
  const sim = new ApiinoneSimulator(opts);
  await sim.start();
  return sim;
}
