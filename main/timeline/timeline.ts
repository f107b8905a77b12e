/**
 * The timeline of a project: the finished clips in film order, the take chosen per shot, and the
 * joint after each clip (a cut or a crossfade). Stored on the project's shots (film_order,
 * chosen_job_id, joint_after); the storyboard order is the default.
 */
import path from 'node:path';
import type { ProjectStore } from '../queue/store';
import type { Job } from '../queue/job';
import type { MediaInfo } from '../media/ffprobe';
import { activeShotIds, setFilmOrder, timelineRows } from '../queue/timeline-rows';

/** Length of a crossfade when the creator set none, seconds. */
export const CROSSFADE_SECONDS = 0.5;

/**
 * How long a crossfade between clips of `prevS` and `nextS` seconds lasts in the film: its joint's
 * own length, at most a third of the shorter clip (so a fade never eats a clip). The film, the
 * Timeline and every editor export use this one rule.
 */
export function crossfadeLength(jointSeconds: number, prevS: number, nextS: number): number {
  return Math.max(0, Math.min(jointSeconds, prevS / 3, nextS / 3));
}

/**
 * The crossfade between clips of `prevFrames` and `nextFrames` frames at `fps`, in whole frames
 * ({@link crossfadeLength} rounded to the nearest frame); under 2 frames it is a cut. The film and
 * every editor export use whole frames, so they agree to the frame.
 */
export function crossfadeFrames(jointSeconds: number, prevFrames: number, nextFrames: number, fps: number): number {
  const x = Math.round(crossfadeLength(jointSeconds, prevFrames / fps, nextFrames / fps) * fps);
  return x < 2 ? 0 : x;
}

/** One shot on the timeline with its finished takes. */
export interface TimelineShot {
  shotId: number;
  shotKey: string;
  takes: Job[];
  /** The take used in the film (the chosen one, else the latest finished one). */
  chosen: Job | null;
  jointAfter: 'cut' | 'crossfade';
  /** The length of the crossfade after this shot as set (default {@link CROSSFADE_SECONDS}), seconds; see {@link crossfadeLength}. */
  jointSeconds: number;
  /**
   * For a continued shot whose chosen take started from a take of its parent that is no longer the
   * parent's chosen one (another take was chosen, or a new take finished): which take it started
   * from and which the parent uses now. Nothing is re-rendered by itself; the creator is offered it.
   */
  continuity?: { parent: string; madeFromTake: number; parentTake: number | null };
}

/** The project's timeline, in film order (shots without a finished take are included with chosen = null). */
export function readTimeline(store: ProjectStore): TimelineShot[] {
  const rows = timelineRows(store.db);
  const all = store.jobs();
  const byId = new Map(all.map((j) => [j.id, j]));
  const jobs = all.filter((j) => j.state === 'succeeded');
  const chosenOf = new Map(rows.map((r) => [r.id, r.chosen_job_id]));
  return rows.map((r) => {
    const takes = jobs.filter((j) => j.shotId === r.id);
    const chosen = takes.find((j) => j.id === r.chosen_job_id) ?? takes[takes.length - 1] ?? null;
    const shot: TimelineShot = { shotId: r.id, shotKey: r.shot_key, takes, chosen, jointAfter: r.joint_after, jointSeconds: r.joint_seconds ?? CROSSFADE_SECONDS };
    // A retake or extension carries the continuity of the take it edits (its from_job is that take).
    let made: Job | undefined = chosen ?? undefined;
    while (made?.edit && made.fromJob != null) made = byId.get(made.fromJob);
    const from = made?.afterShot != null && made.fromJob != null ? byId.get(made.fromJob) : undefined;
    if (from && chosenOf.get(from.shotId) !== from.id) {
      const now = chosenOf.get(from.shotId);
      shot.continuity = { parent: from.shotKey, madeFromTake: from.take, parentTake: now != null ? (byId.get(now)?.take ?? null) : null };
    }
    return shot;
  });
}

/**
 * Stores a new arrangement: `order` lists every active shot id once; `takes` maps shot id to a
 * succeeded job of that shot; `joints[i]` is the joint after position i. Throws naming the
 * problem when the order is not a permutation of the shots or a take is not a finished take.
 */
export function updateTimeline(store: ProjectStore, order: number[], takes: Record<string, number>, joints: ('cut' | 'crossfade')[], jointSeconds?: (number | null)[]): void {
  const ids = activeShotIds(store.db);
  if (order.length !== ids.length || new Set(order).size !== order.length || !order.every((id) => ids.includes(id))) {
    throw new Error('the timeline order must list every shot of the project exactly once');
  }
  store.db.transaction(() => {
    setFilmOrder(store.db, order, joints, jointSeconds);
    for (const [shotId, jobId] of Object.entries(takes)) store.chooseTake(Number(shotId), jobId);
  })();
}

/** A shot the film fills with a placeholder card: it has no finished clip yet. Seconds, pixels. */
export interface FilmPlaceholder {
  /** Its position in the film (0-based). */
  index: number;
  shotKey: string;
  prompt: string;
  duration: number;
  width: number;
  height: number;
  fps: number;
}

/**
 * The film as the timeline says: every shot in order, its clip (absolute path; for a shot with no
 * finished take '': its placeholder card is written at export, see {@link FilmPlaceholder}), what is
 * stored of each clip (MediaInfo, null when unknown or a placeholder), the joints, and the shots
 * that have no clip yet (`missing`, their ids; `placeholders`, what their cards show).
 */
export function filmPlan(store: ProjectStore): { clips: string[]; infos: (MediaInfo | null)[]; joints: ('cut' | 'crossfade')[]; jointSeconds: number[]; missing: string[]; placeholders: FilmPlaceholder[] } {
  const tl = readTimeline(store);
  const specs = new Map(store.shots().map((s) => [s.id, s.spec]));
  const placeholders: FilmPlaceholder[] = [];
  tl.forEach((t, index) => {
    if (t.chosen) return;
    const spec = specs.get(t.shotId);
    placeholders.push({ index, shotKey: t.shotKey, prompt: spec?.prompt ?? '', duration: spec?.duration ?? 5, width: spec?.resolution.width ?? 1280, height: spec?.resolution.height ?? 720, fps: spec?.fps ?? 25 });
  });
  return {
    clips: tl.map((t) => (t.chosen ? path.join(store.dir, t.chosen.output!) : '')),
    infos: tl.map((t) => t.chosen?.media ?? null),
    joints: tl.slice(0, -1).map((t) => t.jointAfter),
    jointSeconds: tl.slice(0, -1).map((t) => t.jointSeconds),
    missing: placeholders.map((p) => p.shotKey),
    placeholders,
  };
}

