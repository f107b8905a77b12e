/**
 * The app UI in browser mode, end to end: a real server (in-process), the real renderer build,
 * the preview provider (free ffmpeg animatics) and headless Chromium. Writes a screenshot of
 * every screen to test-results/.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { writeStoredZip } from '../../main/storyboard/zip-guard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, openByPath, screenshot, since, startHarness, startRenderOf, tempDir, type Harness } from './harness';

const STORYBOARD = path.join(ROOT, 'examples', 'storyboard.csv');

describe('LTX Batch UI (browser mode)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('opens the example storyboard, renders it with the preview provider, exports and plays the film', async () => {
    const { page } = h;
    const phases: string[] = [];
    let t = Date.now();
    const phase = (name: string) => {
      phases.push(`${name} ${since(t)}`);
      t = Date.now();
    };

    // Import: open by path, mapping and validation shown.
    await openByPath(page, STORYBOARD);
    await expect(page.getByTestId('shot-count').textContent()).resolves.toBe('8 shots');
    await expect(page.getByTestId('error-count').textContent()).resolves.toBe('no errors');
    const mapping = page.getByTestId('mapping');
    await expect(mapping.locator('tbody tr').count()).resolves.toBe(14);
    await expect(mapping.getByLabel('Column for header Duration (s)').inputValue()).resolves.toBe('duration');
    await screenshot(page, 'import.png');
    phase('import');

    // Shots: every row, the estimate ($0.00 for previews) and the batch controls.
    await page.getByTestId('nav-shots').click();
    const grid = page.getByTestId('shots-grid');
    await grid.getByTestId('shot-row-8').waitFor();
    await expect(grid.locator('[role=row][data-index]').count()).resolves.toBe(8);
    await page.waitForFunction(() => document.querySelector('[data-testid=estimate-total]')?.textContent === '$0.00');
    await expect(page.getByTestId('shots-total').textContent()).resolves.toBe('8 shots');
    await expect(page.getByTestId('estimate-total').textContent()).resolves.toBe('$0.00');
    await expect(grid.getByTestId('shot-row-1').getByLabel('prompt of row 2').textContent()).resolves.toContain('lighthouse on a black basalt cliff');
    await expect(page.getByTestId('batch-provider').inputValue()).resolves.toBe('preview (default)');
    await page.getByTestId('project-input').fill('ui-e2e');
    await screenshot(page, 'shots.png');
    phase('shots');

    // Render: the queue reaches 8 succeeded, live.
    await page.getByTestId('render-button').click();
    await page.getByTestId('screen-queue').waitFor();
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('render-finished').textContent()).resolves.toContain('8 succeeded, 0 failed');
    phase('render');
    await expect(page.getByTestId('count-succeeded').textContent()).resolves.toBe('8 succeeded');
    await expect(page.getByTestId('batch-progress-label').textContent()).resolves.toBe('8 of 8 takes done');
    // Thumbnails of finished clips.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=queue-grid] .thumb img').length === 8, undefined, { timeout: 20_000 });
    await screenshot(page, 'queue.png');
    phase('thumbnails');
    // Clicking a thumbnail plays the clip.
    await page.getByTestId('thumb-3').click();
    await page.waitForFunction(() => ((document.querySelector('[data-testid=clip-video]') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.2, undefined, { timeout: 15_000 });
    await expect(page.getByTestId('clip-video').getAttribute('src')).resolves.toMatch(/^\/media\/[A-Za-z0-9_-]{22}\//);
    await page.keyboard.press('Escape');
    await page.getByTestId('clip-video').waitFor({ state: 'detached' });
    phase('clip');

    // Timeline: the 8 clips in order; export the film and play it.
    await page.getByTestId('nav-timeline').click();
    await page.getByTestId('clip-8').waitFor();
    await expect(page.getByTestId('timeline-strip').locator('.clip-card').count()).resolves.toBe(8);
    // Drag shot 2 in front of shot 1 (pointer drag through dnd-kit), then a crossfade after the first clip.
    const from = (await page.getByTestId('clip-2').locator('.clip-handle').boundingBox())!;
    const to = (await page.getByTestId('clip-1').locator('.clip-handle').boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 - 20, from.y + from.height / 2, { steps: 4 });
    await page.mouse.move(to.x + 10, to.y + to.height / 2, { steps: 12 });
    await page.mouse.up();
    const saved = () => page.waitForFunction(() => document.querySelector('[data-testid=timeline-strip]')?.getAttribute('data-saving') === 'false');
    await page.waitForFunction(() => document.querySelector('[data-testid=timeline-strip] .clip-card')?.getAttribute('data-testid') === 'clip-2');
    await saved();
    await page.getByLabel('joint after shot 2').getByText('Fade').click();
    await saved();
    // The core's answer (not just the optimistic view) has the new order.
    const order = await page.getByTestId('timeline-strip').locator('.clip-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(order.slice(0, 3)).toEqual(['clip-2', 'clip-1', 'clip-3']);
    phase('timeline');
    await page.getByTestId('export-button').click();
    await page.waitForFunction(() => {
      const v = document.querySelector('[data-testid=film-video]') as HTMLVideoElement | null;
      return !!v && v.src.includes('v=') && !document.querySelector('[data-testid=export-progress]');
    }, undefined, { timeout: 30_000 });
    phase('export');
    const video = page.getByTestId('film-video');
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await page.waitForFunction(() => ((document.querySelector('[data-testid=film-video]') as HTMLVideoElement).currentTime ?? 0) > 0.5, undefined, { timeout: 15_000 });
    const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
    // 28 s of shots, one 0.5 s crossfade.
    expect(duration).toBeGreaterThan(26);
    expect(duration).toBeLessThan(29);
    phase('play');
    await screenshot(page, 'timeline.png');

    // Settings.
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('keys').waitFor();
    await screenshot(page, 'settings.png');
    phase('settings');
    console.log(`phases: ${phases.join(', ')}`);

    expect(h.pageErrors).toEqual([]);
  }, 120_000);

  it('a project is its folder: another storyboard gets a new project, the old one is listed and reopened, never overwritten', async () => {
    const { page } = h;
    // The first test rendered examples/storyboard.csv as project "ui-e2e". Another storyboard whose
    // file name would propose the same project name gets a free one.
    const dir = tempDir('ltx-other-');
    const other = path.join(dir, 'ui-e2e.csv');
    fs.writeFileSync(other, 'shot,prompt,duration,resolution\n1,a desert road at noon,1,64x36');
    await openByPath(page, other);
    await page.getByTestId('nav-shots').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid=project-input]') as HTMLInputElement | null)?.value === 'ui-e2e-2', undefined, { timeout: 10_000 });
    // Typed back to the taken name, the render is refused and nothing of that project changes.
    await page.getByTestId('project-input').fill('ui-e2e');
    await page.getByTestId('render-button').click();
    await page.getByTestId('render-error').waitFor();
    await expect(page.getByTestId('render-error').textContent()).resolves.toMatch(/project "ui-e2e" belongs to .*storyboard\.csv/i);
    // The Import screen lists the project and opens it with its own storyboard.
    await page.getByTestId('nav-import').click();
    await page.getByTestId('project-ui-e2e').waitFor();
    await screenshot(page, 'import-projects.png');
    await page.getByTestId('open-project-ui-e2e').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=shot-count]')?.textContent === '8 shots');
    await page.getByTestId('nav-shots').click();
    await expect(page.getByTestId('project-input').inputValue()).resolves.toBe('ui-e2e');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('the Shots screen says where each provider\'s prices come from and when they were read', async () => {
    const { page } = h;
    const dir = tempDir('ltx-prices-');
    const file = path.join(dir, 'ltx.csv');
    fs.writeFileSync(file, ['shot,prompt,provider,model,duration,resolution', '1,a harbour at dawn,ltx,ltx-2-fast,6,1080p', '2,gulls over the pier,ltx,ltx-2-pro,6,1080p'].join('\n'));
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    // 6 s x $0.04 + 6 s x $0.06: the public prices.
    await page.waitForFunction(() => document.querySelector('[data-testid=estimate-total]')?.textContent === '$0.60', undefined, { timeout: 30_000 });
    await expect(page.getByTestId('price-sources').textContent()).resolves.toContain('ltx prices: https://docs.ltx.video/pricing (read 2026-12-02)');
    await screenshot(page, 'shots-prices.png');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('edits Shots cells in place: Enter saves, Escape keeps the old text, a choice list sets the provider', async () => {
    const { page } = h;
    const dir = tempDir('ltx-edit-');
    const file = path.join(dir, 'edit.csv');
    // Semicolons, CRLF and a quoted cell: saved back the way the file is written.
    fs.writeFileSync(file, ['shot;prompt;duration;resolution', '1;"a harbour; at dawn";4;720p', '2;gulls over the pier;3;720p', ''].join('\r\n'));
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    const prompt = page.getByLabel('prompt of row 2');
    await prompt.click();
    const input = page.getByRole('textbox', { name: 'prompt of row 2' });
    await input.fill('a harbour at dusk');
    await input.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 2"]')?.textContent === 'a harbour at dusk');
    // Escape leaves the saved text as it was.
    await page.getByLabel('prompt of row 3').click();
    const second = page.getByRole('textbox', { name: 'prompt of row 3' });
    await second.fill('thrown away');
    await second.press('Escape');
    await expect(page.getByLabel('prompt of row 3').textContent()).resolves.toBe('gulls over the pier');
    // A number cell saves the same way.
    await page.getByLabel('duration of row 3').click();
    const dur = page.getByRole('textbox', { name: 'duration of row 3' });
    await dur.fill('6');
    await dur.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-cell="duration of row 3"]')?.textContent === '6');
    // The provider list opens on click and the pick is saved.
    await page.getByLabel('provider of row 2').click();
    await page.getByRole('combobox', { name: 'provider of row 2' }).selectOption('preview');
    await page.waitForFunction(() => document.querySelector('[data-cell="provider of row 2"]')?.textContent === 'preview');
    await page.waitForFunction(() => !document.querySelector('[data-cell="provider of row 2"]')?.className.includes('inherited'));
    // Every edit was saved to the file: the edited records changed, the new provider column added
    // to the header and an empty cell of it to every record, the delimiter, line ends and the quoted cell kept; the version before the
    // last edit is kept beside it.
    await page.waitForFunction(() => document.querySelector('[data-testid=saved-note]')?.textContent?.includes('edit.backup.csv'));
    await expect.poll(() => fs.readFileSync(file, 'utf8'), { timeout: 10_000 }).toBe(['shot;prompt;duration;resolution;provider', '1;"a harbour at dusk";4;720p;preview', '2;gulls over the pier;6;720p;', ''].join('\r\n'));
    expect(fs.readFileSync(path.join(dir, 'edit.backup.csv'), 'utf8')).toBe(['shot;prompt;duration;resolution', '1;"a harbour at dusk";4;720p', '2;gulls over the pier;6;720p', ''].join('\r\n'));
    // Opened again, the edits are there.
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 2"]')?.textContent === 'a harbour at dusk');
    await screenshot(page, 'shots-saved.png');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('a storyboard changed on disk: its diff in shots and cost before it is applied; the app\'s own saves are not reported', async () => {
    const { page } = h;
    const dir = tempDir('ltx-disk-');
    const file = path.join(dir, 'disk.csv');
    fs.writeFileSync(file, 'shot,prompt,duration,resolution\n1,a door,1,64x36\n2,it opens,1,64x36\n');
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    // An edit in the app is saved to the file: not a change on disk.
    await page.getByLabel('prompt of row 2').click();
    const input = page.getByRole('textbox', { name: 'prompt of row 2' });
    await input.fill('a red door');
    await input.press('Enter');
    await expect.poll(() => fs.readFileSync(file, 'utf8')).toContain('a red door');
    await page.waitForTimeout(2500);
    await expect(page.getByTestId('disk-change').count()).resolves.toBe(0);
    // Saved from a spreadsheet: shot 2 changed, shot 3 added.
    fs.writeFileSync(file, 'shot,prompt,duration,resolution\n1,a red door,1,64x36\n2,it slams,1,64x36\n3,silence,1,64x36\n');
    await page.getByTestId('disk-change-summary').waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('disk-change-summary').textContent()).resolves.toBe('1 changed (2), 1 added (3), +$0.00 to render');
    await screenshot(page, 'shots-disk-change.png');
    await page.getByTestId('disk-change-apply').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 3"]')?.textContent === 'it slams');
    await page.getByLabel('prompt of row 4').waitFor();
    await expect(page.getByTestId('disk-change').count()).resolves.toBe(0);
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('conforms the example\'s 8 rows to ltx in one action: every change and the new estimate shown first, then saved to the file', async () => {
    const { page } = h;
    const dir = tempDir('ltx-conform-');
    for (const f of fs.readdirSync(path.join(ROOT, 'examples'))) fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(dir, f));
    const file = path.join(dir, 'storyboard.csv');
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await page.getByTestId('batch-provider').click();
    await page.getByRole('option', { name: /^LTX API/ }).click();
    // Every rule a row breaks is marked at once.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=shots-grid] [aria-invalid=true]').length >= 8, undefined, { timeout: 15_000 });
    await page.getByTestId('conform-button').click();
    await page.getByTestId('conform-summary').waitFor();
    await expect(page.getByTestId('conform-summary').textContent()).resolves.toMatch(/^\d+ change\(s\) in 8 row\(s\); estimate \$0\.00 → \$\d+\.\d\d\.$/);
    await page.getByRole('dialog').waitFor();
    await page.waitForTimeout(400); // the modal's opening transition
    await screenshot(page, 'shots-conform.png');
    await page.getByTestId('conform-apply').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=shots-grid] [aria-invalid=true]').length === 0, undefined, { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=estimate-total]')?.textContent !== '$0.00');
    // Saved to the storyboard: durations and sizes the LTX API takes, every other cell as it was.
    // (Audio-to-video lasts as long as its audio: its duration cell is not sent, so it is left.)
    const durations = () => (parse(fs.readFileSync(file, 'utf8')) as string[][]).slice(1).filter((r) => r[2] !== 'audio-to-video').map((r) => r[5]);
    await expect.poll(durations, { timeout: 10_000 }).not.toContain('3');
    expect(durations().every((d) => ['6', '8', '10'].includes(d))).toBe(true);
    expect((parse(fs.readFileSync(file, 'utf8')) as string[][])[1][1]).toMatch(/^Wide establishing shot: a lone lighthouse/);
    expect(fs.existsSync(path.join(dir, 'storyboard.backup.csv'))).toBe(true);
    // The batch's provider back to the default for the tests after this one.
    await page.getByTestId('batch-provider').click();
    await page.getByRole('option', { name: /^preview/ }).click();
    await expect(page.getByTestId('batch-provider').inputValue()).resolves.toBe('preview (default)');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('browser mode: a zip of the storyboard\'s folder brings its images and audio, and renders', async () => {
    const { page } = h;
    const files = fs.readdirSync(path.join(ROOT, 'examples')).map((f) => ({ name: `lighthouse/${f}`, data: fs.readFileSync(path.join(ROOT, 'examples', f)) }));
    const zip = writeStoredZip([{ name: 'lighthouse/', data: Buffer.alloc(0) }, ...files, { name: '__MACOSX/lighthouse/._storyboard.csv', data: Buffer.from('junk') }]);
    await page.getByTestId('nav-import').click();
    await page.locator('input[type=file]').setInputFiles({ name: 'lighthouse.zip', mimeType: 'application/zip', buffer: zip });
    await page.waitForFunction(() => document.querySelector('[data-testid=storyboard-summary] [title]')?.getAttribute('title')?.endsWith('storyboard.csv') ?? false);
    // No "file not found" for lighthouse.png or keeper-theme.mp3: they came in the zip.
    await expect(page.getByTestId('error-count').textContent()).resolves.toBe('no errors');
    await page.getByTestId('nav-shots').click();
    await page.getByTestId('project-input').fill('ui-e2e-zip');
    await page.getByTestId('render-button').click();
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('render-finished').textContent()).resolves.toContain('8 succeeded, 0 failed');
    expect(h.pageErrors).toEqual([]);
  }, 90_000);

  it('edits in an XLSX storyboard are saved cell by cell: other sheets and untouched cells kept, the previous version beside it', async () => {
    const { page } = h;
    const dir = tempDir('ltx-edit-xlsx-');
    const file = path.join(dir, 'board.xlsx');
    const wb = new ExcelJS.Workbook();
    const shots = wb.addWorksheet('Shots');
    for (const r of [['shot', 'prompt', 'duration', 'resolution', 'notes'], [1, '{Mara} at the harbour', 4, '720p', 'keep me'], [2, 'gulls', 2.5, '720p', 42]]) shots.addRow(r);
    shots.getCell('E2').font = { bold: true };
    const chars = wb.addWorksheet('Characters');
    for (const r of [['name', 'description'], ['Mara', 'a woman in a red coat']]) chars.addRow(r);
    await wb.xlsx.writeFile(file);
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await page.getByLabel('prompt of row 3').click();
    const input = page.getByRole('textbox', { name: 'prompt of row 3' });
    await input.fill('{Mara} watches the gulls');
    await input.press('Enter');
    await page.getByLabel('duration of row 2').click();
    const dur = page.getByRole('textbox', { name: 'duration of row 2' });
    await dur.fill('6');
    await dur.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=saved-note]')?.textContent?.includes('board.backup.xlsx'));
    // The grid shows an edit at once; the file has it when the core's save ends.
    const read = async () => {
      const w = new ExcelJS.Workbook();
      await w.xlsx.readFile(file);
      return w;
    };
    await expect.poll(async () => (await read()).getWorksheet('Shots')!.getCell('C2').value, { timeout: 10_000 }).toBe(6);
    const back = await read();
    const ws = back.getWorksheet('Shots')!;
    expect(ws.getCell('B3').value).toBe('{Mara} watches the gulls');
    expect(ws.getCell('C2').value).toBe(6);
    expect(ws.getCell('C3').value).toBe(2.5);
    expect(ws.getCell('E2').value).toBe('keep me');
    expect(ws.getCell('E2').font?.bold).toBe(true);
    expect(ws.getCell('E3').value).toBe(42);
    expect(back.getWorksheet('Characters')!.getCell('B2').value).toBe('a woman in a red coat');
    const prev = new ExcelJS.Workbook();
    await prev.xlsx.readFile(path.join(dir, 'board.backup.xlsx'));
    expect(prev.getWorksheet('Shots')!.getCell('C2').value).toBe(4);
    expect(prev.getWorksheet('Shots')!.getCell('B3').value).toBe('{Mara} watches the gulls');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('takes: a row of two takes renders both, the Queue marks the chosen one, and choosing another (Queue or Timeline) renders nothing', async () => {
    const { page } = h;
    const dir = tempDir('ltx-takes-');
    const file = path.join(dir, 'takes.csv');
    fs.writeFileSync(file, 'shot,prompt,duration,resolution,seed,takes\n1,a harbour at dawn,0.4,64x36,20,2\n2,gulls over the pier,0.4,64x36,30,');
    await startRenderOf(page, file, 'ui-e2e-takes');
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('render-finished').textContent()).resolves.toContain('3 succeeded, 0 failed');
    const grid = page.getByTestId('queue-grid');
    // Take 1 of shot 1 is chosen (seed 20), take 2 (seed 21) is not.
    await expect(grid.getByTestId('job-1-1').getByLabel('chosen take: the film uses it').count()).resolves.toBe(1);
    await expect(grid.getByTestId('job-1-2').getByLabel('chosen take: the film uses it').count()).resolves.toBe(0);
    await expect(grid.getByTestId('job-1-2').textContent()).resolves.toContain('seed 21');
    await grid.getByRole('button', { name: 'use take 2 of shot 1 in the film' }).click();
    await grid.getByTestId('job-1-2').getByLabel('chosen take: the film uses it').waitFor();
    await expect(grid.getByTestId('job-1-1').getByLabel('chosen take: the film uses it').count()).resolves.toBe(0);
    await expect(page.getByTestId('count-succeeded').textContent()).resolves.toBe('3 succeeded');
    // The Timeline shows shot 1's takes side by side, take 2 circled; picking take 1 saves the choice.
    await page.getByTestId('nav-timeline').click();
    await page.getByTestId('take-1-2').waitFor();
    await expect(page.getByTestId('take-1-2').getAttribute('aria-pressed')).resolves.toBe('true');
    // Each take shows a picture of itself, even a clip shorter than the usual thumbnail time (0.4 s),
    // and after earlier tests opened other projects whose job ids were the same.
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.take-thumb img')).filter((i) => (i as HTMLImageElement).naturalWidth > 0).length === 2, undefined, { timeout: 15_000 });
    await page.getByTestId('take-1-1').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=take-1-1]')?.getAttribute('aria-pressed') === 'true');
    await page.waitForFunction(() => document.querySelector('[data-testid=timeline-strip]')?.getAttribute('data-saving') === 'false');
    await screenshot(page, 'timeline-takes.png');
    // A New take with a pinned seed.
    await page.getByTestId('nav-queue').click();
    await grid.getByRole('button', { name: 'new take of shot 1 with a seed you choose' }).click();
    await page.getByLabel('Seed of the new take').fill('99');
    await page.getByRole('button', { name: 'Render', exact: true }).click();
    await grid.getByTestId('job-1-3').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=job-1-3]')?.textContent?.includes('seed 99'));
    await page.waitForFunction(() => document.querySelector('[data-testid=job-1-3] [data-testid=job-state]')?.textContent === 'succeeded', undefined, { timeout: 30_000 });
    // Take 1 was chosen by hand: the new take does not replace it.
    await expect(grid.getByTestId('job-1-1').getByLabel('chosen take: the film uses it').count()).resolves.toBe(1);
    await screenshot(page, 'queue-takes.png');
    expect(h.pageErrors).toEqual([]);
  }, 90_000);

  it('retake and extend: the form prices the new take as the creator types, refuses a section too short, and the new take becomes the film\'s', async () => {
    const { page } = h;
    const dir = tempDir('ltx-edit-');
    const file = path.join(dir, 'edit.csv');
    fs.writeFileSync(file, 'shot,prompt,duration,resolution\n1,a lighthouse in fog,3,64x36\n2,the keeper climbs,1,64x36');
    await startRenderOf(page, file, 'ui-e2e-edit');
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    const grid = page.getByTestId('queue-grid');
    await grid.getByRole('button', { name: 'Retake / extend… take 1 of shot 1' }).click();
    await page.getByLabel('From (s)').fill('2');
    await page.getByLabel('To (s)').fill('3');
    // 2-3 s is 1 s: refused, naming the field; nothing can be sent.
    await page.getByText('a retake redoes at least 2 s').waitFor();
    await expect(page.getByRole('button', { name: 'Render new take' }).isDisabled()).resolves.toBe(true);
    await page.getByLabel('From (s)').fill('1');
    await page.getByTestId('edit-estimate').waitFor();
    await expect(page.getByTestId('edit-estimate').textContent()).resolves.toMatch(/New take of 3\.00 s on preview: \$0\.00/);
    await page.getByRole('button', { name: 'Render new take' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=job-1-2] [data-testid=job-state]')?.textContent === 'succeeded', undefined, { timeout: 30_000 });
    await expect(grid.getByTestId('job-1-2').textContent()).resolves.toContain('retake of 1-3 s of take 1');
    await expect(grid.getByTestId('job-1-2').getByLabel('chosen take: the film uses it').count()).resolves.toBe(1);
    // Extend the chosen take from the Timeline by 2 s: a 5 s take 3.
    await page.getByTestId('nav-timeline').click();
    await page.getByTestId('clip-1').getByRole('button', { name: 'Retake / extend… take 2 of shot 1' }).click();
    await page.getByText('Extend', { exact: true }).click();
    await page.getByLabel('Add (s)').fill('2');
    await page.waitForFunction(() => /New take of 5\.00 s/.test(document.querySelector('[data-testid=edit-estimate]')?.textContent ?? ''));
    await screenshot(page, 'timeline-extend.png');
    await page.getByRole('button', { name: 'Render new take' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=job-1-3] [data-testid=job-state]')?.textContent === 'succeeded', undefined, { timeout: 30_000 });
    await expect(grid.getByTestId('job-1-3').textContent()).resolves.toContain('extension by 2 s at the end of take 2');
    await page.getByTestId('nav-timeline').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=clip-1]')?.textContent?.includes('5.0'));
    // Export for editor: an EDL with the clips copied beside it, in the project's exports folder.
    await page.getByTestId('editor-export-button').click();
    await page.getByTestId('editor-export-package').check();
    await page.getByTestId('editor-export-edl').click();
    await page.getByTestId('editor-export-done').waitFor();
    await expect(page.getByTestId('editor-export-done').textContent()).resolves.toMatch(/CMX3600 EDL: 2 clip\(s\), 0 crossfade\(s\), the clips copied beside it, written to .*film\.edl; opens in Avid/);
    const edl = (await page.getByTestId('editor-export-done').locator('a').textContent())!;
    expect(fs.readFileSync(edl, 'utf8')).toMatch(/^001  S1T3 +V +C +00:00:00:00 00:00:05:00 01:00:00:00 01:00:05:00/m);
    expect(fs.readdirSync(path.join(path.dirname(edl), 'media')).sort()).toEqual(['shot-1-take3.mp4', 'shot-2-take1.mp4']);
    // Results to spreadsheet: opened again, the workbook proposes its own project (nothing is rendered twice).
    await page.getByTestId('nav-queue').click();
    await page.getByTestId('results-xlsx').click();
    await page.getByTestId('results-xlsx-done').waitFor();
    const xlsx = (await page.getByTestId('results-xlsx-done').locator('a').textContent())!;
    expect(xlsx.endsWith(path.join('exports', 'results.xlsx'))).toBe(true);
    await openByPath(page, xlsx);
    await page.getByTestId('nav-shots').click();
    await expect(page.getByTestId('project-input').inputValue()).resolves.toBe(path.dirname(path.dirname(xlsx)));
    expect(h.pageErrors).toEqual([]);
  }, 90_000);

  it("a workbook's Characters sheet: a changed description re-renders its shots only after the creator's go-ahead", async () => {
    const { page } = h;
    const dir = tempDir('ltx-look-');
    const file = path.join(dir, 'look.xlsx');
    const write = async (description: string) => {
      const wb = new ExcelJS.Workbook();
      const shots = wb.addWorksheet('Shots');
      for (const r of [['shot', 'prompt', 'duration', 'resolution'], [1, '{Mara} at the harbour', 0.4, '64x36'], [2, 'gulls', 0.4, '64x36']]) shots.addRow(r);
      const chars = wb.addWorksheet('Characters');
      for (const r of [['name', 'description'], ['Mara', description]]) chars.addRow(r);
      await wb.xlsx.writeFile(file);
    };
    await write('a woman in a red coat');
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    // The grid shows the prompt cell as written (what an edit changes), the sent prompt on hover.
    const prompt = page.getByLabel('prompt of row 2');
    await expect(prompt.textContent()).resolves.toBe('{Mara} at the harbour');
    await expect(prompt.getAttribute('title')).resolves.toBe('sent as: a woman in a red coat at the harbour');
    await page.getByTestId('project-input').fill('ui-e2e-look');
    await page.getByTestId('render-button').click();
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    await write('a woman in a green coat');
    await startRenderOf(page, file, 'ui-e2e-look');
    const note = page.getByTestId('render-error');
    await note.waitFor();
    await expect(note.textContent()).resolves.toContain("1 finished shot(s) would render again because the style or a character's description changed (shot 1)");
    await note.getByRole('button', { name: 'Re-render them' }).click();
    await page.getByTestId('screen-queue').waitFor();
    await page.getByTestId('job-1-2').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=job-1-2] [data-testid=job-state]')?.textContent === 'succeeded', undefined, { timeout: 30_000 });
    await expect(page.getByTestId('queue-grid').getByTestId('job-2-2').count()).resolves.toBe(0);
    expect(h.pageErrors).toEqual([]);
  }, 90_000);

  it("the app's style: set on the Shots screen, applied to every row's sent prompt, kept for the storyboard when it is opened again", async () => {
    const { page } = h;
    const dir = tempDir('ltx-style-');
    const file = path.join(dir, 'style.csv');
    fs.writeFileSync(file, 'shot,prompt,duration,resolution\n1,a harbour at dawn,0.4,64x36\n2,gulls,0.4,64x36');
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await expect(page.getByLabel('prompt of row 2').getAttribute('title')).resolves.toBe('a harbour at dawn');
    await page.getByTestId('style-button').click();
    await page.getByLabel('Style for every row').fill('claymation, {prompt}, soft light');
    await page.getByLabel('Negative prompt for every row').fill('blurry');
    await page.getByTestId('style-save').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 2"]')?.getAttribute('title') === 'sent as: claymation, a harbour at dawn, soft light');
    await expect(page.getByTestId('style-button').textContent()).resolves.toBe('Style ✓');
    // Opened again: the style is still there.
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 3"]')?.getAttribute('title') === 'sent as: claymation, gulls, soft light');
    // Cleared: the prompts go back to the cells.
    await page.getByTestId('style-button').click();
    await page.getByLabel('Style for every row').fill('');
    await page.getByLabel('Negative prompt for every row').fill('');
    await page.getByTestId('style-save').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 2"]')?.getAttribute('title') === 'a harbour at dawn');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('scrolling with a cell being edited never moves the editor or its text to another row (the grid reuses row elements)', async () => {
    const { page } = h;
    const dir = tempDir('ltx-recycle-');
    const rows = ['shot,prompt,duration'];
    for (let i = 1; i <= 300; i++) rows.push(`${i},prompt of shot ${i},4`);
    const file = path.join(dir, 'long.csv');
    fs.writeFileSync(file, rows.join('\n'));
    const before = fs.readFileSync(file, 'utf8');
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await page.getByLabel('prompt of row 2').click();
    await page.getByRole('textbox', { name: 'prompt of row 2' }).fill('a draft not saved');
    // Each row shown must show its own prompt, and no other row an editor, at every stop of the scroll.
    const check = () =>
      page.getByTestId('shots-grid').evaluate((grid) => {
        const wrong: string[] = [];
        for (const el of Array.from(grid.querySelectorAll<HTMLElement>('[data-cell^="prompt of row "]'))) {
          const row = Number(el.dataset.row);
          if (el.textContent !== `prompt of shot ${row - 1}`) wrong.push(`row ${row}: ${el.textContent}`);
        }
        for (const input of Array.from(grid.querySelectorAll('input[type=text], input:not([type])'))) wrong.push(`editor: ${input.getAttribute('aria-label')}`);
        return { wrong, shown: grid.querySelectorAll('[data-cell^="prompt of row "]').length };
      });
    for (const top of [1500, 4000, 9000]) {
      await page.getByTestId('shots-grid-scroll').evaluate((el, y) => (el.scrollTop = y), top);
      await page.waitForFunction((y) => {
        const first = document.querySelector<HTMLElement>('[data-cell^="prompt of row "]');
        return !!first && Number(first.dataset.row) > y / 40;
      }, top);
      const seen = await check();
      expect(seen.shown).toBeGreaterThan(5);
      expect(seen.wrong).toEqual([]);
    }
    // Back at the top, row 2 shows its own text, and nothing was saved to the file.
    await page.getByTestId('shots-grid-scroll').evaluate((el) => (el.scrollTop = 0));
    await page.getByLabel('prompt of row 3').waitFor();
    const top = await check();
    expect(top.wrong.filter((w) => !w.startsWith('editor: prompt of row 2'))).toEqual([]);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(h.pageErrors).toEqual([]);
  });

  it('renders 10,000 rows in the Shots grid and scrolls to the last', async () => {
    const { page } = h;
    const dir = tempDir('ltx-10k-');
    const rows = ['shot,prompt,duration,resolution,seed'];
    for (let i = 1; i <= 10_000; i++) rows.push(`${i},"Shot ${i}: a slow dolly along the harbour wall at dawn, gulls overhead",2,480p,${i}`);
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, rows.join('\n'));
    try {
      await page.getByTestId('nav-import').click();
      await page.getByTestId('path-input').fill(file);
      const t0 = Date.now();
      await page.getByTestId('open-path').click();
      await page.waitForFunction(() => document.querySelector('[data-testid=shot-count]')?.textContent === '10,000 shots', undefined, { timeout: 30_000 });
      const tImport = Date.now() - t0;
      const t1 = Date.now();
      await page.getByTestId('nav-shots').click();
      await page.getByTestId('shot-row-1').waitFor();
      const tGrid = Date.now() - t1;
      await page.waitForFunction(() => document.querySelector('[data-testid=estimate-total]')?.textContent === '$0.00', undefined, { timeout: 30_000 });
      const tEstimate = Date.now() - t1;
      // Only what is on screen is in the DOM.
      const inDom = await page.getByTestId('shots-grid').locator('[role=row][data-index]').count();
      expect(inDom).toBeLessThan(80);

      await page.waitForTimeout(1000); // let the page settle (garbage collection after loading 10k rows)
      // Scroll, timing the frames: first like a fast wheel (400 px a frame), then in jumps of a
      // fortieth of the grid (every frame a new page of rows), to the end.
      const frames = await page.getByTestId('shots-grid-scroll').evaluate(async (el) => {
        const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
        const run = async (step: (i: number) => void, n: number) => {
          const times: number[] = [];
          await frame();
          let last = performance.now();
          for (let i = 0; i < n; i++) {
            step(i);
            await frame();
            const now = performance.now();
            times.push(now - last);
            last = now;
          }
          return times;
        };
        const wheel = await run(() => (el.scrollTop += 400), 40);
        const jumps = await run((i) => (el.scrollTop = ((i + 1) / 40) * el.scrollHeight), 40);
        el.scrollTop = el.scrollHeight;
        return { wheel, jumps };
      });
      await page.getByTestId('shot-row-10000').waitFor({ state: 'visible' });
      const box = await page.getByTestId('shot-row-10000').boundingBox();
      const view = await page.getByTestId('shots-grid-scroll').boundingBox();
      expect(box && view && box.y + box.height <= view.y + view.height + 1).toBe(true);
      const stat = (t: number[]) => `${(t.reduce((a, x) => a + x, 0) / t.length).toFixed(1)} ms average, ${[...t].sort((a, x) => a - x)[Math.floor(t.length * 0.9)].toFixed(1)} ms 90th percentile`;
      console.log(
        `10k rows: storyboard opened in ${tImport} ms; Shots grid first rows ${tGrid} ms after opening the tab (estimate shown after ${tEstimate} ms); ${inDom} rows in the DOM; ` +
          `frame time scrolling 400 px/frame: ${stat(frames.wheel)}; jumping 1/40 of the grid per frame: ${stat(frames.jumps)}`,
      );
      expect(h.pageErrors).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
