/**
 * What the two transports of the contract share, Electron IPC (main/electron/) and browser mode's
 * WebSocket (main/ui-server/): answering a call with the service and mapping its error to what the
 * renderer shows, holding events until a renderer says it is ready (bounded while none is), and
 * serving the media files the core registered (with byte ranges, as a <video> asks). Plain Node:
 * no Electron here; each transport keeps only its own glue.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ContractError, type ErrorView, type EventName, type EventPayloads, type MethodName } from '../contract/api';
import { inAppWords } from './app-words';
import { UserError } from '../project/errors';
import type { AppService } from './app-service';

/** A call's answer as it crosses to the renderer. */
export type CallReply = { ok: true; result: unknown } | { ok: false; error: ErrorView };

/**
 * What the renderer shows for an error: the creator's mistakes and refused calls in their own
 * words (with the fix when there is one); anything else as "something went wrong: ...".
 */
export function errorView(e: unknown): ErrorView {
  // Said in the app's own terms: its controls, not CLI commands.
  const message = inAppWords((e as Error)?.message ?? String(e));
  if (e instanceof UserError) {
    const fix = e.fix === undefined ? undefined : inAppWords(e.fix);
    return e.confirm ? { message, fix, confirm: e.confirm } : { message, fix };
  }
  if (e instanceof ContractError) return { message };
  return { message: `something went wrong: ${message}` };
}

/** Parses and answers a call from the renderer; never throws. `method` is the parsed method (null when refused). */
export async function answerCall(service: AppService, method: unknown, args: unknown): Promise<{ method: MethodName | null; reply: CallReply }> {
  try {
    const r = await service.call(method, args);
    return { method: r.method, reply: { ok: true, result: r.result } };
  } catch (e) {
    return { method: null, reply: { ok: false, error: errorView(e) } };
  }
}

/** One event on its way to the renderer. */
export interface OutgoingEvent {
  event: EventName;
  payload: unknown;
}

/** Delivers an event to one connected renderer. */
export type EventSink = (e: OutgoingEvent) => void;

/** How many events are held while no renderer is connected. */
export interface HeldEventLimits {
  /** Events kept per superseding key (a job's updates, a provider's pause, the export's progress); default 1. */
  perKey?: number;
  /** Events kept in all; the oldest go first beyond it (default 2,000). */
  max?: number;
}

/**
 * The key under which a later event makes an earlier one stale: a job's newer view replaces its
 * older ones (the renderer keeps the latest per job id), likewise a provider's pause reason and the
 * export's progress. Events without a key (a render's end, an install line) are each kept.
 */
function supersedeKey(e: OutgoingEvent): string | null {
  switch (e.event) {
    case 'job.updated':
      return `job:${(e.payload as EventPayloads['job.updated']).id}`;
    case 'provider.paused':
      return `paused:${(e.payload as EventPayloads['provider.paused']).provider}`;
    case 'export.progress':
      return 'export.progress';
    default:
      return null;
  }
}

/**
 * Events from the core to the renderers. Delivered to every connected renderer (one that has said
 * it is ready); while none is, they are held, in order, and handed to the next one that connects.
 * The hold is bounded: only the latest `perKey` events per superseding key are kept (a job's
 * superseded updates are dropped), and at most `max` in all (the oldest dropped first: a renderer
 * reads the queue afresh after it connects, so nothing it needs is lost).
 */
export class EventHub {
  private readonly sinks = new Set<EventSink>();
  /** Held events by sequence number; a Map keeps them in the order they were emitted. */
  private readonly held = new Map<number, OutgoingEvent & { key: string | null }>();
  /** Sequence numbers of the held events of each superseding key, oldest first. */
  private readonly byKey = new Map<string, number[]>();
  private seq = 0;
  /** Held events dropped so far (superseded or over the bound). */
  dropped = 0;
  private readonly perKey: number;
  private readonly max: number;

  constructor(limits: HeldEventLimits = {}) {
    this.perKey = Math.max(1, limits.perKey ?? 1);
    this.max = Math.max(1, limits.max ?? 2_000);
  }

  /** Sends an event to every connected renderer, or holds it while none is. */
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    const e: OutgoingEvent = { event, payload };
    if (this.sinks.size > 0) {
      for (const sink of this.sinks) sink(e);
      return;
    }
    this.hold(e);
  }

  private hold(e: OutgoingEvent): void {
    const n = this.seq++;
    const key = supersedeKey(e);
    this.held.set(n, { ...e, key });
    if (key !== null) {
      const list = this.byKey.get(key) ?? [];
      this.byKey.set(key, list);
      list.push(n);
      while (list.length > this.perKey) this.drop(list[0]);
    }
    while (this.held.size > this.max) this.drop(this.held.keys().next().value!);
  }

  private drop(n: number): void {
    const e = this.held.get(n);
    if (!e) return;
    this.held.delete(n);
    this.dropped++;
    if (e.key === null) return;
    const list = this.byKey.get(e.key)!;
    list.splice(list.indexOf(n), 1);
    if (list.length === 0) this.byKey.delete(e.key);
  }

  /**
   * Connects a renderer that is ready for events: the held ones go to it first, in order; then
   * every new one. Returns the disconnect function.
   */
  connect(sink: EventSink): () => void {
    const held = this.heldEvents();
    this.held.clear();
    this.byKey.clear();
    for (const e of held) sink(e);
    this.sinks.add(sink);
    return () => {
      this.sinks.delete(sink);
    };
  }

  /** The events held now, oldest first (tests, diagnostics). */
  heldEvents(): OutgoingEvent[] {
    return [...this.held.values()].map(({ event, payload }) => ({ event, payload }));
  }
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.mp4': 'video/mp4', '.woff2': 'font/woff2', '.json': 'application/json' };

/** The Content-Type of a file served to the renderer, by its extension. */
export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The media files the renderer may load (clips and films of the open project): only files the
 * core registered (by {@link url}) are served, under an opaque id, never a path from the page.
 */
export class MediaFiles {
  private readonly files = new Map<string, string>();

  /** `urlOf` builds the transport's URL from the file's id and its base name. */
  constructor(private readonly urlOf: (id: string, name: string) => string) {}

  /** Registers a file and returns its URL. */
  url(file: string): string {
    const id = crypto.createHash('sha256').update(file).digest('base64url').slice(0, 22);
    this.files.set(id, file);
    return this.urlOf(id, encodeURIComponent(path.basename(file)));
  }

  /** The registered file of an id, or undefined. */
  file(id: string): string | undefined {
    return this.files.get(id);
  }
}

/** A file's answer: status, headers, and the bytes to send (null for none). */
export interface FileResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable | null;
}

/**
 * Answers a request for a file, honouring a single byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`)
 * as a <video> element asks; a range outside the file gets 416. Null when there is no such file.
 */
export function fileResponse(file: string, range?: string | null): FileResponse | null {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) return null;
  const size = st.size;
  const base = { 'content-type': contentType(file), 'accept-ranges': 'bytes' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(range ?? '');
  if (m && (m[1] || m[2])) {
    const start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
    const end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (start >= size || start > end) return { status: 416, headers: { ...base, 'content-range': `bytes */${size}` }, body: null };
    return { status: 206, headers: { ...base, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) }, body: fs.createReadStream(file, { start, end }) };
  }
  return { status: 200, headers: { ...base, 'content-length': String(size), 'cache-control': 'no-store' }, body: fs.createReadStream(file) };
}
