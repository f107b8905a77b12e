/**
 * Shared machinery for the HTTP simulators of the five LTX-2 cloud APIs.
 *
 * Each simulator is a real `node:http` server on 127.0.0.1 (random port) that
 * speaks one provider's documented protocol. This module provides what they all
 * share: option defaults, the fault plan, request/submission/charge records, a
 * task clock, real MP4 results rendered with ffmpeg (cached on disk), result-file
 * serving (with Range and HEAD support) and response writing (including the
 * dropped / truncated / hung variants used by the fault plan).
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Options accepted by every simulator factory. */
export interface SimulatorOptions {
  /** The only API key the simulator accepts (sent as `Authorization: Bearer <key>`). Default "test-key". */
  apiKey?: string;
  /** Artificial latency added before every response, in ms. Default 0. */
  latencyMs?: number;
  /** Time from submit until a task is done, in ms. Default 200. The first quarter is reported as "queued". */
  renderMs?: number;
  /** ffmpeg binary used to render result videos. Default `process.env.FFMPEG_PATH || "ffmpeg"`. */
  ffmpegPath?: string;
  /**
   * Render result videos at a quarter of the requested width and height (duration and fps unchanged).
   * For benchmarks that ask for 1440p/4K and do not inspect the frames. Default false.
   */
  shrinkVideos?: boolean;
  /**
   * Answer every request with `Connection: close` and close the socket after it, as an HTTP/1.0
   * server or a proxy that does no keep-alive would. Default false (keep-alive).
   */
  closeConnections?: boolean;
}

/** The kinds of injectable faults. */
export type FaultKind =
  /** 429, with `Retry-After: retryAfterS` when `retryAfterS` is set, without the header otherwise. */
  | "rate-limit"
  /** `status` (500 | 502 | 503 | 504, default 500) in the service's error shape. */
  | "server-error"
  /** Headers and part of the body are written, then the socket is destroyed. */
  | "drop-connection"
  /** A result download sends half the bytes with the full Content-Length, then closes the socket. */
  | "truncate-download"
  /** The next created task fails, with the service's failure vocabulary (`code`, `message`). */
  | "fail-task"
  /** A result download answers as expired (403/404/410 by service, or `status`). */
  | "expired-url"
  /** Submit refused for lack of credits (402 where the doc has it, else the closest documented error). */
  | "insufficient-credits"
  /** 401 in the service's error shape. */
  | "unauthorized"
  /** The request is never answered; the socket is held open `hangMs` (default 60000) and then destroyed. */
  | "poll-hang"
  /** Any status (`status`, default 500) in the service's error shape, with `code` as error type and `message`. */
  | "http-error";

/** Which request type a fault targets. */
export type FaultTarget = "submit" | "poll" | "download" | "any";

/** The type of a request as the simulator classifies it. */
export type RequestKind = "submit" | "poll" | "download" | "other";

/** One entry of a simulator's fault plan (`sim.faults.push(...)`). */
export interface Fault {
  /** What goes wrong. */
  kind: FaultKind;
  /** How many matching requests it affects before it is used up (then removed from `sim.faults`). */
  count: number;
  /**
   * Which requests it applies to. Default "any", except "poll-hang" (default "poll").
   * "fail-task" and "insufficient-credits" only ever apply to submits; "truncate-download" and
   * "expired-url" only to result downloads.
   */
  on?: FaultTarget;
  /** rate-limit: value of the Retry-After header, in seconds (omitted: no header). */
  retryAfterS?: number;
  /** server-error / expired-url / http-error: the HTTP status to answer with. */
  status?: number;
  /** fail-task: the failure code; http-error: the error type. Defaults are per service. */
  code?: string;
  /** fail-task / http-error / any error kind: the human-readable message. */
  message?: string;
  /** poll-hang: how long the socket is held open before it is destroyed, in ms (default 60000). */
  hangMs?: number;
  /**
   * drop-connection: destroy the socket as soon as the request is read, before it is processed
   * (nothing is written, and a submit creates no task). Default false: the request IS processed
   * (a submit creates its task) and the response is cut off midway.
   */
  atStart?: boolean;
}

