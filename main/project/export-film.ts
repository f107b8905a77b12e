/**
 * Writing a project's film (DIR/film.mp4 or another destination) from its timeline, in a work
 * folder of its own (DIR/.export-XXXXXX) that never touches a render's staged results. Each work
 * folder names its process (an `owner` file: pid and host), so a folder left by a process that was
 * killed or quit mid-export is recognised and removed by the next export or session, while a live
 * export in another process is left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../queue/lease';
import type { ProjectStore } from '../queue/store';
import { stitchWithJoints } from '../timeline/crossfade';
import { partialFilmPath, type StitchResult } from '../timeline/stitch';
import { filmPlan } from '../timeline/timeline';
import { cutSignature, writeFilmRecord } from '../timeline/film-record';
import { runFfmpeg } from '../media/run-ffmpeg';
import { animaticArgs } from '../providers/preview/animatic';

/** Prefix of export work folders inside a project folder. */
export const EXPORT_DIR_PREFIX = '.export-';
/** A work folder with no readable owner file is taken as abandoned after this long, ms. */
const UNOWNED_GRACE_MS = 10 * 60_000;

interface ExportOwner {
  pid: number;
  host: string;
}

/** Whether the export that made `workDir` may still be running (another host's: assumed so). */
function exportLive(workDir: string, now = Date.now()): boolean {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(workDir, 'owner'), 'utf8')) as ExportOwner;
    return o.host !== os.hostname() || o.pid === process.pid || processAlive(o.pid);
  } catch {
    const st = fs.statSync(workDir, { throwIfNoEntry: false });
    return !!st && now - st.mtimeMs < UNOWNED_GRACE_MS;
  }
}

/**
 * Removes what interrupted exports left in project folder `dir`: work folders whose process is
 * gone, with their partial films (`film.mp4.<work folder>.part`), and an older `film.mp4.part`
 * when no export is live. Never touches clips, staging or the film.
 * Returns the names removed.
 */
export function cleanStaleExports(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  let live = false;
  for (const name of names.filter((n) => n.startsWith(EXPORT_DIR_PREFIX))) {
    const workDir = path.join(dir, name);
    if (exportLive(workDir)) {
      live = true;
      continue;
    }
    fs.rmSync(workDir, { recursive: true, force: true });
    removed.push(name);
  }
  // Partial films: `film.mp4.<work folder>.part` goes with its work folder; a `film.mp4.part`
  // (written by versions before 2026-12-02) only when no export is live.
  for (const name of names) {
    const m = /^film\.mp4\.(.+)\.part$/.exec(name);
    const owner = m?.[1];
    if (owner === undefined && name !== 'film.mp4.part') continue;
    const stale = owner === undefined ? !live : !owner.startsWith(EXPORT_DIR_PREFIX) || !exportLive(path.join(dir, owner));
    if (!stale) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Writes the project's film to `dest` as its timeline says (order, chosen takes, cuts and
 * crossfades): a rough cut always, where a shot with no finished take yet is filled by its
 * placeholder card (the preview provider's animatic, "PLACEHOLDER · no clip yet", its row's length,
 * at the size and frame rate of the film's clips). Stale work folders of interrupted exports are
 * removed first. `signal` stops it (its ffmpeg and ffprobe children are killed, its work folder
 * and partial film removed before the promise settles). Throws when no shot has a clip yet.
 * The result lists the shots that are placeholders.
 */
export async function exportFilm(store: ProjectStore, dest: string, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<StitchResult & { placeholders: string[] }> {
  const plan = filmPlan(store);
  const signature = cutSignature(plan, store.dir);
  if (plan.clips.length === 0 || plan.placeholders.length === plan.clips.length) throw new Error(`no shot has a finished clip yet${plan.missing.length ? ` (${plan.missing.slice(0, 5).join(', ')}${plan.missing.length > 5 ? ', ...' : ''})` : ''}`);
  cleanStaleExports(store.dir);
  const workDir = fs.mkdtempSync(path.join(store.dir, EXPORT_DIR_PREFIX));
  try {
    fs.writeFileSync(path.join(workDir, 'owner'), JSON.stringify({ pid: process.pid, host: os.hostname() } satisfies ExportOwner));
    // Cards at the size and frame rate of the film's first clip that has them stored.
    const like = plan.infos.find((i) => i?.video)?.video;
    for (const p of plan.placeholders) {
      const file = path.join(workDir, `placeholder-${p.index}.mp4`);
      const spec = { shotId: p.shotKey, prompt: p.prompt, duration: p.duration, width: like?.width ?? p.width, height: like?.height ?? p.height, fps: like?.fps ?? p.fps, subtitle: `PLACEHOLDER · no clip yet · ${p.duration} s` };
      await runFfmpeg(animaticArgs(spec, file, path.join(workDir, `card-${p.index}`)), { signal });
      plan.clips[p.index] = file;
    }
    const r = await stitchWithJoints(plan.clips, plan.joints, dest, plan.jointSeconds, { workDir, onProgress, signal, infos: plan.infos });
    // The project's own film records what it was cut from (the Timeline marks it out of date after an edit).
    if (path.resolve(dest) === path.resolve(store.dir, 'film.mp4')) writeFilmRecord(dest, { signature, placeholders: plan.missing });
    return { ...r, placeholders: plan.missing };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.rmSync(partialFilmPath(dest, workDir), { force: true });
  }
}
