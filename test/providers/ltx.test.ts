/**
 * The ltx provider against a simulator of the public LTX API (test/simulators/ltx.ts, written from
 * docs.ltx.video): request mapping and the model table, both forms (v2 async jobs by default, v1
 * only when v2 is refused), uploads, the error envelope, key checks, restarts.
 */
import path from 'node:path';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLtxProvider, LTX_FORM_ENV } from '../../main/providers/ltx/ltx';
import { ProviderError, type Provider } from '../../main/providers/provider';
import { probe } from '../../main/media/ffprobe';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';
import { renderOnce, requestFor, shot, testCtx } from '../helpers/provider-harness';
import { runCli } from '../helpers/cli';
import { withFiles } from '../helpers/tmp';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { startRawServer, head } from '../helpers/raw-http';

let sim: LtxSimulator;
const KEY = 'ltx-secret-key-424242';
beforeAll(async () => {
  sim = await startLtxSimulator({ apiKey: KEY, renderMs: 50, shrinkVideos: true, concurrency: 100 });
});
afterAll(() => sim.close());
const provider = (env: Record<string, string> = {}, s: { baseUrl: string } = sim) => createLtxProvider({ LTX_API_KEY: KEY, LTX_BASE_URL: s.baseUrl, LTX_BATCH_POLL_SCALE: '0.001', ...env });
const IMG = { kind: 'url' as const, url: 'https://example.com/start.png', original: 'https://example.com/start.png' };
/** A tiny valid PNG (1x1). */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const fileRef = (name: string, content: Buffer) => {
  const dir = withFiles({ [name]: content });
  return { kind: 'file' as const, path: path.join(dir, name), original: name };
};
/** A real WAV of `seconds` seconds, made with ffmpeg. */
const wav = (seconds: number) => {
  const dir = withFiles({});
  const file = path.join(dir, 'voice.wav');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-ar', '16000', file]);
  return { kind: 'file' as const, path: file, original: 'voice.wav' };
};
const issuesOf = (p: Provider, s: ReturnType<typeof shot>) => {
  const v = p.validate(s);
  return v.ok ? [] : v.issues;
};