/** A fault that fired, as recorded in `sim.faultsFired`. */
export interface FaultFiredRecord {
  /** The fault kind. */
  kind: FaultKind;
  /** HTTP method of the affected request. */
  method: string;
  /** Path (without query) of the affected request. */
  path: string;
  /** Simulator clock time (ms since epoch). */
  at: number;
}

/** A record of one HTTP request received (`sim.requests`). */
export interface RequestRecord {
  /** HTTP method. */
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path with the query string. */
  url: string;
  /** How the simulator classified the request. */
  kinds: RequestKind[];
  /** Whether an Authorization header was present. */
  authPresent: boolean;
  /** The Authorization header value, if any. */
  authorization?: string;
  /** Status code sent; null while unanswered; 0 when no status line was ever sent (dropped at start / hung). */
  status: number | null;
  /** Set when the response was deliberately broken by a fault. */
  interrupted?: "dropped" | "truncated" | "hung";
  /** Simulator clock time when the request arrived. */
  at: number;
}

/** One Authorization header seen (`sim.authSeen`), with where it was sent. */
export interface AuthRecord {
  /** The full header value, e.g. "Bearer test-key". */
  value: string;
  /** HTTP method of the request that carried it. */
  method: string;
  /** Path (without query) of the request that carried it. */
  path: string;
}

/** An accepted submission (`sim.submissions`). */
export interface SubmissionRecord {
  /** The id of the task it created. */
  taskId: string;
  /** The parsed request body (JSON, or multipart fields with files summarised as {filename,type,size}). */
  body: unknown;
  /** The request path it was submitted to. */
  path: string;
  /** Simulator clock time. */
  at: number;
}

/** A charge made for a task (`sim.charges`). */
export interface ChargeRecord {
  /** Task charged. */
  taskId: string;
  /** Amount charged. */
  amount: number;
  /** "credits" or "USD". */
  unit: "credits" | "USD";
  /** Whether the charge was refunded (only services whose doc promises refunds do this). */
  refunded: boolean;
  /** Simulator clock time of the charge. */
  at: number;
}

/** The rendered video a task produces. */
export interface VideoSpec {
  /** Width in pixels (rounded up to even for yuv420p). */
  width: number;
  /** Height in pixels (rounded up to even for yuv420p). */
  height: number;
  /** Duration in seconds. */
  duration: number;
  /** Frames per second. */
  fps: number;
}

/** Phase of a task derived from the simulator clock. */
export type TaskPhase = "queued" | "running" | "succeeded" | "failed";

/** A task held by a simulator. `info` carries service-specific data. */
export interface SimTask<I = Record<string, unknown>> {
  /** Task / job / generation id as the service reports it. */
  id: string;
  /** Creation time (simulator clock). */
  createdAt: number;
  /** Time the task leaves the queue. */
  startedAt: number;
  /** Time the task reaches its terminal state. */
  doneAt: number;
  /** Set once the terminal state has been observed/processed. */
  completedAt?: number;
  /** Failure to report when done (from a "fail-task" fault). */
  failure?: { code: string; message: string };
  /** Video to serve on success. */
  video: VideoSpec;
  /** URL of the result file on this server. */
  resultUrl: string;
  /** Service-specific data (request echo, price, ...). */
  info: I;
}

/** A response produced by a route handler, written by the common layer. */
export interface SimResponse {
  /** HTTP status. */
  status: number;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** JSON body (serialised with Content-Type application/json). */
  json?: unknown;
  /** Text body. */
  text?: string;
  /** Binary body. */
  body?: Buffer;
  /** Content-Type for `text` / `body`. */
  contentType?: string;
  /** For HEAD requests: write headers (with the Content-Length of `body`) but no body. */
  headOnly?: boolean;
}

/** A request as handed to route handlers. */
export interface RequestContext {
  /** The raw request. */
  req: http.IncomingMessage;
  /** HTTP method (upper case). */
  method: string;
  /** Path without query. */
  pathname: string;
  /** Parsed query string. */
  query: URLSearchParams;
  /** Request kinds as classified. */
  kinds: RequestKind[];
  /** Raw body bytes. */
  raw: Buffer;
  /** Lower-cased Content-Type header ("" if none). */
  contentType: string;
  /** The request record (status filled in on response). */
  record: RequestRecord;
}

