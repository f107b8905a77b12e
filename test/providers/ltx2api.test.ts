import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLtx2apiProvider } from '../../main/providers/ltx2api/ltx2api';
import { ProviderError } from '../../main/providers/provider';
import { probe } from '../../main/media/ffprobe';
import { startLtx2apiSimulator, type Ltx2apiSimulator } from '../simulators/ltx2api';
import { renderOnce, requestFor, shot, testCtx } from '../helpers/provider-harness';
import { runCli } from '../helpers/cli';
import { resumeAfterRestart } from '../helpers/restart';
import { tmpDir, withFiles } from '../helpers/tmp';

let sim: Ltx2apiSimulator;
const KEY = 'ltx2api-secret-key-1234';
beforeAll(async () => {
  sim = await startLtx2apiSimulator({ apiKey: KEY, renderMs: 50 });
});
afterAll(() => sim.close());
const provider = (env: Record<string, string> = {}) => createLtx2apiProvider({ LTX2API_API_KEY: KEY, LTX2API_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001', ...env });

describe('ltx2api: request mapping and limits (doc 002)', () => {
  it('maps text-to-video and image-to-video rows to the documented body', () => {
    const p = provider();
    expect(requestFor(p, shot({ duration: 10, res: '1080p', seed: 7 })).body).toEqual({ prompt: 'a lighthouse at dusk', resolution: '1080p', duration: 10, seed: 7, aspect_ratio: '16:9' });
    const i2v = requestFor(p, shot({ mode: 'image-to-video', image: { kind: 'url', url: 'https://example.com/a.png', original: 'https://example.com/a.png' } }));
    expect(i2v.body).toMatchObject({ image: 'https://example.com/a.png' });
    expect(i2v.body).not.toHaveProperty('aspect_ratio');
  });

  it('refuses what the service cannot render, naming the column and what it accepts', () => {
    const p = provider();
    const v = p.validate(shot({ duration: 4, res: '1440p', prompt: 'x'.repeat(2001), mode: 'lipsync' }));
    expect(v.ok).toBe(false);
    const issues = v.ok ? [] : v.issues;
    expect(issues.map((i) => i.column)).toEqual(['mode', 'duration', 'prompt', 'resolution']);
    expect(issues[1].message).toBe('ltx2api renders 5-20 s; got 4 s');
    const local = p.validate(shot({ mode: 'image-to-video', image: { kind: 'file', path: '/x/a.png', original: 'a.png' } }));
    expect(local.ok ? '' : local.issues[0].message).toContain('only as a public http(s) URL');
    expect(p.validate(shot({ duration: 5.5 })).ok).toBe(false);
  });

  it('estimates credits by the doc formula, including its worked example (10 s at 1080p = 44 credits)', () => {
    const p = provider();
    expect(p.estimate(shot({ duration: 10, res: '1080p' }))).toMatchObject({ unit: 'credits', min: 44, max: 44, usdPerUnit: undefined });
    expect(p.estimate(shot({ duration: 5, res: '480p' })).max).toBe(20);
    expect(p.estimate(shot({ duration: 20, res: '720p' })).max).toBe(72);
    expect(provider({ LTX2API_USD_PER_CREDIT: '0.01' }).estimate(shot({ duration: 15, res: '1080p' })).usdPerUnit).toBe(0.01);
  });
});

describe('ltx2api against its simulator', () => {
  it('renders: task id, credits reported on submit, no key sent to the status endpoint, an MP4 of the requested length', async () => {
    const p = provider();
    const { submit, final, file } = await renderOnce(p, requestFor(p, shot({ duration: 6, res: '480p' })));
    expect(submit.taskId).toMatch(/ltx2$/);
    expect(submit.actual).toEqual({ unit: 'credits', amount: 23.2 });
    expect(final.status).toBe('succeeded');
    expect(Math.round((await probe(file!)).duration)).toBe(6);
    expect(sim.statusRequestsWithAuth).toEqual([]);
    expect(sim.authSeen.every((a) => a.path === '/api/generate')).toBe(true);
  });

  it('maps a FAILED task to a failed shot with the service message and a refund', async () => {
    const p = provider();
    sim.faults.push({ kind: 'fail-task', count: 1, message: 'content policy violation' });
    const { final } = await renderOnce(p, requestFor(p, shot()));
    expect(final).toMatchObject({ status: 'failed', message: 'content policy violation', actual: { amount: 0, refunded: true } });
  });

  it('classifies errors: 401 -> auth, 429 -> retryable with Retry-After, 500 -> retryable, 400 -> invalid with the message', async () => {
    const ctx = testCtx();
    const req = requestFor(provider(), shot());
    await expect(provider({ LTX2API_API_KEY: 'wrong' }).submit!(req, ctx)).rejects.toMatchObject({ kind: 'auth' });
    sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit', retryAfterS: 3 });
    await expect(provider().submit!(req, ctx)).rejects.toMatchObject({ kind: 'retryable', opts: { status: 429, retryAfterMs: 3000 } });
    sim.faults.push({ kind: 'server-error', count: 1, on: 'submit', status: 500 });
    await expect(provider().submit!(req, ctx)).rejects.toMatchObject({ kind: 'retryable' });
    const bad = { ...req, body: { ...req.body, duration: 30 } };
    const err = (await provider().submit!(bad, ctx).catch((e) => e)) as ProviderError;
    expect(err).toMatchObject({ kind: 'invalid' });
    expect(err.message).toMatch(/duration/i);
  });

  it('never puts the key in an error message', async () => {
    sim.faults.push({ kind: 'server-error', count: 1, on: 'submit', status: 503 });
    const err = (await provider().submit!(requestFor(provider(), shot()), testCtx()).catch((e) => e)) as Error;
    expect(err.message).not.toContain(KEY);
  });
});

describe('ltx-batch render --provider ltx2api (end to end)', () => {
  it('renders a storyboard against the simulator and stitches the film; credits recorded per shot', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,5,480p\n2,gulls over the pier,6,480p\n' });
    const out = tmpDir();
    const res = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out, '--provider', 'ltx2api', '--plain'], {
      LTX2API_API_KEY: KEY, LTX2API_BASE_URL: sim.baseUrl, LTX_BATCH_POLL_SCALE: '0.001',
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('2 succeeded');
    expect(res.stdout).toMatch(/│ 1\s+│ ltx2api\s+│ succeeded │ 1\s+│ 1\s+│ 20 credits\s+│ 20 credits/);
    const film = await probe(path.join(out, 'film.mp4'));
    expect(Math.abs(film.duration - 11)).toBeLessThan(0.2);
    expect(fs.readFileSync(path.join(out, 'project.sqlite')).includes(Buffer.from(KEY))).toBe(false);
  });
});

describe('ltx2api: restart in the middle of polling', () => {
  it('polls the stored task instead of submitting (and paying) again', async () => {
    const before = sim.submissions.length;
    const { summary, clip } = await resumeAfterRestart(provider(), shot({ id: 'r1' }));
    expect(summary.succeeded).toBe(1);
    expect(clip).toBeDefined();
    expect(sim.submissions.length - before).toBe(1);
  });
});
