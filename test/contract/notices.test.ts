/** What a creator who walked away is told, and when the computer is kept awake. */
import { describe, expect, it } from 'vitest';
import { keepAwakeAfter, noticeFor } from '../../main/contract/notices';

describe('notices for a creator who walked away', () => {
  it('says how a batch ended, its failures and whether the film is a rough cut', () => {
    expect(noticeFor('render.finished', { succeeded: 8, failed: 0, waiting: {}, filmUrl: '/m/film.mp4', filmSkipped: null, placeholders: [] })).toEqual({ title: 'Batch finished', body: '8 succeeded, 0 failed; the film is ready' });
    expect(noticeFor('render.finished', { succeeded: 6, failed: 2, waiting: {}, filmUrl: '/m/film.mp4', filmSkipped: null, placeholders: ['3', '7'] })).toEqual({ title: 'Batch finished with failures', body: '6 succeeded, 2 failed; the film is a rough cut (2 placeholders)' });
    expect(noticeFor('render.failed', { message: 'no API key for ltx' })).toEqual({ title: 'The render stopped', body: 'no API key for ltx' });
  });

  it('tells of a pause for a key, credits or a budget, not of the creator\'s own pause', () => {
    expect(noticeFor('provider.paused', { provider: 'ltx', reason: 'over budget: the monthly budget of $5.00 would be passed' })).toEqual({ title: 'ltx paused', body: 'over budget: the monthly budget of $5.00 would be passed' });
    expect(noticeFor('provider.paused', { provider: 'ltx', reason: 'paused by you' })).toBeNull();
    expect(noticeFor('export.progress', { fraction: 0.5 })).toBeNull();
  });

  it('keeps the computer awake while a take is on its way, until the batch ends', () => {
    const job = (state: 'queued' | 'running' | 'succeeded') => ({ id: 1, shotId: 1, shot: '1', order: 0, take: 1, seed: null, chosen: false, newTake: false, edit: null, durationS: null, provider: 'ltx', state, progress: 0, attempts: 0, error: null, holdReason: null, estimate: '-', actual: '-', notes: [], note: '', maybeDuplicate: false, clipUrl: null });
    expect(keepAwakeAfter('job.updated', job('running'))).toBe(true);
    expect(keepAwakeAfter('job.updated', job('succeeded'))).toBeNull();
    expect(keepAwakeAfter('render.finished', { succeeded: 1, failed: 0, waiting: {}, filmUrl: null, filmSkipped: null, placeholders: [] })).toBe(false);
  });
});