describe('ltx: the public API\'s models, sizes, durations and columns', () => {
  it('maps rows to the v2 endpoints with the documented fields; the default model is ltx-2-3-fast', () => {
    const p = provider();
    const t2v = requestFor(p, shot({ duration: 20, res: '1080p', seed: 7, metadata: { 'Camera Motion': 'dolly in', generate_audio: 'no' } }));
    expect(t2v.route).toBe('text-to-video');
    expect(t2v.body).toEqual({ prompt: 'a lighthouse at dusk', model: 'ltx-2-3-fast', duration: 20, resolution: '1920x1080', fps: 25, camera_motion: 'dolly_in', generate_audio: false });
    expect(t2v.notes).toContain('ltx takes no seed; the seed was not sent');
    const portrait = requestFor(p, shot({ duration: 8, res: '1440p', aspectRatio: '9:16', model: 'ltx-2-3-pro', fps: 24 }));
    expect(portrait.body).toMatchObject({ model: 'ltx-2-3-pro', resolution: '1440x2560', fps: 24, duration: 8 });
    const i2v = requestFor(p, shot({ mode: 'image-to-video', image: IMG, duration: 6, res: '4K', model: 'ltx-2-pro', fps: 50 }));
    expect(i2v).toMatchObject({ route: 'image-to-video', body: { image_uri: 'https://example.com/start.png', resolution: '3840x2160' } });
    expect(i2v.notes!.join(' ')).toMatch(/ltx-2-pro as deprecated.*use ltx-2-3-pro/);
  });

  it('refuses what the service refuses, naming the column and what is allowed: 7 s, 12 s on pro, GIF, http://, 30 fps, bad camera motion', () => {
    const p = provider();
    expect(issuesOf(p, shot({ duration: 7, res: '1080p' }))).toEqual([expect.objectContaining({ column: 'duration', message: expect.stringMatching(/6, 8, 10, 12, 14, 16, 18, 20 s.*got 7 s/) })]);
    expect(issuesOf(p, shot({ duration: 12, res: '1080p', model: 'ltx-2-3-pro' }))[0]).toMatchObject({ column: 'duration', message: expect.stringMatching(/renders 6, 8, 10 s/) });
    expect(issuesOf(p, shot({ duration: 12, res: '1440p' }))[0]).toMatchObject({ column: 'duration', message: expect.stringMatching(/12-20 s in even seconds only at 1920x1080 or 1080x1920/) });
    expect(issuesOf(p, shot({ mode: 'image-to-video', duration: 6, res: '1080p', image: fileRef('start.gif', Buffer.from('GIF89a')) }))[0]).toMatchObject({ column: 'image', message: expect.stringMatching(/PNG, JPEG or WEBP.*\.gif/) });
    expect(issuesOf(p, shot({ mode: 'image-to-video', duration: 6, res: '1080p', image: { kind: 'url', url: 'http://example.com/a.png', original: 'http://example.com/a.png' } }))[0]).toMatchObject({ column: 'image', message: expect.stringMatching(/https/) });
    expect(issuesOf(p, shot({ duration: 6, res: '1080p', fps: 30 }))[0]).toMatchObject({ column: 'fps' });
    expect(issuesOf(p, shot({ duration: 6, res: '720p', model: 'ltx-2-3-pro' }))[0]).toMatchObject({ column: 'resolution', message: expect.stringMatching(/1920x1080/) });
    expect(issuesOf(p, shot({ duration: 6, res: '1080p', metadata: { camera_motion: 'zoom' } }))[0]).toMatchObject({ column: 'camera_motion', message: expect.stringMatching(/dolly_in/) });
    expect(issuesOf(p, shot({ mode: 'audio-to-video', audio: IMG, duration: 6, res: '1080p', model: 'ltx-2-3-fast' }))[0]).toMatchObject({ column: 'model', message: expect.stringMatching(/ltx-2-3-pro or ltx-2-pro/) });
  });

  it('prices at the public per-second rates; audio-to-video by the audio\'s real length', () => {
    const p = provider();
    expect(p.estimate(shot({ duration: 6, res: '1080p', model: 'ltx-2-fast' }))).toMatchObject({ unit: 'USD', max: 0.24 });
    expect(p.estimate(shot({ duration: 10, res: '1440p', model: 'ltx-2-pro' }))).toMatchObject({ max: 1.2 });
    expect(p.estimate(shot({ duration: 8, res: '2160p', model: 'ltx-2-fast' }))).toMatchObject({ max: 1.28 });
    expect(p.estimate(shot({ duration: 8, res: '1440p', model: 'ltx-2-3-pro' }))).toMatchObject({ max: 1.28 });
    expect(p.estimate(shot({ duration: 6, res: '720p' }))).toMatchObject({ max: 0.18 });
    // Portrait costs what its landscape twin costs.
    expect(p.estimate(shot({ duration: 6, res: '1080p', aspectRatio: '9:16', model: 'ltx-2-pro' })).max).toBe(0.36);
    const a = wav(3.2);
    expect(p.estimate(shot({ mode: 'audio-to-video', audio: a, duration: 6, res: '1080p' }))).toMatchObject({ max: 0.4, basis: expect.stringMatching(/4 s of audio/) });
    expect(issuesOf(p, shot({ mode: 'audio-to-video', audio: wav(1), duration: 6, res: '1080p' }))[0]).toMatchObject({ column: 'audio', message: expect.stringMatching(/2-20 s; this one is 1\.0 s/) });
    // The table names its source and date; assumptions are listed.
    expect(p.sources!()).toMatchObject({ prices: 'https://docs.ltx.video/pricing', pricesRead: '2026-12-02' });
    expect(p.describePrices!().join('\n')).toMatch(/ltx-2-3-pro: \$0\.08\/s at 1080p \(assumed\), \$0\.16\/s at 1440p,/);
  });
});

