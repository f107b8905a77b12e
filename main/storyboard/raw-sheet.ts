/**
 * A storyboard sheet as read from a file, before the cells are interpreted: rows of cell text,
 * the first being the header row. Shared by the CSV and XLSX readers.
 */
export interface RawSheet {
  /** Rows of cell text; rows[0] is the header row. Blank rows are already removed. */
  rows: string[][];
  /** The spreadsheet row number (1-based) of each entry in `rows`. */
  rowNumbers: number[];
  /** File-level warnings (encoding assumed, hidden sheets skipped, ...). */
  warnings: string[];
  /** Cell-level problems found while reading (XLSX error values such as #REF!). */
  cellIssues?: { row: number; columnIndex: number; message: string }[];
  /** A problem that stops the file from being read at all, with the row where it was found. */
  fatal?: { row: number; message: string };
  /** CSV only: the delimiter that was used. */
  delimiter?: string;
  /** XLSX only: the worksheet that was read. */
  sheetName?: string;
}
