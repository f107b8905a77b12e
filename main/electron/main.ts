/**
 * The Electron main process: one window over the core. The only place (with window-options.ts)
 * that imports Electron. Every renderer message has its sender frame checked, then is parsed with
 * the contract's zod schemas and answered through the shared transport (main/app/transport.ts: the
 * call, the error mapping, events held until the renderer says it is ready, media with ranges);
 * this file keeps only the Electron glue (IPC, the ltx-media: protocol, the window, the app's life).
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { app, BrowserWindow, dialog, ipcMain, Notification, powerSaveBlocker, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { keepAwakeAfter, noticeFor } from '../contract/notices';
import type { EventName, EventPayloads } from '../contract/api';
import { ContractError } from '../contract/api';
import { AppService } from '../app/app-service';
import { answerCall, errorView, EventHub, fileResponse, MediaFiles } from '../app/transport';
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
/** The power-save blocker held while a batch runs (the computer does not sleep mid-render). */
let awake: number | null = null;

/** Walking away: the computer kept awake while takes are on their way, an OS notification when a batch ends, stops or pauses. */
function walkAway<E extends EventName>(event: E, payload: EventPayloads[E]): void {
  const keep = keepAwakeAfter(event, payload);
  if (keep === true && awake === null) awake = powerSaveBlocker.start('prevent-app-suspension');
  if (keep === false && awake !== null) {
    powerSaveBlocker.stop(awake);
    awake = null;
  }
  const n = noticeFor(event, payload);
  if (n && Notification.isSupported()) new Notification({ title: n.title, body: n.body }).show();
}
let service: AppService | null = null;
const events = new EventHub();
const media = new MediaFiles((id, name) => `ltx-media://media/${id}/${name}`);
/** Disconnects the window's renderer from the events (it is closed, reloading, or not ready yet). */
let disconnect: (() => void) | null = null;

function detachRenderer(): void {
  disconnect?.();
  disconnect = null;
}

function createWindow(): void {
  const w = new BrowserWindow(mainWindowOptions(preloadPath));
  win = w;
  detachRenderer();
  w.once('ready-to-show', () => w.show());
  // A reload starts a new page: events wait again until it says it is ready.
  w.webContents.on('did-start-loading', detachRenderer);
  void w.loadFile(path.join(rendererDir, 'index.html'));
  w.on('closed', () => {
    win = null;
    detachRenderer();
  });
}

function checkSender(e: IpcMainInvokeEvent): void {
  const url = e.senderFrame?.url ?? '';
  if (!win || e.sender !== win.webContents || !isAppUrl(url, rendererDir)) throw new ContractError('refused: the message did not come from the app window');
}

app.whenReady().then(() => {
  const settings = openSettings();
  // One lookup for the providers and the app's key store: a key saved in Settings is used at once.
  const keychain = keychainLookup(osKeychain());
  service = new AppService({
    registry: defaultRegistry(process.env, keychain.lookup),
    keys: keychain.store,
    settings,
    projectsDir: projectsDir(settings),
    mediaUrl: (file) => media.url(file),
    emit: (event, payload) => {
      walkAway(event, payload);
      events.emit(event, payload);
    },
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
    const file = m ? media.file(m[1]) : undefined;
    const r = file ? fileResponse(file, req.headers.get('range')) : null;
    if (!r) return new Response('not found', { status: 404 });
    return new Response(r.body ? (Readable.toWeb(r.body) as ReadableStream) : null, { status: r.status, headers: r.headers });
  });
  ipcMain.handle('ltx:call', async (e, method: unknown, args: unknown) => {
    try {
      checkSender(e);
    } catch (err) {
      return { ok: false, error: errorView(err) };
    }
    const { method: answered, reply } = await answerCall(service!, method, args);
    if (answered === 'app.ready' && win && !disconnect) {
      const contents = win.webContents;
      disconnect = events.connect((ev) => {
        if (!contents.isDestroyed()) contents.send('ltx:event', ev.event, ev.payload);
      });
    }
    return reply;
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
  if (!service) return;
  e.preventDefault();
  if (quitting) {
    // Quit asked again while waiting: cut the submits on their way (held as "may have been
    // submitted twice"); shutdown() then ends as soon as the children exit.
    service.abandonSubmits();
    return;
  }
  quitting = true;
  // Stop the queue at a safe point (submits on their way are answered and stored, downloads are
  // left to resume), then wait for child processes (ffmpeg, the local runner) to exit.
  void service.shutdown().finally(() => app.exit(0));
});
