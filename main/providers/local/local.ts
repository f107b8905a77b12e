/**
 * The local GPU runner as a provider (id `local`): LTX-2 on the creator's own GPU through the
 * bundled runner (resources/runner, its HTTP API in resources/runner/README.md). Free in USD; the
 * estimate shows expected GPU time once the runner has measured a few steps, and the actual GPU
 * seconds are recorded. One job at a time per runner (per GPU).
 */
import { openRequest, readBody, saveBody } from '../../net/http';
import type { Capabilities, CostEstimate, EditResult, EditSource, Provider, TakeEdit, ProviderContext, ProviderRequest, RenderProgress, ValidationResult } from '../provider';
import { ProviderError } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { checkEdit, editedLength, editNote } from '../edit-checks';
import { RunnerSidecar, RunnerUnavailableError, type RunnerEndpoint } from '../../runner/sidecar';

/** What the runner reports at GET /capabilities (the fields used here). */
export interface RunnerCapabilities {
  available: boolean;
  reason: string | null;
  device: string;
  gpu_name: string | null;
  vram_gb: number | null;
  torch_version: string | null;
  cuda_version: string | null;
  memory_policy: string | null;
  model: string;
  weights_present: boolean;
  modes: string[];
  size_multiple: number;
  fps: { min: number; max: number };
  duration: { min: number; max: number };
  seconds_per_step: number | null;
  default_steps?: number;
  tiny?: boolean;
  /** Whether the runner conditions on an end image (LTX2ConditionPipeline); older runners omit it. */
  end_image?: boolean;
  /** Edits of a finished take the runner makes (retake, extend); older runners omit it. */
  edits?: string[];
}

/** Capabilities assumed until the runner has answered (also what a render farm worker, the same engine, offers). */
export const DEFAULT_CAPS: Capabilities = {
  modes: ['text-to-video', 'image-to-video'],
  resolutions: ['WIDTHxHEIGHT (multiples of 32)', '480p', '720p', '1080p'],
  duration: { min: 0.2, max: 20, integerOnly: false },
  fps: null,
  aspectRatios: ['16:9', '9:16'],
  promptMaxChars: 10_000,
  mediaInputs: 'url-or-file',
  models: ['ltx-2'],
  endImage: true,
  edits: ['retake', 'extend'],
};

/**
 * The runner's POST /jobs body for a shot (resources/runner/README.md): sizes in pixels, duration in
 * seconds, fps, seed (-1: random), mode, and the start and end images where given (a path on the
 * runner's machine, or what the farm's storage step replaces). The local runner and the render
 * farm's workers (the same engine) take the same body.
 */
export function runnerJobBody(shot: Shot, media: { image?: string; endImage?: string }): Record<string, unknown> {
  return {
    prompt: shot.prompt,
    negative_prompt: shot.negativePrompt ?? '',
    width: shot.resolution.width,
    height: shot.resolution.height,
    duration: shot.duration,
    fps: shot.fps,
    seed: shot.seed,
    mode: shot.mode,
    ...(media.image ? { image_path: media.image } : {}),
    ...(media.endImage ? { end_image_path: media.endImage } : {}),
  };
}

/** Calls the runner's JSON API. Throws ProviderError (retryable on connection problems). */
async function runnerJson<T>(ep: RunnerEndpoint, method: 'GET' | 'POST' | 'DELETE', p: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  try {
    const res = await openRequest({
      method,
      url: `${ep.url}${p}`,
      headers: { authorization: `Bearer ${ep.token}` },
      body: body !== undefined ? { json: body } : undefined,
      signal,
      idleTimeoutMs: 120_000,
    });
    const text = (await readBody(res, 8 * 1024 * 1024)).toString('utf8');
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (res.status >= 400) {
      const msg = `local runner: ${String(json.error ?? text).slice(0, 500)}`;
      if (res.status === 401) throw new ProviderError('auth', `${msg} (wrong runner token)`);
      if (res.status === 503 || res.status === 409) throw new ProviderError('invalid', msg);
      if (res.status >= 500) throw new ProviderError('retryable', msg);
      throw new ProviderError('invalid', msg);
    }
    return json as T;
  } catch (e) {
    if (e instanceof ProviderError || signal?.aborted) throw e;
    throw new ProviderError('retryable', `the local runner stopped answering (${(e as Error).message})`);
  }
}

/** The `local` provider with its sidecar (exposed for `runner status` and tests). */
export interface LocalProvider extends Provider {
  sidecar: RunnerSidecar;
  /** Reads the runner's capabilities (starting it); cached for validate/estimate. */
  refresh(): Promise<RunnerCapabilities>;
  /** The last capabilities read, if any. */
  runnerCaps(): RunnerCapabilities | null;
}

