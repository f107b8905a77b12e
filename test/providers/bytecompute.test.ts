import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBytecomputeProvider, formatAdjustments, BYTECOMPUTE_DEFAULT_BASE_URL } from '../../main/providers/bytecompute/bytecompute';
import { BYTECOMPUTE_PRICES } from '../../main/providers/bytecompute/prices';
import { ProviderError } from '../../main/providers/provider';
import { probe } from '../../main/media/ffprobe';
import { ProjectStore } from '../../main/queue/store';
import { startBytecomputeSimulator, type BytecomputeSimulator } from '../simulators/bytecompute';
import { renderOnce, requestFor, shot, testCtx } from '../helpers/provider-harness';
import { runCli } from '../helpers/cli';
import { resumeAfterRestart } from '../helpers/restart';
import { tmpDir, withFiles } from '../helpers/tmp';

/** A 1x1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const KEY = 'bytecompute-secret-key-5678';
const PATHS = /^\/v1\/(text-to-video|image-to-video|jobs\/[^/]+|jobs\/[^/]+\/download)$/;

let sim: BytecomputeSimulator;
/** A simulator whose jobs never finish while the tests run (queued / running, 409 on download). */
let slow: BytecomputeSimulator;
beforeAll(async () => {
  [sim, slow] = await Promise.all([startBytecomputeSimulator({ apiKey: KEY, renderMs: 40 }), startBytecomputeSimulator({ apiKey: KEY, renderMs: 600_000 })]);
});
afterAll(async () => {
  await Promise.all([sim.close(), slow.close()]);
});
const provider = (env: Record<string, string> = {}, base = sim.baseUrl) =>
  createBytecomputeProvider({ BYTECOMPUTE_API_KEY: KEY, BYTECOMPUTE_BASE_URL: base, LTX_BATCH_POLL_SCALE: '0.001', ...env });
const errorOf = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as ProviderError;

