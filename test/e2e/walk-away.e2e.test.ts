/**
 * Walking away, in browser mode: a desktop notification and a log line when a batch stops short
 * for its budget, and the diagnostics report that carries the log. Notifications are the page's
 * (web Notification API, permission granted to the page); the desktop app shows OS notifications
 * from its main process with the same words (main/contract/notices.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openByPath, screenshot, startHarness, tempDir, type Harness } from './harness';

describe('walking away from a batch (browser mode)', () => {
  let h: Harness;
  beforeAll(async () => {
    // The preview provider at $0.50 a second (your prices, read when the app starts).
    h = await startHarness({ homeFiles: { 'prices.csv': 'provider,model,resolution,usd_per_second,note\npreview,,,0.5,priced for this test\n' } });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a batch held back by its budget: a notification, the hold in the Queue, a line in the project log, and the diagnostics carry it', async () => {
    const { page } = h;
    // A render budget of $0.60: shot 1 ($0.50) goes, shot 2 is held back.
    await page.context().grantPermissions(['notifications']);
    await page.evaluate(() => {
      const shown: { title: string; body: string }[] = [];
      (window as unknown as { __shown: typeof shown }).__shown = shown;
      class Recorded {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, o: { body: string }) {
          shown.push({ title, body: o.body });
        }
      }
      (window as unknown as { Notification: unknown }).Notification = Recorded;
    });
    const file = path.join(tempDir('ltx-walk-'), 'walk.csv');
    fs.writeFileSync(file, 'shot,prompt,duration,resolution\n1,a pier,1,64x36\n2,the sea,1,64x36\n');
    await openByPath(page, file);
    await page.getByTestId('nav-shots').click();
    await page.getByTestId('project-input').fill('walk-away');
    await page.getByTestId('budget-input').fill('0.6');
    await page.getByTestId('render-button').click();
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => (window as unknown as { __shown: unknown[] }).__shown.length > 0);
    const shown = await page.evaluate(() => (window as unknown as { __shown: { title: string; body: string }[] }).__shown);
    expect(shown[0].title).toBe('Batch finished');
    expect(shown[0].body).toMatch(/^1 succeeded, 0 failed, 1 waiting/);
    // The Queue says why shot 2 did not go.
    await page.getByTestId('job-2-1').getByText(/^held back: /).waitFor();
    await screenshot(page, 'queue-held-back.png');
    // The project's log, through "Copy diagnostics" in Settings.
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('diagnostics-button').click();
    const text = await page.getByTestId('diagnostics-text').inputValue();
    expect(text).toMatch(/shot 2 take 1 held back: /);
    expect(text).toMatch(/render finished: 1 succeeded, 0 failed, waiting: 1 /);
    const log = fs.readFileSync(path.join(h.home, 'projects', 'walk-away', 'logs', 'ltx-batch.log'), 'utf8');
    expect(log).toMatch(/shot 2 take 1 held back: /);
    await screenshot(page, 'settings-diagnostics.png');
    expect(h.pageErrors).toEqual([]);
  }, 90_000);
});
