import { Alert, Button, Text } from '@mantine/core';
import type { ErrorView } from '../../../main/contract/api';

/** A problem where it happened: what went wrong, and what to do about it when the core knows. */
export function ErrorNote({ error, title, onClose, onConfirm, testId }: { error: ErrorView | null | undefined; title?: string; onClose?: () => void; onConfirm?: () => void; testId?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" variant="light" title={title} withCloseButton={!!onClose} onClose={onClose} data-testid={testId ?? 'error-note'} role="alert" py="xs">
      <Text size="sm" className="error-message">
        {capitalise(error.message)}
      </Text>
      {error.fix && (
        <Text size="sm" mt={4} c="dimmed" className="error-fix">
          <Text span fw={600} c="gray.3">
            How to fix:{' '}
          </Text>
          {error.fix}
        </Text>
      )}
      {error.confirm && onConfirm && (
        <Button size="xs" mt={6} color="red" variant="light" onClick={onConfirm}>
          {error.confirm}
        </Button>
      )}
    </Alert>
  );
}

function capitalise(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
