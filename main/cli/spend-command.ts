/**
 * `ltx-batch spend [--month YYYY-MM] [--json]`: the ledger summary per provider and per project,
 * estimated vs actual, so a creator can see how good the estimates were.
 */
import type { Db } from '../queue/db';
import { monthOf, spendSummary } from '../settings/ledger';
import { table, usd } from './format';

/** Runs the command; returns the exit code (2 for a malformed month). */
export function spendCommand(opts: { month?: string; json?: boolean }, db: Db, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): number {
  const month = opts.month ?? monthOf();
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    err.write(`--month must be YYYY-MM, e.g. ${monthOf()}; got "${month}"\n`);
    return 2;
  }
  const lines = spendSummary(db, month);
  if (opts.json) {
    out.write(`${JSON.stringify({ month, lines }, null, 2)}\n`);
    return 0;
  }
  if (!lines.length) {
    out.write(`nothing was spent in ${month}\n`);
    return 0;
  }
  const t = table(['provider', 'project', 'submissions', 'estimated', 'actual', 'refunded', 'open', 'may have been submitted twice']);
  let est = 0;
  let act = 0;
  for (const l of lines) {
    est += l.estimatedUsd;
    act += l.actualUsd ?? 0;
    t.push([l.provider, l.project, String(l.submissions), usd(l.estimatedUsd), l.actualUsd === null ? 'not reported' : usd(l.actualUsd), String(l.refunded), String(l.open), String(l.maybeDuplicate)]);
  }
  out.write(`${t.toString()}\n${month}: estimated ${usd(est)}, actual ${usd(act)} where reported\n`);
  return 0;
}
