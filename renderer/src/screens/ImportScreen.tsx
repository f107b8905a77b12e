import { Badge, Box, Button, FileButton, Group, NativeSelect, Paper, ScrollArea, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import type { ErrorView, IssueView, ProjectView, StoryboardView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { baseName, plural } from '../format';
import { useApp } from '../state';
import { readAsBase64 } from '../files';
import { describeErrorCount } from '../../../main/contract/error-count';

const ACCEPT = '.csv,.tsv,.txt,.xlsx,.zip,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/zip';

export function ImportScreen() {
  const { api, storyboard, setStoryboard, setScreen, electron, setBatch } = useApp('api', 'storyboard', 'setStoryboard', 'setScreen', 'electron', 'setBatch');
  const [projects, setProjects] = useState<ProjectView[]>([]);
  useEffect(() => {
    api.call('projects.list', {}).then(setProjects, () => setProjects([]));
  }, [api, storyboard?.file]);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const [dragging, setDragging] = useState(false);
  const [mapError, setMapError] = useState<ErrorView | null>(null);

  /** Opens an existing project: its storyboard, and the project's own name for the render. */
  const openProject = async (p: ProjectView) => {
    await load(`project:${p.name}`, () => api.call('storyboard.openPath', { path: p.storyboard! }));
    setBatch({ project: p.name });
  };

  const load = async (what: string, fn: () => Promise<StoryboardView | null>) => {
    setBusy(what);
    setError(null);
    try {
      const sb = await fn();
      if (sb) {
        setStoryboard(sb);
        setMapError(null);
      }
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setBusy(null);
    }
  };

  const upload = (file: File | null) => {
    if (!file) return;
    if (file.size > 64 * 1024 * 1024) {
      setError({ message: `${file.name} is ${Math.round(file.size / 1048576)} MB; a storyboard may be at most 64 MB`, fix: 'split it into several storyboards' });
      return;
    }
    void load('upload', async () => api.call('storyboard.upload', { fileName: file.name, dataBase64: await readAsBase64(file) }));
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const f = e.dataTransfer.files?.[0];
    if (!f) return;
    // In the desktop app a dropped file is opened where it lies, so its relative image and audio paths still work.
    const where = api.pathForFile?.(f);
    if (where) void load('upload', async () => api.call('storyboard.openPath', { path: where }));
    else upload(f);
  };

  const openPath = () => {
    const p = path.trim();
    if (!p) {
      setError({ message: 'type the path of a CSV or XLSX file on the render box', fix: 'for example /home/me/films/storyboard.csv' });
      return;
    }
    void load('path', () => api.call('storyboard.openPath', { path: p }));
  };

  const remap = async (headerIndex: number, column: string) => {
    if (!storyboard) return;
    const mapping: Record<string, number> = {};
    storyboard.headers.forEach((h, i) => {
      if (i === headerIndex) return;
      if (h.column && h.column !== column) mapping[h.column] = i;
    });
    if (column) mapping[column] = headerIndex;
    setMapError(null);
    try {
      setStoryboard(await api.call('storyboard.remap', { mapping }));
    } catch (e) {
      setMapError(toErrorView(e));
    }
  };

  const errors = storyboard?.issues.filter((i) => i.severity === 'error') ?? [];
  const warnings = storyboard?.issues.filter((i) => i.severity === 'warning') ?? [];

  return (
    <Stack gap="md" p="md" className="screen-fill">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Box>
          <Title order={3}>Import a storyboard</Title>
          <Text size="sm" c="dimmed">
            One row per shot: shot, prompt, mode, image, audio, duration, resolution, provider, model, seed… Media paths are read next to the storyboard.
          </Text>
        </Box>
        {storyboard && (
          <Button onClick={() => setScreen('shots')} data-testid="go-shots" style={{ flex: 'none' }}>
            Review shots →
          </Button>
        )}
      </Group>

      <SimpleGrid cols={2} spacing="md">
        <Paper
          withBorder
          p="md"
          className={`dropzone${dragging ? ' dropzone-active' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          data-testid="dropzone"
        >
          <Stack gap="sm" align="center" justify="center" h="100%">
            <Text fw={600}>Drop a CSV or XLSX here</Text>
            <Text size="xs" c="dimmed" ta="center">
              {electron ? 'or pick it from disk.' : 'or upload it from this computer: a zip of its folder brings its images and audio along.'}
            </Text>
            {electron ? (
              <Button variant="default" loading={busy === 'pick'} onClick={() => void load('pick', () => api.call('storyboard.pick', {}))}>
                Choose file…
              </Button>
            ) : (
              <FileButton onChange={upload} accept={ACCEPT}>
                {(props) => (
                  <Button variant="default" loading={busy === 'upload'} {...props} data-testid="upload-button">
                    Upload file…
                  </Button>
                )}
              </FileButton>
            )}
          </Stack>
        </Paper>

        <Paper withBorder p="md">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              openPath();
            }}
          >
            <Stack gap="xs">
              <Text fw={600}>Open a file on the render box</Text>
              <Text size="xs" c="dimmed">
                The machine LTX Batch runs on. Images and audio named in the storyboard are found next to it.
              </Text>
              <Group gap="xs" align="flex-end" wrap="nowrap">
                <TextInput
                  flex={1}
                  aria-label="Storyboard path"
                  placeholder="/home/me/films/storyboard.csv"
                  value={path}
                  onChange={(e) => setPath(e.currentTarget.value)}
                  data-testid="path-input"
                  spellCheck={false}
                />
                <Button type="submit" loading={busy === 'path'} data-testid="open-path">
                  Open
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      </SimpleGrid>

      {projects.length > 0 && (
        <Paper withBorder p="md" data-testid="recent-projects">
          <Text fw={600}>Recent projects</Text>
          <Text size="xs" c="dimmed" mb={6}>
            A project is its folder: its clips, takes, timeline and film. Open one to continue it; a storyboard opened above starts a new project unless it is the one a project belongs to.
          </Text>
          <Table withRowBorders={false} verticalSpacing={2}>
            <Table.Tbody>
              {projects.slice(0, 8).map((p) => (
                <Table.Tr key={p.name} data-testid={`project-${p.name}`}>
                  <Table.Td fw={600}>{p.name}</Table.Td>
                  <Table.Td c="dimmed" className="mono" title={p.storyboard ?? undefined}>
                    {p.storyboard ? baseName(p.storyboard) : 'no storyboard recorded'}
                  </Table.Td>
                  <Table.Td c="dimmed">{new Date(p.updatedAt).toLocaleString()}</Table.Td>
                  <Table.Td ta="right">
                    <Button size="compact-xs" variant="light" disabled={!p.storyboard} loading={busy === `project:${p.name}`} onClick={() => void openProject(p)} data-testid={`open-project-${p.name}`}>
                      Open
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}

      <ErrorNote error={error} title="The storyboard could not be opened" onClose={() => setError(null)} testId="import-error" />

      {storyboard && (
        <>
          <Paper withBorder p="md" data-testid="storyboard-summary">
            <Group justify="space-between" wrap="nowrap">
              <Box miw={0}>
                <Text fw={600} truncate title={storyboard.file}>
                  {baseName(storyboard.file)}
                </Text>
                <Text size="xs" c="dimmed" truncate title={storyboard.file}>
                  {storyboard.file}
                </Text>
              </Box>
              <Group gap="xs" wrap="nowrap">
                <Badge variant="light" color="gray">
                  {storyboard.format.toUpperCase()}
                </Badge>
                <Badge variant="light" color="indigo" data-testid="shot-count">
                  {plural(storyboard.shots.length, 'shot')}
                </Badge>
                <Badge variant="light" color={errors.length ? 'red' : 'teal'} data-testid="error-count">
                  {describeErrorCount(storyboard.issues)}
                </Badge>
                {warnings.length > 0 && (
                  <Badge variant="light" color="yellow">
                    {plural(warnings.length, 'warning')}
                  </Badge>
                )}
              </Group>
            </Group>
          </Paper>

          <SimpleGrid cols={2} spacing="md" className="import-lower">
            <Paper withBorder p="md" className="panel-fill">
              <Text fw={600} mb={4}>
                Column mapping
              </Text>
              <Text size="xs" c="dimmed" mb="xs">
                How each header was read. Change one if it was guessed wrong; unused columns are kept as notes on each shot.
              </Text>
              <ErrorNote error={mapError} onClose={() => setMapError(null)} />
              <ScrollArea type="auto" className="panel-scroll" offsetScrollbars>
                <Table striped={false} highlightOnHover verticalSpacing={2} data-testid="mapping" stickyHeader>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Header in the file</Table.Th>
                      <Table.Th w={210}>Read as</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {storyboard.headers.map((h, i) => (
                      <Table.Tr key={`${i}-${h.header}`}>
                        <Table.Td>
                          <Text size="sm" ff="monospace" truncate>
                            {h.header || <i>(empty header)</i>}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <NativeSelect
                            size="xs"
                            aria-label={`Column for header ${h.header}`}
                            value={h.column}
                            onChange={(e) => void remap(i, e.currentTarget.value)}
                            data={[{ value: '', label: '— not used (kept as note)' }, ...storyboard.columns.map((c) => ({ value: c, label: c }))]}
                          />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea>
            </Paper>

            <Paper withBorder p="md" className="panel-fill">
              <Group justify="space-between" mb={4}>
                <Text fw={600}>Problems</Text>
                {storyboard.issues.length > 0 && (
                  <Text size="xs" c="dimmed">
                    also marked in the Shots grid
                  </Text>
                )}
              </Group>
              {storyboard.issues.length === 0 ? (
                <Text size="sm" c="teal.4" data-testid="no-issues">
                  Every row is valid.
                </Text>
              ) : (
                <IssueList issues={storyboard.issues} />
              )}
            </Paper>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}

/** Every validation problem, row and column first, virtualised (a big storyboard can have thousands). */
function IssueList({ issues }: { issues: IssueView[] }) {
  const { showRow, storyboard } = useApp('showRow', 'storyboard');
  const shotRows = useMemo(() => new Set(storyboard?.shots.map((s) => s.row)), [storyboard]);
  const sorted = useMemo(() => [...issues].sort((a, b) => (a.severity === b.severity ? (a.row ?? 0) - (b.row ?? 0) : a.severity === 'error' ? -1 : 1)), [issues]);
  const ref = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: sorted.length, getScrollElement: () => ref.current, estimateSize: () => 44, overscan: 8 });
  return (
    <div ref={ref} className="issue-list" data-testid="issues">
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {v.getVirtualItems().map((it) => {
          const i = sorted[it.index];
          const linked = i.row !== undefined && shotRows.has(i.row);
          return (
            <div
              key={it.key}
              ref={v.measureElement}
              data-index={it.index}
              className={`issue-row${linked ? ' linked' : ''}`}
              style={{ transform: `translateY(${it.start}px)` }}
              role={linked ? 'button' : undefined}
              tabIndex={linked ? 0 : undefined}
              title={linked ? 'Show this row in the Shots grid' : undefined}
              onClick={linked ? () => showRow(i.row!) : undefined}
              onKeyDown={linked ? (e) => e.key === 'Enter' && showRow(i.row!) : undefined}
            >
              <Badge size="xs" color={i.severity === 'error' ? 'red' : 'yellow'} variant="light" w={74}>
                {i.severity}
              </Badge>
              <Text size="xs" w={96} className="mono" title={i.row !== undefined ? `spreadsheet row ${i.row}` : undefined}>
                {i.row === undefined ? 'file' : i.shot ? `shot ${i.shot}` : `row ${i.row}`}
                {i.row !== undefined && i.shot && (
                  <Text span size="xs" c="dimmed">
                    {' '}
                    (row {i.row})
                  </Text>
                )}
              </Text>
              <Text size="xs" fw={600} w={96} truncate title={i.column}>
                {i.column ?? ''}
              </Text>
              <Text size="xs" className="issue-message">
                {i.message}
              </Text>
            </div>
          );
        })}
      </div>
    </div>
  );
}
