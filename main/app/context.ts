/**
 * What the app's handlers share: the service's dependencies, the loaded storyboard (the sheet as
 * read, its column mapping, the interpreted shots) and the open project's session. One per app
 * window (Electron) or per browser-mode server. Handlers (./handlers/) read and change it; the
 * renderer only ever gets views of it.
 */
import path from 'node:path';
import type { EventName, EventPayloads } from '../contract/api';
import type { ProviderRegistry } from '../providers/registry';
import type { KeyStore } from '../secrets/keychain';
import type { Db } from '../queue/db';
import type { Job } from '../queue/job';
import type { QueueEvent } from '../queue/runner';
import type { ColumnMapping } from '../storyboard/columns';
import { interpretSheet, type Storyboard } from '../storyboard/import';
import { getSetting, setSetting } from '../settings/app-settings';
import { watchStoryboard, type DiskChange } from './storyboard-watch';
import { planStoryboard } from '../pricing/plan';

/** The style and negative prompt a creator set in the app for a storyboard (style.ts, like --style / --negative). */
export interface AppLook {
  style?: string;
  negative?: string;
}
import type { RawSheet } from '../storyboard/raw-sheet';
import { ledgerGuard } from '../settings/ledger';
import { UserError } from '../project/errors';
import { ProjectSession } from '../project/session';
import { ProjectViewer } from './project-viewer';
import { jobView } from './views';
import { ProjectLog } from './project-log';
import { inAppWords } from './app-words';
import { keyEnvName } from '../providers/remote-config';

/** What the service is built from; every side effect comes in here. */
export interface AppServiceDeps {
  registry: ProviderRegistry;
  keys: KeyStore;
  settings: Db;
  /** Folder where named projects are created. */
  projectsDir: string;
  /** Turns a file the renderer may play (a clip or film of the open project) into a URL. */
  mediaUrl: (file: string) => string;
  /** Sends an event to the renderer (held by the transport until it is ready). */
  emit: <E extends EventName>(event: E, payload: EventPayloads[E]) => void;
  /** Electron only: shows an open dialog, returns the chosen path. */
  pickFile?: () => Promise<string | null>;
  env?: NodeJS.ProcessEnv;
  version?: string;
  electron?: boolean;
}

/** The storyboard sheet as read, with where it came from. */
export type LoadedSheet = RawSheet & { file: string; format: 'csv' | 'xlsx'; hash: string; dir: string };

/** The state the handlers share. */
export class AppContext {
  sheet: LoadedSheet | null = null;
  mapping: ColumnMapping | null = null;
  /** The provider the last estimate was asked with (the Shots screen's), for pricing a change on disk. */
  lastProvider: string | undefined;
  /** A change of the storyboard file on disk the creator has not applied or dismissed yet. */
  diskChange: DiskChange | null = null;
  private unwatch: (() => void) | null = null;
  /** The last save of an edit back to the storyboard file (null before any in this app run, or after opening another). */
  lastSave: { file: string; backup: string | null; copyBecause: string | null } | null = null;
  /** The open storyboard's style from the app's project settings (saved per storyboard file; see {@link setLook}). */
  look: AppLook = {};
  storyboard: Storyboard | null = null;
  /** The open project (one session per open project). */
  session: ProjectSession | null = null;
  /** Thumbnails of the open project's clips by job id (data: URLs). */
  readonly thumbs = new Map<number, string>();
  /** Who is rendering the open project when another process is (the app follows it read-only). */
  heldBy: string | null = null;
  private viewer: ProjectViewer | null = null;
  /** Ends a wait for another process's render (app quit). */
  readonly waiting = new AbortController();

  readonly deps: AppServiceDeps;
  /** The open project's log (DIR/logs/ltx-batch.log); every event the app sends passes by it. */
  private log: ProjectLog | null = null;
  private secretsCache: { at: number; keys: (string | undefined)[] } | null = null;
  /** The last check of each provider's key in this app run (Settings shows it beside the key). */
  readonly keyChecks = new Map<string, { ok: boolean; message: string; at: string }>();

