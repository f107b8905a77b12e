/**
 * Bench phase: the renderer's Shots grid with 10,000 rows in Chromium (browser mode): time to
 * first render of the grid, and frames dropped while scrolling it from top to bottom.
 * Needs Chromium at /usr/bin/chromium (CHROMIUM_PATH overrides).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startUiServer } from '../main/ui-server/server';
import { ensureRendererBuild } from '../main/cli/ui-command';
import { ProviderRegistry } from '../main/providers/registry';
import { createPreviewProvider } from '../main/providers/preview/preview';
import { openSettings } from '../main/settings/settings-db';

/** Runs the phase in `work`; returns its figures. */
export async function rendererPhase(work: string, rows = 10_000) {
  const file = path.join(work, 'grid.csv');
  fs.writeFileSync(file, ['shot,prompt,duration,resolution', ...Array.from({ length: rows }, (_, i) => `${i + 1},grid row ${i + 1} with a longer prompt to wrap,4,720p`)].join('\n'));
  const keys = new Map<string, string>();
  const server = await startUiServer({
    port: 0,
    staticDir: ensureRendererBuild(),
    deps: { registry: new ProviderRegistry([createPreviewProvider()]), keys: { get: (k) => keys.get(k), set: (k, v) => void keys.set(k, v), delete: (k) => keys.delete(k) }, settings: openSettings({ LTX_BATCH_HOME: path.join(work, 'grid-home') }), projectsDir: path.join(work, 'grid-projects') },
  });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await page.waitForFunction(() => !!(window as unknown as { __ltxApi?: unknown }).__ltxApi || document.readyState === 'complete');
    // Open the storyboard through the UI's own API object, then time until the grid shows its first row.
    const t0 = Date.now();
    await page.evaluate(async (p) => {
      const w = window as unknown as { __ltxBench?: (p: string) => Promise<void> };
      if (w.__ltxBench) await w.__ltxBench(p);
    }, file);
    await page.getByText('grid row 1 with', { exact: false }).first().waitFor({ timeout: 60_000 });
    const firstRenderMs = Date.now() - t0;
    const scroller = page.locator('[data-testid="shots-grid-scroll"]');
    // Passed as text: tsx would otherwise add its own helpers to a function sent to the page.
    await scroller.waitFor();
    const stats = (await page.evaluate(`(async () => {
      const el = document.querySelector('[data-testid="shots-grid-scroll"]');
      const times = [];
      let last = performance.now();
      let running = true;
      const tick = (t) => { times.push(t - last); last = t; if (running) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
      const step = el.clientHeight;
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 2) {
        el.scrollTop += step;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
      }
      running = false;
      return { frames: times.length, dropped: times.filter((d) => d > 33.4).length };
    })()`)) as { frames: number; dropped: number };
    return { rows, firstRenderMs, frames: stats.frames, droppedFrames: stats.dropped };
  } finally {
    await browser.close();
    await server.close();
  }
}