describe('bytecompute: request mapping and limits (doc 001)', () => {
  it('defaults to https://api.bytecompute.ai (the doc names no host) and needs BYTECOMPUTE_API_KEY', () => {
    expect(BYTECOMPUTE_DEFAULT_BASE_URL).toBe('https://api.bytecompute.ai');
    const p = createBytecomputeProvider({});
    expect(p.availability()).toMatchObject({ ok: false, reason: expect.stringContaining('BYTECOMPUTE_API_KEY') });
    expect(p.capabilities()).toMatchObject({ modes: ['text-to-video', 'image-to-video'], duration: { min: 4, max: 10 }, fps: [25, 50], mediaInputs: 'url-or-file', models: ['Lightricks/LTX-2'] });
  });

  it('maps text-to-video rows to the documented body, tiers as pixel sizes', () => {
    const p = provider();
    const t2v = requestFor(p, shot({ duration: 6, res: '720p', fps: 50 }));
    expect(t2v.route).toBe('POST /v1/text-to-video');
    expect(t2v.body).toEqual({ model: 'Lightricks/LTX-2', prompt: 'a lighthouse at dusk', duration: 6, resolution: '1280x720', fps: 50 });
    expect(requestFor(p, shot({ res: '1080p' })).body.resolution).toBe('1920x1080');
    expect(requestFor(p, shot({ res: '720p', aspectRatio: '9:16' })).body.resolution).toBe('720x1280');
    expect(requestFor(p, shot({ res: '1920x1088' })).body.resolution).toBe('1920x1088');
    const extras = requestFor(p, shot({ seed: 42, negativePrompt: 'blur' }));
    expect(extras.body).not.toHaveProperty('seed');
    expect(extras.notes).toEqual(['bytecompute has no negative prompt; it was not sent', 'bytecompute takes no seed; it was not sent']);
  });

  it('maps image-to-video: a URL as image_uri; a local file stays a path in the stored request', () => {
    const p = provider();
    const url = requestFor(p, shot({ mode: 'image-to-video', image: { kind: 'url', url: 'https://example.com/a.png', original: 'https://example.com/a.png' } }));
    expect(url.route).toBe('POST /v1/image-to-video');
    expect(url.body).toMatchObject({ model: 'Lightricks/LTX-2', image_uri: 'https://example.com/a.png', resolution: '1280x720' });
    const file = requestFor(p, shot({ mode: 'image-to-video', image: { kind: 'file', path: '/boards/still.png', original: 'still.png' } }));
    expect(file.route).toBe('POST /v1/image-to-video');
    expect(file.body).toMatchObject({ image_file: '/boards/still.png' });
    expect(file.body).not.toHaveProperty('image_uri');
  });

  it('refuses rows outside the documented limits, naming the column and what it accepts', () => {
    const p = provider();
    const v = p.validate(shot({ mode: 'lipsync', duration: 12, fps: 30, res: '1440p' }));
    expect(v.ok).toBe(false);
    const issues = v.ok ? [] : v.issues;
    expect(issues.map((i) => i.column)).toEqual(['mode', 'duration', 'fps', 'resolution']);
    expect(issues[0].message).toBe('bytecompute does not do lipsync; it does text-to-video, image-to-video');
    expect(issues[1].message).toBe('bytecompute renders 4-10 s; got 12 s');
    expect(issues[2].message).toBe('bytecompute renders at 25 or 50 fps; got 30');
    expect(issues[3].message).toBe('bytecompute renders up to 1920x1088 (1088x1920 portrait), e.g. 480p, 720p, 1080p or a WIDTHxHEIGHT within that; got 1440p (2560x1440)');
    const col = (s: Parameters<typeof shot>[0]) => {
      const r = p.validate(shot(s));
      return r.ok ? [] : r.issues.map((i) => `${i.column}: ${i.message}`);
    };
    expect(col({ duration: 3 })).toEqual(['duration: bytecompute renders 4-10 s; got 3 s']);
    expect(col({ res: '1920x1090' })[0]).toMatch(/^resolution: .*got 1920x1090$/);
    expect(col({ mode: 'image-to-video' })).toEqual(['image: bytecompute image-to-video needs an image: a file next to the storyboard or an http(s) URL']);
    expect(col({ model: 'ltx-2' })).toEqual(['model: bytecompute has models Lightricks/LTX-2; got "ltx-2"']);
    expect(col({ loras: [{ path: 'x.safetensors', scale: 1 }] })[0]).toMatch(/^loras: bytecompute takes no LoRAs/);
    // In range: the edges, portrait 1088x1920, and fractional seconds (the doc does not ask for whole ones).
    for (const ok of [{ duration: 4 }, { duration: 10 }, { duration: 5.5 }, { res: '1088x1920', aspectRatio: '9:16' as const }, { fps: 50 }]) expect(col(ok)).toEqual([]);
  });

  it('estimates USD per second by the doc table: $0.02/s up to 921,600 px (1280x720), $0.04/s above', () => {
    const p = provider();
    expect(BYTECOMPUTE_PRICES.map((t) => [t.tier, t.maxPixels, t.usdPerSecond])).toEqual([['sd', 921_600, 0.02], ['hd', Infinity, 0.04]]);
    // The boundary itself is SD ("<= 1280x720"); one step above it is HD.
    expect(p.estimate(shot({ duration: 5, res: '1280x720' }))).toMatchObject({ unit: 'USD', min: 0.1, max: 0.1, usdPerUnit: 1, basis: '5 s x $0.02/s (sd, 1280x720 = 921,600 px)' });
    expect(p.estimate(shot({ duration: 5, res: '1282x720' })).max).toBe(0.2);
    expect(p.estimate(shot({ duration: 5, res: '1080p' })).max).toBe(0.2);
    expect(p.estimate(shot({ duration: 10, res: '480p' })).max).toBe(0.2);
    expect(p.estimate(shot({ duration: 4, res: '1920x1088' })).max).toBe(0.16);
    expect(p.estimate(shot({ duration: 7.5, res: '720p' })).max).toBe(0.15);
  });

  it('formats the service adjustments as text', () => {
    expect(formatAdjustments(null)).toBeUndefined();
    expect(formatAdjustments([])).toBeUndefined();
    expect(formatAdjustments([{ field: 'duration', requested: 12, adjusted: 10, reason: 'max 10 s' }])).toBe('duration 12 -> 10 (max 10 s)');
    expect(formatAdjustments({ resolution: { from: '2000x1200', to: '1792x1088' } })).toBe('resolution 2000x1200 -> 1792x1088');
    expect(formatAdjustments(['fps 30 -> 25'])).toBe('fps 30 -> 25');
  });
});

