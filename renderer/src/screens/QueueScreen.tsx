import { Badge, Box, Button, Group, Menu, Paper, Progress, Stack, Text, Title, Tooltip, UnstyledButton } from '@mantine/core';
import { createColumnHelper, useTable } from '@tanstack/react-table';
import { createContext, useContext, useMemo, useState } from 'react';
import type { ErrorView, JobView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { ClipPlayer } from '../components/ClipPlayer';
import { ErrorNote } from '../components/ErrorNote';
import { VirtualGrid, gridFeatures } from '../components/VirtualGrid';
import { plural } from '../format';
import { useApp } from '../state';
import { useThumbnail } from '../thumbnails';

const STATE_COLOR: Record<JobView['state'], string> = {
  queued: 'gray',
  submitting: 'cyan',
  running: 'indigo',
  downloading: 'violet',
  succeeded: 'teal',
  failed: 'red',
  canceled: 'dark',
};
const LIVE = new Set<JobView['state']>(['queued', 'submitting', 'running', 'downloading']);

interface QueueCtx {
  act: (job: JobView, what: 'cancel' | 'retry' | 'rerender') => Promise<void>;
  play: (job: JobView) => void;
  busy: Set<number>;
  latestTake: Map<number, number>;
}
const Ctx = createContext<QueueCtx | null>(null);
const useQueue = () => useContext(Ctx)!;

function Thumb({ job }: { job: JobView }) {
  const { play } = useQueue();
  const ok = job.state === 'succeeded' && !!job.clipUrl;
  const url = useThumbnail(job.id, ok);
  if (!ok) return <div className="thumb thumb-empty" />;
  return (
    <UnstyledButton className="thumb" onClick={() => play(job)} title={`play shot ${job.shot}, take ${job.take}`} aria-label={`play shot ${job.shot} take ${job.take}`} data-testid={`thumb-${job.shot}`}>
      {url ? <img src={url} alt="" /> : url === null ? <span className="thumb-none">▶</span> : <span className="thumb-loading" />}
      <span className="thumb-play">▶</span>
    </UnstyledButton>
  );
}

function StateCell({ job }: { job: JobView }) {
  return (
    <Stack gap={3} w="100%">
      <Group gap={4} wrap="nowrap">
        <Badge size="xs" color={STATE_COLOR[job.state]} variant={job.state === 'succeeded' ? 'filled' : 'light'} data-testid="job-state">
          {job.state}
        </Badge>
        {job.maybeDuplicate && (
          <Tooltip label="The service may have rendered this twice (a submit was retried after an unclear answer). Check your provider's dashboard." multiline w={260}>
            <Badge size="xs" color="yellow" variant="outline">
              dup?
            </Badge>
          </Tooltip>
        )}
      </Group>
      <Progress size={4} value={job.state === 'succeeded' ? 100 : Math.round(job.progress * 100)} color={STATE_COLOR[job.state]} animated={LIVE.has(job.state) && job.state !== 'queued'} />
    </Stack>
  );
}

function DetailCell({ job }: { job: JobView }) {
  const lines: { text: string; cls: string }[] = [];
  if (job.error && job.state !== 'succeeded') lines.push({ text: job.error, cls: job.state === 'canceled' ? 'dim' : 'err' });
  if (job.holdReason && LIVE.has(job.state)) lines.push({ text: `waiting: ${job.holdReason}`, cls: 'warn' });
  for (const n of job.notes) lines.push({ text: n, cls: 'dim' });
  if (!lines.length) return null;
  const all = lines.map((l) => l.text).join('\n');
  return (
    <div className="detail" title={all}>
      <div className={`detail-line ${lines[0].cls}`}>{lines[0].text}</div>
      {lines.length > 1 && <div className="detail-more">+{lines.length - 1} more (hover)</div>}
    </div>
  );
}

function ActionsCell({ job }: { job: JobView }) {
  const { act, busy, latestTake } = useQueue();
  const live = LIVE.has(job.state);
  const latest = latestTake.get(job.shotId) === job.take;
  return (
    <Group gap={4} wrap="nowrap" justify="flex-end" w="100%">
      {live && (
        <Button size="compact-xs" variant="subtle" color="red" loading={busy.has(job.id)} onClick={() => void act(job, 'cancel')}>
          Cancel
        </Button>
      )}
      {(job.state === 'failed' || job.state === 'canceled') && latest && (
        <Button size="compact-xs" variant="light" loading={busy.has(job.id)} onClick={() => void act(job, 'retry')}>
          Retry
        </Button>
      )}
      {job.state === 'succeeded' && latest && (
        <Tooltip label="Render this shot again as a new take; choose the take on the timeline">
          <Button size="compact-xs" variant="subtle" loading={busy.has(job.id)} onClick={() => void act(job, 'rerender')}>
            New take
          </Button>
        </Tooltip>
      )}
    </Group>
  );
}

const col = createColumnHelper<typeof gridFeatures, JobView>();
const columns = col.columns([
  col.display({ id: 'thumb', header: '', size: 84, cell: (c) => <Thumb job={c.row.original} /> }),
  col.accessor('shot', { header: 'Shot', size: 64, cell: (c) => <span className="cell-text strong">{c.getValue()}</span> }),
  col.accessor('take', { header: 'Take', size: 58, meta: { align: 'right' }, cell: (c) => <span className="cell-text mono">{c.getValue()}</span> }),
  col.accessor('provider', { header: 'Provider', size: 100, cell: (c) => <span className="cell-text">{c.getValue()}</span> }),
  col.accessor('state', { header: 'State', size: 128, cell: (c) => <StateCell job={c.row.original} /> }),
  col.accessor('attempts', { header: 'Tries', size: 60, meta: { align: 'right' }, cell: (c) => <span className="cell-text mono">{c.getValue()}</span> }),
  col.accessor('estimate', { header: 'Estimate', size: 84, meta: { align: 'right' }, cell: (c) => <span className="cell-text mono dim">{c.getValue()}</span> }),
  col.accessor('actual', { header: 'Actual', size: 76, meta: { align: 'right' }, cell: (c) => <span className="cell-text mono">{c.getValue()}</span> }),
  col.display({ id: 'detail', header: 'Errors and notes', size: 200, meta: { grow: true }, cell: (c) => <DetailCell job={c.row.original} /> }),
  col.display({ id: 'actions', header: '', size: 120, cell: (c) => <ActionsCell job={c.row.original} /> }),
]);

export function QueueScreen() {
  const { api, jobs, render, paused, setPaused, stitchFraction, setScreen, project, refreshJobs } = useApp();
  const [error, setError] = useState<ErrorView | null>(null);
  const [busy, setBusy] = useState<Set<number>>(new Set());
  const [clip, setClip] = useState<{ url: string; title: string } | null>(null);
  const [providerBusy, setProviderBusy] = useState<string | null>(null);

  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const j of jobs) c[j.state] = (c[j.state] ?? 0) + 1;
    return c;
  }, [jobs]);
  const latestTake = useMemo(() => {
    const m = new Map<number, number>();
    for (const j of jobs) m.set(j.shotId, Math.max(m.get(j.shotId) ?? 0, j.take));
    return m;
  }, [jobs]);
  const providers = useMemo(() => [...new Set(jobs.map((j) => j.provider))].sort(), [jobs]);
  const ended = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.canceled ?? 0);
  const progress = jobs.length ? (100 * jobs.reduce((s, j) => s + (LIVE.has(j.state) ? j.progress : 1), 0)) / jobs.length : 0;

  const ctx = useMemo<QueueCtx>(
    () => ({
      busy,
      latestTake,
      play: (j) => j.clipUrl && setClip({ url: j.clipUrl, title: `Shot ${j.shot} · take ${j.take}` }),
      act: async (job, what) => {
        setBusy((b) => new Set(b).add(job.id));
        setError(null);
        try {
          if (what === 'cancel') await api.call('queue.cancel', { jobId: job.id });
          else if (what === 'retry') await api.call('queue.retry', { jobId: job.id });
          else await api.call('queue.rerender', { shotId: job.shotId });
        } catch (e) {
          const v = toErrorView(e);
          setError({ ...v, message: `shot ${job.shot}: ${v.message}` });
        } finally {
          setBusy((b) => {
            const n = new Set(b);
            n.delete(job.id);
            return n;
          });
        }
      },
    }),
    [api, busy, latestTake],
  );

  const table = useTable({ features: gridFeatures, columns, data: jobs, getRowId: (j) => String(j.id) });

  const toggleProvider = async (p: string) => {
    setProviderBusy(p);
    setError(null);
    try {
      if (paused[p]) {
        await api.call('queue.resumeProvider', { provider: p });
        setPaused(p, null);
      } else {
        await api.call('queue.pauseProvider', { provider: p });
        setPaused(p, 'paused by you');
      }
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setProviderBusy(null);
    }
  };

  return (
    <Stack gap="sm" p="md" className="screen-fill">
      <Group justify="space-between" align="flex-end" wrap="nowrap">
        <Box>
          <Title order={3}>Queue</Title>
          <Text size="sm" c="dimmed">
            Every take of every shot, live. The queue survives a restart: open the same project to resume.
          </Text>
        </Box>
        <Group gap="xs">
          <Button variant="default" size="xs" onClick={() => void refreshJobs().catch((e) => setError(toErrorView(e)))} disabled={!project}>
            Refresh
          </Button>
          <Button size="xs" onClick={() => setScreen('timeline')} disabled={!counts.succeeded}>
            Timeline →
          </Button>
        </Group>
      </Group>

      {renderBanner()}

      <Paper withBorder p="sm">
        <Group gap="lg" wrap="nowrap" align="center">
          <Box flex={1}>
            <Group justify="space-between" mb={4}>
              <Text size="sm" fw={600} data-testid="batch-progress-label">
                {jobs.length ? `${ended} of ${plural(jobs.length, 'take')} done` : 'Nothing queued'}
              </Text>
              <Text size="xs" c="dimmed" className="mono">
                {Math.round(progress)}%
              </Text>
            </Group>
            <Progress.Root size="lg" data-testid="batch-progress">
              <Progress.Section value={jobs.length ? (100 * (counts.succeeded ?? 0)) / jobs.length : 0} color="teal" />
              <Progress.Section value={jobs.length ? (100 * (counts.failed ?? 0)) / jobs.length : 0} color="red" />
              <Progress.Section value={jobs.length ? (100 * (counts.canceled ?? 0)) / jobs.length : 0} color="dark.3" />
              <Progress.Section value={Math.max(0, progress - (100 * ended) / Math.max(1, jobs.length))} color="indigo" striped animated />
            </Progress.Root>
          </Box>
          <Group gap={6} wrap="nowrap" data-testid="queue-counts">
            {(['queued', 'running', 'succeeded', 'failed', 'canceled'] as const).map((s) => {
              const n = s === 'running' ? (counts.running ?? 0) + (counts.submitting ?? 0) + (counts.downloading ?? 0) : (counts[s] ?? 0);
              return (
                <Badge key={s} color={STATE_COLOR[s]} variant={n ? 'light' : 'outline'} size="md" data-testid={`count-${s}`}>
                  {n} {s}
                </Badge>
              );
            })}
          </Group>
        </Group>
        {providers.length > 0 && (
          <Group gap="xs" mt="sm">
            <Text size="xs" c="dimmed">
              Providers:
            </Text>
            {providers.map((p) => (
              <Menu key={p} position="bottom-start" withinPortal>
                <Menu.Target>
                  <Button size="compact-xs" variant={paused[p] ? 'filled' : 'default'} color={paused[p] ? 'yellow' : undefined} loading={providerBusy === p} title={paused[p] ? `paused: ${paused[p]}` : 'running'}>
                    {p}
                    {paused[p] ? ' — paused' : ''}
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  {paused[p] && <Menu.Label>{paused[p]}</Menu.Label>}
                  <Menu.Item onClick={() => void toggleProvider(p)}>{paused[p] ? `Resume ${p}` : `Pause ${p}`}</Menu.Item>
                </Menu.Dropdown>
              </Menu>
            ))}
            {Object.entries(paused)
              .filter(([p]) => providers.includes(p))
              .map(([p, reason]) => (
                <Text key={p} size="xs" c="yellow.4" data-testid={`paused-${p}`}>
                  {p} is paused: {reason}
                </Text>
              ))}
          </Group>
        )}
      </Paper>

      <ErrorNote error={error} onClose={() => setError(null)} />

      <Ctx.Provider value={ctx}>
        <VirtualGrid
          table={table}
          testId="queue-grid"
          rowHeight={() => 52}
          rowTestId={(j) => `job-${j.shot}-${j.take}`}
          rowClassName={(j) => `state-${j.state} ${latestTake.get(j.shotId) !== j.take ? 'old-take' : ''}`}
          empty={
            <Stack align="center" gap="xs" py="xl">
              <Text c="dimmed">{project ? 'This project has no jobs yet.' : 'Nothing has been rendered yet.'}</Text>
              <Button variant="light" onClick={() => setScreen('shots')}>
                Go to Shots and press Render
              </Button>
            </Stack>
          }
        />
      </Ctx.Provider>
      <ClipPlayer clip={clip} onClose={() => setClip(null)} />
    </Stack>
  );

  function renderBanner() {
    if (render.kind === 'running')
      return (
        <Paper withBorder p="xs" px="sm" className="banner banner-running" data-testid="render-status">
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" fw={600}>
              {stitchFraction !== null ? 'Stitching the film…' : 'Rendering…'}
            </Text>
            {stitchFraction !== null && <Progress value={stitchFraction * 100} flex={1} size="sm" />}
          </Group>
        </Paper>
      );
    if (render.kind === 'finished') {
      const r = render.result;
      const waiting = Object.entries(r.waiting).filter(([, n]) => n > 0);
      return (
        <Paper withBorder p="xs" px="sm" className={`banner ${r.failed ? 'banner-failed' : 'banner-done'}`} data-testid="render-status">
          <Group gap="sm" wrap="nowrap" justify="space-between">
            <Box>
              <Text size="sm" fw={600} data-testid="render-finished">
                Render finished: {r.succeeded} succeeded, {r.failed} failed
                {waiting.length ? `, waiting: ${waiting.map(([k, n]) => `${n} (${k})`).join(', ')}` : ''}
              </Text>
              {r.filmSkipped && (
                <Text size="xs" c="dimmed">
                  No film yet: {r.filmSkipped}
                </Text>
              )}
            </Box>
            {r.succeeded > 0 && (
              <Button size="xs" variant="light" onClick={() => setScreen('timeline')} style={{ flex: 'none' }}>
                {r.filmUrl ? 'Watch the film' : 'Open the timeline'}
              </Button>
            )}
          </Group>
        </Paper>
      );
    }
    if (render.kind === 'failed') return <ErrorNote error={{ message: render.message }} title="The render stopped" testId="render-failed" />;
    return null;
  }
}
