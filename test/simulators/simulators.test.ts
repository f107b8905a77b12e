/**
 * Sanity tests of the five provider simulators, with plain fetch: happy path
 * (submit -> poll -> download -> ffprobe), auth, one documented validation error and
 * a few faults each.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
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

  it("happy path: submit, poll, download a 480p 5 s MP4, credits charged", async () => {
    const res = await submit({ model: "ltx-2", prompt: "a cat", resolution: "480p", aspect_ratio: "16:9", duration: 5 });
    expect(res.status).toBe(200);
    const sub = (await res.json()) as { code: number; data: { task_id: string; status: string } };
    expect(sub.code).toBe(200);
    const id = sub.data.task_id;
    const seen = new Set<string>();
    const data = await until(async () => {
      const r = await fetch(`${sim.baseUrl}/tasks/${id}`, { headers: auth });
      const j = (await r.json()) as { data: { status: string; video_url: string | null } };
      seen.add(j.data.status);
      return j.data.status === "completed" ? j.data : undefined;
    });
    expect([...seen].every((s) => ["pending", "processing", "completed"].includes(s))).toBe(true);
    const p = await saveAndProbe(await fetch(data.video_url!));
    expect(p.width).toBe(854);
    expect(p.height).toBe(480);
    expect(p.duration).toBeCloseTo(5, 0);
    expect(p.hasAudio).toBe(true);
    expect(sim.charges.find((c) => c.taskId === id)).toMatchObject({ amount: 20, unit: "credits" });
    expect(sim.submissions.at(-1)?.taskId).toBe(id);
  });

  it("auth and validation", async () => {
    expect((await submit({ model: "ltx-2", prompt: "x" }, { "content-type": "application/json" })).status).toBe(401);
    const r = await submit({ model: "ltx-2", type: "image-to-video", prompt: "x", image: "https://e.com/a.png", aspect_ratio: "9:16" });
    expect(r.status).toBe(400);
    expect((await submit({ model: "ltx-2", prompt: "x", duration: 21 })).status).toBe(400);
  });

  it("top-level-id shape, weird shape and a 429 fault", async () => {
    sim.shape = "top-level-id";
    sim.renderMs = 0;
    const j = (await (await submit({ model: "ltx-2", prompt: "x", resolution: "480p" })).json()) as { id: string };
    const t = (await (await fetch(`${sim.baseUrl}/tasks/${j.id}`, { headers: auth })).json()) as { status: string; output: string[] };
    expect(t.status).toBe("succeeded");
    expect(t.output[0]).toMatch(/\/files\/.+\.mp4$/);
    sim.shape = "weird";
    const w = (await (await submit({ model: "ltx-2", prompt: "x" })).json()) as Record<string, unknown>;
    expect(w.id).toBeUndefined();
    expect(w.data).toBeUndefined();
    sim.shape = "data-task_id";
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

  it("auth and validation", async () => {
    expect((await gen({ prompt: "x" }, { "content-type": "application/json" })).status).toBe(401);
    const r = await gen({ prompt: "x".repeat(2001) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { code: number }).code).toBe(400);
    expect((await gen({ prompt: "x", duration: 7.5 })).status).toBe(400);
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
    sim = await startLtxSimulator({ renderMs: 60 });
  });
  afterAll(() => sim.close());

  const post = (p: string, body: unknown, headers: Record<string, string> = json) =>
    fetch(`${sim.baseUrl}${p}`, { method: "POST", headers, body: JSON.stringify(body) });

  it("async generation: processing, poll, completed, cost per the price table", async () => {
    const res = await post("/generations/text-to-video", { prompt: "x", model: "ltx-2-fast", resolution: "1920x1080", duration: 6, fps: 25 });
    expect(res.status).toBe(200);
    const g = (await res.json()) as { id: string; status: string; cost: number; video_url: null };
    expect(g).toMatchObject({ status: "processing", cost: 0.12, video_url: null });
    const done = await until(async () => {
      const j = (await (await fetch(`${sim.baseUrl}/generations/${g.id}`, { headers: auth })).json()) as { status: string; video_url: string };
      return j.status === "completed" ? j : undefined;
    });
    const p = await saveAndProbe(await fetch(done.video_url));
    expect([p.width, p.height, p.fps]).toEqual([1920, 1080, 25]);
    expect(p.duration).toBeCloseTo(6, 0);
  });

  it("quick-start form answers with the MP4 itself; sync mode completes at once", async () => {
    const res = await post("/text-to-video", { prompt: "x", duration: 6 });
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const p = await saveAndProbe(res);
    expect([p.width, p.height]).toEqual([1920, 1080]);
    sim.mode = "sync";
    const g = (await (await post("/generations/text-to-video", { prompt: "x", model: "ltx-2-pro" })).json()) as {
      status: string;
      cost: number;
    };
    expect(g).toMatchObject({ status: "completed", cost: 0.3 });
    sim.mode = "async";
  });

  it("auth, duration rules, 402 and the per-minute limit", async () => {
    expect((await post("/generations/text-to-video", { prompt: "x" }, { "content-type": "application/json" })).status).toBe(401);
    const r = await post("/generations/text-to-video", { prompt: "x", model: "ltx-2-pro", duration: 12 });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    expect((await post("/generations/audio-to-video", { prompt: "x", audio: "https://e.com/a.flac" })).status).toBe(422);
    sim.faults.push({ kind: "insufficient-credits", count: 1 });
    expect((await post("/generations/text-to-video", { prompt: "x" })).status).toBe(402);
    sim.limits.perMinute = 3;
    sim.advance(61_000);
    for (let i = 0; i < 3; i++) expect((await fetch(`${sim.baseUrl}/generations/nope`, { headers: auth })).status).toBe(404);
    const limited = await fetch(`${sim.baseUrl}/generations/nope`, { headers: auth });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(sim.rateLimited).toBe(1);
    sim.limits.perMinute = 100;
  });

  it("concurrency limit of 10 in-flight generations", async () => {
    sim.renderMs = 60_000;
    sim.advance(61_000);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await post("/generations/text-to-video", { prompt: "x" })).status);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(sim.rateLimitEvents.at(-1)?.reason).toBe("concurrency");
    sim.finishAll();
    expect((await post("/generations/text-to-video", { prompt: "x" })).status).toBe(200);
    sim.finishAll();
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
    expect(await r.json()).toMatchObject({ code: 400, data: null });
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
    expect(((await exp.json()) as { message: string }).message).toMatch(/expired/);
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