describe('ltx: v2 async jobs against the simulator', () => {
  it('submits to /v2, stores the job id, polls until completed, downloads video_url without the key', async () => {
    sim.resetRecords();
    const p = provider();
    const r = await renderOnce(p, requestFor(p, shot({ duration: 6, res: '1080p', model: 'ltx-2-3-pro' })));
    expect(r.final.status).toBe('succeeded');
    expect(r.polls).toBeGreaterThan(0);
    expect(sim.submissions.map((s) => s.path)).toEqual(['/v2/text-to-video']);
    expect((await probe(r.file!)).duration).toBeCloseTo(6, 0);
    expect(sim.authSeen.length).toBeGreaterThan(0);
    expect(sim.authSeen.every((a) => a.path.startsWith('/v2/'))).toBe(true);
    expect(sim.charges.at(-1)).toMatchObject({ unit: 'USD', amount: 0.48 });
  });

  it('a restarted process polls the stored job id instead of submitting again', async () => {
    sim.resetRecords();
    const p = provider();
    const req = requestFor(p, shot({ duration: 6, res: '1080p' }));
    const s = await p.submit!(req, testCtx());
    const again = provider(); // a new process: nothing but the stored task id
    let state = await again.poll!(s.taskId, req, testCtx());
    while (state.status === 'pending' || state.status === 'running') {
      await new Promise((r) => setTimeout(r, 20));
      state = await again.poll!(s.taskId, req, testCtx());
    }
    expect(state.status).toBe('succeeded');
    expect(sim.submissions).toHaveLength(1);
  });

  it('local images go inline as data URIs; a large one goes through /v1/upload and the PUT carries no key', async () => {
    sim.resetRecords();
    const p = provider();
    const small = fileRef('start.png', PNG);
    await p.submit!(requestFor(p, shot({ mode: 'image-to-video', image: small, duration: 6, res: '1080p' })), testCtx());
    expect((sim.submissions.at(-1)!.body as { image_uri: string }).image_uri).toMatch(/^data:image\/png;base64,/);
    // 6 MB of PNG becomes 8 MB as base64: over the page's 7 MB for data URIs.
    const big = fileRef('big.png', Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)]));
    await p.submit!(requestFor(p, shot({ mode: 'image-to-video', image: big, duration: 6, res: '1080p' })), testCtx());
    expect((sim.submissions.at(-1)!.body as { image_uri: string }).image_uri).toMatch(/^ltx:\/\/uploads\//);
    expect(sim.uploads.at(-1)).toMatchObject({ puts: 1, putWithAuth: false });
  });

  it('end_image: the last frame goes as last_frame_uri with ltx-2-3 models; other models and modes are refused naming the column; a provider that cannot is an estimate-time error naming ltx', async () => {
    sim.resetRecords();
    const p = provider();
    const start = fileRef('start.png', PNG);
    const end = fileRef('end.png', PNG);
    const { final } = await renderOnce(p, requestFor(p, shot({ mode: 'image-to-video', image: start, endImage: end, duration: 6, res: '1080p', model: 'ltx-2-3-pro' })));
    expect(final.status).toBe('succeeded');
    const body = sim.submissions.at(-1)!.body as { image_uri: string; last_frame_uri: string };
    expect(body.last_frame_uri).toMatch(/^data:image\/png;base64,/);
    expect(body.image_uri).toMatch(/^data:image\/png;base64,/);
    expect(issuesOf(p, shot({ mode: 'image-to-video', image: start, endImage: end, duration: 6, res: '1080p', model: 'ltx-2-fast' }))).toEqual([{ column: 'end_image', message: 'ltx takes an end image with ltx-2-3-fast or ltx-2-3-pro only; got "ltx-2-fast"' }]);
    expect(issuesOf(p, shot({ endImage: end, duration: 6, res: '1080p' }))).toEqual([{ column: 'end_image', message: 'ltx takes an end image in image-to-video only (with a start image); this row is text-to-video' }]);
    // The plan names the providers that can, for a row whose provider cannot.
    const dir = withFiles({ 'sb.csv': 'shot,prompt,image,end_image,duration,resolution,provider\n1,a door opens,start.png,end.png,6,1080p,preview\n2,a door closes,start.png,end.png,6,1080p,ltx', 'start.png': PNG, 'end.png': PNG });
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    expect(sb.shots[0].endImage).toMatchObject({ kind: 'file', original: 'end.png' });
    const plan = planStoryboard(sb.shots, new ProviderRegistry([createPreviewProvider(), p]));
    expect(plan.issues).toEqual([{ severity: 'error', row: 2, shot: '1', column: 'end_image', message: 'preview cannot start from an image and end on another (end_image); providers that can: ltx' }]);
  });

  it('the error envelope: 402 pauses as credits, 422 content filter fails the shot, 429 is retryable with Retry-After', async () => {
    const p = provider();
    const req = requestFor(p, shot({ duration: 6, res: '1080p' }));
    sim.faults.push({ kind: 'insufficient-credits', count: 1 });
    await expect(p.submit!(req, testCtx())).rejects.toMatchObject({ kind: 'credits', opts: { code: 'insufficient_funds_error' }, message: expect.stringMatching(/Insufficient funds/) });
    sim.faults.push({ kind: 'http-error', status: 422, code: 'content_filtered_error', message: 'Content rejected by safety filters', count: 1, on: 'submit' });
    await expect(p.submit!(req, testCtx())).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/content_filtered_error: Content rejected/) });
    sim.faults.push({ kind: 'rate-limit', retryAfterS: 3, count: 1 });
    await expect(p.submit!(req, testCtx())).rejects.toMatchObject({ kind: 'retryable', opts: { status: 429, retryAfterMs: 3000 } });
  });

  it('an error answer that echoes the key never carries it into the error (402 insufficient funds)', async () => {
    const raw = await startRawServer((_r, sock) => {
      const body = JSON.stringify({ type: 'error', error: { type: 'insufficient_funds_error', message: `Insufficient funds for key ${KEY}. Required: 36 credits` } });
      sock.end(head('HTTP/1.0 402 Payment Required', { 'Content-Type': 'application/json' }) + body);
    });
    try {
      const p = provider({}, { baseUrl: raw.url });
      const err = (await p.submit!(requestFor(p, shot({ duration: 6, res: '1080p' })), testCtx()).catch((e: unknown) => e)) as ProviderError;
      expect(err).toMatchObject({ kind: 'credits', message: expect.stringMatching(/Required: 36 credits/) });
      expect(err.message).not.toContain(KEY);
    } finally {
      await raw.close();
    }
  });

  it('a job answer in a shape this version cannot read fails as unreadable, naming the field, key redacted', async () => {
    const raw = await startRawServer((r, sock) => {
      const body = r.path.startsWith('/v2/text-to-video/') ? JSON.stringify({ id: 'j1', status: 'completed', result: { url: 'https://cdn.example/x.mp4' }, echo: `Bearer ${KEY}` }) : JSON.stringify({ id: 'j1', created_at: 'now' });
      sock.end(head(r.method === 'POST' ? 'HTTP/1.0 202 Accepted' : 'HTTP/1.0 200 OK', { 'Content-Type': 'application/json' }) + body);
    });
    try {
      const p = provider({}, { baseUrl: raw.url });
      const req = requestFor(p, shot({ duration: 6, res: '1080p' }));
      const s = await p.submit!(req, testCtx());
      const err = await p.poll!(s.taskId, req, testCtx()).catch((e: unknown) => e as ProviderError);
      expect(err).toMatchObject({ kind: 'unreadable', message: expect.stringMatching(/field "(result\.video_url|status)"/) });
      expect((err as Error).message).not.toContain(KEY);
    } finally {
      await raw.close();
    }
  });
});

