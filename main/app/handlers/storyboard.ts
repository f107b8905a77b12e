/** Opening a storyboard (a path, an upload, the file dialog), its column mapping, and edits of its cells. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StoryboardView } from '../../contract/api';
import { KNOWN_COLUMNS, mapHeaders, type ColumnMapping } from '../../storyboard/columns';
import { readStoryboardSheet } from '../../storyboard/import';
import { editCells } from '../edit-cells';
import { conformShot } from '../../pricing/conform';
import { unpackStoryboardZip, ZipUploadError } from '../../storyboard/unpack-zip';
import { UserError } from '../../project/errors';
import { storyboardView } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

export function storyboardHandlers(ctx: AppContext): HandlersFor<'storyboard.openPath' | 'storyboard.upload' | 'storyboard.pick' | 'storyboard.remap' | 'shots.edit' | 'storyboard.setLook' | 'storyboard.applyDiskChange' | 'storyboard.keepMine' | 'shots.conform'> {
  const openPath = async (file: string): Promise<StoryboardView> => {
    if (!fs.existsSync(file)) throw new UserError(`there is no file at ${file}`);
    const read = await readStoryboardSheet(file);
    ctx.sheet = { ...read.sheet, file: read.file, format: read.format, hash: read.hash, dir: path.dirname(read.file) };
    ctx.mapping = read.sheet.rows.length ? mapHeaders(read.sheet.rows[0].map((h) => h.trim())) : null;
    ctx.loadLook(read.file);
    ctx.lastSave = null;
    ctx.reinterpret();
    ctx.watchSheet();
    return storyboardView(ctx)!;
  };
  return {
    'storyboard.openPath': (a) => openPath(a.path),
    'storyboard.upload': async (a) => {
      // One folder per content (uploads/<sha-256 prefix>/<name>): another file with the same name
      // never overwrites it (a project belongs to its storyboard's path), the same bytes uploaded
      // again are the same storyboard. Written to a temporary name first, so no half file is read.
      const data = Buffer.from(a.dataBase64, 'base64');
      const folder = path.join(ctx.deps.projectsDir, 'uploads', createHash('sha256').update(data).digest('hex').slice(0, 16));
      // A zip: the storyboard with its media, unpacked so its relative paths keep working.
      if (/\.zip$/i.test(a.fileName)) {
        try {
          return await openPath(unpackStoryboardZip(data, path.join(folder, path.basename(a.fileName, path.extname(a.fileName)).replace(/[^A-Za-z0-9._ -]+/g, '_'))));
        } catch (e) {
          if (e instanceof ZipUploadError) throw new UserError(`${a.fileName}: ${e.message}`, 'zip the folder that holds the storyboard and its images and audio, and upload that');
          throw e;
        }
      }
      fs.mkdirSync(folder, { recursive: true });
      const file = path.join(folder, path.basename(a.fileName).replace(/[^A-Za-z0-9._ -]+/g, '_'));
      if (!fs.existsSync(file)) {
        fs.writeFileSync(`${file}.part`, data);
        fs.renameSync(`${file}.part`, file);
      }
      return openPath(file);
    },
    'storyboard.pick': async () => {
      if (!ctx.deps.pickFile) throw new UserError('there is no file dialog in browser mode', 'use "Upload" or type the path of the storyboard on the render box');
      const p = await ctx.deps.pickFile();
      return p ? openPath(p) : null;
    },
    'storyboard.remap': async (a) => {
      const headers = ctx.requireSheet().rows[0] ?? [];
      const known: ColumnMapping['known'] = {};
      for (const [col, idx] of Object.entries(a.mapping)) {
        if (!(KNOWN_COLUMNS as readonly string[]).includes(col)) throw new UserError(`"${col}" is not a storyboard column`, `columns are ${KNOWN_COLUMNS.join(', ')}`);
        if (idx >= 0) known[col as keyof ColumnMapping['known']] = idx;
      }
      const used = new Set(Object.values(known));
      ctx.mapping = { known, headers, duplicates: [], unknown: headers.map((h, index) => ({ header: h, index })).filter((u) => u.header.trim() && !used.has(u.index)) };
      ctx.reinterpret();
      return storyboardView(ctx)!;
    },
    'storyboard.applyDiskChange': async () => {
      // The file as it is on disk now, with the column mapping guessed again.
      return openPath(ctx.requireSheet().file);
    },
    'storyboard.keepMine': async () => {
      ctx.keepMine();
      return null;
    },
    'storyboard.setLook': async (a) => {
      ctx.setLook({ style: a.style ?? undefined, negative: a.negative ?? undefined });
      return storyboardView(ctx)!;
    },
    'shots.edit': async (a) => {
      await editCells(ctx, [a]);
      return storyboardView(ctx)!;
    },
    'shots.conform': async (a) => {
      const sb = ctx.requireStoryboard();
      const p = ctx.deps.registry.get(a.provider);
      if (!p) throw new UserError(`there is no provider "${a.provider}"`);
      // The rows that go to this provider: their own provider column, else the batch's.
      const rows = sb.shots.filter((s) => (a.rows ? a.rows.includes(s.row) : (s.provider ?? a.defaultProvider ?? 'preview') === p.id));
      const planned = rows.map((s) => conformShot(s, p));
      const edits = planned.flatMap((r) => r.changes.map((c) => ({ row: r.shot.row, field: c.column, value: c.to })));
      const done = a.apply && edits.length ? await editCells(ctx, edits) : { undo: [], redo: [] };
      const sum = (k: 'usdBefore' | 'usdAfter') => planned.reduce((t, r) => t + (r[k] ?? 0), 0);
      return {
        rows: planned.map((r) => ({ row: r.shot.row, shot: r.shot.id, changes: r.changes, problems: r.problems, usdBefore: r.usdBefore, usdAfter: r.usdAfter })),
        usdBefore: sum('usdBefore'),
        usdAfter: sum('usdAfter'),
        applied: !!a.apply && edits.length > 0,
        undo: done.undo,
        redo: done.redo,
        storyboard: storyboardView(ctx)!,
      };
    },
  };
}
