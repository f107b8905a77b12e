/**
 * Shared machinery of the fault-matrix tests: one small batch of shots run through the real
 * QueueRunner (ProjectStore in a tmp dir) against a provider's simulator with one fault injected,
 * and the records needed to prove what happened (per-shot submissions, charges, retry delays).
 *
 * Time: the runner's clock (`store.now`, a documented test hook) is moved forward only when a retry
 * delay is longer than {@link WARP_OVER_MS} (ltx's documented 60 s / 5 min waits), so long waits are
 * asserted from the stored next_run_at instead of being slept through. Shorter delays (a 1 s
 * Retry-After) are really waited.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import type { Provider } from '../../main/providers/provider';
import { ProjectStore } from '../../main/queue/store';
import { QueueRunner, type QueueEvent, type QueueRunnerOptions, type RunSummary } from '../../main/queue/runner';
import type { Job } from '../../main/queue/job';
import { createApiinoneProvider } from '../../main/providers/apiinone/apiinone';
import { createBytecomputeProvider } from '../../main/providers/bytecompute/bytecompute';
import { createLtx2apiProvider } from '../../main/providers/ltx2api/ltx2api';
import { createLtxProvider } from '../../main/providers/ltx/ltx';
import { createApixoProvider } from '../../main/providers/apixo/apixo';
import type { SimulatorBase } from '../simulators/common';

/** What the matrix uses of a simulator (any of the five). */
export type Sim = Pick<SimulatorBase, 'baseUrl' | 'faults' | 'faultsFired' | 'submissions' | 'requests' | 'charges' | 'close' | 'renderMs'>;
import { startApiinoneSimulator } from '../simulators/apiinone';
import { startBytecomputeSimulator } from '../simulators/bytecompute';
import { startLtx2apiSimulator } from '../simulators/ltx2api';
import { startLtxSimulator } from '../simulators/ltx';
import { startApixoSimulator, APIXO_FAIL_CODES } from '../simulators/apixo';
import { tmpDir, withFiles } from '../helpers/tmp';

/** Retry delays longer than this are not slept through: the runner's clock jumps over them. */
export const WARP_OVER_MS = 3_000;
/** Backoff the matrix runs with (the brief's). */
export const BACKOFF = { baseMs: 5, maxMs: 50 };

/** One failure a task can end with, and what the queue must make of it. */
export interface FailCase {
  /** Code pushed into the fault (undefined: the simulator's default). */
  code?: string;
  /** Message pushed into the fault (undefined: the simulator's default). */
  message?: string;
  /** The job's error as the service wrote it. */
  error: string;
  /** The job's error_code. */
  errorCode: string | null;
  /** Retried (a new submission) instead of failing. */
  retryable: boolean;
}

/** What the matrix needs to know about one provider. */
export interface ProviderKit {
  id: 'apiinone' | 'bytecompute' | 'ltx2api' | 'ltx' | 'apixo';
  /** Starts its simulator (tiny renders). */
  start(): Promise<Sim>;
  /** Creates the real provider pointed at the simulator. */
  create(sim: Sim): Provider;
  /** The smallest row the provider renders: storyboard cells. */
  row: { duration: number; resolution: string };
  /** Clip duration the simulator renders for that row, seconds. */
  clipSeconds: number;
  /** The failures its simulator's vocabulary (and its doc) has. */
  failures: FailCase[];
  /** The wait the provider applies when a 429 / 500 comes without Retry-After (ltx's doc), else undefined. */
  defaultWaitMs: { 429?: number; 500?: number };
}

const KEY = (id: string) => `${id}-fault-matrix-key-31337`;
const envFor = (id: string, sim: Sim) => ({
  [`${id.toUpperCase()}_API_KEY`]: KEY(id),
  [`${id.toUpperCase()}_BASE_URL`]: sim.baseUrl,
  LTX_BATCH_POLL_SCALE: '0.001',
});
const simOpts = (id: string) => ({ apiKey: KEY(id), renderMs: 30, shrinkVideos: true });