describe('ltx: the synchronous v1 form, only when v2 is refused', () => {
  it('falls back to /v1 when /v2 answers 404, streams the MP4 answer to disk, task id from x-request-id', async () => {
    const old = await startLtxSimulator({ apiKey: KEY, renderMs: 30, shrinkVideos: true, v2: false });
    try {
      const p = provider({}, old);
      const logs: string[] = [];
      const ctx = testCtx(logs);
      const req = requestFor(p, shot({ duration: 6, res: '1080p' }));
      const s = await p.submit!(req, ctx);
      expect(s.taskId).toMatch(/^v1:/);
      expect(s.immediate).toMatchObject({ status: 'succeeded', result: { kind: 'file' } });
      expect(logs.join(' ')).toMatch(/refused \/v2\/text-to-video \(HTTP 404\)/);
      // A restarted process finds the saved MP4 by the task id.
      expect(await p.poll!(s.taskId, req, ctx)).toEqual(s.immediate);
      const dest = path.join(ctx.tmpDir, 'clip.mp4');
      await p.download!(s.taskId, (s.immediate as { result: { kind: 'file'; path: string } }).result, dest, ctx);
      expect((await probe(dest)).video).toBeDefined();
      // The next submit goes straight to v1.
      await p.submit!(req, testCtx());
      expect(old.requests.filter((r) => r.path.startsWith('/v2/'))).toHaveLength(1);
      await expect(p.poll!('v1:gone', req, testCtx())).rejects.toMatchObject({ kind: 'expired' });
    } finally {
      await old.close();
    }
  });

  it('LTX_API_FORM=v1 always uses /v1; a v1 answer cut off mid-MP4 is retryable with no status (the queue flags it "may have been submitted twice")', async () => {
    sim.resetRecords();
    const p = provider({ [LTX_FORM_ENV]: 'v1' });
    const req = requestFor(p, shot({ duration: 6, res: '1080p' }));
    await p.submit!(req, testCtx());
    expect(sim.submissions.at(-1)!.path).toBe('/v1/text-to-video');
    sim.faults.push({ kind: 'drop-connection', count: 1, on: 'submit' });
    const err = (await p.submit!(req, testCtx()).catch((e: unknown) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'retryable' });
    expect(err.opts.status).toBeUndefined();
  });
});

