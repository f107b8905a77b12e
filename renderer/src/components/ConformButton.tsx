import { Button, Group, Modal, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { ErrorView, MethodResults } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { usd } from '../format';
import { useApp } from '../state';
import { useShotEdits } from '../use-shot-edits';
import { ErrorNote } from './ErrorNote';

type Conform = MethodResults['shots.conform'];

/**
 * "Conform to <provider>…": every change that makes the rows going to the batch's provider
 * renderable by it (mode, size, frame rate, duration, the nearest values it accepts), what it cannot
 * fix, and the estimate before and after, shown before anything changes; "Apply" writes them (and
 * saves the storyboard file).
 */
export function ConformButton({ provider, rows }: { provider: string; rows?: number[] }) {
  const { api } = useApp('api');
  const { record } = useShotEdits();
  const [plan, setPlan] = useState<Conform | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const [busy, setBusy] = useState(false);
  const call = async (apply: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.call('shots.conform', { provider, defaultProvider: provider, apply, ...(rows?.length ? { rows } : {}) });
      if (apply) {
        record({ ...r, changed: r.undo.length }, `conform to ${provider}`);
        setPlan(null);
      } else setPlan(r);
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setBusy(false);
    }
  };
  const changes = plan?.rows.reduce((n, r) => n + r.changes.length, 0) ?? 0;
  return (
    <>
      <Button variant="default" loading={busy && !plan} onClick={() => void call(false)} data-testid="conform-button">
        {rows?.length ? `Conform ${rows.length} selected to ${provider}…` : `Conform to ${provider}…`}
      </Button>
      <Modal opened={!!plan} onClose={() => setPlan(null)} title={rows?.length ? `Conform the ${rows.length} selected row(s) to ${provider}` : `Conform the rows that go to ${provider}`} size="lg">
        {plan && (
          <Stack gap="sm">
            <Text size="sm" data-testid="conform-summary">
              {changes} change(s) in {plan.rows.filter((r) => r.changes.length).length} row(s); estimate {usd(plan.usdBefore)} → {usd(plan.usdAfter)}
              {plan.rows.some((r) => r.problems.length) ? `; ${plan.rows.filter((r) => r.problems.length).length} row(s) still need you` : ''}.
            </Text>
            <ScrollArea.Autosize mah={360}>
              <Table striped withTableBorder fz="xs" data-testid="conform-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Row</Table.Th>
                    <Table.Th>Shot</Table.Th>
                    <Table.Th>Changes</Table.Th>
                    <Table.Th>Still to fix</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {plan.rows.map((r) => (
                    <Table.Tr key={r.row}>
                      <Table.Td>{r.row}</Table.Td>
                      <Table.Td>{r.shot}</Table.Td>
                      <Table.Td>{r.changes.length ? r.changes.map((c) => `${c.column} ${c.from} → ${c.to}`).join(', ') : '—'}</Table.Td>
                      <Table.Td c={r.problems.length ? 'red.4' : undefined}>{r.problems.join('; ') || '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea.Autosize>
            <ErrorNote error={error} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPlan(null)}>
                Cancel
              </Button>
              <Button onClick={() => void call(true)} loading={busy} disabled={!changes} data-testid="conform-apply">
                Apply {changes} change(s)
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
      {!plan && <ErrorNote error={error} />}
    </>
  );
}