describe('bytecompute against its simulator', () => {
  it('renders text-to-video: Bearer key on documented paths only, cost from the job, an MP4 of the requested length', async () => {
    const p = provider();
    const { submit, final, file } = await renderOnce(p, requestFor(p, shot({ duration: 4, res: '640x352' })));
    expect(sim.submissions.at(-1)).toMatchObject({ taskId: submit.taskId, path: '/v1/text-to-video', body: { model: 'Lightricks/LTX-2', prompt: 'a lighthouse at dusk', duration: 4, resolution: '640x352', fps: 25 } });
    expect(final).toEqual({ status: 'succeeded', result: { kind: 'task' }, actual: { unit: 'USD', amount: 0.08 }, adjustments: undefined });
    const v = await probe(file!);
    expect(Math.round(v.duration)).toBe(4);
    expect(v.video).toMatchObject({ width: 640, height: 352 });
    const mine = sim.requests.filter((r) => r.path.includes(submit.taskId) || r.path === '/v1/text-to-video');
    expect(mine.map((r) => r.method)).toEqual(mine.map(() => 'POST'));
    expect(mine.some((r) => r.path === `/v1/jobs/${submit.taskId}/download`)).toBe(true);
    expect(sim.authSeen.every((a) => a.value === `Bearer ${KEY}` && PATHS.test(a.path))).toBe(true);
    expect(sim.requests.some((r) => r.path.startsWith('/files/'))).toBe(false);
  });

  it('records what the service adjusted (size rounding, duration clamping) as the adjustments text', async () => {
    const p = provider();
    const { final } = await renderOnce(p, requestFor(p, shot({ duration: 4, res: '480p' })));
    expect(final).toMatchObject({ status: 'succeeded', adjustments: 'resolution 854x480 -> 832x480 (resolution fitted to the GPU limit of 1920x1088 and multiples of 32)' });
    // A request that skipped validate(): the service clamps instead of rejecting, and says so.
    const req = requestFor(p, shot({ duration: 4, res: '640x352' }));
    const clamped = await renderOnce(p, { ...req, body: { ...req.body, duration: 12 } });
    expect(clamped.final).toMatchObject({ status: 'succeeded', adjustments: 'duration 12 -> 10 (duration clamped to 4-10 seconds)', actual: { amount: 0.2 } });
  });

  it('sends a local image as a base64 data URI read at submit time, a URL as it is', async () => {
    const dir = withFiles({ 'still.png': PNG });
    const p = provider();
    const req = requestFor(p, shot({ mode: 'image-to-video', duration: 4, res: '640x352', image: { kind: 'file', path: path.join(dir, 'still.png'), original: 'still.png' } }));
    expect(JSON.stringify(req)).not.toContain('data:image');
    const { submit, final } = await renderOnce(p, req);
    expect(final.status).toBe('succeeded');
    const sent = sim.submissions.find((s) => s.taskId === submit.taskId)!;
    expect(sent.path).toBe('/v1/image-to-video');
    expect(sent.body).toMatchObject({ image_uri: `data:image/png;base64,${PNG.toString('base64')}`, resolution: '640x352' });
    expect(sent.body).not.toHaveProperty('image_file');
    expect(req.body.image_file).toBe(path.join(dir, 'still.png'));

    const byUrl = requestFor(p, shot({ mode: 'image-to-video', duration: 4, res: '640x352', image: { kind: 'url', url: 'https://cdn.example.com/still.png', original: 'https://cdn.example.com/still.png' } }));
    const sub = await p.submit!(byUrl, testCtx());
    expect(sim.submissions.find((s) => s.taskId === sub.taskId)!.body).toMatchObject({ image_uri: 'https://cdn.example.com/still.png' });

    const gone = await errorOf(p.submit!({ ...req, body: { ...req.body, image_file: path.join(dir, 'missing.png') } }, testCtx()));
    expect(gone).toMatchObject({ kind: 'invalid' });
    expect(gone.message).toContain('missing.png');
  });

  it('maps a failed job to a failed shot with the error type and message as written, billed nothing', async () => {
    const p = provider();
    sim.faults.push({ kind: 'fail-task', count: 1, code: 'content_policy', message: 'Prompt rejected by the content filter' });
    const { submit, final } = await renderOnce(p, requestFor(p, shot({ duration: 4, res: '640x352' })));
    expect(final).toEqual({ status: 'failed', code: 'content_policy', message: 'Prompt rejected by the content filter', actual: { unit: 'USD', amount: 0 } });
    expect(sim.charges.filter((c) => c.taskId === submit.taskId)).toEqual([]);
  });

  it('reads queued/running as pending/running; 409 on download -> not-ready; unknown job -> expired', async () => {
    const p = provider({}, slow.baseUrl);
    const ctx = testCtx();
    const req = requestFor(p, shot({ duration: 4, res: '640x352' }));
    const sub = await p.submit!(req, ctx);
    expect(sub.immediate).toBeUndefined();
    expect(sub.firstPollMs).toBe(5);
    expect(await p.poll!(sub.taskId, req, ctx)).toEqual({ status: 'pending', nextPollMs: 5 });
    const early = await errorOf(p.download!(sub.taskId, { kind: 'task' }, path.join(ctx.tmpDir, 'x.mp4'), ctx));
    expect(early).toMatchObject({ kind: 'not-ready', opts: { status: 409 } });
    expect(early.message).toContain('is not complete');
    const unknown = await errorOf(p.poll!('no-such-job', req, ctx));
    expect(unknown).toMatchObject({ kind: 'expired', opts: { status: 404 } });
    expect(unknown.message).toContain("Job 'no-such-job' not found");
    const dl = await errorOf(p.download!('no-such-job', { kind: 'task' }, path.join(ctx.tmpDir, 'y.mp4'), ctx));
    expect(dl).toMatchObject({ kind: 'expired' });
    expect(dl.message).toContain("Job 'no-such-job' not found");
    slow.faults.push({ kind: 'expired-url', count: 1, on: 'download' });
    expect(await errorOf(p.download!(sub.taskId, { kind: 'task' }, path.join(ctx.tmpDir, 'z.mp4'), ctx))).toMatchObject({ kind: 'expired' });
  });

  it('classifies errors: 401/403 auth, 402 and 400 insufficient balance -> credits, 429 and 5xx retryable, 400/413/422 invalid with the message', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ duration: 4, res: '640x352' }));
    const p = provider();
    const wrong = await errorOf(provider({ BYTECOMPUTE_API_KEY: 'wrong-key-0000' }).submit!(req, ctx));
    expect(wrong).toMatchObject({ kind: 'auth', opts: { status: 401 } });
    expect(wrong.message).toContain('Invalid API key');
    expect(wrong.message).not.toContain('wrong-key-0000');
    await expect(createBytecomputeProvider({ BYTECOMPUTE_BASE_URL: sim.baseUrl }).submit!(req, ctx)).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('BYTECOMPUTE_API_KEY') });
    sim.faults.push({ kind: 'http-error', count: 1, on: 'poll', status: 403, code: 'permission_denied', message: 'key lacks video scope' });
    const sub = await p.submit!(req, ctx);
    expect(await errorOf(p.poll!(sub.taskId, req, ctx))).toMatchObject({ kind: 'auth', opts: { status: 403 }, message: expect.stringContaining('key lacks video scope') });

    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 402, code: 'payment_required', message: 'Add funds to continue' });
    expect(await errorOf(p.submit!(req, ctx))).toMatchObject({ kind: 'credits', message: expect.stringContaining('Add funds to continue') });
    sim.faults.push({ kind: 'insufficient-credits', count: 1 });
    expect(await errorOf(p.submit!(req, ctx))).toMatchObject({ kind: 'credits', opts: { status: 400, code: 'insufficient_balance' }, message: expect.stringContaining('Insufficient credits') });

    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit', retryAfterS: 3 });
    expect(await errorOf(p.submit!(req, ctx))).toMatchObject({ kind: 'retryable', opts: { status: 429, retryAfterMs: 3000 } });
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'poll' });
    const noHeader = await errorOf(p.poll!(sub.taskId, req, ctx));
    expect(noHeader).toMatchObject({ kind: 'retryable', opts: { status: 429 } });
    expect(noHeader.opts.retryAfterMs).toBeUndefined();
    sim.faults.push({ kind: 'server-error', count: 1, on: 'submit', status: 500 }, { kind: 'server-error', count: 1, on: 'download', status: 503 });
    expect(await errorOf(p.submit!(req, ctx))).toMatchObject({ kind: 'retryable', opts: { status: 500 }, message: expect.stringContaining('Internal server error') });
    expect(await errorOf(p.download!(sub.taskId, { kind: 'task' }, path.join(ctx.tmpDir, 'a.mp4'), ctx))).toMatchObject({ kind: 'retryable', opts: { status: 503 } });

    const bad = await errorOf(p.submit!({ ...req, body: { ...req.body, fps: 30 } }, ctx));
    expect(bad).toMatchObject({ kind: 'invalid', opts: { status: 400 } });
    expect(bad.message).toBe('HTTP 400: fps must be 25 or 50');
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 413, code: 'payload_too_large', message: 'Image too large' });
    expect(await errorOf(p.submit!(req, ctx))).toMatchObject({ kind: 'invalid', message: 'HTTP 413: Image too large' });
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 422, code: 'invalid_request_error', message: 'unsupported image format' });
    expect(await errorOf(p.submit!(req, ctx))).toMatchObject({ kind: 'invalid', message: 'HTTP 422: unsupported image format' });
  });

  it('reads a shape it does not know as unreadable, with the (redacted) response', async () => {
    const p = provider();
    const ctx = testCtx();
    const req = requestFor(p, shot({ duration: 4, res: '640x352' }));
    const sub = await p.submit!(req, ctx);
    sim.faults.push({ kind: 'http-error', count: 1, on: 'poll', status: 200, code: 'odd', message: `echo ${KEY}` });
    const err = await errorOf(p.poll!(sub.taskId, req, ctx));
    expect(err.kind).toBe('unreadable');
    expect(err.message).toContain('"type":"error"');
    expect(err.message).not.toContain(KEY);
  });

  it('never puts the key in an error message, even when the service echoes it', async () => {
    const p = provider();
    const ctx = testCtx();
    const req = requestFor(p, shot({ duration: 4, res: '640x352' }));
    for (const [status, on] of [[400, 'submit'], [500, 'submit'], [403, 'poll'], [409, 'download'], [404, 'poll']] as const) {
      const sub = await p.submit!(req, ctx);
      sim.faults.push({ kind: 'http-error', count: 1, on, status, code: 'x', message: `bad key ${KEY} (Bearer ${KEY})` });
      const call = on === 'submit' ? p.submit!(req, ctx) : on === 'poll' ? p.poll!(sub.taskId, req, ctx) : p.download!(sub.taskId, { kind: 'task' }, path.join(ctx.tmpDir, 'k.mp4'), ctx);
      const err = await errorOf(call);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.message).toContain('bad key ***');
      expect(err.message).not.toContain(KEY);
    }
  });
});

