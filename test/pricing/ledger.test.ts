import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner } from '../../main/queue/runner';
import { ledgerGuard, monthOf, setBudget, spendSummary, spentUsd } from '../../main/settings/ledger';
import { openSettings } from '../../main/settings/settings-db';
import { fakeRemote, type FakeRemote } from '../helpers/fake-remote';
import { runCli } from '../helpers/cli';
import { tmpDir, withFiles } from '../helpers/tmp';
import { startLtx2apiSimulator, type Ltx2apiSimulator } from '../simulators/ltx2api';

async function batch(fake: FakeRemote, shots: number, settingsHome = tmpDir()) {
  const csv = ['shot,prompt,duration,resolution', ...Array.from({ length: shots }, (_, i) => `${i + 1},shot ${i + 1},0.4,64x36`)].join('\n');
  const sb = await importStoryboard(path.join(withFiles({ 's.csv': csv }), 's.csv'));
  const reg = new ProviderRegistry([fake]);
  const plan = planStoryboard(sb.shots, reg, { provider: fake.id });
  const dir = tmpDir();
  const store = new ProjectStore(dir);
  store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
  const settings = openSettings({ LTX_BATCH_HOME: settingsHome });
  const run = (concurrency = 1) => new QueueRunner(store, reg, { outDir: dir, concurrency, guard: ledgerGuard(settings, dir), backoff: { baseMs: 5, maxMs: 20 }, pollIntervalMs: 5 }).run();
  return { store, settings, run, dir };
}

describe('monthly budgets and the ledger', () => {
  it('at the boundary: the jobs that fit go, the one that would cross it waits with the reason; raising the budget continues it', async () => {
    const fake = fakeRemote('fake', { usdPerShot: 0.1 });
    const { store, settings, run } = await batch(fake, 4);
    setBudget(settings, { scope: 'month', provider: '', usd: 0.3 });
    const summary = await run();
    expect(summary.succeeded).toBe(3);
    expect(summary.waiting).toEqual({ 'over budget: monthly budget $0.30 ($0.30 spent or reserved)': 1 });
    expect(fake.submissions.size).toBe(3);
    expect(spentUsd(settings, monthOf())).toBeCloseTo(0.3);
    setBudget(settings, { scope: 'month', provider: '', usd: 0.4 });
    for (const j of store.latestJobs()) if (j.state === 'queued') store.update(j.id, { hold_reason: null });
    expect((await run()).succeeded).toBe(4);
    expect(spentUsd(settings, monthOf())).toBeCloseTo(0.4);
    store.close();
    settings.close();
  });

  it("a provider's own monthly budget holds only that provider's jobs", async () => {
    const fake = fakeRemote('fake', { usdPerShot: 0.25 });
    const { settings, run, store } = await batch(fake, 3);
    setBudget(settings, { scope: 'provider-month', provider: 'fake', usd: 0.5 });
    setBudget(settings, { scope: 'provider-month', provider: 'other', usd: 0 });
    const summary = await run();
    expect(summary.succeeded).toBe(2);
    expect(Object.keys(summary.waiting)[0]).toMatch(/^over budget: fake monthly budget \$0\.50/);
    store.close();
    settings.close();
  });

  it('an estimate given as a range counts its upper bound until the actual is known', async () => {
    const fake = fakeRemote('fake', { estimate: { min: 0.05, max: 0.2 }, actualUsd: null });
    const { settings, run, store } = await batch(fake, 3);
    setBudget(settings, { scope: 'month', provider: '', usd: 0.35 });
    const summary = await run(3);
    // 0.20 reserved for the first; a second 0.20 would make 0.40 > 0.35.
    expect(summary.succeeded).toBe(1);
    expect(fake.submissions.size).toBe(1);
    store.close();
    settings.close();
  });

  it('when the actual cost comes in lower, the difference returns to the budget', async () => {
    const fake = fakeRemote('fake', { estimate: { min: 0.05, max: 0.2 }, actualUsd: 0.05 });
    const { settings, run, store } = await batch(fake, 3);
    setBudget(settings, { scope: 'month', provider: '', usd: 0.35 });
    expect((await run(1)).succeeded).toBe(3);
    expect(spentUsd(settings, monthOf())).toBeCloseTo(0.15);
    const [line] = spendSummary(settings, monthOf());
    expect(line).toMatchObject({ provider: 'fake', submissions: 3, estimatedUsd: 0.6000000000000001, actualUsd: 0.15000000000000002 });
    store.close();
    settings.close();
  });

  it('a refunded failure returns its money to the budget, so the next shot can go', async () => {
    const fake = fakeRemote('fake', { usdPerShot: 0.1 });
    fake.pollScript.push({ status: 'failed', message: 'generation failed', actual: { unit: 'USD', amount: 0, refunded: true } });
    const { settings, run, store } = await batch(fake, 2);
    setBudget(settings, { scope: 'month', provider: '', usd: 0.1 });
    const summary = await run(1);
    expect(summary).toMatchObject({ succeeded: 1, failed: 1 });
    expect(spentUsd(settings, monthOf())).toBeCloseTo(0.1);
    expect(spendSummary(settings, monthOf())[0]).toMatchObject({ refunded: 1 });
    store.close();
    settings.close();
  });

  it('a submission that never reached the service (rejected with a retryable error) is released, not counted', async () => {
    const fake = fakeRemote('fake', { usdPerShot: 0.1 });
    const { ProviderError } = await import('../../main/providers/provider');
    fake.submitScript.push(new ProviderError('retryable', 'HTTP 503', { status: 503 }), new ProviderError('retryable', 'HTTP 503', { status: 503 }));
    const { settings, run, store } = await batch(fake, 1);
    setBudget(settings, { scope: 'month', provider: '', usd: 0.1 });
    expect((await run()).succeeded).toBe(1);
    expect(spentUsd(settings, monthOf())).toBeCloseTo(0.1);
    store.close();
    settings.close();
  });
});