/** A parsed request body. */
export type ParsedBody =
  | { ok: true; kind: "json" | "multipart" | "empty"; value: Record<string, unknown> }
  | { ok: false; error: string };

/** A multipart file part as summarised by {@link parseBody}. */
export interface UploadedFile {
  /** Marker. */
  file: true;
  /** Original file name. */
  filename: string;
  /** MIME type as sent. */
  type: string;
  /** Size in bytes. */
  size: number;
}

const PRE_HANDLER_KINDS: FaultKind[] = [
  "rate-limit",
  "server-error",
  "drop-connection",
  "expired-url",
  "insufficient-credits",
  "unauthorized",
  "poll-hang",
  "http-error",
];

/** Sleep helper. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** A random lower-case alphanumeric string of `n` characters. */
export function randomId(n: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(n);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

/** Rounds a money/credit amount to 4 decimals, removing floating-point noise. */
export function roundAmount(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** Whether `v` is a JSON integer (a number without fraction, not a numeric string). */
export function isJsonInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** Whether `v` is an absolute http(s) URL. */
export function isHttpUrl(v: unknown): v is string {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** Parses a body as JSON or multipart/form-data (files summarised as {@link UploadedFile}). */
export async function parseBody(raw: Buffer, contentType: string): Promise<ParsedBody> {
  if (raw.length === 0) return { ok: true, kind: "empty", value: {} };
  if (contentType.toLowerCase().startsWith("multipart/form-data")) {
    try {
      const form = await new Request("http://sim.local/", {
        method: "POST",
        headers: { "content-type": contentType },
        body: new Uint8Array(raw),
      }).formData();
      const value: Record<string, unknown> = {};
      form.forEach((v, k) => {
        if (typeof v === "string") value[k] = v;
        else {
          const f: UploadedFile = { file: true, filename: v.name, type: v.type, size: v.size };
          value[k] = f;
        }
      });
      return { ok: true, kind: "multipart", value };
    } catch (e) {
      return { ok: false, error: `malformed multipart body: ${(e as Error).message}` };
    }
  }
  try {
    const v: unknown = JSON.parse(raw.toString("utf8"));
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      return { ok: false, error: "request body must be a JSON object" };
    }
    return { ok: true, kind: "json", value: v as Record<string, unknown> };
  } catch {
    return { ok: false, error: "request body is not valid JSON" };
  }
}

/** Whether a parsed body value is an uploaded multipart file. */
export function isUploadedFile(v: unknown): v is UploadedFile {
  return typeof v === "object" && v !== null && (v as { file?: unknown }).file === true;
}

// ---------------------------------------------------------------------------
// Video rendering (ffmpeg), cached on disk per (w, h, duration, fps)
// ---------------------------------------------------------------------------

const VIDEO_DIR = path.join(os.tmpdir(), "ltx-batch-sim-videos");
const videoCache = new Map<string, Promise<string>>();
let ffmpegRunning = 0;
const ffmpegWaiters: Array<() => void> = [];
const FFMPEG_PARALLEL = Math.max(1, Math.min(2, os.cpus().length));

async function withFfmpegSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (ffmpegRunning >= FFMPEG_PARALLEL) await new Promise<void>((r) => ffmpegWaiters.push(r));
  ffmpegRunning++;
  try {
    return await fn();
  } finally {
    ffmpegRunning--;
    ffmpegWaiters.shift()?.();
  }
}

function runFfmpeg(ffmpegPath: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.length > 8000) err = err.slice(-8000);
    });
    p.on("error", reject);
    p.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg exited with ${code}: ${err.trim()}`));
    });
  });
}

/** Rounds a dimension up to an even number of at least 2 (needed by yuv420p). */
export function evenDim(n: number): number {
  const r = Math.max(2, Math.round(n));
  return r % 2 === 0 ? r : r + 1;
}

/**
 * Renders (or returns from cache) a small MP4 with a testsrc2 picture and a sine tone:
 * H.264 (libx264 ultrafast, yuv420p) + AAC, of the given size, duration and fps.
 * Returns the absolute path of the file. Safe to call concurrently.
 */
export function ensureVideo(spec: VideoSpec, ffmpegPath: string): Promise<string> {
  const w = evenDim(spec.width);
  const h = evenDim(spec.height);
  const key = `${w}x${h}_${spec.duration}s_${spec.fps}fps`;
  const cached = videoCache.get(key);
  if (cached) return cached;
  const file = path.join(VIDEO_DIR, `${key}.mp4`);
  const p = (async () => {
    await fsp.mkdir(VIDEO_DIR, { recursive: true });
    try {
      const st = await fsp.stat(file);
      if (st.size > 0) return file;
    } catch {
      // not cached on disk yet
    }
    const tmp = `${file}.${process.pid}.${randomId(6)}.tmp.mp4`;
    await withFfmpegSlot(() =>
      runFfmpeg(ffmpegPath, [
        "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", `testsrc2=size=${w}x${h}:rate=${spec.fps}:duration=${spec.duration}`,
        "-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${spec.duration}`,
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "35", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k", "-shortest", "-movflags", "+faststart",
        tmp,
      ]),
    );
    await fsp.rename(tmp, file);
    return file;
  })();
  videoCache.set(key, p);
  p.catch(() => videoCache.delete(key));
  return p;
}

