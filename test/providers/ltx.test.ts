import path from 'node:path';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLtxProvider, LTX_FORM_ENV } from '../../main/providers/ltx/ltx';
import { ltxUsd, LTX_USD_PER_SECOND } from '../../main/providers/ltx/prices';
import { ProviderError, type Provider } from '../../main/providers/provider';
import { ProviderRegistry } from '../../main/providers/registry';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { probe } from '../../main/media/ffprobe';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';
import { renderOnce, requestFor, shot, testCtx } from '../helpers/provider-harness';
import { runCli } from '../helpers/cli';
import { resumeAfterRestart } from '../helpers/restart';
import { tmpDir, withFiles } from '../helpers/tmp';

let sim: LtxSimulator;
const KEY = 'ltx-secret-key-424242';
beforeAll(async () => {
  sim = await startLtxSimulator({ apiKey: KEY, renderMs: 50, shrinkVideos: true });
});
afterAll(() => sim.close());
const provider = (env: Record<string, string> = {}) => createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001', ...env });
const quick = () => provider({ [LTX_FORM_ENV]: 'quickstart' });
const IMG = { kind: 'url' as const, url: 'https://example.com/start.png', original: 'https://example.com/start.png' };
const AUDIO = { kind: 'url' as const, url: 'https://example.com/voice.mp3', original: 'https://example.com/voice.mp3' };
/** A tiny valid PNG (1x1). */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
/** Every Authorization header went to the API (/v1/...), never to a result file. */
const authOnlyOnApi = () => sim.authSeen.length > 0 && sim.authSeen.every((a) => a.path.startsWith('/v1/'));
const fileShot = (kind: 'image' | 'audio', name: string, content: Buffer) => {
  const dir = withFiles({ [name]: content });
  return { kind: 'file' as const, path: path.join(dir, name), original: name };
};

