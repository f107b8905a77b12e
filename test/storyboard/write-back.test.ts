/**
 * Saving edits back to the storyboard file: only the edited records of a CSV change (its encoding,
 * byte-order mark, delimiter, line ends and quoting kept), text the file's encoding cannot hold is
 * refused naming the row, and a workbook with parts exceljs would drop is saved to a copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../main/storyboard/read-csv';
import { saveCsv, saveXlsx, SaveError } from '../../main/storyboard/write-back';
import { listZipEntries, writeStoredZip, inflateEntry } from '../../main/storyboard/zip-guard';
import { withFiles } from '../helpers/tmp';

function edit(file: string, row: number, col: number, value: string) {
  const sheet = readCsv(fs.readFileSync(file));
  const i = sheet.rowNumbers.indexOf(row);
  sheet.rows[i][col] = value;
  return saveCsv(file, sheet.rows, sheet.rowNumbers, new Set([row]), sheet.delimiter!);
}

describe('saving a CSV storyboard', () => {
  it('UTF-16 with a BOM, tabs, a blank line and a multi-line cell: only the edited record changes', () => {
    const text = 'shot\tprompt\tduration\r\n1\t"two\nlines"\t4\r\n\r\n2\tgulls\t3\r\n';
    const dir = withFiles({});
    const file = path.join(dir, 'sb.csv');
    fs.writeFileSync(file, iconv.encode(text, 'utf16le', { addBOM: true }));
    const r = edit(file, 4, 1, 'gulls, "loud" ones');
    const bytes = fs.readFileSync(file);
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
    expect(iconv.decode(bytes.subarray(2), 'utf16le')).toBe('shot\tprompt\tduration\r\n1\t"two\nlines"\t4\r\n\r\n2\t"gulls, ""loud"" ones"\t3\r\n');
    expect(fs.readFileSync(r.backup!)).toEqual(iconv.encode(text, 'utf16le', { addBOM: true }));
  });

  it('Windows-1252 keeps its encoding; text it cannot hold is refused naming the row, and the file is left as it was', () => {
    const dir = withFiles({});
    const file = path.join(dir, 'sb.csv');
    const original = iconv.encode('shot,prompt\n1,café au lait\n2,crème\n', 'win1252');
    fs.writeFileSync(file, original);
    edit(file, 3, 1, 'crème brûlée');
    expect(iconv.decode(fs.readFileSync(file), 'win1252')).toBe('shot,prompt\n1,café au lait\n2,crème brûlée\n');
    const before = fs.readFileSync(file);
    expect(() => edit(file, 2, 1, 'café ☕')).toThrow(SaveError);
    expect(() => edit(file, 2, 1, 'café ☕')).toThrow(/row 2: the storyboard is a Windows-1252 file/);
    expect(fs.readFileSync(file)).toEqual(before);
  });
});

describe('saving an XLSX storyboard', () => {
  it('a workbook with a chart is never overwritten: the edits go to a copy, and the result says why', async () => {
    const dir = withFiles({});
    const file = path.join(dir, 'board.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Shots');
    ws.addRow(['shot', 'prompt']);
    ws.addRow([1, 'a harbour']);
    await wb.xlsx.writeFile(file);
    // Add a chart part to the package (as Excel would store one).
    const bytes = fs.readFileSync(file);
    const entries = listZipEntries(bytes).map((e) => ({ name: e.name, data: inflateEntry(bytes, e) }));
    fs.writeFileSync(file, writeStoredZip([...entries, { name: 'xl/charts/chart1.xml', data: Buffer.from('<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"/>') }]));
    const before = fs.readFileSync(file);
    const r = await saveXlsx(file, 'Shots', [{ row: 2, column: 1, value: 'a harbour at dusk' }]);
    expect(r.file).toBe(path.join(dir, 'board.edited.xlsx'));
    expect(r.copyBecause).toMatch(/the workbook has charts, which would be lost/);
    expect(fs.readFileSync(file)).toEqual(before);
    const copy = new ExcelJS.Workbook();
    await copy.xlsx.readFile(r.file);
    expect(copy.getWorksheet('Shots')!.getCell('B2').value).toBe('a harbour at dusk');
  });
});
