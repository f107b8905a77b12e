/**
 * App-wide state: what app.ready returned, the loaded storyboard and its estimate, the jobs of the
 * open project (kept live from job.updated events), render and export status, settings. Screens
 * change it through the API and the actions here only.
 *
 * It is one zustand store made of slices (session, navigation, storyboard, jobs, render, timeline,
 * settings). Components subscribe to the fields they show with a selector — useApp('storyboard',
 * 'setScreen'), useAppStore((s) => s.jobStats.ended), useJob(id) — and render again only when
 * those change: a job update renders the Queue screen's row of that job and the counters, not the
 * other screens or the other rows. Job updates are applied at most once per animation frame
 * (./jobs.ts does the work in proportion to the updates, not to the 10,000 jobs).
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { createStore, useStore, type StoreApi } from 'zustand';
import { useShallow } from 'zustand/shallow';
import type { ErrorView, EstimateView, EventPayloads, JobView, ProviderView, SettingsView, StoryboardView, TimelineView } from '../../main/contract/api';
import { getApi, toErrorView, type ApiClient, type ConnectionState } from './api';
import { projectNameFor } from './format';
import { askToNotify, notifyOf } from './notify';
import { applyJobChanges, jobsDataOf, NO_JOBS, type JobsData } from './jobs';
import { clearThumbnails } from './thumbnails';

export type { JobStats } from './jobs';

/** The screens of the app (one shown at a time). */
export type Screen = 'import' | 'shots' | 'queue' | 'timeline' | 'settings';

/** Where the render of the open project stands, as the renderer last heard. */
export type RenderStatus =
  | { kind: 'idle' }
  | { kind: 'running'; project: string }
  | { kind: 'finished'; result: EventPayloads['render.finished'] }
  | { kind: 'failed'; message: string };

/** Batch options chosen on the Shots screen. */
export interface BatchOptions {
  provider: string;
  budgetUsd: number | null;
  project: string;
}

/** The link to the core and what app.ready said. */
export interface SessionSlice {
  api: ApiClient;
  connection: ConnectionState;
  booted: boolean;
  bootError: ErrorView | null;
  version: string;
  electron: boolean;
  providers: ProviderView[];
  /** The open project's folder, or null. */
  project: string | null;
  /** Who else is rendering the open project (the app follows it read-only), or null. */
  heldBy: string | null;
}

/** Which screen is shown. */
export interface NavSlice {
  screen: Screen;
  setScreen: (s: Screen) => void;
  /** A storyboard row to bring into view on the Shots screen (from a problem on the Import screen). */
  focusRow: number | null;
  showRow: (row: number) => void;
}

/** The loaded storyboard, its estimate and the batch options. */
export interface StoryboardSlice {
  storyboard: StoryboardView | null;
  setStoryboard: (s: StoryboardView | null) => void;
  estimate: EstimateView | null;
  estimateError: ErrorView | null;
  estimating: boolean;
  batch: BatchOptions;
  setBatch: (b: Partial<BatchOptions>) => void;
  /** The storyboard file changed on disk and the creator has not applied or kept theirs yet. */
  diskChange: EventPayloads['storyboard.changedOnDisk'] | null;
  setDiskChange: (c: EventPayloads['storyboard.changedOnDisk'] | null) => void;
}

/** The open project's jobs (see ./jobs.ts): select one job, the ids, or the counts, never all. */
export interface JobsSlice extends JobsData {
  /** Loads the open project's jobs again (queue.list). */
  refreshJobs: () => Promise<void>;
}

/** The render, paused providers and the stitching progress. */
export interface RenderSlice {
  render: RenderStatus;
  /** Starts a render of the open storyboard; `acceptChanges` is the creator's go-ahead to re-render shots restyled by a changed style or character. */
  /** Renders the open storyboard (every row, or the spreadsheet `rows` given: render selected, render failed only). */
  startRender: (o?: { acceptChanges?: boolean; rows?: number[] }) => Promise<void>;
  /** Paused providers: provider id -> why. */
  paused: Record<string, string>;
  setPaused: (provider: string, reason: string | null) => void;
  /** 0..1 while a film is being stitched (export or the end of a render), else null. */
  stitchFraction: number | null;
}

/** The open project's timeline. */
export interface TimelineSlice {
  timeline: TimelineView | null;
  setTimeline: (t: TimelineView | null) => void;
  refreshTimeline: () => Promise<void>;
  timelineError: ErrorView | null;
}

/** Settings and the local runner's install. */
export interface SettingsSlice {
  settings: SettingsView | null;
  setSettings: (s: SettingsView) => void;
  /** Lines and progress of a local-runner install ("runner.installProgress"), while one runs or after. */
  runnerInstall: { lines: string[]; fraction: number | null } | null;
  clearRunnerInstall: () => void;
}

