/**
 * What the renderer bench phases (./renderer-grid.ts, ./renderer-queue.ts) share: the browser-mode
 * server started in-process on a temporary app home with the preview provider, the renderer build
 * (rebuilt when a renderer source is newer than it, so a phase never measures stale code), a
 * headless Chromium page on it, and frame timing in the page.
 * Needs Chromium at /usr/bin/chromium (CHROMIUM_PATH overrides).
 */
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startUiServer, type UiServer } from '../main/ui-server/server';
import { ProviderRegistry } from '../main/providers/registry';
import { createPreviewProvider } from '../main/providers/preview/preview';
import { openSettings } from '../main/settings/settings-db';
import { memoryKeyStore, rendererBuild } from '../test/e2e/harness';

/** Chromium's flags for every renderer phase. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/**
 * A frame counts as slow when it takes longer than this (ms): more than two 60 Hz vsync intervals
 * (2 x 16.7 ms), i.e. at least two frames in a row were missed.
 */
export const SLOW_FRAME_MS = 33.4;

/** Frame figures of one measured pass. */
export interface FrameStats {
  /** Frames seen (requestAnimationFrame callbacks). */
  frames: number;
  /** Frames that took longer than {@link SLOW_FRAME_MS}. */
  over33: number;
  /** over33 as a percent of frames. */
  percentOver33: number;
  /** The longest frame, ms. */
  maxFrameMs: number;
  /** The 99th percentile frame time, ms. */
  p99FrameMs: number;
  /** The mean frame time, ms (16.7 when no vsync was missed). */
  meanFrameMs: number;
}

/** Frame figures of a list of frame times (ms). */
export function frameStats(times: number[]): FrameStats {
  const sorted = [...times].sort((a, b) => a - b);
  const over33 = times.filter((t) => t > SLOW_FRAME_MS).length;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    frames: times.length,
    over33,
    percentOver33: times.length ? Math.round((10_000 * over33) / times.length) / 100 : 0,
    maxFrameMs: round(sorted.at(-1) ?? 0),
    p99FrameMs: round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0),
    meanFrameMs: times.length ? Math.round((100 * times.reduce((a, t) => a + t, 0)) / times.length) / 100 : 0,
  };
}

/** The pass with the fewest slow frames (ties: the one with the most frames). */
export function bestPass<T extends FrameStats>(passes: T[]): T {
  return passes.reduce((a, b) => (b.percentOver33 < a.percentOver33 || (b.percentOver33 === a.percentOver33 && b.frames > a.frames) ? b : a));
}

/**
 * Installs `window.__benchFrames` in the page: start() records the time between animation frames
 * until stop() returns them (ms). Sent as text: tsx would otherwise add its own helpers to a
 * function sent to the page.
 */
export async function installFrameRecorder(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    let times = [], last = 0, running = false;
    const tick = (t) => { if (!running) return; if (last) times.push(t - last); last = t; requestAnimationFrame(tick); };
    window.__benchFrames = {
      start() { times = []; last = 0; running = true; requestAnimationFrame(tick); },
      stop() { running = false; return times; },
    };
  })()`);
}

/** Starts recording frame times in the page (after {@link installFrameRecorder}). */
export const startFrames = (page: Page) => page.evaluate('window.__benchFrames.start()');
/** Stops recording; the frame times seen since {@link startFrames}, ms. */
export const stopFrames = (page: Page) => page.evaluate('window.__benchFrames.stop()') as Promise<number[]>;

/** Resolves after `n` animation frames of the page. */
export const frames = (page: Page, n: number) => page.evaluate(`new Promise((r) => { let i = 0; const f = () => (++i >= ${n} ? r(null) : requestAnimationFrame(f)); requestAnimationFrame(f); })`);

/**
 * Runs `fn` with the app open in headless Chromium (1280 x 800) on a fresh browser-mode server whose
 * home and projects live under `work/name`; closes both after.
 */
export async function withAppPage<T>(work: string, name: string, fn: (page: Page, server: UiServer) => Promise<T>): Promise<T> {
  const settings = openSettings({ LTX_BATCH_HOME: path.join(work, `${name}-home`) });
  const server = await startUiServer({
    port: 0,
    staticDir: rendererBuild(),
    deps: { registry: new ProviderRegistry([createPreviewProvider()]), keys: memoryKeyStore(), settings, projectsDir: path.join(work, `${name}-projects`) },
  });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    // Booted: app.ready answered and the navigation is shown.
    await page.getByTestId('nav-import').waitFor({ timeout: 60_000 });
    await installFrameRecorder(page);
    const r = await fn(page, server);
    if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    return r;
  } finally {
    await browser.close();
    await server.close();
    settings.close();
  }
}
