/**
 * Which storyboard a project folder belongs to. A project is its folder: the first storyboard
 * rendered into it owns it, and another storyboard file is never mixed into it (its clips, takes,
 * timeline and film stay the first one's) unless the creator says so.
 */
import path from 'node:path';
import type { Db } from './db';

/** The storyboard file the project was last rendered from (absolute path), or undefined for a new project. */
export function projectStoryboard(db: Db): string | undefined {
  const r = db.prepare('SELECT file FROM storyboards ORDER BY id DESC LIMIT 1').get() as { file: string } | undefined;
  return r?.file;
}

/** Thrown when a storyboard is rendered into a project folder that belongs to another storyboard. */
export class OtherStoryboardError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: string,
    readonly file: string,
  ) {
    super(`${dir} holds the project of ${owner}; ${file} is another storyboard, and rendering it there would mix its shots into that project's clips, timeline and film. Render it into a new folder, or (if ${path.basename(file)} is the same storyboard moved or renamed) run again with --replace-storyboard`);
    this.name = 'OtherStoryboardError';
  }
}

/** Throws {@link OtherStoryboardError} when the project at `dir` belongs to a storyboard other than `file`. */
export function assertProjectOf(db: Db, dir: string, file: string): void {
  const owner = projectStoryboard(db);
  if (owner && path.resolve(owner) !== path.resolve(file)) throw new OtherStoryboardError(dir, owner, file);
}
