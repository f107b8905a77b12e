import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apixoFirstPollMs, createApixoProvider } from '../../main/providers/apixo/apixo';
import { apixoUsd } from '../../main/providers/apixo/prices';
import { ProviderError, type PollResult } from '../../main/providers/provider';
import { probe } from '../../main/media/ffprobe';
import { startApixoSimulator, APIXO_FAIL_CODES, type ApixoSimulator } from '../simulators/apixo';
import { renderOnce, requestFor, shot, testCtx } from '../helpers/provider-harness';
import { runCli } from '../helpers/cli';
import { resumeAfterRestart } from '../helpers/restart';
import { tmpDir, withFiles } from '../helpers/tmp';

let sim: ApixoSimulator;
const KEY = 'apixo-secret-key-98765';
beforeAll(async () => {
  sim = await startApixoSimulator({ apiKey: KEY, renderMs: 50 });
});
afterAll(() => sim.close());
const provider = (env: Record<string, string> = {}) => createApixoProvider({ APIXO_API_KEY: KEY, APIXO_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001', ...env });
const IMG = { kind: 'url' as const, url: 'https://example.com/a.png', original: 'https://example.com/a.png' };
const LORAS = [{ path: 'https://huggingface.co/u/style.safetensors?download=true', scale: 1.2 }, { path: 'https://civitai.com/api/download/models/1', scale: 0 }];
/** Every Authorization header went to the two documented API routes, never to a result file. */
const authOnlyOnApi = () => sim.authSeen.every((a) => a.path === '/api/v1/generateTask/ltx-2-19b' || a.path === '/api/v1/statusTask/ltx-2-19b');

describe('apixo: request mapping and limits (doc 004)', () => {
  it('maps the four modes to the documented bodies; -LoRA chosen from the loras column', async () => {
    const p = provider();
    const t2v = requestFor(p, shot({ duration: 10, res: '1080p', seed: 54248617 }));
    expect(t2v.route).toBe('POST /generateTask/ltx-2-19b');
    expect(t2v.body).toEqual({
      request_type: 'async',
      input: { mode: 'text-to-video', prompt: 'a lighthouse at dusk', resolution: '1080p', duration: 10, aspect_ratio: '16:9', seed: 54248617 },
    });
    const i2v = requestFor(p, shot({ mode: 'image-to-video', image: IMG, duration: 8 }));
    expect(i2v.body).toEqual({
      request_type: 'async',
      input: { mode: 'image-to-video', prompt: 'a lighthouse at dusk', image_urls: ['https://example.com/a.png'], resolution: '720p', duration: 8, seed: -1 },
    });
    const t2vl = requestFor(p, shot({ res: '480p', aspectRatio: '9:16', loras: LORAS }));
    expect(t2vl.body).toEqual({
      request_type: 'async',
      input: { mode: 'text-to-video-LoRA', prompt: 'a lighthouse at dusk', resolution: '480p', duration: 5, aspect_ratio: '9:16', seed: -1, loras: LORAS },
    });
    const i2vl = requestFor(p, shot({ mode: 'image-to-video', image: IMG, res: '480p', loras: LORAS.slice(0, 1) }));
    expect(i2vl.body).toMatchObject({ input: { mode: 'image-to-video-LoRA', image_urls: ['https://example.com/a.png'], loras: LORAS.slice(0, 1) } });
    expect((i2vl.body.input as object)).not.toHaveProperty('aspect_ratio');
    // The simulator (faithful to the doc's validation notes) accepts all four.
    const before = sim.submissions.length;
    for (const r of [t2vl, i2vl, requestFor(p, shot({ res: '480p' })), requestFor(p, shot({ mode: 'image-to-video', image: IMG, res: '480p' }))]) await p.submit!(r, testCtx());
    expect(sim.submissions.slice(before).map((s) => (s.body as { input: { mode: string } }).input.mode)).toEqual(['text-to-video-LoRA', 'image-to-video-LoRA', 'text-to-video', 'image-to-video']);
  });

  it('refuses what the service cannot render, naming the column and what it accepts', () => {
    const p = provider();
    const v = p.validate(shot({ duration: 4, res: '1440p', prompt: 'x'.repeat(5001), mode: 'lipsync', seed: 0, model: 'ltx-2-pro', loras: [...LORAS, ...LORAS] }));
    expect(v.ok).toBe(false);
    const issues = v.ok ? [] : v.issues;
    expect(issues.map((i) => i.column)).toEqual(['mode', 'duration', 'prompt', 'resolution', 'model', 'seed', 'loras']);
    expect(issues[0].message).toBe('apixo does not do lipsync; it does text-to-video, image-to-video');
    expect(issues[1].message).toBe('apixo renders 5-20 s; got 4 s');
    expect(issues[2].message).toContain('at most 5000 characters');
    expect(issues[3].message).toContain('480p, 720p, 1080p');
    expect(issues[5].message).toBe('apixo takes seed -1 (random) or a whole number from 1 through 2147483647; got 0');
    expect(issues[6].message).toBe('apixo takes at most 3 LoRAs per shot; got 4');

    const issuesOf = (s: ReturnType<typeof shot>) => {
      const r = p.validate(s);
      return r.ok ? [] : r.issues;
    };
    expect(issuesOf(shot({ duration: 5.5 }))).toEqual([{ column: 'duration', message: 'apixo takes whole seconds (5-20); got 5.5 s' }]);
    expect(issuesOf(shot({ duration: 21 }))[0].column).toBe('duration');
    expect(issuesOf(shot({ prompt: '' }))).toEqual([{ column: 'prompt', message: 'apixo needs a prompt of 1-5000 characters; this one is empty' }]);
    expect(issuesOf(shot({ seed: 2147483648 }))[0].column).toBe('seed');
    expect(issuesOf(shot({ seed: -2 }))[0].column).toBe('seed');
    expect(p.validate(shot({ seed: 2147483647 })).ok).toBe(true);
    expect(p.validate(shot({ seed: 1 })).ok).toBe(true);
    // LoRA scale 0..4 inclusive; path must be non-empty.
    expect(p.validate(shot({ loras: [{ path: 'https://h/a.safetensors', scale: 4 }, { path: 'https://h/b.safetensors', scale: 0 }] })).ok).toBe(true);
    expect(issuesOf(shot({ loras: [{ path: 'https://h/a.safetensors', scale: 4.5 }] }))).toEqual([
      { column: 'loras', message: 'apixo takes LoRA scales from 0 through 4; LoRA 1 (https://h/a.safetensors) has 4.5' },
    ]);
    expect(issuesOf(shot({ loras: [{ path: 'https://h/a.safetensors', scale: -0.1 }] }))[0].column).toBe('loras');
    expect(issuesOf(shot({ loras: [{ path: '', scale: 1 }] }))[0]).toMatchObject({ column: 'loras', message: expect.stringContaining('needs a path') });
    // image-to-video: exactly one public URL, never a local file.
    expect(issuesOf(shot({ mode: 'image-to-video' }))).toEqual([{ column: 'image', message: expect.stringContaining('public http(s) URL') }]);
    const local = issuesOf(shot({ mode: 'image-to-video', image: { kind: 'file', path: '/x/a.png', original: 'a.png' } }));
    expect(local).toEqual([{ column: 'image', message: expect.stringContaining('only as a public http(s) URL') }]);
  });

  it('notes what it does not send (fps, negative prompt, aspect ratio for image-to-video)', () => {
    const r = requestFor(provider(), shot({ mode: 'image-to-video', image: IMG, aspectRatio: '9:16', fps: 30, negativePrompt: 'blur' }));
    expect(r.notes!.join('\n')).toMatch(/no aspect ratio for image-to-video[\s\S]*30 fps[\s\S]*no negative prompt/);
  });

  it('estimates USD by the billing table, including the worked examples (5 s 720p base = $0.08, 5 s 1080p LoRA = $0.15)', () => {
    const p = provider();
    expect(p.estimate(shot({ duration: 5, res: '720p' }))).toMatchObject({ unit: 'USD', min: 0.08, max: 0.08, usdPerUnit: 1 });
    expect(p.estimate(shot({ duration: 5, res: '1080p', loras: LORAS }))).toMatchObject({ unit: 'USD', min: 0.15, max: 0.15 });
    // The rest of the doc's "Minimum 5s cost" column.
    expect([['480p', false], ['480p', true], ['720p', true], ['1080p', false]].map(([r, l]) => apixoUsd(5, r as string, l as boolean))).toEqual([0.06, 0.075, 0.1, 0.12]);
    expect(p.estimate(shot({ duration: 10, res: '720p' })).max).toBe(0.16);
    expect(p.estimate(shot({ duration: 20, res: '1080p', loras: LORAS })).max).toBe(0.6);
    expect(p.estimate(shot({ duration: 7, res: '480p' })).basis).toBe('7 s x $0.012/s (480p, base mode)');
  });

  it('first poll follows the doc: 40/60/90 s by resolution, +10 s for LoRA, then every 5 s (times LTX_BATCH_POLL_SCALE)', async () => {
    expect([apixoFirstPollMs('480p', false), apixoFirstPollMs('720p', false), apixoFirstPollMs('1080p', false)]).toEqual([40_000, 60_000, 90_000]);
    expect([apixoFirstPollMs('480p', true), apixoFirstPollMs('720p', true), apixoFirstPollMs('1080p', true)]).toEqual([50_000, 70_000, 100_000]);
    const p = provider();
    const ctx = testCtx();
    const first = async (s: ReturnType<typeof shot>, prov = p) => (await prov.submit!(requestFor(prov, s), ctx)).firstPollMs!;
    expect(await first(shot({ res: '480p' }))).toBeCloseTo(40, 6);
    expect(await first(shot({ res: '720p' }))).toBeCloseTo(60, 6);
    expect(await first(shot({ res: '1080p', loras: LORAS }))).toBeCloseTo(100, 6);
    expect(await first(shot({ res: '720p', mode: 'image-to-video', image: IMG, loras: LORAS }))).toBeCloseTo(70, 6);
    // Unscaled (LTX_BATCH_POLL_SCALE unset): the doc's seconds as they are.
    const real = createApixoProvider({ APIXO_API_KEY: KEY, APIXO_BASE_URL: sim.baseUrl });
    expect(await first(shot({ res: '720p' }), real)).toBe(60_000);
    const sub = await real.submit!(requestFor(real, shot({ res: '480p' })), ctx);
    const pr = await real.poll!(sub.taskId, requestFor(real, shot()), ctx);
    expect(pr).toMatchObject({ status: expect.stringMatching(/pending|running|succeeded/) });
    if (pr.status === 'pending' || pr.status === 'running') expect(pr.nextPollMs).toBe(5_000);
  });
});

describe('apixo against its simulator', () => {
  it('renders: taskId, Bearer key only on the API routes (not on the result URL), an MP4 of the requested length', async () => {
    const p = provider();
    sim.resetRecords();
    const { submit, final, file } = await renderOnce(p, requestFor(p, shot({ duration: 6, res: '480p', seed: 42 })));
    expect(submit.taskId).toMatch(/^task_/);
    expect(final).toMatchObject({ status: 'succeeded', result: { kind: 'url', url: expect.stringContaining('/files/') } });
    expect(Math.round((await probe(file!)).duration)).toBe(6);
    expect(sim.authSeen.length).toBeGreaterThanOrEqual(2);
    expect(sim.authSeen.every((a) => a.value === `Bearer ${KEY}`)).toBe(true);
    expect(authOnlyOnApi()).toBe(true);
    const download = sim.requests.find((r) => r.kinds.includes('download'));
    expect(download?.authPresent).toBe(false);
  });

  it('maps every failure code as written: code + failMsg; RateLimited and Timeout retryable, the others not', async () => {
    const p = provider();
    const req = requestFor(p, shot({ res: '480p' }));
    for (const code of APIXO_FAIL_CODES) {
      sim.faults.push({ kind: 'fail-task', count: 1, code, message: `msg for ${code}` });
      const { final } = await renderOnce(p, req);
      const f = final as Extract<PollResult, { status: 'failed' }>;
      expect(f).toMatchObject({ status: 'failed', code, message: `msg for ${code}` });
      expect(f.retryable).toBe(code === 'RateLimited' || code === 'Timeout');
      expect(f.actual).toBeUndefined();
    }
    // The doc's own failed example, with the simulator's default code and message.
    sim.faults.push({ kind: 'fail-task', count: 1 });
    const { final } = await renderOnce(p, req);
    expect(final).toMatchObject({ status: 'failed', code: 'SensitiveContent', message: 'Content violates provider policy, please adjust the prompt', retryable: false });
  });

  it('classifies HTTP errors per the doc table', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ res: '480p' }));
    const err = async (f: Parameters<typeof sim.faults.push>[0] | null, prov = provider()) => {
      if (f) sim.faults.push(f);
      return (await prov.submit!(req, ctx).catch((e) => e)) as ProviderError;
    };
    const e401 = await err(null, provider({ APIXO_API_KEY: 'wrong-key-0000' }));
    expect(e401).toMatchObject({ kind: 'auth', opts: { status: 401 } });
    expect(e401.message).toContain('Invalid API key');
    const e403 = await err({ kind: 'http-error', count: 1, on: 'submit', status: 403, message: 'Forbidden route' });
    expect(e403).toMatchObject({ kind: 'auth', opts: { status: 403 } });
    expect(e403.message).toContain('key or route cannot access the model ltx-2-19b');
    expect(await err({ kind: 'insufficient-credits', count: 1, on: 'submit' })).toMatchObject({ kind: 'credits', opts: { status: 402 } });
    expect(await err({ kind: 'rate-limit', count: 1, on: 'submit', retryAfterS: 3 })).toMatchObject({ kind: 'retryable', opts: { status: 429, retryAfterMs: 3000 } });
    const e429 = await err({ kind: 'rate-limit', count: 1, on: 'submit' });
    expect(e429).toMatchObject({ kind: 'retryable', opts: { status: 429 } });
    expect(e429.opts.retryAfterMs).toBeUndefined();
    for (const status of [500, 502, 503, 504]) {
      expect(await err({ kind: 'server-error', count: 1, on: 'submit', status })).toMatchObject({ kind: 'retryable', opts: { status } });
    }
    for (const status of [400, 413, 422]) {
      const e = await err({ kind: 'http-error', count: 1, on: 'submit', status, message: `invalid loras (${status})` });
      expect(e).toMatchObject({ kind: 'invalid', opts: { status } });
      expect(e.message).toContain(`invalid loras (${status})`);
    }
    // A real 400 from the service's validation, with its message.
    const bad = await provider().submit!({ ...req, body: { request_type: 'async', input: { ...(req.body.input as object), duration: '10' } } }, ctx).catch((e) => e);
    expect(bad).toMatchObject({ kind: 'invalid' });
    expect(bad.message).toContain('invalid duration: must be a JSON integer');
    // Errors on a poll: 429 retryable, an unknown task (404) expired.
    const sub = await provider().submit!(req, ctx);
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'poll', retryAfterS: 2 });
    await expect(provider().poll!(sub.taskId, req, ctx)).rejects.toMatchObject({ kind: 'retryable', opts: { retryAfterMs: 2000 } });
    await expect(provider().poll!('task_nope', req, ctx)).rejects.toMatchObject({ kind: 'expired', opts: { status: 404 } });
    // No key at all: auth, before anything is sent.
    const n = sim.requests.length;
    await expect(createApixoProvider({ APIXO_BASE_URL: sim.baseUrl }).submit!(req, ctx)).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('APIXO_API_KEY') });
    expect(sim.requests.length).toBe(n);
  });

  it('answers it cannot read are "unreadable", with the (redacted) response', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ res: '480p' }));
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 200, message: `odd Bearer ${KEY}` });
    const e1 = (await provider().submit!(req, ctx).catch((e) => e)) as ProviderError;
    expect(e1).toMatchObject({ kind: 'unreadable' });
    expect(e1.message).toContain('field "data.taskId"');
    expect(e1.message).toContain('odd Bearer ***');
    expect(e1.message).not.toContain(KEY);
    const sub = await provider().submit!(req, ctx);
    sim.faults.push({ kind: 'http-error', count: 1, on: 'poll', status: 200, message: 'odd' });
    const e2 = (await provider().poll!(sub.taskId, req, ctx).catch((e) => e)) as ProviderError;
    expect(e2).toMatchObject({ kind: 'unreadable' });
    expect(e2.message).toContain('field "data.state"');
    expect(e2.message).toContain('"error":"odd"');
  });

  it('names the field that was wrong: a state it does not know, a resultJson that is not JSON or has no URL', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ res: '480p' }));
    const sub = await provider().submit!(req, ctx);
    const odd = (data: Record<string, unknown>) => sim.oddAnswers.push({ on: 'poll', answer: { status: 200, json: { code: 200, message: 'success', data: { taskId: sub.taskId, ...data } } } });
    const pollError = async () => (await provider().poll!(sub.taskId, req, ctx).catch((e) => e)) as ProviderError;
    odd({ state: 'queued' });
    expect(await pollError()).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.state"') });
    odd({ state: 'success', resultJson: '{"resultUrls": [' });
    expect(await pollError()).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.resultJson": not a JSON string') });
    odd({ state: 'success', resultJson: JSON.stringify({ resultUrls: [] }) });
    expect(await pollError()).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.resultJson.resultUrls"') });
    odd({ state: 'success', resultJson: JSON.stringify({ resultUrls: ['ftp://file.apixo.ai/v.mp4'] }) });
    expect(await pollError()).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.resultJson.resultUrls.0"') });
    // A failed task without failCode / failMsg (the doc says both are present): still a failed shot.
    odd({ state: 'failed' });
    expect(await provider().poll!(sub.taskId, req, ctx)).toEqual({ status: 'failed', code: undefined, message: 'generation failed', retryable: false });
  });

  it('reads the error envelope of the error-codes page, and an HTTP 200 whose code is an error as that error', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ res: '480p' }));
    // The simulator answers {code: 400, message: "Invalid request", data: {error: ...}}, as the page shows.
    const bad = (await provider().submit!({ ...req, body: { request_type: 'async', input: { ...(req.body.input as object), seed: 0 } } }, ctx).catch((e) => e)) as ProviderError;
    expect(bad).toMatchObject({ kind: 'invalid', opts: { status: 400 } });
    expect(bad.message).toBe('HTTP 400: Invalid request: invalid seed: must be -1 or from 1 through 2147483647');
    // A bare {code, message} is read too.
    sim.oddAnswers.push({ on: 'submit', answer: { status: 422, json: { code: 422, message: 'input.loras[0].path unreachable' } } });
    expect(await provider().submit!(req, ctx).catch((e) => e)).toMatchObject({ kind: 'invalid', message: 'HTTP 422: input.loras[0].path unreachable' });
    sim.oddAnswers.push({ on: 'submit', answer: { status: 200, json: { code: 402, message: 'Insufficient balance', data: { error: 'top up' } } } });
    expect(await provider().submit!(req, ctx).catch((e) => e)).toMatchObject({ kind: 'credits', opts: { status: 402 }, message: expect.stringContaining('Insufficient balance: top up') });
    const sub = await provider().submit!(req, ctx);
    sim.oddAnswers.push({ on: 'poll', answer: { status: 200, json: { code: 404, message: 'Not found', data: { error: 'Task not found' } } } });
    expect(await provider().poll!(sub.taskId, req, ctx).catch((e) => e)).toMatchObject({ kind: 'expired', opts: { status: 404 } });
  });

  it('never puts the key in an error message', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot({ res: '480p' }));
    for (const status of [400, 401, 403, 500]) {
      sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status, message: `echo ${KEY} and Authorization: Bearer ${KEY}` });
      const e = (await provider().submit!(req, ctx).catch((x) => x)) as Error;
      expect(e).toBeInstanceOf(ProviderError);
      expect(e.message).not.toContain(KEY);
    }
    const sub = await provider().submit!(req, ctx);
    sim.faults.push({ kind: 'http-error', count: 1, on: 'poll', status: 502, message: `key ${KEY}` });
    const e = (await provider().poll!(sub.taskId, req, ctx).catch((x) => x)) as Error;
    expect(e.message).not.toContain(KEY);
    expect(authOnlyOnApi()).toBe(true);
  });
});