/** The whole app state: every slice. */
export type AppState = SessionSlice & NavSlice & StoryboardSlice & JobsSlice & RenderSlice & TimelineSlice & SettingsSlice;
/** The app state as useApp() gives it (the name screens used before the store had slices). */
export type AppContextValue = AppState;

const ENDED = new Set(['succeeded', 'failed', 'canceled']);

type SetState = StoreApi<AppState>['setState'];
type GetState = StoreApi<AppState>['getState'];

/**
 * Collects job.updated events (thousands for a big storyboard) and publishes them to the store at
 * most once per animation frame (every 16 ms while the page is hidden, when frames stop).
 */
class JobFeed {
  /** Every job of the open project by id, ahead of the store until the next flush. */
  jobs = new Map<number, JobView>();
  private pending = new Map<number, JobView>();
  private replaced = false;
  private queued = false;

  constructor(private readonly publish: (next: (prev: JobsData) => JobsData) => void) {}

  /** One job changed (or is new). */
  update(j: JobView): void {
    this.jobs.set(j.id, j);
    this.pending.set(j.id, j);
    this.schedule();
  }

  /** The whole list changed (queue.list, or nothing is open: an empty list). */
  replace(list: JobView[]): void {
    this.jobs = new Map(list.map((j) => [j.id, j]));
    this.pending.clear();
    this.replaced = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    const flush = () => this.flush();
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(flush);
    else setTimeout(flush, 16);
  }

  private flush(): void {
    this.queued = false;
    if (this.replaced) {
      this.replaced = false;
      this.pending.clear();
      const all = this.jobs.values();
      this.publish(() => jobsDataOf(all));
    } else if (this.pending.size) {
      const batch = [...this.pending.values()];
      this.pending.clear();
      this.publish((prev) => applyJobChanges(prev, batch));
    }
  }
}

function sessionSlice(api: ApiClient): SessionSlice {
  return { api, connection: api.state(), booted: false, bootError: null, version: '', electron: api.electron, providers: [], project: null, heldBy: null };
}

function navSlice(set: SetState): NavSlice {
  return {
    screen: 'import',
    setScreen: (screen) => set({ screen }),
    focusRow: null,
    showRow: (row) => set({ focusRow: row, screen: 'shots' }),
  };
}

function storyboardSlice(set: SetState, get: GetState, api: ApiClient): StoryboardSlice {
  // A newly opened storyboard proposes its file name as the project name, made unique when a
  // project of that name belongs to another storyboard (a project is its folder: never reused).
  let storyboardFile: string | null = null;
  const setBatch = (b: Partial<BatchOptions>) => set((s) => ({ batch: { ...s.batch, ...b } }));
  return {
    storyboard: null,
    diskChange: null,
    setDiskChange: (c) => set({ diskChange: c }),
    setStoryboard: (sb) => {
      if (sb && sb.file !== storyboardFile && sb.resultsOf) {
        // A results workbook goes on with the project it was written from.
        setBatch({ project: sb.resultsOf });
      } else if (sb && sb.file !== storyboardFile) {
        const base = projectNameFor(sb.file);
        setBatch({ project: base });
        api.call('projects.list', {}).then(
          (list) => {
            const taken = (name: string) => list.some((p) => p.name === name && p.storyboard !== null && p.storyboard !== sb.file);
            let name = base;
            for (let i = 2; taken(name); i++) name = `${base}-${i}`;
            if (name !== base && get().batch.project === base) setBatch({ project: name });
          },
          () => {},
        );
      }
      storyboardFile = sb?.file ?? null;
      set({ storyboard: sb });
    },
    estimate: null,
    estimateError: null,
    estimating: false,
    batch: { provider: '', budgetUsd: null, project: '' },
    setBatch,
  };
}

function renderSlice(set: SetState, get: GetState, api: ApiClient): RenderSlice {
  return {
    render: { kind: 'idle' },
    startRender: async (o = {}) => {
      const { batch, storyboard, refreshJobs } = get();
      // Asked from the Render click: a notification when the batch ends, stops or pauses.
      if (!api.electron) askToNotify();
      const r = await api.call('render.start', {
        project: batch.project.trim() || (storyboard ? projectNameFor(storyboard.file) : 'project'),
        provider: batch.provider || undefined,
        budgetUsd: batch.budgetUsd ?? undefined,
        ...(o.acceptChanges ? { acceptChanges: true } : {}),
        ...(o.rows ? { rows: o.rows } : {}),
      });
      set({ project: r.project, render: { kind: 'running', project: r.project }, paused: {}, timeline: null, screen: 'queue' });
      // The authoritative list (kept clips of an earlier run included); events keep it live after.
      await refreshJobs().catch(() => {});
    },
    paused: {},
    setPaused: (provider, reason) =>
      set((s) => {
        const paused = { ...s.paused };
        if (reason === null) delete paused[provider];
        else paused[provider] = reason;
        return { paused };
      }),
    stitchFraction: null,
  };
}

