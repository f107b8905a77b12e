import { Badge, Box, Button, Drawer, FileButton, Group, Image, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useCallback, useEffect, useState, type DragEvent } from 'react';
import type { ErrorView, JobView, ShotInspectView, ShotMediaView } from '../../../main/contract/api';
import { EDITABLE_COLUMNS, type EditableColumn } from '../../../main/contract/columns';
import { toErrorView } from '../api';
import { useApp } from '../state';
import { useShotEdits } from '../use-shot-edits';
import { readAsBase64 } from '../files';
import { ErrorNote } from './ErrorNote';

/** Columns edited in a multi-line box. */
const LONG: ReadonlySet<EditableColumn> = new Set(['prompt', 'negative_prompt', 'notes']);
/** What each column is for, shown under its box. */
const HELP: Partial<Record<EditableColumn, string>> = {
  shot: 'the shot id (a number or a name)',
  mode: 'text-to-video, image-to-video, audio-to-video, lipsync or control (empty: from the media)',
  image: 'the start image: a path next to the storyboard, or an http(s) URL',
  end_image: 'the last frame (providers that take one)',
  audio: 'audio the shot is made to (audio-to-video, lipsync)',
  duration: 'seconds',
  resolution: '720p, 1080p, 4k or WIDTHxHEIGHT',
  aspect_ratio: '16:9, 9:16, 1:1, ...',
  fps: 'frames per second',
  seed: 'a whole number; -1 for a random one kept for the shot',
  takes: 'how many takes to render (1 when empty)',
  continue_from: 'a shot id, or "previous": starts from its last frame',
  loras: 'path:scale, separated by ;',
  budget: 'the most this shot may cost, USD',
};

/** An audio file's peaks as bars (0..1 each). */
function Waveform({ peaks, durationS }: { peaks: number[]; durationS: number }) {
  const w = 320;
  const h = 48;
  const bar = w / peaks.length;
  return (
    <svg width={w} height={h} role="img" aria-label={`waveform of ${durationS.toFixed(1)} s of audio`} data-testid="inspector-waveform">
      {peaks.map((p, i) => {
        const bh = Math.max(1, p * h);
        return <rect key={i} x={i * bar} y={(h - bh) / 2} width={Math.max(1, bar - 0.5)} height={bh} fill="var(--mantine-color-indigo-4)" />;
      })}
    </svg>
  );
}

