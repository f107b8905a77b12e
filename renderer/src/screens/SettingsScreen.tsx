import { Badge, Box, Button, Code, Grid, Group, NumberInput, Paper, Progress, ScrollArea, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { ErrorView, RunnerView, SettingsView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { DiagnosticsButton } from '../components/Diagnostics';
import { FarmPanel } from '../components/FarmPanel';
import { usd } from '../format';
import { useApp } from '../state';

/** Runs a settings call, keeping the result and the error of one section. */
function useSection() {
  const { setSettings } = useApp('setSettings');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const run = async (what: string, fn: () => Promise<SettingsView>): Promise<boolean> => {
    setBusy(what);
    setError(null);
    try {
      setSettings(await fn());
      return true;
    } catch (e) {
      setError(toErrorView(e));
      return false;
    } finally {
      setBusy(null);
    }
  };
  return { busy, error, setError, run };
}

/** One provider key: write-only. The typed key is cleared as soon as it is sent, whatever the answer. */
/** A table row under a settings row showing its error (nothing when there is none). */
function ErrorRow({ error, onClose }: { error: ErrorView | null; onClose: () => void }) {
  if (!error) return null;
  return (
    <Table.Tr>
      <Table.Td colSpan={3}>
        <ErrorNote error={error} onClose={onClose} />
      </Table.Td>
    </Table.Tr>
  );
}

function KeyRow({ provider, label, entry }: { provider: string; label: string; entry: SettingsView['keys'][number] }) {
  const { api } = useApp('api');
  const { busy, error, setError, run } = useSection();
  const [typed, setTyped] = useState('');
  const save = async () => {
    const key = typed.trim();
    setTyped('');
    if (!key) return;
    if (key.length < 8 || /\s/.test(key)) {
      setError({ message: 'that does not look like an API key', fix: "paste the whole key from the provider's dashboard (no spaces)" });
      return;
    }
    await run('set', () => api.call('settings.setKey', { provider, key }));
  };
  return (
    <>
      <Table.Tr data-testid={`key-row-${provider}`}>
        <Table.Td>
          <Text size="sm" fw={600}>
            {label}
          </Text>
          <Text size="xs" c="dimmed" className="mono">
            {provider}
          </Text>
        </Table.Td>
        <Table.Td>
          {entry.configured ? (
            <Stack gap={2}>
              <Group gap={6} wrap="nowrap" data-testid={`key-status-${provider}`}>
                <Badge color="teal" variant="light">
                  configured
                </Badge>
                <Text size="sm" className="mono" title="the last 4 characters of the key">
                  {entry.hint ?? ''}
                </Text>
              </Group>
              <Text size="xs" c="dimmed">
                {entry.source === 'env' ? `from ${provider.toUpperCase()}_API_KEY` : 'in the keychain'}
              </Text>
              {entry.check && (
                <Text size="xs" c={entry.check.ok ? 'teal.4' : 'orange.4'} data-testid={`key-check-${provider}`}>
                  {entry.check.ok ? 'checked: ' : ''}
                  {entry.check.message}
                </Text>
              )}
            </Stack>
          ) : (
            <Badge color="gray" variant="outline" data-testid={`key-status-${provider}`}>
              not set
            </Badge>
          )}
        </Table.Td>
        <Table.Td>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <Group gap={6} wrap="nowrap">
              <TextInput
                type="password"
                size="xs"
                flex={1}
                autoComplete="off"
                spellCheck={false}
                placeholder={entry.configured ? 'replace the key…' : 'paste the API key…'}
                aria-label={`API key for ${provider}`}
                value={typed}
                onChange={(e) => setTyped(e.currentTarget.value)}
                data-testid={`key-input-${provider}`}
              />
              <Button type="submit" size="xs" loading={busy === 'set'} disabled={!typed} data-testid={`key-save-${provider}`} title="Saves the key and checks it with the service">
                Save
              </Button>
              <Button size="xs" variant="default" loading={busy === 'test'} disabled={!entry.configured} onClick={() => void run('test', () => api.call('settings.testKey', { provider }))} data-testid={`key-test-${provider}`} title="Checks the key with the service (nothing is generated)">
                Test
              </Button>
              <Button
                size="xs"
                variant="subtle"
                color="red"
                loading={busy === 'delete'}
                disabled={!entry.configured || entry.source === 'env'}
                onClick={() => void run('delete', () => api.call('settings.deleteKey', { provider }))}
                title={entry.source === 'env' ? 'set in the environment; remove it there' : 'remove the key from the keychain'}
              >
                Delete
              </Button>
            </Group>
          </form>
        </Table.Td>
      </Table.Tr>
      <ErrorRow error={error} onClose={() => setError(null)} />
    </>
  );
}

function BudgetRow({ provider, label, current, spent }: { provider: string | null; label: string; current: number | null; spent: number | null }) {
  const { api } = useApp('api');
  const { busy, error, setError, run } = useSection();
  const [value, setValue] = useState<number | string>(current ?? '');
  useEffect(() => setValue(current ?? ''), [current]);
  const dirty = (value === '' ? null : Number(value)) !== current;
  return (
    <>
      <Table.Tr data-testid={`budget-row-${provider ?? 'all'}`}>
        <Table.Td>
          <Text size="sm" fw={provider ? 400 : 600} style={{ whiteSpace: 'nowrap' }}>
            {label}
          </Text>
        </Table.Td>
        <Table.Td>
          <Text size="sm" className="mono" c={current !== null && spent !== null && spent > current ? 'red.4' : spent === null ? 'dimmed' : undefined}>
            {spent === null ? '—' : usd(spent)}
          </Text>
        </Table.Td>
        <Table.Td>
          <Group gap={6} wrap="nowrap">
            <NumberInput size="xs" w={120} prefix="$" placeholder="no limit" min={0} decimalScale={2} thousandSeparator="," value={value} onChange={setValue} aria-label={`monthly budget ${label}`} />
            <Button size="xs" disabled={!dirty || value === ''} loading={busy === 'set'} onClick={() => void run('set', () => api.call('settings.setBudget', { provider: provider ?? undefined, monthlyUsd: Number(value) }))}>
              Save
            </Button>
            <Button size="xs" variant="subtle" color="gray" disabled={current === null} loading={busy === 'clear'} onClick={() => void run('clear', () => api.call('settings.setBudget', { provider: provider ?? undefined, monthlyUsd: null }))}>
              Clear
            </Button>
          </Group>
        </Table.Td>
      </Table.Tr>
      <ErrorRow error={error} onClose={() => setError(null)} />
    </>
  );
}

function PathSetting({ label, help, current, placeholder, onSave, onReset, testId }: { label: string; help: string; current: string; placeholder?: string; onSave: (p: string) => Promise<SettingsView>; onReset?: () => Promise<SettingsView>; testId: string }) {
  const { busy, error, setError, run } = useSection();
  const [value, setValue] = useState(current);
  useEffect(() => setValue(current), [current]);
  return (
    <Stack gap={6}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) void run('set', () => onSave(value.trim()));
        }}
      >
        <Group gap={6} align="flex-end" wrap="nowrap">
          <TextInput flex={1} label={label} description={help} value={value} placeholder={placeholder} onChange={(e) => setValue(e.currentTarget.value)} spellCheck={false} data-testid={testId} />
          <Button type="submit" size="sm" disabled={!value.trim() || value.trim() === current} loading={busy === 'set'}>
            Save
          </Button>
          {onReset && (
            <Button size="sm" variant="subtle" color="gray" loading={busy === 'reset'} onClick={() => void run('reset', onReset)}>
              Use default
            </Button>
          )}
        </Group>
      </form>
      <ErrorNote error={error} onClose={() => setError(null)} />
    </Stack>
  );
}

