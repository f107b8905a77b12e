/**
 * `ltx-batch render STORYBOARD --out DIR [--provider ID] [--concurrency N] [--budget USD]`:
 * renders every shot into DIR/clips, keeps the queue in DIR/project.sqlite and stitches
 * DIR/film.mp4. A progress bar on a terminal, plain lines otherwise. Exit code 1 when any shot
 * failed or waits, with a per-shot summary.
 */
import path from 'node:path';
import { keepAwakeHint } from './keep-awake';
import { describeErrorCount } from '../contract/error-count';
import cliProgress from 'cli-progress';
import { renderStoryboard, type RenderResult } from '../project/render-storyboard';
import { ProjectBusyError } from '../queue/lease';
import { LookChangedError } from '../project/restyle';
import type { LookOptions } from '../storyboard/style';
import { OtherStoryboardError } from '../queue/project-owner';
import { FLAGGED_HOLD } from '../queue/store';
import { latestPerVariant } from '../queue/takes';
import { StoryboardError, formatIssue } from '../storyboard/issues';
import type { ProviderRegistry } from '../providers/registry';
import type { Job } from '../queue/job';
import type { QueueRunner, SubmitGuard } from '../queue/runner';
import { table, usd } from './format';
import { describeDiff } from '../storyboard/shot-diff';

/** Options of the render command. */
export interface RenderCommandOptions {
  /** The spend ledger guard (monthly budgets); none when the settings database is not used. */
  guard?: SubmitGuard;
  out: string;
  provider?: string;
  concurrency?: number;
  budget?: number;
  /** Takes of rows whose `takes` cell is empty (--takes). */
  takes?: number;
  /** --style, --negative, --characters. */
  look?: LookOptions;
  /** Re-render finished shots whose prompt changed because the style or a character did. */
  acceptChanges?: boolean;
  /** Force plain lines even on a terminal. */
  plain?: boolean;
  /** When another process is rendering the same folder, wait for it instead of exiting. */
  wait?: boolean;
  /** Submit again the jobs held as "may have been submitted twice" (the creator has checked the provider). */
  resubmitFlagged?: boolean;
  /** Remove the project's saved render budget. */
  clearBudget?: boolean;
  /** Render into a folder whose project belongs to another storyboard file. */
  replaceStoryboard?: boolean;
}

/** Exit code when another process is rendering the same output folder. */
export const EXIT_PROJECT_BUSY = 3;