/** The five cloud providers. */
export const KITS: Record<ProviderKit['id'], ProviderKit> = {
  apiinone: {
    id: 'apiinone',
    start: () => startApiinoneSimulator(simOpts('apiinone')),
    create: (sim) => createApiinoneProvider(envFor('apiinone', sim)),
    row: { duration: 5, resolution: '480p' },
    clipSeconds: 5,
    failures: [
      { error: 'GENERATION_FAILED: Video generation failed', errorCode: 'GENERATION_FAILED', retryable: false },
      { code: 'CONTENT_FILTERED', message: 'Prompt blocked by the content filter (rule 7)', error: 'CONTENT_FILTERED: Prompt blocked by the content filter (rule 7)', errorCode: 'CONTENT_FILTERED', retryable: false },
    ],
    defaultWaitMs: {},
  },
  bytecompute: {
    id: 'bytecompute',
    start: () => startBytecomputeSimulator(simOpts('bytecompute')),
    create: (sim) => createBytecomputeProvider(envFor('bytecompute', sim)),
    // Multiples of 32: the service adjusts nothing.
    row: { duration: 4, resolution: '320x192' },
    clipSeconds: 4,
    failures: [
      { error: 'generation_failed: Internal failure during processing', errorCode: 'generation_failed', retryable: false },
      { code: 'out_of_memory', message: 'CUDA out of memory on worker gpu-7', error: 'out_of_memory: CUDA out of memory on worker gpu-7', errorCode: 'out_of_memory', retryable: false },
    ],
    defaultWaitMs: {},
  },
  ltx2api: {
    id: 'ltx2api',
    start: () => startLtx2apiSimulator(simOpts('ltx2api')),
    create: (sim) => createLtx2apiProvider(envFor('ltx2api', sim)),
    row: { duration: 5, resolution: '480p' },
    clipSeconds: 5,
    // The doc's FAILED status carries only error_message (no code).
    failures: [
      { error: 'Video generation failed, credits have been refunded', errorCode: null, retryable: false },
      { code: 'NSFW', message: 'Generation blocked: unsafe content detected', error: 'Generation blocked: unsafe content detected', errorCode: null, retryable: false },
    ],
    defaultWaitMs: {},
  },
  ltx: {
    id: 'ltx',
    start: async () => {
      // The matrix's batches assume every shot is in flight at once: an account with more than the default 2.
      const sim = await startLtxSimulator({ ...simOpts('ltx'), concurrency: 10 });
      // The matrix sends far more than 100 requests a minute to one simulator across its tests;
      // the per-key rate limit has its own tests (test/providers/ltx.test.ts).
      sim.limits.perMinute = 1_000_000;
      return sim;
    },
    create: (sim) => createLtxProvider({ ...envFor('ltx', sim), LTX_CONCURRENCY: '10' }),
    row: { duration: 6, resolution: '1080p' },
    clipSeconds: 6,
    // A failed job's `error: {type, message}` (Get Job Status), shown as "type: message".
    failures: [
      { error: 'api_error: Video generation failed', errorCode: 'api_error', retryable: false },
      { code: 'content_filtered_error', message: 'Content rejected by safety filters', error: 'content_filtered_error: Content rejected by safety filters', errorCode: 'content_filtered_error', retryable: false },
    ],
    // The public docs: honour Retry-After, else back off (no fixed waits).
    defaultWaitMs: {},
  },
  apixo: {
    id: 'apixo',
    start: () => startApixoSimulator(simOpts('apixo')),
    create: (sim) => createApixoProvider(envFor('apixo', sim)),
    row: { duration: 5, resolution: '480p' },
    clipSeconds: 5,
    failures: APIXO_FAIL_CODES.map((code) => ({
      code,
      message: `failMsg for ${code} as the service wrote it`,
      error: `${code}: failMsg for ${code} as the service wrote it`,
      errorCode: code,
      retryable: code === 'RateLimited' || code === 'Timeout',
    })),
    defaultWaitMs: {},
  },
};

