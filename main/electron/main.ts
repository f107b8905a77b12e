/**
 * The Electron main process: one window over the core. The only place (with window-options.ts)
 * that imports Electron. Every renderer message is parsed with the contract's zod schemas and its
 * sender frame is checked before the core acts; events wait until the renderer says it is ready.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { ContractError, type EventName, type EventPayloads } from '../contract/api';
import { AppService, UserError } from '../app/app-service';
import { defaultRegistry } from '../providers/registry';
import { keychainLookup } from '../secrets/key-lookup';
import { osKeychain } from '../secrets/keychain';
import { openSettings } from '../settings/settings-db';
import { projectsDir } from '../settings/projects-dir';
import { CONTENT_SECURITY_POLICY, isAppUrl, isExternalLink, mainWindowOptions } from './window-options';

const here = __dirname;
const rendererDir = path.join(here, '..', 'renderer');
const preloadPath = path.join(here, 'preload.cjs');
process.env.LTX_BATCH_RESOURCES ??= app.isPackaged ? process.resourcesPath : path.join(here, '..', '..', 'resources');

protocol.registerSchemesAsPrivileged([{ scheme: 'ltx-media', privileges: { stream: true, supportFetchAPI: true, standard: true, secure: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

let win: BrowserWindow | null = null;
let service: AppService | null = null;
let rendererReady = false;
const pending: { event: EventName; payload: unknown }[] = [];
const media = new Map<string, string>();

function send<E extends EventName>(event: E, payload: EventPayloads[E]): void {
  if (!win || win.isDestroyed() || !rendererReady) {
    pending.push({ event, payload });
    return;
  }
  win.webContents.send('ltx:event', event, payload);
}

function mediaUrl(file: string): string {
  const id = crypto.createHash('sha256').update(file).digest('base64url').slice(0, 22);
  media.set(id, file);
  return `ltx-media://media/${id}/${encodeURIComponent(path.basename(file))}`;
}

function createWindow(): void {
  win = new BrowserWindow(mainWindowOptions(preloadPath));
  rendererReady = false;
  win.once('ready-to-show', () => win?.show());
  void win.loadFile(path.join(rendererDir, 'index.html'));
  win.on('closed', () => {
    win = null;
    rendererReady = false;
  });
}

function checkSender(e: IpcMainInvokeEvent): void {
  const url = e.senderFrame?.url ?? '';
  if (!win || e.sender !== win.webContents || !isAppUrl(url, rendererDir)) throw new ContractError('refused: the message did not come from the app window');
}

app.whenReady().then(() => {
  const settings = openSettings();
  const keys = osKeychain();
  service = new AppService({
    registry: defaultRegistry(process.env, keychainLookup(keys).lookup),
    keys,
    settings,
    projectsDir: projectsDir(settings),
    mediaUrl,
    emit: send,
    electron: true,
    version: app.getVersion(),
    pickFile: async () => {
      const r = await dialog.showOpenDialog(win!, { properties: ['openFile'], filters: [{ name: 'Storyboards', extensions: ['csv', 'tsv', 'txt', 'xlsx'] }] });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  });
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } }));
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  protocol.handle('ltx-media', (req) => {
    const m = /^ltx-media:\/\/media\/([A-Za-z0-9_-]{22})\//.exec(req.url);
    const file = m ? media.get(m[1]) : undefined;
    if (!file || !fs.existsSync(file)) return new Response('not found', { status: 404 });
    const size = fs.statSync(file).size;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.get('range') ?? '');
    if (range && range[1]) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      return new Response(Readable.toWeb(fs.createReadStream(file, { start, end })) as ReadableStream, { status: 206, headers: { 'content-type': 'video/mp4', 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' } });
    }
    return new Response(Readable.toWeb(fs.createReadStream(file)) as ReadableStream, { headers: { 'content-type': 'video/mp4', 'content-length': String(size), 'accept-ranges': 'bytes' } });
  });
  ipcMain.handle('ltx:call', async (e, method: unknown, args: unknown) => {
    try {
      checkSender(e);
      const call = await service!.call(method, args);
      const result = call.result;
      if (call.method === 'app.ready') {
        rendererReady = true;
        for (const p of pending.splice(0)) win?.webContents.send('ltx:event', p.event, p.payload);
      }
      return { ok: true, result };
    } catch (err) {
      const known = err instanceof UserError || err instanceof ContractError;
      return { ok: false, error: { message: known ? (err as Error).message : `something went wrong: ${(err as Error).message}`, fix: err instanceof UserError ? err.fix : undefined } };
    }
  });
  createWindow();
  app.on('activate', () => {
    if (!win) createWindow();
  });
});

app.on('second-instance', () => {
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => {
    if (!isAppUrl(url, rendererDir)) ev.preventDefault();
  });
  contents.on('will-attach-webview', (ev) => ev.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

// macOS: closing the window leaves the app (and the queue) running.
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (e) => {
  if (quitting || !service) return;
  e.preventDefault();
  quitting = true;
  // Stop the queue at a safe point (in-flight downloads finish or are left to resume) and wait
  // for child processes (ffmpeg, the local runner) to exit before quitting.
  void service.shutdown().finally(() => app.exit(0));
});
