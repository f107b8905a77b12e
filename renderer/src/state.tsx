/**
 * App-wide state: what app.ready returned, the loaded storyboard and its estimate, the jobs of the
 * open project (kept live from job.updated events), render and export status, settings. Screens
 * read it with useApp() and change it through the API only.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ErrorView, EstimateView, EventPayloads, JobView, MethodResults, ProviderView, SettingsView, StoryboardView, TimelineView } from '../../main/contract/api';
import { getApi, toErrorView, type ApiClient, type ConnectionState } from './api';
import { projectNameFor } from './format';
import { clearThumbnails } from './thumbnails';

export type Screen = 'import' | 'shots' | 'queue' | 'timeline' | 'settings';

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

export interface AppContextValue {
  api: ApiClient;
  connection: ConnectionState;
  booted: boolean;
  bootError: ErrorView | null;
  version: string;
  electron: boolean;
  providers: ProviderView[];
  screen: Screen;
  setScreen: (s: Screen) => void;
  /** A storyboard row to bring into view on the Shots screen (from a problem on the Import screen). */
  focusRow: number | null;
  showRow: (row: number) => void;
  storyboard: StoryboardView | null;
  setStoryboard: (s: StoryboardView | null) => void;
  estimate: EstimateView | null;
  estimateError: ErrorView | null;
  estimating: boolean;
  batch: BatchOptions;
  setBatch: (b: Partial<BatchOptions>) => void;
  project: string | null;
  /** Jobs of the open project, in film order then take. */
  jobs: JobView[];
  refreshJobs: () => Promise<void>;
  render: RenderStatus;
  startRender: () => Promise<void>;
  paused: Record<string, string>;
  /** Who else is rendering the open project (the app follows it read-only), or null. */
  heldBy: string | null;
  setPaused: (provider: string, reason: string | null) => void;
  /** 0..1 while a film is being stitched (export or the end of a render), else null. */
  stitchFraction: number | null;
  timeline: TimelineView | null;
  setTimeline: (t: TimelineView | null) => void;
  refreshTimeline: () => Promise<void>;
  timelineError: ErrorView | null;
  settings: SettingsView | null;
  setSettings: (s: SettingsView) => void;
  /** Lines and progress of a local-runner install ("runner.installProgress"), while one runs or after. */
  runnerInstall: { lines: string[]; fraction: number | null } | null;
  clearRunnerInstall: () => void;
}

const AppContext = createContext<AppContextValue | null>(null);

/** The app state; only inside <AppProvider>. */
export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside AppProvider');
  return v;
}

const ORDER = (a: JobView, b: JobView) => a.order - b.order || a.take - b.take || a.id - b.id;
const ENDED = new Set(['succeeded', 'failed', 'canceled']);

