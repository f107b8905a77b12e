/**
 * The project lease (main/queue/lease.ts): one holder at a time, taken over only from a holder that
 * is gone (killed, or silent past the TTL), and released on exit.
 */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProjectStore } from '../../main/queue/store';
import { acquireLease, leaseHolder, ProjectBusyError, waitForLease } from '../../main/queue/lease';
import { tmpDir } from '../helpers/tmp';

describe('project lease', () => {
  it('a second holder is refused with the first one named; after release it may take it', () => {
    const dir = tmpDir();
    const a = new ProjectStore(dir);
    const b = new ProjectStore(dir);
    const first = acquireLease(a.db, dir, { label: 'ltx-batch render' });
    let err: unknown;
    try {
      acquireLease(b.db, dir, { label: 'the LTX Batch app' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProjectBusyError);
    expect((err as Error).message).toMatch(new RegExp(`is being rendered by ltx-batch render \\(pid ${process.pid} on `));
    first.release();
    expect(leaseHolder(b.db)).toBeNull();
    const second = acquireLease(b.db, dir, { label: 'the LTX Batch app' });
    expect(second.held()).toBe(true);
    second.release();
    a.close();
    b.close();
  });

  it('a holder that was killed (its pid is gone) or fell silent past the TTL is taken over', () => {
    const dir = tmpDir();
    const store = new ProjectStore(dir);
    // A pid that existed and is gone now.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    store.db.prepare("INSERT INTO lease (id, owner, label, pid, host, acquired_at, heartbeat_at) VALUES (1, 'x', 'ltx-batch render', ?, ?, ?, ?)").run(dead, os.hostname(), Date.now(), Date.now());
    const took = acquireLease(store.db, dir, { label: 'ltx-batch render' });
    took.release();
    // Another host's holder, silent for longer than the TTL.
    store.db.prepare("INSERT INTO lease (id, owner, label, pid, host, acquired_at, heartbeat_at) VALUES (1, 'y', 'ltx-batch render', 1, 'render-box-7', ?, ?)").run(Date.now() - 60_000, Date.now() - 30_000);
    expect(() => acquireLease(store.db, dir, { label: 'x', ttlMs: 60_000 })).toThrow(ProjectBusyError);
    acquireLease(store.db, dir, { label: 'x', ttlMs: 20_000 }).release();
    store.close();
  });

  it('waitForLease waits for the holder to let go', async () => {
    const dir = tmpDir();
    const a = new ProjectStore(dir);
    const b = new ProjectStore(dir);
    const first = acquireLease(a.db, dir, { label: 'ltx-batch render' });
    const told: string[] = [];
    const waiting = waitForLease(b.db, dir, { label: 'second', pollMs: 20, onWait: (e) => told.push(e.message) });
    setTimeout(() => first.release(), 150);
    const second = await waiting;
    expect(told).toHaveLength(1);
    expect(second.held()).toBe(true);
    second.release();
    a.close();
    b.close();
  });
});
