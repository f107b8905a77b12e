/**
 * The one contract between the renderer (the React UI) and the core: every method the renderer
 * may call with its argument schema (zod, parsed in the main process before anything is done)
 * and its result type, and every event the core may send with its payload type.
 *
 * Served by the core once (main/app/app-service.ts) and carried by Electron IPC (preload) or by a
 * WebSocket in browser mode (`ltx-batch ui`). The renderer imports only types from this file.
 * Nothing here ever carries an API key to the renderer: keys are write-only (setKey) and come
 * back as "configured, …1234".
 */
import { z } from 'zod';
import { EDITABLE_COLUMNS, type EditableColumn } from './columns';

export { EDITABLE_COLUMNS, type EditableColumn };

const id = z.number().int().nonnegative();

/** A retake (seconds startS to startS + durationS redone) or an extension (seconds added at the end or start); seconds. */
const takeEdit = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('retake'),
      startS: z.number().min(0).max(3600),
      durationS: z.number().min(0).max(3600),
      mode: z.enum(['replace_audio_and_video', 'replace_video', 'replace_audio']),
      prompt: z.string().min(1).max(10_000).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('extend'),
      seconds: z.number().min(0).max(600),
      at: z.enum(['end', 'start']),
      prompt: z.string().min(1).max(10_000).optional(),
    })
    .strict(),
]);
const providerId = z.string().regex(/^[a-z0-9-]{1,32}$/);
const column = z.enum(EDITABLE_COLUMNS);
const row = z.number().int().min(2);
const cellEdit = z.object({ row, field: column, value: z.string().max(100_000) }).strict();
const usd = z.number().finite().nonnegative().max(1_000_000);

