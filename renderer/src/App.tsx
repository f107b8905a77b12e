import { Alert, AppShell, Badge, Box, Group, Loader, NavLink, Progress, Stack, Text } from '@mantine/core';
import { useMemo } from 'react';
import { useApp, type Screen } from './state';
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

export function App() {
  const app = useApp();
  const { screen, setScreen, storyboard, jobs, render, connection, booted, bootError } = app;

  const errors = storyboard?.issues.filter((i) => i.severity === 'error').length ?? 0;
  const done = useMemo(() => jobs.filter((j) => j.state === 'succeeded').length, [jobs]);
  const ended = useMemo(() => jobs.filter((j) => j.state === 'succeeded' || j.state === 'failed' || j.state === 'canceled').length, [jobs]);

  const badge = (id: Screen) => {
    if (id === 'import' && storyboard) return errors ? <Badge size="xs" color="red">{errors}</Badge> : <Badge size="xs" color="teal" variant="light">ok</Badge>;
    if (id === 'shots' && storyboard) return <Badge size="xs" variant="light" color="gray">{storyboard.shots.length}</Badge>;
    if (id === 'queue' && jobs.length) return <Badge size="xs" variant="light" color={render.kind === 'running' ? 'indigo' : 'gray'}>{`${done}/${jobs.length}`}</Badge>;
    return null;
  };

  return (
    <AppShell navbar={{ width: 184, breakpoint: 0 }} padding={0}>
      <AppShell.Navbar p="xs" className="nav">
        <AppShell.Section>
          <Box px="xs" pt={4} pb="md">
            <Text fw={700} size="lg" className="brand">
              LTX Batch
            </Text>
            <Text size="xs" c="dimmed">
              storyboard → film
            </Text>
          </Box>
        </AppShell.Section>
        <AppShell.Section grow>
          <Stack gap={2} role="tablist" aria-orientation="vertical">
            {NAV.map((n) => (
              <NavLink
                key={n.id}
                role="tab"
                aria-selected={screen === n.id}
                data-testid={`nav-${n.id}`}
                active={screen === n.id}
                label={n.label}
                leftSection={<span className="nav-step">{n.step}</span>}
                rightSection={badge(n.id)}
                onClick={() => setScreen(n.id)}
                variant="light"
              />
            ))}
          </Stack>
        </AppShell.Section>
        <AppShell.Section>
          <Stack gap={6} px="xs" pb={4}>
            {render.kind === 'running' && jobs.length > 0 && (
              <Box>
                <Text size="xs" c="dimmed">
                  Rendering {ended}/{jobs.length}
                </Text>
                <Progress size="xs" value={(100 * ended) / Math.max(1, jobs.length)} animated />
              </Box>
            )}
            {app.project && (
              <Text size="xs" c="dimmed" title={app.project} truncate>
                Project: {baseName(app.project)}
              </Text>
            )}
            <Group gap={6} wrap="nowrap">
              <span className={`dot dot-${connection}`} />
              <Text size="xs" c="dimmed" data-testid="connection">
                {app.electron ? 'desktop' : connection === 'open' ? 'connected' : connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
              </Text>
              {app.version && (
                <Text size="xs" c="dimmed" ml="auto">
                  v{app.version}
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
            {app.heldBy && (
              <Alert color="yellow" mb="md" title="Read-only: another render has this project" data-testid="project-held">
                {app.heldBy}. You can watch its shots come in; cancel, retry, new takes and timeline edits open when it ends (export works now), and your render starts then.
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
