/**
 * `ltx-batch retake --out DIR --shot ID --from S --to S [--take N] [--mode M] [--prompt TEXT]` and
 * `ltx-batch extend --out DIR --shot ID --by S [--at end|start] [--take N] [--prompt TEXT]`: redo a
 * section of a take, or add seconds to it, as the shot's next take (main/project/edit-take.ts).
 * Prints the new take's estimate first (`--estimate` stops there), renders it under the project's
 * and the monthly budgets, and stitches the film again when every shot has a clip. The take is the
 * shot's chosen take unless `--take` names one. Seconds throughout.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { ProviderRegistry } from '../providers/registry';
import type { RetakeMode, TakeEdit } from '../providers/provider';
import type { SubmitGuard } from '../queue/runner';
import type { Job } from '../queue/job';
import { ProjectSession } from '../project/session';
import { describeEdit } from '../project/edit-take';
import { UserError } from '../project/errors';
import { ProjectBusyError } from '../queue/lease';
import { usd } from './format';
import { EXIT_PROJECT_BUSY } from './render-command';

/** Options shared by retake and extend. */
export interface EditCommandOptions {
  out: string;
  shot: string;
  /** Take number of the shot; default its chosen take. */
  take?: number;
  prompt?: string;
  /** Print the estimate and stop. */
  estimate?: boolean;
  /** The spend ledger's guard (monthly budgets). */
  guard?: SubmitGuard;
}

/** `retake` options: the section in seconds and which tracks it replaces. */
export interface RetakeOptions extends EditCommandOptions {
  from: number;
  to: number;
  mode?: RetakeMode;
}

/** `extend` options: seconds to add and where. */
export interface ExtendOptions extends EditCommandOptions {
  by: number;
  at?: 'end' | 'start';
}

/** The edit the options ask for. */
export function editOf(kind: 'retake', o: RetakeOptions): TakeEdit;
export function editOf(kind: 'extend', o: ExtendOptions): TakeEdit;
export function editOf(kind: 'retake' | 'extend', o: RetakeOptions | ExtendOptions): TakeEdit {
  const prompt = o.prompt !== undefined ? { prompt: o.prompt } : {};
  if (kind === 'retake') {
    const r = o as RetakeOptions;
    return { kind, startS: r.from, durationS: Math.round((r.to - r.from) * 1000) / 1000, mode: r.mode ?? 'replace_audio_and_video', ...prompt };
  }
  const x = o as ExtendOptions;
  return { kind, seconds: x.by, at: x.at ?? 'end', ...prompt };
}

/** Runs `retake` or `extend`; returns the exit code (1: refused, failed or held; 3: the project is busy). */
export function editCommand(edit: TakeEdit, registry: ProviderRegistry, o: EditCommandOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  return takeCommand(`ltx-batch ${edit.kind}`, registry, o, out, err, async (session, source) => {
    await registry.get(source.provider)?.prepare?.();
    const plan = session.previewEdit(source.id, edit);
    const cost = plan.usdMax !== null ? usd(plan.usdMax) : `${plan.estimate.max} ${plan.estimate.unit}`;
    out.write(`${describeEdit(edit)} of shot ${o.shot} take ${source.take} on ${plan.provider}: a new take of ${Math.round(plan.lengthS * 100) / 100} s, ${cost} (${plan.estimate.basis})\n`);
    if (plan.overBudget) {
      err.write(`it would be held: ${plan.overBudget}; raise the budget (ltx-batch render ... --budget USD) and run this again\n`);
      return 1;
    }
    if (o.estimate) return 0;
    return session.editTake(source.id, edit);
  });
}

/**
 * `ltx-batch new-take --out DIR --shot ID [--seed N]`: renders the shot again as a new take (the
 * next seed it has not used, or `--seed`), like the app's New take: a continued shot starts from
 * its parent's chosen take. The new take becomes the chosen take unless one was chosen by hand.
 */
export function newTakeCommand(registry: ProviderRegistry, o: EditCommandOptions & { seed?: number }, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  return takeCommand('ltx-batch new-take', registry, { ...o, take: undefined }, out, err, async (session, source) => session.rerender(source.shotId, o.seed));
}

/**
 * Opens the project, finds the shot's take (`--take`, else the chosen one), lets `queue` add a take
 * (or return an exit code to stop), renders it and stitches the film again when every shot has a clip.
 */
async function takeCommand(label: string, registry: ProviderRegistry, o: EditCommandOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream, queue: (session: ProjectSession, source: Job) => Promise<Job | number>): Promise<number> {
  if (!fs.existsSync(path.join(o.out, 'project.sqlite'))) {
    err.write(`${o.out} holds no project (no project.sqlite); render a storyboard into it first\n`);
    return 1;
  }
  const session = ProjectSession.open(o.out, { registry, ledger: o.guard, leaseLabel: label });
  try {
    const shot = session.store.shots().find((s) => s.shotKey === o.shot);
    if (!shot) throw new UserError(`the project has no shot "${o.shot}"`, `shots: ${session.store.shots().map((s) => s.shotKey).join(', ')}`);
    const takes = session.store.jobs().filter((j) => j.shotId === shot.id);
    const source = o.take !== undefined ? takes.filter((j) => j.take === o.take).at(-1) : (takes.find((j) => j.id === shot.chosenJobId) ?? takes.at(-1));
    if (!source) throw new UserError(o.take !== undefined ? `shot ${o.shot} has no take ${o.take}` : `shot ${o.shot} has no take yet`, o.take !== undefined ? `takes: ${takes.map((j) => j.take).join(', ')}` : 'render it first');
    const job = await queue(session, source);
    if (typeof job === 'number') return job;
    out.write(`shot ${o.shot} take ${job.take} queued\n`);
    await session.runQueue({});
    const done = session.store.job(job.id)!;
    if (done.state !== 'succeeded') {
      err.write(`shot ${o.shot} take ${done.take}: ${done.state}${done.holdReason ? ` (${done.holdReason})` : done.error ? ` (${done.error})` : ''}\n`);
      return 1;
    }
    out.write(`shot ${o.shot} take ${done.take}: ${done.output}${done.chosen ? ' (now the chosen take)' : ''}\n`);
    const missing = session.store.shotsWithoutCurrentClip();
    if (missing.length) {
      out.write(`no film written: ${missing.length} shot(s) have no clip yet\n`);
      return 0;
    }
    const film = await session.exportFilm();
    out.write(`film: ${path.resolve(film.file)} (${film.duration.toFixed(2)} s)\n`);
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      err.write(`error: ${e.message}${e.fix ? `\n${e.fix}` : ''}\n`);
      return 1;
    }
    if (e instanceof ProjectBusyError) {
      err.write(`error: ${e.message}\n`);
      return EXIT_PROJECT_BUSY;
    }
    throw e;
  } finally {
    await session.idle();
    for (const p of registry.all()) await p.close?.().catch(() => {});
    session.close();
  }
}