export function AppProvider({ children }: { children: ReactNode }) {
  const api = useMemo(() => getApi(), []);
  const [connection, setConnection] = useState<ConnectionState>(api.state());
  const [booted, setBooted] = useState(false);
  const [bootError, setBootError] = useState<ErrorView | null>(null);
  const [ready, setReady] = useState<MethodResults['app.ready'] | null>(null);
  const [screen, setScreen] = useState<Screen>('import');
  const [storyboard, setStoryboardState] = useState<StoryboardView | null>(null);
  const [focusRow, setFocusRow] = useState<number | null>(null);
  const showRow = useCallback((row: number) => {
    setFocusRow(row);
    setScreen('shots');
  }, []);
  const [estimate, setEstimate] = useState<EstimateView | null>(null);
  const [estimateError, setEstimateError] = useState<ErrorView | null>(null);
  const [estimating, setEstimating] = useState(false);
  const [batch, setBatchState] = useState<BatchOptions>({ provider: '', budgetUsd: null, project: '' });
  const [project, setProject] = useState<string | null>(null);
  const [render, setRender] = useState<RenderStatus>({ kind: 'idle' });
  const [paused, setPausedState] = useState<Record<string, string>>({});
  const [heldBy, setHeldBy] = useState<string | null>(null);
  const [stitchFraction, setStitchFraction] = useState<number | null>(null);
  const [timeline, setTimeline] = useState<TimelineView | null>(null);
  const [timelineError, setTimelineError] = useState<ErrorView | null>(null);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [runnerInstall, setRunnerInstall] = useState<{ lines: string[]; fraction: number | null } | null>(null);
  const clearRunnerInstall = useCallback(() => setRunnerInstall(null), []);

  // Jobs arrive as a stream of events (thousands for a big storyboard): collect them in a map and
  // publish at most once per animation frame.
  const jobMap = useRef(new Map<number, JobView>());
  const [jobs, setJobs] = useState<JobView[]>([]);
  const flushQueued = useRef(false);
  const publishJobs = useCallback(() => {
    if (flushQueued.current) return;
    flushQueued.current = true;
    const flush = () => {
      flushQueued.current = false;
      setJobs([...jobMap.current.values()].sort(ORDER));
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(flush);
    else setTimeout(flush, 16);
  }, []);

  const refreshJobs = useCallback(async () => {
    const list = await api.call('queue.list', {});
    const m = new Map<number, JobView>();
    for (const j of list) m.set(j.id, j);
    jobMap.current = m;
    publishJobs();
  }, [api, publishJobs]);

  const refreshTimeline = useCallback(async () => {
    try {
      setTimeline(await api.call('timeline.get', {}));
      setTimelineError(null);
    } catch (e) {
      setTimelineError(toErrorView(e));
    }
  }, [api]);

  // A newly opened storyboard proposes its file name as the project name, made unique when a
  // project of that name belongs to another storyboard (a project is its folder: never reused).
  const storyboardFile = useRef<string | null>(null);
  const setStoryboard = useCallback(
    (s: StoryboardView | null) => {
      if (s && s.file !== storyboardFile.current) {
        const base = projectNameFor(s.file);
        setBatchState((b) => ({ ...b, project: base }));
        api.call('projects.list', {}).then(
          (list) => {
            const taken = (name: string) => list.some((p) => p.name === name && p.storyboard !== null && p.storyboard !== s.file);
            let name = base;
            for (let i = 2; taken(name); i++) name = `${base}-${i}`;
            if (name !== base) setBatchState((b) => (b.project === base ? { ...b, project: name } : b));
          },
          () => {},
        );
      }
      storyboardFile.current = s?.file ?? null;
      setStoryboardState(s);
    },
    [api],
  );

  const setBatch = useCallback((b: Partial<BatchOptions>) => setBatchState((prev) => ({ ...prev, ...b })), []);

  const setPaused = useCallback((provider: string, reason: string | null) => {
    setPausedState((p) => {
      const n = { ...p };
      if (reason === null) delete n[provider];
      else n[provider] = reason;
      return n;
    });
  }, []);

  const boot = useCallback(async () => {
    try {
      const r = await api.call('app.ready', {});
      setReady(r);
      setSettings(r.settings);
      // The core's state wins (after a reconnect it may have restarted with nothing open).
      setStoryboard(r.storyboard);
      setProject(r.project);
      setHeldBy(r.heldBy);
      if (r.project) {
        await refreshJobs();
        const live = [...jobMap.current.values()].some((j) => !ENDED.has(j.state));
        setRender((prev) => (live ? { kind: 'running', project: r.project! } : prev.kind === 'running' ? { kind: 'idle' } : prev));
      } else {
        jobMap.current = new Map();
        publishJobs();
        setRender({ kind: 'idle' });
        setTimeline(null);
      }
      setBootError(null);
      setBooted(true);
    } catch (e) {
      setBootError(toErrorView(e));
    }
  }, [api, refreshJobs, setStoryboard, publishJobs]);

  // Events first, then app.ready (the core holds events until then).
  useEffect(() => {
    const offs = [
      api.on('job.updated', (j) => {
        jobMap.current.set(j.id, j);
        publishJobs();
        if (!ENDED.has(j.state)) setRender((r) => (r.kind === 'running' ? r : { kind: 'running', project: '' }));
      }),
      api.on('provider.paused', (p) => setPaused(p.provider, p.reason)),
      api.on('project.held', (h) => setHeldBy(h.holder)),
      api.on('render.finished', (res) => {
        setRender({ kind: 'finished', result: res });
        setStitchFraction(null);
        void refreshJobs().catch(() => {});
        void refreshTimeline();
      }),
      api.on('render.failed', (f) => {
        setRender({ kind: 'failed', message: f.message });
        setStitchFraction(null);
        void refreshJobs().catch(() => {});
      }),
      api.on('export.progress', (p) => setStitchFraction(Math.max(0, Math.min(1, p.fraction)))),
      api.on('runner.installProgress', (p) => setRunnerInstall((r) => ({ lines: [...(r?.lines ?? []), p.line].slice(-200), fraction: p.fraction ?? r?.fraction ?? null }))),
      api.on('export.finished', (f) => {
        setStitchFraction(null);
        setTimeline((t) => (t ? { ...t, filmUrl: f.filmUrl } : t));
      }),
    ];
    const offState = api.onState((s, reconnected) => {
      setConnection(s);
      // A new connection gets events only after app.ready: say it again and re-sync.
      if (s === 'open' && reconnected) void boot();
    });
    void boot();
    return () => {
      for (const off of offs) off();
      offState();
    };
  }, [api, boot, publishJobs, refreshJobs, refreshTimeline, setPaused]);

  // Browser mode only: a hook for bench/renderer-grid.ts to open a storyboard and show the grid
  // (the same thing the Import screen does; nothing the page could not do already).
  useEffect(() => {
    if (!booted || api.electron) return;
    const w = window as unknown as { __ltxBench?: (path: string) => Promise<void> };
    w.__ltxBench = async (path: string) => {
      setStoryboard(await api.call('storyboard.openPath', { path }));
      setScreen('shots');
    };
    return () => {
      delete w.__ltxBench;
    };
  }, [api, booted, setStoryboard]);

  // The estimate follows the storyboard and the batch provider / budget (debounced while typing).
  const estimateSeq = useRef(0);
  useEffect(() => {
    if (!storyboard) {
      setEstimate(null);
      setEstimateError(null);
      return;
    }
    const seq = ++estimateSeq.current;
    setEstimating(true);
    const t = setTimeout(async () => {
      try {
        const e = await api.call('estimate.get', { provider: batch.provider || undefined, budgetUsd: batch.budgetUsd ?? undefined });
        if (seq !== estimateSeq.current) return;
        setEstimate(e);
        setEstimateError(null);
      } catch (err) {
        if (seq !== estimateSeq.current) return;
        setEstimateError(toErrorView(err));
      } finally {
        if (seq === estimateSeq.current) setEstimating(false);
      }
    }, 150);
    return () => clearTimeout(t);
  }, [api, storyboard, batch.provider, batch.budgetUsd, settings]);

  const startRender = useCallback(async () => {
    const r = await api.call('render.start', {
      project: batch.project.trim() || (storyboard ? projectNameFor(storyboard.file) : 'project'),
      provider: batch.provider || undefined,
      budgetUsd: batch.budgetUsd ?? undefined,
    });
    setProject(r.project);
    setRender({ kind: 'running', project: r.project });
    setPausedState({});
    setTimeline(null);
    setScreen('queue');
    // The authoritative list (kept clips of an earlier run included); events keep it live after.
    await refreshJobs().catch(() => {});
  }, [api, batch, storyboard, refreshJobs]);

  // Job ids start again in every project: thumbnails of the previous one no longer apply.
  const lastProject = useRef<string | null>(null);
  if (project !== lastProject.current) {
    if (lastProject.current !== null) clearThumbnails();
    lastProject.current = project;
  }

  const value: AppContextValue = {
    api,
    connection,
    booted,
    bootError,
    version: ready?.version ?? '',
    electron: ready?.electron ?? api.electron,
    providers: ready?.providers ?? [],
    screen,
    setScreen,
    focusRow,
    showRow,
    storyboard,
    setStoryboard,
    estimate,
    estimateError,
    estimating,
    batch,
    setBatch,
    project,
    jobs,
    refreshJobs,
    render,
    startRender,
    paused,
    heldBy,
    setPaused,
    stitchFraction,
    timeline,
    setTimeline,
    refreshTimeline,
    timelineError,
    settings,
    setSettings,
    runnerInstall,
    clearRunnerInstall,
  };
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}
