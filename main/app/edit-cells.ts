/**
 * Writing cells of the open storyboard: the one path every edit in the app takes (a cell, a bulk
 * edit, an undo, a conform, a dropped file). The sheet is changed in memory, checked again and
 * saved to the storyboard file once (main/storyboard/write-back.ts: the previous version kept
 * beside it); on a failed save every cell goes back as it was.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import pLimit, { type LimitFunction } from 'p-limit';
import type { CellEditView } from '../contract/api';
import { saveCsv, saveXlsx, type CellEdit } from '../storyboard/write-back';
import type { ColumnMapping } from '../storyboard/columns';
import { UserError } from '../project/errors';
import type { AppContext } from './context';

type Column = keyof ColumnMapping['known'];

/** One save at a time per app: two quick edits must not both read the old file and each write back only its own cell. */
const saving = new WeakMap<AppContext, LimitFunction>();

/** The cell of spreadsheet row `row` in column `field` as written ('' when the sheet has no such column or cell). Throws UserError for a row that is not a shot. */
export function cellOf(ctx: AppContext, row: number, field: Column): string {
  const sheet = ctx.requireSheet();
  const i = sheet.rowNumbers.indexOf(row);
  if (i < 1) throw new UserError(`row ${row} is not a shot of this storyboard`);
  const idx = ctx.mapping?.known[field];
  return idx === undefined ? '' : (sheet.rows[i][idx] ?? '');
}

/**
 * Writes `items` (cells that already hold their value are skipped) and saves the storyboard once.
 * Returns how many cells changed, the edits that undo them (each cell as it was, in reverse
 * order) and those that redo them (the cells written). Throws UserError naming the row for a row that is not a shot, and when the save fails
 * (then nothing is changed, in memory or on disk).
 */
export async function editCells(ctx: AppContext, items: CellEditView[]): Promise<{ changed: number; undo: CellEditView[]; redo: CellEditView[] }> {
  const sheet = ctx.requireSheet();
  const mapping = ctx.mapping!;
  const edits: CellEdit[] = [];
  const restore: (() => void)[] = [];
  const undo: CellEditView[] = [];
  const redo: CellEditView[] = [];
  const headerCount = sheet.rows[0].length;
  for (const a of items) {
    const i = sheet.rowNumbers.indexOf(a.row);
    if (i < 1) throw new UserError(`row ${a.row} is not a shot of this storyboard`);
    let idx = mapping.known[a.field];
    const before = idx === undefined ? '' : (sheet.rows[i][idx] ?? '');
    if (before === a.value) continue;
    if (idx === undefined) {
      idx = sheet.rows[0].length;
      sheet.rows[0].push(a.field);
      mapping.known[a.field] = idx;
      edits.push({ row: sheet.rowNumbers[0], column: idx, value: a.field });
      // Every record gets the new column's (empty) cell: a CSV reader that checks record lengths reads it.
      for (let k = 1; k < sheet.rows.length; k++) {
        const r = sheet.rows[k];
        if (r.length > idx) continue;
        const old = r.length;
        while (r.length <= idx) r.push('');
        restore.push(() => (r.length = old));
        if (sheet.format === 'csv') edits.push({ row: sheet.rowNumbers[k], column: idx, value: '' });
      }
      const field = a.field;
      restore.push(() => {
        sheet.rows[0].length = headerCount;
        delete mapping.known[field];
      });
    }
    while (sheet.rows[i].length <= idx) sheet.rows[i].push('');
    const at = idx;
    restore.push(() => (sheet.rows[i][at] = before));
    sheet.rows[i][idx] = a.value;
    edits.push({ row: a.row, column: idx, value: a.value });
    undo.push({ row: a.row, field: a.field, value: before });
    redo.push({ row: a.row, field: a.field, value: a.value });
  }
  if (undo.length === 0) return { changed: 0, undo: [], redo: [] };
  // The reader's whole-file check no longer covers the sheet: every cell is checked again.
  sheet.noSuspiciousChars = false;
  let limit = saving.get(ctx);
  if (!limit) saving.set(ctx, (limit = pLimit(1)));
  try {
    const saved = await limit(() => (sheet.format === 'csv' ? saveCsv(sheet.file, sheet.rows, sheet.rowNumbers, new Set(edits.map((e) => e.row)), sheet.delimiter ?? ',') : saveXlsx(sheet.file, sheet.sheetName, edits)));
    ctx.lastSave = { file: saved.file, backup: saved.backup ?? null, copyBecause: saved.copyBecause ?? null };
    // Saved to a copy (parts the original would lose): the copy is the storyboard from now on.
    if (saved.copyBecause) sheet.file = saved.file;
    sheet.hash = createHash('sha256').update(fs.readFileSync(sheet.file)).digest('hex');
  } catch (e) {
    for (const u of restore.reverse()) u();
    ctx.reinterpret();
    throw new UserError(`the edit was not saved: ${(e as Error).message}`);
  }
  ctx.reinterpret();
  return { changed: undo.length, undo: undo.reverse(), redo };
}
