/**
 * Reads a CSV storyboard into raw rows with csv-parse (RFC 4180 quoting).
 *
 * Handles a UTF-8 or UTF-16 byte-order mark (and UTF-16 without one, recognised by its zero bytes),
 * CRLF, LF and CR line ends (mixed in one file too), quoted fields with commas, quotes and newlines,
 * a comma, semicolon or tab delimiter (whichever the header line uses most), and blank rows (skipped,
 * but counted, so row numbers are the ones a spreadsheet shows). Text that is not valid UTF-8 is
 * read as Windows-1252 with a warning.
 *
 * Bounded: a cell over {@link MAX_CELL_CHARS} or more than {@link MAX_CSV_DELIMITERS} delimiters in
 * the file stop the read early with an error, and at most MAX_SHOTS + 2 rows are parsed (enough to
 * name the first row over the shot limit), so a hostile file cannot make csv-parse build millions
 * of cells.
 */
import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { MAX_SHOTS } from './limits';
import type { RawSheet } from './raw-sheet';

/** Largest cell accepted, in characters; a longer cell is an error naming its row (CSV bombs, pasted files). */
export const MAX_CELL_CHARS = 100_000;

/**
 * Most delimiters outside quotes in a CSV, i.e. about its number of cells (20,000 shots of up to
 * 50 columns). A file of millions of commas is refused before it is parsed; at the limit a parse
 * takes about a second.
 */
export const MAX_CSV_DELIMITERS = 1_000_000;

const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

/**
 * Guesses UTF-16 without a byte-order mark: text made of ASCII characters has a zero in every
 * other byte. Returns the byte order, or undefined.
 */
function utf16WithoutBom(bytes: Buffer): 'utf16le' | 'utf16be' | undefined {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZero++;
    if (bytes[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero / pairs > 0.4 && evenZero / pairs < 0.05) return 'utf16le';
  if (evenZero / pairs > 0.4 && oddZero / pairs < 0.05) return 'utf16be';
  return undefined;
}

/** A text file's encoding as {@link decodeText} found it, and whether it starts with a byte-order mark. */
export interface TextEncoding {
  encoding: 'utf8' | 'utf16le' | 'utf16be' | 'win1252';
  bom: boolean;
}

/**
 * Decodes the bytes of a text file: UTF-8 (BOM optional), UTF-16 with a BOM (or recognisably
 * without one), else Windows-1252. Returns the text, the encoding found (to write the file back
 * the same way) and, when it was not UTF-8, a warning saying which encoding was assumed.
 */
export function decodeText(bytes: Buffer): { text: string; warning?: string; found: TextEncoding } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: iconv.decode(bytes.subarray(2), 'utf16le'), warning: 'file is UTF-16 (LE); read as such', found: { encoding: 'utf16le', bom: true } };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: iconv.decode(bytes.subarray(2), 'utf16be'), warning: 'file is UTF-16 (BE); read as such', found: { encoding: 'utf16be', bom: true } };
  }
  const utf16 = utf16WithoutBom(bytes);
  if (utf16) {
    return { text: iconv.decode(bytes, utf16), warning: `file looks like UTF-16 (${utf16 === 'utf16le' ? 'LE' : 'BE'}) without a byte-order mark; read as such (re-save it as "CSV UTF-8" to be sure)`, found: { encoding: utf16, bom: false } };
  }
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  if (isUtf8(body)) return { text: body.toString('utf8'), found: { encoding: 'utf8', bom: start > 0 } };
  return {
    text: iconv.decode(body, 'win1252'),
    warning: 'file is not valid UTF-8; read as Windows-1252 (re-save it as "CSV UTF-8" to be sure accents are right)',
    found: { encoding: 'win1252', bom: start > 0 },
  };
}

/** Picks the delimiter the header line uses most: comma, semicolon or tab (comma on a tie). */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  let inQuotes = false;
  const counts = { ',': 0, ';': 0, '\t': 0 };
  for (let i = 0; i < text.length && i < 65_536; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) break;
    else if (!inQuotes && (c === ',' || c === ';' || c === '\t')) counts[c]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

/** What {@link scanCsv} finds. */
interface CsvScan {
  /** Delimiters outside quotes (counted only in a text longer than the limit: a shorter one cannot pass it). */
  delimiters: number;
  /** The row number of each non-blank record. */
  rows: number[];
}

/**
 * One pass over the text, outside quotes (each `"` toggles; a doubled `""` toggles twice): counts
 * the delimiters, stopping once `limit` is passed, and numbers the records as a spreadsheet shows
 * its rows, blank lines included (`rows[k]` is the row number of the k-th non-blank record; a line
 * break is CRLF, LF or CR). Where quotes sit only at cell boundaries this is exactly how csv-parse
 * splits cells and records; a stray quote elsewhere makes csv-parse stop with an error anyway, and
 * the caller checks that both found as many records.
 *
 * It jumps from one quote, line break or delimiter to the next with the engine's own string search
 * (indexOf) rather than reading each character in a loop: a third of the time on a 10,000-row file.
 */
