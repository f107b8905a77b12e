/**
 * A log file per project (DIR/logs/ltx-batch.log) for the creator to attach to a bug report: one
 * line per thing that happened to the batch (a take finished, failed, was canceled or held back, a
 * provider paused, a render ended), timestamped in UTC. Rotated by rotating-file-stream at 1 MiB,
 * the last 3 rotations kept (ltx-batch.log.1 ... .3). Keys never reach it: every line goes through
 * the providers' redact() with the keys the app knows, and any Bearer token is masked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { EventName, EventPayloads, JobView } from '../contract/api';
import { redact } from '../providers/http';

/** The log's folder and file name inside a project folder. */
export const LOG_FOLDER = 'logs';
export const LOG_FILE = 'ltx-batch.log';

/** The line an event writes to the log, or null for events that are not logged (progress, unchanged jobs). `last` remembers each job's logged state. */
export function logLine<E extends EventName>(event: E, payload: EventPayloads[E], last: Map<number, string>): string | null {
  if (event === 'job.updated') {
    const j = payload as JobView;
    const what = j.state === 'queued' && j.holdReason ? `held back: ${j.holdReason}` : ['succeeded', 'failed', 'canceled'].includes(j.state) ? j.state : null;
    if (!what || last.get(j.id) === what) return null;
    last.set(j.id, what);
    const tail = j.state === 'succeeded' ? ` (${j.provider}, ${j.actual !== '-' ? j.actual : j.estimate})` : j.error ? `: ${j.error}` : '';
    return `shot ${j.shot} take ${j.take} ${what}${tail}`;
  }
  if (event === 'provider.paused') {
    const p = payload as EventPayloads['provider.paused'];
    return `${p.provider} paused: ${p.reason}`;
  }
  if (event === 'render.finished') {
    const r = payload as EventPayloads['render.finished'];
    const waiting = Object.entries(r.waiting).map(([k, n]) => `${n} ${k}`);
    return `render finished: ${r.succeeded} succeeded, ${r.failed} failed${waiting.length ? `, waiting: ${waiting.join(', ')}` : ''}${r.filmSkipped ? `; no film: ${r.filmSkipped}` : r.placeholders.length ? `; a rough cut, placeholders: ${r.placeholders.join(', ')}` : ''}`;
  }
  if (event === 'render.failed') return `render stopped: ${(payload as EventPayloads['render.failed']).message}`;
  return null;
}

/** The open project's log. */
export class ProjectLog {
  private readonly stream: RotatingFileStream;
  private readonly last = new Map<number, string>();

  /** Opens (appends to) DIR/logs/ltx-batch.log; `secrets()` gives the keys to mask, read once per line. */
  constructor(
    readonly dir: string,
    private readonly secrets: () => (string | undefined)[],
  ) {
    fs.mkdirSync(path.join(dir, LOG_FOLDER), { recursive: true });
    this.stream = createStream(LOG_FILE, { path: path.join(dir, LOG_FOLDER), size: '1M', rotate: 3 });
    this.stream.on('error', () => {});
  }

  /** Writes one line (keys masked), timestamped. */
  write(text: string): void {
    this.stream.write(`${new Date().toISOString()} ${redact(text, this.secrets()).replace(/\s*\n\s*/g, ' ')}\n`);
  }

  /** Writes the line an event makes, if it makes one. */
  event<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    const line = logLine(event, payload, this.last);
    if (line) this.write(line);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}

/** The last `n` lines of a project's log (the current file only), keys masked again; [] when there is none. */
export function tailLog(dir: string, n: number, secrets: (string | undefined)[]): string[] {
  try {
    const lines = fs.readFileSync(path.join(dir, LOG_FOLDER, LOG_FILE), 'utf8').trimEnd().split('\n');
    return lines.slice(-n).map((l) => redact(l, secrets));
  } catch {
    return [];
  }
}
