/**
 * What the app tells a creator who walked away: a desktop notification when a batch finishes,
 * stops, or pauses (a key refused, credits out, a budget reached), and whether the computer must
 * stay awake (a batch is running). Pure functions of the contract's events, shared by the Electron
 * main process (OS notifications, powerSaveBlocker) and the renderer in browser mode (web
 * notifications); no Node or DOM here.
 */
import type { EventName, EventPayloads, JobView } from './api';

/** A notification's title and text. */
export interface Notice {
  title: string;
  body: string;
}

/** The notification an event calls for, or null. */
export function noticeFor<E extends EventName>(event: E, payload: EventPayloads[E]): Notice | null {
  if (event === 'render.finished') {
    const r = payload as EventPayloads['render.finished'];
    const film = r.filmUrl ? (r.placeholders.length ? `; the film is a rough cut (${r.placeholders.length} placeholder${r.placeholders.length > 1 ? 's' : ''})` : '; the film is ready') : r.filmSkipped ? `; no film: ${r.filmSkipped}` : '';
    const waiting = Object.values(r.waiting).reduce((a, b) => a + b, 0);
    return { title: r.failed ? 'Batch finished with failures' : 'Batch finished', body: `${r.succeeded} succeeded, ${r.failed} failed${waiting ? `, ${waiting} waiting` : ''}${film}` };
  }
  if (event === 'render.failed') return { title: 'The render stopped', body: (payload as EventPayloads['render.failed']).message };
  if (event === 'provider.paused') {
    const p = payload as EventPayloads['provider.paused'];
    // Paused by the creator's own click: nothing to tell them.
    if (p.reason === 'paused by you') return null;
    return { title: `${p.provider} paused`, body: p.reason };
  }
  return null;
}

const LIVE: ReadonlySet<JobView['state']> = new Set(['submitting', 'running', 'downloading']);

/** Whether an event starts (true) or ends (false) the time the computer must stay awake; null: no change. */
export function keepAwakeAfter<E extends EventName>(event: E, payload: EventPayloads[E]): boolean | null {
  if (event === 'job.updated') return LIVE.has((payload as JobView).state) ? true : null;
  if (event === 'render.finished' || event === 'render.failed') return false;
  return null;
}
