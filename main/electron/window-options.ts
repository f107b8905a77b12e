/**
 * The main window's options, kept apart from the Electron entry so a unit test can check every
 * security setting without starting Electron.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The Content-Security-Policy of every page the app shows (also set as a response header). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' ltx-media:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Options of the main window: isolated, sandboxed, no Node in the page, only our preload. */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1360,
    height: 860,
    minWidth: 1024,
    minHeight: 640,
    title: 'LTX Batch',
    backgroundColor: '#14171f',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  };
}

/** True when a URL may be shown inside the app (our own renderer build); everything else opens outside or is refused. */
export function isAppUrl(url: string, appRoot: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'file:' && decodeURIComponent(u.pathname).startsWith(appRoot);
  } catch {
    return false;
  }
}

/** True for links that may open in the system browser (http and https only). */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
