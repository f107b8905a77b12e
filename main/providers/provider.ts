/**
 * The provider interface: every rendering backend (the built-in preview, the five cloud APIs,
 * the local GPU runner) implements it, and the queue knows nothing else about a backend.
 *
 * Lifecycle of one job as the queue drives it:
 *   remote backends: validate -> estimate -> submit -> poll ... poll -> download
 *   local backends:  validate -> estimate -> render
 */
import type { Mode, Shot } from '../storyboard/shot';

/** A problem with one row for one provider, naming the storyboard column it comes from. */
export interface FieldIssue {
  /** Storyboard column name, e.g. "duration". */
  column: string;
  /** What is wrong and what the provider accepts, in a creator's words. */
  message: string;
}

/** What a provider can render, as documented by its service (shown by `ltx-batch providers`). */
export interface Capabilities {
  modes: Mode[];
  /** Resolutions accepted, as labels ("720p", "1920x1080"). */
  resolutions: string[];
  /** Accepted clip length in seconds (inclusive). */
  duration: { min: number; max: number; integerOnly: boolean };
  /** Accepted frame rates; `null` means any rate in [8, 60]. */
  fps: number[] | null;
  aspectRatios: string[];
  /** Longest prompt accepted, in characters. */
  promptMaxChars: number;
  /** How media inputs reach the service: only public URLs, or also local files (uploaded or sent as data URIs). */
  mediaInputs: 'url-only' | 'url-or-file';
  /** Model ids the `model` column may name; the first is the default. */
  models: string[];
  /**
   * Whether the service takes a seed (default true). When it does not, a row's takes are each sent
   * the same request and vary by the service's own randomness; no seed is recorded for them.
   */
  seeds?: boolean;
  /** Whether the service takes the shot's last frame (column `end_image`; default false). */
  endImage?: boolean;
  /** Edits of a finished take the service makes (retake a section, extend); none when absent. */
  edits?: TakeEdit['kind'][];
}

/** Which tracks a retake replaces inside its section (the LTX API's `mode` values). */
export type RetakeMode = 'replace_audio_and_video' | 'replace_video' | 'replace_audio';

/**
 * A change to a finished take that makes a new take of the shot: redo seconds `startS` to
 * `startS + durationS` (the rest is kept), or add `seconds` at its end or start. `prompt` says what
 * the new part shows (the take's own prompt when absent). Seconds throughout.
 */
export type TakeEdit =
  | { kind: 'retake'; startS: number; durationS: number; mode: RetakeMode; prompt?: string }
  | { kind: 'extend'; seconds: number; at: 'end' | 'start'; prompt?: string };

/** The finished take an edit starts from: its clip on disk and what ffprobe read of it when it was recorded. */
export interface EditSource {
  /** Absolute path of the take's clip. */
  clipPath: string;
  /** Length in seconds. */
  durationS: number;
  /** Size in pixels. */
  width: number;
  height: number;
  /** Frames per second. */
  fps: number;
  /** The prompt the take was rendered with. */
  prompt: string;
  /** The model the take was rendered with, when its request named one. */
  model?: string;
}

/** What a provider makes of an edit: the request to send and what it costs, or why it cannot. */
export type EditResult = { ok: true; request: ProviderRequest; estimate: CostEstimate } | { ok: false; issues: FieldIssue[] };

/** Limits a provider's jobs are run under so that a large batch does not trip rate limits. */
export interface ProviderLimits {
  /** Jobs in flight at once (submitted and not yet finished). */
  concurrency: number;
  /** Requests of any kind per rolling minute; `null` when the doc names none. */
  requestsPerMinute: number | null;
}

/**
 * A cost estimate. Credits are the provider's own unit; `usdPerUnit` converts them to USD when a
 * rate is known (from the doc or set by the user). When a doc gives only a range, min < max and
 * budgets count `max`.
 */
export interface CostEstimate {
  unit: 'USD' | 'credits';
  min: number;
  max: number;
  /** USD per unit (1 for USD); undefined when credits have no known USD rate. */
  usdPerUnit?: number;
  /** How it was worked out, e.g. "6 s x $0.02/s (ltx-2-fast, 1080p)". */
  basis: string;
  /** True when the price came from the creator's own prices file ("your prices"), not the provider's table. */
  yours?: boolean;
}

/** What a service charged for one task, as it reported it. */
export interface ActualCost {
  unit: 'USD' | 'credits';
  amount: number;
  /** True when the service refunded a failed task (amount is then 0). */
  refunded?: boolean;
}

