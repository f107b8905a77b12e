import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { formatIssue } from '../../main/storyboard/issues';
import { ROOT, withFiles } from '../helpers/tmp';

const PNG = fs.readFileSync(path.join(ROOT, 'examples', 'lighthouse.png'));

async function load(name: string, content: string | Buffer, extra: Record<string, string | Buffer> = {}) {
  const dir = withFiles({ [name]: content, ...extra });
  return importStoryboard(path.join(dir, name));
}

const errorsOf = (sb: Awaited<ReturnType<typeof load>>) => sb.issues.filter((i) => i.severity === 'error');

describe('CSV storyboards', () => {
  it('reads the example storyboard: 8 shots, a mix of modes, image and audio resolved next to it', async () => {
    const sb = await importStoryboard(path.join(ROOT, 'examples', 'storyboard.csv'));
    expect(errorsOf(sb)).toEqual([]);
    expect(sb.shots).toHaveLength(8);
    expect(new Set(sb.shots.map((s) => s.mode))).toEqual(new Set(['text-to-video', 'image-to-video', 'audio-to-video']));
    const withImage = sb.shots.find((s) => s.image)!;
    expect(withImage.image).toMatchObject({ kind: 'file', path: path.join(ROOT, 'examples', 'lighthouse.png') });
    expect(sb.shots.find((s) => s.audio)?.audio?.kind).toBe('file');
    expect(sb.shots[7].resolution).toMatchObject({ width: 1280, height: 720, tier: '720p' });
  });

  it('matches headers loosely: case, spaces, underscores, hyphens and units in parentheses', async () => {
    const sb = await load('s.csv', 'SHOT,  Prompt ,Duration (s),aspect-ratio,Negative Prompt,frame rate\n1,a cat,3.5,9:16,blurry,24\n');
    expect(errorsOf(sb)).toEqual([]);
    expect(sb.shots[0]).toMatchObject({ id: '1', prompt: 'a cat', duration: 3.5, aspectRatio: '9:16', negativePrompt: 'blurry', fps: 24 });
    expect(sb.shots[0].resolution).toMatchObject({ width: 720, height: 1280 });
  });

  it('handles a BOM, CRLF, quoted commas, doubled quotes and newlines inside a cell', async () => {
    const csv = '\uFEFFshot,prompt,duration\r\n1,"A man says ""hello, world""\r\nthen leaves",2\r\n2,plain,3\r\n';
    const sb = await load('s.csv', csv);
    expect(errorsOf(sb)).toEqual([]);
    expect(sb.shots.map((s) => s.prompt)).toEqual(['A man says "hello, world"\r\nthen leaves', 'plain']);
    expect(sb.shots[1].row).toBe(3);
  });

  it('detects a semicolon or tab delimiter and a decimal comma', async () => {
    const semi = await load('s.csv', 'shot;prompt;duration\n1;"one, two";2,5\n');
    expect(semi.shots[0]).toMatchObject({ prompt: 'one, two', duration: 2.5 });
    const tab = await load('s.tsv', 'shot\tprompt\tduration\n1\ta, b\t4\n');
    expect(tab.shots[0]).toMatchObject({ prompt: 'a, b', duration: 4 });
  });

  it('skips empty trailing rows (and rows of empty cells)', async () => {
    const sb = await load('s.csv', 'shot,prompt\n1,a\n2,b\n,\n\n,,\n');
    expect(errorsOf(sb)).toEqual([]);
    expect(sb.shots).toHaveLength(2);
  });

  it('keeps unknown columns as metadata and warns once', async () => {
    const sb = await load('s.csv', 'shot,prompt,Camera,Lens\n1,a,A-cam,35mm\n2,b,B-cam,50mm\n');
    const warnings = sb.issues.filter((i) => i.severity === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('Camera, Lens');
    expect(sb.shots[1].metadata).toEqual({ Camera: 'B-cam', Lens: '50mm' });
  });

  it('defaults: image-to-video when an image is given, else text-to-video; 5 s, 720p, 16:9, 25 fps, random seed', async () => {
    const sb = await load('s.csv', 'shot,prompt,image\n1,a,\n2,b,pic.png\n', { 'pic.png': PNG });
    expect(sb.shots.map((s) => s.mode)).toEqual(['text-to-video', 'image-to-video']);
    expect(sb.shots[0]).toMatchObject({ duration: 5, aspectRatio: '16:9', fps: 25, seed: -1 });
    expect(sb.shots[0].resolution).toMatchObject({ width: 1280, height: 720 });
  });

  it('orders numeric shot ids numerically and others by row', async () => {
    const sb = await load('s.csv', 'shot,prompt\n10,ten\n2,two\n1,one\n');
    expect(sb.shots.map((s) => s.id)).toEqual(['1', '2', '10']);
    const named = await load('s.csv', 'shot,prompt\nB,b\nA,a\n');
    expect(named.shots.map((s) => s.id)).toEqual(['B', 'A']);
    // Equal numbers keep their rows' order; one id that is not a number keeps every row in place.
    const equal = await load('s.csv', 'shot,prompt\n3,c\n1.0,first\n1,second\n');
    expect(equal.shots.map((s) => [s.id, s.order])).toEqual([['1.0', 0], ['1', 1], ['3', 2]]);
    const mixed = await load('s.csv', 'shot,prompt\n10,ten\n2,two\n2b,two b\n');
    expect(mixed.shots.map((s) => s.id)).toEqual(['10', '2', '2b']);
  });

  it('refuses ids that would give two clips the same file name, whichever is written first', async () => {
    const sb = await load('s.csv', 'shot,prompt\n5b,a\n5B,b\n7 A,c\n7/A,d\n8,e\n8,f\n');
    expect(sb.issues.filter((i) => i.severity === 'error').map((i) => [i.row, i.shot, i.message.split(' would')[0].split(';')[0]])).toEqual([
      [3, '5B', 'shot id "5B" and "5b" (row 2)'],
      [5, '7/A', 'shot id "7/A" and "7 A" (row 4)'],
      [7, '8', 'duplicate shot id "8" (also on row 6)'],
    ]);
  });

  it('reports every bad cell with its row and column, and the import is refused as a whole', async () => {
    const csv = [
      'shot,prompt,duration,resolution,aspect_ratio,fps,seed,mode,image',
      '1,ok,4,720p,16:9,25,1,,',
      '2,bad duration,-3,720p,16:9,25,1,,',
      '3,nan,NaN,720p,16:9,25,1,,',
      '4,bad res,4,999p,16:9,25,1,,',
      '5,bad aspect,4,720p,4:3,25,1,,',
      '6,bad fps,4,720p,16:9,0,1,,',
      '7,bad seed,4,720p,16:9,25,1.5,,',
      '8,bad mode,4,720p,16:9,25,1,dance,',
      '9,i2v without image,4,720p,16:9,25,1,image-to-video,',
      '9,duplicate id,4,720p,16:9,25,1,,',
      '11,,4,720p,16:9,25,1,,',
    ].join('\n');
    const sb = await load('s.csv', csv);
    const where = errorsOf(sb).map((i) => `${i.row}:${i.column}`);
    expect(where).toEqual(['3:duration', '4:duration', '5:resolution', '6:aspect_ratio', '7:fps', '8:seed', '9:mode', '10:image', '11:shot', '12:prompt']);
    // The creator's shot id first, the spreadsheet row second.
    expect(formatIssue(errorsOf(sb)[0], 's.csv')).toBe('error: s.csv, shot 2 (row 3), column duration: duration must be more than 0 seconds, got -3');
    expect(errorsOf(sb).map((i) => i.shot)).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', '9', '11']);
  });

  it('refuses media that escapes the storyboard folder, other URL schemes, missing files and non-images', async () => {
    const csv = ['shot,prompt,image,audio', '1,a,../../etc/passwd,', '2,b,file:///etc/passwd,', '3,c,javascript:alert(1),', '4,d,missing.png,', '5,e,notes.png,', '6,f,https://example.com/a.png,', '7,g,,notes.png'].join('\n');
    const sb = await load('s.csv', csv, { 'notes.png': 'this is text, not an image' });
    const errs = errorsOf(sb);
    expect(errs.map((e) => `${e.row}:${e.column}`)).toEqual(['2:image', '3:image', '4:image', '5:image', '6:image', '8:audio']);
    expect(errs[0].message).toContain('outside the storyboard');
    expect(errs[1].message).toContain('"file:" links are not allowed');
    expect(errs[3].message).toContain('file not found');
    expect(errs[4].message).toContain('is not a image file');
    expect(sb.shots[5].image).toMatchObject({ kind: 'url', url: 'https://example.com/a.png' });
  });

  it('reports an unbalanced quote with its row', async () => {
    const sb = await load('s.csv', 'shot,prompt\n1,ok\n2,"never closed\n3,x\n');
    expect(errorsOf(sb)[0].message).toContain('never closed');
    expect(sb.shots).toEqual([]);
  });

  it('reads Windows-1252 text with a warning instead of garbling it silently', async () => {
    const bytes = Buffer.concat([Buffer.from('shot,prompt\n1,caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]);
    const sb = await load('s.csv', bytes);
    expect(sb.shots[0].prompt).toBe('café au lait');
    expect(sb.issues.some((i) => i.severity === 'warning' && i.message.includes('Windows-1252'))).toBe(true);
  });

  it('says what is missing when there is no prompt column or no rows', async () => {
    expect(errorsOf(await load('s.csv', 'shot,description2\n1,a\n'))[0]).toMatchObject({ row: 1, column: 'prompt' });
    expect(errorsOf(await load('s.csv', 'shot,prompt\n'))[0].message).toContain('no shots');
    expect(errorsOf(await load('s.csv', ''))[0].message).toContain('empty');
  });
});

describe('XLSX storyboards', () => {
  async function xlsx(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    build(wb);
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  it('uses numbers as numbers and the computed value of formulas', async () => {
    const bytes = await xlsx((wb) => {
      const ws = wb.addWorksheet('Shots');
      ws.addRow(['Shot', 'Prompt', 'Duration (s)', 'FPS']);
      ws.addRow([1, 'sunrise', 4, 24]);
      ws.addRow([2, 'sunset', { formula: 'C2*2', result: 8 }, 25]);
    });
    const sb = await load('board.xlsx', bytes);
    expect(errorsOf(sb)).toEqual([]);
    expect(sb.format).toBe('xlsx');
    expect(sb.shots.map((s) => [s.id, s.duration, s.fps])).toEqual([['1', 4, 24], ['2', 8, 25]]);
  });

  it('reports error values (#REF!) with row and column, and skips hidden sheets with a warning', async () => {
    const bytes = await xlsx((wb) => {
      const hidden = wb.addWorksheet('Old', { state: 'hidden' });
      hidden.addRow(['Shot', 'Prompt']);
      const ws = wb.addWorksheet('Shots');
      ws.addRow(['Shot', 'Prompt', 'Duration']);
      ws.addRow([1, 'ok', 3]);
      ws.addRow([2, 'broken', { formula: 'A1/0', result: { error: '#REF!' } }]);
    });
    const sb = await load('board.xlsx', bytes);
    expect(errorsOf(sb)).toEqual([expect.objectContaining({ row: 3, column: 'Duration', message: 'cell holds an error value: #REF!' })]);
    expect(sb.issues.some((i) => i.severity === 'warning' && i.message.includes('hidden sheet(s) skipped: Old'))).toBe(true);
  });

  it('reports a file that is not a workbook', async () => {
    const sb = await load('board.xlsx', Buffer.from('PK\u0003\u0004 this is not really a zip'));
    expect(errorsOf(sb)[0].message).toContain('not a readable XLSX workbook');
  });
});
