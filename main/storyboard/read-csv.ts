/**
 * Reads a CSV storyboard into raw rows with csv-parse (RFC 4180 quoting).
 *
 * Handles a UTF-8 or UTF-16 byte-order mark, CRLF, quoted fields with commas, quotes and newlines,
 * a comma, semicolon or tab delimiter (whichever the header line uses most), and empty trailing rows.
 * Text that is not valid UTF-8 is read as Windows-1252 with a warning.
 */
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import type { RawSheet } from './raw-sheet';

/** Largest cell accepted, in characters; a longer cell is an error naming its row (CSV bombs, pasted files). */
export const MAX_CELL_CHARS = 100_000;

/**
 * Decodes the bytes of a text file: UTF-8 (BOM optional), UTF-16 with a BOM, else Windows-1252.
 * Returns the text and, when it was not UTF-8, a warning saying which encoding was assumed.
 */
export function decodeText(bytes: Buffer): { text: string; warning?: string } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: iconv.decode(bytes.subarray(2), 'utf16le'), warning: 'file is UTF-16 (LE); read as such' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: iconv.decode(bytes.subarray(2), 'utf16be'), warning: 'file is UTF-16 (BE); read as such' };
  }
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start)) };
  } catch {
    return {
      text: iconv.decode(bytes.subarray(start), 'win1252'),
      warning: 'file is not valid UTF-8; read as Windows-1252 (re-save it as "CSV UTF-8" to be sure accents are right)',
    };
  }
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

/**
 * Parses CSV bytes into a {@link RawSheet}. Row numbers count records (header = row 1), as a
 * spreadsheet shows them. A malformed file (unbalanced quote, oversized cell) gives `fatal`.
 */
export function readCsv(bytes: Buffer): RawSheet {
  const { text, warning } = decodeText(bytes);
  const warnings = warning ? [warning] : [];
  const clean = text.replace(/\uFEFF/g, (_m, offset: number) => {
    if (offset > 0) warnings.push('a byte-order mark (U+FEFF) in the middle of the file was removed');
    return '';
  });
  const delimiter = detectDelimiter(clean);
  let records: string[][];
  try {
    records = parse(clean, {
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_CELL_CHARS * 4,
    }) as string[][];
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number; records?: number };
    const row = typeof e.records === 'number' ? e.records + 1 : undefined;
    let reason = e.message;
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') reason = 'a quoted cell is never closed (unbalanced " quote)';
    else if (e.code === 'CSV_MAX_RECORD_SIZE') reason = `a row is larger than ${MAX_CELL_CHARS * 4} characters`;
    else if (e.code === 'CSV_INVALID_CLOSING_QUOTE' || e.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE')
      reason = 'a quote " appears inside a cell that is not quoted as a whole; wrap the cell in quotes and double the inner quote ("")';
    return { rows: [], rowNumbers: [], warnings, fatal: { row: row ?? (e.lines ?? 0), message: reason } };
  }
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  records.forEach((rec, i) => {
    if (rec.every((c) => c.trim() === '')) return; // blank rows (",,,") are skipped
    rows.push(rec);
    rowNumbers.push(i + 1);
  });
  return { rows, rowNumbers, warnings, delimiter };
}
