/**
 * Sanity tests of the five provider simulators, with plain fetch: happy path
 * (submit -> poll -> download -> ffprobe), auth, one documented validation error and
 * a few faults each.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { probeMp4, sleep } from "./common";
import { startApiinoneSimulator, type ApiinoneSimulator } from "./apiinone";
import { startBytecomputeSimulator, type BytecomputeSimulator } from "./bytecompute";
import { startLtx2apiSimulator, type Ltx2apiSimulator } from "./ltx2api";
import { startLtxSimulator, type LtxSimulator } from "./ltx";
import { startApixoSimulator, type ApixoSimulator } from "./apixo";

const KEY = "test-key";
const auth = { authorization: `Bearer ${KEY}` };
const json = { ...auth, "content-type": "application/json" };
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "sim-test-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Polls `fn` until it returns a value (not undefined). */
async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await sleep(20);
  }
}

/** Downloads a response body to a temp file and probes it. */
async function saveAndProbe(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("video/mp4");
  const buf = Buffer.from(await res.arrayBuffer());
  expect(Number(res.headers.get("content-length"))).toBe(buf.length);
  const file = path.join(tmp, `${Math.random().toString(36).slice(2)}.mp4`);
  await fs.writeFile(file, buf);
  return probeMp4(file);
}

describe("apiinone", () => {
  let sim: ApiinoneSimulator;
  beforeAll(async () => {
    sim = await startApiinoneSimulator({ renderMs: 60 });
  });
  afterAll(() => sim.close());

  const submit = (body: unknown, headers: Record<string, string> = json) =>
    fetch(`${sim.baseUrl}/videos/generations`, { method: "POST", headers, body: JSON.stringify(body) });

  it("happy path: the public page's submit answer, poll, download a 480p 5 s MP4, credits charged", async () => {
    const res = await submit({ model: "ltx-2", prompt: "a cat", resolution: "480p", aspect_ratio: "16:9", duration: 5 });
    expect(res.status).toBe(200);
    const sub = (await res.json()) as { code: number; data: { task_id: string; status: string } };
    // https://apiin.one/model/ltx-2: {"code":200,"message":"success","data":{"task_id":"n50xxxx_ltx2","status":"IN_PROGRESS"}}
    expect(sub).toEqual({ code: 200, message: "success", data: { task_id: expect.stringMatching(/^n50\w+_ltx2$/), status: "IN_PROGRESS" } });
    const id = sub.data.task_id;
    const seen = new Set<string>();
    const data = await until(async () => {
      const r = await fetch(`${sim.baseUrl}/tasks/${id}`, { headers: auth });
      const j = (await r.json()) as { code: number; data: { status: string; video_url: string | null } };
      expect(j.code).toBe(200);
      seen.add(j.data.status);
      return j.data.status === "SUCCESS" ? j.data : undefined;
    });
    expect([...seen].every((s) => ["PENDING", "IN_PROGRESS", "SUCCESS"].includes(s))).toBe(true);
    const p = await saveAndProbe(await fetch(data.video_url!));
    expect(p.width).toBe(854);
    expect(p.height).toBe(480);
    expect(p.duration).toBeCloseTo(5, 0);
    expect(p.hasAudio).toBe(true);
    expect(sim.charges.find((c) => c.taskId === id)).toMatchObject({ amount: 20, unit: "credits" });
    expect(sim.submissions.at(-1)?.taskId).toBe(id);
  });

  it("auth and validation", async () => {
    const unauth = await submit({ model: "ltx-2", prompt: "x" }, { "content-type": "application/json" });
    expect(unauth.status).toBe(401);
    expect(await unauth.json()).toMatchObject({ code: 401, data: null });
    const r = await submit({ model: "ltx-2", type: "image-to-video", prompt: "x", image: "https://e.com/a.png", aspect_ratio: "9:16" });
    expect(r.status).toBe(400);
    expect((await submit({ model: "ltx-2", prompt: "x", duration: 21 })).status).toBe(400);
    expect((await submit({ model: "ltx-2", type: "lipsync", audio: "https://e.com/a.wav", audio_duration: 4 })).status).toBe(400);
  });

  it("lipsync renders audio_duration seconds; the video field and status words are switchable; weird shape and a 429 fault", async () => {
    sim.renderMs = 0;
    sim.videoField = "response";
    sim.statusWords = { succeeded: "COMPLETED" };
    const j = (await (await submit({ model: "ltx-2", type: "lipsync", audio: "https://e.com/a.wav", audio_duration: 7, resolution: "480p" })).json()) as { data: { task_id: string } };
    const t = (await (await fetch(`${sim.baseUrl}/tasks/${j.data.task_id}`, { headers: auth })).json()) as { data: { status: string; response: string[] } };
    expect(t.data.status).toBe("COMPLETED");
    expect(t.data.response[0]).toMatch(/\/files\/.+\.mp4$/);
    expect((await saveAndProbe(await fetch(t.data.response[0]))).duration).toBeCloseTo(7, 0);
    sim.videoField = "video_url";
    sim.statusWords = {};
    sim.shape = "weird";
    const w = (await (await submit({ model: "ltx-2", prompt: "x" })).json()) as Record<string, unknown>;
    expect(w.id).toBeUndefined();
    expect(w.data).toBeUndefined();
    sim.shape = "public";
    sim.faults.push({ kind: "rate-limit", count: 1, on: "submit", retryAfterS: 3 });
    const rl = await submit({ model: "ltx-2", prompt: "x" });
    expect(rl.status).toBe(429);
    expect(rl.headers.get("retry-after")).toBe("3");
    expect(sim.faults.length).toBe(0);
  });
});

