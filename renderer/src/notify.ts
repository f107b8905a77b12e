/**
 * Desktop notifications in browser mode (the Electron app shows OS notifications from its main
 * process instead): what main/contract/notices.ts says about an event, shown with the web
 * Notification API once the creator allowed it (asked when they start a render).
 */
import type { EventName, EventPayloads } from '../../main/contract/api';
import { noticeFor } from '../../main/contract/notices';

/** Asks for permission to notify, once, from a click (browsers only ask from a user gesture). */
export function askToNotify(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => {});
}

/** Shows the notification an event calls for, when the page may. */
export function notifyOf<E extends EventName>(event: E, payload: EventPayloads[E]): void {
  const n = noticeFor(event, payload);
  if (!n || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    new Notification(n.title, { body: n.body, tag: `ltx-batch-${event}` });
  } catch {
    // a browser that refuses page notifications: the banner in the Queue says the same
  }
}
