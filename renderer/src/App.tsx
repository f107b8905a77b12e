import { Alert, AppShell, Badge, Box, Group, Loader, NavLink, Progress, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useShallow } from 'zustand/shallow';
import { useApp, useAppStore, type Screen } from './state';
import { ErrorNote } from './components/ErrorNote';
import { ImportScreen } from './screens/ImportScreen';
import { ShotsScreen } from './screens/ShotsScreen';
import { QueueScreen } from './screens/QueueScreen';
import { TimelineScreen } from './screens/TimelineScreen';
import { SettingsScreen } from './screens/SettingsScreen';
import { baseName } from './format';

const NAV: { id: Screen; label: string; step: string }[] = [
  { id: 'import', label: 'Import', step: '1' },
  { id: 'shots', label: 'Shots', step: '2' },
  { id: 'queue', label: 'Queue', step: '3' },
  { id: 'timeline', label: 'Timeline', step: '4' },
  { id: 'settings', label: 'Settings', step: '⚙' },
];

/** The badge beside the Import or Shots tab: storyboard errors, or its shot count. */
function StoryboardBadge({ id }: { id: 'import' | 'shots' }) {
  const { storyboard } = useApp('storyboard');
  if (!storyboard) return null;
  if (id === 'shots') return <Badge size="xs" variant="light" color="gray">{storyboard.shots.length}</Badge>;
  const errors = storyboard.issues.filter((i) => i.severity === 'error').length;
  return errors ? <Badge size="xs" color="red">{errors}</Badge> : <Badge size="xs" color="teal" variant="light">ok</Badge>;
}

/** The badge beside the Queue tab: takes succeeded of all; renders again only when those change. */
function QueueBadge() {
  const { total, done, running } = useAppStore(useShallow((s) => ({ total: s.jobStats.total, done: s.jobStats.byState.succeeded, running: s.render.kind === 'running' })));
  if (!total) return null;
  return <Badge size="xs" variant="light" color={running ? 'indigo' : 'gray'}>{`${done}/${total}`}</Badge>;
}

const badge = (id: Screen) => (id === 'import' || id === 'shots' ? <StoryboardBadge id={id} /> : id === 'queue' ? <QueueBadge /> : null);

/** The sidebar's render progress (takes ended of all), while a render runs. */
function RenderProgress() {
  const { running, ended, total } = useAppStore(useShallow((s) => ({ running: s.render.kind === 'running', ended: s.jobStats.ended, total: s.jobStats.total })));
  if (!running || total === 0) return null;
  return (
    <Box>
      <Text size="xs" c="dimmed">
        Rendering {ended}/{total}
      </Text>
      <Progress size="xs" value={(100 * ended) / Math.max(1, total)} animated />
    </Box>
  );
}

export function App() {
  const { screen, setScreen, project, connection, booted, bootError, electron, version, heldBy } = useApp('screen', 'setScreen', 'project', 'connection', 'booted', 'bootError', 'electron', 'version', 'heldBy');

  // Narrow windows (a laptop split screen, 900 px): the sidebar collapses to its step numbers.
  const narrow = useMediaQuery('(max-width: 1100px)') ?? false;

  return (
    <AppShell navbar={{ width: narrow ? 64 : 184, breakpoint: 0 }} padding={0}>
      <AppShell.Navbar p="xs" className={`nav${narrow ? ' nav-narrow' : ''}`} data-testid="sidebar">
        <AppShell.Section>
          <Box px={narrow ? 4 : 'xs'} pt={4} pb="md">
            <Text fw={700} size="lg" className="brand" title="LTX Batch: storyboard → film">
              {narrow ? 'LTX' : 'LTX Batch'}
            </Text>
            {!narrow && (
              <Text size="xs" c="dimmed">
                storyboard → film
              </Text>
            )}
          </Box>
        </AppShell.Section>
        <AppShell.Section grow component="nav" aria-label="screens">
          <Stack gap={2}>
            {NAV.map((n) => (
              <NavLink
                key={n.id}
                component="button"
                type="button"
                aria-current={screen === n.id ? 'page' : undefined}
                aria-label={narrow ? `${n.step} ${n.label}` : undefined}
                title={narrow ? n.label : undefined}
                data-testid={`nav-${n.id}`}
                active={screen === n.id}
                label={narrow ? null : n.label}
                leftSection={<span className="nav-step">{n.step}</span>}
                rightSection={narrow ? null : badge(n.id)}
                onClick={() => setScreen(n.id)}
                variant="light"
              />
            ))}
          </Stack>
        </AppShell.Section>
        <AppShell.Section>
          <Stack gap={6} px="xs" pb={4} display={narrow ? 'none' : undefined}>
            <RenderProgress />
            {project && (
              <Text size="xs" c="dimmed" title={project} truncate>
                Project: {baseName(project)}
              </Text>
            )}
            <Group gap={6} wrap="nowrap">
              <span className={`dot dot-${connection}`} />
              <Text size="xs" c="dimmed" data-testid="connection">
                {electron ? 'desktop' : connection === 'open' ? 'connected' : connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
              </Text>
              {version && (
                <Text size="xs" c="dimmed" ml="auto">
                  v{version}
                </Text>
              )}
            </Group>
          </Stack>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main className="main">
        {!booted ? (
          <Stack align="center" justify="center" h="100vh" gap="md" p="xl">
            {bootError ? <ErrorNote error={bootError} title="LTX Batch could not start" /> : <Loader />}
            {!bootError && (
              <Text c="dimmed" size="sm">
                Connecting to LTX Batch…
              </Text>
            )}
          </Stack>
        ) : (
          <Box className="screen" data-testid={`screen-${screen}`}>
            {heldBy && (
              <Alert color="yellow" mb="md" title="Read-only: another render has this project" data-testid="project-held">
                {heldBy}. You can watch its shots come in; cancel, retry, new takes and timeline edits open when it ends (export works now), and your render starts then.
              </Alert>
            )}
            {screen === 'import' && <ImportScreen />}
            {screen === 'shots' && <ShotsScreen />}
            {screen === 'queue' && <QueueScreen />}
            {screen === 'timeline' && <TimelineScreen />}
            {screen === 'settings' && <SettingsScreen />}
          </Box>
        )}
      </AppShell.Main>
    </AppShell>
  );
}