/** A retry the runner scheduled, seen as it was stored. */
export interface RetrySeen {
  jobId: number;
  shotKey: string;
  state: string;
  error: string;
  /** next_run_at minus the time of the retry event: the delay that was stored. */
  gapMs: number;
  /** When the retry was scheduled (runner clock). */
  at: number;
}

/** Options of {@link makeBatch}. */
export interface BatchOptions {
  /** Shots of the kit's provider (default 3). */
  shots?: number;
  /** Extra rows for other providers (rows of 0.4 s at 64x36). */
  others?: { provider: Provider; shots: number }[];
  /** Runner concurrency cap. */
  concurrency?: number;
  /** Output folder (default: a fresh tmp dir; the database always lives in its own tmp dir). */
  outDir?: string;
  /** Called with every queue event (after the kit's own bookkeeping). */
  onEvent?: (e: QueueEvent, store: ProjectStore) => void;
}

let batchNo = 0;

/** A batch on disk, ready to be run (and run again). */
export class Batch {
  readonly retries: RetrySeen[] = [];
  readonly logs: string[] = [];
  readonly paused: { provider: string; reason: string }[] = [];
  private readonly seen = new Set<string>();
  private readonly warp: (ms: number) => void;
  /** ms the runner's clock was moved forward. */
  warpedMs = 0;
  /** Shot key -> prompt (unique per batch, so simulator records can be attributed). */
  readonly prompts = new Map<string, string>();

  constructor(
    readonly kit: ProviderKit,
    readonly sim: Sim,
    readonly provider: Provider,
    readonly store: ProjectStore,
    readonly registry: ProviderRegistry,
    readonly outDir: string,
    readonly opts: BatchOptions,
  ) {
    let offset = 0;
    store.now = () => Date.now() + offset;
    this.warp = (ms: number) => {
      offset += ms;
      this.warpedMs += ms;
    };
  }

  /** Runs the queue until it has nothing more to do now. */
  async run(extra: Partial<QueueRunnerOptions> = {}): Promise<RunSummary> {
    const runner = new QueueRunner(this.store, this.registry, {
      outDir: this.outDir,
      backoff: BACKOFF,
      pollIntervalMs: 5,
      concurrency: this.opts.concurrency,
      ...extra,
      onEvent: (e) => this.onEvent(e),
    });
    return runner.run();
  }

  private onEvent(e: QueueEvent): void {
    if (e.type === 'log') this.logs.push(e.message);
    if (e.type === 'provider-paused') this.paused.push({ provider: e.provider, reason: e.reason });
    if (e.type === 'job') {
      const j = e.job;
      const evs = this.store.events(j.id);
      const last = evs.at(-1);
      const key = `${j.id}:${evs.length}`;
      // One record per scheduled retry (a job is emitted again while it waits, with the same last event).
      if (last?.message && /^retrying in|will submit again/.test(last.message) && !this.seen.has(key)) {
        this.seen.add(key);
        this.retries.push({ jobId: j.id, shotKey: j.shotKey, state: j.state, error: j.error ?? '', gapMs: j.nextRunAt - last.at, at: last.at });
        const ahead = j.nextRunAt - this.store.now();
        if (ahead > WARP_OVER_MS) this.warp(ahead);
      }
    }
    this.opts.onEvent?.(e, this.store);
  }

  /** The latest take of every shot of the kit's provider, in film order. */
  jobs(): Job[] {
    return this.store.latestJobs().filter((j) => j.provider === this.kit.id);
  }

  /** The latest take of every shot of another provider. */
  otherJobs(): Job[] {
    return this.store.latestJobs().filter((j) => j.provider !== this.kit.id);
  }

  /** Event messages of a job. */
  messages(job: Job): string[] {
    return this.store.events(job.id).map((e) => e.message ?? '');
  }

  /** Submissions the simulator accepted, per shot key of this batch. */
  submissions(): Map<string, number> {
    const out = new Map<string, number>([...this.prompts.keys()].map((k) => [k, 0]));
    for (const s of this.sim.submissions) {
      const shot = this.shotOfBody(s.body);
      if (shot) out.set(shot, (out.get(shot) ?? 0) + 1);
    }
    return out;
  }

