/**
 * The core behind the renderer contract (main/contract/api.ts), implemented once and carried by
 * Electron IPC or by the browser-mode WebSocket. It owns the loaded storyboard, the open project,
 * the running queue, and the settings; the renderer gets views only (never a key, a path to open
 * by itself, or a database handle).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EstimateView, EventName, EventPayloads, IssueView, JobView, MethodName, MethodResults, ProjectView, ProviderView, SettingsView, StoryboardView, TimelineView } from '../contract/api';
import { KNOWN_COLUMNS, mapHeaders, type ColumnMapping } from '../storyboard/columns';
import { interpretSheet, readStoryboardSheet, type Storyboard } from '../storyboard/import';
import type { RawSheet } from '../storyboard/raw-sheet';
import { planStoryboard } from '../pricing/plan';
import { budgetName, clearBudget, ledgerGuard, listBudgets, monthOf, setBudget, spentUsd } from '../settings/ledger';
import type { ProviderRegistry } from '../providers/registry';
import { describeProvider } from '../providers/describe';
import { keyEnvName } from '../providers/remote-config';
import { getSetting, setSetting } from '../settings/app-settings';
import type { Job } from '../queue/job';
import type { QueueEvent, RunSummary } from '../queue/runner';
import { UserError } from '../project/errors';
import { ProjectSession, storyboardOfProject } from '../project/session';
import { CROSSFADE_SECONDS, readTimeline, updateTimeline } from '../timeline/timeline';
import { keyHint, type KeyStore } from '../secrets/keychain';
import type { Db } from '../queue/db';
import { ffmpegPath } from '../media/ffmpeg-path';
import { formatEstimate, usd } from '../pricing/money';

const run = promisify(execFile);

export { UserError };

/** What the service is built from; every side effect comes in here. */
export interface AppServiceDeps {
  registry: ProviderRegistry;
  keys: KeyStore;
  settings: Db;
  /** Folder where named projects are created. */
  projectsDir: string;
  /** Turns a file the renderer may play (a clip or film of the open project) into a URL. */
  mediaUrl: (file: string) => string;
  /** Sends an event to the renderer (queued by the transport until it is ready). */
  emit: <E extends EventName>(event: E, payload: EventPayloads[E]) => void;
  /** Electron only: shows an open dialog, returns the chosen path. */
  pickFile?: () => Promise<string | null>;
  env?: NodeJS.ProcessEnv;
  version?: string;
  electron?: boolean;
}

/** The service. One per app window (Electron) or per browser-mode server. */
export class AppService {
  private sheet: (RawSheet & { file: string; format: 'csv' | 'xlsx'; hash: string; dir: string }) | null = null;
  private mapping: ColumnMapping | null = null;
  private storyboard: Storyboard | null = null;
  /** The open project: its store, queue runs, lease, budgets (one per open project). */
  private session: ProjectSession | null = null;
  private readonly thumbs = new Map<number, string>();

  constructor(private readonly deps: AppServiceDeps) {}

  /** Stops the queue at a safe point and closes the project (app quit). */
  async shutdown(): Promise<void> {
    this.session?.stop('the app is quitting');
    await this.session?.idle();
    // Child processes (the local runner) exit before the app does.
    for (const p of this.deps.registry.all()) await p.close?.().catch(() => {});
    this.session?.close();
    this.session = null;
  }

  /** Dispatches a method already parsed by the contract. Throws UserError for the creator to read. */
  async handle<M extends MethodName>(method: M, args: unknown): Promise<MethodResults[M]> {
    const a = args as Record<string, never>;
    const r = await this.dispatch(method, a);
    return r as MethodResults[M];
  }

