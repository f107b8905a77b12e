import path from 'node:path';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiinoneProvider } from '../../main/providers/apiinone/apiinone';
import { ProviderError, type ProviderRequest } from '../../main/providers/provider';
import { defaultRegistry } from '../../main/providers/registry';
import { probe } from '../../main/media/ffprobe';
import { startApiinoneSimulator, type ApiinoneSimulator } from '../simulators/apiinone';
import { renderOnce, requestFor, shot, testCtx } from '../helpers/provider-harness';
import { runCli } from '../helpers/cli';
import { resumeAfterRestart } from '../helpers/restart';
import { tmpDir, withFiles } from '../helpers/tmp';

let sim: ApiinoneSimulator;
const KEY = 'aio_apiinone-secret-key-5678';

/**
 * Public media for lipsync and control, made with ffmpeg and served from a local HTTP server:
 * lengths that differ from the rows' durations (5 s), so a test sees which one is sent.
 */
let media: http.Server;
let mediaUrl = '';
const VOICE_S = 7.4; // -> audio_duration 8
const DANCE_S = 6.2; // -> video_duration 7
beforeAll(async () => {
  const dir = tmpDir();
  const ff = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: dir });
  ff('-f', 'lavfi', '-i', `sine=frequency=440:duration=${VOICE_S}`, 'voice.wav');
  ff('-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', 'short.wav');
  ff('-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=24:duration=${DANCE_S}`, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', 'dance.mp4');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a media file at all\n');
  media = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(req.url ?? ''));
    if (!fs.existsSync(file)) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
  mediaUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  sim = await startApiinoneSimulator({ apiKey: KEY, renderMs: 40 });
});
afterAll(async () => {
  await sim.close();
  await new Promise((r) => media.close(r));
});
afterEach(() => {
  sim.shape = 'public';
  sim.statusWords = {};
  sim.videoField = 'video_url';
  sim.faults.length = 0;
});
const provider = (env: Record<string, string> = {}) =>
  createApiinoneProvider({ APIINONE_API_KEY: KEY, APIINONE_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001', ...env });
const url = (u: string) => ({ kind: 'url' as const, url: u, original: u });
const IMG = url('https://example.com/face.png');
const AUDIO = url('https://example.com/voice.mp3');
const VIDEO = url('https://example.com/dance.mp4');
/** The served media (the server's port is known only once it listens). */
const served = (name: string) => url(`${mediaUrl}/${name}`);
const errorOf = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as ProviderError;

describe('apiinone: request mapping and limits (doc 000)', () => {
  it('maps text-to-video to the documented body (model ltx-2, type, aspect_ratio, seed -1)', () => {
    const p = provider();
    expect(requestFor(p, shot({ duration: 10, res: '1080p', aspectRatio: '9:16' })).body).toEqual({
      model: 'ltx-2', type: 'text-to-video', prompt: 'a lighthouse at dusk', resolution: '1080p', duration: 10, seed: -1, aspect_ratio: '9:16',
    });
    expect(requestFor(p, shot({ model: 'kling-3', seed: 42 })).body).toMatchObject({ model: 'kling-3', seed: 42, resolution: '720p' });
  });

  it('maps image-to-video (image URL, no aspect_ratio)', () => {
    const r = requestFor(provider(), shot({ mode: 'image-to-video', image: IMG, aspectRatio: '9:16' }));
    expect(r.body).toEqual({ model: 'ltx-2', type: 'image-to-video', prompt: 'a lighthouse at dusk', resolution: '720p', duration: 5, seed: -1, image: IMG.url });
    expect(r.notes?.join(' ')).toMatch(/aspect ratio only for text-to-video/);
  });

  it('maps lipsync (audio URL; audio_duration is read from the audio when the shot is sent, not taken from the row)', () => {
    const r = requestFor(provider(), shot({ mode: 'lipsync', audio: AUDIO, duration: 8, res: '480p' }));
    expect(r.body).toEqual({ model: 'ltx-2', type: 'lipsync', prompt: 'a lighthouse at dusk', resolution: '480p', duration: 8, seed: -1, audio: AUDIO.url });
    expect(r.notes?.join(' ')).toMatch(/audio_duration is the audio's length/);
  });

  it('maps control: video URL (video_duration read when sent), control mode from a control_mode column or from the notes', () => {
    const p = provider();
    const fromColumn = requestFor(p, shot({ mode: 'control', video: VIDEO, duration: 6, metadata: { 'Control Mode': 'Depth', audio_mode: 'preserve' } }));
    expect(fromColumn.body).toEqual({
      model: 'ltx-2', type: 'control', prompt: 'a lighthouse at dusk', resolution: '720p', duration: 6, seed: -1, video: VIDEO.url, mode: 'depth', audio_mode: 'preserve',
    });
    expect(requestFor(p, shot({ mode: 'control', video: VIDEO, notes: 'hero move; control_mode: canny' })).body).toMatchObject({ mode: 'canny' });
    const none = requestFor(p, shot({ mode: 'control', video: VIDEO }));
    expect(none.body).not.toHaveProperty('mode');
    expect(none.notes?.join(' ')).toMatch(/no control_mode/);
  });

  it('refuses what the service cannot render, naming the column and what it accepts', () => {
    const p = provider();
    const v = p.validate(shot({ duration: 4, res: '1440p', prompt: 'x'.repeat(2001), mode: 'audio-to-video', audio: AUDIO }));
    const issues = v.ok ? [] : v.issues;
    expect(issues.map((i) => i.column)).toEqual(['mode', 'duration', 'prompt', 'resolution']);
    expect(issues[0].message).toBe('apiinone does not do audio-to-video; it does text-to-video, image-to-video, lipsync, control');
    expect(issues[1].message).toBe('apiinone renders 5-20 s; got 4 s');
    expect(issues[3].message).toBe('apiinone renders 480p, 720p, 1080p; got 1440p');
    const issue = (s: Parameters<typeof shot>[0]) => {
      const r = p.validate(shot(s));
      return r.ok ? undefined : r.issues[0];
    };
    expect(issue({ duration: 21 })?.column).toBe('duration');
    expect(issue({ duration: 5.5 })?.message).toContain('whole seconds');
    expect(issue({ mode: 'image-to-video', image: { kind: 'file', path: '/x/a.png', original: 'a.png' } })).toMatchObject({ column: 'image', message: expect.stringContaining('only as a public http(s) URL') });
    expect(issue({ mode: 'lipsync', audio: { kind: 'file', path: '/x/a.wav', original: 'a.wav' } })).toMatchObject({ column: 'audio' });
    expect(issue({ mode: 'lipsync' })).toMatchObject({ column: 'audio', message: expect.stringContaining('public http(s) URL') });
    expect(issue({ mode: 'control' })).toMatchObject({ column: 'video' });
    expect(issue({ mode: 'image-to-video' })).toMatchObject({ column: 'image' });
    expect(issue({ mode: 'control', video: VIDEO, metadata: { control_mode: 'edges' } })).toEqual({ column: 'control_mode', message: 'apiinone control mode is one of pose, depth, canny; got "edges"' });
    expect(issue({ mode: 'control', video: VIDEO, notes: 'control mode = blur' })).toMatchObject({ column: 'notes', message: expect.stringContaining('pose, depth, canny') });
    expect(issue({ mode: 'control', video: VIDEO, metadata: { audio_mode: 'loud' } })).toMatchObject({ column: 'audio_mode', message: expect.stringContaining('preserve, generate, none') });
    expect(issue({ model: 'ltx-3' })).toMatchObject({ column: 'model', message: 'apiinone has models ltx-2, grok-video, wan-2-6, kling-3; got "ltx-3"' });
    expect(issue({ model: 'wan-2-6', mode: 'lipsync', audio: AUDIO })).toMatchObject({ column: 'mode', message: expect.stringContaining('only with model ltx-2') });
  });

  it('estimates with the doc ranges by mode (min < max), the flat model prices, and the doc rate of $0.01 per credit', () => {
    const p = provider();
    // FAQ: "Text/image-to-video: 20–76 credits. Lipsync: 32–256 credits. Control: 64–512 credits."
    expect(p.estimate(shot({ duration: 5, res: '480p' }))).toMatchObject({ unit: 'credits', min: 20, max: 76, usdPerUnit: 0.01 });
    expect(p.estimate(shot({ mode: 'image-to-video', image: IMG }))).toMatchObject({ min: 20, max: 76 });
    expect(p.estimate(shot({ mode: 'lipsync', audio: AUDIO }))).toMatchObject({ min: 32, max: 256 });
    const control = p.estimate(shot({ mode: 'control', video: VIDEO, duration: 20, res: '1080p' }));
    expect(control).toMatchObject({ min: 64, max: 512 });
    // "20–512 credits per video (~$0.20–$5.12)"
    expect(20 * control.usdPerUnit!).toBeCloseTo(0.2);
    expect(control.max * control.usdPerUnit!).toBeCloseTo(5.12);
    // "grok-video 24 credits", "wan-2-6 80 credits", "kling-3 300 credits"
    expect(p.estimate(shot({ model: 'grok-video' }))).toMatchObject({ min: 24, max: 24 });
    expect(p.estimate(shot({ model: 'wan-2-6' }))).toMatchObject({ min: 80, max: 80 });
    expect(p.estimate(shot({ model: 'kling-3', mode: 'image-to-video', image: IMG }))).toMatchObject({ min: 300, max: 300 });
    expect(provider({ APIINONE_USD_PER_CREDIT: '0.008' }).estimate(shot()).usdPerUnit).toBe(0.008);
  });

  it('is registered in the default registry, unavailable without a key', () => {
    const p = defaultRegistry({}).get('apiinone');
    expect(p?.label).toBe('API in One');
    expect(p?.availability()).toEqual({ ok: false, reason: expect.stringContaining('APIINONE_API_KEY') });
  });

  it('names its price source and date, and lists what it assumes (marked in the price table too)', () => {
    const p = provider();
    const src = p.sources!();
    expect(src).toMatchObject({ prices: 'shared/provider-docs/000_1e6d0a5a9f68c7a8.txt', pricesRead: '2026-11-21' });
    const assumed = src.assumed.join('\n');
    expect(assumed).toMatch(/GET \/tasks\/\{task_id\}.*envelope/);
    expect(assumed).toMatch(/COMPLETED \/ SUCCESS/);
    expect(assumed).toMatch(/data\.video_url/);
    expect(assumed).toMatch(/audio_duration \/ video_duration/);
    const lines = p.describePrices!();
    expect(lines.filter((l) => l.endsWith('(assumed)'))).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/20-76/);
  });
});

describe('apiinone against its simulator', () => {
  it('renders every mode: bodies as sent (lipsync/control with the media\'s length), credits from the task answer, key only under /api/v1', async () => {
    const p = provider();
    sim.resetRecords();
    const cases = [
      { s: shot({ res: '480p' }), seconds: 5, extra: {} },
      { s: shot({ mode: 'image-to-video', image: IMG, res: '480p' }), seconds: 5, extra: {} },
      { s: shot({ mode: 'lipsync', audio: served('voice.wav'), res: '480p' }), seconds: 8, extra: { audio_duration: 8 } },
      { s: shot({ mode: 'control', video: served('dance.mp4'), res: '480p', metadata: { control_mode: 'pose' } }), seconds: 7, extra: { video_duration: 7 } },
    ];
    for (const c of cases) {
      const req = requestFor(p, c.s);
      const { submit, final, file } = await renderOnce(p, req);
      expect(submit.taskId).toMatch(/^n50\w+_ltx2$/);
      expect(final.status).toBe('succeeded');
      const charged = sim.charges.find((x) => x.taskId === submit.taskId)!.amount;
      // The published submit answer carries no credits; the task answer does (assumed field).
      expect(submit.actual).toBeUndefined();
      expect(final).toMatchObject({ actual: { unit: 'credits', amount: charged } });
      const est = p.estimate(c.s);
      expect(charged).toBeGreaterThanOrEqual(est.min);
      expect(charged).toBeLessThanOrEqual(est.max);
      expect(Math.round((await probe(file!)).duration)).toBe(c.seconds);
    }
    expect(sim.submissions.map((x) => x.body)).toEqual(cases.map((c) => ({ ...requestFor(p, c.s).body, ...c.extra })));
    expect(sim.authSeen.length).toBeGreaterThan(0);
    expect(sim.authSeen.every((a) => a.path.startsWith('/api/v1/') && a.value === `Bearer ${KEY}`)).toBe(true);
    // The result files were fetched, without the key.
    expect(sim.requests.filter((r) => r.path.startsWith('/files/')).every((r) => !r.authPresent)).toBe(true);
    expect(sim.requests.some((r) => r.path.startsWith('/files/'))).toBe(true);
  });

  it('reads exactly the submit answer the public model page publishes', async () => {
    // The simulator answers with it word for word ...
    const raw = await fetch(`${sim.baseUrl}/videos/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'ltx-2', prompt: 'A cat playing piano in a jazz bar, cinematic lighting', resolution: '720p', aspect_ratio: '16:9', duration: 5 }),
    });
    expect(await raw.json()).toEqual({ code: 200, message: 'success', data: { task_id: expect.stringMatching(/^n50\w+_ltx2$/), status: 'IN_PROGRESS' } });
    // ... and the adapter reads the page's own example body (served as is) into its task id.
    const published = '{"code":200,"message":"success","data":{"task_id":"n50xxxx_ltx2","status":"IN_PROGRESS"}}';
    const answers: string[] = [published, '{"code":200,"message":"success","data":{"id":"n50xxxx_ltx2","status":"IN_PROGRESS"}}', `{"code":200,"message":"success","data":{"task_id":"n50xxxx_ltx2","status":"WAITING_FOR_${KEY}"}}`];
    const stub = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(answers.shift());
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const p = provider({ APIINONE_BASE_URL: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/api/v1` });
      const req = requestFor(p, shot());
      expect(await p.submit!(req, testCtx())).toEqual({ taskId: 'n50xxxx_ltx2', firstPollMs: expect.any(Number) });
      // Another shape fails the shot as unreadable, naming the field and showing the answer (key redacted).
      const noId = await errorOf(p.submit!(req, testCtx()));
      expect(noId).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.task_id"') });
      expect(noId.message).toContain('"id":"n50xxxx_ltx2"');
      const badWord = await errorOf(p.submit!(req, testCtx()));
      expect(badWord).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.status"') });
      expect(badWord.message).not.toContain(KEY);
    } finally {
      await new Promise((r) => stub.close(r));
    }
  });

  it.each(['output', 'response'] as const)('reads the video URL from data.%s (a list) as well as data.video_url', async (field) => {
    sim.videoField = field;
    const p = provider();
    const { final, file } = await renderOnce(p, requestFor(p, shot({ res: '480p' })));
    expect(final).toMatchObject({ status: 'succeeded', result: { kind: 'url', url: expect.stringContaining('/files/') } });
    expect(fs.statSync(file!).size).toBeGreaterThan(0);
  });

  it('maps the status words in any case (QUEUED / in_progress / COMPLETED, and ERROR)', async () => {
    const p = provider();
    const req = requestFor(p, shot({ res: '480p' }));
    sim.statusWords = { queued: 'QUEUED', running: 'in_progress', succeeded: 'COMPLETED' };
    sim.renderMs = 1000;
    const sub = await p.submit!(req, testCtx());
    sim.renderMs = 40;
    expect((await p.poll!(sub.taskId, req, testCtx())).status).toBe('pending');
    sim.advance(500);
    expect((await p.poll!(sub.taskId, req, testCtx())).status).toBe('running');
    sim.finishAll();
    expect((await p.poll!(sub.taskId, req, testCtx())).status).toBe('succeeded');
    sim.statusWords = { failed: 'ERROR' };
    sim.faults.push({ kind: 'fail-task', count: 1 });
    const { final } = await renderOnce(p, req);
    expect(final).toMatchObject({ status: 'failed', code: 'GENERATION_FAILED', message: 'Video generation failed' });
    // A word this version does not know fails the shot, naming the field.
    sim.statusWords = { succeeded: 'ARCHIVED' };
    sim.finishAll();
    expect(await errorOf(p.poll!(sub.taskId, req, testCtx()))).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.status"') });
  });

  it('fails with ProviderError("unreadable") on the "weird" and "html" shapes, showing the redacted answer', async () => {
    const p = provider();
    const req = requestFor(p, shot({ res: '480p' }));
    const sub = await p.submit!(req, testCtx());
    sim.shape = 'weird';
    let err = await errorOf(p.submit!(req, testCtx()));
    expect(err).toMatchObject({ kind: 'unreadable' });
    expect(err.message).toContain('"ticket"');
    err = await errorOf(p.poll!(sub.taskId, req, testCtx()));
    expect(err).toMatchObject({ kind: 'unreadable' });
    expect(err.message).toContain('"ticket"');
    sim.shape = 'html';
    err = await errorOf(p.submit!(req, testCtx()));
    expect(err).toMatchObject({ kind: 'unreadable' });
    expect(err.message).toContain('Just a moment...');
    err = await errorOf(p.poll!(sub.taskId, req, testCtx()));
    expect(err).toMatchObject({ kind: 'unreadable' });
    expect(err.message).toContain('Just a moment...');
    expect(err.message).not.toContain(KEY);
  });

  it('maps a failed task to a failed shot with the code and message as written, credits as reported', async () => {
    const p = provider();
    sim.faults.push({ kind: 'fail-task', count: 1, code: 'CONTENT_POLICY', message: 'Prompt rejected by the safety filter' });
    const { submit, final } = await renderOnce(p, requestFor(p, shot({ res: '480p' })));
    expect(final).toMatchObject({ status: 'failed', code: 'CONTENT_POLICY', message: 'Prompt rejected by the safety filter', actual: { unit: 'credits', amount: 20 } });
    expect(final.status === 'failed' && final.actual?.refunded).toBeFalsy();
    expect(sim.charges.find((c) => c.taskId === submit.taskId)).toMatchObject({ amount: 20, refunded: false });
  });

  it('classifies errors: 401/403 auth, 402 credits, 429 retryable (with and without Retry-After), 5xx retryable, 400/413/422 invalid', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ res: '480p' }));
    const submit = (r: ProviderRequest = req, env: Record<string, string> = {}) => errorOf(provider(env).submit!(r, ctx));
    expect(await submit(req, { APIINONE_API_KEY: 'wrong-key' })).toMatchObject({ kind: 'auth', opts: { status: 401 } });
    expect(await errorOf(provider({ APIINONE_API_KEY: '' }).submit!(req, ctx))).toMatchObject({ kind: 'auth', message: expect.stringContaining('APIINONE_API_KEY') });
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 403, message: 'Key disabled' });
    expect(await submit()).toMatchObject({ kind: 'auth', message: expect.stringContaining('Key disabled') });
    sim.faults.push({ kind: 'insufficient-credits', count: 1 });
    expect(await submit()).toMatchObject({ kind: 'credits', opts: { status: 402 } });
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit', retryAfterS: 3 });
    expect(await submit()).toMatchObject({ kind: 'retryable', opts: { status: 429, retryAfterMs: 3000 } });
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit' });
    const noHeader = await submit();
    expect(noHeader).toMatchObject({ kind: 'retryable', opts: { status: 429 } });
    expect(noHeader.opts.retryAfterMs).toBeUndefined();
    for (const status of [500, 502, 503, 504]) {
      sim.faults.push({ kind: 'server-error', count: 1, on: 'submit', status });
      expect(await submit()).toMatchObject({ kind: 'retryable', opts: { status } });
    }
    const tooLong = await submit({ ...req, body: { ...req.body, duration: 30 } });
    expect(tooLong).toMatchObject({ kind: 'invalid', opts: { status: 400 } });
    expect(tooLong.message).toContain('duration must be a number from 5 to 20');
    for (const status of [413, 422]) {
      sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status, message: `refused with ${status}` });
      expect(await submit()).toMatchObject({ kind: 'invalid', message: expect.stringContaining(`refused with ${status}`) });
    }
    // The same classes on poll; a task the service no longer knows has expired.
    const sub = await provider().submit!(req, ctx);
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'poll', retryAfterS: 2 });
    expect(await errorOf(provider().poll!(sub.taskId, req, ctx))).toMatchObject({ kind: 'retryable', opts: { retryAfterMs: 2000 } });
    expect(await errorOf(provider().poll!('task_nope', req, ctx))).toMatchObject({ kind: 'expired' });
  });

  it('never puts the key in an error message (even when the service echoes it)', async () => {
    const req = requestFor(provider(), shot({ res: '480p' }));
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 400, message: `bad header Bearer ${KEY} for key ${KEY}` });
    const err = await errorOf(provider().submit!(req, testCtx()));
    expect(err.kind).toBe('invalid');
    expect(err.message).not.toContain(KEY);
    sim.faults.push({ kind: 'server-error', count: 1, on: 'poll', status: 503, message: `upstream saw ${KEY}` });
    const perr = await errorOf(provider().poll!('task_x', req, testCtx()));
    expect(perr.kind).toBe('retryable');
    expect(perr.message).not.toContain(KEY);
  });
});