function timelineSlice(set: SetState, api: ApiClient): TimelineSlice {
  return {
    timeline: null,
    setTimeline: (timeline) => set({ timeline }),
    refreshTimeline: async () => {
      try {
        set({ timeline: await api.call('timeline.get', {}), timelineError: null });
      } catch (e) {
        set({ timelineError: toErrorView(e) });
      }
    },
    timelineError: null,
  };
}

function settingsSlice(set: SetState): SettingsSlice {
  return {
    settings: null,
    // A key saved in Settings is live everywhere at once: the providers' readiness comes with the settings.
    setSettings: (settings) => set({ settings, providers: settings.providers }),
    runnerInstall: null,
    clearRunnerInstall: () => set({ runnerInstall: null }),
  };
}

/** The store of one app window and what only its provider drives (events, boot). */
interface AppStore {
  store: StoreApi<AppState>;
  feed: JobFeed;
  /** app.ready, then the open project's jobs; again after a reconnect. */
  boot: () => Promise<void>;
  /** Subscribes to the core's events; returns the unsubscribe function. */
  listen: () => () => void;
}

function createAppStore(api: ApiClient): AppStore {
  let feed!: JobFeed;
  const store = createStore<AppState>()((set, get) => {
    feed = new JobFeed((next) => set((s) => next(s)));
    const jobs: JobsSlice = {
      ...NO_JOBS,
      refreshJobs: async () => {
        feed.replace(await api.call('queue.list', {}));
      },
    };
    return {
      ...sessionSlice(api),
      ...navSlice(set),
      ...storyboardSlice(set, get, api),
      ...jobs,
      ...renderSlice(set, get, api),
      ...timelineSlice(set, api),
      ...settingsSlice(set),
    };
  });
  const { setState: set, getState: get } = store;

  // Another project: the thumbnails of the previous one are not shown again (they are kept by clip
  // URL, so they never stand for another project's clips; this only keeps the cache small).
  let lastProject: string | null = null;
  store.subscribe((s) => {
    if (s.project === null || s.project === lastProject) return;
    if (lastProject !== null) clearThumbnails();
    lastProject = s.project;
  });

  const boot = async () => {
    try {
      const r = await api.call('app.ready', {});
      set({ version: r.version, electron: r.electron, providers: r.providers, settings: r.settings });
      // The core's state wins (after a reconnect it may have restarted with nothing open).
      get().setStoryboard(r.storyboard);
      set({ project: r.project, heldBy: r.heldBy });
      if (r.project) {
        await get().refreshJobs();
        const live = [...feed.jobs.values()].some((j) => !ENDED.has(j.state));
        set((s) => ({ render: live ? { kind: 'running', project: r.project! } : s.render.kind === 'running' ? { kind: 'idle' } : s.render }));
      } else {
        feed.replace([]);
        set({ render: { kind: 'idle' }, timeline: null });
      }
      set({ bootError: null, booted: true });
    } catch (e) {
      set({ bootError: toErrorView(e) });
    }
  };

  const listen = () => {
    const afterRender = () => {
      set({ stitchFraction: null });
      void get().refreshJobs().catch(() => {});
    };
    const offs = [
      api.on('job.updated', (j) => {
        feed.update(j);
        if (!ENDED.has(j.state) && get().render.kind !== 'running') set({ render: { kind: 'running', project: '' } });
      }),
      api.on('provider.paused', (p) => {
        get().setPaused(p.provider, p.reason);
        if (!api.electron) notifyOf('provider.paused', p);
      }),
      api.on('project.held', (h) => set({ heldBy: h.holder })),
      api.on('storyboard.changedOnDisk', (c) => set({ diskChange: c })),
      api.on('render.finished', (res) => {
        set({ render: { kind: 'finished', result: res } });
        if (!api.electron) notifyOf('render.finished', res);
        afterRender();
        void get().refreshTimeline();
      }),
      api.on('render.failed', (f) => {
        set({ render: { kind: 'failed', message: f.message } });
        if (!api.electron) notifyOf('render.failed', f);
        afterRender();
      }),
      api.on('export.progress', (p) => set({ stitchFraction: Math.max(0, Math.min(1, p.fraction)) })),
      api.on('runner.installProgress', (p) => set((s) => ({ runnerInstall: { lines: [...(s.runnerInstall?.lines ?? []), p.line].slice(-200), fraction: p.fraction ?? s.runnerInstall?.fraction ?? null } }))),
      api.on('export.finished', (f) => set((s) => ({ stitchFraction: null, timeline: s.timeline ? { ...s.timeline, filmUrl: f.filmUrl } : s.timeline }))),
    ];
    const offState = api.onState((connection, reconnected) => {
      set({ connection });
      // A new connection gets events only after app.ready: say it again and re-sync.
      if (connection === 'open' && reconnected) void boot();
    });
    return () => {
      for (const off of offs) off();
      offState();
    };
  };

  return { store, feed, boot, listen };
}

