import type { LookSheets } from './style';

/**
 * A storyboard sheet as read from a file, before the cells are interpreted: rows of cell text,
 * the first being the header row. Shared by the CSV and XLSX readers.
 */
/** The workbook keyword a results workbook carries, followed by its project folder's absolute path. */
export const RESULTS_OF_KEYWORD = 'ltx-batch-results-of:';

export interface RawSheet {
  /** Rows of cell text; rows[0] is the header row. Blank rows are already removed. */
  rows: string[][];
  /** The spreadsheet row number (1-based) of each entry in `rows`. */
  rowNumbers: number[];
  /** File-level warnings (encoding assumed, hidden sheets skipped, ...). */
  warnings: string[];
  /** Cell-level problems found while reading (XLSX error values such as #REF!); errors unless `severity` says otherwise. */
  cellIssues?: { row: number; columnIndex: number; message: string; severity?: 'error' | 'warning' }[];
  /**
   * A problem that stops the file from being read at all, with the row (0 = the file as a whole) and,
   * when known, the column (the header as written, or "column N") where it was found.
   */
  fatal?: { row: number; column?: string; message: string };
  /**
   * True when the reader checked the whole text and it holds no control or text-direction
   * character, so the importer need not test each cell for them (CSV: one regex over the file).
   */
  noSuspiciousChars?: boolean;
  /** CSV only: the delimiter that was used. */
  delimiter?: string;
  /** XLSX only: the worksheet that was read. */
  sheetName?: string;
  /** XLSX only: the workbook's `Style` and `Characters` sheets, as rows of cell text with their row numbers (see style.ts). */
  lookSheets?: LookSheets;
  /** XLSX only: for a results workbook (`ltx-batch report --xlsx`), the project folder it was written from. */
  resultsOf?: string;
}
