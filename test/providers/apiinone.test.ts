import path from 'node:path';
import fs from 'node:fs';
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
beforeAll(async () => {
  sim = await startApiinoneSimulator({ apiKey: KEY, renderMs: 40 });
});
afterAll(() => sim.close());
afterEach(() => {
  sim.shape = 'data-task_id';
  sim.statusWords = {};
  sim.faults.length = 0;
});
const provider = (env: Record<string, string> = {}) =>
  createApiinoneProvider({ APIINONE_API_KEY: KEY, APIINONE_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001', ...env });
const url = (u: string) => ({ kind: 'url' as const, url: u, original: u });
const IMG = url('https://example.com/face.png');
const AUDIO = url('https://example.com/voice.mp3');
const VIDEO = url('https://example.com/dance.mp4');
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

  it('maps lipsync (audio URL + audio_duration from the duration column)', () => {
    const r = requestFor(provider(), shot({ mode: 'lipsync', audio: AUDIO, duration: 8, res: '480p' }));
    expect(r.body).toEqual({ model: 'ltx-2', type: 'lipsync', prompt: 'a lighthouse at dusk', resolution: '480p', duration: 8, seed: -1, audio: AUDIO.url, audio_duration: 8 });
  });

  it('maps control: video URL + video_duration, control mode from a control_mode column or from the notes', () => {
    const p = provider();
    const fromColumn = requestFor(p, shot({ mode: 'control', video: VIDEO, duration: 6, metadata: { 'Control Mode': 'Depth', audio_mode: 'preserve' } }));
    expect(fromColumn.body).toEqual({
      model: 'ltx-2', type: 'control', prompt: 'a lighthouse at dusk', resolution: '720p', duration: 6, seed: -1, video: VIDEO.url, video_duration: 6, mode: 'depth', audio_mode: 'preserve',
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
});

describe('apiinone against its simulator', () => {
  it('renders every mode: bodies as sent, credits from credits_used, key only under /api/v1, MP4 of the requested length', async () => {
    const p = provider();
    sim.resetRecords();
    const cases = [
      shot({ res: '480p' }),
      shot({ mode: 'image-to-video', image: IMG, res: '480p' }),
      shot({ mode: 'lipsync', audio: AUDIO, res: '480p' }),
      shot({ mode: 'control', video: VIDEO, res: '480p', metadata: { control_mode: 'pose' } }),
    ];
    for (const s of cases) {
      const req = requestFor(p, s);
      const { submit, final, file } = await renderOnce(p, req);
      expect(submit.taskId).toMatch(/^task_/);
      expect(final.status).toBe('succeeded');
      const charged = sim.charges.find((c) => c.taskId === submit.taskId)!.amount;
      expect(submit.actual).toEqual({ unit: 'credits', amount: charged });
      expect(final).toMatchObject({ actual: { unit: 'credits', amount: charged } });
      const est = p.estimate(s);
      expect(charged).toBeGreaterThanOrEqual(est.min);
      expect(charged).toBeLessThanOrEqual(est.max);
      expect(Math.round((await probe(file!)).duration)).toBe(5);
    }
    expect(sim.submissions.map((x) => x.body)).toEqual(cases.map((s) => requestFor(p, s).body));
    expect(sim.authSeen.length).toBeGreaterThan(0);
    expect(sim.authSeen.every((a) => a.path.startsWith('/api/v1/') && a.value === `Bearer ${KEY}`)).toBe(true);
    // The result files were fetched, without the key.
    expect(sim.requests.filter((r) => r.path.startsWith('/files/')).every((r) => !r.authPresent)).toBe(true);
    expect(sim.requests.some((r) => r.path.startsWith('/files/'))).toBe(true);
  });

  it('reads the "top-level-id" shape (id, queued/in_progress/succeeded, output[0])', async () => {
    sim.shape = 'top-level-id';
    const p = provider();
    const { submit, final, file } = await renderOnce(p, requestFor(p, shot({ res: '480p' })));
    expect(submit.taskId).toMatch(/^task_/);
    expect(final).toMatchObject({ status: 'succeeded', result: { kind: 'url' } });
    expect(fs.statSync(file!).size).toBeGreaterThan(0);
  });

  it('maps other status words (success / running / queued, and error)', async () => {
    const p = provider();
    const req = requestFor(p, shot({ res: '480p' }));
    sim.statusWords = { queued: 'QUEUED', running: 'running', succeeded: 'success' };
    sim.renderMs = 1000;
    const sub = await p.submit!(req, testCtx());
    sim.renderMs = 40;
    expect((await p.poll!(sub.taskId, req, testCtx())).status).toBe('pending');
    sim.advance(500);
    expect((await p.poll!(sub.taskId, req, testCtx())).status).toBe('running');
    sim.finishAll();
    expect((await p.poll!(sub.taskId, req, testCtx())).status).toBe('succeeded');
    sim.statusWords = { failed: 'error' };
    sim.faults.push({ kind: 'fail-task', count: 1 });
    const { final } = await renderOnce(p, req);
    expect(final).toMatchObject({ status: 'failed', code: 'GENERATION_FAILED', message: 'Video generation failed' });
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
    expect(err.message).toContain('text/html');
    expect(err.message).not.toContain(KEY);
  });

  it('maps a failed task to a failed shot with the code and message as written, credits as reported', async () => {
    const p = provider();
    sim.faults.push({ kind: 'fail-task', count: 1, code: 'CONTENT_POLICY', message: 'Prompt rejected by the safety filter' });
    const { submit, final } = await renderOnce(p, requestFor(p, shot({ res: '480p' })));
    expect(final).toMatchObject({ status: 'failed', code: 'CONTENT_POLICY', message: 'Prompt rejected by the safety filter', actual: { unit: 'credits', amount: 20 } });
    expect(final.status === 'failed' && final.actual?.refunded).toBeFalsy();
    expect(submit.actual).toEqual({ unit: 'credits', amount: 20 });
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
      'sb.csv': 'shot,prompt,mode,video,duration,resolution,control_mode\n1,a harbour at dawn,,,5,480p,\n2,a dancer on the pier,control,https://example.com/dance.mp4,5,480p,pose\n',
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
    // The estimate column shows the upper bound (the control range's 512 credits x $0.01); the actual is credits_used.
    expect(res.stdout).toMatch(/│ 2\s+│ apiinone\s+│ succeeded │ 1\s+│ 1\s+│ \$5\.12\s+│ \$0\.64\s/);
    const sent = sim.submissions.slice(before).map((s) => s.body as { type: string; mode?: string });
    expect(sent.map((b) => `${b.type}:${b.mode ?? '-'}`).sort()).toEqual(['control:pose', 'text-to-video:-']);
    const film = await probe(path.join(out, 'film.mp4'));
    expect(Math.abs(film.duration - 10)).toBeLessThan(0.2);
    expect(fs.readFileSync(path.join(out, 'project.sqlite')).includes(Buffer.from(KEY))).toBe(false);
  });
});
