/**
 * The built-in `preview` provider: an animatic clip per shot rendered with ffmpeg, free and
 * offline. It is the default when no provider is chosen, so a creator can check order and timing
 * before paying for a render.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { Capabilities, CostEstimate, Provider, ProviderLimits, ProviderRequest, ValidationResult } from '../provider';
import type { Shot } from '../../storyboard/shot';
import { MODES } from '../../storyboard/shot';
import { runFfmpeg } from '../../media/run-ffmpeg';
import { animaticArgs, type AnimaticSpec } from './animatic';
import { isPreviewEdit, previewEdit, renderPreviewEdit, type PreviewEditSpec } from './preview-edit';

/** Preview limits: up to 600 s, 16..7680 px, 1..120 fps, any mode (the card shows the prompt). */
const CAPABILITIES: Capabilities = {
  modes: [...MODES],
  resolutions: ['480p', '720p', '1080p', '1440p', '2160p', 'WIDTHxHEIGHT'],
  duration: { min: 0.04, max: 600, integerOnly: false },
  fps: null,
  aspectRatios: ['16:9', '9:16'],
  promptMaxChars: 100_000,
  mediaInputs: 'url-or-file',
  models: ['animatic'],
  edits: ['retake', 'extend'],
};

/** Creates the preview provider. `concurrency` defaults to the number of ffmpeg processes worth running at once (2). */
export function createPreviewProvider(opts: { concurrency?: number } = {}): Provider {
  return {
    id: 'preview',
    label: 'Preview (animatic, free, offline)',
    kind: 'local',
    doc: 'README.md#the-preview-provider',
    capabilities: () => CAPABILITIES,
    limits: (): ProviderLimits => ({ concurrency: opts.concurrency ?? 2, requestsPerMinute: null }),
    availability: () => ({ ok: true }),
    validate(shot: Shot): ValidationResult {
      const notes: string[] = [];
      const localOnly = (ref: Shot['image']) => {
        if (!ref) return undefined;
        if (ref.kind === 'file') return ref.path;
        notes.push(`${ref.original} is a URL; the preview works offline and shows the card without it`);
        return undefined;
      };
      const spec: AnimaticSpec = {
        shotId: shot.id,
        prompt: shot.prompt,
        duration: shot.duration,
        width: shot.resolution.width,
        height: shot.resolution.height,
        fps: shot.fps,
        image: localOnly(shot.image),
        audio: localOnly(shot.audio),
        subtitle: `${shot.duration} s · ${shot.resolution.width}x${shot.resolution.height} · ${shot.fps} fps · ${shot.mode}${shot.seed >= 0 ? ` · seed ${shot.seed}` : ''}`,
        // A take's seed picks the card's colour; a random seed (-1) is left out of the request's JSON (each take is sent its own).
        seed: shot.seed >= 0 ? shot.seed : undefined,
      };
      return { ok: true, request: { route: 'ffmpeg animatic', body: spec as unknown as Record<string, unknown>, notes } };
    },
    estimate(): CostEstimate {
      return { unit: 'USD', min: 0, max: 0, usdPerUnit: 1, basis: 'free: rendered on this machine' };
    },
    /** A card in place of the retaken section, or added at the end or start (./preview-edit.ts). */
    edit: previewEdit,
    async render(request: ProviderRequest, dest: string, ctx) {
      const spec = request.body as unknown as AnimaticSpec;
      const work = fs.mkdtempSync(path.join(ctx.tmpDir, 'animatic-'));
      try {
        if (isPreviewEdit(request.body)) {
          await renderPreviewEdit(request.body as unknown as PreviewEditSpec, dest, work, ctx.signal, (fraction) => ctx.onProgress({ fraction }));
          return {};
        }
        await runFfmpeg(animaticArgs(spec, dest, work), {
          totalSeconds: spec.duration,
          signal: ctx.signal,
          onProgress: (fraction) => ctx.onProgress({ fraction }),
        });
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
      return {};
    },
  };
}
