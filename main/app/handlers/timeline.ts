/** The open project's timeline: order, takes, joints, and exporting the film. */
import fs from 'node:fs';
import path from 'node:path';
import type { TimelineView } from '../../contract/api';
import { probe } from '../../media/ffprobe';
import type { Job } from '../../queue/job';
import { UserError } from '../../project/errors';
import { CROSSFADE_SECONDS, filmPlan, readTimeline, updateTimeline } from '../../timeline/timeline';
import { cutSignature, readFilmRecord } from '../../timeline/film-record';
import { EDITOR_FORMATS, exportForEditor } from '../../timeline/export/export-editor';
import { writeResultsXlsx } from '../../report/export-xlsx';
import { thumbnailJpeg } from '../../media/thumbnail';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

/** Seconds of clips recorded before their media was stored (database version < 7), probed once per app run. */
const probedDurations = new Map<string, Promise<number>>();

/** A take's duration in seconds: as stored when its clip was recorded, else probed once. */
function clipDuration(j: Job, file: string): Promise<number> {
  if (j.media) return Promise.resolve(j.media.video?.duration ?? j.media.duration);
  let d = probedDurations.get(file);
  if (!d) {
    d = probe(file).then((p) => p.duration).catch(() => 0);
    probedDurations.set(file, d);
  }
  return d;
}

async function timelineView(ctx: AppContext): Promise<TimelineView> {
  const store = ctx.requireSession().store;
  const tl = readTimeline(store);
  const clips = [];
  for (const t of tl) {
    const takes = [];
    for (const j of t.takes) {
      const file = path.join(store.dir, j.output!);
      takes.push({ jobId: j.id, take: j.take, seed: j.seed, clipUrl: ctx.deps.mediaUrl(file), duration: await clipDuration(j, file), provider: j.provider });
    }
    const chosen = takes.find((k) => k.jobId === t.chosen?.id);
    clips.push({ shotId: t.shotId, shot: t.shotKey, takes, chosenJobId: t.chosen?.id ?? null, duration: chosen?.duration ?? 0, ...(t.continuity ? { continuity: t.continuity } : {}) });
  }
  const film = path.join(store.dir, 'film.mp4');
  const exists = fs.existsSync(film);
  const record = exists ? readFilmRecord(film) : null;
  return {
    clips,
    joints: tl.slice(0, -1).map((t) => t.jointAfter),
    jointSeconds: tl.slice(0, -1).map((t) => t.jointSeconds),
    crossfadeSeconds: CROSSFADE_SECONDS,
    filmUrl: exists ? ctx.deps.mediaUrl(film) : null,
    filmStale: exists && record?.signature !== cutSignature(filmPlan(store), store.dir),
    filmPlaceholders: record?.placeholders ?? [],
  };
}

export function timelineHandlers(ctx: AppContext): HandlersFor<'timeline.get' | 'timeline.update' | 'timeline.export' | 'timeline.exportForEditor' | 'report.xlsx'> {
  return {
    'timeline.get': () => timelineView(ctx),
    'timeline.update': async ({ order, takes, joints, jointSeconds }) => {
      const store = ctx.requireDriver().store;
      const chosenBefore = new Map(store.shots().map((x) => [x.id, x.chosenJobId]));
      try {
        updateTimeline(store, order, takes, joints, jointSeconds);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError((e as Error).message);
      }
      // A take chosen here moves the Queue's chosen mark too (the same job events a choice in the Queue sends).
      for (const x of store.shots()) {
        const was = chosenBefore.get(x.id) ?? null;
        if (was === x.chosenJobId) continue;
        for (const id of [was, x.chosenJobId]) {
          const j = id === null ? undefined : store.job(id);
          if (j) ctx.emitJob(j);
        }
      }
      return timelineView(ctx);
    },
    'timeline.export': async () => {
      // Allowed while another process renders the project: it only reads the clips and the
      // timeline, and writes the film through a partial file renamed into place.
      const session = ctx.requireSession();
      try {
        const res = await session.exportFilm((fraction) => ctx.deps.emit('export.progress', { fraction }));
        const url = ctx.deps.mediaUrl(res.file);
        // A new URL each time, so the page plays the new film rather than a cached one.
        const out = { filmUrl: `${url}${url.includes('?') ? '&' : '?'}v=${Date.now()}`, duration: res.duration, placeholders: res.placeholders };
        ctx.deps.emit('export.finished', out);
        return out;
      } catch (e) {
        throw new UserError(`the film could not be exported: ${(e as Error).message}`);
      }
    },
    'report.xlsx': async () => {
      const session = ctx.requireSession();
      const dest = path.join(session.dir, 'exports', 'results.xlsx');
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      try {
        const r = await writeResultsXlsx(session.store, dest, { thumbnail: (j, file) => thumbnailJpeg(file, j.media?.duration ?? 0) });
        return { file: r.file, url: ctx.deps.mediaUrl(r.file), rows: r.rows, thumbnails: r.thumbnails };
      } catch (e) {
        throw new UserError(`the results workbook could not be written: ${(e as Error).message}`);
      }
    },
    'timeline.exportForEditor': async ({ format, package: pack }) => {
      // Reads the project and writes under its exports/ folder: allowed while another process renders it.
      const session = ctx.requireSession();
      try {
        const r = await exportForEditor(session.store, { format, package: pack });
        const spec = EDITOR_FORMATS[format];
        return { file: r.file, url: ctx.deps.mediaUrl(r.file), label: spec.label, editors: spec.editors, clips: r.clips, transitions: r.transitions, placeholders: r.placeholders, duration: r.duration, packaged: r.packaged };
      } catch (e) {
        throw new UserError(`the ${EDITOR_FORMATS[format].label} export failed: ${(e as Error).message}`);
      }
    },
  };
}
