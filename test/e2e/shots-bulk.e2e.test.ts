/**
 * The Shots screen's bulk edits and shot inspector in browser mode, end to end (real server, real
 * renderer build, the preview provider, headless Chromium): select rows, fill down, paste a block
 * from a spreadsheet, undo and redo, find and replace, sort and filter, the inspector (every
 * column, a dropped image, takes with notes), render selected. Screenshots go to test-results/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../main/media/ffmpeg-path';
import { openByPath, screenshot, startHarness, tempDir, type Harness } from './harness';

const CSV = ['shot,prompt,duration,resolution', '1,a harbour at dawn,2,64x36', '2,gulls over the pier,1,64x36', '3,a boat leaves the pier,1,64x36', '4,the pier at night,1,64x36', ''].join('\n');

/** The storyboard file's records, as csv-parse reads them. */
const records = (file: string) => parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];

describe('Shots: bulk edits and the shot inspector (browser mode)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('selects rows, fills down, pastes a block from a spreadsheet, undoes and redoes, finds and replaces, sorts and filters', async () => {
    const { page } = h;
    const file = path.join(tempDir('ltx-bulk-'), 'bulk.csv');
    fs.writeFileSync(file, CSV);
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    const cell = (field: string, row: number) => page.locator(`[data-cell="${field} of row ${row}"]`);
    await cell('prompt', 2).waitFor();

    // Select rows 2 to 5: a click, then a Shift-click.
    await page.getByLabel('select row 2').click();
    await page.getByLabel('select row 5').click({ modifiers: ['Shift'] });
    await expect(page.getByTestId('selection-count').textContent()).resolves.toBe('4 rows selected');
    // Fill down the duration of row 2 (2 s) into the others.
    await page.getByTestId('fill-down').click();
    await page.getByTestId('fill-down-column').click();
    await page.getByRole('option', { name: 'duration', exact: true }).click();
    await page.getByTestId('fill-down-apply').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="duration of row 5"]')?.textContent === '2');
    expect(records(file).map((r) => r.duration)).toEqual(['2', '2', '2', '2']);
    await screenshot(page, 'shots-fill-down.png');

    // Paste a 2 x 2 block (prompt, mode) copied from a spreadsheet onto the prompt of row 3.
    await cell('prompt', 3).focus();
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', 'a gull, close up\ttext-to-video\r\n"a boat, ""Mara"", leaves"\ttext-to-video\r\n');
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 4"]')?.textContent === 'a boat, "Mara", leaves');
    expect(records(file).map((r) => [r.prompt, r.mode])).toEqual([
      ['a harbour at dawn', ''],
      ['a gull, close up', 'text-to-video'],
      ['a boat, "Mara", leaves', 'text-to-video'],
      ['the pier at night', ''],
    ]);
    await screenshot(page, 'shots-pasted.png');

    // Ctrl+Z takes the paste back (saved to the file too); the Undo button takes the fill down back; Redo does it again.
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 3"]')?.textContent === 'gulls over the pier');
    await expect.poll(() => records(file).map((r) => r.prompt)).toEqual(['a harbour at dawn', 'gulls over the pier', 'a boat leaves the pier', 'the pier at night']);
    await page.getByTestId('undo').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="duration of row 5"]')?.textContent === '1');
    await expect.poll(() => records(file).map((r) => r.duration)).toEqual(['2', '1', '1', '1']);
    await page.getByTestId('redo').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="duration of row 5"]')?.textContent === '2');

    // Find and replace in prompts: counted before it is applied.
    await page.getByTestId('find-replace').click();
    await page.getByTestId('find-input').fill('PIER');
    await page.getByTestId('replace-input').fill('jetty');
    await page.waitForFunction(() => document.querySelector('[data-testid=replace-count]')?.textContent === '3 match(es) in 3 rows');
    await page.getByTestId('replace-apply').click();
    await page.waitForFunction(() => document.querySelector('[data-cell="prompt of row 5"]')?.textContent === 'the jetty at night');
    expect(records(file).map((r) => r.prompt)).toEqual(['a harbour at dawn', 'gulls over the jetty', 'a boat leaves the jetty', 'the jetty at night']);

    // Sort by duration (longest first) after one row is made longer; filter to one provider.
    await cell('duration', 4).click();
    await page.getByRole('textbox', { name: 'duration of row 4' }).fill('3');
    await page.getByRole('textbox', { name: 'duration of row 4' }).press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-cell="duration of row 4"]')?.textContent === '3');
    await page.getByTestId('shot-sort').click();
    await page.getByRole('option', { name: 'Duration (longest first)' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=shots-grid] [role=gridcell][data-row]')?.getAttribute('data-row') === '4');
    await screenshot(page, 'shots-sorted.png');
    await page.getByTestId('shot-sort').click();
    await page.getByRole('option', { name: 'Storyboard order' }).click();
    await page.getByTestId('shot-filter').click();
    await page.getByRole('option', { name: 'Not rendered yet' }).click();
    await expect(page.getByTestId('selection-count').textContent()).resolves.toBe('4 rows selected');
    expect(h.pageErrors).toEqual([]);
  }, 90_000);

  it('errors in the creator\'s terms: one error for an unquoted comma, shot ids first, the refused value shown, one count everywhere', async () => {
    const { page } = h;
    const file = path.join(tempDir('ltx-errors-'), 'errors.csv');
    fs.writeFileSync(file, 'shot,prompt,duration\n1,a pier,2\n2,a cat, walking,4\n3,the sea,-3\n');
    await page.getByTestId('nav-import').click();
    await page.getByTestId('path-input').fill(file);
    await page.getByTestId('open-path').click();
    await page.getByTestId('error-count').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=error-count]')?.textContent === '2 errors in 2 shots');
    const issues = page.getByTestId('issues');
    await expect(issues.textContent()).resolves.toContain('shot 2 (row 3)column 4shot 2 (row 3) has 4 cells, the header has 3: a comma inside a cell that is not in quotes?');
    await expect(issues.textContent()).resolves.toContain('shot 3 (row 4)durationduration must be more than 0 seconds, got -3');
    await screenshot(page, 'import-errors.png');
    await page.getByTestId('nav-shots').click();
    // The refused duration is shown as written, not as the default (5).
    await page.waitForFunction(() => document.querySelector('[data-cell="duration of row 4"]')?.textContent === '-3');
    await expect(page.getByTestId('blocked').textContent()).resolves.toBe('2 errors in 2 shots (marked in red) must be fixed before rendering');
    expect(h.pageErrors).toEqual([]);
  }, 60_000);

  it('the shot inspector edits every column, takes a dropped image into the project, and shows the takes with a note each; render selected renders one shot', async () => {
    const { page } = h;
    const dir = tempDir('ltx-inspect-');
    const file = path.join(dir, 'inspect.csv');
    fs.writeFileSync(file, CSV);
    const still = path.join(tempDir(), 'key frame.png');
    execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=orange:s=128x72', '-frames:v', '1', still]);
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await page.getByLabel('inspect shot 2').click();
    const drawer = page.getByTestId('inspector');
    await drawer.getByTestId('inspector-prompt').waitFor();
    // A multi-line prompt, a negative prompt and notes (columns the sheet does not have yet).
    await drawer.getByTestId('inspector-prompt').fill('gulls over the pier\nthen the wind drops');
    await drawer.getByTestId('inspector-negative_prompt').fill('blurry, text');
    await drawer.getByTestId('inspector-notes').fill('pick the calm take');
    await drawer.getByTestId('inspector-save').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=inspector-save]')?.textContent === 'No changes');
    expect(records(file)[1]).toEqual({ shot: '2', prompt: 'gulls over the pier\nthen the wind drops', duration: '1', resolution: '64x36', negative_prompt: 'blurry, text', notes: 'pick the calm take' });
    // A start image chosen from disk (as a drop would bring it): copied into the storyboard's media folder, shown as a thumbnail.
    await drawer.getByTestId('inspector-media-image').locator('input[type=file]').setInputFiles(still);
    await drawer.getByAltText('image of row 3: media/key frame.png').waitFor();
    expect(fs.readFileSync(path.join(dir, 'media', 'key frame.png'))).toEqual(fs.readFileSync(still));
    expect(records(file)[1].image).toBe('media/key frame.png');
    await screenshot(page, 'shots-inspector.png');
    await page.keyboard.press('Escape');
    // Audio dropped onto row 4 in the grid: copied in, the row's audio cell set.
    const wav = path.join(tempDir(), 'waves.wav');
    execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=220:duration=1', wav]);
    await page.locator('[data-cell="prompt of row 4"]').evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'waves.wav', { type: 'audio/wav' }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, fs.readFileSync(wav).toString('base64'));
    await expect.poll(() => records(file)[2].audio).toBe('media/waves.wav');
    await page.getByTestId('undo').click();
    await expect.poll(() => records(file)[2].audio).toBe('');
    expect(fs.existsSync(path.join(dir, 'media', 'waves.wav'))).toBe(true);

    // Render selected: only shot 2.
    await page.getByTestId('project-input').fill('ui-e2e-selected');
    await page.getByLabel('select row 3').click();
    await page.getByTestId('render-selected').click();
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    await expect(page.locator('[data-testid^=job-]').count()).resolves.toBeGreaterThan(0);
    await expect(page.getByTestId('job-2-1').count()).resolves.toBe(1);
    await expect(page.getByTestId('job-1-1').count()).resolves.toBe(0);
    await expect(page.getByTestId('job-3-1').count()).resolves.toBe(0);
    // A rough cut: the shots without a clip are placeholder cards in the film.
    await expect(page.getByTestId('render-placeholders').textContent()).resolves.toBe('The film is a rough cut: shot 1, 3, 4 have no clip yet and are placeholder cards in it.');
    await page.getByTestId('nav-timeline').click();
    await page.getByTestId('film-placeholders').waitFor();
    await expect(page.getByTestId('film-placeholders').textContent()).resolves.toBe('Rough cut: shot 1, 3, 4 are placeholder cards');
    await expect(page.getByTestId('film-stale').count()).resolves.toBe(0);
    // A 1.5 s crossfade between shots 2 and 3; then shot 1 dragged to the end: the crossfade stays between 2 and 3.
    const saved = () => page.waitForFunction(() => document.querySelector('[data-testid=timeline-strip]')?.getAttribute('data-saving') === 'false');
    await page.getByLabel('joint after shot 2').getByText('Fade').click();
    await saved();
    await page.getByLabel('crossfade after shot 2, seconds').fill('1.5');
    await page.getByLabel('crossfade after shot 2, seconds').press('Tab');
    await saved();
    await page.waitForFunction(() => document.querySelector('[data-testid=film-stale]') !== null);
    const from = (await page.getByTestId('clip-1').locator('.clip-handle').boundingBox())!;
    const to = (await page.getByTestId('clip-4').locator('.clip-handle').boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 + 20, from.y + from.height / 2, { steps: 4 });
    await page.mouse.move(to.x + to.width - 5, to.y + to.height / 2, { steps: 12 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector('[data-testid=timeline-strip] .clip-card')?.getAttribute('data-testid') === 'clip-2');
    await saved();
    const order = await page.getByTestId('timeline-strip').locator('.clip-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(order).toEqual(['clip-2', 'clip-3', 'clip-4', 'clip-1']);
    await expect(page.getByLabel('crossfade after shot 2, seconds').inputValue()).resolves.toBe('1.5 s');
    await expect(page.getByLabel('crossfade after shot 1, seconds').count()).resolves.toBe(0);
    await expect(page.getByLabel('crossfade after shot 4, seconds').count()).resolves.toBe(0);
    await screenshot(page, 'timeline-rough-cut.png');
    // Exported again: up to date.
    await page.getByTestId('export-button').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=film-stale]') === null && document.querySelector('[data-testid=film-placeholders]') !== null, undefined, { timeout: 30_000 });
    // Its take in the inspector, with a note kept in the project.
    await page.getByTestId('nav-shots').click();
    await page.getByLabel('inspect shot 2').click();
    await drawer.getByTestId('inspector-take-1').waitFor();
    await drawer.getByLabel('Note on take 1').fill('calm, good light');
    await drawer.getByTestId('inspector-prompt').click();
    await page.keyboard.press('Escape');
    await page.getByLabel('inspect shot 2').click();
    await expect.poll(() => drawer.getByLabel('Note on take 1').inputValue(), { timeout: 10_000 }).toBe('calm, good light');
    await screenshot(page, 'shots-inspector-takes.png');
    expect(h.pageErrors).toEqual([]);
  }, 120_000);
});
