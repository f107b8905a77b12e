/**
 * Money as text for people: USD amounts and cost estimates (shared by the CLI and the app).
 */
import type { CostEstimate } from '../providers/provider';

/** "$1.23" (two decimals; three below one cent). */
export function usd(n: number): string {
  return n !== 0 && Math.abs(n) < 0.01 ? `$${n.toFixed(3)}` : `$${n.toFixed(2)}`;
}

/** An estimate as text: "$0.12", "24 credits", "20-76 credits (~$0.20-$0.76)". */
export function formatEstimate(e: CostEstimate): string {
  const amount = (v: number) => (e.unit === 'USD' ? usd(v) : `${Number(v.toFixed(2))} credits`);
  const range = e.min === e.max ? amount(e.max) : `${amount(e.min)}-${e.unit === 'USD' ? usd(e.max) : `${Number(e.max.toFixed(2))} credits`}`;
  if (e.unit === 'credits' && e.usdPerUnit !== undefined) {
    const u = e.min === e.max ? usd(e.max * e.usdPerUnit) : `${usd(e.min * e.usdPerUnit)}-${usd(e.max * e.usdPerUnit)}`;
    return `${range} (~${u})`;
  }
  return e.yours ? `${range} (your prices)` : range;
}
