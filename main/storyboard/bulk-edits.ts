/**
 * Bulk edits of a storyboard's cells, worked out before anything is written: a block pasted from a
 * spreadsheet, a fill down, a find and replace in prompts. Each returns the cell edits (spreadsheet
 * row, column, new text); the app writes them in one save (main/app/edit-cells.ts), so one undo
 * takes the whole edit back. Nothing here touches a file.
 */
import { parse } from 'csv-parse/sync';
import type { KnownColumn } from './columns';

/** One cell to write: `row` is the spreadsheet row (the header is row 1), `field` a storyboard column. */
export interface ShotCellEdit {
  row: number;
  field: KnownColumn;
  value: string;
}

/** Thrown for a paste, fill down or replace that cannot be applied (the message says why, in the creator's terms). */
export class BulkEditError extends Error {}

/** The most cells one paste may write (a spreadsheet's copied block; more is almost surely a mistake). */
export const MAX_PASTE_CELLS = 200_000;

/**
 * The cell edits of a block pasted from a spreadsheet: `text` is what a spreadsheet puts on the
 * clipboard (tab-separated cells, one line per row, cells with tabs, quotes or line breaks quoted
 * as in RFC 4180; Excel, LibreOffice and Google Sheets all write it so). The block's top-left cell
 * lands on `rows[0]` / `fields[0]`; its rows go down `rows` (the grid's rows in the order shown,
 * from the anchor) and its cells across `fields` (the grid's editable columns in order, from the
 * anchor). A trailing empty line (spreadsheets end the block with one) is not a row.
 * Throws BulkEditError when the block is taller or wider than what is below or right of the anchor.
 */
export function pasteEdits(text: string, rows: number[], fields: KnownColumn[]): { edits: ShotCellEdit[]; height: number; width: number } {
  const block = parseBlock(text);
  const height = block.length;
  const width = Math.max(0, ...block.map((r) => r.length));
  if (height === 0 || width === 0) return { edits: [], height: 0, width: 0 };
  if (height * width > MAX_PASTE_CELLS) throw new BulkEditError(`the pasted block has ${height * width} cells; at most ${MAX_PASTE_CELLS} are pasted at once`);
  if (height > rows.length) throw new BulkEditError(`the pasted block has ${height} rows, and only ${rows.length} shot(s) are shown from the one chosen down: add rows to the storyboard first, or paste fewer`);
  if (width > fields.length) throw new BulkEditError(`the pasted block has ${width} columns, and only ${fields.length} editable column(s) are right of the one chosen (${fields.join(', ')})`);
  const edits: ShotCellEdit[] = [];
  block.forEach((cells, i) => cells.forEach((value, j) => edits.push({ row: rows[i], field: fields[j], value })));
  return { edits, height, width };
}

/** The cells of a tab-separated block (a single cell with no tab or line break is one cell as is). */
function parseBlock(text: string): string[][] {
  const body = text.replace(/(\r\n|\n|\r)$/, '');
  if (body === '') return [];
  // A lone cell: its text as is (a prompt may hold quotes a CSV reader would take apart).
  if (!/[\t\r\n]/.test(body)) return [[body]];
  try {
    return parse(body, { delimiter: '\t', relax_column_count: true, relax_quotes: true, skip_empty_lines: false, bom: true }) as string[][];
  } catch (e) {
    throw new BulkEditError(`the clipboard is not a block of spreadsheet cells: ${(e as Error).message}`);
  }
}

/**
 * Fill down: the cells of `fields` in the first of `rows` copied into every other row of `rows`
 * (the rows the creator selected, in the order shown). `cellOf(row, field)` reads a cell as
 * written. Throws BulkEditError for fewer than two rows.
 */
export function fillDownEdits(rows: number[], fields: KnownColumn[], cellOf: (row: number, field: KnownColumn) => string): ShotCellEdit[] {
  if (rows.length < 2) throw new BulkEditError('select two rows or more to fill down: the first one selected is copied into the others');
  const [first, ...rest] = rows;
  return fields.flatMap((field) => {
    const value = cellOf(first, field);
    return rest.filter((r) => cellOf(r, field) !== value).map((row) => ({ row, field, value }));
  });
}

/** What a find and replace would do: the edits, and how many times the text was found in how many rows. */
export interface ReplacePlan {
  edits: ShotCellEdit[];
  matches: number;
  rows: number;
}

/**
 * Find and replace in prompts: every occurrence of `find` (plain text, not a pattern) in the
 * prompt cells as written (with their `{Name}` references), in the rows given. `matchCase` false
 * compares letters without case. Throws BulkEditError when `find` is empty.
 */
export function replaceEdits(prompts: { row: number; prompt: string }[], find: string, replace: string, matchCase: boolean): ReplacePlan {
  if (find === '') throw new BulkEditError('type the text to find');
  const escaped = find.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(escaped, matchCase ? 'g' : 'gi');
  const plan: ReplacePlan = { edits: [], matches: 0, rows: 0 };
  for (const p of prompts) {
    const found = p.prompt.match(re)?.length ?? 0;
    if (found === 0) continue;
    plan.matches += found;
    plan.rows++;
    // A function: `$&` or `$1` in the replacement is text, not a back-reference.
    plan.edits.push({ row: p.row, field: 'prompt', value: p.prompt.replace(re, () => replace) });
  }
  return plan;
}
