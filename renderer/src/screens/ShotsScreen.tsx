import { Badge, Box, Button, Group, NumberInput, Paper, Progress, Select, Stack, Text, TextInput, Title, Tooltip, } from '@mantine/core';
import { createColumnHelper, useTable } from '@tanstack/react-table';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ClipboardEvent, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { EditableColumn, ErrorView, EstimateRowView, EstimateView, JobView, ProviderView, ShotView, StoryboardView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { StyleButton } from '../components/StyleButton';
import { ConformButton } from '../components/ConformButton';
import { DiskChangeBanner } from '../components/DiskChangeBanner';
import { VirtualGrid, gridCellProps, gridFeatures, type GridColumnMeta } from '../components/VirtualGrid';
import { baseName, plural, usd } from '../format';
import { useApp, useAppStore } from '../state';
import { useShotEdits } from '../use-shot-edits';
import { mediaColumnOf, readAsBase64 } from '../files';
import { countErrors, describeErrorCount } from '../../../main/contract/error-count';
import { BulkBar, type ShotFilter, type ShotSort } from '../components/BulkBar';
import { ShotInspector } from '../components/ShotInspector';

type EditField = EditableColumn;
/** The grid's editable columns, left to right: where a pasted block's cells go. */
export const GRID_FIELDS: EditableColumn[] = ['prompt', 'mode', 'duration', 'resolution', 'provider', 'model', 'takes', 'continue_from', 'seed'];
/** Grid column that shows a storyboard column's problems. */
const CELL_OF: Record<string, string> = {
  shot: 'id',
  prompt: 'prompt',
  negative_prompt: 'prompt',
  mode: 'mode',
  image: 'mode',
  audio: 'mode',
  video: 'mode',
  duration: 'duration',
  resolution: 'resolution',
  aspect_ratio: 'resolution',
  fps: 'resolution',
  provider: 'provider',
  model: 'model',
  seed: 'seed',
};

interface RowProblems {
  /** Grid column id -> messages. */
  cells: Map<string, string[]>;
  errors: string[];
  warnings: string[];
}

interface GridCtx {
  edit: (row: number, field: EditField, value: string) => Promise<void>;
  /** Selected spreadsheet rows. */
  selected: ReadonlySet<number>;
  /** Selects or unselects a row; `range` (Shift) selects every shown row from the last one clicked. */
  toggle: (row: number, range: boolean) => void;
  /** Opens the shot inspector on a row. */
  inspect: (row: number) => void;
  providers: ProviderView[];
  batchProvider: string;
  estimates: Map<number, EstimateRowView>;
  problems: Map<number, RowProblems>;
}
const Ctx = createContext<GridCtx | null>(null);
const useGrid = () => useContext(Ctx)!;

/** Indexes issues and estimate refusals by row and grid column. */
function problemsByRow(sb: StoryboardView, estimate: EstimateView | null, providers: ProviderView[]): Map<number, RowProblems> {
  const notReady = new Map(providers.filter((p) => !p.ready).map((p) => [p.id, p.kind === 'remote' && !p.keyless ? `${p.id} is not set up: add its API key in Settings` : `${p.id} is not ready: ${p.notReady ?? 'see Settings'}`]));
  const byHeader = new Map(sb.headers.map((h) => [h.header, h.column]));
  const out = new Map<number, RowProblems>();
  const get = (row: number) => {
    let p = out.get(row);
    if (!p) out.set(row, (p = { cells: new Map(), errors: [], warnings: [] }));
    return p;
  };
  const mark = (p: RowProblems, column: string | undefined, message: string) => {
    const known = column ? (byHeader.get(column) || column) : '';
    const cell = CELL_OF[known];
    if (cell) p.cells.set(cell, [...(p.cells.get(cell) ?? []), message]);
  };
  for (const i of sb.issues) {
    if (i.row === undefined) continue;
    const p = get(i.row);
    const text = `${i.column ? `${i.column}: ` : ''}${i.message}`;
    if (i.severity === 'error') p.errors.push(text);
    else p.warnings.push(text);
    mark(p, i.column, i.message);
  }
  for (const r of estimate?.rows ?? []) {
    if (r.invalid) {
      const p = get(r.row);
      p.errors.push(`${r.provider} cannot render this shot: ${r.invalid}`);
      const m = /^([a-z_]+): /.exec(r.invalid);
      mark(p, m?.[1], r.invalid);
    }
    if (r.heldBack) get(r.row).warnings.push(`held back: ${r.heldBack}`);
    const nr = notReady.get(r.provider);
    if (nr && !r.invalid) get(r.row).warnings.push(nr);
  }
  return out;
}

const col = createColumnHelper<typeof gridFeatures, ShotView>();

/** The grid cell element's role and class (each column renders its own cell element: see GridColumnMeta.renderCell). */
type Td = ReturnType<typeof gridCellProps>;

/** A column's meta whose cell is rendered straight from the shot, with the column's cell props (made once). */
function own(meta: Omit<GridColumnMeta, 'renderCell'>, render: (s: ShotView, td: Td) => ReactNode): GridColumnMeta {
  const td = gridCellProps(meta);
  return { ...meta, renderCell: (s: ShotView) => render(s, td) };
}

const columns = col.columns([
  col.accessor('row', { header: 'Row', size: 58, meta: own({ align: 'right', className: 'mono dim' }, (s, td) => <SelectCell td={td} row={s.row} />) }),
  col.accessor('id', { header: 'Shot', size: 60, meta: own({}, (s, td) => <ShotIdCell td={td} shot={s} />) }),
  col.accessor('prompt', { header: 'Prompt', size: 240, meta: own({ grow: true }, (s, td) => <EditCell td={td} row={s.row} field="prompt" value={s.prompt} hint={s.sentPrompt === null ? undefined : `sent as: ${s.sentPrompt}`} />) }),
  col.accessor('mode', { header: 'Mode', size: 118, meta: own({}, (s, td) => <EditCell td={td} row={s.row} field="mode" value={s.refused?.mode ?? s.mode} />) }),
  col.accessor('duration', { header: 'Sec', size: 50, meta: own({ align: 'right' }, (s, td) => <EditCell td={td} row={s.row} field="duration" value={s.refused?.duration ?? String(s.duration)} align="right" />) }),
  col.accessor('resolution', { header: 'Resolution', size: 100, meta: own({}, (s, td) => <EditCell td={td} row={s.row} field="resolution" value={s.refused?.resolution ?? s.resolution} />) }),
  col.accessor('provider', { header: 'Provider', size: 100, meta: own({}, (s, td) => <ProviderCell td={td} shot={s} />) }),
  col.accessor('model', { header: 'Model', size: 96, meta: own({}, (s, td) => <ModelCell td={td} shot={s} />) }),
  col.accessor('takes', { header: 'Takes', size: 54, meta: own({ align: 'right', className: 'mono' }, (s, td) => <EditCell td={td} row={s.row} field="takes" value={s.takes === null ? '' : String(s.takes)} shown={s.takes === null ? '1' : undefined} align="right" />) }),
  col.accessor('continueFrom', {
    header: 'Continues',
    size: 78,
    meta: own({}, (s, td) => <EditCell td={td} row={s.row} field="continue_from" value={s.continueFrom ?? ''} shown={s.continueFrom === null ? '' : `shot ${s.continueFrom}`} />),
  }),
  col.accessor('seed', { header: 'Seed', size: 70, meta: own({ align: 'right' }, (s, td) => <EditCell td={td} row={s.row} field="seed" value={s.refused?.seed ?? String(s.seed)} shown={s.refused?.seed === undefined && s.seed === -1 ? 'random' : undefined} align="right" />) }),
  col.display({ id: 'estimate', header: 'Estimate', size: 84, meta: own({ align: 'right' }, (s, td) => <EstimateCell td={td} row={s.row} />) }),
  col.display({ id: 'running', header: 'Running', size: 78, meta: own({ align: 'right' }, (s, td) => <RunningCell td={td} row={s.row} />) }),
]);

/** The row number with its selection box (Shift-click selects a range of the rows shown). */
function SelectCell({ td, row }: { td: Td; row: number }) {
  const { selected, toggle } = useGrid();
  return (
    <div {...td}>
      <label className="row-select">
        <input type="checkbox" checked={selected.has(row)} onChange={() => {}} onClick={(e) => toggle(row, e.shiftKey)} aria-label={`select row ${row}`} />
        {row}
      </label>
    </div>
  );
}

/** The shot id: opens the shot inspector. */
function ShotIdCell({ td, shot }: { td: Td; shot: ShotView }) {
  const { inspect, problems } = useGrid();
  const { cls } = cellClass(shot.row, 'id', problems);
  return (
    <div {...td}>
      <button type="button" className={`cell-text strong shot-open ${cls}`} onClick={() => inspect(shot.row)} aria-label={`inspect shot ${shot.id}`} title="Open the shot inspector">
        {shot.id} ›
      </button>
    </div>
  );
}

function cellClass(row: number, column: string, problems: Map<number, RowProblems>): { cls: string; title?: string } {
  const m = problems.get(row)?.cells.get(column);
  return m ? { cls: 'cell-bad', title: m.join('\n') } : { cls: '' };
}

function PlainCell({ td, row, column, text, strong }: { td: Td; row: number; column: string; text: string; strong?: boolean }) {
  const { problems } = useGrid();
  const { cls, title } = cellClass(row, column, problems);
  // A problem frames the text itself (rare: one element more); else the text is the cell.
  if (cls)
    return (
      <div {...td}>
        <span className={`cell-text ${cls} ${strong ? 'strong' : ''}`} title={title ?? text}>
          {text}
        </span>
      </div>
    );
  return (
    <div {...td} className={`${td.className} cell-text ${strong ? 'strong' : ''}`} title={text}>
      {text}
    </div>
  );
}

/**
 * A cell that shows its value as text and turns into an editor when clicked (or Enter / F2 on
 * the focused cell): only the cell being edited holds a form control, so big grids stay light.
 * It is the grid cell itself (focusable, as in an editable ARIA grid). A plain function, not a
 * component: one fiber less for each of the grid's cells.
 */
function cellView({ td, label, text, cls, title, align, onStart, caret, row, field, focusBack }: { td: Td; label: string; text: string; cls: string; title?: string; align?: 'right'; onStart: () => void; caret?: boolean; row: number; field: EditField; focusBack?: { current: boolean } }) {
  return (
    <div
      // Back from the editor (Enter or Escape): the focus returns to the cell, not to the top of the page.
      ref={
        focusBack
          ? (el) => {
              if (el && focusBack.current) {
                focusBack.current = false;
                el.focus();
              }
            }
          : undefined
      }
      role={td.role}
      data-row={row}
      data-field={field}
      data-cell={label}
      tabIndex={0}
      aria-label={text ? `${text}, ${label}` : label}
      aria-invalid={cls.includes('cell-bad') ? true : undefined}
      className={`${td.className} cell-view ${cls} ${align === 'right' ? 'right' : ''} ${caret ? 'caret' : ''}`}
      title={title}
      onClick={onStart}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === 'F2' || e.key === ' ') {
          e.preventDefault();
          onStart();
        }
      }}
    >
      {text}
    </div>
  );
}