/**
 * The local GPU runner ("local" provider). Its status is read on request only: reading it starts
 * the runner, which loads the GPU stack.
 */
function RunnerPanel() {
  const { api, runnerInstall, clearRunnerInstall } = useApp('api', 'runnerInstall', 'clearRunnerInstall');
  const [status, setStatus] = useState<RunnerView | null>(null);
  const [busy, setBusy] = useState<'check' | 'install' | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);
  const [failed, setFailed] = useState<'check' | 'install' | null>(null);
  const call = async (what: 'check' | 'install') => {
    setBusy(what);
    setError(null);
    if (what === 'install') clearRunnerInstall();
    try {
      setStatus(await api.call(what === 'check' ? 'runner.status' : 'runner.install', {}));
    } catch (e) {
      setFailed(what);
      setError(toErrorView(e));
    } finally {
      setBusy(null);
    }
  };
  const rows: [string, string][] = status
    ? [
        ['Device', [status.device, status.gpuName].filter(Boolean).join(' · ') || '—'],
        ['GPU memory', status.vramGb !== null ? `${status.vramGb.toFixed(1)} GB` : '—'],
        ['torch / CUDA', [status.torch, status.cuda].filter(Boolean).join(' / ') || '—'],
        ['Memory policy', status.memoryPolicy ?? '—'],
        ['Model', status.model ? `${status.model}${status.weightsPresent ? '' : ' (weights not downloaded yet)'}` : '—'],
      ]
    : [];
  return (
    <Paper withBorder p="md" data-testid="runner-panel">
      <Group justify="space-between" align="flex-start">
        <Box>
          <Text fw={600}>Local GPU runner</Text>
          <Text size="xs" c="dimmed">
            Renders with the "local" provider on this machine's GPU, no key needed.
          </Text>
        </Box>
        <Group gap="xs">
          <Button size="xs" variant="default" loading={busy === 'check'} disabled={busy === 'install'} onClick={() => void call('check')}>
            Check status
          </Button>
          {(!status || !status.installed) && (
            <Button size="xs" loading={busy === 'install'} disabled={busy === 'check'} onClick={() => void call('install')}>
              Install runner
            </Button>
          )}
        </Group>
      </Group>
      {status && (
        <Group gap="xs" mt="sm">
          <Badge color={status.available ? 'teal' : status.installed ? 'yellow' : 'gray'} variant="light">
            {status.available ? 'ready' : status.installed ? 'installed, not available' : 'not installed'}
          </Badge>
          {status.reason && status.reason !== 'not installed' && (
            <Text size="xs" c="dimmed">
              {status.reason}
            </Text>
          )}
        </Group>
      )}
      {status?.installed && (
        <Table mt="xs" verticalSpacing={2} withRowBorders={false}>
          <Table.Tbody>
            {rows.map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Td w={140}>
                  <Text size="xs" c="dimmed">
                    {k}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{v}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {runnerInstall && (
        <Box mt="sm">
          <Progress value={(runnerInstall.fraction ?? 0) * 100} size="sm" animated={busy === 'install'} mb={6} />
          <ScrollArea h={120} type="auto">
            <Code block className="install-log">
              {runnerInstall.lines.join('\n')}
            </Code>
          </ScrollArea>
        </Box>
      )}
      <Box mt={error ? 'sm' : 0}>
        <ErrorNote error={error} title={failed === 'install' ? 'The runner could not be installed' : 'The runner could not be checked'} onClose={() => setError(null)} />
      </Box>
    </Paper>
  );
}

export function SettingsScreen() {
  const { api, settings, setSettings, providers, version, electron } = useApp('api', 'settings', 'setSettings', 'providers', 'version', 'electron');
  const [loadError, setLoadError] = useState<ErrorView | null>(null);

  useEffect(() => {
    api.call('settings.get', {}).then(setSettings, (e) => setLoadError(toErrorView(e)));
  }, [api, setSettings]);

  if (!settings) return <Box p="md">{loadError ? <ErrorNote error={loadError} title="Settings could not be read" /> : <Text c="dimmed">Loading…</Text>}</Box>;

  const labelOf = (id: string) => providers.find((p) => p.id === id)?.label ?? id;
  const overall = settings.budgets.find((b) => b.provider === null);
  const providerBudgets = providers.filter((p) => p.kind === 'remote');

  return (
    <Stack gap="md" p="md" className="screen-scroll">
      <Box>
        <Title order={3}>Settings</Title>
        <Text size="sm" c="dimmed">
          Keys are stored in the operating system's keychain and never shown again: only their last 4 characters.
        </Text>
      </Box>

      {settings.keychainProblem && (
        <ErrorNote
          title="The keychain cannot be used"
          error={splitProblem(settings.keychainProblem)}
          testId="keychain-problem"
        />
      )}

      <Paper withBorder p="md">
        <Text fw={600} mb="xs">
          Provider keys
        </Text>
        <Table verticalSpacing={6} data-testid="keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={180}>Provider</Table.Th>
              <Table.Th w={260}>Status</Table.Th>
              <Table.Th>Key (write-only)</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {settings.keys.map((k) => (
              <KeyRow key={k.provider} provider={k.provider} label={labelOf(k.provider)} entry={k} />
            ))}
          </Table.Tbody>
        </Table>
      </Paper>

      <Grid gap="md">
        <Grid.Col span={7}>
          <Paper withBorder p="md" h="100%">
            <Text fw={600}>Monthly budgets</Text>
            <Text size="xs" c="dimmed" mb="xs">
              Shots that would pass a budget are held back before anything is sent.
            </Text>
            <Table verticalSpacing={4} data-testid="budgets">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Budget</Table.Th>
                  <Table.Th w={110}>This month</Table.Th>
                  <Table.Th>Limit</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                <BudgetRow provider={null} label="All providers" current={overall?.monthlyUsd ?? null} spent={overall?.spentUsd ?? null} />
                {providerBudgets.map((p) => {
                  const b = settings.budgets.find((x) => x.provider === p.id);
                  return <BudgetRow key={p.id} provider={p.id} label={p.label} current={b?.monthlyUsd ?? null} spent={b?.spentUsd ?? null} />;
                })}
              </Table.Tbody>
            </Table>
          </Paper>
        </Grid.Col>
        <Grid.Col span={5}>
          <Paper withBorder p="md" h="100%">
            <Stack gap="md">
              <Text fw={600}>Locations</Text>
              <PathSetting
                label="ffmpeg"
                help={settings.ffmpegFound ? `In use: ${settings.ffmpegFound}` : 'ffmpeg was not found: choose the program'}
                current={settings.ffmpegPath ?? ''}
                placeholder={settings.ffmpegFound ?? '/usr/bin/ffmpeg'}
                onSave={(p) => api.call('settings.setFfmpegPath', { path: p })}
                onReset={settings.ffmpegPath ? () => api.call('settings.setFfmpegPath', { path: null }) : undefined}
                testId="ffmpeg-input"
              />
              <PathSetting label="Projects folder" help="Where named projects (clips, queue, film) are created" current={settings.projectsDir} onSave={(p) => api.call('settings.setProjectsDir', { path: p })} testId="projects-input" />
              <Group gap="sm" justify="space-between">
                <Text size="xs" c="dimmed">
                  LTX Batch {version} · {electron ? 'desktop app' : 'browser mode'}
                </Text>
                <DiagnosticsButton />
              </Group>
            </Stack>
          </Paper>
        </Grid.Col>
      </Grid>

      <RunnerPanel />
      <FarmPanel />
    </Stack>
  );
}

/** "the OS keychain is not available (cause). What to do…" -> message and fix. */
function splitProblem(problem: string): ErrorView {
  const m = /^(.*?\)\.)\s+(.+)$/s.exec(problem);
  return m ? { message: m[1], fix: m[2] } : { message: problem };
}