/** Where a finished result can be fetched from. */
export type ResultRef =
  | { kind: 'url'; url: string }
  /** The provider already wrote the file (e.g. a synchronous MP4 answer) at this path. */
  | { kind: 'file'; path: string }
  /** The result is fetched by task id from the provider's own download endpoint. */
  | { kind: 'task' };

/** The state of a remote task as the provider reads it from the service. */
export type PollResult =
  | { status: 'pending' | 'running'; progress?: number; nextPollMs?: number }
  | {
      status: 'succeeded';
      result: ResultRef;
      actual?: ActualCost;
      /** Changes the service made to the request (bytecompute's `adjustments`), as text. */
      adjustments?: string;
      /** The service's own time from accepting the task to finishing it, ms (LTX: completed_at - created_at), when it says. */
      serviceMs?: number;
    }
  | {
      status: 'failed';
      /** The service's failure code as written (e.g. "SensitiveContent"). */
      code?: string;
      /** The service's message as written. */
      message: string;
      actual?: ActualCost;
      /** True when the doc says this failure is worth retrying (RateLimited, Timeout). */
      retryable?: boolean;
    };

/** What submit() returns: the remote task id, stored before anything else happens. */
export interface SubmitResult {
  taskId: string;
  /** A result the submit answer already carried (e.g. an MP4 body, or status "completed"). */
  immediate?: PollResult;
  /** When to poll first, in ms (APIXO recommends 40-90 s by resolution). */
  firstPollMs?: number;
  /** Cost the service reported on submit (ltx2api's consumed_credits). */
  actual?: ActualCost;
}

/** Progress of a local render, sent as it goes. */
export interface RenderProgress {
  /** 0..1 */
  fraction: number;
  message?: string;
}

/** Side effects a provider may use, passed in by the queue so tests can swap them. */
export interface ProviderContext {
  /** Aborted when the job is canceled or the process is shutting down. */
  signal: AbortSignal;
  /** Folder for the provider's temporary files (inside the output folder; the job's staging folder). It may not exist yet: a provider that writes there first makes it (mkdir recursive). */
  tmpDir: string;
  /** Structured log line (never include keys). */
  log: (message: string, fields?: Record<string, unknown>) => void;
  /**
   * Resolves when the provider may send its next HTTP request, pacing requests to its
   * `requestsPerMinute`. Remote providers await it before every request they send, and call the
   * function it may resolve with once the answer's status line arrives (or the request fails).
   */
  beforeRequest: () => Promise<void | (() => void)>;
  /** Called when the service answers 429 with a Retry-After (ms): the provider's requests are held that long. */
  onRateLimited?: (retryAfterMs: number) => void;
  /**
   * The job this call is for: the project's UUID, the job id (ids restart at 1 in every project)
   * and its attempt (1-based, counted when the job is claimed). Together unique across projects:
   * what a provider with {@link Provider.idempotentSubmit} names its task by.
   */
  job?: { project: string; id: number; attempt: number };
}

/** The request a provider built from a shot: JSON, stored in the database, never containing keys. */
export interface ProviderRequest {
  /** The provider-specific body (local file paths stay paths until submit). */
  body: Record<string, unknown>;
  /** Endpoint or route name, for display. */
  route: string;
  /** Notes on what was rounded or defaulted, shown on the shot. */
  notes?: string[];
}

/** Result of validate(). */
export type ValidationResult = { ok: true; request: ProviderRequest } | { ok: false; issues: FieldIssue[] };

/**
 * Where a provider's price table and rules come from (shown by `ltx-batch providers`,
 * `ltx-batch prices` and the Shots screen), and what it assumes where no doc says.
 */
export interface ProviderSources {
  /** The price table's source: a doc file under ../shared/provider-docs/ or a public URL. */
  prices: string;
  /** When that source was read, YYYY-MM-DD. */
  pricesRead: string;
  /**
   * Behaviour the provider relies on that neither its doc nor a public page states: each line is
   * an assumption, printed with "assumed" so it can be checked against the service.
   */
  assumed: string[];
}

/**
 * A rendering backend. Implementations live in main/providers/<id>/ with their price and limit
 * tables beside them, each naming the doc it follows.
 */
