import { Alert, Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { toErrorView } from '../api';
import { useApp } from '../state';
import { baseName } from '../format';
import { ErrorNote } from './ErrorNote';
import type { ErrorView } from '../../../main/contract/api';

/**
 * The storyboard changed on disk (saved from a spreadsheet): what changed in shots and what it would
 * cost, before anything is applied. "Apply" reads the file as it is now; "Keep mine" keeps the
 * version in the app (the next edit saves over the file, keeping it as the backup).
 */
export function DiskChangeBanner() {
  const { api, diskChange, setDiskChange, setStoryboard } = useApp('api', 'diskChange', 'setDiskChange', 'setStoryboard');
  const [error, setError] = useState<ErrorView | null>(null);
  if (!diskChange) return null;
  const apply = async () => {
    try {
      setStoryboard(await api.call('storyboard.applyDiskChange', {}));
      setDiskChange(null);
    } catch (e) {
      setError(toErrorView(e));
    }
  };
  const keep = async () => {
    await api.call('storyboard.keepMine', {}).catch((e: unknown) => setError(toErrorView(e)));
    setDiskChange(null);
  };
  return (
    <Alert color="yellow" variant="light" py="xs" data-testid="disk-change" title={`${baseName(diskChange.file)} changed on disk`}>
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Text size="sm" data-testid="disk-change-summary">
          {diskChange.summary}
        </Text>
        <Group gap="xs" wrap="nowrap">
          <Button size="xs" onClick={() => void apply()} data-testid="disk-change-apply">
            Apply
          </Button>
          <Button size="xs" variant="default" onClick={() => void keep()}>
            Keep mine
          </Button>
        </Group>
      </Group>
      <ErrorNote error={error} />
    </Alert>
  );
}
