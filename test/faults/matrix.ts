/**
 * The fault matrix for one cloud provider: a small batch through the real QueueRunner against the
 * provider's simulator, with ONE fault injected per test, checking the outcome of the hit shot and
 * that the rest of the batch is unaffected (succeeded, submitted exactly once).
 * Each provider's file (test/faults/<id>.test.ts) calls {@link defineFaultMatrix}.
 */
import { FLAGGED_HOLD } from '../../main/queue/store';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { probe } from '../../main/media/ffprobe';
import { fakeRemote } from '../helpers/fake-remote';
import { BACKOFF, expectOthersUnaffected, makeBatch, theJobWith, type Batch, type BatchOptions, type ProviderKit, type Sim } from './kit';

/** Declares the whole matrix for `kit`. */
export function defineFaultMatrix(kit: ProviderKit): void {
  describe(`${kit.id}: one fault in a small batch`, () => {
    let sim: Sim;
    const open: Batch[] = [];
    beforeAll(async () => {
      sim = await kit.start();
    });
    afterAll(async () => {
      await sim?.close();
    });
    beforeEach(() => {
      sim.faults.length = 0;
    });
    afterEach(() => {
      vi.restoreAllMocks();
      for (const b of open.splice(0)) b.close();
      // A fault that did not fire would make the test prove nothing.
      expect(sim.faults.splice(0), 'every injected fault fired').toEqual([]);
    });

    // A provider instance per batch, as each render is its own process: one batch's requests do
    // not count against the next one's rate window (that window is per provider instance).
    const batch = async (opts: BatchOptions = {}) => {
      const b = await makeBatch(kit, sim, kit.create(sim), opts);
      open.push(b);
      return b;
    };
    const expectClipComplete = async (b: Batch, shotKey: string) => {
      const j = b.jobs().find((x) => x.shotKey === shotKey)!;
      const info = await probe(path.join(b.outDir, j.output!));
      expect(info.video).toBeDefined();
      expect(Math.abs(info.duration - kit.clipSeconds)).toBeLessThan(0.3);
    };

    describe('429 and 5xx: retried with backoff, then succeeds', () => {
      it('429 with Retry-After: 1 on a submit waits at least 1 s before submitting again', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit', retryAfterS: 1 });
        const summary = await b.run();
        expect(summary).toMatchObject({ succeeded: 3, failed: 0, waiting: {} });
        const job = theJobWith(b, /^retrying in 1 s: HTTP 429/);
        expect(b.retries).toHaveLength(1);
        expect(b.retries[0].gapMs).toBeGreaterThanOrEqual(980); // stored as now + 1000, the event written a few ms after "now"
        // ... and really waited it (no clock jump for a 1 s wait): the next attempt came >= 1 s later.
        const evs = b.store.events(job.id);
        const retryAt = evs.find((e) => e.message?.startsWith('retrying in'))!.at;
        const nextAttempt = evs.find((e) => e.at >= retryAt && e.to === 'submitting' && e.message === 'attempt 2')!;
        expect(nextAttempt.at - retryAt).toBeGreaterThanOrEqual(980);
        expect(b.warpedMs).toBe(0);
        expect(job).toMatchObject({ state: 'succeeded', attempts: 2 });
        // A 429 created no task: the hit shot was submitted (accepted) once, like the others.
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it('a 429 with Retry-After: 1 holds every request to the provider for that second, not only the hit job', async () => {
        // One job at a time: the next shot is claimed at once, and its submit must wait too.
        const b = await batch({ concurrency: 1 });
        const from = sim.requests.length;
        sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit', retryAfterS: 1 });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        // This batch's API requests only (the simulator serves the whole file's tests).
        const api = sim.requests.slice(from).filter((r) => r.authPresent);
        const limited = api.find((r) => r.status === 429)!;
        expect(limited).toBeDefined();
        const during = api.filter((r) => r.at > limited.at + 50 && r.at < limited.at + 950);
        expect(during.map((r) => `${r.method} ${r.path} +${r.at - limited.at} ms`)).toEqual([]);
      });

      it(`429 without Retry-After is retried${kit.defaultWaitMs[429] ? ` after the doc's ${kit.defaultWaitMs[429] / 1000} s` : ' with backoff'}`, async () => {
        const b = await batch();
        sim.faults.push({ kind: 'rate-limit', count: 1, on: 'submit' });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        const job = theJobWith(b, /^retrying in \d+ s: HTTP 429/);
        expect(b.retries.map((r) => r.jobId)).toEqual([job.id]);
        const wait = kit.defaultWaitMs[429];
        if (wait) expect(b.retries[0].gapMs).toBeGreaterThanOrEqual(wait - 50);
        else expect(b.retries[0].gapMs).toBeLessThanOrEqual(BACKOFF.maxMs + 5);
        expect(job).toMatchObject({ state: 'succeeded', attempts: 2 });
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it.each([500, 502, 503, 504])('HTTP %i on a submit is retried and the shot succeeds', async (status) => {
        const b = await batch();
        sim.faults.push({ kind: 'server-error', count: 1, on: 'submit', status });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        const job = theJobWith(b, new RegExp(`^retrying in \\d+ s: HTTP ${status}`));
        expect(job).toMatchObject({ state: 'succeeded', attempts: 2 });
        const wait = kit.defaultWaitMs[status as 500];
        if (wait) expect(b.retries[0].gapMs).toBeGreaterThanOrEqual(wait - 50);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it('HTTP 503 on a status poll: polled again, never submitted again', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'server-error', count: 1, on: 'poll', status: 503 });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        const job = theJobWith(b, /^retrying in \d+ s: HTTP 503/);
        expect(b.retries).toMatchObject([{ jobId: job.id, state: 'running' }]);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expect(job.state).toBe('succeeded');
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it('HTTP 502 on the result download: downloaded again, never submitted again', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'server-error', count: 1, on: 'download', status: 502 });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        const job = theJobWith(b, /^retrying in \d+ s: HTTP 502/);
        expect(b.retries).toMatchObject([{ jobId: job.id, state: 'downloading' }]);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });
    });

    describe('dropped connections', () => {
      it('a submit whose answer is cut off (the task WAS created) is held as "may have been submitted twice", submitted again only when the creator says so', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'drop-connection', count: 1, on: 'submit' });
        expect(await b.run()).toMatchObject({ succeeded: 2, failed: 0, maybeDuplicate: 1, waiting: { [FLAGGED_HOLD]: 1 } });
        const job = theJobWith(b, /may have been submitted twice; held until you resubmit it/);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expect(sim.requests.filter((r) => r.interrupted === 'dropped' && r.kinds.includes('submit'))).toHaveLength(1);
        // The creator resubmits it: the service now has two tasks for the shot, both billed (the
        // first is orphaned, rendered and billed all the same: at submit, or at completion for bytecompute).
        expect(b.store.releaseFlagged()).toBe(1);
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0, maybeDuplicate: 1 });
        expect(b.store.job(job.id)).toMatchObject({ state: 'succeeded', attempts: 2 });
        expect(b.submissions().get(job.shotKey)).toBe(2);
        expect(b.chargesOf(job.shotKey)).toHaveLength(2);
        expect(b.chargesOf(job.shotKey).every((c) => !c.refunded)).toBe(true);
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it('a submit dropped before it was read (no task): ambiguous to us, so held; resubmitted it makes one task', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'drop-connection', count: 1, on: 'submit', atStart: true });
        expect(await b.run()).toMatchObject({ succeeded: 2, failed: 0, maybeDuplicate: 1 });
        const job = theJobWith(b, /may have been submitted twice; held until you resubmit it/);
        expect(b.submissions().get(job.shotKey) ?? 0).toBe(0);
        b.store.releaseFlagged();
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        expect(b.store.job(job.id)).toMatchObject({ state: 'succeeded', attempts: 2 });
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it('a status poll whose answer is cut off: polled again, never submitted again', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'drop-connection', count: 1, on: 'poll' });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        const job = theJobWith(b, /^retrying in \d+ s: network error/);
        expect(b.retries).toMatchObject([{ jobId: job.id, state: 'running' }]);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it('a download cut off half-way: downloaded again (no second submission), the final clip is complete', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'truncate-download', count: 1 });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        const job = theJobWith(b, /^retrying in \d+ s: .*(cut off after \d+ of \d+ bytes|UND_ERR_RES_CONTENT_LENGTH_MISMATCH|network error)/);
        expect(b.retries).toMatchObject([{ jobId: job.id, state: 'downloading' }]);
        expect(sim.requests.filter((r) => r.interrupted === 'truncated')).toHaveLength(1);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        await expectClipComplete(b, job.shotKey);
        expect(fs.existsSync(path.join(b.outDir, 'tmp'))).toBe(false);
        expectOthersUnaffected(b, [job.shotKey]);
      });
    });

    describe('a status poll that hangs', () => {
      it('hangs and then drops: polled again, never submitted again', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'poll-hang', count: 1, hangMs: 150 });
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        const job = theJobWith(b, /^retrying in \d+ s: network error/);
        expect(b.retries).toMatchObject([{ jobId: job.id, state: 'running' }]);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });

      it("hangs past the client's timeout: the poll is abandoned as a timeout and retried", async () => {
        // The client's timeout is 60 s (http.ts send(), no public setting): shorten only that clock
        // (to 1 s, far above what a local answer takes even on a loaded machine), so the real timeout
        // path runs without waiting a minute.
        const timeout = AbortSignal.timeout.bind(AbortSignal);
        vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms: number) => timeout(ms === 60_000 ? 1_000 : ms));
        const b = await batch();
        sim.faults.push({ kind: 'poll-hang', count: 1, hangMs: 20_000 });
        const t0 = Date.now();
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0 });
        expect(Date.now() - t0).toBeLessThan(15_000);
        const job = theJobWith(b, /^retrying in \d+ s: no answer from 127\.0\.0\.1:\d+ within 60 s/);
        expect(b.retries).toMatchObject([{ jobId: job.id, state: 'running' }]);
        expect(b.submissions().get(job.shotKey)).toBe(1);
        expectOthersUnaffected(b, [job.shotKey]);
      });
    });

    describe('a task that fails remotely', () => {
      it.each(kit.failures.map((f) => [f.code ?? '(the simulator default)', f] as const))('%s', async (_name, f) => {
        const b = await batch();
        sim.faults.push({ kind: 'fail-task', count: 1, ...(f.code !== undefined ? { code: f.code } : {}), ...(f.message !== undefined ? { message: f.message } : {}) });
        const summary = await b.run();
        if (f.retryable) {
          expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
          const job = theJobWith(b, /^task failed \(.*\); will submit again$/);
          expect(b.messages(job)).toContain(`task failed (${f.error}); will submit again`);
          expect(job).toMatchObject({ state: 'succeeded', attempts: 2 });
          expect(b.submissions().get(job.shotKey)).toBe(2);
          expectOthersUnaffected(b, [job.shotKey]);
        } else {
          expect(summary).toMatchObject({ succeeded: 2, failed: 1, waiting: {} });
          const job = b.jobs().find((j) => j.state === 'failed')!;
          expect({ error: job.error, errorCode: job.errorCode }).toEqual({ error: f.error, errorCode: f.errorCode });
          expect(b.messages(job).at(-1)).toBe(`task failed: ${f.error}`);
          expect(job.output).toBeNull();
          expect(b.submissions().get(job.shotKey)).toBe(1);
          if (kit.id === 'ltx2api') expect(job).toMatchObject({ actualAmount: 0, refunded: true });
          expectOthersUnaffected(b, [job.shotKey]);
        }
      });
    });

    describe('account problems pause the provider; nothing fails', () => {
      it('401 on a submit: paused "key rejected", its queued jobs stay queued, a second provider goes on', async () => {
        const other = fakeRemote('other');
        const b = await batch({ concurrency: 1, others: [{ provider: other, shots: 2 }] });
        sim.faults.push({ kind: 'unauthorized', count: 1, on: 'submit' });
        const summary = await b.run();
        expect(summary).toMatchObject({ succeeded: 2, failed: 0, waiting: { 'paused: key rejected': 3 } });
        expect(b.paused).toEqual([{ provider: kit.id, reason: 'key rejected' }]);
        expect(b.store.pausedProviders().get(kit.id)).toMatch(/^key rejected: .*401/);
        expect(b.jobs().map((j) => j.state)).toEqual(['queued', 'queued', 'queued']);
        expect(b.otherJobs().map((j) => j.state)).toEqual(['succeeded', 'succeeded']);
        expect([...other.submissions.values()]).toEqual([1, 1]);
        expect([...b.submissions().values()]).toEqual([0, 0, 0]);
        // Resumed (a re-run does this), the paused jobs finish, each submitted once.
        b.store.resumeProvider(kit.id);
        expect(await b.run()).toMatchObject({ succeeded: 5, failed: 0, waiting: {} });
        expectOthersUnaffected(b, b.jobs().filter((j) => j.attempts === 2).map((j) => j.shotKey));
        expect([...b.submissions().values()]).toEqual([1, 1, 1]);
      });

      // ltx2api's status endpoint takes no key (its doc), so a 401 cannot come from a poll there.
      // ltx2api's status endpoint takes no key (its doc), so a revoked key cannot show up on a poll there.
      if (kit.id !== 'ltx2api') it('401 on a status poll (key revoked mid-task): paused, the submitted task is kept and finished after resuming, never submitted again', async () => {
        const b = await batch();
        sim.faults.push({ kind: 'unauthorized', count: 1, on: 'poll' });
        const summary = await b.run();
        expect(summary).toMatchObject({ failed: 0, waiting: { 'paused: key rejected': 1 } });
        const held = b.jobs().filter((j) => j.state !== 'succeeded');
        expect(held).toHaveLength(1);
        expect(held[0]).toMatchObject({ state: 'running', holdReason: 'paused: key rejected' });
        expect(held[0].remoteTaskId).toBeTruthy();
        b.store.resumeProvider(kit.id);
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0, waiting: {} });
        expect([...b.submissions().values()]).toEqual([1, 1, 1]);
      });

      it('insufficient credits after the first shot succeeded: paused "insufficient credits", the rest queued, nothing failed', async () => {
        let pushed = false;
        const b = await batch({
          concurrency: 1,
          onEvent: (e) => {
            // The account runs dry once the first clip is in: every submit from now on is refused.
            if (!pushed && e.type === 'job' && e.job.state === 'succeeded') {
              pushed = true;
              sim.faults.push({ kind: 'insufficient-credits', count: 100, on: 'submit' });
            }
          },
        });
        try {
          const summary = await b.run();
          expect(summary).toMatchObject({ succeeded: 1, failed: 0, waiting: { 'paused: insufficient credits': 2 } });
          expect(b.paused).toEqual([{ provider: kit.id, reason: 'insufficient credits' }]);
          expect(b.jobs().map((j) => j.state)).toEqual(['succeeded', 'queued', 'queued']);
          expect(sim.faults[0].count).toBe(99);
          // Topped up and resumed: the rest finish, each submitted once.
          sim.faults.length = 0;
          b.store.resumeProvider(kit.id);
          expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0, waiting: {} });
          expect([...b.submissions().values()]).toEqual([1, 1, 1]);
        } finally {
          sim.faults.length = 0;
        }
      });
    });

    it('an expired result URL fails that shot saying it expired; the others succeed', async () => {
      const b = await batch();
      sim.faults.push({ kind: 'expired-url', count: 1 });
      expect(await b.run()).toMatchObject({ succeeded: 2, failed: 1, waiting: {} });
      const job = b.jobs().find((j) => j.state === 'failed')!;
      expect(job.error).toMatch(/expired/i);
      expect(job.output).toBeNull();
      expect(b.submissions().get(job.shotKey)).toBe(1);
      expectOthersUnaffected(b, [job.shotKey]);
    });

    describe('a disk that fills up while downloading', () => {
      let mnt: string | undefined;
      let mountError: string | undefined;
      beforeAll(() => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ltx-fault-tmpfs-${kit.id}-`));
        try {
          execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
          mnt = dir;
        } catch (e) {
          mountError = String((e as { stderr?: Buffer }).stderr ?? e);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
      afterAll(() => {
        if (!mnt) return;
        execFileSync('umount', [mnt]);
        fs.rmSync(mnt, { recursive: true, force: true });
      });

      it('stops the batch with "no space left", leaves the job to resume (not failed), nothing half-written in clips/', async () => {
        expect(mnt, `mounting a tmpfs failed (run as root): ${mountError}`).toBeDefined();
        const out = path.join(mnt!, 'out');
        fs.mkdirSync(out);
        // A 4 MiB tmpfs (room for the three clips once freed) with all but 8 KiB taken: less than any clip.
        const st = fs.statfsSync(mnt!);
        const filler = path.join(mnt!, 'filler');
        fs.writeFileSync(filler, Buffer.alloc(Math.max(0, st.bavail * st.bsize - 8 * 1024)));
        const b = await batch({ outDir: out });
        const summary = await b.run();
        expect(summary.stoppedBecause).toMatch(/no space left/);
        expect(summary.failed).toBe(0);
        expect(b.jobs().filter((j) => j.state === 'failed')).toEqual([]);
        const stuck = b.jobs().filter((j) => j.holdReason === 'paused: disk full');
        expect(stuck).toHaveLength(1);
        expect(stuck[0]).toMatchObject({ state: 'downloading', output: null });
        expect(stuck[0].error).toMatch(/no space left/);
        expect(b.clipFiles()).toEqual([]);
        expect(fs.readdirSync(out).filter((f) => f !== 'clips')).toEqual([]);
        expect([...b.submissions().values()]).toEqual([1, 1, 1]);
        // Space freed and the provider resumed: the same tasks are downloaded, none submitted again.
        fs.rmSync(filler);
        b.store.resumeProvider(kit.id);
        expect(await b.run()).toMatchObject({ succeeded: 3, failed: 0, waiting: {} });
        expect(b.clipFiles()).toHaveLength(3);
        expect([...b.submissions().values()]).toEqual([1, 1, 1]);
        for (const j of b.jobs()) await expectClipComplete(b, j.shotKey);
        // Free the tmpfs for the unmount.
        fs.rmSync(out, { recursive: true, force: true });
      });
    });
  });
}