describe("bytecompute", () => {
  let sim: BytecomputeSimulator;
  beforeAll(async () => {
    sim = await startBytecomputeSimulator({ renderMs: 60 });
  });
  afterAll(() => sim.close());

  const post = (p: string, body?: unknown, headers: Record<string, string> = json) =>
    fetch(`${sim.baseUrl}${p}`, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });

  it("happy path with adjustments, 409 before completion, download", async () => {
    const res = await post("/v1/text-to-video", { model: "Lightricks/LTX-2", prompt: "x", duration: 3, resolution: "320x192", fps: 25 });
    expect(res.status).toBe(200);
    const job = (await res.json()) as { id: string; status: string; adjustments: Array<{ field: string; adjusted: unknown }> | null };
    expect(job.status).toBe("queued");
    expect(job.adjustments).toEqual([expect.objectContaining({ field: "duration", adjusted: 4 })]);
    expect((await post(`/v1/jobs/${job.id}/download`)).status).toBe(409);
    await until(async () => {
      const j = (await (await post(`/v1/jobs/${job.id}`)).json()) as { status: string };
      return j.status === "completed" ? j : undefined;
    });
    const p = await saveAndProbe(await post(`/v1/jobs/${job.id}/download`));
    expect([p.width, p.height, p.fps]).toEqual([320, 192, 25]);
    expect(p.duration).toBeCloseTo(4, 0);
    expect(sim.charges).toEqual([expect.objectContaining({ taskId: job.id, amount: 0.08, unit: "USD" })]);
    const big = (await (await post("/v1/text-to-video", { model: "Lightricks/LTX-2", prompt: "x", resolution: "3840x2160" })).json()) as {
      resolution: string;
      adjustments: unknown[];
    };
    expect(big.resolution).toBe("1920x1056");
    expect(big.adjustments).toHaveLength(1);
  });

  it("auth, validation and error shape", async () => {
    const r401 = await post("/v1/text-to-video", { model: "Lightricks/LTX-2", prompt: "x" }, { "content-type": "application/json" });
    expect(r401.status).toBe(401);
    expect(await r401.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const r400 = await post("/v1/image-to-video", { model: "Lightricks/LTX-2", prompt: "x", image_uri: "data:image/bmp;base64,AAAA" });
    expect(r400.status).toBe(400);
    const r404 = await post("/v1/jobs/nope");
    expect(r404.status).toBe(404);
    expect(await r404.json()).toMatchObject({ type: "error", error: { type: "not_found" } });
  });

  it("faults: failed job, truncated download", async () => {
    sim.renderMs = 0;
    sim.faults.push({ kind: "fail-task", count: 1 });
    const j = (await (await post("/v1/text-to-video", { model: "Lightricks/LTX-2", prompt: "x", duration: 4, resolution: "320x192" })).json()) as {
      id: string;
    };
    const s = (await (await post(`/v1/jobs/${j.id}`)).json()) as { status: string; error: { type: string } };
    expect(s.status).toBe("failed");
    expect(s.error.type).toBe("generation_failed");
    const ok = (await (await post("/v1/text-to-video", { model: "Lightricks/LTX-2", prompt: "x", duration: 4, resolution: "320x192" })).json()) as {
      id: string;
    };
    sim.faults.push({ kind: "truncate-download", count: 1 });
    const res = await post(`/v1/jobs/${ok.id}/download`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(sim.requests.at(-1)?.interrupted).toBe("truncated");
  });
});

describe("ltx2api", () => {
  let sim: Ltx2apiSimulator;
  beforeAll(async () => {
    sim = await startLtx2apiSimulator({ renderMs: 60 });
  });
  afterAll(() => sim.close());

  const gen = (body: unknown, headers: Record<string, string> = json) =>
    fetch(`${sim.baseUrl}/api/generate`, { method: "POST", headers, body: JSON.stringify(body) });

  it("happy path, credits per the doc, status without auth", async () => {
    const res = await gen({ prompt: "x", resolution: "480p", duration: 5 });
    const sub = (await res.json()) as { code: number; data: { task_id: string; status: string; consumed_credits: number } };
    expect(sub.data.consumed_credits).toBe(20);
    const data = await until(async () => {
      const j = (await (await fetch(`${sim.baseUrl}/api/status?task_id=${sub.data.task_id}`)).json()) as {
        data: { status: string; response: string[] };
      };
      expect(["PENDING", "IN_PROGRESS", "SUCCESS"]).toContain(j.data.status);
      return j.data.status === "SUCCESS" ? j.data : undefined;
    });
    const p = await saveAndProbe(await fetch(data.response[0]));
    expect([p.width, p.height]).toEqual([854, 480]);
    expect(p.duration).toBeCloseTo(5, 0);
    expect(sim.statusRequestsWithAuth).toHaveLength(0);
    const c = (await (await gen({ prompt: "x", resolution: "1080p", duration: 10 })).json()) as { data: { consumed_credits: number } };
    expect(c.data.consumed_credits).toBe(44);
  });

  it("auth and validation, in the errors page's envelope", async () => {
    const missing = await gen({ prompt: "x" }, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      error: { code: "MISSING_API_KEY", message: expect.any(String), details: expect.any(Object) },
      request_id: expect.stringMatching(/^req_/),
    });
    const wrong = await gen({ prompt: "x" }, { ...json, authorization: "Bearer nope" });
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("INVALID_API_KEY");
    const r = await gen({ prompt: "x".repeat(2001) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("INVALID_PROMPT");
    const d = await gen({ prompt: "x", duration: 7.5 });
    expect(d.status).toBe(400);
    expect(((await d.json()) as { error: { code: string } }).error.code).toBe("INVALID_DURATION");
    sim.faults.push({ kind: "insufficient-credits", count: 1 });
    const credits = await gen({ prompt: "x" });
    expect(credits.status).toBe(400);
    expect(((await credits.json()) as { error: { code: string } }).error.code).toBe("INSUFFICIENT_CREDITS");
  });

  it("FAILED refunds credits", async () => {
    sim.renderMs = 0;
    sim.faults.push({ kind: "fail-task", count: 1, message: "bad luck" });
    const sub = (await (await gen({ prompt: "x", resolution: "720p", duration: 5 })).json()) as { data: { task_id: string } };
    const st = (await (await fetch(`${sim.baseUrl}/api/status?task_id=${sub.data.task_id}`, { headers: auth })).json()) as {
      data: { status: string; error_message: string; consumed_credits: number };
    };
    expect(st.data).toMatchObject({ status: "FAILED", error_message: "bad luck", consumed_credits: 0 });
    expect(sim.charges.find((c) => c.taskId === sub.data.task_id)).toMatchObject({ amount: 24, refunded: true });
    expect(sim.statusRequestsWithAuth).toHaveLength(1);
  });
});

describe("ltx", () => {
  let sim: LtxSimulator;
  beforeAll(async () => {
    sim = await startLtxSimulator({ renderMs: 60, concurrency: 1000 });
  });
  afterAll(() => sim.close());

  type Job = { id: string; status: string; created_at: string; completed_at?: string; result?: { video_url: string }; error?: { type: string; message: string } };
  type Err = { type: string; error: { type: string; message: string } };
  const post = (p: string, body?: unknown, headers: Record<string, string> = json) =>
    fetch(`${sim.baseUrl}${p}`, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const job = async (p: string) => (await (await fetch(`${sim.baseUrl}${p}`, { headers: auth })).json()) as Job;
  const t2v = { prompt: "a cat", model: "ltx-2-3-fast", duration: 6, resolution: "1920x1080" };
  /** A 1x1 PNG. */
  const PNG = Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" + "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
    "hex",
  );
  const wav = async (seconds: number) => {
    const file = path.join(tmp, `tone-${seconds}.wav`);
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.env.FFMPEG_PATH || "ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", `sine=frequency=220:duration=${seconds}`, file]);
      p.on("error", reject);
      p.on("close", (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg exited ${c}`))));
    });
    return fs.readFile(file);
  };
  /** POST /v1/upload, then PUT the bytes with the required headers (and no key). */
  const upload = async (bytes: Buffer) => {
    const r = await post("/v1/upload");
    expect(r.status).toBe(200);
    const u = (await r.json()) as { upload_url: string; storage_uri: string; expires_at: string; required_headers: Record<string, string> };
    const put = await fetch(u.upload_url, { method: "PUT", headers: u.required_headers, body: new Uint8Array(bytes) });
    expect(put.status).toBe(200);
    return u;
  };
  const until200 = (p: string) =>
    until(async () => {
      const j = await job(p);
      return j.status === "completed" || j.status === "failed" ? j : undefined;
    });

  it("v2 async job: 202 {id, created_at}, pending/processing/completed, result.video_url (Range, HEAD), price table", async () => {
    expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await post("/v2/text-to-video", t2v);
    expect(res.status).toBe(202);
    const sub = (await res.json()) as { id: string; created_at: string };
    expect(Object.keys(sub).sort()).toEqual(["created_at", "id"]);
    expect(Number.isNaN(Date.parse(sub.created_at))).toBe(false);
    const seen = new Set<string>();
    const done = await until(async () => {
      const j = await job(`/v2/text-to-video/${sub.id}`);
      seen.add(j.status);
      return j.status === "completed" ? j : undefined;
    });
    expect([...seen].every((s) => ["pending", "processing", "completed"].includes(s))).toBe(true);
    expect(done).toMatchObject({ id: sub.id, created_at: sub.created_at, completed_at: expect.any(String), result: { video_url: expect.stringContaining(`${sim.url}/files/`) } });
    const p = await saveAndProbe(await fetch(done.result!.video_url));
    expect([p.width, p.height, p.fps]).toEqual([1920, 1080, 24]);
    expect(p.duration).toBeCloseTo(6, 0);
    expect(p.hasAudio).toBe(true);
    const head = await fetch(done.result!.video_url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(1000);
    const part = await fetch(done.result!.video_url, { headers: { range: "bytes=0-99" } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    // ltx-2-3-fast at 1080p: $0.06/s.
    expect(sim.charges.find((c) => c.taskId === sub.id)).toMatchObject({ amount: 0.36, unit: "USD", refunded: false });
    expect(sim.submissions.at(-1)).toMatchObject({ taskId: sub.id, path: "/v2/text-to-video", body: t2v });
    expect(sim.authSeen.every((a) => !a.path.startsWith("/files/"))).toBe(true);
    // Another endpoint's id, an unknown id: 404 not_found_error.
    const other = await fetch(`${sim.baseUrl}/v2/image-to-video/${sub.id}`, { headers: auth });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect((await fetch(`${sim.baseUrl}/v2/text-to-video/nope`, { headers: auth })).status).toBe(404);
    // 24 h after it ended the job and its output are gone.
    sim.advance(23 * 3600_000);
    expect((await job(`/v2/text-to-video/${sub.id}`)).status).toBe("completed");
    sim.advance(3600_000 + 1000);
    expect((await fetch(`${sim.baseUrl}/v2/text-to-video/${sub.id}`, { headers: auth })).status).toBe(404);
    expect((await fetch(done.result!.video_url)).status).toBe(403);
  });

  it("v1 sync: held for the render, answers the MP4 with x-request-id; without v2 every /v2 route is 404", async () => {
    sim.renderMs = 300;
    const t0 = Date.now();
    const res = await post("/v1/text-to-video", { prompt: "x", model: "ltx-2-3-pro", duration: 6, resolution: "1080x1920", fps: 25 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const rid = res.headers.get("x-request-id");
    expect(rid).toMatch(/^[0-9a-f-]{36}$/);
    const p = await saveAndProbe(res);
    expect([p.width, p.height, p.fps]).toEqual([1080, 1920, 25]);
    // Portrait costs as its landscape twin: ltx-2-3-pro 1080p $0.08/s.
    expect(sim.charges.find((c) => c.taskId === rid)).toMatchObject({ amount: 0.48, unit: "USD" });
    expect(sim.submissions.at(-1)).toMatchObject({ taskId: rid, path: "/v1/text-to-video" });
    sim.renderMs = 0;
    const v2job = (await (await post("/v2/text-to-video", t2v)).json()) as { id: string };
    // A v1 request id is no v2 job.
    expect((await fetch(`${sim.baseUrl}/v2/text-to-video/${rid}`, { headers: auth })).status).toBe(404);
    sim.v2Enabled = false;
    try {
      expect(sim.mode).toBe("sync");
      const n = sim.submissions.length;
      for (const r of [await post("/v2/text-to-video", t2v), await fetch(`${sim.baseUrl}/v2/text-to-video/${v2job.id}`, { headers: auth })]) {
        expect(r.status).toBe(404);
        expect(await r.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
      }
      expect(sim.submissions.length).toBe(n);
      expect((await post("/v1/text-to-video", t2v)).status).toBe(200);
    } finally {
      sim.v2Enabled = true;
    }
    expect(sim.mode).toBe("async");
    // A generation that fails on the sync route: the error type decides the status.
    sim.faults.push({ kind: "fail-task", count: 1, code: "content_filtered_error", message: "Content rejected by safety filters" });
    const filtered = await post("/v1/text-to-video", t2v);
    expect(filtered.status).toBe(422);
    expect(filtered.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await filtered.json()).toEqual({ type: "error", error: { type: "content_filtered_error", message: "Content rejected by safety filters" } });
    sim.renderMs = 60;
  });

  it("uploads: POST /v1/upload, PUT with required_headers and no key; storage_uri as image_uri and audio_uri", async () => {
    const r = await post("/v1/upload");
    expect(r.status).toBe(200);
    const u = (await r.json()) as { upload_url: string; storage_uri: string; expires_at: string; required_headers: Record<string, string> };
    expect(u.storage_uri).toMatch(/^ltx:\/\/uploads\/[0-9a-f-]{36}$/);
    expect(u.upload_url.startsWith(`${sim.url}/upload/`)).toBe(true);
    expect(Date.parse(u.expires_at) - sim.now()).toBeGreaterThan(3500_000);
    expect(u.required_headers).toMatchObject({ "Content-Type": expect.any(String) });
    // Wrong headers are refused, the right ones (without the key) accepted.
    expect((await fetch(u.upload_url, { method: "PUT", headers: { "content-type": "image/png" }, body: new Uint8Array(PNG) })).status).toBe(403);
    expect((await fetch(u.upload_url.replace(/signature=[^&]+/, "signature=forged"), { method: "PUT", headers: u.required_headers, body: new Uint8Array(PNG) })).status).toBe(403);
    expect((await fetch(u.upload_url, { method: "PUT", headers: u.required_headers, body: new Uint8Array(PNG) })).status).toBe(200);
    expect(sim.upload(u.storage_uri)).toMatchObject({ size: PNG.length, putWithAuth: false, putAuthorizations: [] });
    expect((await post("/v1/upload", undefined, {})).status).toBe(401);
    const i2v = { ...t2v, image_uri: u.storage_uri, last_frame_uri: `data:image/png;base64,${PNG.toString("base64")}` };
    const ok = await post("/v2/image-to-video", i2v);
    expect(ok.status).toBe(202);
    const { id } = (await ok.json()) as { id: string };
    expect((await until200(`/v2/image-to-video/${id}`)).status).toBe("completed");
    const unknown = await post("/v2/image-to-video", { ...i2v, image_uri: "ltx://uploads/nope" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Err).error).toMatchObject({ type: "invalid_request_error", message: expect.stringContaining("image_uri") });
    // A PUT that carried the key is recorded as such.
    const leaky = (await (await post("/v1/upload")).json()) as { upload_url: string; required_headers: Record<string, string>; storage_uri: string };
    await fetch(leaky.upload_url, { method: "PUT", headers: { ...leaky.required_headers, ...auth }, body: new Uint8Array(PNG) });
    expect(sim.upload(leaky.storage_uri)?.putWithAuth).toBe(true);
    // audio-to-video: billed $0.10 per second of input audio, probed; the video is as long as the audio.
    const tone = await wav(3);
    const a = await upload(tone);
    // A PNG is no audio.
    expect((await post("/v2/audio-to-video", { audio_uri: u.storage_uri, prompt: "x" })).status).toBe(400);
    const a2v = await post("/v2/audio-to-video", { audio_uri: a.storage_uri, prompt: "a singer" });
    expect(a2v.status).toBe(202);
    const aid = ((await a2v.json()) as { id: string }).id;
    expect(sim.charges.find((c) => c.taskId === aid)).toMatchObject({ amount: 0.3, unit: "USD" });
    const adone = await until200(`/v2/audio-to-video/${aid}`);
    const ap = await saveAndProbe(await fetch(adone.result!.video_url));
    expect([ap.width, ap.height, ap.fps]).toEqual([1920, 1080, 25]);
    expect(ap.duration).toBeCloseTo(3, 0);
    const inline = await post("/v2/audio-to-video", { audio_uri: `data:audio/wav;base64,${tone.toString("base64")}`, image_uri: u.storage_uri, resolution: "1080x1920" });
    expect(inline.status).toBe(202);
    expect(sim.charges.at(-1)).toMatchObject({ amount: 0.3 });
    // An HTTPS URL cannot be measured: 5 s assumed.
    expect((await post("/v2/audio-to-video", { audio_uri: "https://example.com/a.mp3", prompt: "x", model: "ltx-2-pro" })).status).toBe(202);
    expect(sim.charges.at(-1)).toMatchObject({ amount: 0.5 });
  });

  it("validation per the API reference: 400 invalid_request_error naming the field", async () => {
    sim.advance(61_000); // a fresh per-minute window
    sim.shrinkVideos = true;
    const img = `data:image/png;base64,${PNG.toString("base64")}`;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["text-to-video", { ...t2v, model: undefined }, "model"],
      ["text-to-video", { ...t2v, model: "ltx-3" }, "model"],
      ["text-to-video", { ...t2v, prompt: undefined }, "prompt"],
      ["text-to-video", { ...t2v, duration: undefined }, "duration"],
      ["text-to-video", { ...t2v, duration: "6" }, "duration"],
      ["text-to-video", { ...t2v, duration: 7 }, "duration"],
      ["text-to-video", { ...t2v, resolution: undefined }, "resolution"],
      ["text-to-video", { ...t2v, resolution: "1080p" }, "resolution"],
      ["text-to-video", { ...t2v, model: "ltx-2-3-pro", resolution: "1280x720" }, "resolution"],
      ["text-to-video", { ...t2v, model: "ltx-2-pro", resolution: "1080x1920", fps: 25 }, "resolution"],
      ["text-to-video", { ...t2v, model: "ltx-2-fast", fps: 24 }, "fps"],
      ["text-to-video", { ...t2v, fps: 30 }, "fps"],
      ["text-to-video", { ...t2v, model: "ltx-2-3-pro", duration: 12 }, "duration"],
      ["text-to-video", { ...t2v, duration: 12, fps: 48 }, "duration"],
      ["text-to-video", { ...t2v, duration: 12, resolution: "2560x1440" }, "duration"],
      ["text-to-video", { ...t2v, model: "ltx-2-fast", duration: 12, fps: 50 }, "duration"],
      ["text-to-video", { ...t2v, generate_audio: "yes" }, "generate_audio"],
      ["text-to-video", { ...t2v, camera_motion: "orbit" }, "camera_motion"],
      ["text-to-video", { ...t2v, seed: 3 }, "seed"],
      ["text-to-video", { ...t2v, image_uri: img }, "image_uri"],
      ["image-to-video", { ...t2v }, "image_uri"],
      ["image-to-video", { ...t2v, image_uri: "http://example.com/a.png" }, "image_uri"],
      ["image-to-video", { ...t2v, image_uri: "https://10.0.0.1/a.png" }, "image_uri"],
      ["image-to-video", { ...t2v, image_uri: "data:image/gif;base64,R0lGODlh" }, "image_uri"],
      ["image-to-video", { ...t2v, image_uri: `data:image/png;base64,${"A".repeat(7 * 1024 * 1024)}` }, "image_uri"],
      ["image-to-video", { ...t2v, model: "ltx-2-fast", image_uri: img, last_frame_uri: img }, "last_frame_uri"],
      ["audio-to-video", { prompt: "x" }, "audio_uri"],
      ["audio-to-video", { audio_uri: "https://example.com/a.mp3" }, "prompt"],
      ["audio-to-video", { audio_uri: "https://example.com/a.mp3", prompt: "x", duration: 6 }, "duration"],
      ["audio-to-video", { audio_uri: "https://example.com/a.mp3", prompt: "x", model: "ltx-2-3-fast" }, "model"],
      ["audio-to-video", { audio_uri: "https://example.com/a.mp3", prompt: "x", resolution: "2560x1440" }, "resolution"],
      ["audio-to-video", { audio_uri: "data:audio/flac;base64,AAAA", prompt: "x" }, "audio_uri"],
    ];
    const n = sim.submissions.length;
    for (const [ep, body, field] of cases) {
      for (const v of ["v2", "v1"]) {
        const r = await post(`/${v}/${ep}`, body);
        const e = (await r.json()) as Err;
        expect({ ep, v, field, status: r.status }).toEqual({ ep, v, field, status: 400 });
        expect(e.type).toBe("error");
        expect(e.error.type).toBe("invalid_request_error");
        expect(e.error.message).toContain(field);
      }
    }
    expect(sim.submissions.length).toBe(n);
    // Accepted: long fast renders at 1080p (portrait too for 2.3), 720p for ltx-2-3-fast, the deprecated models.
    const accepted: Array<[string, Record<string, unknown>, number]> = [
      ["text-to-video", { ...t2v, duration: 20, resolution: "1080x1920", fps: 24 }, 1.2],
      ["text-to-video", { ...t2v, model: "ltx-2-fast", duration: 20, fps: 25, camera_motion: "dolly_in", generate_audio: false }, 0.8],
      ["text-to-video", { ...t2v, resolution: "1280x720" }, 0.18],
      ["text-to-video", { ...t2v, model: "ltx-2-pro", resolution: "2560x1440", duration: 8 }, 0.96],
      ["text-to-video", { ...t2v, model: "ltx-2-3-pro", resolution: "1440x2560", fps: 48 }, 0.96],
      ["image-to-video", { ...t2v, model: "ltx-2-3-pro", resolution: "3840x2160", image_uri: "https://example.com/a.png", last_frame_uri: img }, 1.92],
    ];
    for (const [ep, body, usd] of accepted) {
      const r = await post(`/v2/${ep}`, body);
      expect({ body, status: r.status }).toEqual({ body, status: 202 });
      const { id } = (await r.json()) as { id: string };
      expect(sim.charges.find((c) => c.taskId === id)?.amount).toBe(usd);
    }
    expect(sim.tasks.get(sim.submissions.at(-5)!.taskId)?.info).toMatchObject({ model: "ltx-2-fast", fps: 25, generateAudio: false, cameraMotion: "dolly_in" });
    sim.legacyModels = false;
    const gone = await post("/v2/text-to-video", { ...t2v, model: "ltx-2-pro" });
    expect(gone.status).toBe(400);
    expect(((await gone.json()) as Err).error.message).toMatch(/ltx-2-pro is no longer supported/);
    sim.legacyModels = true;
    sim.shrinkVideos = false;
  });

  it("errors and limits: 401, 402 naming the cost, 429 (rate, concurrency) with Retry-After, 5xx, failed jobs", async () => {
    sim.advance(61_000); // a fresh per-minute window
    const missing = await post("/v2/text-to-video", t2v, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ type: "error", error: { type: "authentication_error", message: "Missing authorization header" } });
    const wrong = await post("/v2/text-to-video", t2v, { ...json, authorization: "Bearer nope" });
    expect(await wrong.json()).toEqual({ type: "error", error: { type: "authentication_error", message: "Invalid API key" } });
    expect((await fetch(`${sim.baseUrl}/v2/text-to-video/x`)).status).toBe(401);
    expect((await fetch(`${sim.baseUrl}/v1/generations/text-to-video`, { method: "POST", headers: json, body: "{}" })).status).toBe(404);
    // 402 comes after validation, with the estimated cost (1 credit = $0.01).
    sim.faults.push({ kind: "insufficient-credits", count: 1 });
    expect((await post("/v2/text-to-video", { ...t2v, duration: 7 })).status).toBe(400);
    expect(sim.faults).toHaveLength(1);
    const poor = await post("/v2/text-to-video", t2v);
    expect(poor.status).toBe(402);
    expect(await poor.json()).toEqual({ type: "error", error: { type: "insufficient_funds_error", message: "Insufficient funds. Required: 36 credits" } });
    sim.faults.push({ kind: "insufficient-credits", count: 1 });
    expect((await post("/v1/text-to-video", t2v)).status).toBe(402);
    const limitedBefore = sim.rateLimited;
    sim.faults.push({ kind: "rate-limit", count: 1, on: "submit", retryAfterS: 3 });
    const rl = await post("/v2/text-to-video", t2v);
    expect(rl.status).toBe(429);
    expect(rl.headers.get("retry-after")).toBe("3");
    expect(((await rl.json()) as Err).error.type).toBe("rate_limit_error");
    expect(sim.rateLimited).toBe(limitedBefore);
    sim.faults.push({ kind: "server-error", count: 1, on: "submit" });
    const e500 = await post("/v2/text-to-video", t2v);
    expect([e500.status, ((await e500.json()) as Err).error.type]).toEqual([500, "api_error"]);
    sim.faults.push({ kind: "server-error", count: 1, on: "poll", status: 503 });
    const e503 = await fetch(`${sim.baseUrl}/v2/text-to-video/x`, { headers: auth });
    expect([e503.status, ((await e503.json()) as Err).error.type]).toEqual([503, "service_unavailable"]);
    sim.faults.push({ kind: "http-error", count: 1, on: "submit", status: 403, code: "permission_error", message: "Key disabled" });
    const e403 = await post("/v1/text-to-video", t2v);
    expect(await e403.json()).toEqual({ type: "error", error: { type: "permission_error", message: "Key disabled" } });

    // Failed jobs: error {type, message}, completed_at.
    sim.renderMs = 0;
    sim.faults.push({ kind: "fail-task", count: 1 });
    const f1 = (await (await post("/v2/text-to-video", t2v)).json()) as { id: string };
    expect(await job(`/v2/text-to-video/${f1.id}`)).toMatchObject({ status: "failed", completed_at: expect.any(String), error: { type: "api_error", message: "Video generation failed" } });
    sim.faults.push({ kind: "fail-task", count: 1, code: "content_filtered_error", message: "Content rejected by safety filters" });
    const f2 = (await (await post("/v2/text-to-video", t2v)).json()) as { id: string };
    expect((await job(`/v2/text-to-video/${f2.id}`)).error).toEqual({ type: "content_filtered_error", message: "Content rejected by safety filters" });

    // Concurrency: 2 in flight by default (set here), v1 and v2 together.
    sim.finishAll();
    sim.renderMs = 60_000;
    sim.limits.concurrent = 2;
    expect((await post("/v2/text-to-video", t2v)).status).toBe(202);
    expect((await post("/v2/image-to-video", { ...t2v, image_uri: "https://example.com/a.png" })).status).toBe(202);
    for (const r of [await post("/v2/text-to-video", t2v), await post("/v1/text-to-video", t2v)]) {
      expect(r.status).toBe(429);
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await r.json()).toEqual({ type: "error", error: { type: "concurrency_limit_error", message: "Too many concurrent requests. Please try again later." } });
    }
    expect(sim.rateLimitEvents.at(-1)?.reason).toBe("concurrency");
    expect(sim.rateLimited).toBe(limitedBefore + 2);
    expect(sim.maxInFlight).toBeGreaterThanOrEqual(2);
    sim.finishAll();
    expect((await post("/v2/text-to-video", t2v)).status).toBe(202);
    sim.finishAll();
    sim.limits.concurrent = 1000;
    sim.renderMs = 60;

    // Per-minute limit on API requests.
    sim.limits.perMinute = 3;
    sim.advance(61_000);
    for (let i = 0; i < 3; i++) expect((await fetch(`${sim.baseUrl}/v2/text-to-video/nope`, { headers: auth })).status).toBe(404);
    const limited = await fetch(`${sim.baseUrl}/v2/text-to-video/nope`, { headers: auth });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as Err).error.type).toBe("rate_limit_error");
    expect(sim.rateLimitEvents.at(-1)?.reason).toBe("per-minute");
    sim.limits.perMinute = 100;
    sim.advance(61_000);
  });
});

describe("apixo", () => {
  let sim: ApixoSimulator;
  beforeAll(async () => {
    sim = await startApixoSimulator({ renderMs: 60 });
  });
  afterAll(() => sim.close());

  const gen = (body: unknown, headers: Record<string, string> = json) =>
    fetch(`${sim.baseUrl}/generateTask/ltx-2-19b`, { method: "POST", headers, body: JSON.stringify(body) });
  const input = { mode: "text-to-video", prompt: "x", resolution: "480p", duration: 5 };

  it("happy path: taskId, states, resultJson string, cost", async () => {
    const res = await gen({ request_type: "async", input });
    const sub = (await res.json()) as { code: number; data: { taskId: string } };
    expect(sub.code).toBe(200);
    const states = new Set<string>();
    const data = await until(async () => {
      const j = (await (await fetch(`${sim.baseUrl}/statusTask/ltx-2-19b?taskId=${sub.data.taskId}`, { headers: auth })).json()) as {
        data: { state: string; resultJson?: string; costTime?: number };
      };
      states.add(j.data.state);
      return j.data.state === "success" ? j.data : undefined;
    });
    expect([...states].every((s) => ["pending", "processing", "success"].includes(s))).toBe(true);
    expect(typeof data.resultJson).toBe("string");
    const urls = (JSON.parse(data.resultJson!) as { resultUrls: string[] }).resultUrls;
    const p = await saveAndProbe(await fetch(urls[0]));
    expect([p.width, p.height]).toEqual([854, 480]);
    expect(p.duration).toBeCloseTo(5, 0);
    expect(sim.charges[0]).toMatchObject({ amount: 0.06, unit: "USD" });
  });

  it("auth and validation (quoted duration is 400)", async () => {
    expect((await gen({ input }, { "content-type": "application/json" })).status).toBe(401);
    const r = await gen({ request_type: "async", input: { ...input, duration: "5" } });
    expect(r.status).toBe(400);
    // The envelope of https://apixo.ai/docs/api-reference/error-codes.
    expect(await r.json()).toEqual({ code: 400, message: "Invalid request", data: { error: "invalid duration: must be a JSON integer from 5 through 20" } });
    expect((await gen({ input: { ...input, seed: 0 } })).status).toBe(400);
  });

  it("faults: failure code, expired URL, dropped connection, hung poll", async () => {
    sim.renderMs = 0;
    sim.faults.push({ kind: "fail-task", count: 1, code: "Timeout", message: "Provider-side timeout" });
    const f = (await (await gen({ input })).json()) as { data: { taskId: string } };
    const st = (await (await fetch(`${sim.baseUrl}/statusTask/ltx-2-19b?taskId=${f.data.taskId}`, { headers: auth })).json()) as {
      data: Record<string, unknown>;
    };
    expect(st.data).toMatchObject({ state: "failed", failCode: "Timeout", failMsg: "Provider-side timeout" });
    const ok = (await (await gen({ input })).json()) as { data: { taskId: string } };
    const s2 = (await (await fetch(`${sim.baseUrl}/statusTask/ltx-2-19b?taskId=${ok.data.taskId}`, { headers: auth })).json()) as {
      data: { resultJson: string };
    };
    const url = (JSON.parse(s2.data.resultJson) as { resultUrls: string[] }).resultUrls[0];
    sim.faults.push({ kind: "expired-url", count: 1 });
    const exp = await fetch(url);
    expect(exp.status).toBe(410);
    expect(await exp.json()).toMatchObject({ code: 410, data: { error: expect.stringMatching(/expired/) } });
    sim.faults.push({ kind: "drop-connection", count: 1, on: "submit" });
    await expect(gen({ input }).then((r) => r.json())).rejects.toThrow();
    expect(sim.submissions).toHaveLength(4); // the dropped submit still created its task
    sim.faults.push({ kind: "poll-hang", count: 1, hangMs: 5000 });
    const t0 = Date.now();
    await expect(
      fetch(`${sim.baseUrl}/statusTask/ltx-2-19b?taskId=${ok.data.taskId}`, { headers: auth, signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(sim.authSeen.every((a) => !a.path.startsWith("/files/"))).toBe(true);
    // 15 days later the result is gone
    sim.advance(16 * 24 * 3600 * 1000);
    expect((await fetch(url)).status).toBe(410);
  });
});
