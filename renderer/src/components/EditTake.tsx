import { Button, Group, NumberInput, SegmentedControl, Select, Text, Textarea } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { EditPreviewView, ErrorView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { useApp } from '../state';
import { ErrorNote } from './ErrorNote';
import { PopoverForm } from './PopoverForm';

type Kind = 'retake' | 'extend';
type RetakeMode = 'replace_audio_and_video' | 'replace_video' | 'replace_audio';

const MODES: { value: RetakeMode; label: string }[] = [
  { value: 'replace_audio_and_video', label: 'Picture and sound' },
  { value: 'replace_video', label: 'Picture only' },
  { value: 'replace_audio', label: 'Sound only' },
];

/**
 * "Retake / extend…" for a finished take: redo seconds A to B of it, or add N seconds at its end or
 * start, as the shot's next take. The form shows the new take's length and cost (queue.previewEdit)
 * as the creator types, and says when a budget would hold it; "Render" queues it (queue.editTake).
 * `kinds` are the edits the take's provider makes; `lengthS` is the take's length in seconds.
 */
export function EditTakeButton({ jobId, shot, take, lengthS, kinds, onQueued }: { jobId: number; shot: string; take: number; lengthS: number; kinds: Kind[]; onQueued?: () => void }) {
  const { api } = useApp('api');
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<Kind>(kinds[0] ?? 'retake');
  const [from, setFrom] = useState<number | string>(0);
  const [to, setTo] = useState<number | string>(Math.min(lengthS, 2));
  const [mode, setMode] = useState<RetakeMode>('replace_audio_and_video');
  const [seconds, setSeconds] = useState<number | string>(2);
  const [at, setAt] = useState<'end' | 'start'>('end');
  const [prompt, setPrompt] = useState('');
  const [preview, setPreview] = useState<EditPreviewView | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const [sending, setSending] = useState(false);

  const edit = useMemo(() => {
    const p = prompt.trim() ? { prompt: prompt.trim() } : {};
    if (kind === 'retake') return typeof from === 'number' && typeof to === 'number' ? { kind, startS: from, durationS: Math.round((to - from) * 1000) / 1000, mode, ...p } : null;
    return typeof seconds === 'number' ? { kind, seconds, at, ...p } : null;
  }, [kind, from, to, mode, seconds, at, prompt]);

  // The cost and length as the creator types (a moment after the last change).
  useEffect(() => {
    if (!open || !edit) return;
    let live = true;
    const t = setTimeout(() => {
      api.call('queue.previewEdit', { jobId, edit }).then(
        (r) => live && (setPreview(r), setError(null)),
        (e: unknown) => live && (setPreview(null), setError(toErrorView(e))),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, jobId, edit, open]);

  if (!kinds.length) return null;
  const submit = async () => {
    if (!edit) return;
    setSending(true);
    try {
      await api.call('queue.editTake', { jobId, edit });
      setOpen(false);
      onQueued?.();
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setSending(false);
    }
  };
  return (
    <PopoverForm
      open={open}
      setOpen={setOpen}
      width={320}
      onSubmit={() => void submit()}
      target={
        <Button size="compact-xs" variant="subtle" onClick={() => setOpen((o) => !o)} aria-label={`Retake / extend… take ${take} of shot ${shot}`}>
          Retake / extend…
        </Button>
      }
    >
      <Text size="sm" fw={600}>
        Shot {shot}, take {take} ({lengthS.toFixed(2)} s)
      </Text>
      {kinds.length > 1 && (
        <SegmentedControl
          size="xs"
          value={kind}
          onChange={(v) => setKind(v as Kind)}
          data={[
            { value: 'retake', label: 'Retake a section' },
            { value: 'extend', label: 'Extend' },
          ]}
        />
      )}
      {kind === 'retake' ? (
        <>
          <Group gap={6} grow>
            <NumberInput size="xs" label="From (s)" min={0} max={lengthS} step={0.5} decimalScale={3} value={from} onChange={setFrom} data-autofocus />
            <NumberInput size="xs" label="To (s)" min={0} max={lengthS} step={0.5} decimalScale={3} value={to} onChange={setTo} />
          </Group>
          <Select size="xs" label="Replace" data={MODES} value={mode} onChange={(v) => v && setMode(v as RetakeMode)} allowDeselect={false} comboboxProps={{ withinPortal: false }} />
        </>
      ) : (
        <Group gap={6} grow>
          <NumberInput size="xs" label="Add (s)" min={0} max={20} step={1} decimalScale={3} value={seconds} onChange={setSeconds} data-autofocus />
          <Select
            size="xs"
            label="At the"
            data={[
              { value: 'end', label: 'end' },
              { value: 'start', label: 'start' },
            ]}
            value={at}
            onChange={(v) => v && setAt(v as 'end' | 'start')}
            allowDeselect={false}
            comboboxProps={{ withinPortal: false }}
          />
        </Group>
      )}
      <Textarea size="xs" label="Prompt for the new part (optional)" placeholder="the take's own prompt" autosize minRows={2} maxRows={5} value={prompt} onChange={(e) => setPrompt(e.currentTarget.value)} />
      {preview && (
        <Text size="xs" data-testid="edit-estimate">
          New take of {preview.lengthS.toFixed(2)} s on {preview.provider}: <b>{preview.cost}</b> ({preview.basis})
        </Text>
      )}
      {preview?.overBudget && (
        <Text size="xs" c="orange.4" role="status">
          A budget would hold it: {preview.overBudget}
        </Text>
      )}
      <ErrorNote error={error} />
      <Group justify="flex-end">
        <Button size="xs" type="submit" loading={sending} disabled={!preview || !!preview.overBudget || !!error}>
          Render new take
        </Button>
      </Group>
    </PopoverForm>
  );
}