/**
 * A text cell: Enter or leaving the editor commits ("shots.edit"), Escape reverts. While the edit
 * is being saved the cell shows the new text. Not editing, it holds two pieces of state and no
 * effect (the editor, with its focus handling, exists only while editing).
 */
function EditCell({ td, row, field, value, shown, align, hint }: { td: Td; row: number; field: EditField; value: string; shown?: string; align?: 'right'; hint?: string }) {
  const { edit, problems } = useGrid();
  // Each piece of state names its row: the grid reuses a cell for another row while scrolling
  // (VirtualGrid recycleRows), and a row scrolled away ends its edit as it did when cells unmounted.
  const [editingRow, setEditingRow] = useState<number | null>(null);
  const [saving, setSaving] = useState<{ row: number; text: string } | null>(null);
  const focusBack = useRef<{ current: boolean; row: number }>({ current: false, row });
  if (focusBack.current.row !== row) focusBack.current = { current: false, row };
  const { cls, title } = cellClass(row, field, problems);
  const savingText = saving?.row === row ? saving.text : null;
  if (editingRow !== row)
    return cellView({ td, row, field, focusBack: focusBack.current, label: `${field} of row ${row}`, text: savingText ?? shown ?? value, cls: `${cls} ${savingText !== null ? 'saving' : ''} ${shown ? 'inherited' : ''}`, title: title ?? hint ?? (field === 'prompt' ? value : undefined), align, onStart: () => setEditingRow(row) });
  const commit = async (v: string | null, keyboard = false) => {
    focusBack.current.current = keyboard;
    setEditingRow(null);
    if (v === null || v === value) return;
    setSaving({ row, text: v });
    try {
      await edit(row, field, v);
    } catch {
      // the error is shown above the grid; the cell shows the stored value again
    } finally {
      setSaving((s) => (s?.row === row ? null : s));
    }
  };
  return <TextEditor td={td} label={`${field} of row ${row}`} cls={cls} align={align} initial={value} spellCheck={field === 'prompt'} onDone={(v, keyboard) => void commit(v, keyboard)} />;
}