  private async dispatch(method: MethodName, a: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case 'app.ready':
        return { version: this.deps.version ?? '0.1.0', providers: this.providerViews(), settings: this.settingsView(), storyboard: this.storyboardView(), project: this.session?.dir ?? null, electron: !!this.deps.electron };
      case 'storyboard.openPath':
        return this.openPath(String(a.path));
      case 'storyboard.upload': {
        const name = path.basename(String(a.fileName));
        const bytes = Buffer.from(String(a.dataBase64), 'base64');
        const uploads = path.join(this.deps.projectsDir, 'uploads');
        fs.mkdirSync(uploads, { recursive: true });
        const file = path.join(uploads, name.replace(/[^A-Za-z0-9._ -]+/g, '_'));
        fs.writeFileSync(file, bytes);
        return this.openPath(file);
      }
      case 'storyboard.pick': {
        if (!this.deps.pickFile) throw new UserError('there is no file dialog in browser mode', 'use "Upload" or type the path of the storyboard on the render box');
        const p = await this.deps.pickFile();
        return p ? this.openPath(p) : null;
      }
      case 'storyboard.remap': {
        const sheet = this.requireSheet();
        const m = a.mapping as Record<string, number>;
        const headers = sheet.rows[0] ?? [];
        const known: ColumnMapping['known'] = {};
        for (const [col, idx] of Object.entries(m)) {
          if (!(KNOWN_COLUMNS as readonly string[]).includes(col)) throw new UserError(`"${col}" is not a storyboard column`, `columns are ${KNOWN_COLUMNS.join(', ')}`);
          if (idx >= 0) known[col as keyof ColumnMapping['known']] = idx;
        }
        const used = new Set(Object.values(known));
        this.mapping = { known, headers, duplicates: [], unknown: headers.map((h, index) => ({ header: h, index })).filter((u) => u.header.trim() && !used.has(u.index)) };
        this.reinterpret();
        return this.storyboardView();
      }
      case 'shots.edit': {
        const sheet = this.requireSheet();
        const i = sheet.rowNumbers.indexOf(Number(a.row));
        if (i < 1) throw new UserError(`row ${a.row} is not a shot of this storyboard`);
        const field = String(a.field) as keyof ColumnMapping['known'];
        const mapping = this.mapping!;
        let idx = mapping.known[field];
        if (idx === undefined) {
          idx = sheet.rows[0].length;
          sheet.rows[0].push(field);
          mapping.known[field] = idx;
        }
        while (sheet.rows[i].length <= idx) sheet.rows[i].push('');
        sheet.rows[i][idx] = String(a.value);
        this.reinterpret();
        return this.storyboardView();
      }
      case 'estimate.get':
        return this.estimateView(a.provider as string | undefined, a.budgetUsd as number | undefined);
      case 'render.start':
        return this.startRender(String(a.project), a as { provider?: string; budgetUsd?: number; concurrency?: number });
      case 'queue.list':
        return this.jobViews();
      case 'queue.pauseProvider':
        this.requireSession().pauseProvider(String(a.provider), 'paused by you');
        return null;
      case 'queue.resumeProvider':
        this.requireSession().resumeProvider(String(a.provider));
        this.kick();
        return null;
      case 'queue.cancel':
        this.requireSession().cancel(Number(a.jobId));
        return null;
      case 'queue.retry':
        this.requireSession().retry(Number(a.jobId));
        this.kick();
        return null;
      case 'queue.rerender': {
        const job = this.requireSession().rerender(Number(a.shotId));
        this.kick();
        return { jobId: job.id };
      }
      case 'timeline.get':
        return this.timelineView();
      case 'timeline.update': {
        const store = this.requireSession().store;
        try {
          updateTimeline(store, a.order as number[], a.takes as Record<string, number>, a.joints as ('cut' | 'crossfade')[]);
        } catch (e) {
          throw new UserError((e as Error).message);
        }
        return this.timelineView();
      }
      case 'timeline.export': {
        const session = this.requireSession();
        try {
          const res = await session.exportFilm((fraction) => this.deps.emit('export.progress', { fraction }));
          const url = this.deps.mediaUrl(res.file);
          const out = { filmUrl: `${url}${url.includes('?') ? '&' : '?'}v=${Date.now()}`, duration: res.duration };
          this.deps.emit('export.finished', out);
          return out;
        } catch (e) {
          throw new UserError(`the film could not be exported: ${(e as Error).message}`);
        }
      }
      case 'media.thumbnail':
        return { dataUrl: await this.thumbnail(Number(a.jobId)) };
      case 'projects.list':
        return this.listProjects();
      case 'settings.get':
        return this.settingsView();
      case 'settings.setKey':
        this.requireRemote(String(a.provider));
        this.keychain(() => this.deps.keys.set(String(a.provider), String(a.key)));
        return this.settingsView();
      case 'settings.deleteKey':
        this.requireRemote(String(a.provider));
        this.keychain(() => this.deps.keys.delete(String(a.provider)));
        return this.settingsView();
      case 'settings.setBudget': {
        const provider = (a.provider as string | undefined) ?? '';
        if (a.monthlyUsd === null) clearBudget(this.deps.settings, provider ? 'provider-month' : 'month', provider);
        else setBudget(this.deps.settings, { scope: provider ? 'provider-month' : 'month', provider, usd: Number(a.monthlyUsd) });
        return this.settingsView();
      }
      case 'settings.setFfmpegPath': {
        const p = a.path as string | null;
        if (p && !fs.existsSync(p)) throw new UserError(`there is no program at ${p}`, 'choose the ffmpeg program itself, e.g. /usr/bin/ffmpeg');
        this.setSetting('ffmpegPath', p);
        if (p) process.env.FFMPEG_PATH = p;
        else delete process.env.FFMPEG_PATH;
        return this.settingsView();
      }
      case 'settings.setProjectsDir': {
        const p = path.resolve(String(a.path));
        fs.mkdirSync(p, { recursive: true });
        this.setSetting('projectsDir', p);
        this.deps.projectsDir = p;
        return this.settingsView();
      }
      case 'runner.status':
        return this.runnerView();
      case 'runner.install': {
        const { runnerInstall } = await import('../runner/install');
        const sink = new (await import('node:stream')).Writable({ write: (_c, _e, cb) => cb() });
        let step = 0;
        const code = await runnerInstall({}, sink, (line) => {
          // install.sh prints "[ltx-runner-install] ..." lines; each is a step of about ten.
          step++;
          this.deps.emit('runner.installProgress', { line: line.replace(/^\[ltx-runner-install\]\s*/, ''), fraction: Math.min(0.95, step / 12) });
        });
        if (code !== 0) throw new UserError('the local runner could not be installed', 'see the lines above; it needs Python 3.10-3.13 and network access to PyPI');
        this.deps.emit('runner.installProgress', { line: 'installed', fraction: 1 });
        return this.runnerView();
      }
    }
  }

  private async runnerView(): Promise<import('../contract/api').RunnerView> {
    const local = this.deps.registry.get('local') as import('../providers/local/local').LocalProvider | undefined;
    const empty = { installed: false, available: false, reason: null, device: null, gpuName: null, vramGb: null, torch: null, cuda: null, memoryPolicy: null, model: null, weightsPresent: false };
    if (!local?.sidecar) return { ...empty, reason: 'this build has no local runner' };
    if (!local.sidecar.installed()) return { ...empty, reason: 'not installed' };
    try {
      const c = local.runnerCaps() ?? (await local.refresh());
      return { installed: true, available: c.available, reason: c.reason, device: c.device, gpuName: c.gpu_name, vramGb: c.vram_gb, torch: c.torch_version, cuda: c.cuda_version, memoryPolicy: c.memory_policy, model: c.model, weightsPresent: c.weights_present };
    } catch (e) {
      return { ...empty, installed: true, reason: (e as Error).message };
    }
  }

  private keychain(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }

  private requireRemote(id: string): void {
    const p = this.deps.registry.get(id);
    if (!p || p.kind !== 'remote') throw new UserError(`"${id}" is not a cloud provider`);
  }

  private setSetting(key: string, value: string | null): void {
    setSetting(this.deps.settings, key, value);
  }

  private requireSheet() {
    if (!this.sheet) throw new UserError('no storyboard is open', 'open a CSV or XLSX storyboard first');
    return this.sheet;
  }

  private requireSession(): ProjectSession {
    if (!this.session) throw new UserError('no project is open', 'render a storyboard first');
    return this.session;
  }

  private async openPath(file: string): Promise<StoryboardView> {
    if (!fs.existsSync(file)) throw new UserError(`there is no file at ${file}`);
    const read = await readStoryboardSheet(file);
    this.sheet = { ...read.sheet, file: read.file, format: read.format, hash: read.hash, dir: path.dirname(read.file) };
    this.mapping = read.sheet.rows.length ? mapHeaders(read.sheet.rows[0].map((h) => h.trim())) : null;
    this.reinterpret();
    return this.storyboardView()!;
  }

  private reinterpret(): void {
    const s = this.requireSheet();
    const res = interpretSheet(s, s.dir, this.mapping ?? undefined);
    this.storyboard = { file: s.file, format: s.format, hash: s.hash, ...res };
  }

  private storyboardView(): StoryboardView | null {
    const sb = this.storyboard;
    const s = this.sheet;
    if (!sb || !s) return null;
    const headers = (s.rows[0] ?? []).map((h, i) => ({ header: h, column: Object.entries(this.mapping?.known ?? {}).find(([, idx]) => idx === i)?.[0] ?? '' }));
    return {
      file: sb.file,
      format: sb.format,
      issues: sb.issues as IssueView[],
      headers,
      columns: [...KNOWN_COLUMNS],
      shots: sb.shots.map((x) => ({
        row: x.row,
        id: x.id,
        prompt: x.prompt,
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
      })),
    };
  }

  private monthly() {
    const month = monthOf();
    return listBudgets(this.deps.settings).map((b) => ({ name: budgetName(b), usd: b.usd, provider: b.provider || undefined, spentUsd: spentUsd(this.deps.settings, month, b.scope === 'month' ? undefined : b.provider) }));
  }

  private estimateView(provider?: string, budgetUsd?: number): EstimateView {
    const sb = this.storyboard;
    if (!sb) throw new UserError('no storyboard is open', 'open a CSV or XLSX storyboard first');
    const monthly = this.monthly();
    const plan = planStoryboard(sb.shots, this.deps.registry, { provider, budgetUsd, monthly });
    const invalidByRow = new Map<number, string>();
    for (const i of plan.issues) if (i.row !== undefined && !invalidByRow.has(i.row)) invalidByRow.set(i.row, `${i.column ? `${i.column}: ` : ''}${i.message}`);
    const tight = [...(budgetUsd !== undefined ? [{ name: `render budget $${budgetUsd.toFixed(2)}`, usd: budgetUsd, spentUsd: 0 }] : []), ...monthly.map((m) => ({ name: m.name, usd: m.usd, spentUsd: m.spentUsd }))]
      .map((b) => ({ ...b, left: b.usd - b.spentUsd }))
      .sort((x, y) => x.left - y.left)[0];
    return {
      rows: plan.rows.map((r) => ({
        row: r.shot.row,
        shot: r.shot.id,
        provider: r.provider,
        estimate: r.estimate ? formatEstimate(r.estimate) : '-',
        usdMax: r.usdMax,
        runningUsd: r.runningUsd,
        budgets: r.budgets,
        heldBack: r.heldBack ?? null,
        invalid: invalidByRow.get(r.shot.row) ?? null,
      })),
      totalUsd: plan.totalUsd,
      totals: Object.fromEntries(Object.entries(plan.totals).map(([k, t]) => [k, { shots: t.shots, usdMax: t.usdMax, credits: t.credits }])),
      bar: tight ? { name: tight.name, limitUsd: tight.usd, spentUsd: tight.spentUsd, storyboardUsd: plan.totalUsd } : null,
    };
  }

  /** The projects in the projects folder, most recently changed first, with the storyboard each belongs to. */
  private listProjects(): ProjectView[] {
    const root = this.deps.projectsDir;
    let names: string[];
    try {
      names = fs.readdirSync(root);
    } catch {
      return [];
    }
    const out: ProjectView[] = [];
    for (const name of names) {
      const db = path.join(root, name, 'project.sqlite');
      const st = fs.statSync(db, { throwIfNoEntry: false });
      if (!st) continue;
      let storyboard: string | null = null;
      try {
        const dir = path.join(root, name);
        storyboard = (this.session?.dir === dir ? this.session.owner() : storyboardOfProject(dir)) ?? null;
      } catch {
        /* a damaged or newer project: listed without its storyboard */
      }
      out.push({ name, storyboard, updatedAt: Math.max(st.mtimeMs, fs.statSync(`${db}-wal`, { throwIfNoEntry: false })?.mtimeMs ?? 0) });
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  private projectPath(project: string): string {
    return path.isAbsolute(project) ? project : path.join(this.deps.projectsDir, project.replace(/[^A-Za-z0-9._ -]+/g, '_'));
  }

  /** The session of the project at `dir`, opening it (and closing the one open before) when needed. */
  private openProject(dir: string): ProjectSession {
    if (this.session?.dir === dir) return this.session;
    if (this.session?.busy) throw new UserError('a render is already running', 'wait for it to finish, or pause its providers');
    this.session?.close();
    this.session = null;
    this.thumbs.clear();
    this.session = ProjectSession.open(dir, {
      registry: this.deps.registry,
      ledger: ledgerGuard(this.deps.settings, dir),
      leaseLabel: 'the LTX Batch app',
      onEvent: (e) => this.onQueueEvent(e),
    });
    return this.session;
  }

  private onQueueEvent(e: QueueEvent): void {
    if (e.type === 'job') this.emitJob(e.job);
    else if (e.type === 'provider-paused') this.deps.emit('provider.paused', { provider: e.provider, reason: e.reason });
  }

  private startRender(project: string, o: { provider?: string; budgetUsd?: number; concurrency?: number }): { project: string } {
    const sb = this.storyboard;
    if (!sb) throw new UserError('no storyboard is open', 'open a CSV or XLSX storyboard first');
    if (this.session?.busy) throw new UserError('a render is already running', 'wait for it to finish, or pause its providers');
    const errors = sb.issues.filter((i) => i.severity === 'error');
    if (errors.length) throw new UserError(`the storyboard has ${errors.length} error(s); nothing was queued`, 'fix the rows marked in red, then render again');
    const plan = planStoryboard(sb.shots, this.deps.registry, { provider: o.provider, budgetUsd: o.budgetUsd });
    const bad = plan.issues.filter((i) => i.severity === 'error');
    if (bad.length) throw new UserError(`${bad.length} row(s) cannot be rendered by the chosen provider (first: row ${bad[0].row}, ${bad[0].column}: ${bad[0].message}); nothing was queued`, 'change the provider of those rows or fix them');
    const dir = this.projectPath(project);
    const session = this.openProject(dir);
    // A project is its folder: another storyboard is never mixed into it (clips, timeline, film).
    const owner = session.owner();
    if (owner && path.resolve(owner) !== path.resolve(sb.file)) {
      throw new UserError(`project "${path.basename(dir)}" belongs to ${owner}; rendering ${path.basename(sb.file)} there would mix it into that project's clips, timeline and film`, 'give this render a new project name, or open that storyboard to continue its project');
    }
    session
      .render(sb, plan, { provider: o.provider, budgetUsd: o.budgetUsd, concurrency: o.concurrency, onStitchProgress: (fraction) => this.deps.emit('export.progress', { fraction }) })
      .then(
        (res) =>
          this.deps.emit('render.finished', {
            succeeded: res.summary.succeeded,
            failed: res.summary.failed,
            waiting: res.summary.waiting,
            filmUrl: res.film ? `${this.deps.mediaUrl(res.film)}` : null,
            filmSkipped: res.filmSkipped ?? null,
          }),
        (e) => this.deps.emit('render.failed', { message: (e as Error).message }),
      );
    return { project: dir };
  }

  /** Runs the open project's queue again (after a retry, a resume) when no run is in progress. */
  private kick(): void {
    if (!this.storyboard) return;
    this.session?.kick()?.then(
      (s: RunSummary) => this.deps.emit('render.finished', { succeeded: s.succeeded, failed: s.failed, waiting: s.waiting, filmUrl: null, filmSkipped: 'export the film from the timeline' }),
      (e) => this.deps.emit('render.failed', { message: (e as Error).message }),
    );
  }

  private jobView(j: Job): JobView {
    const money = (amount: number | null, unit: string | null, usdValue: number | null) => (usdValue !== null ? usd(usdValue) : amount !== null ? `${amount} ${unit}` : '-');
    return {
      id: j.id,
      shotId: j.shotId,
      shot: j.shotKey,
      order: j.order,
      take: j.take,
      provider: j.provider,
      state: j.state,
      progress: j.progress,
      attempts: j.attempts,
      error: j.error,
      holdReason: j.holdReason,
      estimate: j.estimateMin !== null && j.estimateMin !== j.estimateMax ? `${money(j.estimateMin, j.estimateUnit, null)}-${money(j.estimateMax, j.estimateUnit, j.estimateUsd)}` : money(j.estimateMax, j.estimateUnit, j.estimateUsd),
      actual: money(j.actualAmount, j.actualUnit, j.actualUsd),
      notes: j.notes,
      maybeDuplicate: j.maybeDuplicate,
      clipUrl: j.state === 'succeeded' && j.output && this.session ? this.deps.mediaUrl(path.join(this.session.dir, j.output)) : null,
    };
  }

  private emitJob(j: Job): void {
    this.deps.emit('job.updated', this.jobView(j));
  }

  private jobViews(): JobView[] {
    if (!this.session) return [];
    return this.session.store.jobs().map((j) => this.jobView(j));
  }

  private async probeDuration(file: string): Promise<number> {
    const { probe } = await import('../media/ffprobe');
    return (await probe(file)).duration;
  }

  private async timelineView(): Promise<TimelineView> {
    const store = this.requireSession().store;
    const tl = readTimeline(store);
    const clips = [];
    for (const t of tl) {
      const takes = [];
      for (const j of t.takes) {
        const file = path.join(store.dir, j.output!);
        takes.push({ jobId: j.id, take: j.take, clipUrl: this.deps.mediaUrl(file), duration: await this.probeDuration(file).catch(() => 0) });
      }
      const chosen = takes.find((k) => k.jobId === t.chosen?.id);
      clips.push({ shotId: t.shotId, shot: t.shotKey, takes, chosenJobId: t.chosen?.id ?? null, duration: chosen?.duration ?? 0 });
    }
    const film = path.join(store.dir, 'film.mp4');
    return { clips, joints: tl.slice(0, -1).map((t) => t.jointAfter), crossfadeSeconds: CROSSFADE_SECONDS, filmUrl: fs.existsSync(film) ? this.deps.mediaUrl(film) : null };
  }

  private async thumbnail(jobId: number): Promise<string> {
    const hit = this.thumbs.get(jobId);
    if (hit) return hit;
    const store = this.requireSession().store;
    const j = store.job(jobId);
    if (!j || j.state !== 'succeeded' || !j.output) throw new UserError(`shot take ${jobId} has no finished clip`);
    const { stdout } = await run(ffmpegPath(), ['-v', 'error', '-ss', '0.4', '-i', path.join(store.dir, j.output), '-frames:v', '1', '-vf', 'scale=160:-2', '-f', 'image2pipe', '-vcodec', 'mjpeg', '-'], { encoding: 'buffer', maxBuffer: 4 * 1024 * 1024 });
    const url = `data:image/jpeg;base64,${(stdout as unknown as Buffer).toString('base64')}`;
    this.thumbs.set(jobId, url);
    return url;
  }

  private providerViews(): ProviderView[] {
    return this.deps.registry.all().map((p) => {
      const d = describeProvider(p);
      // In the app, the fix for a missing key is the Settings screen, not a terminal command.
      const notReady = d.notReady && /^no API key for /.test(d.notReady) ? `no API key for ${d.id}: add it in Settings (it is kept in the OS keychain)` : d.notReady;
      return { id: d.id, label: d.label, kind: d.kind, modes: d.modes, resolutions: d.resolutions, duration: { min: d.duration.min, max: d.duration.max }, models: d.models, ready: d.ready, notReady, concurrency: d.concurrency, prices: d.prices, priceSource: d.priceSource, assumed: d.assumed };
    });
  }

  private settingsView(): SettingsView {
    const env = this.deps.env ?? process.env;
    let problem: string | null = null;
    const keys = this.deps.registry
      .all()
      .filter((p) => p.kind === 'remote')
      .map((p) => {
        const fromEnv = env[keyEnvName(p.id)];
        let stored: string | undefined;
        if (!fromEnv) {
          try {
            stored = this.deps.keys.get(p.id);
          } catch (e) {
            problem = (e as Error).message;
          }
        }
        const k = fromEnv ?? stored;
        return { provider: p.id, configured: !!k, hint: k ? keyHint(k) : null, source: fromEnv ? ('env' as const) : stored ? ('keychain' as const) : null };
      });
    const month = monthOf();
    let found: string | null = null;
    try {
      found = ffmpegPath();
    } catch {
      found = null;
    }
    const ff = getSetting(this.deps.settings, 'ffmpegPath');
    return {
      keys,
      keychainProblem: problem,
      budgets: listBudgets(this.deps.settings).map((b) => ({ provider: b.provider || null, monthlyUsd: b.usd, spentUsd: spentUsd(this.deps.settings, month, b.scope === 'month' ? undefined : b.provider) })),
      ffmpegPath: ff ?? null,
      ffmpegFound: found,
      projectsDir: this.deps.projectsDir,
    };
  }
}
