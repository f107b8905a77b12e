import path from 'node:path';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
const errorOf = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as ProviderError;

/** A server that answers each request with the next of `answers` (status 200, JSON), for shapes the simulator never sends. */
async function withAnswers(answers: string[], fn: (baseUrl: string) => Promise<void>): Promise<void> {
  const stub = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(answers.shift());
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(stub.address() as AddressInfo).port}`);
  } finally {
    await new Promise((r) => stub.close(r));
  }
}

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

  it('names its price source and date, and lists what it assumes (insufficient-credits detection among them)', () => {
    const p = provider();
    const src = p.sources!();
    expect(src).toMatchObject({ prices: 'shared/provider-docs/002_b07a798ff8644b97.txt', pricesRead: '2026-11-21' });
    expect(src.assumed.find((a) => /insufficient credits/.test(a))).toMatch(/no 402 and no insufficient-credits code/);
    expect(src.assumed.join('\n')).toMatch(/result URLs .* need no key/);
    expect(p.describePrices!().filter((l) => l.endsWith('(assumed)'))).toEqual([expect.stringContaining('2 decimals')]);
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

  it("reads the errors page's envelope: the code and message shown, the code kept on the error", async () => {
    const req = requestFor(provider(), shot());
    const missing = await errorOf(provider({ LTX2API_API_KEY: 'wrong-key-0000' }).submit!(req, testCtx()));
    expect(missing).toMatchObject({ kind: 'auth', opts: { status: 401, code: 'INVALID_API_KEY' } });
    expect(missing.message).toBe('key rejected (HTTP 401): INVALID_API_KEY: The provided API key is invalid or has been revoked.');
    const prompt = await errorOf(provider().submit!({ ...req, body: { ...req.body, prompt: '' } }, testCtx()));
    expect(prompt).toMatchObject({ kind: 'invalid', opts: { status: 400, code: 'INVALID_PROMPT' } });
    expect(await errorOf(provider().poll!('n50nope', req, testCtx()))).toMatchObject({ kind: 'expired', message: expect.stringContaining('TASK_NOT_FOUND') });
  });

  it('takes an error saying insufficient credits (code or message; no published code, assumed) as "credits", not as a bad request', async () => {
    const req = requestFor(provider(), shot());
    sim.faults.push({ kind: 'insufficient-credits', count: 1 });
    expect(await errorOf(provider().submit!(req, testCtx()))).toMatchObject({ kind: 'credits', opts: { status: 400, code: 'INSUFFICIENT_CREDITS' } });
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 403, code: 'ACCOUNT_LIMIT', message: 'Not enough credits to create this task' });
    expect(await errorOf(provider().submit!(req, testCtx()))).toMatchObject({ kind: 'credits', opts: { status: 403 } });
    sim.faults.push({ kind: 'http-error', count: 1, on: 'submit', status: 403, code: 'FORBIDDEN', message: 'API key lacks required permissions' });
    expect(await errorOf(provider().submit!(req, testCtx()))).toMatchObject({ kind: 'auth' });
  });

  it('fails an answer not in the documented shape as unreadable, naming the field (key redacted)', async () => {
    await withAnswers(
      [
        '{"code":200,"message":"success","data":{"task_id":"n50abc123ltx2","status":"IN_PROGRESS","consumed_credits":44}}',
        `{"code":200,"message":"success","data":{"id":"n50abc123ltx2","note":"${KEY}"}}`,
        '{"code":200,"message":"success","data":{"task_id":"n50abc123ltx2","status":"SUCCESS","response":[]}}',
        '{"code":200,"message":"success","data":{"task_id":"n50abc123ltx2","status":"DONE"}}',
        '{"code":400,"message":"duration out of range","data":null}',
      ],
      async (base) => {
        const p = provider({ LTX2API_BASE_URL: base });
        const req = requestFor(p, shot());
        expect(await p.submit!(req, testCtx())).toMatchObject({ taskId: 'n50abc123ltx2', actual: { unit: 'credits', amount: 44 } });
        const noId = await errorOf(p.submit!(req, testCtx()));
        expect(noId).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.task_id"') });
        expect(noId.message).not.toContain(KEY);
        expect(await errorOf(p.poll!('n50abc123ltx2', req, testCtx()))).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.response"') });
        expect(await errorOf(p.poll!('n50abc123ltx2', req, testCtx()))).toMatchObject({ kind: 'unreadable', message: expect.stringContaining('field "data.status"') });
        // An error code inside an HTTP 200 answer is that error.
        expect(await errorOf(p.submit!(req, testCtx()))).toMatchObject({ kind: 'invalid', opts: { status: 400 }, message: expect.stringContaining('duration out of range') });
      },
    );
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
    expect(res.stdout).toMatch(/│ 1\s+│ ltx2api\s+│ succeeded │ 1\s+│ [-\d]+\s+│ 1\s+│ 20 credits\s+│ 20 credits/);
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
