/**
 * The real CLI against independent stand-ins of the five services (test/standins/standin.py),
 * written from the services' documentation rather than from our adapters or simulators. Each
 * test starts a stand-in, renders a small text-to-video storyboard through `ltx-batch render`,
 * and checks the film and what the stand-in saw (its request log).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli';
import { ROOT, tmpDir } from '../helpers/tmp';

/**
 * LTX API prices, USD per second of output at 1920x1080 (pricing: https://docs.ltx.video/pricing,
 * now docs.ltx.io/pricing). Best reading of /tmp/research/ltx-api.md section 7: the LTX-2.3 grid could
 * not be read whole. The cells that were read (ltx-2-3-pro 1440p $0.16, ltx-2-3-fast 720p $0.03, copy
 * of 2026-10-07) match the reseller grid it quotes (Runware: fast $0.06/s, pro $0.08/s at 1080p), so
 * that grid is taken. Unsure: fal.ai sells ltx-2.3 fast at $0.04/s at 1080p (pro matches), so
 * PRICE_FAST_1080P should be checked on the pricing page.
 */
const PRICE_FAST_1080P = 0.06;
const PRICE_PRO_1080P = 0.08;

const PYTHON = process.env.PYTHON ?? 'python3';
const STANDIN = path.join(ROOT, 'test', 'standins', 'standin.py');
const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';
const KEY = 'standin-test-key-0123456789';

type ProviderId = 'apiinone' | 'bytecompute' | 'ltx2api' | 'ltx' | 'apixo';

/** One line of the stand-in's request log. */
interface LogEntry {
  method: string;
  path: string;
  status: number;
  auth: boolean;
  auth_ok: boolean;
  kind: 'submit' | 'poll' | 'download' | 'upload' | 'other';
  task_id?: string;
  body?: Record<string, unknown>;
  charge?: number | null;
  unit?: string;
  injected?: boolean;
}

interface Standin {
  url: string;
  log: () => LogEntry[];
  stop: () => void;
}

const running: ChildProcess[] = [];
let clip = '';

beforeAll(() => {
  const dir = tmpDir('standin-clip-');
  clip = path.join(dir, 'clip.mp4');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip]);
});

afterAll(() => {
  for (const p of running) if (p.exitCode === null) p.kill('SIGKILL');
});

/** Starts a stand-in and resolves once it prints its READY line. */
async function startStandin(service: ProviderId, extra: string[] = []): Promise<Standin> {
  const logPath = path.join(tmpDir('standin-log-'), 'requests.jsonl');
  const child = spawn(PYTHON, [STANDIN, '--service', service, '--port', '0', '--key', KEY, '--clip', clip, '--log', logPath, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stand-in ${service} did not start: ${stderr}`)), 10_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^READY (http:\/\/\S+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`stand-in ${service} exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    log: () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEntry) : []),
    stop: () => child.kill('SIGTERM'),
  };
}

/**
 * The path part of the provider's base URL as README.md's provider table gives it (e.g. `/api/v1`
 * for `https://apiin.one/api/v1`), so that `<ID>_BASE_URL` points at the stand-in the same way.
 */
