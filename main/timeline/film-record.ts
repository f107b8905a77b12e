/**
 * What the project's film (DIR/film.mp4) was cut from: a record beside it (DIR/film.mp4.cut.json)
 * with the signature of the timeline it was exported from (order, chosen clips, joints and their
 * lengths, placeholders) and the shots it holds as placeholder cards. The Timeline compares it with
 * the timeline as it is now to mark the film out of date after an edit, a new take or a reorder.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { filmPlan } from './timeline';

/** The record of an exported film. */
export interface FilmRecord {
  signature: string;
  /** Shot ids that are placeholder cards in the film. */
  placeholders: string[];
  /** When it was written, ISO 8601. */
  writtenAt: string;
}

/** The record's path for a film file. */
export const filmRecordPath = (film: string) => `${film}.cut.json`;

/** A signature of the cut a film plan describes (clips relative to `dir`, so a moved project keeps it). */
export function cutSignature(plan: Pick<ReturnType<typeof filmPlan>, 'clips' | 'joints' | 'jointSeconds' | 'missing'>, dir: string): string {
  const clips = plan.clips.map((c) => (c ? path.relative(dir, c) : ''));
  return createHash('sha256').update(JSON.stringify({ clips, joints: plan.joints, seconds: plan.jointSeconds, missing: plan.missing })).digest('hex').slice(0, 32);
}

/** Writes the record beside `film` (through a temporary file renamed into place). */
export function writeFilmRecord(film: string, record: Omit<FilmRecord, 'writtenAt'>): void {
  const file = filmRecordPath(film);
  fs.writeFileSync(`${file}.part`, JSON.stringify({ ...record, writtenAt: new Date().toISOString() } satisfies FilmRecord));
  fs.renameSync(`${file}.part`, file);
}

/** The record beside `film`, or null when there is none or it cannot be read (a film from before records: treated as out of date). */
export function readFilmRecord(film: string): FilmRecord | null {
  try {
    return JSON.parse(fs.readFileSync(filmRecordPath(film), 'utf8')) as FilmRecord;
  } catch {
    return null;
  }
}
