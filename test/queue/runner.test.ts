import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { ProviderError } from '../../main/providers/provider';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { FLAGGED_HOLD, ProjectStore, StaleJobError } from '../../main/queue/store';
import { QueueRunner, type QueueRunnerOptions } from '../../main/queue/runner';
import { renderBudgetGuard } from '../../main/pricing/render-budget';
import { fakeRemote } from '../helpers/fake-remote';
import { tmpDir, withFiles } from '../helpers/tmp';

async function project(rows: number, provider: string, registry: ProviderRegistry, dir = tmpDir()) {
  const csv = ['shot,prompt,duration,resolution', ...Array.from({ length: rows }, (_, i) => `${i + 1},shot number ${i + 1},0.4,64x36`)].join('\n');
  const sbDir = withFiles({ 'sb.csv': csv });
  const sb = await importStoryboard(path.join(sbDir, 'sb.csv'));
  const plan = planStoryboard(sb.shots, registry, { provider });
  expect(plan.issues).toEqual([]);
  const store = new ProjectStore(dir);
  const sync = store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), (rel) => fs.existsSync(path.join(dir, rel)));
  return { store, dir, sync, sb, plan };
}

const fast: Partial<QueueRunnerOptions> = { backoff: { baseMs: 5, maxMs: 20 }, pollIntervalMs: 5 };

describe('job states', () => {
  it('refuses moves the state machine does not allow and moves made from a stale state', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const { store } = await project(1, 'preview', reg);
    const [job] = store.jobs();
    expect(() => store.transition(job.id, 'queued', 'succeeded')).toThrow(/not a valid move/);
    store.transition(job.id, 'queued', 'submitting');
    expect(() => store.transition(job.id, 'queued', 'submitting')).toThrow(StaleJobError);
    store.transition(job.id, 'submitting', 'failed', { error: 'boom' });
    expect(() => store.transition(job.id, 'failed', 'queued')).toThrow(/not a valid move/);
    expect(store.events(job.id).map((e) => e.to)).toEqual(['queued', 'submitting', 'failed']);
    store.close();
  });

  it('re-syncing keeps finished shots, re-queues failed ones as a new take, and takes a changed shot again', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const { store, dir, sb, plan } = await project(3, 'preview', reg);
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast }).run();
    expect(summary.succeeded).toBe(3);
    const [, second] = store.latestJobs();
    // Pretend shot 2's clip was lost and shot 3 failed: the next sync renders them again.
    fs.rmSync(path.join(dir, second.output!));
    const planned = plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! }));
    planned[0] = { ...planned[0], shot: { ...planned[0].shot, prompt: 'a changed prompt' } };
    const sync = store.syncStoryboard(sb.file, sb.hash, planned, (rel) => fs.existsSync(path.join(dir, rel)));
    expect(sync).toEqual({ queued: 2, kept: 1, resumed: 0, removed: 0 });
    expect(store.latestJobs().map((j) => [j.shotKey, j.take, j.state])).toEqual([['1', 2, 'queued'], ['2', 2, 'queued'], ['3', 1, 'succeeded']]);
    store.close();
  });
});