/** Runs the command; returns the exit code. */
export async function renderCommand(file: string, registry: ProviderRegistry, opts: RenderCommandOptions, out = process.stdout, err = process.stderr): Promise<number> {
  const tty = !!(out as NodeJS.WriteStream).isTTY && !opts.plain;
  // On a terminal: how to keep the machine awake for the night (the desktop app does it by itself).
  if (tty) err.write(`${keepAwakeHint(process.platform, process.argv.slice(2))}\n`);
  const bar = tty ? new cliProgress.SingleBar({ format: 'rendering [{bar}] {value}/{total} takes | {status}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  const latest = new Map<number, Job>();
  let barStarted = false;
  let runner: QueueRunner | undefined;
  const waiting = new AbortController();
  let signals = 0;
  // First Ctrl-C: stop at a safe point, awaiting the answers of submits on their way (they are
  // what the service charges for). Second: abandon those too (they are flagged and held).
  const onSignal = () => {
    signals++;
    waiting.abort(new Error('interrupted while waiting for the project'));
    if (signals === 1) {
      const onTheirWay = runner?.submitsOnTheirWay ?? 0;
      err.write(`\nstopping: jobs in flight will resume when you run the same command again${onTheirWay ? `; waiting for the answers to ${onTheirWay} submit(s) on their way (Ctrl-C again to abandon them: they may be charged and will be held for you to check)` : ''}\n`);
      runner?.stop('interrupted');
    } else {
      err.write('\nabandoning the submits on their way: they are held as "may have been submitted twice"\n');
      runner?.abandonSubmits('interrupted');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: RenderResult;
  try {
    result = await renderStoryboard(file, registry, {
      outDir: opts.out,
      provider: opts.provider,
      concurrency: opts.concurrency,
      budgetUsd: opts.budget,
      takes: opts.takes,
      look: opts.look,
      acceptChanges: opts.acceptChanges,
      guard: opts.guard,
      waitForProject: opts.wait,
      resubmitFlagged: opts.resubmitFlagged,
      clearBudget: opts.clearBudget,
      replaceStoryboard: opts.replaceStoryboard,
      waitSignal: waiting.signal,
      onWaitForProject: (e) => err.write(`waiting: ${e.message.replace(/; wait for it.*$/, '')}\n`),
      onRunner: (r) => (runner = r),
      onEvent: (e) => {
        if (e.type === 'provider-paused') {
          bar?.stop();
          err.write(`provider ${e.provider} paused: ${e.reason}\n`);
          return;
        }
        if (e.type !== 'job') return;
        // One entry per take (job): with takes, a shot renders several.
        const prev = latest.get(e.job.id);
        latest.set(e.job.id, e.job);
        if (bar) {
          const total = latest.size;
          const done = [...latest.values()].filter((j) => j.state === 'succeeded' || j.state === 'failed').length;
          if (!barStarted) {
            bar.start(total, done, { status: '' });
            barStarted = true;
          }
          bar.setTotal(Math.max(total, 1));
          bar.update(done, { status: `shot ${e.job.shotKey} ${e.job.state}` });
        } else if (!prev || prev.state !== e.job.state) {
          out.write(`shot ${e.job.shotKey} take ${e.job.take}: ${e.job.state}${e.job.error && e.job.state !== 'succeeded' ? ` (${e.job.error})` : ''}\n`);
        }
      },
      onStitchProgress: tty ? undefined : undefined,
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof StoryboardError) {
      for (const i of e.issues) err.write(`${formatIssue(i, file)}\n`);
      err.write(`${describeErrorCount(e.issues)}: fix them and run again; nothing was queued.\n`);
      return 1;
    }
    if (e instanceof LookChangedError) {
      err.write(`${e.message}\n${e.fix}\n`);
      return 1;
    }
    if (e instanceof OtherStoryboardError) {
      err.write(`error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof ProjectBusyError) {
      err.write(`error: ${e.message}\n`);
      return EXIT_PROJECT_BUSY;
    }
    if (waiting.signal.aborted) return 130;
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  bar?.stop();
  return printSummary(result, out, opts.out);
}

function printSummary(result: RenderResult, out: NodeJS.WritableStream, dir: string): number {
  const { summary, sync } = result;
  if (result.changes) out.write(`\nthe storyboard changed since the last render: ${describeDiff(result.changes)}\n`);
  out.write(`\n${sync.kept} take(s) kept from an earlier run, ${sync.resumed} resumed, ${sync.queued} queued.\n`);
  const t = table(['shot', 'provider', 'state', 'take', 'seed', 'attempts', 'estimate', 'actual', 'clip / error']);
  // Per shot, the latest attempt of each of the row's takes and every New take (a failed take run again shows once).
  for (const j of latestPerVariant(result.takes)) {
    const actual = j.actualUsd !== null ? usd(j.actualUsd) : j.actualAmount !== null ? `${j.actualAmount} ${j.actualUnit}` : '-';
    const est = j.estimateUsd !== null ? usd(j.estimateUsd) : j.estimateMax !== null ? `${j.estimateMax} ${j.estimateUnit}` : '-';
    const what = j.state === 'succeeded' ? j.output : (j.holdReason ?? j.error ?? '');
    t.push([j.shotKey, j.provider, j.state + (j.maybeDuplicate ? ' (may have been submitted twice)' : ''), String(j.take), j.seed === null ? '-' : String(j.seed), String(j.attempts), est, actual, what ?? '']);
  }
  out.write(`${t.toString()}\n`);
  const waiting = Object.entries(summary.waiting);
  out.write(`${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.canceled} canceled${waiting.map(([r, n]) => `, ${n} waiting (${r})`).join('')}${summary.maybeDuplicate ? `, ${summary.maybeDuplicate} may have been submitted twice` : ''}\n`);
  const forBudget = waiting.filter(([r]) => r.startsWith('over budget')).reduce((a, [, n]) => a + n, 0);
  if (forBudget) out.write(`${forBudget} shot(s) wait for budget: raise the budget and run the same command again to continue them.\n`);
  const flagged = waiting.filter(([r]) => r === FLAGGED_HOLD).reduce((a, [, n]) => a + n, 0);
  if (flagged) out.write(`${flagged} shot(s) may have been submitted twice and wait for you: look in the provider's dashboard for a task you did not expect (the shot's events name the attempt), then run the same command with --resubmit-flagged to submit them again.\n`);
  for (const c of result.staleContinuity) {
    out.write(`shot ${c.shot} starts from the last frame of shot ${c.parent} take ${c.madeFromTake}, but the film now uses ${c.parentTake !== null ? `take ${c.parentTake}` : 'no take'} of shot ${c.parent}: to re-render it from that take, run ltx-batch new-take --out ${dir} --shot ${c.shot}\n`);
  }
  if (result.film) out.write(`film: ${path.resolve(result.film)} (${result.stitch!.duration.toFixed(2)} s, ${result.stitch!.mode}${result.stitch!.reencoded ? `, ${result.stitch!.reencoded} clip(s) re-encoded` : ''})\n`);
  if (!result.film) out.write(`no film written: ${result.filmSkipped}\n`);
  else if (result.placeholders?.length) out.write(`a rough cut: shot(s) ${result.placeholders.join(', ')} have no clip yet and are placeholder cards in the film\n`);
  return summary.failed > 0 || waiting.length > 0 || !result.film ? 1 : 0;
}