  constructor(deps: AppServiceDeps) {
    this.deps = {
      ...deps,
      emit: (event, payload) => {
        try {
          this.log?.event(event, payload);
        } catch {
          // a log that cannot be written never stops the batch
        }
        // What the renderer shows is said in the app's terms (its controls, not CLI commands).
        if (event === 'render.failed') {
          const p = payload as EventPayloads['render.failed'];
          return deps.emit(event, { ...p, message: inAppWords(p.message) } as EventPayloads[typeof event]);
        }
        if (event === 'provider.paused') {
          const p = payload as EventPayloads['provider.paused'];
          return deps.emit(event, { ...p, reason: inAppWords(p.reason) } as EventPayloads[typeof event]);
        }
        deps.emit(event, payload);
      },
    };
  }

  /** The keys the app knows (keychain and environment), to mask in the log; read at most once a minute. */
  secrets(): (string | undefined)[] {
    if (this.secretsCache && Date.now() - this.secretsCache.at < 60_000) return this.secretsCache.keys;
    const keys = this.deps.registry
      .all()
      .filter((p) => p.kind === 'remote' && !p.keyless)
      .flatMap((p) => {
        let stored: string | undefined;
        try {
          stored = this.deps.keys.get(p.id);
        } catch {
          stored = undefined;
        }
        return [stored, process.env[keyEnvName(p.id)]];
      });
    this.secretsCache = { at: Date.now(), keys };
    return keys;
  }

  /** Forgets the cached keys (a key was saved or deleted). */
  forgetSecrets(): void {
    this.secretsCache = null;
  }

  /** The open project's log, for a line the handlers write themselves. */
  projectLog(): ProjectLog | null {
    return this.log;
  }

  requireSheet(): LoadedSheet {
    if (!this.sheet) throw new UserError('no storyboard is open', 'open a CSV or XLSX storyboard first');
    return this.sheet;
  }

  requireStoryboard(): Storyboard {
    if (!this.storyboard) throw new UserError('no storyboard is open', 'open a CSV or XLSX storyboard first');
    return this.storyboard;
  }

  requireSession(): ProjectSession {
    if (!this.session) throw new UserError('no project is open', 'render a storyboard first');
    return this.session;
  }

  /**
   * The open project's session, for a change (cancel, retry, a new take, timeline edits);
   * throws UserError while another process is rendering the project (the app only follows it).
   */
  requireDriver(): ProjectSession {
    const s = this.requireSession();
    if (this.heldBy) throw new UserError(`read-only: ${this.heldBy}`, 'it opens for changes when that render ends; the app then goes on with your render');
    return s;
  }

  /** Follows another process's render of the open project (read-only) until {@link endViewing}. */
  viewHeld(holder: string): void {
    const s = this.requireSession();
    this.heldBy = holder;
    this.viewer?.stop();
    this.viewer = new ProjectViewer(s.store, (j) => this.emitJob(j));
    this.viewer.start();
    this.deps.emit('project.held', { holder });
  }

  /** The project is this app's again: stop following, say so. */
  endViewing(): void {
    this.viewer?.stop();
    this.viewer = null;
    if (this.heldBy === null) return;
    this.heldBy = null;
    this.deps.emit('project.held', { holder: null });
  }

  /** Interprets the sheet again with the current mapping (after a remap or an edit). */
  reinterpret(): void {
    const s = this.requireSheet();
    const res = interpretSheet(s, s.dir, this.mapping ?? undefined, this.look);
    this.storyboard = { file: s.file, format: s.format, hash: s.hash, ...res };
  }

