/**
 * The project lease: one process drives a project folder's queue at a time.
 *
 * A single row in the project database names the holder (a random owner id, a label such as
 * "ltx-batch render", its pid and host) and a heartbeat the holder renews every few seconds. Another
 * process may take the lease only when there is none, when the heartbeat is older than the TTL (the
 * holder hung or its machine died), or when the holder ran on this host and its pid no longer exists
 * (it was killed). The check and the take are one IMMEDIATE transaction, so two processes started at
 * the same moment cannot both win. While a process holds the lease, every job in flight in the
 * project is its own; what a dead holder left in flight is recovered by the next holder only.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Db } from './db';

/** Who holds a project. Times in ms since the epoch. */
export interface LeaseHolder {
  label: string;
  pid: number;
  host: string;
  acquiredAt: number;
  heartbeatAt: number;
}

/** Thrown when another live process holds the project. */
export class ProjectBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LeaseHolder,
  ) {
    const since = new Date(holder.acquiredAt).toISOString().replace('T', ' ').slice(0, 19);
    super(`${dir} is being rendered by ${holder.label} (pid ${holder.pid} on ${holder.host}, since ${since} UTC); wait for it to finish, or run again with --wait`);
    this.name = 'ProjectBusyError';
  }
}

/** Options of {@link acquireLease}. Milliseconds. */
export interface LeaseOptions {
  /** What the holder is, shown to whoever finds the project busy ("ltx-batch render"). */
  label: string;
  /** A heartbeat older than this means the holder is gone (default 20 s). */
  ttlMs?: number;
  /** How often the holder renews its heartbeat (default 4 s). */
  heartbeatMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** A held lease. `release()` gives it up (also done when the process exits normally). */
export interface ProjectLease {
  readonly owner: string;
  /** True while this process still holds it (false after release, or if another took it over). */
  held(): boolean;
  release(): void;
}

/** Whether process `pid` on this machine is alive (EPERM: alive, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The current holder, or null when nobody holds the project (or the holder is gone). */
export function leaseHolder(db: Db, opts: { ttlMs?: number; now?: () => number } = {}): LeaseHolder | null {
  const row = db.prepare('SELECT label, pid, host, acquired_at AS acquiredAt, heartbeat_at AS heartbeatAt FROM lease WHERE id = 1').get() as LeaseHolder | undefined;
  if (!row) return null;
  const now = (opts.now ?? Date.now)();
  if (now - row.heartbeatAt > (opts.ttlMs ?? 20_000)) return null;
  if (row.host === os.hostname() && row.pid !== process.pid && !processAlive(row.pid)) return null;
  return row;
}

/**
 * Takes the project's lease for this process, or throws {@link ProjectBusyError} naming the live
 * holder. `dir` is only for the message.
 */
export function acquireLease(db: Db, dir: string, opts: LeaseOptions): ProjectLease {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.ttlMs ?? 20_000;
  const owner = randomUUID();
  db.transaction(() => {
    const holder = leaseHolder(db, { ttlMs, now });
    if (holder) throw new ProjectBusyError(dir, holder);
    db.prepare('INSERT OR REPLACE INTO lease (id, owner, label, pid, host, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?, ?)').run(owner, opts.label, process.pid, os.hostname(), now(), now());
  }).immediate();
  let mine = true;
  const beat = db.prepare('UPDATE lease SET heartbeat_at = ? WHERE id = 1 AND owner = ?');
  const timer = setInterval(() => {
    try {
      if (beat.run(now(), owner).changes === 0) mine = false;
    } catch {
      /* a busy or closed database: the next beat tries again */
    }
  }, opts.heartbeatMs ?? 4_000);
  timer.unref();
  const release = () => {
    clearInterval(timer);
    process.off('exit', release);
    if (!mine) return;
    mine = false;
    try {
      db.prepare('DELETE FROM lease WHERE id = 1 AND owner = ?').run(owner);
    } catch {
      /* the database is closed: the row expires by its heartbeat */
    }
  };
  process.on('exit', release);
  return { owner, held: () => mine, release };
}

/**
 * Like {@link acquireLease}, but waits (checking every `pollMs`) while another process holds the
 * project, calling `onWait` once with the holder. Rejects with the abort reason when `signal` fires.
 */
export async function waitForLease(db: Db, dir: string, opts: LeaseOptions & { pollMs?: number; signal?: AbortSignal; onWait?: (e: ProjectBusyError) => void }): Promise<ProjectLease> {
  let told = false;
  for (;;) {
    try {
      return acquireLease(db, dir, opts);
    } catch (e) {
      if (!(e instanceof ProjectBusyError)) throw e;
      if (!told) opts.onWait?.(e);
      told = true;
    }
    if (opts.signal?.aborted) throw opts.signal.reason;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1_000));
  }
}
