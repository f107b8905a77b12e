/**
 * The `ltx-batch` command line: argument parsing (commander) and dispatch to the commands.
 * Exit codes: 0 success, 1 a storyboard problem or a shot that failed, 2 a usage error.
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { defaultRegistry } from '../providers/registry';
import { keychainLookup } from '../secrets/key-lookup';
import { openSettings } from '../settings/settings-db';
import { budgetName, ledgerGuard, listBudgets, monthOf, spentUsd } from '../settings/ledger';
import { estimateCommand } from './estimate-command';
import { renderCommand } from './render-command';
import { keysCommand } from './keys-command';
import { budgetCommand } from './budget-command';
import { spendCommand } from './spend-command';
import { providersCommand } from './providers-command';
import { pricesCommand } from './prices-command';
import { uiCommand } from './ui-command';
import { runnerInstall, runnerStatus } from './runner-command';
import { farmStatus, farmWorker } from './farm-command';
import { reportCommand } from './report-command';
import { exportCommand } from './export-command';
import { EDITOR_FORMATS, type EditorFormat } from '../timeline/export/export-editor';
import { editCommand, editOf, newTakeCommand, type ExtendOptions, type RetakeOptions } from './edit-command';
import { RETAKE_MODES } from '../providers/edit-checks';
import type { SubmitGuard } from '../queue/runner';
import { osKeychain } from '../secrets/keychain';
import { MAX_TAKES } from '../storyboard/fields';

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of 0 or more');
  return n;
}

function takesArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TAKES) throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_TAKES}`);
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return n;
}

/** The providers, with keys from the environment and then the OS keychain. */
function registry() {
  return defaultRegistry(process.env, keychainLookup().lookup);
}

/** Monthly budgets with what is spent so far this month, for the estimate. */
function monthlyBudgets() {
  const db = openSettings();
  try {
    const month = monthOf();
    return listBudgets(db).map((b) => ({ name: budgetName(b), usd: b.usd, provider: b.provider || undefined, spentUsd: spentUsd(db, month, b.scope === 'month' ? undefined : b.provider) }));
  } finally {
    db.close();
  }
}

/** Runs a command on the project in `out` under the spend ledger's monthly budgets (its guard). */
async function withLedger(out: string, run: (guard: SubmitGuard) => Promise<number>): Promise<number> {
  const settings = openSettings();
  try {
    return await run(ledgerGuard(settings, path.resolve(out)));
  } finally {
    settings.close();
  }
}

