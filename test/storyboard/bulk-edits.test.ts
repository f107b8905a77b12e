/**
 * Bulk edits worked out from what a creator does: a block copied from a spreadsheet (the clipboard
 * text Excel, LibreOffice and Google Sheets write), fill down, find and replace in prompts.
 */
import { describe, expect, it } from 'vitest';
import { BulkEditError, fillDownEdits, pasteEdits, replaceEdits } from '../../main/storyboard/bulk-edits';

describe('pasting a block copied from a spreadsheet', () => {
  it('lands its top-left cell on the chosen cell and goes down the rows shown and across the columns in order', () => {
    // Two rows of two cells, the second prompt holding a tab, a quote and a line break (quoted, as spreadsheets copy it); the block ends with a line break.
    const text = 'a pier at dawn\t4\r\n"gulls, ""loud""\tover\nthe pier"\t6\r\n';
    const p = pasteEdits(text, [5, 3, 9], ['prompt', 'duration', 'resolution']);
    expect(p).toEqual({
      height: 2,
      width: 2,
      edits: [
        { row: 5, field: 'prompt', value: 'a pier at dawn' },
        { row: 5, field: 'duration', value: '4' },
        { row: 3, field: 'prompt', value: 'gulls, "loud"\tover\nthe pier' },
        { row: 3, field: 'duration', value: '6' },
      ],
    });
  });

  it('a single copied cell is pasted as is, quotes and all', () => {
    expect(pasteEdits('she says "go"\n', [2], ['prompt']).edits).toEqual([{ row: 2, field: 'prompt', value: 'she says "go"' }]);
  });

  it('refuses a block taller or wider than what is below and right of the chosen cell, before anything is written', () => {
    expect(() => pasteEdits('a\nb\nc\n', [2, 3], ['prompt'])).toThrow(new BulkEditError('the pasted block has 3 rows, and only 2 shot(s) are shown from the one chosen down: add rows to the storyboard first, or paste fewer'));
    expect(() => pasteEdits('a\tb\tc', [2], ['seed', 'provider'])).toThrow(/the pasted block has 3 columns, and only 2 editable column\(s\) are right of the one chosen \(seed, provider\)/);
  });
});

describe('fill down', () => {
  it('copies the first selected row\'s cells into the other selected rows, skipping cells that already hold it', () => {
    const cells: Record<string, string> = { '2:provider': 'ltx', '3:provider': '', '4:provider': 'ltx', '7:provider': 'preview', '2:fps': '24', '3:fps': '', '4:fps': '25', '7:fps': '' };
    expect(fillDownEdits([2, 3, 4, 7], ['provider', 'fps'], (r, f) => cells[`${r}:${f}`])).toEqual([
      { row: 3, field: 'provider', value: 'ltx' },
      { row: 7, field: 'provider', value: 'ltx' },
      { row: 3, field: 'fps', value: '24' },
      { row: 4, field: 'fps', value: '24' },
      { row: 7, field: 'fps', value: '24' },
    ]);
    expect(() => fillDownEdits([2], ['fps'], () => '')).toThrow(/select two rows or more/);
  });
});

describe('find and replace in prompts', () => {
  const prompts = [
    { row: 2, prompt: 'Mara walks the pier; mara waves' },
    { row: 3, prompt: 'an empty pier' },
    { row: 4, prompt: '{Mara} at the helm (wide)' },
  ];

  it('counts every match, ignores case unless asked, and treats the replacement as text', () => {
    const p = replaceEdits(prompts, 'mara', 'Ines $&', false);
    expect(p.matches).toBe(3);
    expect(p.rows).toBe(2);
    expect(p.edits).toEqual([
      { row: 2, field: 'prompt', value: 'Ines $& walks the pier; Ines $& waves' },
      { row: 4, field: 'prompt', value: '{Ines $&} at the helm (wide)' },
    ]);
    expect(replaceEdits(prompts, 'mara', 'x', true)).toMatchObject({ matches: 1, rows: 1 });
    // A pattern's characters are plain text.
    expect(replaceEdits(prompts, '(wide)', '(close)', true).edits).toEqual([{ row: 4, field: 'prompt', value: '{Mara} at the helm (close)' }]);
    expect(() => replaceEdits(prompts, '', 'x', true)).toThrow(/type the text to find/);
  });
});