export interface Provider {
  /** Stable id used in the `provider` column and `--provider` (e.g. "preview", "ltx"). */
  readonly id: string;
  /** Human name of the service. */
  readonly label: string;
  /** `remote`: submit/poll/download; `local`: render. */
  readonly kind: 'remote' | 'local';
  /**
   * True when submitting the same job attempt twice ({@link ProviderContext.job}) can never start a
   * second task: the service refuses the duplicate and submit() returns the existing task (the
   * render farm's Temporal workflow ids). The queue then resubmits a job whose submit answer was
   * lost instead of holding it as "may have been submitted twice".
   */
  readonly idempotentSubmit?: boolean;
  /** True for a remote provider that needs no API key (the render farm): not listed with the keys. */
  readonly keyless?: boolean;
  /** The doc this provider follows (file in ../shared/provider-docs/ or a URL). */
  readonly doc: string;
  capabilities(): Capabilities;
  limits(): ProviderLimits;
  /** Gets ready before a batch is planned (the local runner starts and reports its capabilities). */
  prepare?(): Promise<void>;
  /** Releases what the provider holds (stops the local runner and waits for it to exit). */
  close?(): Promise<void>;
  /** Whether the provider can be used at all right now (key present, runner available), and why not. */
  availability(): { ok: true } | { ok: false; reason: string };
  /** Checks a shot against the provider's documented limits and builds its request. Sends nothing. */
  validate(shot: Shot): ValidationResult;
  /** The price table as lines of text, from the provider's prices.ts (shown by `ltx-batch providers`). */
  describePrices?(): string[];
  /** Where the price table and rules come from, and what is assumed (remote providers). */
  sources?(): ProviderSources;
  /** Estimated cost of rendering the shot. Sends nothing. */
  estimate(shot: Shot): CostEstimate;
  /**
   * Builds the request and estimate of a retake or extension of a finished take (providers whose
   * capabilities list the edit). Sends nothing. Issues name the edit's field (start, duration,
   * seconds, at, mode, prompt) or the take.
   */
  edit?(edit: TakeEdit, source: EditSource): EditResult;
  /** Remote: sends the request; returns the task id. Throws {@link ProviderError}. */
  submit?(request: ProviderRequest, ctx: ProviderContext): Promise<SubmitResult>;
  /** Remote: reads the task's state. Throws {@link ProviderError}. */
  poll?(taskId: string, request: ProviderRequest, ctx: ProviderContext): Promise<PollResult>;
  /**
   * Remote: writes the finished clip to `dest` (a temporary path; the queue renames it into place).
   * Throws {@link ProviderError} (kind "not-ready" when the result is not there yet, "expired").
   */
  download?(taskId: string, result: ResultRef, dest: string, ctx: ProviderContext): Promise<void>;
  /**
   * Remote: checks the key with the service's cheapest authenticated call (or a documented no-cost
   * check), spending nothing. Resolves { ok: false } with the reason when the key is rejected;
   * throws ProviderError when the service cannot be reached.
   */
  checkKey?(ctx: ProviderContext): Promise<{ ok: boolean; message: string }>;
  /**
   * Remote: asks the service to stop a task (the render farm cancels its workflow; the worker stops
   * at its next step). Services without a cancel leave this out (their tasks finish and are billed).
   */
  cancel?(taskId: string, ctx: ProviderContext): Promise<void>;
  /** Local: renders the clip to `dest` (a temporary path). */
  render?(
    request: ProviderRequest,
    dest: string,
    ctx: ProviderContext & { onProgress: (p: RenderProgress) => void },
  ): Promise<{ actual?: ActualCost; gpuSeconds?: number; notes?: string[] }>;
}

/**
 * How the queue must react to a failed provider call:
 * - `invalid`: the request was rejected (400/413/422): fail the shot with the service's message.
 * - `auth`: key missing or rejected (401/403): pause the provider's jobs ("key rejected").
 * - `credits`: insufficient credits (402): pause the provider's jobs ("insufficient credits").
 * - `retryable`: 429, 5xx, timeouts, connection resets: retry with backoff (honouring retryAfterMs).
 * - `not-ready`: the result is not ready yet (409 on download): poll again later.
 * - `expired`: the result URL or task has expired: fail with that message.
 * - `unreadable`: the service answered in a shape we cannot read: fail with the (redacted) response.
 * - `disk`: the local disk is full or unwritable: pause the batch.
 * - `setup`: something on this machine must be fixed first (ffmpeg missing): pause the provider, stop the batch.
 */
export type ProviderErrorKind =
  | 'invalid'
  | 'auth'
  | 'credits'
  | 'retryable'
  | 'not-ready'
  | 'expired'
  | 'unreadable'
  | 'disk'
  | 'setup';

/** An error from a provider call, classified so the queue can react without knowing the service. */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    /**
     * `status`: the HTTP status; `retryAfterMs`: the service's wait; `code`: its error type;
     * `sent: false`: the request provably never left this machine (no connection was made), so
     * a failed submit cannot have created a task.
     */
    readonly opts: { status?: number; retryAfterMs?: number; code?: string; sent?: false } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