  /**
   * Watches the open storyboard's file: a change on disk (not the app's own save) is reported with
   * the event storyboard.changedOnDisk, what changed in shots and its cost, and waits for the
   * creator's applyDiskChange or keepMine.
   */
  watchSheet(): void {
    this.unwatch?.();
    this.diskChange = null;
    const s = this.sheet;
    if (!s) return;
    this.unwatch = watchStoryboard(
      s.file,
      () => ({ storyboard: this.storyboard, hash: this.sheet?.hash ?? '', look: this.look }),
      (shots) => new Map(planStoryboard(shots, this.deps.registry, { provider: this.lastProvider }).rows.map((r) => [r.shot.id, r.usdMax])),
      (c) => {
        this.diskChange = c;
        this.deps.emit('storyboard.changedOnDisk', { file: c.file, summary: c.summary, changed: c.diff.changed, added: c.diff.added, removed: c.diff.removed, usd: c.diff.usd });
      },
    );
  }

  /** Keeps the version the app holds: the change on disk is not asked about again (the next edit saves over it, keeping it as the backup). */
  keepMine(): void {
    if (this.sheet && this.diskChange) this.sheet.hash = this.diskChange.hash;
    this.diskChange = null;
  }

  /** Reads the style the app saved for the storyboard `file` (none when it saved none). */
  loadLook(file: string): void {
    const raw = getSetting(this.deps.settings, `look:${file}`);
    try {
      this.look = raw ? (JSON.parse(raw) as AppLook) : {};
    } catch {
      this.look = {};
    }
  }

  /**
   * Sets the open storyboard's style (a `{prompt}` in `style` marks where the row's prompt goes;
   * without one the style follows it) and negative prompt, saved for this storyboard file, over a
   * workbook's Style sheet; empty text clears a field. Interprets the sheet again.
   */
  setLook(look: AppLook): void {
    const s = this.requireSheet();
    const clean: AppLook = {};
    if (look.style?.trim()) clean.style = look.style.trim();
    if (look.negative?.trim()) clean.negative = look.negative.trim();
    this.look = clean;
    setSetting(this.deps.settings, `look:${s.file}`, Object.keys(clean).length ? JSON.stringify(clean) : null);
    this.reinterpret();
  }

  /** The folder of a project named in the app (a name under the projects folder, or an absolute path). */
  projectPath(project: string): string {
    return path.isAbsolute(project) ? project : path.join(this.deps.projectsDir, project.replace(/[^A-Za-z0-9._ -]+/g, '_'));
  }

  /** The session of the project at `dir`, opening it (and closing the one open before) when needed. */
  openProject(dir: string): ProjectSession {
    if (this.session?.dir === dir) return this.session;
    if (this.session?.busy) throw new UserError('a render is already running', 'wait for it to finish, or pause its providers');
    this.session?.close();
    this.session = null;
    void this.log?.close();
    this.log = null;
    this.thumbs.clear();
    this.log = new ProjectLog(dir, () => this.secrets());
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

  emitJob(j: Job): void {
    this.deps.emit('job.updated', jobView(j, this.session?.dir ?? null, this.deps.mediaUrl, (id) => (id === null ? undefined : this.session?.store.job(id)?.take)));
  }

  /** Runs the open project's queue again (after a retry, a new take, a resume) when no run is in progress. */
  kick(): void {
    if (!this.storyboard) return;
    this.session?.kick()?.then(
      (s) => this.deps.emit('render.finished', { succeeded: s.succeeded, failed: s.failed, waiting: s.waiting, filmUrl: null, filmSkipped: 'export the film from the timeline', placeholders: [] }),
      (e) => this.deps.emit('render.failed', { message: (e as Error).message }),
    );
  }

  /** Cuts the submits a quitting app is waiting for (the quit was asked for again). */
  abandonSubmits(): void {
    this.session?.abandonSubmits('the app is quitting');
  }

  /** Stops the queue at a safe point, waits for the run, closes the project (app quit). */
  async shutdown(): Promise<void> {
    this.unwatch?.();
    this.waiting.abort(new Error('the app is quitting'));
    this.endViewing();
    this.session?.stop('the app is quitting');
    await this.session?.idle();
    // Child processes (the local runner) exit before the app does.
    for (const p of this.deps.registry.all()) await p.close?.().catch(() => {});
    this.session?.close();
    this.session = null;
    await this.log?.close();
    this.log = null;
  }
}
