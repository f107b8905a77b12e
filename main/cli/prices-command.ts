/**
 * `ltx-batch prices [--json]`: the price tables in force, provider by provider: where each table
 * comes from and when it was read, its lines (cells no page stated marked "assumed"), and the
 * creator's own prices from prices.csv in the data folder ("your prices"), which win over the
 * table. Exit 1 when prices.csv has a bad line (named), since no estimate can be trusted then.
 */
import type { ProviderRegistry } from '../providers/registry';
import { describeProvider } from '../providers/describe';
import { PRICE_OVERRIDES_FILE } from '../pricing/overrides';

/** Runs the command; returns the exit code. */
export function pricesCommand(registry: ProviderRegistry, opts: { json?: boolean }, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): number {
  const prices = registry.prices;
  const tables = registry.all().map((p) => {
    const d = describeProvider(p);
    return { provider: d.id, label: d.label, source: d.priceSource?.source ?? null, read: d.priceSource?.read ?? null, lines: d.prices, assumed: d.assumed.filter((a) => /price/i.test(a)) };
  });
  if (opts.json) {
    out.write(`${JSON.stringify({ overridesFile: prices?.file ?? null, overridesError: prices?.error ?? null, tables }, null, 2)}\n`);
    return prices?.error ? 1 : 0;
  }
  for (const t of tables) {
    out.write(`${t.provider} — ${t.label}\n`);
    out.write(t.source ? `  source: ${t.source} (read ${t.read})\n` : '  source: none recorded\n');
    for (const line of t.lines) out.write(`  ${line}\n`);
    out.write('\n');
  }
  if (prices) out.write(`your prices: ${prices.file}${prices.overrides.length ? ` (${prices.overrides.length} line${prices.overrides.length === 1 ? '' : 's'} in force)` : ' (none; write provider,model,resolution,usd_per_second,note lines there to correct a price)'}\n`);
  if (prices?.error) {
    err.write(`error: ${prices.error}\n  no estimate uses ${PRICE_OVERRIDES_FILE} until this line is fixed\n`);
    return 1;
  }
  return 0;
}