/** One media cell: its thumbnail or waveform, and a drop zone / file button that copies a file into the project. */
function MediaSlot({ m, row, onAttached, onError }: { m: ShotMediaView; row: number; onAttached: () => void; onError: (e: ErrorView) => void }) {
  const { api } = useApp('api');
  const { record } = useShotEdits();
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const label = m.field === 'end_image' ? 'end image' : m.field;
  const attach = async (f: File | null) => {
    if (!f) return;
    setBusy(true);
    try {
      record(await api.call('shots.attachMedia', { row, field: m.field, fileName: f.name, dataBase64: await readAsBase64(f) }), `${label} of row ${row}`);
      onAttached();
    } catch (e) {
      onError(toErrorView(e));
    } finally {
      setBusy(false);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void attach(e.dataTransfer.files[0] ?? null);
  };
  return (
    <Box
      className={`media-slot ${over ? 'over' : ''}`}
      data-testid={`inspector-media-${m.field}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <Text size="xs" fw={600} tt="uppercase" c="dimmed">
        {label}
      </Text>
      {m.thumb && <Image src={m.thumb} alt={`${label} of row ${row}: ${m.value}`} w={160} radius="sm" />}
      {m.waveform && <Waveform peaks={m.waveform.peaks} durationS={m.waveform.durationS} />}
      <Text size="xs" c={m.problem ? 'red.4' : 'dimmed'} truncate title={m.value}>
        {m.problem ?? (m.value || 'none: drop a file here')}
      </Text>
      <FileButton onChange={(f) => void attach(f)} accept={m.field === 'audio' ? 'audio/*' : m.field === 'video' ? 'video/*' : 'image/png,image/jpeg,image/webp'}>
        {(props) => (
          <Button {...props} size="compact-xs" variant="light" loading={busy} aria-label={`choose the ${label} file of row ${row}`}>
            Choose file…
          </Button>
        )}
      </FileButton>
    </Box>
  );
}

/** A take side by side with the others: its clip, state, chosen mark, "use this take" and the creator's note. */
function TakeCard({ job, onChanged, onError }: { job: JobView; onChanged: () => void; onError: (e: ErrorView) => void }) {
  const { api, refreshJobs } = useApp('api', 'refreshJobs');
  const [note, setNote] = useState(job.note);
  const save = async () => {
    if (note.trim() === job.note) return;
    try {
      await api.call('queue.noteTake', { jobId: job.id, note });
      onChanged();
    } catch (e) {
      onError(toErrorView(e));
    }
  };
  return (
    <Stack gap={4} className={`take-card ${job.chosen ? 'chosen' : ''}`} data-testid={`inspector-take-${job.take}`}>
      {job.clipUrl ? <video src={job.clipUrl} controls muted preload="metadata" width="100%" aria-label={`take ${job.take} of shot ${job.shot}`} /> : <Box className="take-empty">{job.state}</Box>}
      <Group gap={6} justify="space-between" wrap="nowrap">
        <Text size="sm" fw={600}>
          Take {job.take}
          {job.seed !== null ? ` · seed ${job.seed}` : ''}
        </Text>
        {job.chosen ? (
          <Badge color="teal" size="sm">
            in the film
          </Badge>
        ) : (
          job.state === 'succeeded' && (
            <Button
              size="compact-xs"
              variant="light"
              onClick={() =>
                void api
                  .call('queue.chooseTake', { shotId: job.shotId, jobId: job.id })
                  .then(() => refreshJobs())
                  .then(onChanged, (e) => onError(toErrorView(e)))
              }
            >
              Use this take
            </Button>
          )
        )}
      </Group>
      <Text size="xs" c="dimmed">
        {job.provider} · {job.state}
        {job.edit ? ` · ${job.edit}` : ''}
        {job.error ? ` · ${job.error}` : ''}
      </Text>
      <Textarea size="xs" label={`Note on take ${job.take}`} autosize minRows={1} maxRows={4} value={note} onChange={(e) => setNote(e.currentTarget.value)} onBlur={() => void save()} maxLength={2000} />
    </Stack>
  );
}

/**
 * The shot inspector: a drawer with every column of one row (multi-line prompt, negative prompt
 * and notes), its start and end images, its audio's waveform, media dropped onto it (copied into
 * the storyboard's media/ folder), and its takes side by side with the chosen one and a note per
 * take. Save writes the changed cells in one edit (undoable like any other).
 */
export function ShotInspector({ row, onClose }: { row: number | null; onClose: () => void }) {
  const { api, storyboard } = useApp('api', 'storyboard');
  const { edit } = useShotEdits();
  const [view, setView] = useState<ShotInspectView | null>(null);
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [error, setError] = useState<ErrorView | null>(null);
  const [saving, setSaving] = useState(false);

  const load = useCallback(async () => {
    if (row === null) return;
    try {
      const v = await api.call('shots.inspect', { row });
      setView(v);
      setDraft(Object.fromEntries(v.cells.map((c) => [c.field, c.value])));
    } catch (e) {
      setError(toErrorView(e));
    }
  }, [api, row]);

  useEffect(() => {
    setView(null);
    setError(null);
    void load();
  }, [load, storyboard?.file]);

  const changed = view ? view.cells.filter((c) => (draft[c.field] ?? '') !== c.value) : [];
  const save = async () => {
    if (!view || changed.length === 0) return;
    setSaving(true);
    setError(null);
    try {
      await edit(
        changed.map((c) => ({ row: view.row, field: c.field, value: draft[c.field] ?? '' })),
        `shot ${view.shot}: ${changed.map((c) => c.field).join(', ')}`,
      );
      await load();
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setSaving(false);
    }
  };
  const issues = storyboard?.issues.filter((i) => i.row === row) ?? [];

  return (
    <Drawer opened={row !== null} onClose={onClose} position="right" size={560} title={<Title order={4}>{view ? `Shot ${view.shot} · row ${view.row}` : 'Shot'}</Title>} data-testid="inspector">
      <ErrorNote error={error} title="Not saved" onClose={() => setError(null)} />
      {view && (
        <Stack gap="md">
          {issues.length > 0 && (
            <Stack gap={2} data-testid="inspector-issues">
              {issues.map((i, k) => (
                <Text key={k} size="xs" c={i.severity === 'error' ? 'red.4' : 'yellow.4'}>
                  {i.column ? `${i.column}: ` : ''}
                  {i.message}
                </Text>
              ))}
            </Stack>
          )}
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <Stack gap={8}>
              {EDITABLE_COLUMNS.map((f) => {
                const cell = view.cells.find((c) => c.field === f)!;
                const common = { label: cell.header && cell.header !== f ? `${f} (${cell.header})` : f, description: HELP[f], value: draft[f] ?? '', 'data-testid': `inspector-${f}` };
                return LONG.has(f) ? (
                  <Textarea key={f} {...common} autosize minRows={f === 'prompt' ? 4 : 2} maxRows={14} spellCheck onChange={(e) => setDraft({ ...draft, [f]: e.currentTarget.value })} />
                ) : (
                  <TextInput key={f} {...common} spellCheck={false} onChange={(e) => setDraft({ ...draft, [f]: e.currentTarget.value })} />
                );
              })}
              <Group gap="sm" className="inspector-actions">
                <Button type="submit" loading={saving} disabled={changed.length === 0} data-testid="inspector-save">
                  {changed.length ? `Save ${changed.length} change${changed.length > 1 ? 's' : ''}` : 'No changes'}
                </Button>
                <Button variant="subtle" disabled={changed.length === 0} onClick={() => setDraft(Object.fromEntries(view.cells.map((c) => [c.field, c.value])))}>
                  Revert
                </Button>
              </Group>
            </Stack>
          </form>
          <Title order={5}>Media</Title>
          <SimpleGrid cols={2} spacing="sm">
            {view.media.map((m) => (
              <MediaSlot key={m.field} m={m} row={view.row} onAttached={() => void load()} onError={setError} />
            ))}
          </SimpleGrid>
          <Title order={5}>Takes</Title>
          {view.takes.length === 0 ? (
            <Text size="sm" c="dimmed">
              No takes yet: render the storyboard and they appear here side by side.
            </Text>
          ) : (
            <SimpleGrid cols={2} spacing="sm">
              {view.takes.map((j) => (
                <TakeCard key={j.id} job={j} onChanged={() => void load()} onError={setError} />
              ))}
            </SimpleGrid>
          )}
        </Stack>
      )}
    </Drawer>
  );
}
