/**
 * Editing the open storyboard's shots beyond one cell: many cells at once (undo, redo), a block
 * pasted from a spreadsheet, fill down, find and replace in prompts, a file dropped onto a row, and
 * what the shot inspector shows of one row. Every write goes through editCells (one save).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EDITABLE_COLUMNS, type CellEditView, type ShotInspectView, type ShotMediaView } from '../../contract/api';
import { imageThumbnailJpeg } from '../../media/thumbnail';
import { waveformPeaks } from '../../media/waveform';
import { UserError } from '../../project/errors';
import { attachMedia, AttachMediaError } from '../../storyboard/attach-media';
import { BulkEditError, fillDownEdits, pasteEdits, replaceEdits } from '../../storyboard/bulk-edits';
import { cellOf, editCells } from '../edit-cells';
import { jobView, storyboardView } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

/** A bulk edit's own error as the creator's message. */
function asUserError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BulkEditError) throw new UserError(e.message);
    throw e;
  }
}

/** The media cell `field` of a row as the inspector shows it (a thumbnail or a waveform where the file is there). */
async function mediaView(dir: string, field: ShotMediaView['field'], value: string): Promise<ShotMediaView> {
  const view: ShotMediaView = { field, value, exists: false, thumb: null, waveform: null, problem: null };
  if (!value) return view;
  if (/^https?:\/\//i.test(value)) return { ...view, exists: true };
  const file = path.resolve(dir, value);
  if (!fs.existsSync(file)) return { ...view, problem: `there is no file at ${file}` };
  view.exists = true;
  try {
    if (field === 'image' || field === 'end_image') view.thumb = `data:image/jpeg;base64,${(await imageThumbnailJpeg(file)).toString('base64')}`;
    if (field === 'audio') view.waveform = await waveformPeaks(file);
  } catch (e) {
    view.problem = (e as Error).message;
  }
  return view;
}

export function shotsHandlers(ctx: AppContext): HandlersFor<'shots.editMany' | 'shots.paste' | 'shots.fillDown' | 'shots.replace' | 'shots.inspect' | 'shots.attachMedia'> {
  const result = (r: { changed: number; undo: CellEditView[]; redo: CellEditView[] }) => ({ ...r, storyboard: storyboardView(ctx)! });
  return {
    'shots.editMany': async ({ edits }) => result(await editCells(ctx, edits)),
    'shots.paste': async ({ rows, fields, text }) => {
      ctx.requireSheet();
      const p = asUserError(() => pasteEdits(text, rows, fields));
      return { ...result(await editCells(ctx, p.edits)), height: p.height, width: p.width };
    },
    'shots.fillDown': async ({ rows, fields }) => {
      const edits = asUserError(() => fillDownEdits(rows, fields, (row, field) => cellOf(ctx, row, field)));
      return result(await editCells(ctx, edits));
    },
    'shots.replace': async ({ find, replace, matchCase, rows, apply }) => {
      const sheet = ctx.requireSheet();
      const targets = rows ?? sheet.rowNumbers.slice(1);
      const plan = asUserError(() => replaceEdits(targets.map((row) => ({ row, prompt: cellOf(ctx, row, 'prompt') })), find, replace, matchCase));
      const done = apply ? await editCells(ctx, plan.edits) : { changed: 0, undo: [], redo: [] };
      return { ...result(done), matches: plan.matches, rows: plan.rows };
    },
    'shots.inspect': async ({ row }): Promise<ShotInspectView> => {
      const sheet = ctx.requireSheet();
      const headers = sheet.rows[0] ?? [];
      const cells = EDITABLE_COLUMNS.map((field) => {
        const idx = ctx.mapping?.known[field];
        return { field, header: idx === undefined ? null : (headers[idx] ?? null), value: cellOf(ctx, row, field) };
      });
      const value = (f: string) => cells.find((c) => c.field === f)?.value ?? '';
      const media = await Promise.all((['image', 'end_image', 'audio', 'video'] as const).map((f) => mediaView(sheet.dir, f, value(f).trim())));
      const shotId = ctx.storyboard?.shots.find((x) => x.row === row)?.id ?? (value('shot').trim() || undefined);
      const s = ctx.session;
      const jobs = s && shotId ? s.store.jobs().filter((j) => j.shotKey === shotId) : [];
      const takes = new Map(jobs.map((j) => [j.id, j.take]));
      return { row, shot: shotId ?? String(row - 1), cells, media, takes: s ? jobs.map((j) => jobView(j, s.dir, ctx.deps.mediaUrl, (id) => (id === null ? undefined : takes.get(id)))) : [] };
    },
    'shots.attachMedia': async ({ row, field, fileName, dataBase64 }) => {
      const sheet = ctx.requireSheet();
      cellOf(ctx, row, field);
      let rel: string;
      try {
        rel = await attachMedia(sheet.dir, field, fileName, Buffer.from(dataBase64, 'base64'));
      } catch (e) {
        if (e instanceof AttachMediaError) throw new UserError(`row ${row}, ${field}: ${e.message}`);
        throw e;
      }
      return { ...result(await editCells(ctx, [{ row, field, value: rel }])), path: rel };
    },
  };
}
