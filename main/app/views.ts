/**
 * The views the renderer gets (main/contract/api.ts), built from the core's state. Never a key, a
 * path to open by itself (only URLs the transport serves), or a database handle.
 */
import path from 'node:path';
import type { IssueView, JobView, ProviderView, SettingsView, StoryboardView } from '../contract/api';
import { describeProvider } from '../providers/describe';
import { keyEnvName } from '../providers/remote-config';
import { ffmpegPath } from '../media/ffmpeg-path';
import { usd } from '../pricing/money';
import type { Job } from '../queue/job';
import { describeEdit } from '../project/edit-take';
import { KNOWN_COLUMNS } from '../storyboard/columns';
import { getSetting } from '../settings/app-settings';
import { budgetName, listBudgets, monthOf, spentUsd } from '../settings/ledger';
import { keyHint } from '../secrets/keychain';
import type { AppContext } from './context';
import { inAppWords } from './app-words';

/** A job as the queue screen shows it; `projectDir` resolves its clip. */
export function jobView(j: Job, projectDir: string | null, mediaUrl: (file: string) => string, takeOf?: (jobId: number | null) => number | undefined): JobView {
  const money = (amount: number | null, unit: string | null, usdValue: number | null) => (usdValue !== null ? usd(usdValue) : amount !== null ? `${amount} ${unit}` : '-');
  return {
    id: j.id,
    shotId: j.shotId,
    shot: j.shotKey,
    order: j.order,
    take: j.take,
    seed: j.seed,
    chosen: j.chosen,
    newTake: j.origin === 'new-take',
    edit: j.edit ? `${describeEdit(j.edit)} of take ${takeOf?.(j.fromJob) ?? '?'}` : null,
    durationS: j.state === 'succeeded' ? (j.media?.video?.duration ?? j.media?.duration ?? null) : null,
    provider: j.provider,
    state: j.state,
    progress: j.progress,
    attempts: j.attempts,
    error: inAppWords(j.error),
    holdReason: inAppWords(j.holdReason),
    estimate: j.estimateMin !== null && j.estimateMin !== j.estimateMax ? `${money(j.estimateMin, j.estimateUnit, null)}-${money(j.estimateMax, j.estimateUnit, j.estimateUsd)}` : money(j.estimateMax, j.estimateUnit, j.estimateUsd),
    actual: money(j.actualAmount, j.actualUnit, j.actualUsd),
    notes: j.notes.map((n) => inAppWords(n)),
    note: j.note,
    maybeDuplicate: j.maybeDuplicate,
    clipUrl: j.state === 'succeeded' && j.output && projectDir ? mediaUrl(path.join(projectDir, j.output)) : null,
  };
}

/** The loaded storyboard, or null when none is. */
export function storyboardView(ctx: AppContext): StoryboardView | null {
  const sb = ctx.storyboard;
  const s = ctx.sheet;
  if (!sb || !s) return null;
  const headers = (s.rows[0] ?? []).map((h, i) => ({ header: h, column: Object.entries(ctx.mapping?.known ?? {}).find(([, idx]) => idx === i)?.[0] ?? '' }));
  // A refused cell is shown as written (duration "-3"), not as the default the shot fell back to.
  const knownOf = new Map(headers.filter((h) => h.column).map((h) => [h.header.trim(), h.column]));
  const refused = new Map<number, Record<string, string>>();
  for (const i of sb.issues) {
    if (i.severity !== 'error' || i.row === undefined || !i.column) continue;
    const column = knownOf.get(i.column) ?? i.column;
    const idx = ctx.mapping?.known[column as keyof NonNullable<typeof ctx.mapping>['known']];
    const r = s.rowNumbers.indexOf(i.row);
    if (idx === undefined || r < 1) continue;
    refused.set(i.row, { ...refused.get(i.row), [column]: s.rows[r][idx] ?? '' });
  }
  return {
    file: sb.file,
    format: sb.format,
    issues: sb.issues.map((i) => ({ ...i, message: inAppWords(i.message) })) as IssueView[],
    headers,
    columns: [...KNOWN_COLUMNS],
    resultsOf: sb.resultsOf ?? null,
    saved: ctx.lastSave,
    look: {
      style: ctx.look.style ?? null,
      negative: ctx.look.negative ?? null,
      sources: (sb.look?.sources ?? []).map((src) => (src === '--style' ? 'the app\'s style' : src === '--negative' ? 'the app\'s negative prompt' : src)),
      characters: Object.entries(sb.look?.characters ?? {}).map(([name]) => ({ name, shots: sb.look?.uses[name] ?? 0 })),
    },
    shots: sb.shots.map((x) => ({
      row: x.row,
      id: x.id,
      prompt: x.rowPrompt ?? x.prompt,
      sentPrompt: x.rowPrompt !== undefined ? x.prompt : null,
      takes: x.takes ?? null,
      continueFrom: x.continueFrom ?? null,
      mode: x.mode,
      duration: x.duration,
      resolution: x.resolution.label,
      width: x.resolution.width,
      height: x.resolution.height,
      fps: x.fps,
      seed: x.seed,
      provider: x.provider ?? '',
      model: x.model ?? '',
      image: x.image?.original ?? null,
      audio: x.audio?.original ?? null,
      refused: refused.get(x.row) ?? null,
    })),
  };
}

