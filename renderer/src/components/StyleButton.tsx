import { Button, Group, Text, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { ErrorView, StoryboardView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { useApp } from '../state';
import { ErrorNote } from './ErrorNote';
import { PopoverForm } from './PopoverForm';

/**
 * "Style…": the project's style and negative prompt for every row, saved with the storyboard in the
 * app's settings (like `--style` / `--negative`; over a workbook's Style sheet). Saving checks the
 * storyboard again, so the grid's prompts (hover: the prompt as sent) and the estimate follow.
 */
export function StyleButton({ storyboard }: { storyboard: StoryboardView }) {
  const { api, setStoryboard } = useApp('api', 'setStoryboard');
  const [open, setOpen] = useState(false);
  const [style, setStyle] = useState(storyboard.look.style ?? '');
  const [negative, setNegative] = useState(storyboard.look.negative ?? '');
  const [error, setError] = useState<ErrorView | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!open) return;
    setStyle(storyboard.look.style ?? '');
    setNegative(storyboard.look.negative ?? '');
  }, [open, storyboard.look.style, storyboard.look.negative]);
  const save = async () => {
    setSaving(true);
    try {
      setStoryboard(await api.call('storyboard.setLook', { style: style.trim() || null, negative: negative.trim() || null }));
      setOpen(false);
      setError(null);
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setSaving(false);
    }
  };
  const set = storyboard.look.style || storyboard.look.negative;
  return (
    <PopoverForm
      open={open}
      setOpen={setOpen}
      width={360}
      onSubmit={() => void save()}
      target={
        <Button variant={set ? 'light' : 'default'} onClick={() => setOpen((o) => !o)} data-testid="style-button" title={storyboard.look.sources.length ? `look from: ${storyboard.look.sources.join(', ')}` : undefined}>
          {set ? 'Style ✓' : 'Style…'}
        </Button>
      }
    >
      <Textarea label="Style for every row" description="{prompt} marks where the row's prompt goes; without it the style follows the prompt" placeholder="cinematic, 35mm film, {prompt}, soft light" autosize minRows={2} maxRows={6} value={style} onChange={(e) => setStyle(e.currentTarget.value)} data-autofocus />
      <Textarea label="Negative prompt for every row" placeholder="blurry, text, watermark" autosize minRows={1} maxRows={4} value={negative} onChange={(e) => setNegative(e.currentTarget.value)} />
      {storyboard.look.characters.length > 0 && (
        <Text size="xs" c="dimmed">
          Characters: {storyboard.look.characters.map((c) => `{${c.name}} (${c.shots})`).join(', ')}
        </Text>
      )}
      <Text size="xs" c="dimmed">
        Finished shots whose prompt this changes are re-rendered only after you confirm.
      </Text>
      <ErrorNote error={error} />
      <Group justify="flex-end">
        <Button size="xs" type="submit" loading={saving} data-testid="style-save">
          Save style
        </Button>
      </Group>
    </PopoverForm>
  );
}