describe('bytecompute: answers read with the schemas of api.ts', () => {
  const job = (over: Record<string, unknown>) => ({ id: 'job-odd', status: 'completed', adjustments: null, ...over });

  it('names the field that was wrong, with the (redacted) answer', async () => {
    const p = provider();
    const ctx = testCtx();
    const req = requestFor(p, shot({ duration: 4, res: '640x352' }));
    sim.oddAnswers.push({ on: 'poll', answer: { status: 200, json: job({ status: 'done', note: `echo ${KEY}` }) } });
    const err = await errorOf(p.poll!('job-odd', req, ctx));
    expect(err.kind).toBe('unreadable');
    expect(err.message).toContain('bytecompute answered POST /v1/jobs/job-odd in a shape this version cannot read: field "status"');
    expect(err.message).toContain('"note":"echo ***"');
    expect(err.message).not.toContain(KEY);
    sim.oddAnswers.push({ on: 'submit', answer: { status: 200, json: { job_id: 'x', status: 'queued' } } });
    expect(await errorOf(p.submit!(req, ctx))).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "id"') });
    sim.oddAnswers.push({ on: 'poll', answer: { status: 200, json: job({ cost: { amount_usd: '0.08' } }) } });
    expect(await errorOf(p.poll!('job-odd', req, ctx))).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "cost.amount_usd"') });
  });

  it('takes a submit answer that is only {id} as a queued job; a job without cost records no actual cost', async () => {
    const p = provider();
    const ctx = testCtx();
    const req = requestFor(p, shot({ duration: 4, res: '640x352' }));
    sim.oddAnswers.push({ on: 'submit', answer: { status: 200, json: { id: 'job-bare' } } });
    expect(await p.submit!(req, ctx)).toEqual({ taskId: 'job-bare', immediate: undefined, firstPollMs: 5 });
    sim.oddAnswers.push({ on: 'poll', answer: { status: 200, json: job({}) } });
    expect(await p.poll!('job-bare', req, ctx)).toEqual({ status: 'succeeded', result: { kind: 'task' }, actual: undefined, adjustments: undefined });
    sim.oddAnswers.push({ on: 'poll', answer: { status: 200, json: job({ status: 'failed', error: 'worker lost' }) } });
    expect(await p.poll!('job-bare', req, ctx)).toEqual({ status: 'failed', code: undefined, message: 'worker lost', actual: { unit: 'USD', amount: 0 } });
  });

  it('reads adjustments of other shapes ({parameter, requested, applied}; anything else as JSON) without failing the shot', async () => {
    const p = provider();
    const req = requestFor(p, shot({ duration: 4, res: '640x352' }));
    sim.oddAnswers.push({ on: 'poll', answer: { status: 200, json: job({ adjustments: [{ parameter: 'fps', requested: 30, applied: 25 }, { parameter: 'duration', requested: null, applied: 5 }] }) } });
    expect(await p.poll!('job-odd', req, testCtx())).toMatchObject({ status: 'succeeded', adjustments: 'fps 30 -> 25; {"parameter":"duration","requested":null,"applied":5}' });
    expect(formatAdjustments({ fps: 25, size: [1, 2] })).toBe('fps: 25; size: [1,2]');
  });

  it('fails the download as unreadable when the download route answers JSON instead of a video', async () => {
    const p = provider();
    const ctx = testCtx();
    sim.oddAnswers.push({ on: 'download', answer: { status: 200, json: { url: 'https://cdn.example.com/v.mp4', token: KEY } } });
    const err = await errorOf(p.download!('job-odd', { kind: 'task' }, path.join(ctx.tmpDir, 'j.mp4'), ctx));
    expect(err).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('instead of a video') });
    expect(err.message).not.toContain(KEY);
    expect(fs.existsSync(path.join(ctx.tmpDir, 'j.mp4'))).toBe(false);
  });

  it('checks the key: a 404 outside the error envelope means BYTECOMPUTE_BASE_URL is not the API (the base URL is assumed)', async () => {
    const p = provider();
    await expect(p.checkKey!(testCtx())).resolves.toMatchObject({ ok: true });
    sim.oddAnswers.push({ on: 'poll', answer: { status: 404, text: 'Cannot POST /v1/jobs/x' } });
    await expect(p.checkKey!(testCtx())).rejects.toMatchObject({ kind: 'setup', message: expect.stringContaining('is BYTECOMPUTE_BASE_URL the API') });
  });

  it('names the price source, the date it was read and what is assumed; marks assumed price lines', () => {
    const src = provider().sources!();
    expect(src).toMatchObject({ prices: 'https://bytecompute.ai/model/bytecompute/lightricks-ltx-2', pricesRead: '2026-12-02' });
    const assumed = src.assumed.join('\n');
    expect(assumed).toContain('base URL https://api.bytecompute.ai');
    expect(assumed).toContain('status words queued, running and failed');
    expect(assumed).toMatch(/empty balance is a 400 .*no public page describes it/);
    const lines = provider().describePrices!();
    expect(lines.slice(0, 2)).toEqual(['SD (up to 921,600 pixels): $0.02/s of video', 'HD (above that): $0.04/s of video']);
    expect(lines.slice(2).every((l) => l.includes('(assumed'))).toBe(true);
  });
});

