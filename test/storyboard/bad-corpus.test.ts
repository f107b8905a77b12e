/**
 * The bad-storyboard corpus: every file in test/fixtures/bad-storyboards/ plus the cases too big
 * (or too system-specific) to commit, generated here into a temporary folder.
 *
 * For each case: the exact list of errors (row:column, in order), message fragments of the issues
 * that matter, whether the storyboard is refused as a whole (hasErrors: nothing may be enqueued),
 * and bounds: the import must finish within 5 s and grow the process's memory by less than 300 MB
 * (RSS after a garbage collection, and the peak sampled every 2 ms by a worker thread).
 * A summary table of timings is printed at the end.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasErrors, importStoryboard, type Storyboard } from '../../main/storyboard/import';
import { assertImportable } from '../../main/storyboard/import';
import { StoryboardError } from '../../main/storyboard/issues';
import { ROOT, tmpDir } from '../helpers/tmp';
import { tinyPng } from '../fixtures/bad-storyboards/generate';
import { deflated, minimalXlsx, rawZip, repeatedDeflate, sheetXml, xlsxParts, zeroBombStream } from './zip-fixtures';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'bad-storyboards');
const MAX_MS = 5_000;
const MAX_MB = 300;

/** An issue that must be present: severity, row, column (undefined = none) and a message fragment. */
interface Want {
  sev: 'error' | 'warning';
  row?: number;
  column?: string;
  msg: string;
}

interface Case {
  /** File name: in the fixtures folder, or written by `make` into a temporary folder. */
  file: string;
  /** Writes the file (and anything next to it) into `dir`; absent for committed fixtures. */
  make?: (dir: string) => void;
  /** Every error, in order, as "row:column" ("-" where the issue has none, i.e. the file as a whole). */
  errors: string[];
  /** Issues that must be present. */
  want: Want[];
  /** Shots read (also when there are errors, for display). */
  shots?: number;
  /** Further checks. */
  check?: (sb: Storyboard) => void;
  /** Skip on this platform (symlinks, FIFOs). */
  skip?: boolean;
}

