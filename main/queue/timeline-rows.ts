/**
 * The project database's timeline rows: the active shots in film order with the take chosen per
 * shot and the joint after each, and writing a new arrangement. main/timeline/timeline.ts builds
 * the timeline from these; the SQL lives here, with the rest of the project database's.
 */
import type { Db } from './db';

/** One active shot as the timeline stores it. */
export interface TimelineRow {
  id: number;
  shot_key: string;
  chosen_job_id: number | null;
  joint_after: 'cut' | 'crossfade';
  /** The crossfade's length in seconds when the creator set one (null: the default). */
  joint_seconds: number | null;
}

/** Active shots in film order (the creator's order, else the storyboard's). */
export function timelineRows(db: Db): TimelineRow[] {
  return db.prepare('SELECT id, shot_key, ord, film_order, chosen_job_id, joint_after, joint_seconds FROM shots WHERE active = 1 ORDER BY COALESCE(film_order, ord), ord').all() as TimelineRow[];
}

/** Ids of the active shots. */
export function activeShotIds(db: Db): number[] {
  return (db.prepare('SELECT id FROM shots WHERE active = 1').all() as { id: number }[]).map((r) => r.id);
}

/**
 * Stores the film order (`order[i]` is at position i), the joint after each position (the last is
 * always a cut) and, when given, each crossfade's length in seconds (`jointSeconds[i]`; null or
 * absent keeps the one stored).
 */
export function setFilmOrder(db: Db, order: number[], joints: ('cut' | 'crossfade')[], jointSeconds?: (number | null)[]): void {
  const set = db.prepare('UPDATE shots SET film_order = ?, joint_after = ?, joint_seconds = COALESCE(?, joint_seconds) WHERE id = ?');
  order.forEach((shotId, i) => set.run(i, joints[i] === 'crossfade' && i < order.length - 1 ? 'crossfade' : 'cut', jointSeconds?.[i] ?? null, shotId));
}