describe('ltx: request mapping and limits (doc 003)', () => {
  it('maps text-, image- and audio-to-video rows to the documented routes and bodies', () => {
    const p = provider();
    const t2v = requestFor(p, shot({ duration: 20, res: '1080p', seed: 7 }));
    expect(t2v.route).toBe('POST /generations/text-to-video');
    expect(t2v.body).toEqual({ prompt: 'a lighthouse at dusk', model: 'ltx-2-fast', resolution: '1920x1080', duration: 20, fps: 25, seed: 7 });
    const pro4k = requestFor(p, shot({ duration: 10, res: '2160p', fps: 50, model: 'ltx-2-pro' }));
    expect(pro4k.body).toEqual({ prompt: 'a lighthouse at dusk', model: 'ltx-2-pro', resolution: '3840x2160', duration: 10, fps: 50 });
    expect(requestFor(p, shot({ duration: 6, res: '2560x1440' })).body).toMatchObject({ resolution: '2560x1440' });
    const i2v = requestFor(p, shot({ mode: 'image-to-video', image: IMG, duration: 8, res: '1080p', negativePrompt: 'blur' }));
    expect(i2v.route).toBe('POST /generations/image-to-video');
    expect(i2v.body).toMatchObject({ image: 'https://example.com/start.png', duration: 8, model: 'ltx-2-fast' });
    expect(i2v.notes).toContain('ltx has no negative prompt; it was not sent');
    const a2v = requestFor(p, shot({ mode: 'audio-to-video', audio: AUDIO, duration: 6, res: '1080p' }));
    expect(a2v.route).toBe('POST /generations/audio-to-video');
    expect(a2v.body).toEqual({ prompt: 'a lighthouse at dusk', model: 'ltx-2-pro', resolution: '1920x1080', duration: 6, fps: 25, audio: 'https://example.com/voice.mp3' });
    expect(a2v.notes?.join(' ')).toContain('only model for audio-to-video');
    // Local files stay paths (with their type) until submit.
    const img = fileShot('image', 'start.png', PNG);
    expect(requestFor(p, shot({ mode: 'image-to-video', image: img, duration: 6, res: '1080p' })).body.image).toEqual({ file: img.path, mime: 'image/png' });
  });

  it('quick-start form (LTX_API_FORM=quickstart): /text-to-video and /image-to-video with image_uri; audio stays on /generations', () => {
    const q = quick();
    expect(requestFor(q, shot({ duration: 6, res: '1080p' })).route).toBe('POST /text-to-video');
    const i2v = requestFor(q, shot({ mode: 'image-to-video', image: IMG, duration: 6, res: '1080p' }));
    expect(i2v.route).toBe('POST /image-to-video');
    expect(i2v.body).toMatchObject({ image_uri: 'https://example.com/start.png' });
    expect(i2v.body).not.toHaveProperty('image');
    const a2v = requestFor(q, shot({ mode: 'audio-to-video', audio: AUDIO, duration: 6, res: '1080p' }));
    expect(a2v.route).toBe('POST /generations/audio-to-video');
    expect(provider({ [LTX_FORM_ENV]: 'bogus' }).availability()).toMatchObject({ ok: false, reason: expect.stringContaining('LTX_API_FORM') });
  });

  it('declares the documented capabilities and limits (10 concurrent, 100 requests per minute)', () => {
    const p = provider();
    expect(p.limits()).toEqual({ concurrency: 10, requestsPerMinute: 100 });
    expect(p.capabilities()).toMatchObject({ modes: ['text-to-video', 'image-to-video', 'audio-to-video'], resolutions: ['1920x1080', '2560x1440', '3840x2160'], fps: [25, 50], models: ['ltx-2-fast', 'ltx-2-pro'], mediaInputs: 'url-or-file' });
    expect(createLtxProvider({}).availability()).toMatchObject({ ok: false, reason: expect.stringContaining('LTX_API_KEY') });
    expect(p.describePrices!()[0]).toBe('ltx-2-fast: $0.02/s at 1080p, $0.04/s at 1440p, $0.08/s at 4K');
    expect(p.describePrices!()[1]).toBe('ltx-2-pro: $0.05/s at 1080p, $0.1/s at 1440p, $0.2/s at 4K');
  });

  it('refuses what the service cannot render, naming the column and what it accepts', () => {
    const p = provider();
    const issues = (s: Parameters<typeof shot>[0]) => {
      const v = p.validate(shot(s));
      return v.ok ? [] : v.issues;
    };
    const many = issues({ duration: 4, res: '720p', fps: 30, mode: 'lipsync', loras: [{ path: 'x', scale: 1 }] });
    expect(many.map((i) => i.column)).toEqual(['mode', 'fps', 'resolution', 'duration', 'loras']);
    expect(many[0].message).toBe('ltx does not do lipsync; it does text-to-video, image-to-video, audio-to-video');
    expect(many[2].message).toBe('ltx renders 1920x1080, 2560x1440 or 3840x2160 (1080p, 1440p or 2160p/4K at 16:9); got 720p (1280x720)');
    expect(issues({ duration: 6, res: '1080p', aspectRatio: '9:16' })).toEqual([{ column: 'aspect_ratio', message: 'ltx takes aspect ratio 16:9; got 9:16' }]);
    // Durations: fast text-to-video at 1080p/25 fps 6-20, everything else 6-10, whole seconds.
    expect(issues({ duration: 21, res: '1080p' })).toEqual([{ column: 'duration', message: 'ltx renders 6-20 s for ltx-2-fast text-to-video at 1920x1080 and 25 fps; got 21 s' }]);
    expect(issues({ duration: 12, res: '1080p', model: 'ltx-2-pro' })[0].message).toBe('ltx renders 6-10 s for ltx-2-pro (6-20 s only with ltx-2-fast text-to-video at 1920x1080 and 25 fps); got 12 s');
    expect(issues({ duration: 12, res: '1440p' })[0].message).toContain('6-10 s for ltx-2-fast above 1920x1080 or at 50 fps');
    expect(issues({ duration: 12, res: '1080p', fps: 50 })[0].column).toBe('duration');
    expect(issues({ duration: 11, res: '1080p', mode: 'image-to-video', image: IMG })[0].message).toContain('6-10 s for image-to-video');
    expect(issues({ duration: 6.5, res: '1080p' })).toEqual([{ column: 'duration', message: 'ltx takes whole seconds (6-20); got 6.5 s' }]);
    expect(issues({ duration: 6, res: '1080p', model: 'ltx-3' })[0]).toEqual({ column: 'model', message: 'ltx has models ltx-2-fast, ltx-2-pro; got "ltx-3"' });
    // Audio-to-video: ltx-2-pro at 1920x1080 only, needs audio.
    expect(issues({ mode: 'audio-to-video', audio: AUDIO, duration: 6, res: '1440p', model: 'ltx-2-fast' })).toEqual([
      { column: 'model', message: 'ltx audio-to-video takes only ltx-2-pro; got "ltx-2-fast"' },
      { column: 'resolution', message: 'ltx audio-to-video renders only 1920x1080 (1080p); got 1440p' },
    ]);
    expect(issues({ mode: 'audio-to-video', duration: 6, res: '1080p' })[0]).toMatchObject({ column: 'audio', message: expect.stringContaining('needs an audio track') });
    expect(issues({ mode: 'image-to-video', duration: 6, res: '1080p' })[0]).toMatchObject({ column: 'image', message: expect.stringContaining('jpg, jpeg, png, webp or gif') });
    // Media formats and sizes ("File Requirements").
    const bmp = { kind: 'url' as const, url: 'https://example.com/a.bmp', original: 'https://example.com/a.bmp' };
    expect(issues({ mode: 'image-to-video', image: bmp, duration: 6, res: '1080p' })).toEqual([{ column: 'image', message: 'ltx takes images as jpg, jpeg, png, webp, gif; "https://example.com/a.bmp" is .bmp' }]);
    const flac = fileShot('audio', 'voice.flac', Buffer.from('fLaC0000'));
    expect(issues({ mode: 'audio-to-video', audio: flac, duration: 6, res: '1080p' })[0].message).toBe('ltx takes audios as mp3, wav, ogg, m4a, aac; "voice.flac" is not one of them');
    const big = fileShot('image', 'big.png', PNG);
    fs.truncateSync(big.path, 21 * 1024 * 1024);
    expect(issues({ mode: 'image-to-video', image: big, duration: 6, res: '1080p' })[0]).toMatchObject({ column: 'image', message: expect.stringContaining('up to 20 MB') });
  });

  it('estimates USD from the per-second table, including the doc\'s worked examples', () => {
    const p = provider();
    const usd = (s: Parameters<typeof shot>[0]) => p.estimate(shot(s));
    expect(usd({ duration: 6, res: '1080p' })).toEqual({ unit: 'USD', min: 0.12, max: 0.12, usdPerUnit: 1, basis: '6 s x $0.02/s (ltx-2-fast, 1080p)' });
    expect(usd({ duration: 10, res: '1080p' }).max).toBe(0.2);
    expect(usd({ duration: 6, res: '1080p', model: 'ltx-2-pro' }).max).toBe(0.3);
    expect(usd({ duration: 6, res: '2160p', model: 'ltx-2-pro' }).max).toBe(1.2);
    expect(usd({ duration: 8, res: '1440p', model: 'ltx-2-pro' }).max).toBe(0.8);
    expect(usd({ mode: 'audio-to-video', audio: AUDIO, duration: 6, res: '1080p' }).max).toBe(0.3);
    expect(ltxUsd('ltx-2-fast', '2560x1440', 7)).toBe(0.28);
    expect(LTX_USD_PER_SECOND['ltx-2-fast']['3840x2160']).toBe(0.08);
  });
});

