/**
 * `ltx-batch budget set|show|clear`: monthly budgets (overall and per provider) in the settings
 * database (APP_HOME/settings.sqlite; LTX_BATCH_HOME overrides APP_HOME).
 */
import type { Db } from '../queue/db';
import { budgetName, clearBudget, listBudgets, monthOf, setBudget, spentUsd } from '../settings/ledger';
import { table, usd } from './format';

/** Runs a budget subcommand; returns the exit code. */
export function budgetCommand(
  action: 'set' | 'show' | 'clear',
  opts: { monthly?: number; provider?: string },
  db: Db,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): number {
  const scope = opts.provider ? 'provider-month' : 'month';
  const provider = opts.provider ?? '';
  if (action === 'set') {
    if (opts.monthly === undefined) {
      err.write('say how much: ltx-batch budget set --monthly USD [--provider ID]\n');
      return 2;
    }
    setBudget(db, { scope, provider, usd: opts.monthly });
    out.write(`set ${budgetName({ scope, provider, usd: opts.monthly })}\n`);
    return 0;
  }
  if (action === 'clear') {
    out.write(clearBudget(db, scope, provider) ? `cleared the ${provider ? `${provider} ` : ''}monthly budget\n` : 'no such budget\n');
    return 0;
  }
  const month = monthOf();
  const t = table(['budget', 'limit', `spent or reserved in ${month}`, 'left']);
  for (const b of listBudgets(db)) {
    const spent = spentUsd(db, month, b.scope === 'month' ? undefined : b.provider);
    t.push([b.scope === 'month' ? 'monthly (all providers)' : `monthly: ${b.provider}`, usd(b.usd), usd(spent), usd(b.usd - spent)]);
  }
  out.write(listBudgets(db).length ? `${t.toString()}\n` : 'no budgets set; set one with: ltx-batch budget set --monthly USD [--provider ID]\n');
  return 0;
}