/** Creates the provider. The runner starts on first use (or refresh()). */
export function createLocalProvider(env: NodeJS.ProcessEnv = process.env, sidecar = new RunnerSidecar({ env })): LocalProvider {
  let caps: RunnerCapabilities | null = null;
  let capsError: string | null = null;
  const capabilities = (): Capabilities =>
    caps
      ? {
          ...DEFAULT_CAPS,
          modes: caps.modes.filter((m): m is Capabilities['modes'][number] => ['text-to-video', 'image-to-video'].includes(m)),
          duration: { min: caps.duration.min, max: caps.duration.max, integerOnly: false },
          models: [caps.model],
          endImage: caps.end_image === true,
          edits: (caps.edits ?? []).filter((e): e is 'retake' | 'extend' => e === 'retake' || e === 'extend'),
        }
      : DEFAULT_CAPS;
  const provider: LocalProvider = {
    id: 'local',
    label: 'Local GPU (LTX-2 on this machine)',
    kind: 'local',
    doc: 'resources/runner/README.md',
    sidecar,
    runnerCaps: () => caps,
    async refresh() {
      try {
        const ep = await sidecar.ensure();
        caps = await runnerJson<RunnerCapabilities>(ep, 'GET', '/capabilities');
        capsError = null;
        return caps;
      } catch (e) {
        capsError = (e as Error).message;
        throw e;
      }
    },
    async prepare() {
      await provider.refresh().catch(() => undefined);
    },
    async close() {
      await sidecar.stop();
    },
    capabilities,
    limits: () => ({ concurrency: 1, requestsPerMinute: null }),
    availability() {
      if (!sidecar.installed()) return { ok: false, reason: 'the local runner is not installed: run "ltx-batch runner install"' };
      if (capsError) return { ok: false, reason: capsError };
      if (caps && !caps.available) return { ok: false, reason: caps.reason ?? 'the local runner cannot render on this machine' };
      if (caps && !caps.weights_present) return { ok: false, reason: `the model weights (${caps.model}) are not on this machine: download them from Settings or point LTX_RUNNER_MODEL at a local diffusers folder` };
      return { ok: true };
    },
    validate(shot: Shot): ValidationResult {
      const c = capabilities();
      const issues = [];
      if (!c.modes.includes(shot.mode)) issues.push({ column: 'mode', message: `the local runner does ${c.modes.join(' and ')}; got ${shot.mode}` });
      if (shot.duration < c.duration.min || shot.duration > c.duration.max) issues.push({ column: 'duration', message: `the local runner renders ${c.duration.min}-${c.duration.max} s; got ${shot.duration} s` });
      if (caps && (shot.fps < caps.fps.min || shot.fps > caps.fps.max)) issues.push({ column: 'fps', message: `the local runner renders ${caps.fps.min}-${caps.fps.max} fps; got ${shot.fps}` });
      if (shot.mode === 'image-to-video' && shot.image?.kind !== 'file') issues.push({ column: 'image', message: 'the local runner needs the start image as a file next to the storyboard (it does not download URLs)' });
      if (shot.endImage && !c.endImage) issues.push({ column: 'end_image', message: 'this local runner cannot condition on an end image: update it with "ltx-batch runner install"' });
      else if (shot.endImage && shot.endImage.kind !== 'file') issues.push({ column: 'end_image', message: 'the local runner needs the end image as a file next to the storyboard (it does not download URLs)' });
      if (issues.length) return { ok: false, issues };
      const multiple = caps?.size_multiple ?? 32;
      const notes: string[] = [];
      if (shot.resolution.width % multiple || shot.resolution.height % multiple) notes.push(`LTX-2 needs sizes in multiples of ${multiple}; the runner rounds ${shot.resolution.width}x${shot.resolution.height}`);
      if (shot.loras.length) notes.push('LoRAs are not applied by the local runner yet');
      return {
        ok: true,
        request: {
          route: 'POST /jobs',
          body: runnerJobBody(shot, { image: shot.image?.kind === 'file' ? shot.image.path : undefined, endImage: shot.endImage?.kind === 'file' ? shot.endImage.path : undefined }),
          notes,
        },
      };
    },
    estimate(shot: Shot): CostEstimate {
      const steps = caps?.default_steps ?? 40;
      if (caps?.seconds_per_step) {
        const gpu = steps * caps.seconds_per_step * Math.max(1, shot.duration / 5);
        return { unit: 'USD', min: 0, max: 0, usdPerUnit: 1, basis: `free; about ${Math.round(gpu)} s of GPU time (${steps} steps at ${caps.seconds_per_step.toFixed(2)} s/step, measured)` };
      }
      return { unit: 'USD', min: 0, max: 0, usdPerUnit: 1, basis: 'free; GPU time is shown once the runner has measured a few steps' };
    },
    describePrices: () => ['free (your own GPU); actual GPU seconds are recorded in the ledger'],
    /**
     * Retake or extend a take on the runner (LTX2ConditionPipeline, resources/runner/ltx_runner/edits.py):
     * the runner reads the clip, renders at its size and rate, and keeps every frame outside the new
     * part. Free; limited to 20 s rendered at once (the runner's longest clip).
     */
    edit(edit: TakeEdit, source: EditSource): EditResult {
      const issues = checkEdit(edit, source);
      const c = capabilities();
      if (!c.edits?.includes(edit.kind)) issues.push({ column: 'take', message: `this local runner cannot ${edit.kind}: update it with "ltx-batch runner install"` });
      if (edit.kind === 'retake' && source.durationS > c.duration.max) issues.push({ column: 'take', message: `the local runner retakes clips up to ${c.duration.max} s; this take is ${Math.round(source.durationS * 100) / 100} s` });
      if (edit.kind === 'extend' && edit.seconds > c.duration.max - 1) issues.push({ column: 'seconds', message: `the local runner extends by up to ${c.duration.max - 1} s at once; got ${edit.seconds} s` });
      if (issues.length) return { ok: false, issues };
      const spec = edit.kind === 'retake' ? { kind: 'retake', start_s: edit.startS, duration_s: edit.durationS, mode: edit.mode } : { kind: 'extend', seconds: edit.seconds, at: edit.at };
      return {
        ok: true,
        request: {
          route: 'POST /jobs',
          body: { prompt: (edit.prompt ?? source.prompt).trim(), width: source.width, height: source.height, fps: source.fps, duration: editedLength(edit, source), seed: -1, mode: 'text-to-video', edit: { ...spec, video_path: source.clipPath } },
          notes: [editNote(edit)],
        },
        estimate: { unit: 'USD', min: 0, max: 0, usdPerUnit: 1, basis: 'free (your own GPU)' },
      };
    },
    async render(req: ProviderRequest, dest: string, ctx: ProviderContext & { onProgress: (p: RenderProgress) => void }) {
      let ep: RunnerEndpoint;
      try {
        ep = await sidecar.ensure();
      } catch (e) {
        if (e instanceof RunnerUnavailableError) throw new ProviderError('invalid', e.message);
        throw e;
      }
      const created = await runnerJson<{ job_id: string; rounded?: { changed?: string[]; [k: string]: unknown } }>(ep, 'POST', '/jobs', req.body, ctx.signal);
      const notes: string[] = [];
      for (const name of created.rounded?.changed ?? []) {
        const r = created.rounded?.[name] as { requested?: unknown; used?: unknown } | undefined;
        notes.push(`local runner rounded ${name} ${r?.requested} -> ${r?.used}`);
      }
      const onAbort = () => void runnerJson(ep, 'POST', `/jobs/${created.job_id}/cancel`).catch(() => {});
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        type Final = { event: string; error?: string; gpu_seconds?: number; memory_policy_used?: string; tried_policies?: string[] };
        let final = null as Final | null;
        const res = await openRequest({ method: 'GET', url: `${ep.url}/jobs/${created.job_id}/events`, headers: { authorization: `Bearer ${ep.token}` }, idleTimeoutMs: 0, signal: ctx.signal }).catch((e) => {
          throw new ProviderError('retryable', `the local runner stopped answering (${(e as Error).message})`);
        });
        let buf = '';
        try {
          for await (const chunk of res.body) {
            buf += chunk.toString();
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              const ev = JSON.parse(line) as { event: string; step?: number; steps?: number; eta_s?: number };
              if (ev.event === 'step' && ev.steps) ctx.onProgress({ fraction: ev.step! / ev.steps, message: `step ${ev.step} of ${ev.steps}${ev.eta_s !== undefined ? `, about ${Math.round(ev.eta_s)} s left` : ''}` });
              if (ev.event === 'done' || ev.event === 'failed' || ev.event === 'canceled') final = ev as Final;
            }
          }
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          throw new ProviderError('retryable', `the local runner stopped while rendering (${sidecar.explain()})`);
        }
        if (!final) throw new ProviderError('retryable', `the local runner stopped while rendering (${sidecar.explain()})`);
        if (final.event === 'canceled') throw new ProviderError('invalid', 'canceled');
        if (final.event === 'failed') throw new ProviderError('invalid', `local runner: ${final.error}${final.tried_policies?.length ? ` (tried: ${final.tried_policies.join(', ')})` : ''}`);
        const out = await openRequest({ method: 'GET', url: `${ep.url}/jobs/${created.job_id}/result`, headers: { authorization: `Bearer ${ep.token}` }, signal: ctx.signal });
        if (out.status !== 200) {
          out.body.resume();
          throw new ProviderError('retryable', `the local runner did not hand over the clip (HTTP ${out.status})`);
        }
        await saveBody(out, dest, { signal: ctx.signal }).catch((e) => {
          if (ctx.signal.aborted) throw e;
          throw new ProviderError((e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk' : 'retryable', `the clip from the local runner could not be saved (${(e as Error).message})`);
        });
        // The clip is ours now: let the runner forget the job and its file.
        await runnerJson(ep, 'DELETE', `/jobs/${created.job_id}`).catch(() => {});
        if (final.memory_policy_used) notes.push(`memory policy: ${final.memory_policy_used}`);
        return { gpuSeconds: final.gpu_seconds, notes };
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
  };
  return provider;
}