const E = (row: number | undefined, column: string | undefined, msg: string): Want => ({ sev: 'error', row, column, msg });
const W = (row: number | undefined, column: string | undefined, msg: string): Want => ({ sev: 'warning', row, column, msg });
const lines = (...l: string[]) => l.join('\n') + '\n';
const POSIX = process.platform !== 'win32';
const hasMkfifo = (() => {
  if (!POSIX) return false;
  try {
    execFileSync('which', ['mkfifo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const CASES: Case[] = [
  // --- encodings ---------------------------------------------------------------------------------
  {
    file: 'utf16le-bom.csv',
    errors: ['3:duration'],
    want: [W(undefined, undefined, 'file is UTF-16 (LE)'), E(3, 'duration', 'more than 0 seconds, got -3')],
    check: (sb) => expect(sb.shots.map((s) => s.prompt)).toEqual(['café crème at dawn, ☕', 'naïve robot waves']),
  },
  {
    file: 'utf16be-bom.csv',
    errors: ['3:duration'],
    want: [W(undefined, undefined, 'file is UTF-16 (BE)'), E(3, 'duration', 'got -3')],
    check: (sb) => expect(sb.shots[0].prompt).toBe('café crème at dawn, ☕'),
  },
  {
    file: 'utf16le-no-bom.csv',
    errors: ['2:fps'],
    want: [W(undefined, undefined, 'UTF-16 (LE) without a byte-order mark'), E(2, 'fps', 'between 1 and 120, got 0')],
    check: (sb) => expect(sb.shots[0].prompt).toBe('Zoë on the pier'),
  },
  {
    file: 'windows-1252.csv',
    errors: [],
    want: [W(undefined, undefined, 'read as Windows-1252')],
    shots: 2,
    check: (sb) => {
      expect(sb.shots.map((s) => s.prompt)).toEqual(['Café “crème” — 5 €', 'Señor Müller naïve']);
      expect(sb.shots[0].duration).toBe(2.5);
    },
  },
  {
    file: 'bom-in-middle.csv',
    errors: ['3:shot'],
    want: [W(undefined, undefined, 'byte-order mark (U+FEFF, invisible) in the middle of the file was removed on row 3'), E(3, 'shot', 'repeats the header row')],
  },
  {
    file: 'bom-in-cell.csv',
    errors: [],
    want: [W(undefined, undefined, 'removed on row 2')],
    check: (sb) => expect(sb.shots[0].prompt).toBe('a cat on a wall'),
  },
  // --- quoting, line ends, delimiters ------------------------------------------------------------
  { file: 'unbalanced-quote.csv', errors: ['3:prompt'], want: [E(3, 'prompt', 'never closed')], shots: 0 },
  { file: 'stray-quote.csv', errors: ['2:prompt'], want: [E(2, 'prompt', 'in the middle of a cell that does not start with one')], shots: 0 },
  { file: 'bad-inner-quotes.csv', errors: ['2:prompt'], want: [E(2, 'prompt', 'text after its closing quote')], shots: 0 },
  {
    file: 'crlf-mixed-lf.csv',
    errors: ['4:duration'],
    want: [E(4, 'duration', 'must be a number, got "x"')],
    check: (sb) => expect(sb.shots.map((s) => s.prompt)).toEqual(['a', 'b', 'c']),
  },
  { file: 'classic-mac-cr.csv', errors: ['3:duration'], want: [E(3, 'duration', 'got "zero"')], shots: 2 },
  {
    file: 'tabs-semicolons-mixed.csv',
    errors: ['3:shot', '3:prompt'],
    want: [E(3, 'shot', 'the row seems separated by semicolons')],
  },
  {
    file: 'header-mixed-delimiters.csv',
    errors: ['1:prompt'],
    want: [W(1, 'shot\tprompt', 'contains a tab, but the header row is separated by semicolons'), E(1, 'prompt', 'no prompt column')],
  },
  { file: 'unquoted-comma-in-prompt.csv', errors: ['2:column 3'], want: [E(2, 'column 3', 'shot 1 (row 2) has 3 cells, the header has 2')] },
  // One error for the row, not knock-on errors about the columns the extra cell shifted (duration).
  { file: 'extra-cells-shift-columns.csv', errors: ['2:column 4'], want: [E(2, 'column 4', 'shot 1 (row 2) has 4 cells, the header has 3: a comma inside a cell that is not in quotes?')] },
  { file: 'header-only.csv', errors: ['-:-'], want: [E(undefined, undefined, 'header row but no shots')], shots: 0 },
  { file: 'empty.csv', errors: ['-:-'], want: [E(undefined, undefined, 'the storyboard is empty')], shots: 0 },
  { file: 'whitespace-only.csv', errors: ['-:-'], want: [E(undefined, undefined, 'the storyboard is empty')], shots: 0 },
  { file: 'blank-rows-keep-numbering.csv', errors: ['5:duration'], want: [E(5, 'duration', 'got -1')], shots: 2 },
  // --- headers and ids ---------------------------------------------------------------------------
  {
    file: 'duplicate-headers.csv',
    errors: ['1:Prompt', '1:camera'],
    want: [E(1, 'Prompt', 'duplicate column: "Prompt" names prompt again'), E(1, 'camera', 'duplicate column')],
  },
  { file: 'duplicate-alias-headers.csv', errors: ['1:prompt'], want: [E(1, 'prompt', 'names prompt again')] },
  { file: 'no-prompt-column.csv', errors: ['1:prompt'], want: [E(1, 'prompt', 'no prompt column'), W(1, undefined, 'prompt text')] },
  {
    file: 'duplicate-shot-ids.csv',
    errors: ['4:shot', '6:shot', '8:shot', '9:shot'],
    want: [
      E(4, 'shot', 'duplicate shot id "2" (also on row 3)'),
      E(6, 'shot', '"1a" and "1A" (row 5) would get the same clip file name'),
      E(8, 'shot', '"3_4" and "3/4" (row 7)'),
      E(9, 'shot', 'at most 64'),
    ],
  },
  { file: 'shot-id-too-long.csv', errors: ['2:shot'], want: [E(2, 'shot', 'shot id is 70 characters long')] },
  // --- cell values -------------------------------------------------------------------------------
  {
    file: 'durations-bad.csv',
    errors: ['2:duration', '3:duration', '4:duration', '5:duration', '7:duration', '8:duration', '9:duration', '10:duration', '11:duration'],
    want: [
      E(2, 'duration', 'more than 0 seconds, got -3'),
      E(3, 'duration', 'more than 0 seconds, got 0'),
      E(4, 'duration', 'must be a number, got "NaN"'),
      E(5, 'duration', 'must be a number, got "Infinity"'),
      E(7, 'duration', 'at most 600 seconds, got 1000000000'),
      E(8, 'duration', 'finite number, got "1e400"'),
      E(9, 'duration', '"1,000" is ambiguous'),
      E(10, 'duration', 'looks like a time'),
      E(11, 'duration', 'more than 0 seconds'),
    ],
    check: (sb) => expect(sb.shots.find((s) => s.id === '5')?.duration).toBe(5), // "5 sec" is fine
  },
  {
    file: 'resolutions-unsupported.csv',
    errors: ['2:resolution', '3:resolution', '4:resolution', '5:resolution', '6:resolution', '7:resolution', '8:resolution', '9:resolution', '10:resolution'],
    want: [
      E(2, 'resolution', 'got "8K"'),
      E(3, 'resolution', 'got "4320p"'),
      E(4, 'resolution', 'must be even'),
      E(5, 'resolution', '16..7680 pixels, got 99999'),
      E(6, 'resolution', 'got "0x0"'),
      E(9, 'resolution', '16..7680 pixels, got 10'),
      E(10, 'resolution', 'got "-1280x720"'),
    ],
    check: (sb) => expect(sb.shots.find((s) => s.id === '10')?.resolution).toMatchObject({ width: 1280, height: 720 }),
  },
  {
    file: 'image-path-escapes.csv',
    errors: ['2:image', '3:image', '4:image', '5:image', '6:image', '7:image', '8:image'],
    want: [
      E(2, 'image', '"../../etc/passwd" points outside'),
      E(3, 'image', '"/etc/passwd" points outside'),
      E(4, 'image', '"..\\..\\windows\\win.ini" points outside'),
      E(5, 'image', POSIX ? 'is an absolute path' : 'outside'),
      E(6, 'image', POSIX ? 'is an absolute path' : 'outside'),
      E(7, 'image', POSIX ? 'is an absolute path' : 'outside'),
      E(8, 'image', '"media/../../outside.png" points outside'),
    ],
    check: (sb) => expect(sb.shots.find((s) => s.id === '8')?.image).toMatchObject({ kind: 'file', path: path.join(FIXTURES, 'media', 'real.png') }),
  },
  {
    file: 'url-schemes.csv',
    errors: ['2:image', '3:image', '4:image', '5:image', '6:image', '7:image', '8:image'],
    want: [
      E(2, 'image', '"file:" links are not allowed'),
      E(3, 'image', '"javascript:" links are not allowed'),
      E(4, 'image', '"data:" links are not allowed'),
      E(5, 'image', '"ftp:" links are not allowed'),
      E(6, 'image', '"javascript:" links are not allowed'),
      E(7, 'image', '"vbscript:" links are not allowed'),
      E(8, 'image', 'not a valid URL: "http://"'),
    ],
    check: (sb) => expect(sb.shots.find((s) => s.id === '8')?.image).toMatchObject({ kind: 'url', url: 'https://example.com/a.png' }),
  },
  {
    file: 'image-not-an-image.csv',
    errors: ['2:image', '3:image', '4:image', '5:audio'],
    want: [E(2, 'image', 'is not a image file'), E(3, 'image', 'file is empty'), E(4, 'image', 'file not found'), E(5, 'audio', 'is not a audio file')],
  },
  {
    file: 'formula-injection.csv',
    errors: [],
    want: [
      W(2, 'prompt', 'starts with "=" like a spreadsheet formula'),
      W(3, 'prompt', 'starts with "+"'),
      W(4, 'prompt', 'starts with "-"'),
      W(5, 'prompt', 'starts with "@"'),
      W(5, 'notes', 'starts with "="'),
    ],
    shots: 5,
    check: (sb) => {
      // Only those five: "-1" seeds, "- wide shot ..." and "@director" are plain text.
      expect(sb.issues.filter((i) => i.message.includes('like a spreadsheet formula'))).toHaveLength(5);
      expect(sb.shots[0].prompt).toBe('=HYPERLINK("http://evil.example","click")');
    },
  },
  {
    file: 'control-chars.csv',
    errors: ['2:prompt', '3:prompt', '4:prompt', '5:notes'],
    want: [
      E(2, 'prompt', 'control character NUL (U+0000) at character 6'),
      E(3, 'prompt', 'BEL (U+0007)'),
      E(4, 'prompt', 'ESC (U+001B) at character 1'),
      E(5, 'notes', 'form feed (U+000C)'),
      W(6, 'prompt', 'invisible text-direction character'),
    ],
    check: (sb) => expect(sb.shots.find((s) => s.id === '6')?.prompt).toBe('tab\tinside is fine'),
  },
  // --- not a CSV at all --------------------------------------------------------------------------
  { file: 'png-named-csv.csv', errors: ['-:-'], want: [E(undefined, undefined, 'png-named-csv.csv is not a storyboard: it looks like a PNG image')], shots: 0 },
  { file: 'pdf-named-csv.csv', errors: ['-:-'], want: [E(undefined, undefined, 'looks like a PDF document')], shots: 0 },
  { file: 'binary-garbage.csv', errors: ['-:-'], want: [E(undefined, undefined, 'looks like binary data')], shots: 0 },
  {
    file: 'xlsx-really-csv.xlsx',
    errors: [],
    want: [W(undefined, undefined, 'xlsx-really-csv.xlsx is a text (CSV) file, not an Excel workbook; read as CSV')],
    shots: 2,
    check: (sb) => expect(sb.format).toBe('csv'),
  },
  {
    file: 'csv-really-xlsx.csv',
    errors: [],
    want: [W(undefined, undefined, 'csv-really-xlsx.csv is an Excel workbook (XLSX), not CSV text')],
    shots: 1,
    check: (sb) => expect(sb.format).toBe('xlsx'),
  },
  { file: 'xls-renamed.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'old Excel 97-2003 workbook (.xls)')], shots: 0 },
  { file: 'not-a-zip.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'zip structure is damaged')], shots: 0 },
  { file: 'xlsx-truncated.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'the file may be cut short')], shots: 0 },
  { file: 'ods-renamed.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'OpenDocument file (.ods)')], shots: 0 },
  { file: 'docx-renamed.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'zip archive without xl/workbook.xml')], shots: 0 },
  { file: 'xlsx-broken-xml.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'contents are damaged or incomplete')], shots: 0 },
  { file: 'zip64-declares-1tb.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'declares 1024.0 GB uncompressed')], shots: 0 },
  // --- XLSX contents -----------------------------------------------------------------------------
  {
    file: 'xlsx-formulas-errors.xlsx',
    errors: ['3:Duration', '4:Duration', '5:Prompt', '6:Duration', '7:FPS', '5:Prompt'],
    want: [
      E(3, 'Duration', 'error value: #REF!'),
      E(4, 'Duration', 'error value: #DIV/0!'),
      E(5, 'Prompt', 'error value: #N/A'),
      E(6, 'Duration', 'formula has no computed value'),
      E(7, 'FPS', 'error value: #NAME?'),
    ],
    check: (sb) => expect(sb.shots[0].duration).toBe(4), // =2*2, its cached value
  },
  {
    file: 'xlsx-merged-cells.xlsx',
    errors: ['6:Shot'],
    want: [W(undefined, undefined, 'merged cells (B2:B4, A5:A6)'), E(6, 'Shot', 'duplicate shot id "4" (also on row 5)')],
    check: (sb) => expect(sb.shots.slice(0, 3).map((s) => s.prompt)).toEqual(Array(3).fill('one prompt for three shots')),
  },
  {
    file: 'xlsx-hidden-sheets.xlsx',
    errors: [],
    want: [W(undefined, undefined, 'hidden sheet(s) skipped: Old version, Prices')],
    shots: 2,
    check: (sb) => expect(sb.shots.map((s) => s.prompt)).toEqual(['current', 'also current']),
  },
  {
    file: 'xlsx-only-visible-empty.xlsx',
    errors: ['-:-'],
    want: [E(undefined, undefined, 'the visible sheet "Sheet1" is empty; the shots are in hidden sheet "Shots"')],
    shots: 0,
  },
  { file: 'xlsx-all-sheets-hidden.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'no visible worksheet (hidden: "Shots")')], shots: 0 },
  { file: 'xlsx-empty-workbook.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'sheet "Sheet1" is empty')], shots: 0 },
  { file: 'xlsx-duration-as-time.xlsx', errors: ['2:Duration'], want: [E(2, 'Duration', '"0:05:00" looks like a time')] },
  {
    file: 'xlsx-whole-column-dropdowns.xlsx',
    errors: ['3:image'],
    want: [E(3, 'image', 'mode image-to-video needs an image')],
    shots: 2,
    check: (sb) => expect(sb.shots.map((s) => [s.mode, s.resolution.label, s.aspectRatio])).toEqual([['text-to-video', '720p', '16:9'], ['image-to-video', '1080p', '9:16']]),
  },
  { file: 'xlsx-huge-merge.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'merged range A3:XFD1048576 covering 17179836416 cells')], shots: 0 },
  { file: 'xlsx-billion-laughs.xlsx', errors: ['-:-'], want: [E(undefined, undefined, 'declares XML entities (<!DOCTYPE>)')], shots: 0 },
  {
    file: 'xlsx-formula-injection.xlsx',
    errors: [],
    want: [W(2, 'prompt', 'starts with "="'), W(2, 'notes', 'starts with "@"')],
    shots: 1,
  },

  // --- generated at test time: huge files --------------------------------------------------------
  {
    file: 'prompt-50mb.csv',
    make: (dir) => {
      const fd = fs.openSync(path.join(dir, 'prompt-50mb.csv'), 'w');
      fs.writeSync(fd, 'shot,prompt,duration\n1,');
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      for (let i = 0; i < 50; i++) fs.writeSync(fd, chunk);
      fs.writeSync(fd, ',4\n');
      fs.closeSync(fd);
    },
    errors: ['2:prompt'],
    want: [E(2, 'prompt', 'cell is longer than 100000 characters')],
    shots: 0,
  },
  {
    file: 'quoted-prompt-50mb.csv',
    make: (dir) => {
      const fd = fs.openSync(path.join(dir, 'quoted-prompt-50mb.csv'), 'w');
      fs.writeSync(fd, 'shot,prompt,duration\n1,ok,4\n2,"');
      const chunk = Buffer.from('line, with "" quotes\n'.repeat(50_000));
      for (let written = 0; written < 50 * 1024 * 1024; written += chunk.length) fs.writeSync(fd, chunk);
      fs.writeSync(fd, '",4\n');
      fs.closeSync(fd);
    },
    errors: ['3:prompt'],
    want: [E(3, 'prompt', 'cell is longer than 100000 characters')],
    shots: 0,
  },
  {
    file: 'rows-100k.csv',
    make: (dir) => {
      const parts = ['shot,prompt,duration'];
      for (let i = 1; i <= 100_000; i++) parts.push(`${i},shot number ${i},4`);
      fs.writeFileSync(path.join(dir, 'rows-100k.csv'), parts.join('\n') + '\n');
    },
    errors: ['20002:-'],
    want: [E(20002, undefined, 'too many shots: this row is shot 20001')],
    shots: 0,
  },
  {
    file: 'columns-10k.csv',
    make: (dir) => {
      const header = ['shot', 'prompt', ...Array.from({ length: 9998 }, (_, i) => `extra ${i + 3}`)];
      const row = (n: number) => [String(n), 'p', ...Array.from({ length: 9998 }, () => 'x')];
      fs.writeFileSync(path.join(dir, 'columns-10k.csv'), [header, row(1), row(2), row(3)].map((r) => r.join(',')).join('\n') + '\n');
    },
    errors: ['1:column 1001'],
    want: [E(1, 'column 1001', 'row has 10000 cells; at most 1000 columns')],
    shots: 0,
  },
  {
    file: 'cells-1m.csv',
    // The largest CSV the delimiter budget lets through: 999 shots x 1,000 columns (a million cells).
    make: (dir) => {
      const header = ['shot', 'prompt', ...Array.from({ length: 998 }, (_, i) => `c${i}`)].join(',');
      const filler = Array.from({ length: 998 }, () => 'x').join(',');
      const parts = [header];
      for (let r = 1; r <= 999; r++) parts.push(`${r},prompt ${r},${filler}`);
      fs.writeFileSync(path.join(dir, 'cells-1m.csv'), parts.join('\n') + '\n');
    },
    errors: [],
    want: [W(1, undefined, 'unknown column(s) kept as notes on each shot: c0, c1'), W(1, undefined, 'and 978 more')],
    shots: 999,
  },
  {
    file: 'commas-3m.csv',
    make: (dir) => fs.writeFileSync(path.join(dir, 'commas-3m.csv'), 'shot,prompt\n1,' + ','.repeat(3_000_000) + '\n'),
    errors: ['-:-'],
    want: [E(undefined, undefined, 'more than 1000000 comma delimiters')],
    shots: 0,
  },
  {
    file: 'blank-lines-250k.csv',
    make: (dir) => fs.writeFileSync(path.join(dir, 'blank-lines-250k.csv'), 'shot,prompt\n1,a\n' + '\n'.repeat(250_000) + '2,b\n'),
    errors: [],
    want: [],
    shots: 2,
    check: (sb) => expect(sb.shots[1].row).toBe(250_003),
  },
  {
    file: 'empty-cell-rows-150k.csv',
    make: (dir) => fs.writeFileSync(path.join(dir, 'empty-cell-rows-150k.csv'), 'shot,prompt,duration\n1,a,4\n' + ',,,,,\n'.repeat(150_000)),
    errors: ['20002:-'],
    want: [E(20002, undefined, 'more than 20002 rows, many of them empty cells')],
    shots: 0,
  },
  {
    file: 'zip-bomb.xlsx',
    // 2 MB on disk; the media entry inflates to 2 GB of zeros (and honestly says so).
    make: (dir) =>
      fs.writeFileSync(
        path.join(dir, 'zip-bomb.xlsx'),
        rawZip([
          ...xlsxParts([{ name: 'Shots', xml: sheetXml([['shot', 'prompt'], [1, 'a']]) }]).map((p) => deflated(p.name, p.data)),
          { name: 'xl/media/image1.png', method: 8, data: zeroBombStream(2048), declaredSize: 2048 * 1024 * 1024 },
        ]),
      ),
    errors: ['-:-'],
    want: [E(undefined, undefined, '"xl/media/image1.png" declares 2.0 GB uncompressed')],
    shots: 0,
  },
  {
    file: 'zip-bomb-lying.xlsx',
    // The entry says 1000 bytes but inflates to 1 GB: stopped after 1001 bytes.
    make: (dir) =>
      fs.writeFileSync(
        path.join(dir, 'zip-bomb-lying.xlsx'),
        rawZip([
          ...xlsxParts([{ name: 'Shots', xml: sheetXml([['shot', 'prompt'], [1, 'a']]) }]).map((p) => deflated(p.name, p.data)),
          { name: 'xl/sharedStrings.xml', method: 8, data: zeroBombStream(1024), declaredSize: 1000 },
        ]),
      ),
    errors: ['-:-'],
    want: [E(undefined, undefined, 'inflates to more than the 1000 bytes it declares')],
    shots: 0,
  },
  {
    file: 'zip-many-entries.xlsx',
    make: (dir) => fs.writeFileSync(path.join(dir, 'zip-many-entries.xlsx'), rawZip(Array.from({ length: 2500 }, (_, i) => ({ name: `x/${i}`, method: 0 as const, data: Buffer.alloc(0), declaredSize: 0 })))),
    errors: ['-:-'],
    want: [E(undefined, undefined, 'declares 2500 entries (at most 2000)')],
    shots: 0,
  },
  {
    file: 'zip-overlapping-entries.xlsx',
    // 1,500 directory entries share one 1 MB local entry (a "non-recursive" zip bomb): 1.5 GB for 90 KB.
    make: (dir) => {
      const first = { name: 'xl/a0.bin', method: 8 as const, data: zeroBombStream(1), declaredSize: 1024 * 1024 };
      fs.writeFileSync(path.join(dir, 'zip-overlapping-entries.xlsx'), rawZip([first, ...Array.from({ length: 1500 }, (_, i) => ({ ...first, name: `xl/a${i + 1}.bin`, shareWith: 0 }))]));
    },
    errors: ['-:-'],
    want: [E(undefined, undefined, 'declare more than 128.0 MB uncompressed in all')],
    shots: 0,
  },
  {
    file: 'xlsx-100k-rows.xlsx',
    make: (dir) => {
      const rows: (string | number)[][] = [['shot', 'prompt', 'duration']];
      for (let i = 1; i <= 100_000; i++) rows.push([i, `shot ${i}`, 4]);
      fs.writeFileSync(path.join(dir, 'xlsx-100k-rows.xlsx'), minimalXlsx([{ name: 'Shots', xml: sheetXml(rows) }]));
    },
    errors: ['-:-'],
    want: [E(undefined, undefined, 'worksheet sheet1.xml has 100001 rows')],
    shots: 0,
  },
  {
    file: 'xlsx-25k-rows.xlsx',
    make: (dir) => {
      const rows: (string | number)[][] = [['shot', 'prompt', 'duration']];
      for (let i = 1; i <= 25_000; i++) rows.push([i, `shot ${i}`, 4]);
      fs.writeFileSync(path.join(dir, 'xlsx-25k-rows.xlsx'), minimalXlsx([{ name: 'Shots', xml: sheetXml(rows) }]));
    },
    errors: ['20002:-'],
    want: [E(20002, undefined, 'too many shots: this row is shot 20001')],
    shots: 0,
  },
  {
    file: 'xlsx-300k-cells.xlsx',
    // The most cells the guard lets exceljs load: 299 shots x 1,000 columns (numbers).
    make: (dir) => {
      const rows: (string | number)[][] = [['shot', 'prompt', ...Array.from({ length: 998 }, (_, i) => `c${i}`)]];
      for (let r = 1; r < 300; r++) rows.push([r, `prompt ${r}`, ...Array.from({ length: 998 }, () => 7)]);
      fs.writeFileSync(path.join(dir, 'xlsx-300k-cells.xlsx'), minimalXlsx([{ name: 'Shots', xml: sheetXml(rows) }]));
    },
    errors: [],
    want: [W(1, undefined, 'and 978 more')],
    shots: 299,
  },
  {
    file: 'xlsx-400k-cells.xlsx',
    make: (dir) => {
      const rows: (string | number)[][] = [['shot', 'prompt', ...Array.from({ length: 998 }, (_, i) => `c${i}`)]];
      for (let r = 1; r < 400; r++) rows.push([r, `prompt ${r}`, ...Array.from({ length: 998 }, () => 7)]);
      fs.writeFileSync(path.join(dir, 'xlsx-400k-cells.xlsx'), minimalXlsx([{ name: 'Shots', xml: sheetXml(rows) }]));
    },
    errors: ['-:-'],
    want: [E(undefined, undefined, 'worksheet sheet1.xml has 400000 cells (at most 300000 are read)')],
    shots: 0,
  },
  {
    file: 'xlsx-50mb-cell.xlsx',
    make: (dir) => {
      const head = sheetXml([['shot', 'prompt'], [1, 'PROMPT']]).split('PROMPT');
      const body = repeatedDeflate([{ data: head[0] }, { data: Buffer.alloc(1024 * 1024, 'a'), times: 50 }, { data: head[1] }]);
      const parts = xlsxParts([{ name: 'Shots', xml: '' }]).filter((p) => !p.name.includes('worksheets'));
      fs.writeFileSync(
        path.join(dir, 'xlsx-50mb-cell.xlsx'),
        rawZip([...parts.map((p) => deflated(p.name, p.data)), { name: 'xl/worksheets/sheet1.xml', method: 8, data: body.stream, declaredSize: body.size }]),
      );
    },
    errors: ['2:prompt'],
    want: [E(2, 'prompt', 'cell is 52428800 characters long; at most 100000')],
  },
  {
    file: 'xlsx-10k-columns.xlsx',
    make: (dir) => fs.writeFileSync(path.join(dir, 'xlsx-10k-columns.xlsx'), minimalXlsx([{ name: 'Shots', xml: sheetXml([['shot', 'prompt', ...Array.from({ length: 9998 }, (_, i) => `c${i}`)], [1, 'a']]) }])),
    errors: ['1:column 1001'],
    want: [E(1, 'column 1001', 'row has 10000 cells')],
    shots: 0,
  },
  // --- generated at test time: links and special files -------------------------------------------
  {
    file: 'symlinks.csv',
    skip: !POSIX,
    make: (dir) => {
      const outside = tmpDir('ltx-outside-');
      fs.writeFileSync(path.join(outside, 'secret.png'), tinyPng());
      fs.mkdirSync(path.join(dir, 'media'));
      fs.writeFileSync(path.join(dir, 'media', 'real.png'), tinyPng());
      fs.symlinkSync(path.join(outside, 'secret.png'), path.join(dir, 'link-outside.png'));
      fs.symlinkSync(outside, path.join(dir, 'linked-folder'));
      fs.symlinkSync('/nonexistent/nowhere.png', path.join(dir, 'dangling.png'));
      fs.symlinkSync('media/real.png', path.join(dir, 'inside-link.png'));
      fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.png'));
      fs.writeFileSync(
        path.join(dir, 'symlinks.csv'),
        lines('shot,prompt,image', '1,a,link-outside.png', '2,b,linked-folder/secret.png', '3,c,dangling.png', '4,d,inside-link.png', '5,e,media/real.png', '6,f,passwd.png'),
      );
    },
    errors: ['2:image', '3:image', '4:image', '7:image'],
    want: [
      E(2, 'image', '"link-outside.png" is a symbolic link (or inside a linked folder) that leads outside'),
      E(3, 'image', '"linked-folder/secret.png" is a symbolic link'),
      E(4, 'image', 'is a link to a file that does not exist'),
      E(7, 'image', 'leads outside the storyboard\'s folder, to /etc/passwd'),
    ],
    shots: 6,
  },
  {
    file: 'media-special-files.csv',
    skip: !hasMkfifo,
    make: (dir) => {
      fs.mkdirSync(path.join(dir, 'folder.png'));
      execFileSync('mkfifo', [path.join(dir, 'pipe.png')]);
      fs.writeFileSync(path.join(dir, 'media-special-files.csv'), lines('shot,prompt,image', '1,a,folder.png', '2,b,pipe.png'));
    },
    errors: ['2:image', '3:image'],
    want: [E(2, 'image', 'not a file'), E(3, 'image', 'not a file')],
  },
  {
    file: 'fifo-storyboard.csv',
    skip: !hasMkfifo,
    make: (dir) => execFileSync('mkfifo', [path.join(dir, 'fifo-storyboard.csv')]),
    errors: ['-:-'],
    want: [E(undefined, undefined, 'fifo-storyboard.csv is not a regular file')],
    shots: 0,
  },
  {
    file: 'folder-storyboard.csv',
    make: (dir) => fs.mkdirSync(path.join(dir, 'folder-storyboard.csv')),
    errors: ['-:-'],
    want: [E(undefined, undefined, 'is not a regular file')],
    shots: 0,
  },
];

// --- measurement ---------------------------------------------------------------------------------

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Samples the process's RSS every 2 ms from a worker thread (it keeps running while an import blocks the main thread). */
function startPeakSampler() {
  const shared = new BigInt64Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const a = new BigInt64Array(workerData);
     setInterval(() => { const r = BigInt(process.memoryUsage.rss()); if (r > Atomics.load(a, 0)) Atomics.store(a, 0, r); }, 2);`,
    { eval: true, workerData: shared.buffer },
  );
  worker.unref();
  return { reset: () => Atomics.store(shared, 0, 0n), peak: () => Number(Atomics.load(shared, 0)), stop: () => worker.terminate() };
}

const results: { file: string; ms: number; rssMb: number; peakMb: number; errors: number; warnings: number }[] = [];
let sampler: ReturnType<typeof startPeakSampler>;
beforeAll(() => {
  sampler = startPeakSampler();
});
afterAll(async () => {
  await sampler.stop();
  const rows = results.map((r) => `${r.file.padEnd(36)} ${String(r.ms).padStart(6)} ms ${String(r.rssMb).padStart(5)} MB ${String(r.peakMb).padStart(5)} MB  ${r.errors} error(s), ${r.warnings} warning(s)`);
  console.log(`bad-storyboard corpus (import time, RSS growth, peak RSS growth):\n${rows.join('\n')}`);
});

const where = (i: { row?: number; column?: string }) => `${i.row ?? '-'}:${i.column ?? '-'}`;

describe('bad-storyboard corpus', () => {
  for (const c of CASES) {
    it.skipIf(c.skip === true)(`${c.file}`, async () => {
      const dir = c.make ? tmpDir('ltx-bad-') : FIXTURES;
      if (c.make) c.make(dir);
      const file = path.join(dir, c.file);
      gc();
      await new Promise((r) => setTimeout(r, 10));
      const before = process.memoryUsage().rss;
      sampler.reset();
      const t0 = performance.now();
      const sb = await importStoryboard(file);
      const ms = Math.round(performance.now() - t0);
      const after = process.memoryUsage().rss;
      const peak = Math.max(sampler.peak(), after);
      const rssMb = Math.round((after - before) / 1048576);
      const peakMb = Math.round((peak - before) / 1048576);
      results.push({ file: c.file, ms, rssMb, peakMb, errors: sb.issues.filter((i) => i.severity === 'error').length, warnings: sb.issues.filter((i) => i.severity === 'warning').length });
      if (c.make) fs.rmSync(dir, { recursive: true, force: true });

      const errors = sb.issues.filter((i) => i.severity === 'error');
      expect(errors.map(where), JSON.stringify(sb.issues, null, 1)).toEqual(c.errors);
      for (const w of c.want) {
        const hit = sb.issues.find((i) => i.severity === w.sev && i.row === w.row && i.column === w.column && i.message.includes(w.msg));
        expect(hit, `${w.sev} ${w.row}:${w.column} "${w.msg}" in ${JSON.stringify(sb.issues, null, 1)}`).toBeDefined();
      }
      // All or nothing: a storyboard with any error must not be enqueued.
      expect(hasErrors(sb)).toBe(c.errors.length > 0);
      if (c.errors.length > 0) expect(() => assertImportable(sb)).toThrow(StoryboardError);
      else expect(() => assertImportable(sb)).not.toThrow();
      if (c.shots !== undefined) expect(sb.shots).toHaveLength(c.shots);
      c.check?.(sb);
      expect(ms, 'import time (ms)').toBeLessThan(MAX_MS);
      expect(rssMb, 'RSS growth (MB)').toBeLessThan(MAX_MB);
      expect(peakMb, 'peak RSS growth (MB)').toBeLessThan(MAX_MB);
    });
  }

  it('covers every committed fixture, and README.md lists every case', () => {
    const committed = fs.readdirSync(FIXTURES).filter((f) => /\.(csv|xlsx)$/.test(f));
    const cased = new Set(CASES.map((c) => c.file));
    expect(committed.filter((f) => !cased.has(f))).toEqual([]);
    expect(CASES.filter((c) => !c.make && !committed.includes(c.file)).map((c) => c.file)).toEqual([]);
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    const readme = fs.readFileSync(path.join(FIXTURES, 'README.md'), 'utf8');
    expect(CASES.map((c) => c.file).filter((f) => !readme.includes(`\`${f}\``))).toEqual([]);
  });

  it('zip bombs are refused from the zip directory: exceljs (JSZip) never sees them, a normal workbook still reaches it', async () => {
    const require = createRequire(import.meta.url);
    // exceljs loads workbooks with JSZip.loadAsync (exceljs/lib/xlsx/xlsx.js); count the calls.
    const JSZip = require(require.resolve('jszip', { paths: [path.dirname(require.resolve('exceljs'))] })) as { loadAsync: (...a: unknown[]) => unknown };
    const spy = vi.spyOn(JSZip, 'loadAsync');
    try {
      const dir = tmpDir('ltx-bomb-');
      for (const c of CASES.filter((x) => x.file.startsWith('zip-'))) {
        c.make!(dir);
        const sb = await importStoryboard(path.join(dir, c.file));
        expect(hasErrors(sb)).toBe(true);
      }
      expect(spy).not.toHaveBeenCalled();
      await importStoryboard(path.join(FIXTURES, 'xlsx-hidden-sheets.xlsx'));
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('the zip bombs are real: the bomb stream inflates far beyond what the guard allows', async () => {
    const zlib = await import('node:zlib');
    expect(() => zlib.inflateRawSync(zeroBombStream(128), { maxOutputLength: 64 * 1024 * 1024 })).toThrow(/Cannot create a Buffer larger|larger than/i);
  });
});
