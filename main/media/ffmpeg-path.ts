/**
 * Finds the ffmpeg and ffprobe programs.
 *
 * Order: the FFMPEG_PATH / FFPROBE_PATH environment variables, then a copy bundled with the app
 * under resources/ffmpeg/<platform>-<arch>/ (packaged builds put it in extraResources), then the
 * system PATH, then the static builds shipped inside the npm packages @ffmpeg-installer/* and
 * @ffprobe-installer/* (an old but complete ffmpeg 4.x, so a fresh machine works offline).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Thrown when a program cannot be found anywhere; the message says how to install it. */
export class FfmpegNotFoundError extends Error {
  constructor(readonly program: 'ffmpeg' | 'ffprobe') {
    super(
      `${program} was not found. Install it (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg; ` +
        `Windows: winget install ffmpeg), or set ${program === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'} to the program's full path.`,
    );
    this.name = 'FfmpegNotFoundError';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The project's resources/ folder (or the packaged app's resources folder when set by Electron). */
export function resourcesDir(): string {
  return process.env.LTX_BATCH_RESOURCES ?? path.resolve(here, '..', '..', 'resources');
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, exe);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function fromNpm(program: 'ffmpeg' | 'ffprobe'): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const pkg = program === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
    const mod = req(pkg) as { path?: string };
    return mod.path && isExecutable(mod.path) ? mod.path : undefined;
  } catch {
    return undefined;
  }
}

const cache = new Map<string, string>();

/**
 * The path of ffmpeg or ffprobe. Throws {@link FfmpegNotFoundError} when none is found.
 * An explicit FFMPEG_PATH/FFPROBE_PATH that does not exist is an error, not silently skipped.
 */
export function findProgram(program: 'ffmpeg' | 'ffprobe'): string {
  const envName = program === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  const explicit = process.env[envName];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`${envName} is set to "${explicit}", but no program is there. Fix or unset ${envName}.`);
  }
  const key = program;
  const hit = cache.get(key);
  if (hit && isExecutable(hit)) return hit;
  const exe = process.platform === 'win32' ? `${program}.exe` : program;
  const candidates = [path.join(resourcesDir(), 'ffmpeg', `${process.platform}-${process.arch}`, exe)];
  let found = candidates.find(isExecutable) ?? onPath(program) ?? fromNpm(program);
  if (!found) throw new FfmpegNotFoundError(program);
  cache.set(key, found);
  return found;
}

/** The path of ffmpeg; see {@link findProgram}. */
export const ffmpegPath = (): string => findProgram('ffmpeg');
/** The path of ffprobe; see {@link findProgram}. */
export const ffprobePath = (): string => findProgram('ffprobe');