/** Builds the commander program; `setExit` receives each command's exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('ltx-batch')
    .description('Render a whole storyboard with LTX-2 video models: estimate, queue, render, stitch.')
    .showHelpAfterError()
    .exitOverride();
  program
    .command('estimate')
    .description('show what every row will cost, with running totals against every budget; sends nothing')
    .argument('<storyboard>', 'storyboard file (.csv or .xlsx)')
    .option('-p, --provider <id>', 'provider for rows that name none (default: preview)')
    .option('-b, --budget <usd>', 'render budget in USD', positiveNumber)
    .option('-t, --takes <n>', `takes (variants) of every row whose takes cell is empty, 1-${MAX_TAKES}; take k uses seed + k - 1`, takesArg)
    .option('--style <text>', 'a style for every row: text around each prompt ({prompt} marks where the prompt goes; without it the text follows the prompt)')
    .option('--negative <text>', "a negative prompt added to every row's")
    .option('--characters <file>', 'a CSV of name, description: {Name} in a prompt becomes the description')
    .option('--json', 'print JSON for scripts')
    .action(async (file: string, o: { provider?: string; budget?: number; takes?: number; json?: boolean; style?: string; negative?: string; characters?: string }) => {
      setExit(await estimateCommand(file, registry(), { ...o, look: { style: o.style, negative: o.negative, charactersFile: o.characters }, monthly: monthlyBudgets() }));
    });
  program
    .command('render')
    .description('render every shot and stitch the film; re-run the same command to resume')
    .argument('<storyboard>', 'storyboard file (.csv or .xlsx)')
    .requiredOption('-o, --out <dir>', 'output folder (clips/, project.sqlite, film.mp4)')
    .option('-p, --provider <id>', 'provider for rows that name none (default: preview)')
    .option('-c, --concurrency <n>', 'at most this many shots at once per provider', positiveInt)
    .option('-b, --budget <usd>', 'render budget in USD, saved with the project: shots that would pass it wait', positiveNumber)
    .option('-t, --takes <n>', `takes (variants) of every row whose takes cell is empty, 1-${MAX_TAKES}; take k uses seed + k - 1`, takesArg)
    .option('--style <text>', 'a style for every row: text around each prompt ({prompt} marks where the prompt goes; without it the text follows the prompt)')
    .option('--negative <text>', "a negative prompt added to every row's")
    .option('--characters <file>', 'a CSV of name, description: {Name} in a prompt becomes the description')
    .option('--accept-changes', "re-render finished shots whose prompt changed because the style or a character's description did")
    .option('--clear-budget', "remove the project's saved render budget")
    .option('--replace-storyboard', 'render into a folder that holds the project of another storyboard file (the same storyboard moved or renamed)')
    .option('--plain', 'plain progress lines even on a terminal')
    .option('--wait', 'when another process is rendering the same folder, wait for it (default: exit 3 naming it)')
    .option('--resubmit-flagged', 'submit again the shots held as "may have been submitted twice" (after checking the provider)')
    .action(async (file: string, o: { out: string; provider?: string; concurrency?: number; budget?: number; takes?: number; style?: string; negative?: string; characters?: string; acceptChanges?: boolean; plain?: boolean; wait?: boolean; resubmitFlagged?: boolean; clearBudget?: boolean; replaceStoryboard?: boolean }) => {
      const settings = openSettings();
      try {
        setExit(await renderCommand(file, registry(), { ...o, look: { style: o.style, negative: o.negative, charactersFile: o.characters }, guard: ledgerGuard(settings, path.resolve(o.out)) }));
      } finally {
        settings.close();
      }
    });
  program
    .command('providers')
    .description('list the providers: modes, limits, prices, and whether a key is set')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => setExit(providersCommand(registry(), o)));
  program
    .command('prices')
    .description('show the price tables in force: sources, dates read, assumptions, and your own prices (prices.csv in the data folder)')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => setExit(pricesCommand(registry(), o)));
  const keys = program.command('keys').description('provider API keys in the OS keychain');
  keys.command('set').argument('<provider>').description('store a key (typed at a hidden prompt, or piped on standard input)').action(async (id: string) => setExit(await keysCommand('set', id, registry())));
  keys.command('list').description('which providers have a key (never the key: at most its last 4 characters)').action(async () => setExit(await keysCommand('list', undefined, registry())));
  keys.command('delete').argument('<provider>').description('delete a stored key').action(async (id: string) => setExit(await keysCommand('delete', id, registry())));
  keys.command('test').argument('<provider>').description("check the key with the provider's cheapest authenticated call (nothing is generated)").action(async (id: string) => setExit(await keysCommand('test', id, registry())));
  const budget = program.command('budget').description('monthly budgets, overall and per provider (USD)');
  budget
    .command('set')
    .requiredOption('--monthly <usd>', 'the most to spend per calendar month', positiveNumber)
    .option('--provider <id>', "a provider's own monthly budget")
    .action((o: { monthly: number; provider?: string }) => withSettings((db) => setExit(budgetCommand('set', o, db))));
  budget.command('show').action(() => withSettings((db) => setExit(budgetCommand('show', {}, db))));
  budget
    .command('clear')
    .option('--provider <id>', "clear a provider's budget instead of the overall one")
    .action((o: { provider?: string }) => withSettings((db) => setExit(budgetCommand('clear', o, db))));
  program
    .command('new-take')
    .description('render a shot again as a new take (the next seed it has not used, or --seed); a continued shot starts from its parent\'s chosen take')
    .requiredOption('-o, --out <dir>', 'the output folder of a render')
    .requiredOption('-s, --shot <id>', 'the shot id')
    .option('--seed <n>', 'the seed of the new take', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 4_294_967_295) throw new InvalidArgumentError('must be a whole number from 0 to 4294967295');
      return n;
    })
    .action(async (o: { out: string; shot: string; seed?: number }) => setExit(await withLedger(o.out, (guard) => newTakeCommand(registry(), { ...o, guard }))));
  program
    .command('retake')
    .description("redo seconds FROM to TO of a shot's take as its next take (the rest of the clip is kept); prints the cost first")
    .requiredOption('-o, --out <dir>', 'the output folder of a render')
    .requiredOption('-s, --shot <id>', 'the shot id')
    .requiredOption('--from <seconds>', 'where the section starts', positiveNumber)
    .requiredOption('--to <seconds>', 'where it ends (at least 2 s after --from)', positiveNumber)
    .option('--take <n>', "the take to edit (default: the shot's chosen take)", positiveInt)
    .option('--mode <mode>', `what to replace: ${RETAKE_MODES.join(', ')} (default ${RETAKE_MODES[0]})`, (v: string) => {
      if (!(RETAKE_MODES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${RETAKE_MODES.join(', ')}`);
      return v;
    })
    .option('--prompt <text>', "what the section shows (default: the take's prompt)")
    .option('--estimate', 'print the cost and stop')
    .action(async (o: RetakeOptions) => setExit(await withLedger(o.out, (guard) => editCommand(editOf('retake', o), registry(), { ...o, guard }))));
  program
    .command('extend')
    .description("add seconds to the end or start of a shot's take as its next take (the clip is kept); prints the cost first")
    .requiredOption('-o, --out <dir>', 'the output folder of a render')
    .requiredOption('-s, --shot <id>', 'the shot id')
    .requiredOption('--by <seconds>', 'seconds to add', positiveNumber)
    .option('--at <where>', 'end (default) or start', (v: string) => {
      if (v !== 'end' && v !== 'start') throw new InvalidArgumentError('must be end or start');
      return v;
    })
    .option('--take <n>', "the take to edit (default: the shot's chosen take)", positiveInt)
    .option('--prompt <text>', "what the new seconds show (default: the take's prompt)")
    .option('--estimate', 'print the cost and stop')
    .action(async (o: ExtendOptions) => setExit(await withLedger(o.out, (guard) => editCommand(editOf('extend', o), registry(), { ...o, guard }))));
  program
    .command('spend')
    .description('the spend ledger per provider and project: estimated vs actual')
    .option('--month <YYYY-MM>', 'the month (default: this one)')
    .option('--json', 'print JSON')
    .action((o: { month?: string; json?: boolean }) => withSettings((db) => setExit(spendCommand(o, db))));
  program
    .command('export')
    .description('the timeline for an editor: OpenTimelineIO (otio), FCPXML (fcpxml), Final Cut Pro 7 XML (xml) or a CMX3600 EDL (edl)')
    .argument('[dir]', 'the output folder of a render (or --out)')
    .option('-o, --out <dir>', 'the output folder of a render')
    .requiredOption('-f, --format <format>', 'otio, fcpxml, xml or edl', (v: string) => {
      if (!(v in EDITOR_FORMATS)) throw new InvalidArgumentError('must be otio, fcpxml, xml or edl');
      return v;
    })
    .option('--file <file>', 'where to write (default DIR/exports/film.<ext>)')
    .option('--package', 'copy the clips into media/ beside the export and name them relative to it (the folder can move)')
    .option('--relative', 'name the clips by paths relative to the export instead of absolute file URLs')
    .option('--start-timecode <tc>', 'the record start, HH:MM:SS:FF (default 01:00:00:00)')
    .action(async (dir: string | undefined, o: { out?: string; format: EditorFormat; file?: string; package?: boolean; relative?: boolean; startTimecode?: string }) => {
      const project = o.out ?? dir;
      if (!project) {
        process.stderr.write('error: name the project folder: ltx-batch export DIR --format FORMAT (or --out DIR)\n');
        return setExit(2);
      }
      setExit(await exportCommand({ ...o, out: project }));
    });
  program
    .command('report')
    .description("the project's per-shot results: CSV (safe to open in a spreadsheet), or an XLSX of the storyboard's columns with result columns and thumbnails that renders again as the storyboard did")
    .requiredOption('-o, --out <dir>', 'the output folder of a render')
    .option('--csv <file>', 'write CSV to this file (default: standard output)')
    .option('--xlsx <file>', "write an XLSX workbook: the storyboard's own columns, then state, take, clip, duration, cost, task id, error and a thumbnail per shot")
    .action(async (o: { out: string; csv?: string; xlsx?: string }) => setExit(await reportCommand(o)));
  const runner = program.command('runner').description('the local GPU runner (LTX-2 on this machine)');
  runner
    .command('install')
    .description('create its virtual environment and install it with pinned requirements')
    .option('--force', 'reinstall even when up to date')
    .option('--cpu', 'no NVIDIA GPU here (CPU torch where an index provides one)')
    .action(async (o: { force?: boolean; cpu?: boolean }) => setExit(await runnerInstall(o)));
  runner
    .command('status')
    .description('GPU, VRAM, torch/CUDA, memory policy and whether the weights are present')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => setExit(await runnerStatus(o)));
  const farm = program.command('farm').description('the render farm: many GPU machines through Temporal (README, "Render farm")');
  farm
    .command('worker')
    .description('run one farm worker for one GPU on this machine (in the foreground; Ctrl-C stops it)')
    .option('--address <host:port>', 'the Temporal server (default: LTX_FARM_ADDRESS)')
    .option('--namespace <ns>', 'Temporal namespace (default: LTX_FARM_NAMESPACE or default)')
    .option('--task-queue <queue>', 'task queue (default: LTX_FARM_TASK_QUEUE or ltx-batch)')
    .option('--gpu <n>', 'the GPU this worker uses (run one worker per GPU)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a GPU index (0, 1, ...)');
      return n;
    })
    .option('--storage <path>', "the shared folder as this machine mounts it (default: LTX_FARM_STORAGE; not needed with s3:// storage)")
    .option('--model <model>', 'tiny-random, a local diffusers folder, or a hub id (default: LTX_RUNNER_MODEL or Lightricks/LTX-2)')
    .action(async (o: { address?: string; namespace?: string; taskQueue?: string; gpu?: number; storage?: string; model?: string }) => setExit(await farmWorker(o)));
  farm
    .command('status')
    .description('the workers polling the task queue (host, GPU, model) and what each is rendering')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => setExit(await farmStatus(o)));
  program
    .command('ui')
    .description('browser mode: serve the app on 127.0.0.1 with a private token (for a render box without a desktop)')
    .option('--port <n>', 'port (default: a free one)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
      return n;
    })
    .action(async (o: { port?: number }) => {
      // One lookup for the providers and the app's key store: a key saved in the browser UI is used at once.
      const keychain = keychainLookup(osKeychain());
      await uiCommand(o, defaultRegistry(process.env, keychain.lookup), keychain.store, openSettings());
      await new Promise(() => {});
    });
  return program;
}

function withSettings(fn: (db: ReturnType<typeof openSettings>) => void): void {
  const db = openSettings();
  try {
    fn(db);
  } finally {
    db.close();
  }
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
