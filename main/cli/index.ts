/**
 * The `ltx-batch` command line: argument parsing (commander) and dispatch to the commands.
 * Exit codes: 0 success, 1 a storyboard problem or a shot that failed, 2 a usage error.
 */
import { Command, InvalidArgumentError } from 'commander';
import { defaultRegistry } from '../providers/registry';
import { estimateCommand } from './estimate-command';
import { renderCommand } from './render-command';

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of 0 or more');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return n;
}

/** Builds the commander program; `setExit` receives each command's exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('ltx-batch')
    .description('Render a whole storyboard with LTX-2 video models: estimate, queue, render, stitch.')
    .showHelpAfterError()
    .exitOverride();
  program
    .command('estimate')
    .description('show what every row will cost, with the running total against a budget; sends nothing')
    .argument('<storyboard>', 'storyboard file (.csv or .xlsx)')
    .option('-p, --provider <id>', 'provider for rows that name none (default: preview)')
    .option('-b, --budget <usd>', 'render budget in USD', positiveNumber)
    .option('--json', 'print JSON for scripts')
    .action(async (file: string, o: { provider?: string; budget?: number; json?: boolean }) => {
      setExit(await estimateCommand(file, defaultRegistry(), o));
    });
  program
    .command('render')
    .description('render every shot and stitch the film; re-run the same command to resume')
    .argument('<storyboard>', 'storyboard file (.csv or .xlsx)')
    .requiredOption('-o, --out <dir>', 'output folder (clips/, project.sqlite, film.mp4)')
    .option('-p, --provider <id>', 'provider for rows that name none (default: preview)')
    .option('-c, --concurrency <n>', 'at most this many shots at once per provider', positiveInt)
    .option('-b, --budget <usd>', 'render budget in USD: shots that would pass it wait', positiveNumber)
    .option('--plain', 'plain progress lines even on a terminal')
    .action(async (file: string, o: { out: string; provider?: string; concurrency?: number; budget?: number; plain?: boolean }) => {
      setExit(await renderCommand(file, defaultRegistry(), o));
    });
  return program;
}

/** Runs the CLI with `argv` (process.argv form) and exits with the command's code. */
export async function main(argv: string[]): Promise<void> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const ce = e as { code?: string; exitCode?: number };
    if (ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' || ce.code === 'commander.help') process.exit(0);
    if (ce.code?.startsWith('commander.')) process.exit(2);
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.exitCode = code;
}
