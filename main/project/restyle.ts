/**
 * Changes of the look (style.ts) that would re-render finished shots: a shot whose row reads the
 * same as when it was rendered, but whose prompt or negative prompt changed because the style or a
 * character's description did. A render re-renders them only when the creator confirms
 * (`--accept-changes`; the app's confirm button), and the refusal says what it would cost.
 */
import type { PlanRow } from '../pricing/plan';
import type { ShotRow } from '../queue/store';
import type { Shot } from '../storyboard/shot';
import { UserError } from './errors';

/** The row's prompt and negative prompt cells as written (before the look). */
const cellsOf = (s: Shot) => [s.rowPrompt ?? s.prompt, s.rowNegativePrompt ?? s.negativePrompt ?? ''];

/** Plan rows whose shot has a chosen take, reads the same cells as when it was stored, but sends another prompt or negative prompt. */
export function restyledRows(stored: ShotRow[], rows: PlanRow[]): PlanRow[] {
  const byKey = new Map(stored.filter((s) => s.chosenJobId !== null).map((s) => [s.shotKey, s.spec]));
  return rows.filter((r) => {
    const old = byKey.get(r.shot.id);
    if (!old) return false;
    const [p0, n0] = cellsOf(old);
    const [p1, n1] = cellsOf(r.shot);
    return p0 === p1 && n0 === n1 && (old.prompt !== r.shot.prompt || (old.negativePrompt ?? '') !== (r.shot.negativePrompt ?? ''));
  });
}

/** Thrown by a render that would re-render shots because the look changed, until the creator confirms. */
export class LookChangedError extends UserError {
  constructor(readonly rows: PlanRow[]) {
    const usd = rows.reduce((a, r) => a + (r.usdMax ?? 0), 0);
    const ids = rows.slice(0, 8).map((r) => r.shot.id).join(', ');
    super(
      `${rows.length} finished shot(s) would render again because the style or a character's description changed (shot ${ids}${rows.length > 8 ? ', ...' : ''}): up to $${usd.toFixed(2)}. Nothing was queued.`,
      'render again with --accept-changes (in the app: "Re-render them") to re-render them, or undo the change',
    );
    this.name = 'LookChangedError';
    this.confirm = 'Re-render them';
  }
}