/** Result of {@link probeMp4}. */
export interface ProbeResult {
  /** Container duration in seconds. */
  duration: number;
  /** Video width. */
  width: number;
  /** Video height. */
  height: number;
  /** Video frame rate (frames per second). */
  fps: number;
  /** Whether an audio stream is present. */
  hasAudio: boolean;
}

/** Probes a video file with ffprobe (`process.env.FFPROBE_PATH || "ffprobe"` unless given). */
export async function probeMp4(file: string, ffprobePath = process.env.FFPROBE_PATH || "ffprobe"): Promise<ProbeResult> {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(ffprobePath, [
      "-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height,r_frame_rate",
      "-of", "json", file,
    ]);
    let so = "";
    let se = "";
    p.stdout.on("data", (d: Buffer) => (so += d.toString()));
    p.stderr.on("data", (d: Buffer) => (se += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(so) : reject(new Error(`ffprobe failed: ${se.trim()}`))));
  });
  const j = JSON.parse(out) as {
    format?: { duration?: string };
    streams?: Array<{ codec_type?: string; width?: number; height?: number; r_frame_rate?: string }>;
  };
  const v = j.streams?.find((s) => s.codec_type === "video");
  const [num, den] = (v?.r_frame_rate ?? "0/1").split("/").map(Number);
  return {
    duration: Number(j.format?.duration ?? NaN),
    width: v?.width ?? 0,
    height: v?.height ?? 0,
    fps: den ? num / den : 0,
    hasAudio: !!j.streams?.some((s) => s.codec_type === "audio"),
  };
}

// ---------------------------------------------------------------------------
// Simulator base class
// ---------------------------------------------------------------------------

/**
 * Base class of all simulators. Subclasses implement {@link classify}, {@link route} and
 * {@link errorResponse}; everything else (server, faults, records, clock, files) lives here.
 */
export abstract class SimulatorBase<I = Record<string, unknown>> {
  /** Service id (apiinone, bytecompute, ltx2api, ltx, apixo). */
  abstract readonly service: string;
  /** The accepted API key (mutable). */
  apiKey: string;
  /** Latency added before every response, ms (mutable). */
  latencyMs: number;
  /** Render time for tasks created from now on, ms (mutable; 0 = done immediately). */
  renderMs: number;
  /** ffmpeg binary. */
  ffmpegPath: string;
  /** Render videos at quarter size (see {@link SimulatorOptions.shrinkVideos}). */
  shrinkVideos: boolean;
  /** Answer with `Connection: close` (see {@link SimulatorOptions.closeConnections}). */
  closeConnections: boolean;
  /** Whether result files honour `Range: bytes=a-b` (206). Default true. */
  supportRanges = true;

