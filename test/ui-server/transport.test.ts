/**
 * The transport both front ends share (main/app/transport.ts): events held until a renderer is
 * ready, bounded while none is; media served with byte ranges; errors mapped for the renderer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../main/contract/api';
import { ContractError } from '../../main/contract/api';
import { UserError } from '../../main/project/errors';
import { errorView, EventHub, fileResponse, MediaFiles, type OutgoingEvent } from '../../main/app/transport';
import { tmpDir } from '../helpers/tmp';

const job = (id: number, state: JobView['state'], progress = 0): JobView => ({ id, shotId: id, shot: String(id), order: id, take: 1, seed: null, chosen: false, newTake: false, edit: null, durationS: null, provider: 'preview', state, progress, attempts: 0, error: null, holdReason: null, estimate: '-', actual: '-', notes: [], note: '', maybeDuplicate: false, clipUrl: null });

async function read(r: ReturnType<typeof fileResponse>): Promise<string> {
  if (!r?.body) return '';
  let s = '';
  for await (const c of r.body) s += String(c);
  return s;
}

describe('held events', () => {
  it('holds events while no renderer is connected and hands them, in order, to the first that connects', () => {
    const hub = new EventHub();
    hub.emit('job.updated', job(1, 'queued'));
    hub.emit('render.failed', { message: 'x' });
    const got: OutgoingEvent[] = [];
    const off = hub.connect((e) => got.push(e));
    expect(got.map((e) => e.event)).toEqual(['job.updated', 'render.failed']);
    hub.emit('export.progress', { fraction: 0.5 });
    expect(got).toHaveLength(3);
    expect(hub.heldEvents()).toEqual([]);
    off();
    hub.emit('export.progress', { fraction: 0.6 });
    expect(got).toHaveLength(3);
    expect(hub.heldEvents()).toHaveLength(1);
  });

  it('keeps only the latest update of each job (a superseded one is dropped), in the order of the latest', () => {
    const hub = new EventHub();
    for (let p = 0; p <= 100; p++) hub.emit('job.updated', job(1, 'running', p / 100));
    hub.emit('job.updated', job(2, 'running'));
    hub.emit('job.updated', job(1, 'succeeded', 1));
    hub.emit('render.finished', { succeeded: 2, failed: 0, waiting: {}, filmUrl: null, filmSkipped: null, placeholders: [] });
    const held = hub.heldEvents();
    expect(held.map((e) => (e.event === 'job.updated' ? `${e.event}:${(e.payload as JobView).id}:${(e.payload as JobView).state}` : e.event))).toEqual(['job.updated:2:running', 'job.updated:1:succeeded', 'render.finished']);
    expect(hub.dropped).toBe(101);
  });

  it('keeps the last N updates per job when asked, and at most `max` events in all (the oldest go first)', () => {
    const hub = new EventHub({ perKey: 3, max: 50 });
    for (let p = 0; p < 10; p++) hub.emit('job.updated', job(7, 'running', p / 10));
    expect(hub.heldEvents().map((e) => (e.payload as JobView).progress)).toEqual([0.7, 0.8, 0.9]);
    // 10,000 jobs while no window is open: the hold stays at 50, the newest kept.
    for (let id = 0; id < 10_000; id++) hub.emit('job.updated', job(100 + id, 'queued'));
    for (let i = 0; i < 500; i++) hub.emit('runner.installProgress', { line: `line ${i}`, fraction: null });
    const held = hub.heldEvents();
    expect(held).toHaveLength(50);
    expect((held.at(-1)!.payload as { line: string }).line).toBe('line 499');
    // Superseding still works after evictions (no stale bookkeeping).
    for (const fraction of [0.1, 0.2, 0.3, 0.4]) hub.emit('export.progress', { fraction });
    expect(hub.heldEvents().filter((e) => e.event === 'export.progress').map((e) => (e.payload as { fraction: number }).fraction)).toEqual([0.2, 0.3, 0.4]);
    expect(hub.heldEvents()).toHaveLength(50);
  });

  it('stays bounded in memory over a long render with no window (1,000 jobs x 200 updates)', () => {
    const hub = new EventHub();
    for (let step = 0; step < 200; step++) for (let id = 0; id < 1_000; id++) hub.emit('job.updated', job(id, 'running', step / 200));
    expect(hub.heldEvents()).toHaveLength(1_000);
    expect(hub.dropped).toBe(199_000);
  });
});

describe('media files', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'clip 1.mp4');
  fs.writeFileSync(file, '0123456789');

  it('serves only registered files, under an opaque id', () => {
    const media = new MediaFiles((id, name) => `/media/${id}/${name}`);
    const url = media.url(file);
    expect(url).toMatch(/^\/media\/[A-Za-z0-9_-]{22}\/clip%201\.mp4$/);
    expect(media.file(url.split('/')[2])).toBe(file);
    expect(media.file('A'.repeat(22))).toBeUndefined();
  });

  it('answers whole files and byte ranges as a <video> asks, and 416 outside the file', async () => {
    const whole = fileResponse(file);
    expect(whole).toMatchObject({ status: 200, headers: { 'content-type': 'video/mp4', 'content-length': '10', 'accept-ranges': 'bytes' } });
    expect(await read(whole)).toBe('0123456789');
    const from = fileResponse(file, 'bytes=4-');
    expect(from).toMatchObject({ status: 206, headers: { 'content-range': 'bytes 4-9/10', 'content-length': '6' } });
    expect(await read(from)).toBe('456789');
    expect(await read(fileResponse(file, 'bytes=2-4'))).toBe('234');
    expect(await read(fileResponse(file, 'bytes=-3'))).toBe('789');
    expect(await read(fileResponse(file, 'bytes=8-100'))).toBe('89');
    expect(fileResponse(file, 'bytes=10-')).toMatchObject({ status: 416, headers: { 'content-range': 'bytes */10' }, body: null });
    expect(fileResponse(path.join(dir, 'gone.mp4'))).toBeNull();
    expect(fileResponse(dir)).toBeNull();
  });
});

describe('errors for the renderer', () => {
  it('shows the creator their mistake with the fix, a refused call as it is, anything else as something that went wrong', () => {
    expect(errorView(new UserError('no project is open', 'render a storyboard first'))).toEqual({ message: 'no project is open', fix: 'render a storyboard first' });
    expect(errorView(new ContractError('unknown method "x"'))).toEqual({ message: 'unknown method "x"' });
    expect(errorView(new Error('disk on fire'))).toEqual({ message: 'something went wrong: disk on fire' });
  });
});
