/**
 * Following a project that another process is rendering (an `ltx-batch render` or another app
 * window holds its lease): the app shows it read-only, and every job that process changes reaches
 * the renderer as it happens. It reads the project database only when another connection has
 * committed to it (SQLite's data_version), then only the jobs whose updated_at moved.
 */
import type { Job } from '../queue/job';
import type { ProjectStore } from '../queue/store';

/** Watches one store for jobs another process changes. */
export class ProjectViewer {
  private timer: NodeJS.Timeout | null = null;
  private version: number;
  private readonly seen = new Map<number, number>();

  /**
   * @param store the open project's store (read only here)
   * @param onJob called with each job another process changed (new ones included)
   * @param intervalMs how often the database is checked, ms (default 500)
   */
  constructor(
    private readonly store: ProjectStore,
    private readonly onJob: (job: Job) => void,
    private readonly intervalMs = 500,
  ) {
    this.version = store.dataVersion();
    for (const j of store.jobs()) this.seen.set(j.id, j.updatedAt);
  }

  /** Starts checking (idempotent); the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops checking, after one last look (so the holder's final moves are shown). */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.check();
  }

  /** Emits the jobs changed since the last look; returns how many. */
  check(): number {
    let changed = 0;
    try {
      const v = this.store.dataVersion();
      if (v === this.version) return 0;
      this.version = v;
      for (const j of this.store.jobs()) {
        if (this.seen.get(j.id) === j.updatedAt) continue;
        this.seen.set(j.id, j.updatedAt);
        changed++;
        this.onJob(j);
      }
    } catch {
      /* the database is busy or closing: look again next time */
    }
    return changed;
  }
}
