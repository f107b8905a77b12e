/**
 * Settings > Render farm: where the farm's Temporal server and shared storage are, the price of its
 * GPU time, and the workers polling its task queue with what each renders (read on request, and
 * every 5 s while the panel is open and the farm answers).
 */
import { Badge, Box, Button, Group, NumberInput, Paper, SimpleGrid, Table, Text, TextInput } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import type { ErrorView, FarmView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { useApp } from '../state';
import { ErrorNote } from './ErrorNote';

type Draft = { address: string; namespace: string; taskQueue: string; storage: string; usdPerGpuHour: number | '' };

// Defaults stay empty (shown as placeholders), so only what the creator typed is saved.
const draftOf = (v: FarmView): Draft => ({ address: v.configured ? v.address : '', namespace: v.namespace === 'default' ? '' : v.namespace, taskQueue: v.taskQueue === 'ltx-batch' ? '' : v.taskQueue, storage: v.storage ?? '', usdPerGpuHour: v.usdPerGpuHour ?? '' });

export function FarmPanel() {
  const { api } = useApp('api');
  const [view, setView] = useState<FarmView | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [busy, setBusy] = useState<'check' | 'save' | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);

  const check = useCallback(async () => {
    setBusy('check');
    try {
      const v = await api.call('farm.status', {});
      setView(v);
      setDraft((d) => d ?? draftOf(v));
      setError(null);
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setBusy(null);
    }
  }, [api]);

  useEffect(() => {
    void check();
  }, [check]);
  // While the farm answers, its workers are read again every 5 s.
  useEffect(() => {
    if (!view?.reachable) return;
    const t = setInterval(() => void api.call('farm.status', {}).then(setView, () => {}), 5000);
    return () => clearInterval(t);
  }, [api, view?.reachable]);

  const save = async () => {
    if (!draft) return;
    setBusy('save');
    try {
      const v = await api.call('farm.configure', {
        address: draft.address.trim() || null,
        namespace: draft.namespace.trim() || null,
        taskQueue: draft.taskQueue.trim() || null,
        storage: draft.storage.trim() || null,
        usdPerGpuHour: draft.usdPerGpuHour === '' ? null : Number(draft.usdPerGpuHour),
      });
      setView(v);
      setDraft(draftOf(v));
      setError(null);
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setBusy(null);
    }
  };

  const locked = (f: string) => (view?.fromEnv.includes(f) ? `set by the environment (LTX_FARM_${f.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()})` : undefined);
  const field = (f: keyof Draft, label: string, placeholder: string) => (
    <TextInput
      size="xs"
      label={label}
      placeholder={placeholder}
      value={locked(f) && view ? String(view[f as 'address'] ?? '') : String(draft?.[f] ?? '')}
      disabled={!!locked(f)}
      description={locked(f)}
      onChange={(e) => {
        const v = e.currentTarget.value;
        setDraft((d) => (d ? { ...d, [f]: v } : d));
      }}
      data-testid={`farm-${f}`}
    />
  );

  return (
    <Paper withBorder p="md" data-testid="farm-panel">
      <Group justify="space-between" align="flex-start">
        <Box>
          <Text fw={600}>Render farm</Text>
          <Text size="xs" c="dimmed">
            The "farm" provider: shots go to every GPU machine running "ltx-batch farm worker", through a Temporal server.
          </Text>
        </Box>
        <Group gap="xs">
          <Button size="xs" variant="default" loading={busy === 'check'} onClick={() => void check()}>
            Check farm
          </Button>
          <Button size="xs" loading={busy === 'save'} disabled={!draft} onClick={() => void save()}>
            Save farm settings
          </Button>
        </Group>
      </Group>
      {draft && (
        <SimpleGrid cols={{ base: 1, md: 3 }} mt="sm" spacing="xs">
          {field('address', 'Temporal server', 'farm.local:7233')}
          {field('namespace', 'Namespace', 'default')}
          {field('taskQueue', 'Task queue', 'ltx-batch')}
          {field('storage', 'Shared storage', '/mnt/nas/ltx-farm or s3://bucket/prefix')}
          <NumberInput
            size="xs"
            label="USD per GPU-hour"
            placeholder="not priced (your own GPUs)"
            min={0}
            decimalScale={4}
            value={draft.usdPerGpuHour}
            disabled={!!locked('usdPerGpuHour')}
            description={locked('usdPerGpuHour')}
            onChange={(v) => setDraft((d) => (d ? { ...d, usdPerGpuHour: v === '' ? '' : Number(v) } : d))}
            data-testid="farm-usdPerGpuHour"
          />
        </SimpleGrid>
      )}
      {view && (
        <Group gap="xs" mt="sm">
          <Badge color={view.reachable ? (view.workers.length ? 'teal' : 'yellow') : 'gray'} variant="light" data-testid="farm-state">
            {view.reachable ? `${view.workers.length} worker${view.workers.length === 1 ? '' : 's'} polling` : view.configured ? 'not reachable' : 'not set up'}
          </Badge>
          <Text size="xs" c="dimmed">
            {[view.reason, view.waiting ? `${view.waiting} take${view.waiting === 1 ? '' : 's'} waiting for a worker` : null, view.secondsPerStep ? `${view.secondsPerStep.toFixed(2)} s per step measured` : null].filter(Boolean).join(' · ')}
          </Text>
        </Group>
      )}
      {view && view.workers.length > 0 && (
        <Table mt="xs" verticalSpacing={2} data-testid="farm-workers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Worker (host, GPU, model)</Table.Th>
              <Table.Th w={110}>Last seen</Table.Th>
              <Table.Th>Rendering</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {view.workers.map((w) => (
              <Table.Tr key={w.identity}>
                <Table.Td>
                  <Text size="xs" className="mono">
                    {w.identity}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{w.lastSeenS} s ago</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{w.rendering ?? 'idle'}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Box mt={error ? 'sm' : 0}>
        <ErrorNote error={error} title="The farm settings could not be used" onClose={() => setError(null)} />
      </Box>
    </Paper>
  );
}
