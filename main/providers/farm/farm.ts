/**
 * The render farm as a provider (id `farm`): LTX-2 on many GPU machines through Temporal. Each
 * take is one `RenderTake` workflow (resources/runner/ltx_runner/farm_workflow.py) that any
 * `ltx-batch farm worker` picks up over its own outbound connection; the request is the local
 * runner's (same engine, same rounding and exact frame counts), media travels through shared
 * storage (./storage.ts), and the result comes back through the queue's usual checks into clips/.
 *
 * No "may have been submitted twice" window: a take's workflow id is
 * `ltx-batch-<project uuid>-job-<job id>-attempt-<n>`, started with the id-reuse policy that refuses
 * a duplicate, and a submit first looks for the job's earlier attempts still running or finished.
 * A resubmit after a crash (even after the workflow finished) collects the existing workflow
 * instead of rendering again, for as long as the namespace keeps its history (retention).
 *
 * Configured by LTX_FARM_ADDRESS (HOST:PORT), LTX_FARM_NAMESPACE (default `default`),
 * LTX_FARM_TASK_QUEUE (default `ltx-batch`), LTX_FARM_STORAGE (a shared folder or s3://bucket/prefix),
 * LTX_FARM_USD_PER_GPU_HOUR (optional) and LTX_FARM_HEARTBEAT_S (default 20: a worker silent this
 * long is taken for dead and its shot goes to another worker).
 */