describe('bytecompute: restart in the middle of polling', () => {
  it('polls the stored job instead of submitting (and paying) again', async () => {
    const before = sim.submissions.length;
    const { summary, clip } = await resumeAfterRestart(provider(), shot({ id: 'r1', duration: 4, res: '640x352' }));
    expect(summary.succeeded).toBe(1);
    expect(clip).toBeDefined();
    expect(sim.submissions.length - before).toBe(1);
  });
});

describe('ltx-batch render --provider bytecompute (end to end)', () => {
  it('renders text- and image-to-video shots, records cost and adjustments, keeps key and image data out of the project', async () => {
    const dir = withFiles({
      'sb.csv': 'shot,prompt,duration,resolution,mode,image\n1,a harbour at dawn,4,480p,,\n2,the still comes alive,5,480p,image-to-video,still.png\n',
      'still.png': PNG,
    });
    const out = tmpDir();
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--provider', 'bytecompute', '--plain'], {
      BYTECOMPUTE_API_KEY: KEY, BYTECOMPUTE_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001',
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('2 succeeded');
    expect(res.stdout).toMatch(/│ 1\s+│ bytecompute\s+│ succeeded │ 1\s+│ [-\d]+\s+│ 1\s+│ \$0\.08\s+│ \$0\.08\s+│/);
    expect(res.stdout).toMatch(/│ 2\s+│ bytecompute\s+│ succeeded │ 1\s+│ [-\d]+\s+│ 1\s+│ \$0\.10\s+│ \$0\.10\s+│/);
    const film = await probe(path.join(out, 'film.mp4'));
    expect(Math.abs(film.duration - 9)).toBeLessThan(0.2);
    const store = new ProjectStore(out);
    try {
      const jobs = store.latestJobs();
      expect(jobs).toHaveLength(2);
      for (const j of jobs) expect(j.notes).toContain('adjusted by the service: resolution 854x480 -> 832x480 (resolution fitted to the GPU limit of 1920x1088 and multiples of 32)');
    } finally {
      store.close();
    }
    for (const f of fs.readdirSync(out).filter((n) => n.startsWith('project.sqlite'))) {
      const bytes = fs.readFileSync(path.join(out, f));
      expect(bytes.includes(Buffer.from(KEY))).toBe(false);
      expect(bytes.includes(Buffer.from('base64,'))).toBe(false);
    }
  });
});
