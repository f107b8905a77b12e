/**
 * Simulator of APIXO (api.apixo.ai), provider id `apixo`.
 *
 * Doc: shared/provider-docs/004_*.txt. Base URL `https://api.apixo.ai/api/v1`, Bearer key on every call:
 *   POST /api/v1/generateTask/ltx-2-19b   {request_type:"async"|"callback", callback_url?, input:{...}}
 *        -> {code:200,message:"success",data:{taskId}}
 *   GET  /api/v1/statusTask/ltx-2-19b?taskId=...
 *        -> {code,message,data:{taskId,state,resultJson?,failCode?,failMsg?,createTime,completeTime?,costTime?}}
 * States pending / processing / success / failed; `resultJson` is a JSON STRING with `resultUrls`.
 * Errors `{code,message,data:{error}}` with the same HTTP status (400/401/402/403/404/429/500/502/503/504):
 * the doc shows no error body; this is the envelope of the public error-codes page
 * (https://apixo.ai/docs/api-reference/error-codes: `{"code":400,"message":"Invalid request",
 * "data":{"error":"Missing required field: input.prompt"}}`), used for every status (its only
 * example is a 400), with a short title in `message` and the detail in `data.error`.
 * Billed per second by resolution and base vs LoRA mode, charged at submit (the doc promises no refund).
 * Result URLs are kept 15 days, then answer 410.
 */
import {
  SimulatorBase,
  isHttpUrl,
  isJsonInteger,
  randomId,
  roundAmount,
  type RequestContext,
  type RequestKind,
  type SimResponse,
  type SimTask,
  type SimulatorOptions,
} from "./common";

/** APIXO generation modes. */
export type ApixoMode = "text-to-video" | "image-to-video" | "text-to-video-LoRA" | "image-to-video-LoRA";

/** Service-specific data stored with each apixo task. */
export interface ApixoTaskInfo {
  /** Mode. */
  mode: ApixoMode;
  /** Resolution tier. */
  resolution: string;
  /** Duration in seconds. */
  duration: number;
  /** Cost in USD. */
  cost: number;
  /** Callback URL when request_type is "callback". */
  callbackUrl?: string;
}

/** A webhook delivery attempted by the simulator (`sim.callbacks`). */
export interface ApixoCallbackRecord {
  /** Where it was POSTed. */
  url: string;
  /** The JSON payload. */
  payload: unknown;
  /** HTTP status the receiver answered, if it answered. */
  status?: number;
  /** Network error, if any. */
  error?: string;
  /** Simulator clock time. */
  at: number;
}

/** The doc's failure codes. */
export const APIXO_FAIL_CODES = [
  "SensitiveContent",
  "InputOutputSensitiveContentDetected",
  "PromptInvalid",
  "ImageFormatIncorrect",
  "InvalidImageSize",
  "ImageNotAccess",
  "RateLimited",
  "Timeout",
  "Unknown error",
] as const;

/** USD per second: [base, LoRA] by resolution (the doc's billing table). */
export const APIXO_PRICES: Record<string, { base: number; lora: number }> = {
  "480p": { base: 0.012, lora: 0.015 },
  "720p": { base: 0.016, lora: 0.02 },
  "1080p": { base: 0.024, lora: 0.03 },
};

/** Cost in USD of an APIXO task: duration x per-second price of (resolution, base|LoRA). */
export function apixoCost(mode: ApixoMode, resolution: string, durationS: number): number {
  const p = APIXO_PRICES[resolution];
  return roundAmount(durationS * (mode.endsWith("-LoRA") ? p.lora : p.base));
}