  /** The fault plan: push entries at any time; each is removed when used up. */
  faults: Fault[] = [];
  /** Faults that fired, in order. */
  faultsFired: FaultFiredRecord[] = [];
  /** Accepted submissions, in order. */
  submissions: SubmissionRecord[] = [];
  /** Every request received, in order. */
  requests: RequestRecord[] = [];
  /** Every Authorization header received, with where it went. */
  authSeen: AuthRecord[] = [];
  /** Tasks by id. */
  readonly tasks = new Map<string, SimTask<I>>();

  /** Offset added to Date.now() by the default clock; see {@link advance}. */
  clockOffsetMs = 0;
  /** The simulator clock (ms since epoch). Replace it to control time completely. */
  now: () => number = () => Date.now() + this.clockOffsetMs;

  /** Server URL (`http://127.0.0.1:<port>`), set by {@link start}. */
  url = "";

  /** Status used for "expired-url" faults and naturally expired results (403/404/410). */
  protected expiredUrlStatus = 403;
  /** Status used for "insufficient-credits" faults. */
  protected insufficientCreditsStatus = 402;
  /** Default failure code/message for "fail-task" faults. */
  protected defaultFailure = { code: "generation_failed", message: "Video generation failed" };
  /** If set, result files expire this long after task completion (served as expired). */
  protected resultTtlMs: number | undefined = undefined;

  protected readonly chargeList: ChargeRecord[] = [];
  private server: http.Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();

  /** Creates a simulator with option defaults applied. */
  constructor(opts: SimulatorOptions = {}) {
    this.apiKey = opts.apiKey ?? "test-key";
    this.latencyMs = opts.latencyMs ?? 0;
    this.renderMs = opts.renderMs ?? 200;
    this.ffmpegPath = opts.ffmpegPath ?? (process.env.FFMPEG_PATH || "ffmpeg");
    this.shrinkVideos = opts.shrinkVideos ?? false;
    this.closeConnections = opts.closeConnections ?? false;
  }

  /** The base URL a client should be configured with (service specific). */
  abstract get baseUrl(): string;

  /** Charges made so far (task terminal states are refreshed first, so refunds are current). */
  get charges(): ChargeRecord[] {
    this.refreshAll();
    return this.chargeList;
  }

  /** Moves the default clock forward by `ms` (tasks progress, rate windows slide, results expire). */
  advance(ms: number): void {
    this.clockOffsetMs += ms;
    this.refreshAll();
  }

  /** Makes every unfinished task finish now (the clock hook for tests). */
  finishAll(): void {
    const t = this.now();
    for (const task of this.tasks.values()) {
      if (task.completedAt === undefined && task.doneAt > t) {
        task.startedAt = Math.min(task.startedAt, t);
        task.doneAt = t;
      }
    }
    this.refreshAll();
  }

  /** Clears records (requests, submissions, authSeen, faultsFired) but keeps tasks and charges. */
  resetRecords(): void {
    this.requests.length = 0;
    this.submissions.length = 0;
    this.authSeen.length = 0;
    this.faultsFired.length = 0;
  }

