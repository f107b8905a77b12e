import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import type { ErrorView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { useApp } from '../state';
import { ErrorNote } from './ErrorNote';

/**
 * "Copy diagnostics": a report for a bug report (versions, system, providers and whether each is
 * ready, never a key; the open project's log tail, keys masked), shown before it is copied so the
 * creator sees what they send.
 */
export function DiagnosticsButton() {
  const { api } = useApp('api');
  const [report, setReport] = useState<{ text: string; logFile: string | null } | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const [copied, setCopied] = useState(false);
  const open = async () => {
    setError(null);
    setCopied(false);
    try {
      setReport(await api.call('app.diagnostics', {}));
    } catch (e) {
      setError(toErrorView(e));
    }
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(report!.text);
      setCopied(true);
    } catch {
      setError({ message: 'the browser did not allow copying', fix: 'select the text and copy it (Ctrl+C)' });
    }
  };
  return (
    <>
      <Button variant="default" onClick={() => void open()} data-testid="diagnostics-button">
        Copy diagnostics…
      </Button>
      <ErrorNote error={error} onClose={() => setError(null)} />
      <Modal opened={!!report} onClose={() => setReport(null)} title="Diagnostics for a bug report" size="xl">
        {report && (
          <Stack gap="sm">
            <Text size="sm" c="dimmed">
              Versions, your system, each provider's state (never a key) and the project's log{report.logFile ? ` (${report.logFile})` : ''}, with keys masked.
            </Text>
            <Textarea value={report.text} readOnly autosize minRows={8} maxRows={20} ff="monospace" data-testid="diagnostics-text" aria-label="diagnostics" />
            <Group justify="flex-end">
              <Button onClick={() => void copy()} data-testid="diagnostics-copy">
                {copied ? 'Copied' : 'Copy to clipboard'}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}
