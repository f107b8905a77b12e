/**
 * Property-based tests: whatever bytes a storyboard holds, the importer returns issues instead of
 * throwing, and each run finishes quickly (no hang, no runaway parse).
 *
 * The seed is fixed and printed; to replay a failure run
 *   FC_SEED=<seed> npx vitest run test/storyboard/csv-fuzz.test.ts
 * (fast-check also prints the seed and the counterexample path when a property fails).
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_COLUMNS } from '../../main/storyboard/columns';
import { hasErrors, importStoryboard, interpretSheet, type Storyboard } from '../../main/storyboard/import';
import { readCsv } from '../../main/storyboard/read-csv';
import { tmpDir } from '../helpers/tmp';

const SEED = Number(process.env.FC_SEED ?? 20_240_611);
/** Longest a single import may take (a hang or quadratic parse shows up here). */
const MAX_RUN_MS = 1_000;

let dir: string;
let n = 0;
beforeAll(() => {
  dir = tmpDir('ltx-fuzz-');
  console.log(`fast-check seed ${SEED} (replay: FC_SEED=${SEED} npx vitest run test/storyboard/csv-fuzz.test.ts)`);
});

/** Imports bytes as a file, timing it; checks the invariants every result must satisfy. */
async function importBytes(bytes: Uint8Array, ext: string): Promise<Storyboard> {
  const file = path.join(dir, `f${n++ % 8}${ext}`);
  fs.writeFileSync(file, bytes);
  const t0 = performance.now();
  const sb = await importStoryboard(file);
  const ms = performance.now() - t0;
  expect(ms, 'one import').toBeLessThan(MAX_RUN_MS);
  checkInvariants(sb);
  return sb;
}

function checkInvariants(sb: { shots: Storyboard['shots']; issues: Storyboard['issues'] }): void {
  for (const i of sb.issues) {
    expect(['error', 'warning']).toContain(i.severity);
    expect(typeof i.message).toBe('string');
    expect(i.message.length).toBeGreaterThan(0);
    if (i.row !== undefined) expect(Number.isInteger(i.row) && i.row > 0).toBe(true);
  }
  const errors = sb.issues.some((i) => i.severity === 'error');
  // Without errors there is something to render, and every shot is well formed.
  if (!errors) {
    expect(sb.shots.length).toBeGreaterThan(0);
    for (const s of sb.shots) {
      expect(s.prompt.trim()).not.toBe('');
      expect(Number.isFinite(s.duration) && s.duration > 0).toBe(true);
      expect(s.id).not.toBe('');
    }
    expect(new Set(sb.shots.map((s) => s.id)).size).toBe(sb.shots.length);
  }
}

/** Cell contents that stress the CSV reader and the cell parsers. */
const nasty = fc.constantFrom(
  '"', '""', '"a"b', 'a"b', '\r', '\n', '\r\n', ',', ';', '\t', '\uFEFF', '\u0000', '\u0007', '\u202E', '\uD800', '\uFFFD',
  '=cmd|\' /C calc\'!A0', '@SUM(1)', '-1', '+1', 'NaN', 'Infinity', '1e400', '-0', '5 sec', '0:05', '1,000', '2,5',
  '../../etc/passwd', '..\\..\\x', '/etc/passwd', 'C:\\x', 'file:///etc/passwd', 'javascript:alert(1)', 'https://example.com/a.png',
  '720p', '4K', '1921x1080', '16:9', '9:16', 't2v', 'i2v', 'lipsync', 'control', '',
);
const cellArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 4, arbitrary: nasty },
);
const headerArb = fc.array(fc.oneof(fc.constantFrom(...KNOWN_COLUMNS, 'Shot ID', 'Duration (s)', 'description', 'Camera'), cellArb), { minLength: 1, maxLength: 8 });

/** A CSV-ish text: a header and rows, each cell quoted properly, quoted badly or left bare. */
const csvTextArb = fc
  .record({
    header: headerArb,
    rows: fc.array(fc.array(cellArb, { maxLength: 9 }), { maxLength: 12 }),
    delimiter: fc.constantFrom(',', ';', '\t', '|'),
    newline: fc.constantFrom('\n', '\r\n', '\r', 'mixed'),
    quoting: fc.constantFrom('none', 'all', 'random', 'broken'),
    trailingNewline: fc.boolean(),
    quoteSeed: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
  })
  .map(({ header, rows, delimiter, newline, quoting, trailingNewline, quoteSeed }) => {
    let k = 0;
    const q = (c: string) => {
      const pick = quoteSeed[k++ % quoteSeed.length];
      if (quoting === 'all' || (quoting === 'random' && pick)) return `"${c.replace(/"/g, '""')}"`;
      if (quoting === 'broken' && pick) return `"${c}`;
      return c;
    };
    const nl = (i: number) => (newline === 'mixed' ? ['\n', '\r\n', '\r'][i % 3] : newline);
    const linesOut = [header, ...rows].map((r) => r.map(q).join(delimiter));
    return linesOut.map((l, i) => l + (i < linesOut.length - 1 || trailingNewline ? nl(i) : '')).join('');
  });