describe('ltx against its simulator', () => {
  it('doc form, async: "processing", polled to "completed"; cost recorded; no key sent to the video URL', async () => {
    sim.mode = 'async';
    const p = provider();
    const { submit, final, file, polls } = await renderOnce(p, requestFor(p, shot({ duration: 6, res: '1080p' })));
    expect(submit.taskId).toMatch(/^gen_/);
    expect(submit.immediate).toBeUndefined();
    expect(submit.firstPollMs).toBe(5);
    expect(submit.actual).toEqual({ unit: 'USD', amount: 0.12 });
    expect(polls).toBeGreaterThan(0);
    expect(final).toMatchObject({ status: 'succeeded', result: { kind: 'url' }, actual: { unit: 'USD', amount: 0.12 } });
    expect(Math.round((await probe(file!)).duration)).toBe(6);
    expect(sim.submissions.at(-1)!.path).toBe('/v1/generations/text-to-video');
    expect(sim.requests.some((r) => r.path.startsWith('/files/') && !r.authPresent)).toBe(true);
    expect(authOnlyOnApi()).toBe(true);
  });

  it('doc form, sync: "completed" with video_url right away, no poll', async () => {
    sim.mode = 'sync';
    try {
      const p = provider();
      const { submit, final, polls } = await renderOnce(p, requestFor(p, shot({ duration: 6, res: '1080p', model: 'ltx-2-pro' })));
      expect(submit.immediate).toMatchObject({ status: 'succeeded', result: { kind: 'url' }, actual: { unit: 'USD', amount: 0.3 } });
      expect(polls).toBe(0);
      expect(final.status).toBe('succeeded');
    } finally {
      sim.mode = 'async';
    }
  });

  it('quick-start form: the MP4 body is the result, written under tmpDir, task id from x-request-id', async () => {
    const q = quick();
    const ctx = testCtx();
    const { submit, file, polls } = await renderOnce(q, requestFor(q, shot({ duration: 6, res: '1080p' })), ctx);
    expect(submit.taskId).toMatch(/^req_/);
    expect(submit.immediate).toMatchObject({ status: 'succeeded', result: { kind: 'file', path: expect.stringContaining(ctx.tmpDir) } });
    expect(polls).toBe(0);
    expect(sim.submissions.at(-1)).toMatchObject({ taskId: submit.taskId, path: '/v1/text-to-video' });
    expect(Math.round((await probe(file!)).duration)).toBe(6);
    // A quick-start image goes as a data URI in image_uri.
    const img = fileShot('image', 'start.png', PNG);
    const i2v = await q.submit!(requestFor(q, shot({ mode: 'image-to-video', image: img, duration: 6, res: '1080p' })), testCtx());
    expect(i2v.immediate?.status).toBe('succeeded');
    expect(sim.submissions.at(-1)).toMatchObject({ path: '/v1/image-to-video', body: { image_uri: expect.stringMatching(/^data:image\/png;base64,/) } });
    // A restarted process polling a quick-start task finds the MP4 it had saved, or knows it is gone.
    const ctx2 = testCtx();
    const t2v = requestFor(q, shot({ duration: 6, res: '1080p' }));
    const again = await q.submit!(t2v, ctx2);
    expect(await q.poll!(again.taskId, t2v, ctx2)).toEqual(again.immediate);
    await expect(q.poll!('req_gone', t2v, testCtx())).rejects.toMatchObject({ kind: 'expired' });
    expect(authOnlyOnApi()).toBe(true);
  });

  it('uploads local image and audio files as multipart/form-data on the doc routes', async () => {
    const p = provider();
    const img = fileShot('image', 'start.png', PNG);
    await p.submit!(requestFor(p, shot({ mode: 'image-to-video', image: img, duration: 6, res: '1080p', seed: 3 })), testCtx());
    expect(sim.submissions.at(-1)).toMatchObject({ path: '/v1/generations/image-to-video', body: { image: { file: true, filename: 'start.png', type: 'image/png', size: PNG.length }, duration: '6', seed: '3' } });
    const wav = fileShot('audio', 'voice.wav', Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.alloc(64)]));
    const a = await p.submit!(requestFor(p, shot({ mode: 'audio-to-video', audio: wav, duration: 6, res: '1080p' })), testCtx());
    expect(a.actual).toEqual({ unit: 'USD', amount: 0.3 });
    expect(sim.submissions.at(-1)).toMatchObject({ path: '/v1/generations/audio-to-video', body: { model: 'ltx-2-pro', audio: { file: true, filename: 'voice.wav', type: 'audio/wav' } } });
  });

  it('a failed generation: the service\'s error type and message as written, its cost recorded', async () => {
    const p = provider();
    sim.faults.push({ kind: 'fail-task', count: 1, code: 'content_policy_violation', message: 'Prompt rejected by safety filter' });
    const { final } = await renderOnce(p, requestFor(p, shot({ duration: 6, res: '1080p' })));
    expect(final).toEqual({ status: 'failed', code: 'content_policy_violation', message: 'Prompt rejected by safety filter', actual: { unit: 'USD', amount: 0.12 } });
  });

  it('classifies errors by the doc\'s table: 401/403 auth, 402 credits, 429/500/503 retryable, 400/413/422 invalid, 404 on poll expired', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ duration: 6, res: '1080p' }));
    const err = async (p: Promise<unknown>) => (await p.then(() => undefined, (e) => e)) as ProviderError;
    const wrong = await err(provider({ LTX_API_KEY: 'wrong-key-987654' }).submit!(req, ctx));
    expect(wrong).toMatchObject({ kind: 'auth', opts: { status: 401, code: 'authentication_error' } });
    expect(wrong.message).not.toContain('wrong-key-987654');
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 403, code: 'forbidden', message: 'Key disabled' });
    expect(await err(provider().submit!(req, ctx))).toMatchObject({ kind: 'auth', opts: { status: 403 } });
    sim.faults.push({ kind: 'insufficient-credits', count: 1 });
    expect(await err(provider().submit!(req, ctx))).toMatchObject({ kind: 'credits', opts: { status: 402 } });
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit', retryAfterS: 7 });
    expect(await err(provider().submit!(req, ctx))).toMatchObject({ kind: 'retryable', opts: { status: 429, retryAfterMs: 7000 } });
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit' });
    expect(await err(provider().submit!(req, ctx))).toMatchObject({ kind: 'retryable', opts: { status: 429, retryAfterMs: 60_000 } });
    sim.faults.push({ kind: 'server-error', count: 1, on: 'submit', status: 500 });
    expect(await err(provider().submit!(req, ctx))).toMatchObject({ kind: 'retryable', opts: { status: 500, retryAfterMs: 300_000 } });
    sim.faults.push({ kind: 'server-error', count: 1, on: 'poll', status: 503 });
    const sub = await provider().submit!(req, ctx);
    const e503 = await err(provider().poll!(sub.taskId, req, ctx));
    expect(e503).toMatchObject({ kind: 'retryable', opts: { status: 503, retryAfterMs: undefined } });
    const e400 = await err(provider().submit!({ ...req, body: { ...req.body, duration: 30 } }, ctx));
    expect(e400).toMatchObject({ kind: 'invalid', opts: { status: 400 } });
    expect(e400.message).toBe('HTTP 400: invalid_request_error: duration 30 out of range for ltx-2-fast text-to-video at 1920x1080/25fps (6-20 seconds)');
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 413, message: 'image file too large (max 20MB)' });
    expect(await err(provider().submit!(req, ctx))).toMatchObject({ kind: 'invalid', message: 'HTTP 413: file_too_large: image file too large (max 20MB)' });
    const i2v = requestFor(provider(), shot({ mode: 'image-to-video', image: IMG, duration: 6, res: '1080p' }));
    const e422 = await err(provider().submit!({ ...i2v, body: { ...i2v.body, image: 'https://example.com/a.bmp' } }, ctx));
    expect(e422).toMatchObject({ kind: 'invalid', opts: { status: 422, code: 'invalid_file_format' } });
    expect(e422.message).toContain("unsupported image format '.bmp'");
    expect(await err(provider().poll!('gen_unknown', req, ctx))).toMatchObject({ kind: 'expired' });
    sim.faults.push({ kind: 'expired-url', count: 1 });
    const done = await renderOnce(provider(), req).then(() => undefined, (e) => e);
    expect(done).toMatchObject({ kind: 'expired' });
    await expect(createLtxProvider({ LTX_BASE_URL: sim.baseUrl }).submit!(req, ctx)).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('LTX_API_KEY') });
  });

  it('checks a key without generating anything', async () => {
    const before = sim.submissions.length;
    expect(await provider().checkKey!(testCtx())).toMatchObject({ ok: true });
    const bad = await provider({ LTX_API_KEY: 'wrong-key-55555' }).checkKey!(testCtx());
    expect(bad).toMatchObject({ ok: false, message: expect.stringContaining('HTTP 401') });
    expect(bad.message).not.toContain('wrong-key-55555');
    expect(sim.submissions.length).toBe(before);
  });

  it('never puts the key in an error message, and sends it only to the API', async () => {
    const req = requestFor(provider(), shot({ duration: 6, res: '1080p' }));
    for (const f of [{ kind: 'server-error' as const, count: 1, on: 'submit' as const, status: 503 }, { kind: 'http-error' as const, count: 1, on: 'submit' as const, status: 400, message: `bad key ${KEY} echoed` }]) {
      sim.faults.push(f);
      const e = (await provider().submit!(req, testCtx()).catch((x) => x)) as Error;
      expect(e).toBeInstanceOf(ProviderError);
      expect(e.message).not.toContain(KEY);
    }
    expect(authOnlyOnApi()).toBe(true);
  });
});