function scanCsv(text: string, ch: string, limit: number): CsvScan {
  const n = text.length;
  const rows: number[] = [];
  // A text no longer than the limit cannot hold more delimiters than that: they are not counted.
  const count = n > limit;
  let delimiters = 0;
  let row = 1;
  let empty = true;
  // The next quote, LF, CR and delimiter at or after the position reached (n when none is left).
  const next = (c: string, from: number) => {
    const at = text.indexOf(c, from);
    return at < 0 ? n : at;
  };
  let quote = next('"', 0);
  let lf = next('\n', 0);
  let cr = next('\r', 0);
  let delim = count ? next(ch, 0) : n;
  let i = 0;
  while (i < n) {
    // Outside quotes, up to the next quote: its line breaks end records; its delimiters are counted.
    const stop = quote;
    while (true) {
      const brk = lf < cr ? lf : cr;
      if (brk >= stop) break;
      if (count) {
        while (delim < brk) {
          if (++delimiters > limit) return { delimiters, rows };
          delim = next(ch, delim + 1);
        }
      }
      if (brk > i) empty = false;
      if (!empty) rows.push(row);
      row++;
      empty = true;
      i = brk + 1;
      if (brk === cr) {
        if (lf === brk + 1) {
          i++; // CRLF is one line break
          lf = next('\n', i);
        }
        cr = next('\r', i);
      } else lf = next('\n', i);
    }
    if (count) {
      while (delim < stop) {
        if (++delimiters > limit) return { delimiters, rows };
        delim = next(ch, delim + 1);
      }
    }
    if (stop > i) empty = false;
    if (stop >= n) break;
    // A quoted stretch, to the closing quote: nothing in it ends a record or counts.
    empty = false;
    const close = next('"', stop + 1);
    i = close + 1;
    quote = i < n ? next('"', i) : n;
    if (lf < i) lf = next('\n', i);
    if (cr < i) cr = next('\r', i);
    if (delim < i) delim = count ? next(ch, i) : n;
  }
  if (!empty) rows.push(row);
  return { delimiters, rows };
}

/** The 1-based physical lines of ascending character offsets, in one pass over the text. */
function linesOf(text: string, offsets: number[]): number[] {
  const out: number[] = [];
  let line = 1;
  let i = 0;
  for (const offset of offsets) {
    for (; i < offset; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++;
    }
    out.push(line);
  }
  return out;
}

/**
 * Parses CSV bytes into a {@link RawSheet}. Row numbers count records (header = row 1, blank rows
 * included), as a spreadsheet shows them. A malformed file (unbalanced quote, oversized cell, too
 * many rows or cells) gives `fatal` with the row and, where known, the column.
 */