/** The input of a text cell being edited: `onDone(text)` on Enter or blur, `onDone(null)` on Escape; `keyboard` when Enter or Escape ended it (the focus goes back to the cell). */
function TextEditor({ td, label, cls, align, initial, spellCheck, onDone }: { td: Td; label: string; cls: string; align?: 'right'; initial: string; spellCheck: boolean; onDone: (v: string | null, keyboard: boolean) => void }) {
  const [v, setV] = useState(initial);
  const ended = useRef(false);
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    // Keys typed in the editor stay in it (the grid's arrow keys move between cells only outside it).
    e.stopPropagation();
    if (e.key === 'Enter') {
      e.preventDefault();
      ended.current = true;
      onDone(v, true);
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      ended.current = true;
      onDone(null, true);
    }
  };
  return (
    <div {...td}>
      <input
        className={`cell-input ${cls} ${align === 'right' ? 'right' : ''}`}
        value={v}
        autoFocus
        onFocus={(e) => e.currentTarget.select()}
        aria-label={label}
        spellCheck={spellCheck}
        onChange={(e) => setV(e.currentTarget.value)}
        onBlur={() => !ended.current && onDone(v, false)}
        onKeyDown={onKey}
      />
    </div>
  );
}

type ChoiceOption = { value: string; label: string };