/** Every provider with what it can do, its prices and whether it is ready. */
export function providerViews(ctx: AppContext): ProviderView[] {
  return ctx.deps.registry.all().map((p) => {
    const d = describeProvider(p);
    // In the app, the fix for a missing key is the Settings screen, not a terminal command.
    const notReady = inAppWords(d.notReady ?? null);
    return { id: d.id, label: d.label, kind: d.kind, keyless: !!p.keyless, modes: d.modes, resolutions: d.resolutions, duration: { min: d.duration.min, max: d.duration.max }, models: d.models, ready: d.ready, notReady, concurrency: d.concurrency, prices: d.prices, priceSource: d.priceSource, assumed: d.assumed, edits: p.capabilities().edits ?? [] };
  });
}

/** The monthly budgets with what is spent of each this month. */
export function monthlyBudgets(ctx: AppContext): { name: string; usd: number; provider?: string; spentUsd: number }[] {
  const month = monthOf();
  const db = ctx.deps.settings;
  return listBudgets(db).map((b) => ({ name: budgetName(b), usd: b.usd, provider: b.provider || undefined, spentUsd: spentUsd(db, month, b.scope === 'month' ? undefined : b.provider) }));
}

/** Settings: keys only as configured + last 4 characters, budgets, ffmpeg, the projects folder. */
export function settingsView(ctx: AppContext): SettingsView {
  const env = ctx.deps.env ?? process.env;
  let problem: string | null = null;
  const keys = ctx.deps.registry
    .all()
    .filter((p) => p.kind === 'remote' && !p.keyless)
    .map((p) => {
      const fromEnv = env[keyEnvName(p.id)];
      let stored: string | undefined;
      if (!fromEnv) {
        try {
          stored = ctx.deps.keys.get(p.id);
        } catch (e) {
          problem = (e as Error).message;
        }
      }
      const k = fromEnv ?? stored;
      return { provider: p.id, configured: !!k, hint: k ? keyHint(k) : null, source: fromEnv ? ('env' as const) : stored ? ('keychain' as const) : null, check: k ? (ctx.keyChecks.get(p.id) ?? null) : null };
    });
  let found: string | null = null;
  try {
    found = ffmpegPath();
  } catch {
    found = null;
  }
  const ff = getSetting(ctx.deps.settings, 'ffmpegPath');
  return {
    keys,
    keychainProblem: problem,
    budgets: monthlyBudgets(ctx).map((b) => ({ provider: b.provider ?? null, monthlyUsd: b.usd, spentUsd: b.spentUsd })),
    ffmpegPath: ff ?? null,
    ffmpegFound: found,
    projectsDir: ctx.deps.projectsDir,
    // A key saved here is live everywhere at once: the renderer takes the providers' readiness from this too.
    providers: providerViews(ctx),
  };
}
