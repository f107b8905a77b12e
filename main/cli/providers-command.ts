/**
 * `ltx-batch providers [--json]`: every provider with its modes, limits, price table and whether
 * a key is set (never the key).
 */
import type { ProviderRegistry } from '../providers/registry';
import { describeProvider } from '../providers/describe';

/** Runs the command; returns the exit code. */
export function providersCommand(registry: ProviderRegistry, opts: { json?: boolean }, out: NodeJS.WritableStream = process.stdout): number {
  const list = registry.all().map(describeProvider);
  if (opts.json) {
    out.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  for (const p of list) {
    out.write(`${p.id} — ${p.label} (${p.kind}; doc: ${p.doc})\n`);
    out.write(`  modes: ${p.modes.join(', ')}\n  resolutions: ${p.resolutions.join(', ')}; duration ${p.duration.min}-${p.duration.max} s${p.duration.integerOnly ? ' (whole seconds)' : ''}; fps ${Array.isArray(p.fps) ? p.fps.join('/') : p.fps}; aspect ${p.aspectRatios.join(', ')}\n`);
    out.write(`  prompt up to ${p.promptMaxChars} characters; media: ${p.media}; models: ${p.models.join(', ')}\n`);
    out.write(`  limits: ${p.concurrency} at once${p.requestsPerMinute ? `, ${p.requestsPerMinute} requests/minute` : ''}\n`);
    if (p.priceSource) out.write(`  prices from ${p.priceSource.source} (read ${p.priceSource.read})\n`);
    for (const line of p.prices) out.write(`  price: ${line}\n`);
    for (const line of p.assumed) out.write(`  assumed: ${line}\n`);
    out.write(`  ${p.ready ? 'ready' : `not ready: ${p.notReady}`}\n\n`);
  }
  return 0;
}
