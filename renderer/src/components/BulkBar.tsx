import { Button, Checkbox, Group, Select, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { ErrorView } from '../../../main/contract/api';
import { EDITABLE_COLUMNS, type EditableColumn } from '../../../main/contract/columns';
import { toErrorView } from '../api';
import { plural } from '../format';
import { useApp } from '../state';
import { useShotEdits } from '../use-shot-edits';
import { PopoverForm } from './PopoverForm';

/** Which rows the grid shows. */
export type ShotFilter = 'all' | 'errors' | 'failed' | 'unrendered' | 'rendered' | `provider:${string}`;
/** The order the grid shows them in. */
export type ShotSort = 'storyboard' | 'state' | 'provider' | 'estimate' | 'duration';

export const SORTS: { value: ShotSort; label: string }[] = [
  { value: 'storyboard', label: 'Storyboard order' },
  { value: 'state', label: 'State (failed first)' },
  { value: 'provider', label: 'Provider' },
  { value: 'estimate', label: 'Estimate (highest first)' },
  { value: 'duration', label: 'Duration (longest first)' },
];

/** Fill down: the chosen column of the first selected row copied into the other selected rows. */
function FillDown({ rows, onError }: { rows: number[]; onError: (e: ErrorView) => void }) {
  const { api } = useApp('api');
  const { record } = useShotEdits();
  const [open, setOpen] = useState(false);
  const [field, setField] = useState<EditableColumn>('provider');
  const submit = async () => {
    try {
      record(await api.call('shots.fillDown', { rows, fields: [field] }), `fill down ${field}`);
      setOpen(false);
    } catch (e) {
      onError(toErrorView(e));
    }
  };
  return (
    <PopoverForm
      open={open}
      setOpen={setOpen}
      width={260}
      onSubmit={() => void submit()}
      target={
        <Button size="xs" variant="default" disabled={rows.length < 2} onClick={() => setOpen(!open)} data-testid="fill-down">
          Fill down…
        </Button>
      }
    >
      <Select label="Column" data={[...EDITABLE_COLUMNS]} value={field} onChange={(v) => v && setField(v as EditableColumn)} allowDeselect={false} comboboxProps={{ withinPortal: false }} data-testid="fill-down-column" />
      <Text size="xs" c="dimmed">
        Copies row {rows[0]}'s {field} into the other {plural(rows.length - 1, 'selected row')}.
      </Text>
      <Button type="submit" size="xs" data-testid="fill-down-apply">
        Fill down
      </Button>
    </PopoverForm>
  );
}

/** Find and replace in prompts: counted as the creator types, applied in one undoable edit. */
function FindReplace({ rows, onError }: { rows: number[]; onError: (e: ErrorView) => void }) {
  const { api } = useApp('api');
  const { record } = useShotEdits();
  const [open, setOpen] = useState(false);
  const [find, setFind] = useState('');
  const [replace, setReplace] = useState('');
  const [matchCase, setMatchCase] = useState(false);
  const [onlySelected, setOnlySelected] = useState(false);
  const [count, setCount] = useState<{ matches: number; rows: number } | null>(null);
  const scope = onlySelected && rows.length ? { rows } : {};
  useEffect(() => {
    if (!open || !find) return setCount(null);
    let live = true;
    const t = setTimeout(() => {
      api.call('shots.replace', { find, replace, matchCase, apply: false, ...scope }).then(
        (r) => live && setCount({ matches: r.matches, rows: r.rows }),
        () => live && setCount(null),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, find, replace, matchCase, onlySelected, rows]);
  const submit = async () => {
    try {
      const r = await api.call('shots.replace', { find, replace, matchCase, apply: true, ...scope });
      record(r, `replace "${find}"`);
      setOpen(false);
    } catch (e) {
      onError(toErrorView(e));
    }
  };
  return (
    <PopoverForm
      open={open}
      setOpen={setOpen}
      width={300}
      onSubmit={() => void submit()}
      target={
        <Button size="xs" variant="default" onClick={() => setOpen(!open)} data-testid="find-replace">
          Find and replace…
        </Button>
      }
    >
      <TextInput label="Find in prompts" value={find} onChange={(e) => setFind(e.currentTarget.value)} data-autofocus data-testid="find-input" />
      <TextInput label="Replace with" value={replace} onChange={(e) => setReplace(e.currentTarget.value)} data-testid="replace-input" />
      <Checkbox label="Match case" checked={matchCase} onChange={(e) => setMatchCase(e.currentTarget.checked)} />
      <Checkbox label={`Only the ${plural(rows.length, 'selected row')}`} disabled={rows.length === 0} checked={onlySelected && rows.length > 0} onChange={(e) => setOnlySelected(e.currentTarget.checked)} />
      <Text size="xs" c="dimmed" data-testid="replace-count">
        {find ? (count ? `${count.matches} match(es) in ${plural(count.rows, 'row')}` : '…') : 'Plain text, not a pattern.'}
      </Text>
      <Button type="submit" size="xs" disabled={!count?.matches} data-testid="replace-apply">
        Replace all
      </Button>
    </PopoverForm>
  );
}

/**
 * The bar above the Shots grid: what is shown (filter, sort), what is selected, and what can be
 * done to the selection or to the whole storyboard (fill down, find and replace, undo, redo,
 * render selected, render failed only).
 */
export function BulkBar(p: {
  shown: number[];
  selected: number[];
  setSelected: (rows: number[]) => void;
  filter: ShotFilter;
  setFilter: (f: ShotFilter) => void;
  sort: ShotSort;
  setSort: (s: ShotSort) => void;
  providers: string[];
  failedRows: number[];
  canRender: boolean;
  onRender: (rows: number[]) => void;
  onError: (e: ErrorView | null) => void;
}) {
  const { undo, redo, undoLabel, redoLabel } = useShotEdits();
  const run = (f: () => Promise<string | null>) => void f().then(() => p.onError(null), (e) => p.onError(toErrorView(e)));
  const filters = [
    { value: 'all', label: 'All shots' },
    { value: 'errors', label: 'With errors or warnings' },
    { value: 'failed', label: 'Failed' },
    { value: 'unrendered', label: 'Not rendered yet' },
    { value: 'rendered', label: 'Rendered' },
    ...p.providers.map((id) => ({ value: `provider:${id}`, label: `Provider: ${id}` })),
  ];
  return (
    <Group gap="xs" wrap="wrap" className="bulk-bar" data-testid="bulk-bar">
      <Select size="xs" w={190} aria-label="Show" data={filters} value={p.filter} onChange={(v) => v && p.setFilter(v as ShotFilter)} allowDeselect={false} data-testid="shot-filter" comboboxProps={{ withinPortal: true }} />
      <Select size="xs" w={190} aria-label="Sort by" data={SORTS} value={p.sort} onChange={(v) => v && p.setSort(v as ShotSort)} allowDeselect={false} data-testid="shot-sort" comboboxProps={{ withinPortal: true }} />
      <Text size="xs" c="dimmed" data-testid="selection-count">
        {p.selected.length ? `${plural(p.selected.length, 'row')} selected` : `${plural(p.shown.length, 'shot')} shown`}
      </Text>
      <Button size="xs" variant="subtle" onClick={() => p.setSelected(p.shown)} disabled={p.shown.length === 0}>
        Select shown
      </Button>
      <Button size="xs" variant="subtle" onClick={() => p.setSelected([])} disabled={p.selected.length === 0}>
        Clear
      </Button>
      <FillDown rows={p.selected} onError={p.onError} />
      <FindReplace rows={p.selected} onError={p.onError} />
      <Button size="xs" variant="default" disabled={!undoLabel} onClick={() => run(undo)} title={undoLabel ? `Undo ${undoLabel} (Ctrl+Z)` : undefined} data-testid="undo">
        Undo{undoLabel ? `: ${undoLabel}` : ''}
      </Button>
      <Button size="xs" variant="default" disabled={!redoLabel} onClick={() => run(redo)} title={redoLabel ? `Redo ${redoLabel} (Ctrl+Shift+Z)` : undefined} data-testid="redo">
        Redo
      </Button>
      <Button size="xs" variant="light" disabled={!p.canRender || p.selected.length === 0} onClick={() => p.onRender(p.selected)} data-testid="render-selected">
        Render selected{p.selected.length ? ` (${p.selected.length})` : ''}
      </Button>
      <Button size="xs" variant="light" color="orange" disabled={!p.canRender || p.failedRows.length === 0} onClick={() => p.onRender(p.failedRows)} data-testid="render-failed">
        Render failed only{p.failedRows.length ? ` (${p.failedRows.length})` : ''}
      </Button>
    </Group>
  );
}
