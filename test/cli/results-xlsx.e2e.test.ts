/**
 * Results back into the spreadsheet: `ltx-batch report --xlsx` writes the storyboard's own columns
 * with result columns (state, take, a hyperlink to the clip, duration, cost, error, a thumbnail per
 * row); rendering that workbook again (edited in a spreadsheet: here with exceljs) keeps every
 * unchanged row and re-renders exactly the edited one.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { withFiles } from '../helpers/tmp';
import { ProjectStore } from '../../main/queue/store';

describe('ltx-batch report --xlsx', () => {
  it('writes the storyboard with its results and thumbnails; the edited workbook re-renders only the edited row', async () => {
    const dir = withFiles({
      'sb.csv': ['shot,prompt,duration,resolution,notes', '1,a harbour at dawn,0.6,64x36,wide', '2,=gulls over the pier,0.6,64x36,', '3,the keeper climbs,0.6,64x36,close'].join('\n'),
    });
    const out = path.join(dir, 'out');
    const r = await runCli(['render', path.join(dir, 'sb.csv'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const xlsx = path.join(dir, 'results.xlsx');
    const rep = await runCli(['report', '--out', out, '--xlsx', xlsx]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/3 row\(s\), 3 thumbnail\(s\)/);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    const ws = wb.getWorksheet('Shots')!;
    const headers = (ws.getRow(1).values as unknown[]).slice(1);
    expect(headers).toEqual(['shot', 'prompt', 'duration', 'resolution', 'notes', 'Result: state', 'Result: take', 'Result: clip', 'Result: duration (s)', 'Result: estimate (USD)', 'Result: actual (USD)', 'Result: task id', 'Result: error', 'Result: thumbnail']);
    const row2 = ws.getRow(3);
    // A prompt that starts with "=" is text, not a formula.
    expect(row2.getCell(2).value).toBe('=gulls over the pier');
    expect(row2.getCell(6).value).toBe('succeeded');
    expect(row2.getCell(7).value).toBe(1);
    const link = row2.getCell(8).value as ExcelJS.CellHyperlinkValue;
    expect(link.text).toBe('shot-2-take1.mp4');
    expect(fs.existsSync(path.resolve(dir, link.hyperlink))).toBe(true);
    expect(row2.getCell(9).value).toBeCloseTo(0.6, 2);
    expect(ws.getImages()).toHaveLength(3);

    // Edit one prompt in the workbook, then render the workbook into the same project.
    ws.getRow(4).getCell(2).value = 'the keeper climbs the stairs';
    await wb.xlsx.writeFile(xlsx);
    // The workbook names its project: it renders into it without --replace-storyboard.
    const again = await runCli(['render', xlsx, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/2 take\(s\) kept from an earlier run, 0 resumed, 1 queued/);
    expect(again.stderr).not.toMatch(/Result/);
    const store = new ProjectStore(out);
    try {
      const shot3 = store.jobs().filter((j) => j.shotKey === '3');
      expect(shot3.map((j) => j.take)).toEqual([1, 2]);
      expect(store.jobs().filter((j) => j.shotKey !== '3').map((j) => j.take)).toEqual([1, 1]);
    } finally {
      store.close();
    }
  }, 90_000);
});