describe('ltx: answers the simulator does not give', () => {
  let server: http.Server;
  let base = '';
  let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;
  beforeAll(async () => {
    server = http.createServer((req, res) => answer(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('an MP4 answer on a doc route is the result; an unreadable shape is "unreadable" with the response redacted', async () => {
    const p = createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: base });
    const req = requestFor(p, shot({ duration: 6, res: '1080p' }));
    answer = (_q, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'x-request-id': 'req_abc' });
      res.end(Buffer.from('not really an mp4 but bytes'));
    };
    const ctx = testCtx();
    const s = await p.submit!(req, ctx);
    expect(s).toMatchObject({ taskId: 'req_abc', immediate: { status: 'succeeded', result: { kind: 'file' } } });
    const dest = path.join(ctx.tmpDir, 'out.mp4');
    await p.download!(s.taskId, (s.immediate as { result: { kind: 'file'; path: string } }).result, dest, ctx);
    expect(fs.readFileSync(dest, 'utf8')).toBe('not really an mp4 but bytes');
    answer = (q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'gen_1', state: 'weird', echo: q.headers.authorization }));
    };
    const e = (await p.submit!(req, testCtx()).catch((x) => x)) as ProviderError;
    expect(e).toMatchObject({ kind: 'unreadable' });
    expect(e.message).toContain('"state":"weird"');
    expect(e.message).not.toContain(KEY);
  });
});