  /** Starts listening on 127.0.0.1 with a random port. */
  async start(): Promise<{ url: string }> {
    if (this.server) return { url: this.url };
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        try {
          if (!res.headersSent) {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(`simulator crashed: ${(e as Error).stack ?? e}`);
          } else res.destroy();
        } catch {
          // ignore
        }
      });
    });
    server.keepAliveTimeout = 5000;
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}`;
    return { url: this.url };
  }

  /** Stops the server, dropping open (including hung) connections and timers. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    server.closeAllConnections();
    await closed;
  }

  // ----- to implement -----

  /** Classifies a request (which fault targets it can match). `/files/...` is handled by the base. */
  protected abstract classify(method: string, pathname: string): RequestKind[];
  /** Handles an API request (auth has not been checked: call {@link checkBearer}). */
  protected abstract route(ctx: RequestContext): Promise<SimResponse> | SimResponse;
  /** Builds an error response in the service's documented shape. */
  protected abstract errorResponse(status: number, type: string, message: string, headers?: Record<string, string>): SimResponse;
  /** Called once when a task reaches its terminal state (charges, refunds, callbacks). */
  protected onTerminal(_task: SimTask<I>): void {
    // default: nothing
  }

  // ----- helpers for subclasses -----

  /** Returns a 401 response unless the request carries `Authorization: Bearer <apiKey>`. */
  protected checkBearer(ctx: RequestContext): SimResponse | undefined {
    const h = ctx.req.headers.authorization;
    if (!h) return this.errorResponse(401, "unauthorized", "Missing API key: send Authorization: Bearer <key>");
    if (h !== `Bearer ${this.apiKey}`) return this.errorResponse(401, "unauthorized", "Invalid API key");
    return undefined;
  }

  /** Takes (and consumes) the first fault in the plan of one of `kinds` matching request `reqKinds`. */
  protected takeFault(reqKinds: RequestKind[], kinds: FaultKind[], method = "", pathname = ""): Fault | undefined {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i];
      if (!kinds.includes(f.kind) || !(f.count > 0) || !faultApplies(f, reqKinds)) continue;
      f.count--;
      if (f.count <= 0) this.faults.splice(i, 1);
      this.faultsFired.push({ kind: f.kind, method, path: pathname, at: this.now() });
      return f;
    }
    return undefined;
  }

  /**
   * Creates a task: consumes a "fail-task" fault, records the submission, schedules completion
   * and starts rendering its video in the background.
   */
  protected createTask(ctx: RequestContext, id: string, video: VideoSpec, info: I, body: unknown): SimTask<I> {
    const t = this.now();
    const fail = this.takeFault(ctx.kinds, ["fail-task"], ctx.method, ctx.pathname);
    const render = Math.max(0, this.renderMs);
    const task: SimTask<I> = {
      id,
      createdAt: t,
      startedAt: t + Math.floor(render / 4),
      doneAt: t + render,
      video,
      resultUrl: `${this.url}/files/${encodeURIComponent(id)}.mp4`,
      info,
    };
    if (fail) {
      task.failure = {
        code: fail.code ?? this.defaultFailure.code,
        message: fail.message ?? this.defaultFailure.message,
      };
    } else {
      this.videoFile(task).catch(() => undefined);
    }
    this.tasks.set(id, task);
    this.submissions.push({ taskId: id, body, path: ctx.pathname, at: t });
    // Terminal processing (refunds, callbacks) happens on first observation or on this timer,
    // never inside createTask, so callers can record the task's charge first.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.refresh(task);
    }, render + 5);
    timer.unref();
    this.timers.add(timer);
    return task;
  }

  /** Current phase of a task (processes the terminal transition on first observation). */
  protected phase(task: SimTask<I>): TaskPhase {
    this.refresh(task);
    const t = this.now();
    if (t >= task.doneAt) return task.failure ? "failed" : "succeeded";
    if (t >= task.startedAt) return "running";
    return "queued";
  }

  /** Processes the terminal transition of `task` if it is due. */
  protected refresh(task: SimTask<I>): void {
    if (task.completedAt !== undefined) return;
    if (this.now() < task.doneAt) return;
    task.completedAt = Math.max(task.doneAt, task.createdAt);
    this.onTerminal(task);
  }

  /** Refreshes every task. */
  protected refreshAll(): void {
    for (const task of this.tasks.values()) this.refresh(task);
  }

  /** Records a charge for a task. */
  protected charge(taskId: string, amount: number, unit: "credits" | "USD"): ChargeRecord {
    const c: ChargeRecord = { taskId, amount: roundAmount(amount), unit, refunded: false, at: this.now() };
    this.chargeList.push(c);
    return c;
  }

  /** Marks the charges of a task refunded. */
  protected refund(taskId: string): void {
    for (const c of this.chargeList) if (c.taskId === taskId) c.refunded = true;
  }

  /** Path of the rendered video of a task (rendering it if needed). */
  protected videoFile(task: SimTask<I>): Promise<string> {
    const v = task.video;
    const spec = this.shrinkVideos
      ? { ...v, width: evenDim(v.width / 4), height: evenDim(v.height / 4) }
      : { ...v, width: evenDim(v.width), height: evenDim(v.height) };
    return ensureVideo(spec, this.ffmpegPath);
  }

  /** Whether the result of a task has outlived {@link resultTtlMs}. */
  protected resultExpired(task: SimTask<I>): boolean {
    return this.resultTtlMs !== undefined && task.completedAt !== undefined && this.now() > task.completedAt + this.resultTtlMs;
  }

  /** An "expired result" error response. */
  protected expiredResponse(status?: number, message?: string): SimResponse {
    return this.errorResponse(status ?? this.expiredUrlStatus, "expired", message ?? "The result URL has expired");
  }

  /** A 200/206 MP4 response for a finished task's video, honouring Range and HEAD. */
  protected async fileResponse(ctx: RequestContext, task: SimTask<I>, headers: Record<string, string> = {}): Promise<SimResponse> {
    let file: string;
    try {
      file = await this.videoFile(task);
    } catch (e) {
      return this.errorResponse(500, "internal_error", `could not render the result video: ${(e as Error).message}`);
    }
    const data = await fsp.readFile(file);
    const range = ctx.req.headers.range;
    const head = ctx.method === "HEAD";
    const base = { ...headers, "accept-ranges": this.supportRanges ? "bytes" : "none" };
    if (range && this.supportRanges) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m && (m[1] !== "" || m[2] !== "")) {
        let start: number;
        let end: number;
        if (m[1] === "") {
          start = Math.max(0, data.length - Number(m[2]));
          end = data.length - 1;
        } else {
          start = Number(m[1]);
          end = m[2] === "" ? data.length - 1 : Math.min(Number(m[2]), data.length - 1);
        }
        if (start >= data.length || start > end) {
          return { status: 416, headers: { ...base, "content-range": `bytes */${data.length}` }, text: "" };
        }
        return {
          status: 206,
          headers: { ...base, "content-range": `bytes ${start}-${end}/${data.length}` },
          body: data.subarray(start, end + 1),
          contentType: "video/mp4",
          headOnly: head,
        };
      }
    }
    return { status: 200, headers: base, body: data, contentType: "video/mp4", headOnly: head };
  }

  // ----- request handling -----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const u = new URL(req.url ?? "/", "http://sim.local");
    const pathname = u.pathname;
    const isFile = pathname.startsWith("/files/");
    const kinds: RequestKind[] = isFile ? ["download"] : this.classify(method, pathname);
    const authorization = req.headers.authorization;
    const record: RequestRecord = {
      method,
      path: pathname,
      url: req.url ?? "/",
      kinds,
      authPresent: authorization !== undefined,
      authorization,
      status: null,
      at: this.now(),
    };
    this.requests.push(record);
    if (authorization !== undefined) this.authSeen.push({ value: authorization, method, path: pathname });

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size <= 120 * 1024 * 1024) chunks.push(c as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const ctx: RequestContext = {
      req,
      method,
      pathname,
      query: u.searchParams,
      kinds,
      raw,
      // As sent: a multipart boundary is case-sensitive (RFC 2046), only the media type is not.
      contentType: String(req.headers["content-type"] ?? ""),
      record,
    };

    if (this.latencyMs > 0) await sleep(this.latencyMs);

    const fault = this.takeFault(kinds, PRE_HANDLER_KINDS, method, pathname);
    let dropAfter = false;
    if (fault) {
      switch (fault.kind) {
        case "poll-hang": {
          record.status = 0;
          record.interrupted = "hung";
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            res.socket?.destroy();
          }, fault.hangMs ?? 60000);
          this.timers.add(timer);
          res.on("close", () => {
            clearTimeout(timer);
            this.timers.delete(timer);
          });
          return;
        }
        case "drop-connection":
          if (fault.atStart) {
            record.status = 0;
            record.interrupted = "dropped";
            res.socket?.destroy();
            return;
          }
          dropAfter = true;
          break;
        default:
          this.send(res, record, this.faultResponse(fault));
          return;
      }
    }

    let resp: SimResponse;
    if (size > 120 * 1024 * 1024) {
      resp = this.errorResponse(413, "payload_too_large", "Request body too large");
    } else if (isFile) {
      resp = await this.serveFile(ctx);
    } else {
      resp = await this.route(ctx);
    }

    let truncate = false;
    if (!dropAfter && resp.body && resp.status >= 200 && resp.status < 300 && !resp.headOnly && kinds.includes("download")) {
      truncate = !!this.takeFault(kinds, ["truncate-download"], method, pathname);
    }
    this.send(res, record, resp, dropAfter ? "drop" : truncate ? "truncate" : undefined);
  }

  private async serveFile(ctx: RequestContext): Promise<SimResponse> {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return this.errorResponse(405, "method_not_allowed", "Method not allowed");
    const m = /^\/files\/([^/]+)\.mp4$/.exec(ctx.pathname);
    const task = m ? this.tasks.get(decodeURIComponent(m[1])) : undefined;
    if (!task) return this.errorResponse(404, "not_found", "File not found");
    if (this.phase(task) !== "succeeded") return this.errorResponse(404, "not_found", "File not found");
    if (this.resultExpired(task)) return this.expiredResponse();
    return this.fileResponse(ctx, task);
  }

  /** Response for a pre-handler fault, in the service's error shape. */
  protected faultResponse(f: Fault): SimResponse {
    switch (f.kind) {
      case "rate-limit":
        return this.errorResponse(
          429,
          "rate_limited",
          f.message ?? "Rate limit exceeded, slow down",
          f.retryAfterS !== undefined ? { "retry-after": String(f.retryAfterS) } : undefined,
        );
      case "server-error": {
        const status = f.status ?? 500;
        const msg =
          status === 502 ? "Bad gateway" : status === 503 ? "Service temporarily unavailable" : status === 504 ? "Gateway timeout" : "Internal server error";
        return this.errorResponse(status, status === 500 ? "internal_error" : "server_error", f.message ?? msg);
      }
      case "unauthorized":
        return this.errorResponse(401, "unauthorized", f.message ?? "Invalid API key");
      case "insufficient-credits":
        return this.errorResponse(this.insufficientCreditsStatus, "insufficient_credits", f.message ?? "Insufficient credits");
      case "expired-url":
        return this.expiredResponse(f.status, f.message);
      case "http-error":
      default:
        return this.errorResponse(f.status ?? 500, f.code ?? "error", f.message ?? "Error");
    }
  }

  private send(res: http.ServerResponse, record: RequestRecord, resp: SimResponse, mode?: "drop" | "truncate"): void {
    let body: Buffer;
    let contentType = resp.contentType;
    if (resp.json !== undefined) {
      body = Buffer.from(JSON.stringify(resp.json));
      contentType = contentType ?? "application/json; charset=utf-8";
    } else if (resp.text !== undefined) {
      body = Buffer.from(resp.text);
      contentType = contentType ?? "text/plain; charset=utf-8";
    } else {
      body = resp.body ?? Buffer.alloc(0);
    }
    const headers: Record<string, string> = { ...(resp.headers ?? {}) };
    if (contentType) headers["content-type"] = contentType;
    headers["content-length"] = String(body.length);
    if (this.closeConnections) headers["connection"] = "close";
    record.status = resp.status;
    if (res.destroyed || res.socket?.destroyed) {
      record.interrupted = "dropped";
      return;
    }
    if (mode === "drop" || mode === "truncate") {
      record.interrupted = mode === "drop" ? "dropped" : "truncated";
      res.writeHead(resp.status, headers);
      const part = body.subarray(0, Math.floor(body.length / 2));
      const finish = () => {
        if (mode === "drop") res.socket?.destroy();
        else res.socket?.end();
      };
      if (part.length > 0) res.write(part, finish);
      else {
        res.flushHeaders();
        setImmediate(finish);
      }
      return;
    }
    res.writeHead(resp.status, headers);
    if (resp.headOnly) res.end();
    else res.end(body);
  }
}

/** Whether fault `f` can apply to a request of kinds `reqKinds`. */
function faultApplies(f: Fault, reqKinds: RequestKind[]): boolean {
  const target = f.on ?? (f.kind === "poll-hang" ? "poll" : "any");
  if (target !== "any" && !reqKinds.includes(target)) return false;
  switch (f.kind) {
    case "fail-task":
    case "insufficient-credits":
      return reqKinds.includes("submit");
    case "truncate-download":
      return reqKinds.includes("download");
    case "expired-url":
      return reqKinds.includes("download") && !reqKinds.includes("submit");
    default:
      return true;
  }
}
