/**
 * Smoke test of the real desktop app with Playwright's Electron driver. It needs the Electron
 * binary, which cannot be downloaded on the machines CI runs on; there it reports
 * "skipped: no Electron binary". Run it where Electron is installed: npm run build && npx vitest run test/electron/smoke.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/tmp';

function electronBinary(): string | null {
  try {
    const p = path.join(ROOT, 'node_modules', 'electron', 'path.txt');
    const bin = path.join(ROOT, 'node_modules', 'electron', 'dist', fs.readFileSync(p, 'utf8').trim());
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();

describe('desktop app (Electron)', () => {
  it.skipIf(!bin)(bin ? 'opens the window with the import screen and the contract answers' : 'skipped: no Electron binary', async () => {
    const { _electron } = await import('playwright-core');
    const app = await _electron.launch({ executablePath: bin!, args: [path.join(ROOT, 'dist', 'electron', 'main.cjs')], env: { ...process.env, LTX_BATCH_HOME: fs.mkdtempSync('/tmp/ltx-electron-') } });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      expect(await page.title()).toContain('LTX Batch');
      const hasBridge = await page.evaluate(() => typeof (window as unknown as { ltx?: unknown }).ltx === 'object' && typeof (window as unknown as { require?: unknown }).require === 'undefined');
      expect(hasBridge).toBe(true);
    } finally {
      await app.close();
    }
  });
});