describe("apiinone: lipsync and control send the media's real length (ffprobe on the URL at submit)", () => {
  it('sends audio_duration / video_duration as the length of the served file rounded up to whole seconds, whatever the row says', async () => {
    const p = provider();
    const before = sim.submissions.length;
    // Rows of 5 s and 12 s: the lengths sent are the files' (7.4 s -> 8, 6.2 s -> 7).
    const lipsync = requestFor(p, shot({ mode: 'lipsync', audio: served('voice.wav'), duration: 5, res: '480p' }));
    const control = requestFor(p, shot({ mode: 'control', video: served('dance.mp4'), duration: 12, res: '480p', metadata: { control_mode: 'depth' } }));
    await p.submit!(lipsync, testCtx());
    await p.submit!(control, testCtx());
    const sent = sim.submissions.slice(before).map((x) => x.body as Record<string, unknown>);
    expect(sent[0]).toMatchObject({ type: 'lipsync', duration: 5, audio: served('voice.wav').url, audio_duration: 8 });
    expect(sent[0]).not.toHaveProperty('video_duration');
    expect(sent[1]).toMatchObject({ type: 'control', duration: 12, video: served('dance.mp4').url, video_duration: 7, mode: 'depth' });
    // The stored request is not changed: the length is read again if the shot is sent again.
    expect(lipsync.body).not.toHaveProperty('audio_duration');
  });

  it("fails the shot (invalid) without sending it when the length cannot be read or is outside the doc's 5-20 s", async () => {
    const p = provider();
    const before = sim.submissions.length;
    const lipsync = (name: string) => p.submit!(requestFor(p, shot({ mode: 'lipsync', audio: served(name) })), testCtx());
    const missing = await errorOf(lipsync('gone.wav'));
    expect(missing).toMatchObject({ kind: 'invalid', message: expect.stringContaining('cannot read the length of the audio') });
    expect(missing.message).toContain('audio_duration');
    expect(await errorOf(lipsync('notes.txt'))).toMatchObject({ kind: 'invalid', message: expect.stringContaining('cannot read the length of the audio') });
    expect(await errorOf(lipsync('short.wav'))).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/takes audio of 5-20 s \(audio_duration\); .*short\.wav is 3\.00 s long/) });
    const control = await errorOf(p.submit!(requestFor(p, shot({ mode: 'control', video: served('nothing.mp4') })), testCtx()));
    expect(control).toMatchObject({ kind: 'invalid', message: expect.stringContaining('cannot read the length of the video') });
    expect(sim.submissions.length).toBe(before);
  });
});