describe('apixo: key check and price lines', () => {
  it('checks the key with a free status lookup (401 -> rejected, 404 -> accepted), only on the API route', async () => {
    const ctx = testCtx();
    const before = sim.submissions.length;
    await expect(provider().checkKey!(ctx)).resolves.toMatchObject({ ok: true });
    const bad = await provider({ APIXO_API_KEY: 'wrong-key-1111' }).checkKey!(ctx);
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain('HTTP 401');
    expect(bad.message).not.toContain('wrong-key-1111');
    sim.faults.push({ kind: 'http-error', count: 1, on: 'poll', status: 403, message: 'route off' });
    await expect(provider().checkKey!(ctx)).resolves.toMatchObject({ ok: false, message: expect.stringContaining('cannot access the model') });
    expect(sim.submissions.length).toBe(before);
    expect(authOnlyOnApi()).toBe(true);
  });

  it('describes the billing table, marking what the page does not say "(assumed)"', () => {
    const lines = provider().describePrices!();
    expect(lines).toContain('720p: $0.016/s base modes, $0.02/s LoRA modes');
    expect(lines.filter((l) => l.includes('(assumed'))).toEqual([expect.stringContaining('failed tasks are billed')]);
  });

  it('names the price source, the date it was read and what is assumed', () => {
    const src = provider().sources!();
    expect(src).toMatchObject({ prices: 'https://apixo.ai/docs/models/video/ltx-2-19b', pricesRead: '2026-12-02' });
    expect(src.assumed.join('\n')).toMatch(/error answers other than a 400[\s\S]*HTTP 200 whose `code`[\s\S]*4 tasks at once/);
  });
});

