/**
 * Terminal formatting shared by the CLI commands: tables (cli-table3); money comes from pricing/money.
 */
import Table from 'cli-table3';
export { formatEstimate, usd } from '../pricing/money';

/** A table that prints without colours when the output is not a terminal. */
export function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : [] } });
}