const StoreContext = createContext<AppStore | null>(null);

function useAppStoreHandle(): AppStore {
  const s = useContext(StoreContext);
  if (!s) throw new Error('the app state is used outside AppProvider');
  return s;
}

/** What `selector` picks from the app state; the component renders again only when that changes (Object.is). Only inside <AppProvider>. */
export function useAppStore<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStoreHandle().store, selector);
}

/**
 * The app state; only inside <AppProvider>. With field names, only those fields, and the component
 * renders again only when one of them changes: `const { storyboard, setScreen } = useApp('storyboard', 'setScreen')`.
 * Without, the whole state, rendering again on every change (job updates included): avoid it in
 * anything shown during a render.
 */
export function useApp(): AppContextValue;
export function useApp<K extends keyof AppState>(...keys: K[]): Pick<AppState, K>;
export function useApp<K extends keyof AppState>(...keys: K[]): Pick<AppState, K> | AppState {
  const { store } = useAppStoreHandle();
  // The number of keys of a call site never changes, so the hook called is always the same one.
  const picked = useStore(
    store,
    useShallow((s: AppState) => {
      if (!keys.length) return s;
      const o = {} as Pick<AppState, K>;
      for (const k of keys) o[k] = s[k];
      return o;
    }),
  );
  return picked;
}

/** One job of the open project by id (undefined when there is none); renders again only when that job changes. */
export function useJob(id: number): JobView | undefined {
  return useAppStore((s) => s.jobById.get(id));
}

/** Holds the app state of one window: boots it, keeps it live from the core's events. */
export function AppProvider({ children }: { children: ReactNode }) {
  const [handle] = useState(() => createAppStore(getApi()));
  const { store, boot, listen } = handle;
  const { api, booted, storyboard, batch, settings, renderKind } = useStore(
    store,
    useShallow((s) => ({ api: s.api, booted: s.booted, storyboard: s.storyboard, batch: s.batch, settings: s.settings, renderKind: s.render.kind })),
  );

  // Events first, then app.ready (the core holds events until then).
  useEffect(() => {
    const off = listen();
    void boot();
    return off;
  }, [listen, boot]);

  // Browser mode only: a hook for bench/renderer-grid.ts to open a storyboard and show the grid
  // (the same thing the Import screen does; nothing the page could not do already).
  useEffect(() => {
    if (!booted || api.electron) return;
    const w = window as unknown as { __ltxBench?: (path: string) => Promise<void> };
    w.__ltxBench = async (path: string) => {
      store.getState().setStoryboard(await api.call('storyboard.openPath', { path }));
      store.getState().setScreen('shots');
    };
    return () => {
      delete w.__ltxBench;
    };
  }, [api, booted, store]);

  // The estimate follows the storyboard and the batch provider / budget (debounced while typing).
  const [estimateSeq] = useState(() => ({ n: 0 }));
  useEffect(() => {
    if (!storyboard) {
      store.setState({ estimate: null, estimateError: null });
      return;
    }
    const seq = ++estimateSeq.n;
    store.setState({ estimating: true });
    const t = setTimeout(async () => {
      try {
        const e = await api.call('estimate.get', { provider: batch.provider || undefined, budgetUsd: batch.budgetUsd ?? undefined });
        if (seq !== estimateSeq.n) return;
        store.setState({ estimate: e, estimateError: null });
      } catch (err) {
        if (seq !== estimateSeq.n) return;
        store.setState({ estimateError: toErrorView(err) });
      } finally {
        if (seq === estimateSeq.n) store.setState({ estimating: false });
      }
    }, 150);
    return () => clearTimeout(t);
    // Again when a render ends: what is left to render changed.
  }, [api, store, estimateSeq, storyboard, batch.provider, batch.budgetUsd, settings, renderKind]);

  return <StoreContext.Provider value={handle}>{children}</StoreContext.Provider>;
}