export function readCsv(bytes: Buffer): RawSheet {
  const { text, warning } = decodeText(bytes);
  const warnings = warning ? [warning] : [];
  // Byte-order marks: one at the start is dropped silently; one further in (two files pasted
  // together, a cell copied from another file) is dropped with a warning naming its row.
  const midBoms: number[] = [];
  let removed = 0;
  const clean = !text.includes('\uFEFF') ? text : text.replace(/\uFEFF/g, (_m, offset: number) => {
    if (offset > 0 && midBoms.length < 5) midBoms.push(offset - removed); // the first five are named
    removed++;
    return '';
  });
  const delimiter = detectDelimiter(clean);
  const fatal = (row: number, message: string, column?: string): RawSheet => ({ rows: [], rowNumbers: [], warnings, fatal: { row, column, message }, delimiter });
  const scanned = scanCsv(clean, delimiter, MAX_CSV_DELIMITERS);
  const delimiters = scanned.delimiters;
  if (delimiters > MAX_CSV_DELIMITERS) {
    return fatal(0, `the file has more than ${MAX_CSV_DELIMITERS} ${DELIMITER_NAMES[delimiter]} delimiters (cells); a storyboard has at most ${MAX_SHOTS} shots; split it`);
  }
  // Blank lines are skipped by csv-parse itself (cheap) but still counted in row numbers: the scan
  // above numbered the records (csv-parse's per-record `info` would cost 60% more than the parse).
  // At most MAX_SHOTS + 2 records are parsed: enough to name the first row over the shot limit,
  // never millions.
  const maxRecords = MAX_SHOTS + 2;
  const options = {
    delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_CELL_CHARS * 4,
    to: maxRecords,
  };
  type Info = { records: number; empty_lines: number; lines: number };
  let parsed: string[][];
  // csv-parse builds (and discards) an Error for every row shorter or longer than the header;
  // without stack traces that costs a tenth as much. Synchronous, so nothing else sees the setting.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    parsed = parse(clean, options) as string[][];
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number; records?: number; empty_lines?: number; column?: number };
    const row = typeof e.records === 'number' ? e.records + (e.empty_lines ?? 0) + 1 : (e.lines ?? 0);
    let column: string | undefined;
    if (typeof e.column === 'number') {
      let header: string[] = [];
      if (row > 1) {
        try {
          header = (parse(clean, { ...options, to: 1 }) as string[][])[0] ?? [];
        } catch {
          header = [];
        }
      }
      column = header[e.column]?.trim() || `column ${e.column + 1}`;
    }
    let reason = e.message;
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') reason = 'a quoted cell is never closed (unbalanced " quote); everything after it would end up in that cell';
    else if (e.code === 'CSV_MAX_RECORD_SIZE') reason = `cell is longer than ${MAX_CELL_CHARS} characters (a pasted file?); the file was not read further`;
    else if (e.code === 'CSV_INVALID_OPENING_QUOTE' || e.code === 'INVALID_OPENING_QUOTE')
      reason = 'a quote " appears in the middle of a cell that does not start with one (e.g. 12" tall); wrap the whole cell in quotes and double the inner quote ("12"" tall")';
    else if (e.code === 'CSV_INVALID_CLOSING_QUOTE' || e.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE')
      reason = 'a quoted cell has text after its closing quote; quotes inside a quoted cell must be doubled ("")';
    return fatal(row, reason, column);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  // Row numbers from the scan; if it split records differently from csv-parse (it cannot where
  // quotes sit at cell boundaries, which csv-parse requires), ask csv-parse for them instead.
  let numbers = scanned.rows;
  const consistent = numbers.length === parsed.length || (parsed.length === maxRecords && numbers.length > parsed.length);
  if (!consistent) numbers = (parse(clean, { ...options, info: true }) as unknown as { info: Info }[]).map((r) => r.info.records + r.info.empty_lines);
  for (let i = 0; i < parsed.length; i++) {
    const record = parsed[i];
    if (record.every((c) => c.trim() === '')) continue; // rows of empty cells (",,,") are skipped
    rows.push(record);
    rowNumbers.push(numbers[i]);
  }
  if (parsed.length >= maxRecords && rows.length <= MAX_SHOTS + 1) {
    // Stopped at the record limit, but many of those rows were empty cells (",,,,"): refuse rather
    // than read on without a bound.
    return fatal(numbers[parsed.length - 1], `the file has more than ${maxRecords} rows, many of them empty cells (",,,"); remove the empty rows or split the storyboard`);
  }
  if (midBoms.length > 0) {
    // Rare: which rows held a mark needs each record's physical lines (csv-parse's info), parsed again.
    const withInfo = parse(clean, { ...options, info: true }) as unknown as { info: Info }[];
    const rowsWithBom = new Set<number>();
    for (const line of linesOf(clean, midBoms)) {
      const hit = withInfo.find((r) => r.info.lines >= line);
      if (hit) rowsWithBom.add(hit.info.records + hit.info.empty_lines);
    }
    const list = [...rowsWithBom].join(', ');
    warnings.push(`a byte-order mark (U+FEFF, invisible) in the middle of the file was removed${list ? ` on row ${list}` : ''} (two files pasted together?)`);
  }
  const cellIssues: NonNullable<RawSheet['cellIssues']> = [];
  const others = [',', ';', '\t'].filter((d) => d !== delimiter);
  const header = rows[0] ?? [];
  // Mixed delimiters: a header cell, or a row that came out as a single cell, holding another delimiter.
  header.forEach((h, idx) => {
    const other = others.find((d) => h.includes(d));
    if (other) {
      cellIssues.push({ severity: 'warning', row: rowNumbers[0], columnIndex: idx, message: `header cell "${h.slice(0, 60)}" contains a ${DELIMITER_NAMES[other]}, but the header row is separated by ${DELIMITER_NAMES[delimiter]}s; use one delimiter throughout the file` });
    }
  });
  if (header.length >= 2) {
    for (let r = 1; r < rows.length; r++) {
      if (rows[r].length !== 1) continue;
      const other = others.find((d) => rows[r][0].includes(d));
      if (other) {
        cellIssues.push({
          row: rowNumbers[r],
          columnIndex: 0,
          message: `this row is one cell, but the header has ${header.length} columns separated by ${DELIMITER_NAMES[delimiter]}s; the row seems separated by ${DELIMITER_NAMES[other]}s: use one delimiter throughout the file`,
        });
      }
    }
  }
  // One test over the whole text instead of one per cell (tab, LF and CR are allowed anywhere).
  const noSuspiciousChars = !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/.test(clean);
  return { rows, rowNumbers, warnings, delimiter, cellIssues, noSuspiciousChars };
}