describe('a crash between the two databases leaks no reservation', () => {
  it('a clip recorded in the project but not yet settled in the ledger (killed in between) is settled by the next run: charged at its actual, no open reservation', async () => {
    const fake = fakeRemote('fake', { estimate: { min: 0.05, max: 0.3 }, actualUsd: 0.1 });
    const { settings, store, dir } = await batch(fake, 2);
    const reg = new ProviderRegistry([fake]);
    const real = ledgerGuard(settings, dir);
    // The process "dies" after each clip is recorded in project.sqlite: the ledger never hears of it.
    const dying: typeof real = { admit: (j) => real.admit(j), settle: (j) => (j.state === 'succeeded' ? undefined : real.settle!(j)) };
    expect((await new QueueRunner(store, reg, { outDir: dir, guard: dying, pollIntervalMs: 5 }).run()).succeeded).toBe(2);
    const line = () => spendSummary(settings, monthOf()).find((l) => l.provider === 'fake')!;
    expect(line().open).toBe(2);
    // The next run (nothing left to render) reconciles the ledger with the project.
    expect((await new QueueRunner(store, reg, { outDir: dir, guard: real, pollIntervalMs: 5 }).run()).succeeded).toBe(2);
    expect(line().open).toBe(0);
    expect(spentUsd(settings, monthOf())).toBeCloseTo(0.2);
    expect(fake.submissions.size).toBe(2);
    store.close();
    settings.close();
  });
});

describe('two processes rendering at once never overspend', () => {
  let sim: Ltx2apiSimulator;
  beforeAll(async () => {
    sim = await startLtx2apiSimulator({ apiKey: 'k-123456789', renderMs: 300 });
  });
  afterAll(() => sim.close());

  it('two CLI renders sharing a monthly budget of $1.00 submit at most $1.00 of $0.20 shots between them', async () => {
    const home = tmpDir();
    const env = { LTX_BATCH_HOME: home, LTX2API_API_KEY: 'k-123456789', LTX2API_BASE_URL: sim.baseUrl, LTX2API_USD_PER_CREDIT: '0.01', LTX_BATCH_POLL_SCALE: '0.01' };
    expect((await runCli(['budget', 'set', '--monthly', '1'], env)).code).toBe(0);
    const rows = (tag: string) => ['shot,prompt,duration,resolution', ...Array.from({ length: 4 }, (_, i) => `${i + 1},${tag} shot ${i + 1},5,480p`)].join('\n');
    const a = withFiles({ 's.csv': rows('A') });
    const b = withFiles({ 's.csv': rows('B') });
    const [ra, rb] = await Promise.all([
      runCli(['render', path.join(a, 's.csv'), '--out', tmpDir(), '--provider', 'ltx2api', '--plain'], env),
      runCli(['render', path.join(b, 's.csv'), '--out', tmpDir(), '--provider', 'ltx2api', '--plain'], env),
    ]);
    expect(sim.submissions.length).toBe(5);
    expect(ra.stdout + rb.stdout).toMatch(/wait for budget/);
    const spend = JSON.parse((await runCli(['spend', '--json'], env)).stdout);
    const total = spend.lines.reduce((s: number, l: { actualUsd: number }) => s + l.actualUsd, 0);
    expect(total).toBeCloseTo(1.0);
    const est = await runCli(['estimate', path.join(a, 's.csv'), '--provider', 'ltx2api'], env);
    expect(est.stdout).toContain('left: monthly budget $1.00');
    expect(est.stdout).toContain('HELD: over budget: monthly budget $1.00');
  });
});
