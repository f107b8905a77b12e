import { Popover, Stack } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * A small form in a popover under its button (`target`): Enter or the submit button calls
 * `onSubmit`; focus stays inside while it is open.
 */
export function PopoverForm({ open, setOpen, width, target, onSubmit, children }: { open: boolean; setOpen: (o: boolean) => void; width: number; target: ReactNode; onSubmit: () => void; children: ReactNode }) {
  return (
    <Popover opened={open} onChange={setOpen} position="bottom-end" withArrow trapFocus width={width}>
      <Popover.Target>{target}</Popover.Target>
      <Popover.Dropdown>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit();
          }}
        >
          <Stack gap={8}>{children}</Stack>
        </form>
      </Popover.Dropdown>
    </Popover>
  );
}