describe('ltx: configuration and key checks', () => {
  it('LTX_BASE_URL is the origin (a trailing /v1 is stripped); LTXV_API_KEY works like LTX_API_KEY', async () => {
    sim.resetRecords();
    const p = createLtxProvider({ LTXV_API_KEY: KEY, LTX_BASE_URL: `${sim.baseUrl}/v1/`, LTX_BATCH_POLL_SCALE: '0.001' });
    expect(p.availability()).toEqual({ ok: true });
    await p.submit!(requestFor(p, shot({ duration: 6, res: '1080p' })), testCtx());
    expect(sim.submissions.at(-1)!.path).toBe('/v2/text-to-video');
    expect(createLtxProvider({ LTX_API_FORM: 'generations' }).availability()).toMatchObject({ ok: false, reason: expect.stringMatching(/LTX_API_FORM/) });
  });

  it('keys test: a wrong key is rejected, the right one accepted, and a 404 from something that is not the LTX API is never "accepted"', async () => {
    expect(await provider().checkKey!(testCtx())).toMatchObject({ ok: true });
    expect(await provider({ LTX_API_KEY: 'wrong-key' }).checkKey!(testCtx())).toMatchObject({ ok: false, message: expect.stringMatching(/key rejected \(HTTP 401\)/) });
    const notLtx = await startRawServer((_r, sock) => sock.end(head('HTTP/1.0 404 Not Found', { 'Content-Type': 'text/html' }) + '<h1>Not Found</h1>'));
    try {
      await expect(provider({}, { baseUrl: notLtx.url }).checkKey!(testCtx())).rejects.toMatchObject({ kind: 'setup', message: expect.stringMatching(/not the LTX API's error envelope/) });
    } finally {
      await notLtx.close();
    }
    const cli = await runCli(['keys', 'test', 'ltx'], { LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl });
    expect(cli.code).toBe(0);
  });
});

describe('ltx: a mixed fast/pro storyboard through the CLI', () => {
  it('renders 4 shots at the public prices, the ledger records what the simulator charged', async () => {
    const dir = withFiles({
      'board.csv': ['shot,prompt,model,duration,resolution', '1,harbour at dawn,ltx-2-3-fast,6,1080p', '2,gulls,ltx-2-3-pro,6,1080p', '3,the keeper,ltx-2-fast,8,1080p', '4,the lamp,ltx-2-pro,6,1440p'].join('\n'),
    });
    const env = { LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001' };
    const est = await runCli(['estimate', path.join(dir, 'board.csv'), '--provider', 'ltx', '--json'], env);
    expect(est.code).toBe(0);
    const plan = JSON.parse(est.stdout) as { totalUsd: number };
    // 6 x 0.06 + 6 x 0.08 + 8 x 0.04 + 6 x 0.12
    expect(plan.totalUsd).toBeCloseTo(0.36 + 0.48 + 0.32 + 0.72, 6);
    sim.resetRecords();
    const out = path.join(dir, 'out');
    const r = await runCli(['render', path.join(dir, 'board.csv'), '--provider', 'ltx', '--out', out], env);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(out, 'film.mp4'))).toBe(true);
    expect(sim.submissions).toHaveLength(4);
  });
});

describe('ltx: takes, a continued shot, an end image and a style through the CLI', () => {
  it('renders two takes of shot 1, then shot 2 from the last frame of its chosen take to an end image, every prompt styled', async () => {
    const dir = withFiles({
      'board.csv': ['shot,prompt,duration,resolution,takes,continue_from,end_image', '1,{Mara} on the harbour wall,6,1080p,2,,', '2,{Mara} turns to the sea,6,1080p,,previous,end.png'].join('\n'),
      'chars.csv': 'name,description\nMara,a woman in a red wool coat',
      'end.png': PNG,
    });
    const env = { LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001' };
    const look = ['--characters', path.join(dir, 'chars.csv'), '--style', 'cinematic, {prompt}'];
    const est = await runCli(['estimate', path.join(dir, 'board.csv'), '--provider', 'ltx', '--json', ...look], env);
    expect(est.code, est.stderr).toBe(0);
    // Three takes at ltx-2-3-fast's 1080p rate: two of shot 1, one of shot 2 (priced as image-to-video).
    expect((JSON.parse(est.stdout) as { totalUsd: number }).totalUsd).toBeCloseTo(3 * 6 * 0.06, 6);
    sim.resetRecords();
    const out = path.join(dir, 'out');
    const r = await runCli(['render', path.join(dir, 'board.csv'), '--provider', 'ltx', '--out', out, ...look], env);
    expect(r.code, r.stderr).toBe(0);
    expect(sim.submissions).toHaveLength(3);
    const bodies = sim.submissions.map((x) => x.body as { prompt: string; image_uri?: string; last_frame_uri?: string });
    expect(bodies.every((b) => b.prompt.startsWith('cinematic, a woman in a red wool coat'))).toBe(true);
    // Shot 2 went last, from a PNG (the start frame written from shot 1's chosen take) to the end image.
    expect(bodies[2].image_uri).toMatch(/^data:image\/png;base64,/);
    expect(bodies[2].last_frame_uri).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    expect(fs.existsSync(path.join(out, 'frames', '2-start.png'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'film.mp4'))).toBe(true);
  });
});

describe('ltx: retake and extend a take through the CLI', () => {
  it('prices the edit first, uploads the take, sends /v2/retake and /v2/extend, and makes each a new chosen take of the right length', async () => {
    const dir = withFiles({ 'board.csv': ['shot,prompt,duration,resolution', '1,a lighthouse in fog,6,1080p'].join('\n') });
    const env = { LTX_API_KEY: KEY, LTX_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001' };
    const out = path.join(dir, 'out');
    const r = await runCli(['render', path.join(dir, 'board.csv'), '--provider', 'ltx', '--out', out], env);
    expect(r.code, r.stderr).toBe(0);
    sim.resetRecords();

    // The cost first: 6 s of new take at $0.10/s; nothing is sent.
    const est = await runCli(['retake', '--out', out, '--shot', '1', '--from', '1', '--to', '4', '--estimate'], env);
    expect(est.code, est.stderr).toBe(0);
    expect(est.stdout).toMatch(/retake of 1-4 s of shot 1 take 1 on ltx: a new take of 6 s, \$0\.60/);
    expect(sim.submissions).toHaveLength(0);

    // Refused before anything is sent, naming the field.
    const short = await runCli(['retake', '--out', out, '--shot', '1', '--from', '5', '--to', '6'], env);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/duration: a retake redoes at least 2 s/);
    const long = await runCli(['extend', '--out', out, '--shot', '1', '--by', '30'], env);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/seconds: ltx extends by 2-20 s; got 30 s/);
    expect(sim.submissions).toHaveLength(0);

    const retake = await runCli(['retake', '--out', out, '--shot', '1', '--from', '1', '--to', '4', '--mode', 'replace_video', '--prompt', 'the lamp flares'], env);
    expect(retake.code, retake.stderr).toBe(0);
    expect(retake.stdout).toMatch(/shot 1 take 2: .*\(now the chosen take\)/);
    const sent = sim.submissions.at(-1)!;
    expect(sent.path).toBe('/v2/retake');
    expect(sent.body).toMatchObject({ start_time: 1, duration: 3, mode: 'replace_video', prompt: 'the lamp flares', model: 'ltx-2-3-pro', video_uri: expect.stringMatching(/^ltx:\/\/uploads\//) });
    // The take went through the upload endpoint; the PUT to storage carried no key.
    const up = sim.upload((sent.body as { video_uri: string }).video_uri)!;
    expect(up.data!.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(up.putWithAuth).toBe(false);

    // Extend the retake (the chosen take now) by 4 s: a 10 s take 3, and the film follows it.
    const ext = await runCli(['extend', '--out', out, '--shot', '1', '--by', '4'], env);
    expect(ext.code, ext.stderr).toBe(0);
    expect(ext.stdout).toMatch(/a new take of 10 s, \$0\.80/);
    expect(sim.submissions.at(-1)!.path).toBe('/v2/extend');
    expect(sim.submissions.at(-1)!.body).toMatchObject({ duration: 4, mode: 'end', model: 'ltx-2-3-pro' });
    const film = await probe(path.join(out, 'film.mp4'));
    expect(film.duration).toBeCloseTo(10, 0);

    const { ProjectStore } = await import('../../main/queue/store');
    const store = new ProjectStore(out);
    try {
      const jobs = store.jobs().sort((a, b) => a.take - b.take);
      expect(jobs.map((j) => [j.take, j.origin, j.edit?.kind ?? null, j.fromJob])).toEqual([
        [1, 'storyboard', null, null],
        [2, 'new-take', 'retake', jobs[0].id],
        [3, 'new-take', 'extend', jobs[1].id],
      ]);
      expect(jobs[2].chosen).toBe(true);
      expect(jobs[1].estimateUsd).toBeCloseTo(0.6, 6);
      expect(jobs[2].estimateUsd).toBeCloseTo(0.8, 6);
      expect(jobs[2].media!.duration).toBeCloseTo(10, 0);
    } finally {
      store.close();
    }
  });
});
