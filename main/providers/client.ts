/**
 * One authenticated client for the remote providers: the key header, redaction, status-to-error
 * mapping with the service's own error text, the same-origin rule for the key, and answers parsed
 * with zod schemas (providers/<id>/api.ts) instead of `as` casts.
 *
 * An answer that does not match its schema fails the shot as "unreadable", naming the field that
 * was wrong and showing the (redacted) answer, so the mapping can be fixed from a bug report.
 */
import type { z } from 'zod';
import { ProviderError, type ProviderContext } from './provider';
import type { RemoteConfig } from './remote-config';
import { downloadTo, open, redact, sameOrigin, saveResult, send, throwForStatus, type DownloadOptions, type HttpResponse } from './http';
import type { OpenResponse } from '../net/http';

/** What a service's error answer says, read from its documented error shape. */
export interface ServiceError {
  /** The service's message (with its error type or code in front, when it has one). */
  message: string;
  /** The service's error type or code ("insufficient_funds_error"), when it has one. */
  type?: string;
}

/** How one service is spoken to. */
export interface ClientOptions {
  /** Provider id, for messages ("ltx"). */
  id: string;
  cfg: RemoteConfig;
  /** Reads the service's error text from an error answer (its documented error shape). */
  errorOf: (res: HttpResponse) => ServiceError;
  /**
   * Refines the mapping of an error answer (e.g. an error type that means "insufficient
   * credits", a default Retry-After): return the error to throw, or undefined for the usual
   * mapping of {@link throwForStatus}.
   */
  classify?: (res: HttpResponse, err: ServiceError) => ProviderError | undefined;
  /** Header names and values carrying the key (default `Authorization: Bearer <key>`). */
  authHeaders?: (key: string) => Record<string, string>;
}

/** One API call. `path` is appended to the base URL; `url` is used as is (the key only goes to the base URL's origin). */
export interface ClientCall {
  method: 'GET' | 'POST' | 'PUT';
  path?: string;
  url?: string;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Send the key (default true). */
  auth?: boolean;
}

/** The client a remote provider is built on. */
export interface RemoteClient {
  readonly id: string;
  /** The key, or ProviderError("auth") saying how to set one. */
  requireKey(): string;
  /** The secrets to redact from any text (the key, when set). */
  secrets(): (string | undefined)[];
  /** Sends a call and reads the answer whole; throws the ProviderError an error status means. */
  call(ctx: ProviderContext, c: ClientCall): Promise<HttpResponse>;
  /** Sends a call and returns the answer unread (status not checked): for answers that may be a video. */
  open(ctx: ProviderContext, c: ClientCall): Promise<OpenResponse>;
  /** Throws the ProviderError an error answer means (nothing for 2xx). */
  throwForAnswer(res: HttpResponse): void;
  /** Parses an answer with its schema; ProviderError("unreadable") naming the wrong field otherwise. */
  parse<S extends z.ZodType>(schema: S, res: HttpResponse, what: string): z.infer<S>;
  /** Streams an open answer's body to `dest` (a video answer). */
  save(ctx: ProviderContext, res: OpenResponse, dest: string): Promise<void>;
  /** Downloads a result URL to `dest`; the key goes along only when the URL is on the API's origin. */
  download(ctx: ProviderContext, url: string, dest: string, opts?: Omit<DownloadOptions, 'headers' | 'secrets' | 'errorMessage'> & { auth?: boolean }): Promise<void>;
}

/** Creates the client for one service. */
export function createClient(o: ClientOptions): RemoteClient {
  const authHeaders = o.authHeaders ?? ((key: string) => ({ authorization: `Bearer ${key}` }));
  const secrets = () => [o.cfg.key()];
  const urlOf = (c: ClientCall) => c.url ?? `${o.cfg.baseUrl}${c.path ?? ''}`;
  const headersFor = (c: ClientCall, url: string): Record<string, string> => {
    const h = { ...c.headers };
    if (c.auth !== false) {
      if (!sameOrigin(url, o.cfg.baseUrl)) throw new ProviderError('invalid', `${o.id}: refusing to send the key to ${new URL(url).origin}, which is not the API's origin`);
      Object.assign(h, authHeaders(o.cfg.requireKey()));
    }
    return h;
  };
  const client: RemoteClient = {
    id: o.id,
    requireKey: () => o.cfg.requireKey(),
    secrets,
    async call(ctx, c) {
      const url = urlOf(c);
      const res = await send(ctx, { method: c.method, url, headers: headersFor(c, url), json: c.json, form: c.form, timeoutMs: c.timeoutMs, secrets: secrets() });
      client.throwForAnswer(res);
      return res;
    },
    async open(ctx, c) {
      const url = urlOf(c);
      return open(ctx, { method: c.method, url, headers: headersFor(c, url), json: c.json, form: c.form, timeoutMs: c.timeoutMs, secrets: secrets() });
    },
    throwForAnswer(res) {
      if (res.status >= 200 && res.status < 300) return;
      const read = o.errorOf(res);
      // The service's text may echo the key: redacted before any error is built from it.
      const err = { ...read, message: redact(read.message, secrets()) };
      const special = o.classify?.(res, err);
      if (special) throw special;
      try {
        throwForStatus(res, err.message, secrets());
      } catch (e) {
        if (e instanceof ProviderError && err.type) throw new ProviderError(e.kind, e.message, { ...e.opts, code: err.type });
        throw e;
      }
    },
    parse(schema, res, what) {
      const r = schema.safeParse(res.json);
      if (r.success) return r.data;
      const issue = r.error.issues[0];
      const field = issue?.path.length ? issue.path.join('.') : '(the whole answer)';
      const shown = redact(res.text.slice(0, 500), secrets());
      throw new ProviderError('unreadable', `${o.id} answered ${what} in a shape this version cannot read: field "${field}": ${issue?.message ?? 'invalid'}; the answer was: ${shown || '(empty)'}`);
    },
    save: (ctx, res, dest) => saveResult(ctx, res, dest, new URL(res.url).host, secrets()),
    async download(ctx, url, dest, opts = {}) {
      const withKey = opts.auth !== false && sameOrigin(url, o.cfg.baseUrl) && o.cfg.key();
      await downloadTo(ctx, url, dest, { ...opts, headers: withKey ? authHeaders(o.cfg.requireKey()) : undefined, secrets: secrets(), errorMessage: (r) => o.errorOf(r).message });
    },
  };
  return client;
}