  /** Task ids the simulator created for a shot. */
  tasksOf(shotKey: string): string[] {
    return this.sim.submissions.filter((s) => this.shotOfBody(s.body) === shotKey).map((s) => s.taskId);
  }

  /** Charges the simulator made for a shot (refunded ones included). */
  chargesOf(shotKey: string) {
    const ids = new Set(this.tasksOf(shotKey));
    return this.sim.charges.filter((c) => ids.has(c.taskId));
  }

  private shotOfBody(body: unknown): string | undefined {
    const b = body as { prompt?: unknown; input?: { prompt?: unknown } };
    const prompt = b?.prompt ?? b?.input?.prompt;
    for (const [k, p] of this.prompts) if (p === prompt) return k;
    return undefined;
  }

  /** Files in DIR/clips (none when the folder does not exist). */
  clipFiles(): string[] {
    const d = path.join(this.outDir, 'clips');
    return fs.existsSync(d) ? fs.readdirSync(d) : [];
  }

  close(): void {
    this.store.close();
  }
}

/** Builds a batch of `shots` rows for the kit's provider (plus rows of other providers) and queues it. */
export async function makeBatch(kit: ProviderKit, sim: Sim, provider: Provider, opts: BatchOptions = {}): Promise<Batch> {
  const n = opts.shots ?? 3;
  const tag = `b${++batchNo}-${process.pid}`;
  const rows: string[] = ['shot,prompt,duration,resolution,provider'];
  const prompts = new Map<string, string>();
  for (let i = 1; i <= n; i++) {
    const prompt = `fault matrix ${tag} shot ${i}`;
    prompts.set(String(i), prompt);
    rows.push(`${i},${prompt},${kit.row.duration},${kit.row.resolution},${kit.id}`);
  }
  let k = n;
  for (const o of opts.others ?? []) for (let i = 0; i < o.shots; i++) rows.push(`${++k},other ${tag} shot ${k},0.4,64x36,${o.provider.id}`);
  const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': rows.join('\n') }), 'sb.csv'));
  const registry = new ProviderRegistry([provider, ...(opts.others ?? []).map((o) => o.provider)]);
  const plan = planStoryboard(sb.shots, registry);
  expect(plan.issues.filter((i) => i.severity === 'error')).toEqual([]);
  const store = new ProjectStore(tmpDir('ltx-fault-db-'));
  const outDir = opts.outDir ?? tmpDir('ltx-fault-out-');
  store.syncStoryboard(sb.file, sb.hash, plan.rows.map((r) => ({ shot: r.shot, provider: r.provider, request: r.request!, estimate: r.estimate! })), () => false);
  const b = new Batch(kit, sim, provider, store, registry, outDir, opts);
  for (const [key, p] of prompts) b.prompts.set(key, p);
  return b;
}

/**
 * The batch outcome every fault must leave for the shots it did not hit: succeeded, a clip on disk,
 * submitted exactly once, no retry. The shots it did hit (`hit`) are checked by the caller.
 */
export function expectOthersUnaffected(b: Batch, hit: string[]): void {
  const subs = b.submissions();
  for (const j of b.jobs()) {
    if (hit.includes(j.shotKey)) continue;
    expect({ shot: j.shotKey, state: j.state, error: j.error }).toEqual({ shot: j.shotKey, state: 'succeeded', error: null });
    expect({ shot: j.shotKey, submissions: subs.get(j.shotKey), attempts: j.attempts }).toEqual({ shot: j.shotKey, submissions: 1, attempts: 1 });
    expect(b.retries.filter((r) => r.jobId === j.id)).toEqual([]);
    expect(fs.statSync(path.join(b.outDir, j.output!)).size).toBeGreaterThan(0);
  }
}

/** The one job whose events match `re` (fails unless exactly one does). */
export function theJobWith(b: Batch, re: RegExp): Job {
  const hits = b.jobs().filter((j) => b.messages(j).some((m) => re.test(m)));
  expect(hits.map((j) => [j.shotKey, b.messages(j)]), `exactly one job should have an event matching ${re}`).toHaveLength(1);
  return hits[0];
}