function readmeBasePath(id: ProviderId): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const row = readme.split('\n').find((l) => l.startsWith(`| \`${id}\` |`));
  const m = row && /`(https?:\/\/[^`]+)`/.exec(row);
  if (!m) throw new Error(`README.md names no base URL for ${id}`);
  return new URL(m[1]).pathname.replace(/\/+$/, '');
}

function envFor(id: ProviderId, standin: Standin): Record<string, string> {
  const ID = id.toUpperCase();
  return {
    [`${ID}_API_KEY`]: KEY,
    [`${ID}_BASE_URL`]: standin.url + readmeBasePath(id),
    LTX_BATCH_POLL_SCALE: '0.01',
    LTX_BATCH_HOME: tmpDir('standin-home-'),
  };
}

function writeBoard(rows: string[]): string {
  const dir = tmpDir('standin-board-');
  const file = path.join(dir, 'board.csv');
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** The CLI ended by itself, not by a signal or an uncaught exception. */
function expectClean(res: CliResult): void {
  const output = `exit ${res.code} signal ${res.signal}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`;
  expect(res.signal, output).toBeNull();
  expect(res.stderr, output).not.toMatch(/AssertionError|uncaught/i);
  expect(res.code, output).toBe(0);
}

function expectFilm(out: string): void {
  const film = path.join(out, 'film.mp4');
  expect(fs.existsSync(film)).toBe(true);
  const probe = JSON.parse(execFileSync(FFPROBE, ['-v', 'error', '-show_entries', 'stream=codec_type,width,height', '-of', 'json', film], { encoding: 'utf8' })) as { streams: { codec_type: string }[] };
  expect(probe.streams.some((s) => s.codec_type === 'video')).toBe(true);
}

function promptOf(body: Record<string, unknown> | undefined): unknown {
  const input = body?.input as Record<string, unknown> | undefined;
  return body?.prompt ?? input?.prompt;
}

/** Submits the service accepted (a task was created). */
function acceptedSubmits(log: LogEntry[]): LogEntry[] {
  return log.filter((e) => e.kind === 'submit' && e.status >= 200 && e.status < 300);
}

/** Each task created was paid once and its clip fetched; every submit carried the right key. */
function expectOneSubmitPerShot(log: LogEntry[], shots: number): void {
  const ok = acceptedSubmits(log);
  expect(ok, JSON.stringify(log, null, 1)).toHaveLength(shots);
  expect(new Set(ok.map((e) => promptOf(e.body))).size).toBe(shots);
  for (const e of log.filter((x) => x.kind === 'submit')) expect(e.auth_ok).toBe(true);
  const fetched = new Set(log.filter((e) => e.kind === 'download' && e.status === 200).map((e) => e.task_id));
  for (const e of ok) expect(fetched.has(e.task_id)).toBe(true);
}

async function estimateJson(board: string, id: ProviderId, env: Record<string, string>): Promise<{ totalUsd: number; totals: Record<string, { usdMax: number; credits: number }>; issues: unknown[] }> {
  const res = await runCli(['estimate', board, '--provider', id, '--json'], env);
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  return JSON.parse(res.stdout);
}

function sumCharges(log: LogEntry[]): number {
  return acceptedSubmits(log).reduce((s, e) => s + (e.charge ?? NaN), 0);
}

/** Two text-to-video shots per provider, with durations and resolutions its doc accepts. */
const CASES: { id: ProviderId; rows: string[]; check?: (log: LogEntry[], estimate: Awaited<ReturnType<typeof estimateJson>>) => void }[] = [
  {
    // Doc 000: 480p/720p/1080p, 5-20 s. Its credit formula is not published, so no charge check.
    id: 'apiinone',
    rows: ['shot,prompt,duration,resolution', '1,a lighthouse at dusk,5,720p', '2,waves on black rocks,5,720p'],
  },
  {
    // Doc 001: 4-10 s, WIDTHxHEIGHT; 1280x720 is SD ($0.02/s).
    id: 'bytecompute',
    rows: ['shot,prompt,duration,resolution,fps', '1,a lighthouse at dusk,5,1280x720,25', '2,waves on black rocks,4,1280x720,25'],
    check: (log, est) => {
      // Downloads go through POST /v1/jobs/{id}/download.
      const downloads = log.filter((e) => e.kind === 'download' && e.status === 200);
      expect(downloads.length).toBeGreaterThanOrEqual(2);
      for (const d of downloads) expect(d.method + ' ' + d.path).toMatch(/^POST \/v1\/jobs\/[^/]+\/download$/);
      expect(est.totalUsd).toBeCloseTo(sumCharges(log), 6); // 9 s x $0.02
    },
  },
  {
    // Doc 002: 480p/720p/1080p, 5-20 s whole seconds.
    id: 'ltx2api',
    rows: ['shot,prompt,duration,resolution', '1,a lighthouse at dusk,5,720p', '2,waves on black rocks,10,1080p'],
    check: (log, est) => {
      // The status endpoint needs no key, and README says none is sent there.
      const polls = log.filter((e) => e.kind === 'poll');
      expect(polls.length).toBeGreaterThan(0);
      for (const p of polls) expect(p.auth).toBe(false);
      expect(est.totals.ltx2api.credits).toBeCloseTo(sumCharges(log), 6); // 24 + 44 credits
    },
  },
  {
    // Doc 004: 480p/720p/1080p, 5-20 s.
    id: 'apixo',
    rows: ['shot,prompt,duration,resolution', '1,a lighthouse at dusk,5,480p', '2,waves on black rocks,5,720p'],
    check: (log, est) => {
      expect(est.totalUsd).toBeCloseTo(sumCharges(log), 6); // 5 x 0.012 + 5 x 0.016
    },
  },
  {
    // The public LTX API: ltx-2-3-fast and ltx-2-3-pro, 1920x1080, 6 s.
    id: 'ltx',
    rows: ['shot,prompt,duration,resolution,model', '1,a lighthouse at dusk,6,1080p,ltx-2-3-fast', '2,waves on black rocks,6,1080p,ltx-2-3-pro'],
    check: (log, est) => {
      expect(est.totalUsd).toBeCloseTo(6 * (PRICE_FAST_1080P + PRICE_PRO_1080P), 6);
      expect(sumCharges(log)).toBeCloseTo(6 * (PRICE_FAST_1080P + PRICE_PRO_1080P), 6);
    },
  },
];

describe('ltx-batch render against the documentation stand-ins', () => {
  for (const c of CASES) {
    it(`${c.id}: renders a 2-shot storyboard, each shot submitted once`, async () => {
      const standin = await startStandin(c.id);
      try {
        const env = envFor(c.id, standin);
        const board = writeBoard(c.rows);
        const out = tmpDir('standin-out-');
        const res = await runCli(['render', board, '--out', out, '--provider', c.id, '--plain'], env);
        expectClean(res);
        expectFilm(out);
        const log = standin.log();
        expectOneSubmitPerShot(log, 2);
        if (c.check) c.check(log, await estimateJson(board, c.id, env));
      } finally {
        standin.stop();
      }
    });
  }

  for (const c of CASES.filter((x) => x.id !== 'ltx')) {
    it(`${c.id}: a 429 on submit and a 500 on a poll are retried, each shot submitted once`, async () => {
      const standin = await startStandin(c.id, ['--inject', '429:submit:1,500:poll:1']);
      try {
        const out = tmpDir('standin-out-');
        const res = await runCli(['render', writeBoard(c.rows), '--out', out, '--provider', c.id, '--plain'], envFor(c.id, standin));
        expectClean(res);
        expectFilm(out);
        const log = standin.log();
        expectOneSubmitPerShot(log, 2);
        expect(log.filter((e) => e.kind === 'submit' && e.status === 429)).toHaveLength(1);
        expect(log.filter((e) => e.kind === 'poll' && e.status === 500)).toHaveLength(1);
      } finally {
        standin.stop();
      }
    });
  }

  it('ltx: a 429 on submit and a 500 on a poll are retried; 4 shots, each paid once; the estimate is the per-second prices', async () => {
    const standin = await startStandin('ltx', ['--inject', '429:submit:1,500:poll:1']);
    try {
      const env = envFor('ltx', standin);
      const models = ['ltx-2-3-fast', 'ltx-2-3-pro', 'ltx-2-3-fast', 'ltx-2-3-pro'];
      const board = writeBoard(['shot,prompt,duration,resolution,model', ...models.map((m, i) => `${i + 1},shot ${i + 1} of the retry test,6,1080p,${m}`)]);
      const nFast = models.filter((m) => m === 'ltx-2-3-fast').length;
      const nPro = models.length - nFast;
      const est = await estimateJson(board, 'ltx', env);
      expect(est.totalUsd).toBeCloseTo(6 * (PRICE_FAST_1080P * nFast + PRICE_PRO_1080P * nPro), 6);

      const out = tmpDir('standin-out-');
      const res = await runCli(['render', board, '--out', out, '--provider', 'ltx', '--plain'], env);
      expectClean(res);
      expectFilm(out);
      const log = standin.log();
      expectOneSubmitPerShot(log, 4);
      expect(log.filter((e) => e.kind === 'submit' && e.status === 429)).toHaveLength(1);
      expect(log.filter((e) => e.kind === 'poll' && e.status === 500)).toHaveLength(1);
    } finally {
      standin.stop();
    }
  });
});

/** How to drive each stand-in by hand, straight from its doc: used to check the stand-ins themselves. */
const DIRECT: Record<ProviderId, {
  base: string;
  submit: { path: string; body: unknown; status: number };
  taskId: (j: any) => string;
  poll: (id: string) => { method: 'GET' | 'POST'; path: string; auth: boolean };
  /** The way to the clip once the task is done, else undefined. */
  result: (j: any, id: string) => { method: 'GET' | 'POST'; url: string; auth: boolean } | undefined;
  unauthorized: (j: any) => boolean;
  charge: number;
}> = {
  apiinone: {
    base: '/api/v1',
    submit: { path: '/videos/generations', body: { model: 'ltx-2', prompt: 'p', resolution: '720p', aspect_ratio: '16:9', duration: 5 }, status: 200 },
    taskId: (j) => (expect(j).toMatchObject({ code: 200, message: 'success', data: { status: 'IN_PROGRESS' } }), j.data.task_id),
    poll: (id) => ({ method: 'GET', path: `/tasks/${id}`, auth: true }),
    result: (j) => (j.data.status === 'SUCCESS' ? { method: 'GET', url: j.data.response[0], auth: false } : undefined),
    unauthorized: (j) => j.code === 401,
    charge: 24,
  },
  bytecompute: {
    base: '',
    submit: { path: '/v1/text-to-video', body: { model: 'Lightricks/LTX-2', prompt: 'p' }, status: 200 },
    taskId: (j) => j.id,
    poll: (id) => ({ method: 'POST', path: `/v1/jobs/${id}`, auth: true }),
    result: (j, id) => (j.status === 'completed' ? { method: 'POST', url: `/v1/jobs/${id}/download`, auth: true } : undefined),
    unauthorized: (j) => j.type === 'error' && typeof j.error.type === 'string' && typeof j.error.message === 'string',
    charge: 0.1, // 5 s (default) at 1280x704 (default), SD
  },
  ltx2api: {
    base: '',
    submit: { path: '/api/generate', body: { prompt: 'p', resolution: '1080p', aspect_ratio: '16:9', duration: 10 }, status: 200 },
    taskId: (j) => (expect(j.data).toMatchObject({ status: 'IN_PROGRESS', consumed_credits: 44 }), j.data.task_id), // the doc's worked example
    poll: (id) => ({ method: 'GET', path: `/api/status?task_id=${id}`, auth: false }),
    result: (j) => (j.data.status === 'SUCCESS' ? { method: 'GET', url: j.data.response[0], auth: false } : undefined),
    unauthorized: (j) => j.error.code === 'INVALID_API_KEY' && typeof j.request_id === 'string',
    charge: 44,
  },
  ltx: {
    base: '',
    submit: { path: '/v2/text-to-video', body: { prompt: 'p', model: 'ltx-2-3-fast', duration: 6, resolution: '1920x1080' }, status: 202 },
    taskId: (j) => (expect(Object.keys(j).sort()).toEqual(['created_at', 'id']), j.id),
    poll: (id) => ({ method: 'GET', path: `/v2/text-to-video/${id}`, auth: true }),
    result: (j) => (j.status === 'completed' ? { method: 'GET', url: j.result.video_url, auth: false } : undefined),
    unauthorized: (j) => j.type === 'error' && j.error.type === 'authentication_error',
    charge: 6 * PRICE_FAST_1080P,
  },
  apixo: {
    base: '/api/v1',
    submit: { path: '/generateTask/ltx-2-19b', body: { request_type: 'async', input: { mode: 'text-to-video', prompt: 'p', resolution: '720p', duration: 5, aspect_ratio: '16:9' } }, status: 200 },
    taskId: (j) => (expect(j).toMatchObject({ code: 200, message: 'success' }), j.data.taskId),
    poll: (id) => ({ method: 'GET', path: `/statusTask/ltx-2-19b?taskId=${id}`, auth: true }),
    result: (j) => (j.data.state === 'success' ? { method: 'GET', url: JSON.parse(j.data.resultJson).resultUrls[0], auth: false } : undefined),
    unauthorized: (j) => j.code === 401 && typeof j.message === 'string',
    charge: 0.08, // the doc: 5 s 720p base = $0.08
  },
};

describe('the stand-ins themselves (driven straight from the docs)', () => {
  for (const id of Object.keys(DIRECT) as ProviderId[]) {
    it(`${id}: wrong key, an injected 429, submit, poll to done, fetch the clip`, async () => {
      const d = DIRECT[id];
      const standin = await startStandin(id, ['--inject', '429:submit:1', '--render-seconds', '0.2']);
      try {
        const api = standin.url + d.base;
        const post = (url: string, body: unknown, key = KEY) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const bad = await post(api + d.submit.path, d.submit.body, 'wrong');
        expect(bad.status).toBe(401);
        expect(d.unauthorized(await bad.json())).toBe(true);
        const limited = await post(api + d.submit.path, d.submit.body);
        expect(limited.status).toBe(429);
        expect(limited.headers.get('retry-after')).toBe('1');
        const ok = await post(api + d.submit.path, d.submit.body);
        expect(ok.status).toBe(d.submit.status);
        const taskId = d.taskId(await ok.json());
        expect(typeof taskId).toBe('string');
        if (id === 'bytecompute') {
          // The doc: 409 when the download is asked for before the job is complete.
          const early = await fetch(`${standin.url}/v1/jobs/${taskId}/download`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
          expect(early.status).toBe(409);
          expect((await early.json()).type).toBe('error');
        }
        let result: ReturnType<typeof d.result>;
        const statuses: unknown[] = [];
        for (let i = 0; i < 50 && !result; i++) {
          await new Promise((r) => setTimeout(r, 50));
          const p = d.poll(taskId);
          const res = await fetch(api + p.path, { method: p.method, headers: p.auth ? { authorization: `Bearer ${KEY}` } : {} });
          expect(res.status).toBe(200);
          const j = await res.json();
          statuses.push(j);
          result = d.result(j, taskId);
        }
        expect(result, JSON.stringify(statuses)).toBeDefined();
        const url = result!.url.startsWith('http') ? result!.url : standin.url + result!.url;
        const clipRes = await fetch(url, { method: result!.method, headers: result!.auth ? { authorization: `Bearer ${KEY}` } : {} });
        expect(clipRes.status).toBe(200);
        const bytes = Buffer.from(await clipRes.arrayBuffer());
        expect(clipRes.headers.get('content-length')).toBe(String(bytes.length));
        expect(bytes.equals(fs.readFileSync(clip))).toBe(true);
        const log = standin.log();
        expect(acceptedSubmits(log).map((e) => e.charge)).toEqual([expect.closeTo(d.charge, 6)]);
        expect(log.filter((e) => e.kind === 'submit' && e.status === 429 && e.injected)).toHaveLength(1);
      } finally {
        standin.stop();
      }
    });
  }

  it('ltx --ltx-form v1: the synchronous routes answer with the MP4 and x-request-id; v2 is not served', async () => {
    const standin = await startStandin('ltx', ['--ltx-form', 'v1', '--render-seconds', '0.1']);
    try {
      const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
      const body = JSON.stringify({ prompt: 'p', model: 'ltx-2-3-pro', duration: 6, resolution: '1920x1080' });
      const res = await fetch(`${standin.url}/v1/text-to-video`, { method: 'POST', headers, body });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(clip))).toBe(true);
      expect((await fetch(`${standin.url}/v2/text-to-video`, { method: 'POST', headers, body })).status).toBe(404);
      // LTX-2 models were removed on 2026-08-15: an error, in the documented envelope.
      const removed = await fetch(`${standin.url}/v1/text-to-video`, { method: 'POST', headers, body: JSON.stringify({ prompt: 'p', model: 'ltx-2-fast', duration: 6, resolution: '1920x1080' }) });
      expect(removed.status).toBe(400);
      expect(await removed.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(acceptedSubmits(standin.log()).map((e) => e.charge)).toEqual([expect.closeTo(6 * PRICE_PRO_1080P, 6)]);
    } finally {
      standin.stop();
    }
  });
});