describe('queue runner', () => {
  it('renders every shot with the preview provider and records each clip', async () => {
    const reg = new ProviderRegistry([createPreviewProvider()]);
    const { store, dir } = await project(4, 'preview', reg);
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast }).run();
    expect(summary).toMatchObject({ succeeded: 4, failed: 0 });
    for (const j of store.latestJobs()) expect(fs.statSync(path.join(dir, j.output!)).size).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'tmp'))).toBe(false);
    store.close();
  });

  it('never runs more jobs of a provider at once than its concurrency', async () => {
    const fake = fakeRemote('fake', { concurrency: 2 });
    const reg = new ProviderRegistry([fake]);
    const { store, dir } = await project(6, 'fake', reg);
    let max = 0;
    const runner = new QueueRunner(store, reg, {
      outDir: dir,
      ...fast,
      onEvent: () => {
        const inFlight = store.jobsIn(['submitting', 'running', 'downloading']).length;
        max = Math.max(max, inFlight);
      },
    });
    expect((await runner.run()).succeeded).toBe(6);
    expect(max).toBeLessThanOrEqual(2);
    expect([...fake.submissions.values()]).toEqual([1, 1, 1, 1, 1, 1]);
    store.close();
  });

  it('retries a 429/5xx with backoff, fails a rejected request with the service message, and the rest go on', async () => {
    const fake = fakeRemote();
    fake.submitScript.push(new ProviderError('retryable', 'HTTP 503', { status: 503, retryAfterMs: 10 }), new ProviderError('invalid', 'prompt violates policy'));
    fake.pollScript.push(new ProviderError('retryable', 'connection reset'));
    const reg = new ProviderRegistry([fake]);
    const { store, dir } = await project(3, 'fake', reg);
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast, concurrency: 1 }).run();
    expect(summary).toMatchObject({ succeeded: 2, failed: 1 });
    const failed = store.latestJobs().find((j) => j.state === 'failed')!;
    expect(failed.error).toBe('prompt violates policy');
    const saw = (text: string) => store.latestJobs().filter((j) => store.events(j.id).some((e) => e.message?.includes(text)));
    expect(saw('retrying in 0 s: HTTP 503')).toHaveLength(1);
    const pollRetried = saw('connection reset');
    expect(pollRetried).toHaveLength(1);
    expect(pollRetried[0].state).toBe('succeeded');
    expect([...fake.submissions.values()].reduce((a, b) => a + b, 0)).toBe(2);
    store.close();
  });

  it('gives up after the attempt limit with the last error', async () => {
    const fake = fakeRemote();
    for (let i = 0; i < 10; i++) fake.submitScript.push(new ProviderError('retryable', 'HTTP 502', { status: 502 }));
    const reg = new ProviderRegistry([fake]);
    const { store, dir } = await project(1, 'fake', reg);
    await new QueueRunner(store, reg, { outDir: dir, ...fast }).run();
    const [job] = store.latestJobs();
    expect(job.state).toBe('failed');
    expect(job.error).toBe('gave up after 6 attempts: HTTP 502');
    store.close();
  });

  it('pauses only the provider whose key is rejected; queued jobs stay queued and other providers go on', async () => {
    const bad = fakeRemote('bad', { concurrency: 1 });
    bad.submitScript.push(new ProviderError('auth', '401 Unauthorized'));
    const good = fakeRemote('good');
    const reg = new ProviderRegistry([bad, good]);
    const dir = tmpDir();
    const csv = ['shot,prompt,duration,resolution,provider', '1,a,0.4,64x36,bad', '2,b,0.4,64x36,bad', '3,c,0.4,64x36,good', '4,d,0.4,64x36,good'].join('\n');
    const sb = await importStoryboard(path.join(withFiles({ 's.csv': csv }), 's.csv'));
    const plan = planStoryboard(sb.shots, reg);
    const store = new ProjectStore(dir);
    store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast }).run();
    expect(summary.succeeded).toBe(2);
    expect(summary.waiting).toEqual({ 'paused: key rejected': 2 });
    expect(store.pausedProviders().get('bad')).toContain('key rejected');
    expect(store.latestJobs().filter((j) => j.provider === 'bad').map((j) => j.state)).toEqual(['queued', 'queued']);
    // Resuming the provider finishes them.
    store.resumeProvider('bad');
    expect((await new QueueRunner(store, reg, { outDir: dir, ...fast }).run()).succeeded).toBe(4);
    store.close();
  });

  it('after a restart mid-poll, polls the stored task instead of submitting again', async () => {
    const fake = fakeRemote();
    const reg = new ProviderRegistry([fake]);
    const { store, dir } = await project(1, 'fake', reg);
    const [job] = store.jobs();
    // What a process killed after storing the task id leaves behind:
    store.transition(job.id, 'queued', 'submitting', { attempts: 1, submit_sent_at: Date.now() });
    store.transition(job.id, 'submitting', 'running', { remote_task_id: 'task-from-before', submitted_at: Date.now() });
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast }).run();
    expect(summary.succeeded).toBe(1);
    expect(fake.submissions.size).toBe(0);
    expect(fake.polls).toBe(1);
    expect(store.latestJobs()[0].maybeDuplicate).toBe(false);
    store.close();
  });

  it('flags a job whose process died between sending a submit and storing its answer', async () => {
    const fake = fakeRemote();
    const reg = new ProviderRegistry([fake]);
    const { store, dir } = await project(2, 'fake', reg);
    const [sent, claimed] = store.jobs();
    store.transition(sent.id, 'queued', 'submitting', { attempts: 1, submit_sent_at: Date.now() });
    store.transition(claimed.id, 'queued', 'submitting', { attempts: 1 });
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast }).run();
    // The flagged job is not submitted again on its own: it waits for the creator.
    expect(summary).toMatchObject({ succeeded: 1, maybeDuplicate: 1, waiting: { [FLAGGED_HOLD]: 1 } });
    expect(store.job(sent.id)!).toMatchObject({ maybeDuplicate: true, state: 'queued', holdReason: FLAGGED_HOLD });
    expect(store.job(claimed.id)!.maybeDuplicate).toBe(false);
    expect(fake.submissions.size).toBe(1);
    // A plain re-run (a re-sync) keeps it held; the creator's go-ahead releases it.
    expect((await new QueueRunner(store, reg, { outDir: dir, ...fast }).run()).succeeded).toBe(1);
    expect(store.releaseFlagged()).toBe(1);
    expect(await new QueueRunner(store, reg, { outDir: dir, ...fast }).run()).toMatchObject({ succeeded: 2, maybeDuplicate: 1 });
    expect(store.job(sent.id)!.maybeDuplicate).toBe(true);
    store.close();
  });

  it('holds the job that would pass the render budget and lets the ones that fit go', async () => {
    const fake = fakeRemote('fake', { usdPerShot: 0.4 });
    const reg = new ProviderRegistry([fake]);
    const { store, dir } = await project(3, 'fake', reg);
    const guard = renderBudgetGuard(store, () => 0.8, () => undefined);
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast, concurrency: 1, guard }).run();
    expect(summary.succeeded).toBe(2);
    expect(Object.keys(summary.waiting)[0]).toMatch(/^over budget: render budget \$0\.80/);
    expect(fake.submissions.size).toBe(2);
    store.close();
  });

  it('retries a download cut off half-way without submitting again, and fails an expired result URL with that message', async () => {
    const fake = fakeRemote();
    fake.downloadScript.push(new ProviderError('retryable', 'download cut off after 1200 of 4800 bytes'), new ProviderError('expired', 'the result URL has expired'));
    const reg = new ProviderRegistry([fake]);
    const { store, dir } = await project(2, 'fake', reg);
    const summary = await new QueueRunner(store, reg, { outDir: dir, ...fast, concurrency: 1 }).run();
    expect(summary).toMatchObject({ succeeded: 1, failed: 1 });
    expect(store.latestJobs().find((j) => j.state === 'failed')!.error).toBe('the result URL has expired');
    expect([...fake.submissions.values()]).toEqual([1, 1]);
    store.close();
  });
});