/** Argument schemas, one per method. */
export const methodArgs = {
  /** The renderer is ready for events; returns what the first screen needs. */
  'app.ready': z.object({}).strict(),
  /** A report to attach to a bug report: versions, system, providers (never a key), the open project's log tail; keys masked. */
  'app.diagnostics': z.object({}).strict(),
  /** Loads a storyboard from a path on the machine the core runs on (Electron: from the file dialog or a drop). */
  'storyboard.openPath': z.object({ path: z.string().min(1).max(4096) }).strict(),
  /** Loads a storyboard uploaded as bytes (browser mode file picker); media must then be URLs. */
  'storyboard.upload': z.object({ fileName: z.string().min(1).max(255), dataBase64: z.string().max(96 * 1024 * 1024) }).strict(),
  /** Shows the OS file dialog (Electron only) and opens the chosen storyboard. */
  'storyboard.pick': z.object({}).strict(),
  /** Re-reads the storyboard with an edited column mapping (header index -> column). */
  'storyboard.remap': z.object({ mapping: z.record(z.string().max(64), z.number().int().min(-1).max(1000)) }).strict(),
  /** Edits one cell of a shot; the storyboard is re-validated. */
  /**
   * What it takes to render rows with `provider` (the rows that go to it: their provider column,
   * else `defaultProvider`; or the spreadsheet rows listed): every change per row (mode, size,
   * frame rate, duration), what it cannot fix, and the estimate before and after. With `apply`, the
   * changes are written (and saved to the storyboard file).
   */
  'shots.conform': z.object({ provider: providerId, defaultProvider: providerId.optional(), rows: z.array(z.number().int().min(2)).max(20_000).optional(), apply: z.boolean() }).strict(),
  /** Applies the storyboard file as it now is on disk (after storyboard.changedOnDisk). */
  'storyboard.applyDiskChange': z.object({}).strict(),
  /** Keeps the version the app holds; that change on disk is not asked about again. */
  'storyboard.keepMine': z.object({}).strict(),
  /** The open storyboard's style and negative prompt from the app's project settings (saved per storyboard file); null or empty clears one. */
  'storyboard.setLook': z.object({ style: z.string().max(5000).nullable(), negative: z.string().max(5000).nullable() }).strict(),
  /** Edits one cell of a shot (any storyboard column; the column is added when the sheet has none); the storyboard is checked again and saved. */
  'shots.edit': cellEdit,
  /** Edits many cells in one save (an undo or redo, a bulk edit); returns what undoes it. */
  'shots.editMany': z.object({ edits: z.array(cellEdit).min(1).max(200_000) }).strict(),
  /**
   * Pastes a block copied from a spreadsheet (tab-separated `text`): its top-left cell on `rows[0]`
   * / `fields[0]`, down the rows in the order shown and across the editable columns in order.
   */
  'shots.paste': z.object({ rows: z.array(row).min(1).max(20_000), fields: z.array(column).min(1).max(EDITABLE_COLUMNS.length), text: z.string().max(20 * 1024 * 1024) }).strict(),
  /** Copies the `fields` cells of the first of `rows` into the other rows (the selection in the order shown). */
  'shots.fillDown': z.object({ rows: z.array(row).min(2).max(20_000), fields: z.array(column).min(1).max(EDITABLE_COLUMNS.length) }).strict(),
  /** Find and replace in prompts (plain text), in `rows` or every row; with `apply` false it only counts. */
  'shots.replace': z.object({ find: z.string().min(1).max(10_000), replace: z.string().max(10_000), matchCase: z.boolean(), rows: z.array(row).max(20_000).optional(), apply: z.boolean() }).strict(),
  /** Everything the shot inspector shows of one row: every cell as written, its media (thumbnails, waveform), its takes. */
  'shots.inspect': z.object({ row }).strict(),
  /** Copies a dropped file into the storyboard's media/ folder and points the row's cell at it. */
  'shots.attachMedia': z.object({ row, field: z.enum(['image', 'end_image', 'audio', 'video']), fileName: z.string().min(1).max(255), dataBase64: z.string().max(96 * 1024 * 1024) }).strict(),
  /** The estimate of the loaded storyboard against every budget. */
  'estimate.get': z.object({ provider: providerId.optional(), budgetUsd: usd.optional() }).strict(),
  /** Renders the loaded storyboard into a project folder (a name under the projects folder, or a path). */
  'render.start': z
    .object({
      project: z.string().min(1).max(4096),
      provider: providerId.optional(),
      budgetUsd: usd.optional(),
      concurrency: z.number().int().min(1).max(64).optional(),
      /** Re-render finished shots whose prompt changed only because the style or a character did. */
      acceptChanges: z.boolean().optional(),
      /** Render only these spreadsheet rows (and the shots they continue from); the others are left as they are. */
      rows: z.array(row).min(1).max(20_000).optional(),
    })
    .strict(),
  /** Every job of the open project. */
  'queue.list': z.object({}).strict(),
  'queue.pauseProvider': z.object({ provider: providerId }).strict(),
  'queue.resumeProvider': z.object({ provider: providerId }).strict(),
  'queue.cancel': z.object({ jobId: id }).strict(),
  'queue.retry': z.object({ jobId: id }).strict(),
  /** A new take of a shot: the next seed the shot has not used, or `seed` when the creator pins one. */
  'queue.rerender': z.object({ shotId: id, seed: z.number().int().min(0).max(4_294_967_295).optional() }).strict(),
  /** The creator's note on a take ('' clears it). */
  'queue.noteTake': z.object({ jobId: id, note: z.string().max(2000) }).strict(),
  /** Makes a finished take its shot's chosen take (what the film uses); renders nothing. */
  'queue.chooseTake': z.object({ shotId: id, jobId: id }).strict(),
  /** What a retake or extension of a finished take would be (length, cost, budget), without queueing it. */
  'queue.previewEdit': z.object({ jobId: id, edit: takeEdit }).strict(),
  /** Queues a retake or extension of a finished take as its shot's next take, and runs the queue. */
  'queue.editTake': z.object({ jobId: id, edit: takeEdit }).strict(),
  /** The timeline of the open project. */
  'timeline.get': z.object({}).strict(),
  /** Order (shot ids), take per shot, and the joint after each position (cut or crossfade). */
  'timeline.update': z
    .object({
      order: z.array(id).max(20_000),
      takes: z.record(z.string().regex(/^\d+$/), id),
      joints: z.array(z.enum(['cut', 'crossfade'])).max(20_000),
      /** Each crossfade's length in seconds (null: keep the one stored). */
      jointSeconds: z.array(z.number().min(0.04).max(10).nullable()).max(20_000).optional(),
    })
    .strict(),
  'timeline.export': z.object({}).strict(),
  /** The timeline for an editor (main/timeline/export/), written to the project's exports/ folder; `package` copies the clips beside it. */
  /** The storyboard with result columns and thumbnails, written to the project's exports/results.xlsx (main/report/export-xlsx.ts). */
  'report.xlsx': z.object({}).strict(),
  'timeline.exportForEditor': z.object({ format: z.enum(['otio', 'fcpxml', 'xml', 'edl']), package: z.boolean().optional() }).strict(),
  /** A small JPEG of a clip as a data: URL. */
  'media.thumbnail': z.object({ jobId: id }).strict(),
  'settings.get': z.object({}).strict(),
  /** Stores a provider key in the OS keychain. Write-only: it never comes back. */
  'settings.setKey': z.object({ provider: providerId, key: z.string().min(8).max(512).regex(/^\S+$/) }).strict(),
  'settings.deleteKey': z.object({ provider: providerId }).strict(),
  /** Checks a provider's key with its service (a request that generates nothing) and keeps the result with the key's status. */
  'settings.testKey': z.object({ provider: providerId }).strict(),
  'settings.setBudget': z.object({ provider: providerId.optional(), monthlyUsd: usd.nullable() }).strict(),
  'settings.setFfmpegPath': z.object({ path: z.string().max(4096).nullable() }).strict(),
  'settings.setProjectsDir': z.object({ path: z.string().min(1).max(4096) }).strict(),
  /** The local GPU runner: installed?, GPU, VRAM, torch/CUDA, memory policy, weights. */
  'projects.list': z.object({}).strict(),
  'runner.status': z.object({}).strict(),
  /** Installs the local runner (progress as "runner.installProgress" events). */
  'runner.install': z.object({}).strict(),
  /** The render farm: its configuration and the workers polling its task queue (reads Temporal). */
  'farm.status': z.object({}).strict(),
  /** Saves the farm's settings (null clears one); values the environment sets (LTX_FARM_*) stay. */
  'farm.configure': z
    .object({
      address: z.string().trim().regex(/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/, 'HOST:PORT, e.g. farm.local:7233').nullable(),
      namespace: z.string().trim().min(1).max(200).nullable(),
      taskQueue: z.string().trim().min(1).max(200).nullable(),
      storage: z.string().trim().min(1).max(4096).nullable(),
      usdPerGpuHour: z.number().min(0).max(10_000).nullable(),
    })
    .strict(),
} as const;

