/**
 * `ltx-batch ui [--port N]`: browser mode. Builds the renderer if needed, serves it and the
 * contract on 127.0.0.1 with a random token, prints the URL, and runs until Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUiServer, type UiServer } from '../ui-server/server';
import type { ProviderRegistry } from '../providers/registry';
import type { KeyStore } from '../secrets/keychain';
import type { Db } from '../queue/db';
import { projectsDir } from '../settings/projects-dir';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The renderer build folder (LTX_BATCH_RENDERER_DIR, else dist/renderer), building it with Vite
 * first when it has no index.html. The build is always React's production build (NODE_ENV is set
 * to production for Vite: a shell's or a test runner's NODE_ENV=development/test would otherwise
 * give the development build, several times slower to render). Only the default folder is emptied
 * before building; a folder named by LTX_BATCH_RENDERER_DIR keeps its other files. Throws when the
 * build fails.
 */
export function ensureRendererBuild(): string {
  const own = path.join(ROOT, 'dist', 'renderer');
  const dir = process.env.LTX_BATCH_RENDERER_DIR ?? own;
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    process.stderr.write('building the app UI (first run only)...\n');
    const args = [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error', '--outDir', dir, path.resolve(dir) === own ? '--emptyOutDir' : '--emptyOutDir=false'];
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  }
  return dir;
}

/** Starts browser mode; resolves with the server (the CLI keeps the process alive). */
export async function uiCommand(opts: { port?: number }, registry: ProviderRegistry, keys: KeyStore, settings: Db, out: NodeJS.WritableStream = process.stdout): Promise<UiServer> {
  const server = await startUiServer({ port: opts.port ?? 0, staticDir: ensureRendererBuild(), deps: { registry, keys, settings, projectsDir: projectsDir(settings) } });
  out.write(`LTX Batch is running at\n  ${server.url}\nopen it in a browser on this machine (or through an SSH tunnel); Ctrl-C stops it.\n`);
  const stop = async () => {
    await server.close();
    settings.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
