import { Anchor, Button, Checkbox, Menu, Text } from '@mantine/core';
import { useState } from 'react';
import type { ErrorView, MethodResults } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { useApp } from '../state';

type Format = 'otio' | 'fcpxml' | 'xml' | 'edl';
const FORMATS: { format: Format; label: string; editors: string }[] = [
  { format: 'fcpxml', label: 'FCPXML (.fcpxml)', editors: 'Final Cut Pro, DaVinci Resolve' },
  { format: 'xml', label: 'Final Cut Pro 7 XML (.xml)', editors: 'Premiere Pro, DaVinci Resolve' },
  { format: 'edl', label: 'CMX3600 EDL (.edl)', editors: 'Avid, Premiere Pro, Resolve; one video track' },
  { format: 'otio', label: 'OpenTimelineIO (.otio)', editors: 'DaVinci Resolve and OTIO tools' },
];

/**
 * "Export for editor": the timeline as FCPXML, FCP7 XML, an EDL or OpenTimelineIO, written to the
 * project's exports/ folder (timeline.exportForEditor); "Copy the clips beside it" packages the
 * clips so the folder can move to an edit suite. Says where the file is, with a download link.
 */
export function EditorExportMenu({ disabled, onError, setDone }: { disabled: boolean; onError: (e: ErrorView | null) => void; setDone: (r: EditorExportResult | null) => void }) {
  const { api } = useApp('api');
  const [pack, setPack] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async (format: Format) => {
    setBusy(true);
    onError(null);
    try {
      setDone(await api.call('timeline.exportForEditor', { format, package: pack }));
    } catch (e) {
      setDone(null);
      onError(toErrorView(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Menu position="bottom-end" withinPortal closeOnItemClick>
        <Menu.Target>
          <Button variant="default" loading={busy} disabled={disabled} data-testid="editor-export-button">
            Export for editor
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {FORMATS.map((f) => (
            <Menu.Item key={f.format} onClick={() => void run(f.format)} data-testid={`editor-export-${f.format}`}>
              <Text size="sm">{f.label}</Text>
              <Text size="xs" c="dimmed">
                {f.editors}
              </Text>
            </Menu.Item>
          ))}
          <Menu.Divider />
          <Menu.Label>
            <Checkbox size="xs" label="Copy the clips beside it" checked={pack} onChange={(e) => setPack(e.currentTarget.checked)} data-testid="editor-export-package" />
          </Menu.Label>
        </Menu.Dropdown>
    </Menu>
  );
}

/** What an editor export wrote (timeline.exportForEditor). */
export type EditorExportResult = MethodResults['timeline.exportForEditor'];

/** Where the export is and which editors open it, with a download link (browser mode). */
export function EditorExportNote({ done }: { done: EditorExportResult }) {
  return (
    <Text size="xs" c="dimmed" data-testid="editor-export-done">
      {done.label}: {done.clips} clip(s), {done.transitions} crossfade(s)
      {done.placeholders ? `, ${done.placeholders} placeholder(s)` : ''}
      {done.packaged ? ', the clips copied beside it' : ''}, written to{' '}
      <Anchor href={done.url} download size="xs">
        {done.file}
      </Anchor>
      ; opens in {done.editors}.
    </Text>
  );
}
