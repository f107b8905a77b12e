/**
 * A provider key typed into Settings goes to the core and never comes back: not in any WebSocket
 * frame the page receives, not in the page. Only its last 4 characters may be shown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openByPath, screenshot, startHarness, tempDir, type Harness } from './harness';
import { startLtxSimulator, type LtxSimulator } from '../simulators/ltx';

const KEY = 'sk-test-UNIQUE-9f8e7d6c';

describe('provider keys in the UI', () => {
  let h: Harness;
  let sim: LtxSimulator;
  const received: string[] = [];
  beforeAll(async () => {
    // The LTX API stand-in (written from its docs): it knows KEY and refuses any other key.
    sim = await startLtxSimulator({ apiKey: KEY });
    h = await startHarness({
      env: { LTX_BASE_URL: sim.url },
      beforeGoto: (page) =>
        page.on('websocket', (ws) => {
          ws.on('framereceived', (f) => received.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')));
        }),
    });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await sim?.close();
  });

  it('sets a key through Settings, renders, and the key never reaches the renderer', async () => {
    const { page } = h;
    await page.getByTestId('nav-settings').click();
    const input = page.getByTestId('key-input-ltx');
    await input.fill(KEY);
    await page.getByTestId('key-save-ltx').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=key-status-ltx]')?.textContent?.includes('7d6c'));
    await expect(page.getByTestId('key-status-ltx').textContent()).resolves.toMatch(/^configured\s*…7d6c$/);
    // The typed key is not kept in the field once sent.
    await expect(input.inputValue()).resolves.toBe('');
    // It did reach the core (the in-memory key store).
    expect(h.keys.entries.get('ltx')).toBe(KEY);
    // Saving ran the key's check with the service.
    await expect(page.getByTestId('key-check-ltx').textContent()).resolves.toMatch(/^checked: key accepted/);
    // A fake key is refused on save: not kept, the key saved before stays.
    await input.fill('sk-fake-0000-1111');
    await page.getByTestId('key-save-ltx').click();
    await page.getByText(/^ltx refused the key, so it was not saved \(the key saved before is kept\): key rejected \(HTTP 401\)/i).waitFor();
    expect(h.keys.entries.get('ltx')).toBe(KEY);
    await expect(page.getByTestId('key-status-ltx').textContent()).resolves.toMatch(/…7d6c$/);
    await screenshot(page, 'settings-key-refused.png');
    // "Test" checks it again.
    await page.getByTestId('key-test-ltx').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=key-check-ltx]')?.textContent?.startsWith('checked: key accepted'));

    // A (small) render with the preview provider, then every screen once more.
    const dir = tempDir('ltx-keys-');
    fs.writeFileSync(path.join(dir, 'sb.csv'), 'shot,prompt,duration,resolution\n1,"a harbour at dawn",1,480p\n2,"gulls over the pier",1,480p\n');
    await openByPath(page, path.join(dir, 'sb.csv'));
    await page.getByTestId('nav-shots').click();
    await page.getByTestId('project-input').fill('keys-e2e');
    await page.getByTestId('render-button').click();
    await page.getByTestId('render-finished').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('render-finished').textContent()).resolves.toContain('2 succeeded, 0 failed');
    fs.rmSync(dir, { recursive: true, force: true });
    for (const s of ['timeline', 'shots', 'import', 'settings']) {
      await page.getByTestId(`nav-${s}`).click();
      await page.getByTestId(`screen-${s}`).waitFor();
    }
    await page.getByTestId('key-status-ltx').waitFor();
    await page.waitForTimeout(300);

    const dom = await page.content();
    expect(received.length).toBeGreaterThan(10);
    // The hint did come back (so the frames were captured)...
    expect(received.some((f) => f.includes('…7d6c'))).toBe(true);
    // ...but no part of the key beyond its last 4 characters, anywhere.
    const pieces = [KEY, KEY.slice(0, -4)];
    for (let i = 0; i + 8 <= KEY.length; i++) pieces.push(KEY.slice(i, i + 8));
    for (const piece of pieces) {
      expect(dom.includes(piece), `DOM contains "${piece}"`).toBe(false);
      const hit = received.find((f) => f.includes(piece));
      expect(hit, `a WebSocket frame contains "${piece}"`).toBeUndefined();
    }
    await screenshot(page, 'settings-key.png');

    // Delete: the key leaves the store and the screen says so.
    await page.getByTestId('key-row-ltx').getByRole('button', { name: 'Delete' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=key-status-ltx]')?.textContent === 'not set');
    expect(h.keys.entries.has('ltx')).toBe(false);
    expect(h.pageErrors).toEqual([]);
  }, 120_000);
});