/** Every method name. */
export type MethodName = keyof typeof methodArgs;
/** The argument type of a method. */
export type MethodArgs<M extends MethodName> = z.input<(typeof methodArgs)[M]>;

/** A provider as the renderer sees it. */
export interface ProviderView {
  id: string;
  label: string;
  kind: 'remote' | 'local';
  /** A remote provider that needs no API key (the render farm). */
  keyless: boolean;
  modes: string[];
  resolutions: string[];
  duration: { min: number; max: number };
  models: string[];
  ready: boolean;
  notReady: string | null;
  concurrency: number;
  prices: string[];
  /** The price table's source (doc file or public URL) and when it was read (YYYY-MM-DD); null for free providers. */
  priceSource: { source: string; read: string } | null;
  /** What the provider assumes where no doc or public page says (shown so it can be checked). */
  assumed: string[];
  /** Edits of a finished take it makes (retake, extend). */
  edits: ('retake' | 'extend')[];
}

/** A project in the projects folder: its name, the storyboard it belongs to, when it last changed (ms since the epoch). */
export interface ProjectView {
  name: string;
  storyboard: string | null;
  updatedAt: number;
}

/** A problem in the storyboard, with row and column. */
export interface IssueView {
  severity: 'error' | 'warning';
  row?: number;
  /** The shot id on that row (the app names it first: "shot 3 (row 4)"). */
  shot?: string;
  column?: string;
  message: string;
}