/** The same text in one of the encodings creators' tools write. */
const encodedArb = fc.tuple(csvTextArb, fc.constantFrom('utf8', 'utf8bom', 'utf16le', 'utf16be', 'win1252')).map(([text, enc]) => {
  switch (enc) {
    case 'utf8bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf16le')]);
    case 'utf16be':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, 'utf16be')]);
    case 'win1252':
      return iconv.encode(text, 'win1252');
    default:
      return Buffer.from(text, 'utf8');
  }
});

describe('the importer never crashes or hangs on random input', () => {
  it('random bytes (as .csv and as .xlsx)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom('.csv', '.xlsx', '.txt'), async (bytes, ext) => {
        await importBytes(bytes, ext);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('random CSV: quoting, delimiters, line ends, unicode, encodings', async () => {
    await fc.assert(
      fc.asyncProperty(encodedArb, async (bytes) => {
        await importBytes(bytes, '.csv');
      }),
      { seed: SEED, numRuns: 600 },
    );
  });

  it('the CSV path alone (readCsv + interpretSheet) on random text, many runs', () => {
    fc.assert(
      fc.property(fc.oneof(csvTextArb, fc.string({ unit: 'binary', maxLength: 400 })), (text) => {
        const t0 = performance.now();
        const sheet = readCsv(Buffer.from(text, 'utf8'));
        const result = interpretSheet(sheet, dir);
        expect(performance.now() - t0).toBeLessThan(MAX_RUN_MS);
        checkInvariants(result);
        // Row numbers are the ones a spreadsheet shows: increasing, starting at 1 or later.
        for (let i = 1; i < sheet.rowNumbers.length; i++) expect(sheet.rowNumbers[i]).toBeGreaterThan(sheet.rowNumbers[i - 1]);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('names each row as csv-parse counts it, blank lines and line breaks inside quotes included', () => {
    // The oracle: csv-parse's own record info (records + blank lines skipped before), the slow way.
    const lineEnds = fc.constantFrom('\n', '\r\n', '\r');
    const cellArb = fc.oneof(fc.constantFrom('', ' ', 'a', 'b c', '1,5', 'x;y'), fc.string({ maxLength: 6 }).map((t) => `"${t.replace(/"/g, '""')}"`), lineEnds.map((e) => `"two${e}lines"`));
    const lineArb = fc.oneof(fc.array(cellArb, { minLength: 1, maxLength: 4 }).map((c) => c.join(',')), fc.constant(''));
    fc.assert(
      fc.property(fc.array(fc.tuple(lineArb, lineEnds), { maxLength: 12 }), (lines) => {
        const text = `shot,prompt\n${lines.map(([l, e]) => l + e).join('')}`;
        const sheet = readCsv(Buffer.from(text, 'utf8'));
        if (sheet.fatal) return;
        const info = parse(text, { relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'], info: true }) as unknown as { record: string[]; info: { records: number; empty_lines: number } }[];
        const expected = info.filter((r) => !r.record.every((c) => c.trim() === '')).map((r) => r.info.records + r.info.empty_lines);
        expect(sheet.rowNumbers).toEqual(expected);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('a valid workbook with random bytes overwritten never crashes the XLSX path', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Shots');
    ws.addRow(['Shot', 'Prompt', 'Duration']);
    ws.addRow([1, 'sunrise over the bay', 4]);
    ws.addRow([2, { formula: '1/0', result: { error: '#DIV/0!' } }, 5]);
    const good = Buffer.from(await wb.xlsx.writeBuffer());
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), async (edits) => {
        const bytes = Buffer.from(good);
        for (const [at, b] of edits) bytes[at] = b;
        const sb = await importBytes(bytes, '.xlsx');
        if (!hasErrors(sb)) expect(sb.shots.length).toBeGreaterThan(0);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
