/**
 * What the UI end-to-end tests share: the browser-mode server started in-process on a temporary
 * app home with an in-memory key store, and a headless Chromium (the system one, never a
 * download) driven by playwright-core.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startUiServer, type UiServer } from '../../main/ui-server/server';
import { ensureRendererBuild } from '../../main/cli/ui-command';
import { defaultRegistry } from '../../main/providers/registry';
import { openSettings } from '../../main/settings/settings-db';
import type { KeyStore } from '../../main/secrets/keychain';
import { keychainLookup } from '../../main/secrets/key-lookup';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = path.join(ROOT, 'test-results');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** A key store that lives in memory only (tests never touch a real keychain). */
export function memoryKeyStore(): KeyStore & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: (id) => entries.get(id),
    set: (id, key) => void entries.set(id, key),
    delete: (id) => entries.delete(id),
  };
}

/** Newest modification time under a folder (the renderer sources). */
function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The renderer build, rebuilt when a renderer source (or vite.config.ts) is newer than it, so
 * the tests never drive a stale UI. Test files run in parallel: a lock folder makes one build
 * while the others wait.
 */
export function rendererBuild(): string {
  if (process.env.LTX_BATCH_RENDERER_DIR) return ensureRendererBuild();
  const lock = path.join(ROOT, 'dist', '.renderer-build-lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than 2 minutes is left over from a killed run.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error(`the renderer build lock ${lock} is held; remove it if no test is running`);
      sleepSync(200);
    }
  }
  try {
    const index = path.join(ROOT, 'dist', 'renderer', 'index.html');
    if (fs.existsSync(index)) {
      const src = Math.max(newest(path.join(ROOT, 'renderer')), fs.statSync(path.join(ROOT, 'vite.config.ts')).mtimeMs);
      if (src > fs.statSync(index).mtimeMs) fs.rmSync(path.join(ROOT, 'dist', 'renderer'), { recursive: true, force: true });
    }
    return ensureRendererBuild();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Milliseconds since `t0`, for the phase timings the tests print. */
export function since(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

/** A fresh temporary folder (removed by {@link Harness.close}). */
export function tempDir(prefix = 'ltx-ui-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Harness {
  server: UiServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  home: string;
  keys: ReturnType<typeof memoryKeyStore>;
  /** Page errors and console errors seen so far. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Starts the server (fresh app home, projects under it) and opens the app in a 1280x800 page.
 * `beforeGoto` runs after the page exists and before it loads (to attach listeners).
 */
export async function startHarness(opts: { beforeGoto?: (page: Page) => void; env?: Record<string, string>; homeFiles?: Record<string, string> } = {}): Promise<Harness> {
  const home = tempDir();
  // Files of the app's data folder read at start (prices.csv).
  for (const [name, text] of Object.entries(opts.homeFiles ?? {})) fs.writeFileSync(path.join(home, name), text);
  const env: NodeJS.ProcessEnv = { LTX_BATCH_HOME: home, PATH: process.env.PATH, ...opts.env };
  const keys = memoryKeyStore();
  // The providers read keys from the app's key store as the desktop app's do (keychainLookup).
  const keychain = keychainLookup(keys);
  const settings = openSettings({ LTX_BATCH_HOME: home });
  const server = await startUiServer({
    port: 0,
    staticDir: rendererBuild(),
    deps: { registry: defaultRegistry(env, keychain.lookup), keys: keychain.store, settings, projectsDir: path.join(home, 'projects'), env },
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()}: ${new URL(r.url()).pathname}`);
  });
  opts.beforeGoto?.(page);
  await page.goto(server.url);
  await page.getByTestId('screen-import').waitFor();
  return {
    server,
    browser,
    context,
    page,
    home,
    keys,
    pageErrors,
    close: async () => {
      await browser.close().catch(() => {});
      await server.close().catch(() => {});
      settings.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Writes a screenshot of the page to test-results/NAME. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, name) });
}

/** Opens a storyboard by its path on the Import screen and waits until it is shown. */
export async function openByPath(page: Page, file: string): Promise<void> {
  await page.getByTestId('nav-import').click();
  await page.getByTestId('path-input').fill(file);
  await page.getByTestId('open-path').click();
  // The summary of the storyboard open before may still be there: wait for this file's.
  await page.waitForFunction((name) => document.querySelector('[data-testid=storyboard-summary] [title]')?.getAttribute('title')?.endsWith(name) ?? false, path.basename(file));
}

/** Opens `file` on the Shots screen and starts a render of it into `project`; does not wait for it. */
export async function startRenderOf(page: Page, file: string, project: string): Promise<void> {
  await openByPath(page, file);
  await page.getByTestId('nav-shots').click();
  await page.getByTestId('project-input').fill(project);
  await page.getByTestId('render-button').click();
}