/** One storyboard row as the grid shows it. Seconds, pixels. */
export interface ShotView {
  row: number;
  id: string;
  /** The prompt cell as written (with `{Name}` references; what an edit changes). */
  prompt: string;
  /** The prompt that is sent, when the style or characters change it (else null). */
  sentPrompt: string | null;
  /** Takes the row asks for (its `takes` cell), null when empty. */
  takes: number | null;
  /** The shot this shot continues from (its `continue_from`, resolved), null when none. */
  continueFrom: string | null;
  mode: string;
  duration: number;
  resolution: string;
  width: number;
  height: number;
  fps: number;
  seed: number;
  provider: string;
  model: string;
  image: string | null;
  audio: string | null;
  /** Cells the storyboard refused, as written (column -> text), so the grid shows "-3" rather than the default the shot fell back to; null when none. */
  refused: Record<string, string> | null;
}

/** The loaded storyboard. */
export interface StoryboardView {
  file: string;
  format: 'csv' | 'xlsx';
  shots: ShotView[];
  issues: IssueView[];
  /** Headers as written and the column each is mapped to ('' = unknown, kept as metadata). */
  headers: { header: string; column: string }[];
  /** Columns the mapping can choose from. */
  columns: string[];
  /**
   * The look: the style and negative prompt set in the app (`style`, `negative`; null when unset),
   * where the look comes from (the app's settings, a workbook's Style / Characters sheets) and the
   * characters with how many shots name each.
   */
  look: { style: string | null; negative: string | null; sources: string[]; characters: { name: string; shots: number }[] };
  /** For a results workbook, the project folder it was written from (it renders into that project); null otherwise. */
  resultsOf: string | null;
  /** Where the last edit was saved: the storyboard (its previous version kept as `backup`), or a copy and why. */
  saved: { file: string; backup: string | null; copyBecause: string | null } | null;
}

/** One row of the estimate. USD unless the estimate's unit is credits. */
export interface EstimateRowView {
  row: number;
  shot: string;
  provider: string;
  estimate: string;
  usdMax: number | null;
  runningUsd: number;
  budgets: { name: string; remainingUsd: number }[];
  heldBack: string | null;
  /** Why the chosen provider cannot render the row (column: message), if it cannot. */
  invalid: string | null;
}

/** A cell edit: spreadsheet row (the header is row 1), storyboard column, text as written. */
export interface CellEditView {
  row: number;
  field: EditableColumn;
  value: string;
}

/** What a bulk edit did: the storyboard after it, how many cells changed, the edits that undo it (the cells as they were) and those that redo it (the cells as written). */
export interface CellEditResult {
  storyboard: StoryboardView;
  changed: number;
  undo: CellEditView[];
  redo: CellEditView[];
}

/** One media cell of a shot as the inspector shows it. */
export interface ShotMediaView {
  field: 'image' | 'end_image' | 'audio' | 'video';
  /** The cell as written ('' when empty). */
  value: string;
  /** Whether the file is there (a URL: true; checked when rendered). */
  exists: boolean;
  /** A JPEG thumbnail as a data: URL (images), else null. */
  thumb: string | null;
  /** The audio's peaks, 0..1, and its length in seconds (audio), else null. */
  waveform: { peaks: number[]; durationS: number } | null;
  /** Why there is no thumbnail or waveform, when there should be one. */
  problem: string | null;
}

