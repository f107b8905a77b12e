/** The projects in the projects folder, most recently changed first, with the storyboard each belongs to. */
import fs from 'node:fs';
import path from 'node:path';
import type { ProjectView } from '../../contract/api';
import { storyboardOfProject } from '../../project/session';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

function listProjects(ctx: AppContext): ProjectView[] {
  const root = ctx.deps.projectsDir;
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const out: ProjectView[] = [];
  for (const name of names) {
    const dir = path.join(root, name);
    const db = path.join(dir, 'project.sqlite');
    const st = fs.statSync(db, { throwIfNoEntry: false });
    if (!st) continue;
    let storyboard: string | null = null;
    try {
      // The open project is read through its session; others are opened just to read their owner.
      storyboard = (ctx.session?.dir === dir ? ctx.session.owner() : storyboardOfProject(dir)) ?? null;
    } catch {
      /* a damaged or newer project: listed without its storyboard */
    }
    out.push({ name, storyboard, updatedAt: Math.max(st.mtimeMs, fs.statSync(`${db}-wal`, { throwIfNoEntry: false })?.mtimeMs ?? 0) });
  }
  return out.sort((a, b) => b.updatedAt - a.updatedAt);
}

export function projectsHandlers(ctx: AppContext): HandlersFor<'projects.list'> {
  return { 'projects.list': async () => listProjects(ctx) };
}