describe('apiinone: restart in the middle of polling', () => {
  it('polls the stored task instead of submitting (and paying) again', async () => {
    const before = sim.submissions.length;
    const { summary, clip } = await resumeAfterRestart(provider(), shot({ id: 'r1', res: '480p' }));
    expect(summary.succeeded).toBe(1);
    expect(clip).toBeDefined();
    expect(sim.submissions.length - before).toBe(1);
  });
});

describe('ltx-batch render --provider apiinone (end to end)', () => {
  it('renders a storyboard against the simulator and stitches the film; key not stored', async () => {
    const dir = withFiles({
      'sb.csv': `shot,prompt,mode,video,duration,resolution,control_mode\n1,a harbour at dawn,,,5,480p,\n2,a dancer on the pier,control,${mediaUrl}/dance.mp4,5,480p,pose\n`,
    });
    const out = tmpDir();
    const before = sim.submissions.length;
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--provider', 'apiinone', '--plain'], {
      APIINONE_API_KEY: KEY, APIINONE_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001',
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('2 succeeded');
    expect(res.stdout).not.toContain(KEY);
    // The estimate column shows the upper bound (the control range's 512 credits x $0.01); the actual is
    // what the task answer reports: 7 s (the video's 6.2 s, rounded up) x 12.8 at 480p = 90 credits.
    expect(res.stdout).toMatch(/│ 2\s+│ apiinone\s+│ succeeded │ 1\s+│ [-\d]+\s+│ 1\s+│ \$5\.12\s+│ \$0\.90\s/);
    const sent = sim.submissions.slice(before).map((s) => s.body as { type: string; mode?: string; video_duration?: number });
    expect(sent.map((b) => `${b.type}:${b.mode ?? '-'}:${b.video_duration ?? '-'}`).sort()).toEqual(['control:pose:7', 'text-to-video:-:-']);
    const film = await probe(path.join(out, 'film.mp4'));
    expect(Math.abs(film.duration - 12)).toBeLessThan(0.2);
    expect(fs.readFileSync(path.join(out, 'project.sqlite')).includes(Buffer.from(KEY))).toBe(false);
  });
});