/** Everything the shot inspector shows of one row. */
export interface ShotInspectView {
  row: number;
  shot: string;
  /** Every storyboard column with the cell as written ('' when empty or the sheet has no such column). */
  cells: { field: EditableColumn; header: string | null; value: string }[];
  media: ShotMediaView[];
  /** The shot's takes in the open project (empty before a render), oldest first. */
  takes: JobView[];
}

/** The estimate of the loaded storyboard. */
export interface EstimateView {
  rows: EstimateRowView[];
  /** USD of the rows that have a price (upper bounds); see `unpriced` for those that have none. */
  totalUsd: number;
  /** Rows the chosen provider can render whose cost has no USD price (credits without a known rate): not in `totalUsd`. */
  unpriced: number;
  /** What "Render" would render now: rows without a finished clip of their current version in this storyboard's open project (every row before the first render), their USD upper bound and how many of them have no price. */
  toRender: { shots: number; usdMax: number; unpriced: number };
  totals: Record<string, { shots: number; usdMax: number; credits: number }>;
  /** The tightest budget, for the budget bar: limit and what the storyboard would use of it. */
  bar: { name: string; limitUsd: number; spentUsd: number; storyboardUsd: number } | null;
}

/** What a retake or extension would make, before the creator confirms it. */
export interface EditPreviewView {
  provider: string;
  /** The new take's length, seconds. */
  lengthS: number;
  /** Upper bound, as money ("$0.60") or credits. */
  cost: string;
  /** How the cost was worked out. */
  basis: string;
  /** Why the project's budgets would hold it; null when it fits. */
  overBudget: string | null;
}

/** A job (one take of a shot) as the queue screen shows it. */
export interface JobView {
  id: number;
  shotId: number;
  shot: string;
  order: number;
  take: number;
  /** The seed the take was sent with; null when not recorded (projects from before takes). */
  seed: number | null;
  /** Whether this is its shot's chosen take (what the film uses). */
  chosen: boolean;
  /** True for a take the creator asked for after the batch (New take, retake, extend). */
  newTake: boolean;
  /** How this take was made from another ("retake of 1-3 s of take 1"); null for a rendered take. */
  edit: string | null;
  /** The clip's length in seconds, once it is finished and probed; null before. */
  durationS: number | null;
  provider: string;
  state: 'queued' | 'submitting' | 'running' | 'downloading' | 'succeeded' | 'failed' | 'canceled';
  progress: number;
  attempts: number;
  error: string | null;
  holdReason: string | null;
  estimate: string;
  actual: string;
  notes: string[];
  /** The creator's note on this take ('' when none). */
  note: string;
  maybeDuplicate: boolean;
  /** URL the renderer may play (served by the core), once succeeded. */
  clipUrl: string | null;
}

/** The timeline of the open project. */
export interface TimelineView {
  clips: {
    shotId: number;
    shot: string;
    takes: { jobId: number; take: number; seed: number | null; clipUrl: string; duration: number; provider: string }[];
    chosenJobId: number | null;
    duration: number;
    /** A continued shot made from a take of its parent that the parent no longer uses (see TimelineShot.continuity). */
    continuity?: { parent: string; madeFromTake: number; parentTake: number | null };
  }[];
  joints: ('cut' | 'crossfade')[];
  /** Each joint's crossfade length as set, seconds (the film caps a fade at a third of the shorter clip). */
  jointSeconds: number[];
  /** Seconds of a crossfade when none is set. */
  crossfadeSeconds: number;
  filmUrl: string | null;
  /** The film was exported from another timeline than the one shown (an edit, a take, a reorder since): export again. */
  filmStale: boolean;
  /** Shots the film holds as placeholder cards (no clip when it was exported). */
  filmPlaceholders: string[];
}

