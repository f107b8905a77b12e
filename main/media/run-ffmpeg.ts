/**
 * Runs ffmpeg as a child process (spawned directly, no wrapper library) and reports progress
 * from its `-progress pipe:1` key=value output.
 */
import { spawn } from 'node:child_process';
import { ffmpegPath } from './ffmpeg-path';

/** Options of {@link runFfmpeg}. */
export interface RunFfmpegOptions {
  /** Expected output duration in seconds, to turn out_time into a fraction. */
  totalSeconds?: number;
  /** Called with 0..1 as ffmpeg reports progress. */
  onProgress?: (fraction: number) => void;
  /** Kills ffmpeg when aborted. */
  signal?: AbortSignal;
}

/** ffmpeg exited with an error; `stderrTail` holds its last lines (what went wrong). */
export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly stderrTail: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

/**
 * Runs ffmpeg with `args` (input/output arguments; -progress, -nostats, -y and -hide_banner are
 * added). Resolves when ffmpeg exits 0; rejects with {@link FfmpegError} otherwise, or with an
 * AbortError when the signal fires.
 */
export function runFfmpeg(args: string[], opts: RunFfmpegOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const full = ['-hide_banner', '-nostats', '-y', '-progress', 'pipe:1', ...args];
    let child;
    try {
      child = spawn(ffmpegPath(), full, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      reject(e);
      return;
    }
    let stderr = '';
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const m = /^out_time_(?:us|ms)=(\d+)$/.exec(line);
        if (m && opts.totalSeconds && opts.onProgress) opts.onProgress(Math.min(1, Number(m[1]) / 1e6 / opts.totalSeconds));
        if (line === 'progress=end') opts.onProgress?.(1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new FfmpegError(`could not start ffmpeg: ${e.message}`, '', null));
    });
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) {
        const err = new Error('ffmpeg was stopped');
        err.name = 'AbortError';
        reject(err);
      } else if (code === 0) resolve();
      else {
        const tail = stderr.trim().split('\n').slice(-6).join('\n');
        const last = tail.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '';
        reject(new FfmpegError(`ffmpeg failed (exit ${code ?? sig}): ${last}`, tail, code));
      }
    });
  });
}