const MODEL = "ltx-2-19b";
const MODES: ApixoMode[] = ["text-to-video", "image-to-video", "text-to-video-LoRA", "image-to-video-LoRA"];
const RESOLUTIONS = ["480p", "720p", "1080p"];
/** `message` of an error answer by status ("Invalid request" is the error-codes page's; the others are assumed). */
const ERROR_TITLES: Record<number, string> = {
  400: "Invalid request",
  401: "Unauthorized",
  402: "Insufficient balance",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  410: "Gone",
  413: "Payload too large",
  422: "Invalid request",
  429: "Too many requests",
  500: "Server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};
const SIZE_16_9: Record<string, [number, number]> = { "480p": [854, 480], "720p": [1280, 720], "1080p": [1920, 1080] };

/** The apixo simulator. Create with {@link startApixoSimulator}. */
export class ApixoSimulator extends SimulatorBase<ApixoTaskInfo> {
  /** Service id. */
  readonly service = "apixo";
  /** Accept http:// (not only https://) callback URLs, for tests with a local receiver. Default false. */
  allowInsecureCallbacks = false;
  /** Webhook deliveries attempted. */
  callbacks: ApixoCallbackRecord[] = [];

  /** Answers sent as they are, instead of the next authorised request of a kind: the shapes a test wants the client to meet. */
  readonly oddAnswers: { on: RequestKind; answer: SimResponse }[] = [];

  /** Creates the simulator (not started). */
  constructor(opts: SimulatorOptions = {}) {
    super(opts);
    this.expiredUrlStatus = 410;
    this.insufficientCreditsStatus = 402;
    this.defaultFailure = { code: "SensitiveContent", message: "Content violates provider policy, please adjust the prompt" };
    this.resultTtlMs = 15 * 24 * 3600 * 1000;
  }

  /** Client base URL: `${url}/api/v1`. */
  get baseUrl(): string {
    return `${this.url}/api/v1`;
  }

  /** Classifies requests for the fault plan. */
  protected classify(method: string, pathname: string): RequestKind[] {
    if (method === "POST" && pathname.startsWith("/api/v1/generateTask/")) return ["submit"];
    if (method === "GET" && pathname.startsWith("/api/v1/statusTask/")) return ["poll"];
    return ["other"];
  }

  /** Error body in the error-codes page's shape: a title in `message`, the detail in `data.error`. */
  protected errorResponse(status: number, _type: string, message: string, headers?: Record<string, string>): SimResponse {
    return { status, headers, json: { code: status, message: ERROR_TITLES[status] ?? "Error", data: { error: message } } };
  }

  /** Routes one API request. */
  protected async route(ctx: RequestContext): Promise<SimResponse> {
    const { method, pathname } = ctx;
    const gen = /^\/api\/v1\/generateTask\/([^/]+)$/.exec(pathname);
    const stat = /^\/api\/v1\/statusTask\/([^/]+)$/.exec(pathname);
    if (!gen && !stat) return this.errorResponse(404, "not_found", "Not found");
    const authErr = this.checkBearer(ctx);
    if (authErr) return authErr;
    const odd = this.oddAnswers.findIndex((a) => this.classify(ctx.method, ctx.pathname).includes(a.on));
    if (odd >= 0) return this.oddAnswers.splice(odd, 1)[0].answer;
    const model = decodeURIComponent((gen ?? stat)![1]);
    if (model !== MODEL) return this.errorResponse(404, "not_found", `Model ${model} not found`);
    if (gen) {
      if (method !== "POST") return this.errorResponse(405, "method_not_allowed", "Method not allowed");
      return this.submit(ctx);
    }
    if (method !== "GET") return this.errorResponse(405, "method_not_allowed", "Method not allowed");
    const taskId = ctx.query.get("taskId");
    if (!taskId) return this.errorResponse(400, "invalid_request", "taskId is required");
    const task = this.tasks.get(taskId);
    if (!task) return this.errorResponse(404, "not_found", "Task not found");
    return { status: 200, json: { code: 200, message: "success", data: this.statusData(task) } };
  }

  private submit(ctx: RequestContext): SimResponse {
    const bad = (msg: string) => this.errorResponse(400, "invalid_request", msg);
    if (!ctx.contentType.toLowerCase().startsWith("application/json")) return bad("Content-Type must be application/json");
    let body: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(ctx.raw.toString("utf8"));
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
      body = v as Record<string, unknown>;
    } catch {
      return bad("Invalid request body: must be a JSON object");
    }
    const requestType = body.request_type ?? "async";
    if (requestType !== "async" && requestType !== "callback") return bad("request_type must be async or callback");
    let callbackUrl: string | undefined;
    if (requestType === "callback") {
      const cb = body.callback_url;
      if (!isHttpUrl(cb)) return bad("callback_url is required when request_type is callback");
      if (!cb.startsWith("https://") && !this.allowInsecureCallbacks) return bad("callback_url must be a public HTTPS endpoint");
      callbackUrl = cb;
    }
    const input = body.input;
    if (!input || typeof input !== "object" || Array.isArray(input)) return bad("missing input");
    const inp = input as Record<string, unknown>;
    const mode = inp.mode;
    if (mode === undefined) return bad("missing mode");
    if (typeof mode !== "string" || !MODES.includes(mode as ApixoMode)) return bad(`invalid mode: must be one of ${MODES.join(", ")}`);
    const m = mode as ApixoMode;
    if (inp.prompt === undefined) return bad("missing prompt");
    if (typeof inp.prompt !== "string" || inp.prompt.length === 0) return bad("invalid prompt: must be a non-empty string");
    if (inp.prompt.length > 5000) return bad("invalid prompt: cannot exceed 5000 characters");
    if (typeof inp.resolution !== "string" || !RESOLUTIONS.includes(inp.resolution)) return bad("invalid resolution: must be 480p, 720p or 1080p");
    const d = inp.duration;
    if (!isJsonInteger(d)) return bad("invalid duration: must be a JSON integer from 5 through 20");
    if (d < 5 || d > 20) return bad("invalid duration: must be from 5 through 20");
    const imageMode = m.startsWith("image-to-video");
    if (imageMode) {
      const urls = inp.image_urls;
      if (!Array.isArray(urls) || urls.length !== 1 || typeof urls[0] !== "string" || urls[0] === "") {
        return bad("invalid image_urls: image-to-video modes require an array with exactly 1 string URL");
      }
    }
    if (inp.aspect_ratio !== undefined && inp.aspect_ratio !== "16:9" && inp.aspect_ratio !== "9:16") {
      return bad("invalid aspect_ratio: must be 16:9 or 9:16");
    }
    if (inp.seed !== undefined) {
      const s = inp.seed;
      if (!isJsonInteger(s) || !(s === -1 || (s >= 1 && s <= 2147483647))) return bad("invalid seed: must be -1 or from 1 through 2147483647");
    }
    if (inp.loras !== undefined) {
      const l = inp.loras;
      if (!Array.isArray(l)) return bad("invalid loras: must be an array");
      if (l.length > 3) return bad("invalid loras: at most 3 items");
      for (const item of l) {
        if (!item || typeof item !== "object") return bad("invalid loras: each item needs path and scale");
        const it = item as Record<string, unknown>;
        if (typeof it.path !== "string" || it.path === "") return bad("invalid loras: path must be a non-empty string");
        if (typeof it.scale !== "number" || !Number.isFinite(it.scale) || it.scale < 0 || it.scale > 4) {
          return bad("invalid loras: scale must be a number from 0.0 through 4.0");
        }
      }
    }
    const [w, h] = SIZE_16_9[inp.resolution];
    const portrait = !imageMode && inp.aspect_ratio === "9:16";
    const cost = apixoCost(m, inp.resolution, d);
    const id = `task_${randomId(16)}`;
    this.createTask(
      ctx,
      id,
      { width: portrait ? h : w, height: portrait ? w : h, duration: d, fps: 24 },
      { mode: m, resolution: inp.resolution, duration: d, cost, callbackUrl },
      body,
    );
    this.charge(id, cost, "USD");
    return { status: 200, json: { code: 200, message: "success", data: { taskId: id } } };
  }

  /** Delivers the webhook for callback tasks. */
  protected onTerminal(task: SimTask<ApixoTaskInfo>): void {
    const url = task.info.callbackUrl;
    if (!url) return;
    const payload = { code: 200, message: "success", data: this.statusData(task) };
    const rec: ApixoCallbackRecord = { url, payload, at: this.now() };
    this.callbacks.push(rec);
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) })
      .then(async (r) => {
        rec.status = r.status;
        await r.arrayBuffer().catch(() => undefined);
      })
      .catch((e: unknown) => {
        rec.error = (e as Error).message;
      });
  }

  private statusData(task: SimTask<ApixoTaskInfo>): Record<string, unknown> {
    const phase = this.phase(task);
    const data: Record<string, unknown> = { taskId: task.id };
    if (phase === "queued" || phase === "running") {
      data.state = phase === "queued" ? "pending" : "processing";
      data.createTime = task.createdAt;
      return data;
    }
    const complete = task.completedAt ?? task.doneAt;
    if (phase === "succeeded") {
      data.state = "success";
      data.resultJson = JSON.stringify({ resultUrls: [task.resultUrl] });
      data.createTime = task.createdAt;
      data.completeTime = complete;
      data.costTime = complete - task.createdAt;
    } else {
      data.state = "failed";
      data.failCode = task.failure?.code ?? "Unknown error";
      data.failMsg = task.failure?.message ?? "Provider returned an unmapped failure";
      data.createTime = task.createdAt;
      data.completeTime = complete;
    }
    return data;
  }
}

/** Creates and starts an apixo simulator. */
export async function startApixoSimulator(opts: SimulatorOptions = {}): Promise<ApixoSimulator> {
  const sim = new ApixoSimulator(opts);
  await sim.start();
  return sim;
}