/**
 * A choice cell: text until clicked, then the list of options (opened at once where the browser
 * can). The options are made only when the list opens.
 */
function ChoiceCell({ td, row, field, value, shown, inherited, options }: { td: Td; row: number; field: 'provider' | 'model'; value: string; shown: string; inherited: boolean; options: () => ChoiceOption[] }) {
  const { edit, problems } = useGrid();
  // The row being edited, not a flag: the grid reuses a cell for another row while scrolling.
  const [editingRow, setEditingRow] = useState<number | null>(null);
  const { cls, title } = cellClass(row, field, problems);
  if (editingRow !== row) return cellView({ td, row, field, label: `${field} of row ${row}`, text: shown, cls: `${cls} ${inherited ? 'inherited' : ''}`, title, caret: true, onStart: () => setEditingRow(row) });
  return (
    <ChoiceEditor
      td={td}
      label={`${field} of row ${row}`}
      cls={cls}
      value={value}
      options={options()}
      onClose={() => setEditingRow(null)}
      onPick={(v) => {
        setEditingRow(null);
        void edit(row, field, v).catch(() => {});
      }}
    />
  );
}

/** The list of a choice cell being edited. */
function ChoiceEditor({ td, label, cls, value, options, onClose, onPick }: { td: Td; label: string; cls: string; value: string; options: ChoiceOption[]; onClose: () => void; onPick: (v: string) => void }) {
  const ref = useRef<HTMLSelectElement>(null);
  useEffect(() => {
    try {
      ref.current?.showPicker?.();
    } catch {
      // where the browser does not allow it, one more click opens the list
    }
  }, []);
  return (
    <div {...td}>
      <select className={`cell-select ${cls}`} autoFocus ref={ref} aria-label={label} value={value} onBlur={onClose} onKeyDown={(e) => e.key === 'Escape' && onClose()} onChange={(e) => onPick(e.currentTarget.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function ProviderCell({ td, shot }: { td: Td; shot: ShotView }) {
  const { providers, batchProvider } = useGrid();
  const batch = batchProvider || 'preview';
  const options = () => {
    const o = [{ value: '', label: `batch (${batch})` }, ...providers.map((p) => ({ value: p.id, label: `${p.id}${p.ready ? '' : ' (not set up)'}` }))];
    if (shot.provider && !providers.some((p) => p.id === shot.provider)) o.push({ value: shot.provider, label: `${shot.provider} (unknown)` });
    return o;
  };
  return <ChoiceCell td={td} row={shot.row} field="provider" value={shot.provider} shown={shot.provider || batch} inherited={!shot.provider} options={options} />;
}

function ModelCell({ td, shot }: { td: Td; shot: ShotView }) {
  const { providers, batchProvider } = useGrid();
  const options = () => {
    const models = providers.find((p) => p.id === (shot.provider || batchProvider || 'preview'))?.models ?? [];
    const o = [{ value: '', label: 'default' }, ...models.map((m) => ({ value: m, label: m }))];
    if (shot.model && !models.includes(shot.model)) o.push({ value: shot.model, label: `${shot.model} (not offered)` });
    return o;
  };
  return <ChoiceCell td={td} row={shot.row} field="model" value={shot.model} shown={shot.model || 'default'} inherited={!shot.model} options={options} />;
}

function EstimateCell({ td, row }: { td: Td; row: number }) {
  const { estimates } = useGrid();
  const e = estimates.get(row);
  return (
    <div {...td} className={`${td.className} cell-text mono`} title={e ? `${e.provider}: ${e.estimate}` : undefined}>
      {e ? (e.usdMax !== null ? usd(e.usdMax) : e.estimate) : '…'}
    </div>
  );
}

function RunningCell({ td, row }: { td: Td; row: number }) {
  const { estimates } = useGrid();
  const e = estimates.get(row);
  return (
    <div {...td} className={`${td.className} cell-text mono ${e?.heldBack ? 'held' : 'dim'}`}>
      {e ? usd(e.runningUsd) : ''}
    </div>
  );
}

/** The budget bar: what is already spent, what this storyboard would add, against the tightest budget. */
/** Where the prices of the providers in this estimate come from, and when they were read; "your prices" when prices.csv set any. */
function PriceSources({ providers, used, yours }: { providers: ProviderView[]; used: string[]; yours: boolean }) {
  const shown = providers.filter((p) => used.includes(p.id) && p.priceSource);
  if (!shown.length && !yours) return null;
  return (
    <Text size="xs" c="dimmed" mt={4} data-testid="price-sources">
      {shown.map((p, i) => (
        <span key={p.id} title={[...p.prices, ...p.assumed.map((a) => `assumed: ${a}`)].join('\n')}>
          {i > 0 ? ' · ' : ''}
          {p.id} prices: {p.priceSource!.source} (read {p.priceSource!.read}){p.assumed.some((a) => /price/i.test(a)) ? ', some assumed' : ''}
        </span>
      ))}
      {yours && <span>{shown.length ? ' · ' : ''}some rows use your prices (prices.csv in the data folder)</span>}
    </Text>
  );
}

function BudgetBar({ estimate }: { estimate: EstimateView }) {
  const bar = estimate.bar;
  if (!bar)
    return (
      <Text size="xs" c="dimmed" data-testid="budget-bar">
        No budget applies. Set a render budget here, or monthly budgets in Settings.
      </Text>
    );
  const limit = Math.max(bar.limitUsd, 0.000001);
  const spent = Math.min(100, (100 * bar.spentUsd) / limit);
  const sb = Math.min(100 - spent, (100 * bar.storyboardUsd) / limit);
  const left = bar.limitUsd - bar.spentUsd - bar.storyboardUsd;
  const over = left < 0;
  return (
    <Box data-testid="budget-bar" miw={260} flex={1}>
      <Group justify="space-between" gap={4} mb={4} wrap="nowrap">
        <Text size="xs" c="dimmed" truncate>
          {bar.name}: {usd(bar.spentUsd)} spent + {usd(bar.storyboardUsd)} this storyboard
        </Text>
        <Text size="xs" c={over ? 'red.4' : 'teal.4'} fw={600} style={{ whiteSpace: 'nowrap' }}>
          {over ? `over by ${usd(-left)}` : `${usd(left)} left of ${usd(bar.limitUsd)}`}
        </Text>
      </Group>
      <Progress.Root size="lg" aria-label="budget">
        <Progress.Section value={spent} color="gray.6" title={`spent ${usd(bar.spentUsd)}`} aria-label={`spent ${usd(bar.spentUsd)}`} />
        <Progress.Section value={sb} color={over ? 'red' : 'indigo'} title={`this storyboard ${usd(bar.storyboardUsd)}`} aria-label={`this storyboard ${usd(bar.storyboardUsd)}`} />
      </Progress.Root>
    </Box>
  );
}

/** The Render button's words: how many shots a render would render now, and their estimate. */
function renderLabel(e: EstimateView | null, total: number): string {
  if (!e) return `Render ${plural(total, 'shot')}`;
  const t = e.toRender;
  if (t.shots === 0) return 'Render (every shot has a clip)';
  const cost = `${usd(t.usdMax)}${t.unpriced ? ` + ${t.unpriced} unpriced` : ''}`;
  return t.shots === total ? `Render ${plural(total, 'shot')} · ${cost}` : `Render ${t.shots} of ${total} shots · ${cost}`;
}

export function ShotsScreen() {
  const { api, storyboard, setStoryboard, estimate, estimateError, estimating, providers, batch, setBatch, setScreen, focusRow, startRender } = useApp(
    'api',
    'storyboard',
    'setStoryboard',
    'estimate',
    'estimateError',
    'estimating',
    'providers',
    'batch',
    'setBatch',
    'setScreen',
    'focusRow',
    'startRender',
  );
  const running = useAppStore((s) => s.render.kind === 'running');
  const [editError, setEditError] = useState<ErrorView | null>(null);
  const [renderError, setRenderError] = useState<ErrorView | null>(null);
  const [starting, setStarting] = useState(false);

  const estimates = useMemo(() => new Map((estimate?.rows ?? []).map((r) => [r.row, r])), [estimate]);
  const problems = useMemo(() => (storyboard ? problemsByRow(storyboard, estimate, providers) : new Map<number, RowProblems>()), [storyboard, estimate, providers]);

  const { edit: editCells, record, undo, redo } = useShotEdits();
  const [selectedRows, setSelectedRows] = useState<number[]>([]);
  const lastClicked = useRef<number | null>(null);
  const [filter, setFilter] = useState<ShotFilter>('all');
  const [sort, setSort] = useState<ShotSort>('storyboard');
  const [inspectRow, setInspectRow] = useState<number | null>(null);
  // Each shot's latest take state in the open project (by shot id), for the filter, the sort and "render failed only".
  const jobById = useAppStore((s) => s.jobById);
  const latestTake = useAppStore((s) => s.latestTake);
  const stateOf = useMemo(() => {
    const m = new Map<string, JobView['state']>();
    for (const id of latestTake.values()) {
      const j = jobById.get(id);
      if (j) m.set(j.shot, j.state);
    }
    return m;
  }, [jobById, latestTake]);

  const data = useMemo(() => {
    const all = storyboard?.shots ?? [];
    const keep = (x: ShotView) => {
      if (filter === 'all') return true;
      if (filter === 'errors') return problems.has(x.row);
      if (filter === 'failed') return stateOf.get(x.id) === 'failed';
      if (filter === 'unrendered') return stateOf.get(x.id) !== 'succeeded';
      if (filter === 'rendered') return stateOf.get(x.id) === 'succeeded';
      return (x.provider || batch.provider || 'preview') === filter.slice('provider:'.length);
    };
    const shown = filter === 'all' ? [...all] : all.filter(keep);
    const rank: Record<string, number> = { failed: 0, canceled: 1, running: 2, downloading: 2, submitting: 2, queued: 3, succeeded: 5 };
    const by: Record<ShotSort, ((a: ShotView, b: ShotView) => number) | null> = {
      storyboard: null,
      state: (a, b) => (rank[stateOf.get(a.id) ?? ''] ?? 4) - (rank[stateOf.get(b.id) ?? ''] ?? 4),
      provider: (a, b) => (a.provider || batch.provider || 'preview').localeCompare(b.provider || batch.provider || 'preview'),
      estimate: (a, b) => (estimates.get(b.row)?.usdMax ?? -1) - (estimates.get(a.row)?.usdMax ?? -1),
      duration: (a, b) => b.duration - a.duration,
    };
    const cmp = by[sort];
    return cmp ? shown.sort((a, b) => cmp(a, b) || a.row - b.row) : shown;
  }, [storyboard, filter, sort, problems, stateOf, estimates, batch.provider]);
  const shownRows = useMemo(() => data.map((x) => x.row), [data]);
  // The selection in the order shown (what fill down copies from, and what renders).
  const selected = useMemo(() => {
    const set = new Set(selectedRows);
    return shownRows.filter((r) => set.has(r));
  }, [selectedRows, shownRows]);
  const failedRows = useMemo(() => (storyboard?.shots ?? []).filter((x) => stateOf.get(x.id) === 'failed').map((x) => x.row), [storyboard, stateOf]);

  const toggle = useCallback(
    (row: number, range: boolean) => {
      const from = lastClicked.current === null ? -1 : shownRows.indexOf(lastClicked.current);
      const to = shownRows.indexOf(row);
      setSelectedRows((cur) => {
        const set = new Set(cur);
        if (range && from >= 0 && to >= 0) for (const r of shownRows.slice(Math.min(from, to), Math.max(from, to) + 1)) set.add(r);
        else if (set.has(row)) set.delete(row);
        else set.add(row);
        return [...set];
      });
      lastClicked.current = row;
    },
    [shownRows],
  );

  const ctx = useMemo<GridCtx>(
    () => ({
      providers,
      batchProvider: batch.provider,
      estimates,
      problems,
      selected: new Set(selectedRows),
      toggle,
      inspect: setInspectRow,
      edit: async (row, field, value) => {
        try {
          await editCells([{ row, field, value }], `${field} of row ${row}`);
          setEditError(null);
        } catch (e) {
          setEditError({ ...toErrorView(e), message: `row ${row}, ${field}: ${toErrorView(e).message}` });
          throw e;
        }
      },
    }),
    [providers, batch.provider, estimates, problems, editCells, selectedRows, toggle],
  );

  /** Arrow keys move the focus between the grid's cells (rows in the order shown, columns left to right). */
  const onGridKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-field]');
    if (!cell || (e.target as HTMLElement).tagName === 'INPUT' || (e.target as HTMLElement).tagName === 'SELECT' || !e.key.startsWith('Arrow')) return;
    const row = Number(cell.dataset.row);
    const field = cell.dataset.field!;
    const grid = e.currentTarget;
    let target: HTMLElement | null = null;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      const cells = Array.from(cell.closest('[role=row]')?.querySelectorAll<HTMLElement>('[data-field]') ?? []);
      target = cells[cells.indexOf(cell) + (e.key === 'ArrowRight' ? 1 : -1)] ?? null;
    } else {
      const next = shownRows[shownRows.indexOf(row) + (e.key === 'ArrowDown' ? 1 : -1)];
      if (next === undefined) return;
      target = grid.querySelector<HTMLElement>(`[data-row="${next}"][data-field="${field}"]`);
      if (!target) {
        // Not drawn yet (the grid draws the rows in view): scroll one row and try again.
        grid.querySelector('[data-testid=shots-grid-scroll]')?.scrollBy(0, e.key === 'ArrowDown' ? 40 : -40);
        requestAnimationFrame(() => grid.querySelector<HTMLElement>(`[data-row="${next}"][data-field="${field}"]`)?.focus());
      }
    }
    e.preventDefault();
    target?.focus();
  };

  /** A block pasted from a spreadsheet onto the focused cell (not while a cell is being edited: that pastes text into it). */
  const onPaste = (e: ClipboardEvent<HTMLDivElement>) => {
    const cell = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-field]');
    if (!cell || (e.target as HTMLElement).tagName === 'INPUT') return;
    const row = Number(cell.dataset.row);
    const at = GRID_FIELDS.indexOf(cell.dataset.field as EditableColumn);
    const start = shownRows.indexOf(row);
    if (at < 0 || start < 0) return;
    e.preventDefault();
    const text = e.clipboardData.getData('text/plain');
    api
      .call('shots.paste', { rows: shownRows.slice(start), fields: GRID_FIELDS.slice(at), text })
      .then((r) => {
        record(r, `paste of ${r.height}×${r.width} cells`);
        setEditError(null);
      })
      .catch((err) => setEditError({ ...toErrorView(err), message: `paste: ${toErrorView(err).message}` }));
  };

  /** A file dropped onto a row: an image, audio or video copied into the storyboard's media/ folder and set as that row's cell. */
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    const file = e.dataTransfer.files[0];
    const rowEl = (e.target as HTMLElement).closest('[role=row]')?.querySelector<HTMLElement>('[data-row]');
    if (!file || !rowEl) return;
    e.preventDefault();
    const row = Number(rowEl.dataset.row);
    const field = mediaColumnOf(file);
    if (!field) return setEditError({ message: `row ${row}: ${file.name} is not an image, audio or video file`, fix: 'drop a PNG, JPEG or WebP image, an audio file or a video onto the row' });
    void readAsBase64(file)
      .then((dataBase64) => api.call('shots.attachMedia', { row, field, fileName: file.name, dataBase64 }))
      .then((r) => {
        record(r, `${field} of row ${row}`);
        setEditError(null);
      })
      .catch((err) => setEditError(toErrorView(err)));
  };

  // Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo the storyboard's edits, outside text boxes (where they undo typing).
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (!(e.ctrlKey || e.metaKey) || (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable))) return;
      const key = e.key.toLowerCase();
      const doRedo = key === 'y' || (key === 'z' && e.shiftKey);
      if (key !== 'z' && key !== 'y') return;
      e.preventDefault();
      void (doRedo ? redo() : undo()).then(
        () => setEditError(null),
        (err) => setEditError(toErrorView(err)),
      );
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redo]);

  const table = useTable({ features: gridFeatures, columns, data, getRowId: (r) => String(r.row) });
  const focusIndex = useMemo(() => (focusRow === null ? null : data.findIndex((s) => s.row === focusRow)), [data, focusRow]);

  if (!storyboard)
    return (
      <Stack p="xl" align="flex-start">
        <Title order={3}>Shots</Title>
        <Text c="dimmed">No storyboard is open yet.</Text>
        <Button onClick={() => setScreen('import')}>Open a storyboard</Button>
      </Stack>
    );

  // The storyboard's errors, counted as everywhere else ("7 errors in 4 shots"), then the rows the chosen provider cannot render.
  const storyboardErrors = countErrors(storyboard.issues).errors > 0 ? describeErrorCount(storyboard.issues) : null;
  const refusedRows = (estimate?.rows ?? []).filter((r) => r.invalid).length;
  const errorRows = storyboardErrors || refusedRows ? 1 : 0;
  const heldBack = estimate?.rows.filter((r) => r.heldBack).length ?? 0;
  const blocked =
    errorRows > 0
      ? [storyboardErrors ? `${storyboardErrors} (marked in red) must be fixed before rendering` : null, refusedRows ? `${plural(refusedRows, 'shot')} the chosen provider cannot render (marked in red)` : null].filter(Boolean).join('; ')
      : null;

  const start = async (o?: { acceptChanges?: boolean; rows?: number[] }) => {
    setStarting(true);
    setRenderError(null);
    try {
      await startRender(o);
    } catch (e) {
      setRenderError(toErrorView(e));
    } finally {
      setStarting(false);
    }
  };

  const providerOptions = [{ value: '', label: 'preview (default)' }, ...providers.filter((p) => p.id !== 'preview').map((p) => ({ value: p.id, label: `${p.label}${p.ready ? '' : ' — not set up'}` }))];

  return (
    <Stack gap="sm" p="md" className="screen-fill">
      <Group justify="space-between" align="flex-end" wrap="nowrap" gap="md">
        <Box miw={0}>
          <Title order={3}>Shots</Title>
          <Text size="sm" c="dimmed" truncate title={storyboard.file}>
            {baseName(storyboard.file)} · edit a cell and press Enter: it is checked again at once and saved to the file.
          </Text>
          {storyboard.saved && (
            <Text size="xs" c={storyboard.saved.copyBecause ? 'orange.4' : 'dimmed'} data-testid="saved-note" truncate title={storyboard.saved.file}>
              {storyboard.saved.copyBecause ? `Saved to a copy: ${storyboard.saved.copyBecause}` : `Saved to ${baseName(storyboard.saved.file)}${storyboard.saved.backup ? `; the previous version is ${baseName(storyboard.saved.backup)}` : ''}`}
            </Text>
          )}
        </Box>
      </Group>

      <DiskChangeBanner />

      <Paper withBorder p="sm" className="toolbar">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput label="Project" w={190} value={batch.project} onChange={(e) => setBatch({ project: e.currentTarget.value })} data-testid="project-input" spellCheck={false} />
          <Select
            label="Provider for rows without one"
            w={230}
            data={providerOptions}
            value={batch.provider}
            onChange={(v) => setBatch({ provider: v ?? '' })}
            allowDeselect={false}
            data-testid="batch-provider"
            comboboxProps={{ withinPortal: true }}
          />
          <NumberInput
            label="Render budget"
            w={140}
            prefix="$"
            placeholder="no limit"
            min={0}
            decimalScale={2}
            thousandSeparator=","
            value={batch.budgetUsd ?? ''}
            onChange={(v) => setBatch({ budgetUsd: v === '' || v === null ? null : Number(v) })}
            data-testid="budget-input"
          />
          <StyleButton storyboard={storyboard} />
          {batch.provider && batch.provider !== 'preview' && <ConformButton provider={batch.provider} rows={selected} />}
          <Box flex={1} />
          <Tooltip label={blocked ?? (running ? 'a render is already running' : '')} disabled={!blocked && !running} multiline w={260}>
            <Button size="md" onClick={() => void start()} loading={starting} disabled={!!blocked || running} data-testid="render-button">
              {renderLabel(estimate, storyboard.shots.length)}
            </Button>
          </Tooltip>
        </Group>
      </Paper>

      <Paper withBorder p="sm">
        <Group gap="lg" wrap="wrap" align="center">
          <Box>
            <Text size="xs" c="dimmed">
              Shots
            </Text>
            <Text fw={700} size="lg" data-testid="shots-total">
              {plural(storyboard.shots.length, 'shot')}
            </Text>
          </Box>
          <Box>
            <Text size="xs" c="dimmed">
              Estimate (at most)
            </Text>
            <Text fw={700} size="lg" data-testid="estimate-total" className={estimating ? 'stale' : ''}>
              {estimate ? usd(estimate.totalUsd) : '…'}
              {estimate && estimate.unpriced > 0 && (
                <Text span size="sm" fw={600} c="yellow.4" data-testid="estimate-unpriced">
                  {' '}
                  + {plural(estimate.unpriced, 'row')} without a price
                </Text>
              )}
            </Text>
          </Box>
          <Group gap={6} wrap="wrap" maw={300}>
            {Object.entries(estimate?.totals ?? {}).map(([p, t]) => (
              <Badge key={p} variant="light" color="gray" size="sm" title={t.credits ? `${t.credits} credits` : undefined}>
                {p}: {t.shots} · {usd(t.usdMax)}
              </Badge>
            ))}
          </Group>
          {estimate && <BudgetBar estimate={estimate} />}
        </Group>
        <PriceSources providers={providers} used={Object.keys(estimate?.totals ?? {})} yours={(estimate?.rows ?? []).some((r) => r.estimate.includes('(your prices)'))} />
        {(blocked || heldBack > 0) && (
          <Group gap="md" mt={6}>
            {blocked && (
              <Text size="xs" c="red.4" data-testid="blocked">
                {blocked}
              </Text>
            )}
            {heldBack > 0 && (
              <Text size="xs" c="yellow.4" data-testid="held-back">
                {plural(heldBack, 'shot')} would be held back by a budget (marked in yellow); the others render.
              </Text>
            )}
          </Group>
        )}
      </Paper>

      <ErrorNote error={renderError} title="Nothing was rendered" onClose={() => setRenderError(null)} onConfirm={() => void start({ acceptChanges: true })} testId="render-error" />
      <ErrorNote error={editError} title="The change was not saved" onClose={() => setEditError(null)} />
      <ErrorNote error={estimateError} title="No estimate" />

      <BulkBar
        shown={shownRows}
        selected={selected}
        setSelected={setSelectedRows}
        filter={filter}
        setFilter={setFilter}
        sort={sort}
        setSort={setSort}
        providers={providers.map((p) => p.id)}
        failedRows={failedRows}
        canRender={!running && !starting}
        onRender={(rows) => void start({ rows })}
        onError={setEditError}
      />

      <ShotInspector row={inspectRow} onClose={() => setInspectRow(null)} />

      <Ctx.Provider value={ctx}>
        <div className="grid-wrap" onPaste={onPaste} onKeyDown={onGridKey} onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()} onDrop={onDrop}>
        <VirtualGrid
          table={table}
          testId="shots-grid"
          // Rows are reused while scrolling: each cell's state names the row it belongs to (EditCell, ChoiceCell).
          recycleRows
          layoutKey={problems}
          scrollToIndex={focusIndex}
          rowHeight={(s) => (problems.get(s.row) ? 54 : 34)}
          rowTestId={(s) => `shot-row-${s.id}`}
          rowClassName={(s) => {
            const p = problems.get(s.row);
            return `${p?.errors.length ? 'row-error' : p?.warnings.length ? 'row-warn' : ''}${s.row === focusRow ? ' row-focus' : ''}`;
          }}
          rowExtra={(s) => {
            const p = problems.get(s.row);
            if (!p) return null;
            const all = [...p.errors, ...p.warnings];
            return (
              <span className={p.errors.length ? 'extra-error' : 'extra-warn'} title={all.join('\n')}>
                {all.join(' · ')}
              </span>
            );
          }}
        />
        </div>
      </Ctx.Provider>
    </Stack>
  );
}