/** Settings as the renderer sees them: keys only as configured + last 4 characters. */
export interface SettingsView {
  /** `check`: the last check of the key with its service in this app run (saving a key runs one; "Test" runs one again), null before any. */
  keys: { provider: string; configured: boolean; hint: string | null; source: 'env' | 'keychain' | null; check: { ok: boolean; message: string; at: string } | null }[];
  keychainProblem: string | null;
  budgets: { provider: string | null; monthlyUsd: number; spentUsd: number }[];
  ffmpegPath: string | null;
  ffmpegFound: string | null;
  projectsDir: string;
  /** Every provider and whether it is ready (as app.ready gives them), so a key saved in Settings is live on every screen at once. */
  providers: ProviderView[];
}

/** A render farm worker as Settings shows it (from Temporal's task-queue pollers and open workflows). */
export interface FarmWorkerView {
  /** The worker's identity: "HOST gpu=NAME vram=GB model=M policy=P pid=PID". */
  identity: string;
  /** Seconds since it last polled (a worker waiting for work polls about once a minute). */
  lastSeenS: number;
  /** What it renders now ("shot 3 take 1, step 12 of 30"), or null when idle. */
  rendering: string | null;
}

/** The render farm as Settings shows it. */
export interface FarmView {
  /** An address is set (environment or Settings). */
  configured: boolean;
  address: string;
  namespace: string;
  taskQueue: string;
  storage: string | null;
  usdPerGpuHour: number | null;
  /** Settings fields the environment sets (shown, not editable): address, namespace, taskQueue, storage, usdPerGpuHour. */
  fromEnv: string[];
  /** Whether the Temporal server answered, and why not. */
  reachable: boolean;
  reason: string | null;
  workers: FarmWorkerView[];
  /** Takes waiting for a free worker. */
  waiting: number;
  /** The farm's measured seconds per denoising step; null before its first finished shot. */
  secondsPerStep: number | null;
}

/** The local runner as Settings shows it. */
export interface RunnerView {
  installed: boolean;
  available: boolean;
  reason: string | null;
  device: string | null;
  gpuName: string | null;
  vramGb: number | null;
  torch: string | null;
  cuda: string | null;
  memoryPolicy: string | null;
  model: string | null;
  weightsPresent: boolean;
}

/** Result types, one per method. */
export interface MethodResults {
  'app.ready': { version: string; providers: ProviderView[]; settings: SettingsView; storyboard: StoryboardView | null; project: string | null; heldBy: string | null; electron: boolean };
  'app.diagnostics': { text: string; logFile: string | null };
  'storyboard.openPath': StoryboardView;
  'storyboard.upload': StoryboardView;
  'storyboard.pick': StoryboardView | null;
  'storyboard.remap': StoryboardView;
  'shots.edit': StoryboardView;
  'shots.editMany': CellEditResult;
  'shots.paste': CellEditResult & { height: number; width: number };
  'shots.fillDown': CellEditResult;
  'shots.replace': CellEditResult & { matches: number; rows: number };
  'shots.inspect': ShotInspectView;
  'shots.attachMedia': CellEditResult & { path: string };
  'storyboard.setLook': StoryboardView;
  'storyboard.applyDiskChange': StoryboardView;
  'storyboard.keepMine': null;
  'shots.conform': {
    rows: { row: number; shot: string; changes: { column: 'mode' | 'resolution' | 'fps' | 'duration'; from: string; to: string }[]; problems: string[]; usdBefore: number | null; usdAfter: number | null }[];
    usdBefore: number;
    usdAfter: number;
    applied: boolean;
    storyboard: StoryboardView;
    /** The edits that undo and redo an applied conform (empty when not applied). */
    undo: CellEditView[];
    redo: CellEditView[];
  };
  'estimate.get': EstimateView;
  'render.start': { project: string };
  'queue.list': JobView[];
  'queue.pauseProvider': null;
  'queue.resumeProvider': null;
  'queue.cancel': null;
  'queue.retry': null;
  'queue.rerender': { jobId: number };
  'queue.chooseTake': null;
  'queue.noteTake': null;
  'queue.previewEdit': EditPreviewView;
  'queue.editTake': { jobId: number };
  'timeline.get': TimelineView;
  'timeline.update': TimelineView;
  'timeline.export': { filmUrl: string; duration: number; placeholders: string[] };
  'report.xlsx': { file: string; url: string; rows: number; thumbnails: number };
  'timeline.exportForEditor': { file: string; url: string; label: string; editors: string; clips: number; transitions: number; placeholders: number; duration: number; packaged: number };
  'media.thumbnail': { dataUrl: string };
  'settings.get': SettingsView;
  'settings.setKey': SettingsView;
  'settings.deleteKey': SettingsView;
  'settings.testKey': SettingsView;
  'settings.setBudget': SettingsView;
  'settings.setFfmpegPath': SettingsView;
  'settings.setProjectsDir': SettingsView;
  'projects.list': ProjectView[];
  'runner.status': RunnerView;
  'runner.install': RunnerView;
  'farm.status': FarmView;
  'farm.configure': FarmView;
}