describe('ltx: restart in the middle of polling', () => {
  it('polls the stored generation instead of submitting (and paying) again', async () => {
    const before = sim.submissions.length;
    const { summary, clip } = await resumeAfterRestart(provider(), shot({ id: 'r1', duration: 6, res: '1080p' }));
    expect(summary.succeeded).toBe(1);
    expect(clip).toBeDefined();
    expect(sim.submissions.length - before).toBe(1);
  });
});

describe('ltx: a batch through the queue stays under the service limits', () => {
  it('25 shots with concurrency and rpm from limits() get no 429 from a simulator enforcing 10 in flight', async () => {
    const busy = await startLtxSimulator({ apiKey: KEY, renderMs: 60, shrinkVideos: true });
    const out = tmpDir();
    const store = new ProjectStore(out);
    try {
      // pollScale 0.03: first poll after 150 ms, past the 60 ms render, so about two requests a shot.
      const p: Provider = createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: busy.baseUrl, LTX_BATCH_POLL_SCALE: '0.03' });
      const shots = Array.from({ length: 25 }, (_, i) => shot({ id: `s${i + 1}`, order: i, row: i + 2, duration: 6, res: '1080p' }));
      store.syncStoryboard('sb.csv', 'hash', shots.map((s) => ({ shot: s, provider: 'ltx', request: requestFor(p, s), estimate: p.estimate(s) })), () => false);
      const summary = await new QueueRunner(store, new ProviderRegistry([p]), { outDir: out, pollIntervalMs: 10, backoff: { baseMs: 5, maxMs: 20 } }).run();
      expect(summary.succeeded).toBe(25);
      expect(busy.rateLimited).toBe(0);
      expect(busy.maxInFlight).toBeLessThanOrEqual(10);
      expect(busy.maxInFlight).toBeGreaterThanOrEqual(5);
      expect(busy.submissions.length).toBe(25);
      expect(busy.requests.filter((r) => r.path.startsWith('/v1/')).length).toBeLessThanOrEqual(100);
      expect(store.latestJobs().reduce((sum, j) => sum + (j.actualUsd ?? 0), 0)).toBeCloseTo(25 * 0.12, 6);
    } finally {
      store.close();
      await busy.close();
    }
  });
});

describe('ltx-batch render --provider ltx (end to end)', () => {
  it('renders a storyboard against the simulator and stitches the film; no key in the project', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,model\n1,a harbour at dawn,6,1080p,\n2,gulls over the pier,6,1080p,ltx-2-pro\n' });
    const out = tmpDir();
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--provider', 'ltx', '--plain'], {
      LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001',
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('2 succeeded');
    expect(res.stdout).toMatch(/│ 1\s+│ ltx\s+│ succeeded │ 1\s+│ 1\s+│ \$0\.12\s+│ \$0\.12\s+│/);
    expect(res.stdout).toMatch(/│ 2\s+│ ltx\s+│ succeeded │ 1\s+│ 1\s+│ \$0\.30\s+│ \$0\.30\s+│/);
    const film = await probe(path.join(out, 'film.mp4'));
    expect(Math.abs(film.duration - 12)).toBeLessThan(0.2);
    expect(fs.readFileSync(path.join(out, 'project.sqlite')).includes(Buffer.from(KEY))).toBe(false);
  });
});