describe('apixo: restart in the middle of polling', () => {
  it('polls the stored task instead of submitting (and paying) again', async () => {
    const before = sim.submissions.length;
    const charges = sim.charges.length;
    const { summary, clip } = await resumeAfterRestart(provider(), shot({ id: 'r1', res: '480p' }));
    expect(summary.succeeded).toBe(1);
    expect(clip).toBeDefined();
    expect(sim.submissions.length - before).toBe(1);
    expect(sim.charges.length - charges).toBe(1);
  });
});

describe('ltx-batch render --provider apixo (end to end)', () => {
  it('renders a storyboard (base and LoRA rows) against the simulator and stitches the film', async () => {
    const dir = withFiles({
      'sb.csv': 'shot,prompt,duration,resolution,loras\n1,a harbour at dawn,5,480p,\n2,gulls over the pier,6,480p,"https://huggingface.co/u/style.safetensors 0.8; https://civitai.com/api/download/models/7"\n',
    });
    const out = tmpDir();
    const before = sim.submissions.length;
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--provider', 'apixo', '--plain'], {
      APIXO_API_KEY: KEY, APIXO_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001',
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('2 succeeded');
    const inputs = sim.submissions.slice(before).map((s) => (s.body as { input: Record<string, unknown> }).input);
    expect(inputs.map((i) => i.mode).sort()).toEqual(['text-to-video', 'text-to-video-LoRA']);
    expect(inputs.find((i) => i.mode === 'text-to-video-LoRA')!.loras).toEqual([
      { path: 'https://huggingface.co/u/style.safetensors', scale: 0.8 },
      { path: 'https://civitai.com/api/download/models/7', scale: 1 },
    ]);
    const film = await probe(path.join(out, 'film.mp4'));
    expect(Math.abs(film.duration - 11)).toBeLessThan(0.2);
    expect(fs.readFileSync(path.join(out, 'project.sqlite')).includes(Buffer.from(KEY))).toBe(false);
    expect(authOnlyOnApi()).toBe(true);
  });
});

describe('apixo: expired results', () => {
  it('a result URL older than 15 days (410) is "expired"', async () => {
    const p = provider();
    const req = requestFor(p, shot({ res: '480p' }));
    const ctx = testCtx();
    const sub = await p.submit!(req, ctx);
    let pr: PollResult = { status: 'pending' };
    while (pr.status === 'pending' || pr.status === 'running') {
      await new Promise((r) => setTimeout(r, 20));
      pr = await p.poll!(sub.taskId, req, ctx);
    }
    expect(pr.status).toBe('succeeded');
    sim.advance(16 * 24 * 3600 * 1000);
    const e = (await p.download!(sub.taskId, (pr as Extract<PollResult, { status: 'succeeded' }>).result, path.join(ctx.tmpDir, 'x.mp4'), ctx).catch((x) => x)) as ProviderError;
    expect(e).toMatchObject({ kind: 'expired', opts: { status: 410 } });
    expect(e.message).toContain('15 days');
  });
});
