/**
 * Checks a shot against a provider's documented capabilities, so that a row a provider cannot
 * render is an error at estimate time, naming the column and what the provider accepts.
 */
import type { Capabilities, FieldIssue } from './provider';
import type { Shot } from '../storyboard/shot';

/** The shot's resolution as the provider's label for it ("720p" or "1920x1080"), if it has one. */
export function resolutionLabel(shot: Shot, caps: Capabilities): string | undefined {
  const { width, height, tier } = shot.resolution;
  const wxh = `${width}x${height}`;
  const hxw = `${height}x${width}`;
  if (caps.resolutions.includes(wxh)) return wxh;
  if (caps.resolutions.includes(hxw) && shot.aspectRatio === '9:16') return hxw;
  if (tier && caps.resolutions.includes(tier)) return tier;
  return undefined;
}

/**
 * Common checks: mode, duration range (and whole seconds), fps, aspect ratio, prompt length,
 * resolution, and media that must be a public URL. Returns the problems found (empty when none).
 */
export function checkShot(shot: Shot, caps: Capabilities, providerId: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { duration } = caps;
  if (!caps.modes.includes(shot.mode)) issues.push({ column: 'mode', message: `${providerId} does not do ${shot.mode}; it does ${caps.modes.join(', ')}` });
  if (shot.duration < duration.min || shot.duration > duration.max) issues.push({ column: 'duration', message: `${providerId} renders ${duration.min}-${duration.max} s; got ${shot.duration} s` });
  else if (duration.integerOnly && !Number.isInteger(shot.duration)) issues.push({ column: 'duration', message: `${providerId} takes whole seconds (${duration.min}-${duration.max}); got ${shot.duration} s` });
  if (caps.fps && !caps.fps.includes(shot.fps)) issues.push({ column: 'fps', message: `${providerId} renders at ${caps.fps.join(' or ')} fps; got ${shot.fps}` });
  if (!caps.aspectRatios.includes(shot.aspectRatio)) issues.push({ column: 'aspect_ratio', message: `${providerId} takes aspect ratio ${caps.aspectRatios.join(' or ')}; got ${shot.aspectRatio}` });
  if (shot.prompt.length > caps.promptMaxChars) issues.push({ column: 'prompt', message: `${providerId} takes prompts of at most ${caps.promptMaxChars} characters; this one has ${shot.prompt.length}` });
  if (!resolutionLabel(shot, caps)) issues.push({ column: 'resolution', message: `${providerId} renders ${caps.resolutions.join(', ')}; got ${shot.resolution.label}${shot.resolution.tier ? '' : ` (${shot.resolution.width}x${shot.resolution.height})`}` });
  if (shot.model && !caps.models.includes(shot.model)) issues.push({ column: 'model', message: `${providerId} has models ${caps.models.join(', ')}; got "${shot.model}"` });
  if (caps.mediaInputs === 'url-only') {
    for (const col of ['image', 'audio', 'video'] as const) {
      const ref = shot[col];
      if (ref?.kind === 'file') issues.push({ column: col, message: `${providerId} takes ${col}s only as a public http(s) URL; upload "${ref.original}" somewhere public and put its URL in the cell` });
    }
  }
  return issues;
}