/** Events the core sends, with their payloads. */
export interface EventPayloads {
  'job.updated': JobView;
  'provider.paused': { provider: string; reason: string };
  /** A render ended; `placeholders`: shots the film holds as placeholder cards (no clip yet: a rough cut). */
  'render.finished': { succeeded: number; failed: number; waiting: Record<string, number>; filmUrl: string | null; filmSkipped: string | null; placeholders: string[] };
  'render.failed': { message: string };
  /**
   * Another process (an `ltx-batch render`, another window) is rendering the open project: the app
   * follows it read-only and starts its own render when that one ends. `holder` is null once the
   * project is this app's again.
   */
  'project.held': { holder: string | null };
  /** The open storyboard changed on disk (not by the app): what changed in shots and what rendering it would cost (USD). */
  'storyboard.changedOnDisk': { file: string; summary: string; changed: string[]; added: string[]; removed: string[]; usd: number };
  'export.progress': { fraction: number };
  'export.finished': { filmUrl: string; duration: number; placeholders: string[] };
  'runner.installProgress': { line: string; fraction: number | null };
}

/** Every event name. */
export type EventName = keyof EventPayloads;
/** Every event name, as a value (for the preload and tests). */
export const EVENT_NAMES: EventName[] = ['job.updated', 'provider.paused', 'render.finished', 'render.failed', 'project.held', 'storyboard.changedOnDisk', 'export.progress', 'export.finished', 'runner.installProgress'];
/** Every method name, as a value. */
export const METHOD_NAMES = Object.keys(methodArgs) as MethodName[];

/** An error as it crosses the boundary: a message for the creator, and the fix when there is one. */
export interface ErrorView {
  message: string;
  fix?: string;
  /** When the call can be made again with the creator's go-ahead: the label of that button ("Re-render them"); the renderer then calls again with its confirm flag (render.start: acceptChanges). */
  confirm?: string;
}

/** What the renderer gets: the typed API (window.ltx in Electron, a WebSocket client in browser mode). */
export interface LtxApi {
  call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
  /** Desktop app only: the path of a file dropped on the window (Electron's webUtils), so it opens in place. */
  pathForFile?(file: File): string | undefined;
}

/**
 * Parses a method call from the renderer. Throws a ContractError naming the method and the field
 * when the method is unknown or the arguments do not match its schema.
 */
export function parseCall(method: unknown, args: unknown): { method: MethodName; args: unknown } {
  // Own names only: an `in` check would also accept inherited names (toString, constructor, __proto__).
  if (typeof method !== 'string' || !Object.hasOwn(methodArgs, method)) throw new ContractError(`unknown method ${JSON.stringify(method)}`);
  const schema = methodArgs[method as MethodName];
  const r = schema.safeParse(args ?? {});
  if (!r.success) {
    const first = r.error.issues[0];
    throw new ContractError(`bad arguments for ${method}: ${first.path.join('.') || '(arguments)'}: ${first.message}`);
  }
  return { method: method as MethodName, args: r.data };
}

/** A call the contract refuses. */
export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}