import path from 'node:path';
import { appHome } from '../../settings/home';
import type { Shot } from '../../storyboard/shot';
import type { Capabilities, CostEstimate, PollResult, Provider, ProviderContext, ProviderRequest, ResultRef, SubmitResult, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import { DEFAULT_CAPS, runnerJobBody } from '../local/local';
import { ASSUMED_SECONDS_PER_STEP, DEFAULT_STEPS, gpuSecondsFor, readSpeed, recordSpeed } from './prices';
import { storageFrom, type FarmStorage, type StorageRef } from './storage';
import { TemporalGateway, WORKFLOW_TYPE, type FarmAddress, type FarmGateway, type FarmTaskState } from './temporal';

/** The farm's settings as read from the environment. */
export interface FarmConfig extends FarmAddress {
  /** LTX_FARM_ADDRESS was set. */
  configured: boolean;
  storageSpec?: string;
  /** USD per GPU-hour; undefined: the farm's time is not priced. */
  usdPerGpuHour?: number;
  /** Seconds without a heartbeat before a worker is taken for dead. */
  heartbeatS: number;
  /** Takes submitted to the farm at once (the workers pull one each; the rest wait in Temporal's queue). */
  inFlight: number;
}

/** Reads LTX_FARM_* (see the file's comment). Throws on a malformed number, naming the variable. */
export function farmConfig(env: NodeJS.ProcessEnv = process.env): FarmConfig {
  const num = (name: string, fallback?: number): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number >= 0; got "${v}"`);
    return n;
  };
  return {
    configured: !!env.LTX_FARM_ADDRESS,
    address: env.LTX_FARM_ADDRESS || '127.0.0.1:7233',
    namespace: env.LTX_FARM_NAMESPACE || 'default',
    taskQueue: env.LTX_FARM_TASK_QUEUE || 'ltx-batch',
    storageSpec: env.LTX_FARM_STORAGE || undefined,
    usdPerGpuHour: num('LTX_FARM_USD_PER_GPU_HOUR'),
    heartbeatS: num('LTX_FARM_HEARTBEAT_S', 20)!,
    inFlight: Math.max(1, Math.floor(num('LTX_FARM_IN_FLIGHT', 100)!)),
  };
}

/** The workflow id of a job's attempt: unique across projects (job ids restart at 1 in every project). */
export function workflowIdOf(project: string, jobId: number, attempt: number): string {
  return `ltx-batch-${project}-job-${jobId}-attempt-${attempt}`;
}

/** The local runner's engine on every worker; edits (retake, extend) are not sent to the farm yet. */
const CAPS: Capabilities = { ...DEFAULT_CAPS, duration: { min: 0.5, max: 20, integerOnly: false }, edits: undefined };

/** The LTX_FARM_* variables Settings may set (where the environment sets none). */
export const FARM_SETTINGS = ['LTX_FARM_ADDRESS', 'LTX_FARM_NAMESPACE', 'LTX_FARM_TASK_QUEUE', 'LTX_FARM_STORAGE', 'LTX_FARM_USD_PER_GPU_HOUR'] as const;
/** A Settings value per variable name. */
export type FarmSettings = Partial<Record<(typeof FARM_SETTINGS)[number], string>>;

/** The `farm` provider with the pieces tests, Settings and `ltx-batch farm status` reach. */
export interface FarmProvider extends Provider {
  /** The configuration in force (environment over Settings). */
  readonly config: FarmConfig;
  readonly gateway: FarmGateway;
  /** Which LTX_FARM_* variables the environment sets (Settings cannot change those). */
  readonly fromEnv: string[];
  /** The farm's measured seconds per step, or null before its first finished shot. */
  measuredSecondsPerStep(): number | null;
  /** Applies the values saved in Settings (the environment's own values win); reconnects when the address changes. */
  configure(saved: FarmSettings): Promise<void>;
}

/** Maps an error of the Temporal client to the queue's terms (unreachable server: retried with backoff). */
function farmError(e: unknown, cfg: FarmConfig): ProviderError {
  if (e instanceof ProviderError) return e;
  const msg = (e as Error)?.message ?? String(e);
  return new ProviderError('retryable', `the farm's Temporal server at ${cfg.address} did not answer (${msg.slice(0, 300)})`);
}

/**
 * Creates the provider. `deps` swaps the Temporal gateway or storage (tests); `speedFile` is where
 * the measured seconds per step are kept (default: farm-speed.json in the data folder).
 */
export function createFarmProvider(env: NodeJS.ProcessEnv = process.env, deps: { gateway?: FarmGateway; storage?: FarmStorage | null; speedFile?: string } = {}): FarmProvider {
  const fromEnv = FARM_SETTINGS.filter((k) => env[k]);
  let cfg!: FarmConfig;
  let cfgError: string | null = null;
  let storage: FarmStorage | null = null;
  let gateway!: FarmGateway;
  const apply = (saved: FarmSettings) => {
    const merged: NodeJS.ProcessEnv = { ...env };
    for (const k of FARM_SETTINGS) if (!env[k] && saved[k]) merged[k] = saved[k];
    cfgError = null;
    try {
      cfg = farmConfig(merged);
    } catch (e) {
      cfgError = (e as Error).message;
      cfg = farmConfig({});
    }
    storage = null;
    try {
      storage = deps.storage !== undefined ? deps.storage : storageFrom(cfg.storageSpec, merged);
    } catch (e) {
      cfgError ??= (e as Error).message;
    }
    gateway = deps.gateway ?? new TemporalGateway(cfg);
  };
  apply({});
  const speedFile = deps.speedFile ?? path.join(appHome(env), 'farm-speed.json');
  const envSps = Number(env.LTX_FARM_SECONDS_PER_STEP);

  const speed = (): { sps: number; measured: boolean } => {
    if (envSps > 0) return { sps: envSps, measured: true };
    const m = readSpeed(speedFile);
    return m ? { sps: m.secondsPerStep, measured: true } : { sps: ASSUMED_SECONDS_PER_STEP, measured: false };
  };

  const usdOf = (gpuS: number) => (cfg.usdPerGpuHour === undefined ? 0 : (gpuS * cfg.usdPerGpuHour) / 3600);

  /** A media cell as the worker reaches it: a file copied into storage, or an https URL as is. */
  const mediaRef = async (value: unknown, signal: AbortSignal): Promise<StorageRef | undefined> => {
    if (typeof value !== 'string' || !value) return undefined;
    if (/^https?:\/\//i.test(value)) return { kind: 'url', url: value, ext: path.extname(new URL(value).pathname).toLowerCase() };
    return storage!.putInput(value, signal);
  };

  const provider: FarmProvider = {
    id: 'farm',
    label: 'Render farm',
    kind: 'remote',
    doc: 'README.md, "Render farm"',
    idempotentSubmit: true,
    keyless: true,
    get config() {
      return cfg;
    },
    get gateway() {
      return gateway;
    },
    fromEnv,
    measuredSecondsPerStep: () => (envSps > 0 ? envSps : (readSpeed(speedFile)?.secondsPerStep ?? null)),
    async configure(saved: FarmSettings) {
      const old = gateway;
      apply(saved);
      if (old !== gateway) await old.close().catch(() => {});
    },
    capabilities: () => CAPS,
    limits: () => ({ concurrency: cfg.inFlight, requestsPerMinute: null }),
    availability() {
      if (cfgError) return { ok: false, reason: cfgError };
      if (!cfg.configured) return { ok: false, reason: 'no render farm is set up: set LTX_FARM_ADDRESS to the Temporal server (HOST:PORT) and start "ltx-batch farm worker" on each GPU machine' };
      if (!storage) return { ok: false, reason: 'the farm has no shared storage: set LTX_FARM_STORAGE to a folder every worker mounts (and pass it to each worker as --storage) or to s3://bucket/prefix' };
      return { ok: true };
    },
    validate(shot: Shot): ValidationResult {
      const issues = [];
      if (!CAPS.modes.includes(shot.mode)) issues.push({ column: 'mode', message: `the farm's workers do ${CAPS.modes.join(' and ')}; got ${shot.mode}` });
      if (shot.duration < CAPS.duration.min || shot.duration > CAPS.duration.max) issues.push({ column: 'duration', message: `the farm's workers render ${CAPS.duration.min}-${CAPS.duration.max} s; got ${shot.duration} s` });
      if (shot.fps < 8 || shot.fps > 50) issues.push({ column: 'fps', message: `the farm's workers render 8-50 fps; got ${shot.fps}` });
      if (shot.resolution.width > 2048 || shot.resolution.height > 2048) issues.push({ column: 'resolution', message: `the farm's workers render up to 2048 pixels a side; got ${shot.resolution.width}x${shot.resolution.height}` });
      if (shot.mode === 'image-to-video' && !shot.image) issues.push({ column: 'image', message: 'image-to-video needs a start image (a file next to the storyboard or an https URL)' });
      if (issues.length) return { ok: false, issues };
      const notes: string[] = [];
      if (shot.resolution.width % 32 || shot.resolution.height % 32) notes.push(`LTX-2 needs sizes in multiples of 32; the worker rounds ${shot.resolution.width}x${shot.resolution.height}`);
      if (shot.loras.length) notes.push('LoRAs are not applied by farm workers yet');
      const media = (m: Shot['image']) => (m ? (m.kind === 'file' ? m.path : m.url) : undefined);
      return {
        ok: true,
        request: {
          route: `workflow ${WORKFLOW_TYPE} on task queue ${cfg.taskQueue}`,
          body: runnerJobBody(shot, { image: shot.mode === 'image-to-video' ? media(shot.image) : undefined, endImage: media(shot.endImage) }),
          notes,
        },
      };
    },
    estimate(shot: Shot): CostEstimate {
      const { sps, measured } = speed();
      const gpu = gpuSecondsFor(shot.duration, sps);
      const how = `${DEFAULT_STEPS} steps x ${sps.toFixed(2)} s/step (${measured ? 'measured on your farm' : 'assumed until the farm has finished a shot'})`;
      const usd = usdOf(gpu);
      const basis = cfg.usdPerGpuHour === undefined ? `about ${Math.round(gpu)} GPU seconds, ${how}; not priced (set LTX_FARM_USD_PER_GPU_HOUR for rented GPUs)` : `about ${Math.round(gpu)} GPU seconds at $${cfg.usdPerGpuHour}/GPU-hour, ${how}`;
      return { unit: 'USD', min: usd, max: usd, usdPerUnit: 1, basis };
    },
    describePrices: () => [
      `GPU time: ${DEFAULT_STEPS} steps x seconds per step x max(1, duration / 5 s); now ${speed().sps.toFixed(2)} s/step (${speed().measured ? 'measured on your farm' : 'assumed'})`,
      cfg.usdPerGpuHour === undefined ? 'USD: not priced (LTX_FARM_USD_PER_GPU_HOUR unset: your own GPUs)' : `USD: $${cfg.usdPerGpuHour} per GPU-hour (LTX_FARM_USD_PER_GPU_HOUR)`,
    ],
    sources: () => ({ prices: 'measured on your farm (farm-speed.json in the data folder) and LTX_FARM_USD_PER_GPU_HOUR', pricesRead: new Date().toISOString().slice(0, 10), assumed: speed().measured ? [] : [`${ASSUMED_SECONDS_PER_STEP} s per denoising step until the farm has finished a shot`] }),

    async submit(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult> {
      const avail = provider.availability();
      if (!avail.ok) throw new ProviderError('setup', avail.reason);
      const job = ctx.job ?? { project: 'adhoc', id: Date.now(), attempt: 1 };
      const id = workflowIdOf(job.project, job.id, job.attempt);
      try {
        // An earlier attempt still on its way or finished is this take: collect it, never render twice.
        for (let k = job.attempt - 1; k >= 1; k--) {
          const earlier = workflowIdOf(job.project, job.id, k);
          const s = await gateway.describe(earlier);
          if (s.status === 'waiting' || s.status === 'running' || s.status === 'completed') {
            ctx.log(`attempt ${k}'s workflow ${earlier} is ${s.status}: collecting it instead of starting attempt ${job.attempt}`);
            return { taskId: earlier, firstPollMs: 500 };
          }
        }
        const body = { ...request.body };
        const inputs: Record<string, StorageRef> = {};
        for (const field of ['image_path', 'end_image_path']) {
          const ref = await mediaRef(body[field], ctx.signal);
          delete body[field];
          if (ref) inputs[field] = ref;
        }
        const { started } = await gateway.start(id, { request: body, inputs, output: await storage!.outputRef(id), heartbeat_s: cfg.heartbeatS });
        if (!started) ctx.log(`workflow ${id} already exists: collecting it (not started again)`);
        return { taskId: id, firstPollMs: 1000 };
      } catch (e) {
        throw farmError(e, cfg);
      }
    },

    async poll(taskId: string): Promise<PollResult> {
      let s: FarmTaskState;
      try {
        s = await gateway.describe(taskId);
      } catch (e) {
        throw farmError(e, cfg);
      }
      switch (s.status) {
        case 'waiting':
          return { status: 'pending', nextPollMs: 2000 };
        case 'running':
          return { status: 'running', progress: s.steps ? s.step / s.steps : undefined, nextPollMs: 1000 };
        case 'completed': {
          const r = s.result;
          if (r.seconds_per_step && !(envSps > 0)) recordSpeed(speedFile, r.seconds_per_step);
          const gpu = r.gpu_seconds ?? 0;
          return { status: 'succeeded', result: { kind: 'task' }, serviceMs: s.closedMs - s.startedMs, ...(cfg.usdPerGpuHour !== undefined ? { actual: { unit: 'USD' as const, amount: usdOf(gpu) } } : {}) };
        }
        case 'not-found':
          return { status: 'failed', message: `the farm has no workflow ${taskId} (Temporal keeps a finished workflow for the namespace's retention period)` };
        default:
          return { status: 'failed', code: s.status, message: s.message };
      }
    },

    async download(taskId: string, _result: ResultRef, dest: string, ctx: ProviderContext): Promise<void> {
      try {
        await storage!.fetchResult(taskId, dest, ctx.signal);
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        throw new ProviderError('retryable', `the clip of ${taskId} could not be read from the farm's storage ${storage!.label} (${(e as Error).message})`);
      }
    },

    async cancel(taskId: string): Promise<void> {
      await gateway.cancel(taskId).catch((e) => {
        throw farmError(e, cfg);
      });
    },

    async close() {
      await gateway.close();
    },
  };
  return provider;
}
