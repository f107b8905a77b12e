import { ActionIcon, Anchor, Badge, Box, Button, Group, Menu, NumberInput, Paper, Popover, Progress, Stack, Text, Title, Tooltip, UnstyledButton } from '@mantine/core';
import { createColumnHelper, useTable } from '@tanstack/react-table';
import { createContext, memo, useCallback, useContext, useMemo, useState } from 'react';
import type { ErrorView, JobView, MethodResults } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { ClipPlayer } from '../components/ClipPlayer';
import { ErrorNote } from '../components/ErrorNote';
import { EditTakeButton } from '../components/EditTake';
import { GridRow, VirtualGrid, gridFeatures, type GridRowProps } from '../components/VirtualGrid';
import { plural } from '../format';
import { LIVE_STATES as LIVE } from '../jobs';
import { useApp, useAppStore, useJob } from '../state';
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

/** What the rows share: the actions and which jobs have one on its way. */
interface QueueCtx {
  /** An action on a job; `seed` pins a new take's seed. */
  act: (job: JobView, what: 'cancel' | 'retry' | 'rerender' | 'choose', seed?: number) => Promise<void>;
  play: (job: JobView) => void;
  busy: ReadonlySet<number>;
}
const Ctx = createContext<QueueCtx | null>(null);
const useQueue = () => useContext(Ctx)!;

/** The job a row shows, whether it is its shot's latest take, and whether it is the chosen take (cells read it from here). */
interface RowJobState {
  job: JobView;
  latest: boolean;
  chosen: boolean;
}
const RowJob = createContext<RowJobState | null>(null);
const useRowJob = () => useContext(RowJob)!;

function Thumb() {
  const { job } = useRowJob();
  const { play } = useQueue();
  const ok = job.state === 'succeeded' && !!job.clipUrl;
  const url = useThumbnail(job.id, ok ? job.clipUrl : null);
  if (!ok) return <div className="thumb thumb-empty" />;
  return (
    <UnstyledButton className="thumb" onClick={() => play(job)} title={`play shot ${job.shot}, take ${job.take}`} aria-label={`play shot ${job.shot} take ${job.take}`} data-testid={`thumb-${job.shot}`}>
      {url ? <img src={url} alt="" /> : url === null ? <span className="thumb-none">▶</span> : <span className="thumb-loading" />}
      <span className="thumb-play">▶</span>
    </UnstyledButton>
  );
}

/** The take number, its seed, and whether it is the chosen take (what the film uses). */
function TakeCell() {
  const { job, chosen } = useRowJob();
  return (
    <Stack gap={0} align="flex-end" w="100%">
      <span className="cell-text mono">
        {chosen && (
          <span className="chosen-mark" role="img" aria-label="chosen take: the film uses it" title="chosen take: the film uses it">
            ●{' '}
          </span>
        )}
        {job.take}
      </span>
      {job.seed !== null && <span className="cell-text mono dim small">seed {job.seed}</span>}
    </Stack>
  );
}

/** A plain text cell of one of the job's fields. */
function JobText({ field, className }: { field: 'shot' | 'take' | 'provider' | 'attempts' | 'estimate' | 'actual'; className: string }) {
  const { job } = useRowJob();
  return <span className={className}>{job[field]}</span>;
}

function StateCell() {
  const { job } = useRowJob();
  return (
    <Stack gap={3} w="100%">
      <Group gap={4} wrap="nowrap">
        <Badge size="xs" color={STATE_COLOR[job.state]} variant="light" data-testid="job-state">
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
      <Progress size={4} value={job.state === 'succeeded' ? 100 : Math.round(job.progress * 100)} color={STATE_COLOR[job.state]} animated={LIVE.has(job.state) && job.state !== 'queued'} aria-label={`progress of shot ${job.shot} take ${job.take}`} />
    </Stack>
  );
}

function DetailCell() {
  const { job } = useRowJob();
  const lines: { text: string; cls: string }[] = [];
  if (job.edit) lines.push({ text: job.edit, cls: 'dim' });
  if (job.error && job.state !== 'succeeded') lines.push({ text: job.error, cls: job.state === 'canceled' ? 'dim' : 'err' });
  if (job.holdReason && LIVE.has(job.state)) lines.push({ text: job.holdReason.startsWith('waiting for shot ') ? job.holdReason : `held back: ${job.holdReason}`, cls: 'warn' });
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

/** "New take" with a pinned seed: a small form in a popover. */
function PinnedSeedTake() {
  const { job } = useRowJob();
  const { act } = useQueue();
  const [open, setOpen] = useState(false);
  const [seed, setSeed] = useState<number | string>('');
  return (
    <Popover opened={open} onChange={setOpen} position="bottom-end" withArrow trapFocus>
      <Popover.Target>
        <ActionIcon size="sm" variant="subtle" aria-label={`new take of shot ${job.shot} with a seed you choose`} onClick={() => setOpen((o) => !o)}>
          ⋯
        </ActionIcon>
      </Popover.Target>
      <Popover.Dropdown>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (typeof seed !== 'number') return;
            setOpen(false);
            void act(job, 'rerender', seed);
          }}
        >
          <Group gap={6} align="flex-end" wrap="nowrap">
            <NumberInput size="xs" label="Seed of the new take" min={0} max={4294967295} allowDecimal={false} allowNegative={false} value={seed} onChange={setSeed} w={150} data-autofocus />
            <Button size="xs" type="submit" disabled={typeof seed !== 'number'}>
              Render
            </Button>
          </Group>
        </form>
      </Popover.Dropdown>
    </Popover>
  );
}

/** "Retake / extend…" for a finished take whose provider makes edits. */
function EditTake({ job }: { job: JobView }) {
  const { providers } = useApp('providers');
  const kinds = providers.find((p) => p.id === job.provider)?.edits ?? [];
  if (!kinds.length || job.durationS === null) return null;
  return <EditTakeButton jobId={job.id} shot={job.shot} take={job.take} lengthS={job.durationS} kinds={kinds} />;
}

function ActionsCell() {
  const { job, latest, chosen } = useRowJob();
  const { act, busy } = useQueue();
  const live = LIVE.has(job.state);
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
      {job.state === 'succeeded' && !chosen && (
        <Button size="compact-xs" variant="light" loading={busy.has(job.id)} onClick={() => void act(job, 'choose')} aria-label={`use take ${job.take} of shot ${job.shot} in the film`}>
          Use take
        </Button>
      )}
      {job.state === 'succeeded' && latest && (
        <>
          <Tooltip label={`Render this shot again as a new take, with the next seed it has not used (up to ${job.estimate}, as this take); choose the take here or on the timeline`}>
            <Button size="compact-xs" variant="subtle" loading={busy.has(job.id)} onClick={() => void act(job, 'rerender')} aria-label={`New take · ${job.estimate}, of shot ${job.shot}`}>
              New take · {job.estimate}
            </Button>
          </Tooltip>
          <PinnedSeedTake />
        </>
      )}
      {job.state === 'succeeded' && <EditTake job={job} />}
    </Group>
  );
}

/** A grid row: the id of its job only (see JobRow). */
interface JobRef {
  id: number;
}

// The grid's rows are job ids: the row model changes only when jobs are added or move, and each
// row (JobRow) subscribes to its own job.
const col = createColumnHelper<typeof gridFeatures, JobRef>();
const columns = col.columns([
  col.display({ id: 'thumb', header: '', size: 84, cell: () => <Thumb /> }),
  col.display({ id: 'shot', header: 'Shot', size: 64, cell: () => <JobText field="shot" className="cell-text strong" /> }),
  col.display({ id: 'take', header: 'Take', size: 96, meta: { align: 'right' }, cell: () => <TakeCell /> }),
  col.display({ id: 'provider', header: 'Provider', size: 100, cell: () => <JobText field="provider" className="cell-text" /> }),
  col.display({ id: 'state', header: 'State', size: 128, cell: () => <StateCell /> }),
  col.display({ id: 'attempts', header: 'Tries', size: 60, meta: { align: 'right' }, cell: () => <JobText field="attempts" className="cell-text mono" /> }),
  col.display({ id: 'estimate', header: 'Estimate', size: 84, meta: { align: 'right' }, cell: () => <JobText field="estimate" className="cell-text mono dim" /> }),
  col.display({ id: 'actual', header: 'Actual', size: 76, meta: { align: 'right' }, cell: () => <JobText field="actual" className="cell-text mono" /> }),
  col.display({ id: 'detail', header: 'Errors and notes', size: 160, meta: { grow: true }, cell: () => <DetailCell /> }),
  col.display({ id: 'actions', header: '', size: 340, cell: () => <ActionsCell /> }),
]);

/** One job's row: renders again only when its job (or whether it is the latest take) changes. */
const JobRow = memo(function JobRow(props: GridRowProps<JobRef>) {
  const job = useJob(props.row.original.id);
  const latest = useAppStore((s) => (job ? s.latestTake.get(job.shotId) === job.take : false));
  const chosen = useAppStore((s) => (job ? s.chosenTake.get(job.shotId) === job.id : false));
  const state = useMemo(() => (job ? { job, latest, chosen } : null), [job, latest, chosen]);
  if (!state) return null;
  return (
    <RowJob.Provider value={state}>
      <GridRow {...props} className={`state-${state.job.state} ${latest || chosen ? '' : 'old-take'} ${chosen ? 'chosen-take' : ''}`} testId={`job-${state.job.shot}-${state.job.take}`} />
    </RowJob.Provider>
  );
});

const ROW_HEIGHT = () => 52;

/** Takes done of all, the batch's progress bar and the count of each state; renders again only when the counts change. */
function QueueProgress() {
  const stats = useAppStore((s) => s.jobStats);
  const total = stats.total;
  const counts = stats.byState;
  const ended = stats.ended;
  const progress = total ? (100 * stats.progress) / total : 0;
  return (
    <Group gap="lg" wrap="wrap" align="center">
      <Box flex={1}>
        <Group justify="space-between" mb={4}>
          <Text size="sm" fw={600} data-testid="batch-progress-label">
            {total ? `${ended} of ${plural(total, 'take')} done` : 'Nothing queued'}
          </Text>
          <Text size="xs" c="dimmed" className="mono">
            {Math.round(progress)}%
          </Text>
        </Group>
        <Progress.Root size="lg" data-testid="batch-progress">
          <Progress.Section value={total ? (100 * counts.succeeded) / total : 0} color="teal" aria-label="takes succeeded" />
          <Progress.Section value={total ? (100 * counts.failed) / total : 0} color="red" aria-label="takes failed" />
          <Progress.Section value={total ? (100 * counts.canceled) / total : 0} color="dark.3" aria-label="takes canceled" />
          <Progress.Section value={Math.max(0, progress - (100 * ended) / Math.max(1, total))} color="indigo" striped animated aria-label="takes in progress" />
        </Progress.Root>
      </Box>
      <Group gap={6} wrap="wrap" data-testid="queue-counts">
        {(['queued', 'running', 'succeeded', 'failed', 'canceled'] as const).map((s) => {
          const n = s === 'running' ? counts.running + counts.submitting + counts.downloading : counts[s];
          return (
            <Badge key={s} color={n ? STATE_COLOR[s] : 'gray'} variant={n ? 'light' : 'default'} size="md" data-testid={`count-${s}`}>
              {n} {s}
            </Badge>
          );
        })}
      </Group>
    </Group>
  );
}

/** The providers of the queue's jobs, each with a menu to pause or resume it, and why those paused are. */
function ProviderBar({ onError }: { onError: (e: ErrorView | null) => void }) {
  const { api, jobProviders: providers, paused, setPaused } = useApp('api', 'jobProviders', 'paused', 'setPaused');
  const [providerBusy, setProviderBusy] = useState<string | null>(null);
  if (!providers.length) return null;

  const toggleProvider = async (p: string) => {
    setProviderBusy(p);
    onError(null);
    try {
      if (paused[p]) {
        await api.call('queue.resumeProvider', { provider: p });
        setPaused(p, null);
      } else {
        await api.call('queue.pauseProvider', { provider: p });
        setPaused(p, 'paused by you');
      }
    } catch (e) {
      onError(toErrorView(e));
    } finally {
      setProviderBusy(null);
    }
  };

  return (
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
  );
}

/**
 * The Queue screen: every take of the open project, live, virtualised (10,000 jobs scroll like 10);
 * a job update renders that job's row and the counters only.
 */
export function QueueScreen() {
  const { api, jobIds, setScreen, project, refreshJobs } = useApp('api', 'jobIds', 'setScreen', 'project', 'refreshJobs');
  const anySucceeded = useAppStore((s) => s.jobStats.byState.succeeded > 0);
  const [error, setError] = useState<ErrorView | null>(null);
  const [busy, setBusy] = useState<ReadonlySet<number>>(new Set());
  const [clip, setClip] = useState<{ url: string; title: string } | null>(null);
  const [writing, setWriting] = useState(false);
  const [results, setResults] = useState<MethodResults['report.xlsx'] | null>(null);
  const resultsXlsx = async () => {
    setWriting(true);
    setError(null);
    try {
      setResults(await api.call('report.xlsx', {}));
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setWriting(false);
    }
  };

  const play = useCallback((j: JobView) => j.clipUrl && setClip({ url: j.clipUrl, title: `Shot ${j.shot} · take ${j.take}` }), []);
  const act = useCallback(
    async (job: JobView, what: 'cancel' | 'retry' | 'rerender' | 'choose', seed?: number) => {
      setBusy((b) => new Set(b).add(job.id));
      setError(null);
      try {
        if (what === 'cancel') await api.call('queue.cancel', { jobId: job.id });
        else if (what === 'retry') await api.call('queue.retry', { jobId: job.id });
        else if (what === 'choose') await api.call('queue.chooseTake', { shotId: job.shotId, jobId: job.id });
        else await api.call('queue.rerender', seed === undefined ? { shotId: job.shotId } : { shotId: job.shotId, seed });
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
    [api],
  );
  const ctx = useMemo<QueueCtx>(() => ({ busy, play, act }), [busy, play, act]);

  const data = useMemo(() => jobIds.map((id) => ({ id })), [jobIds]);
  const table = useTable({ features: gridFeatures, columns, data, getRowId: (r) => String(r.id) });

  return (
    <Stack gap="sm" p="md" className="screen-fill">
      <Group justify="space-between" align="flex-end" wrap="wrap">
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
          <Tooltip label="The storyboard with each shot's state, take, clip, cost and a thumbnail, as an XLSX you can edit and render again" multiline w={260}>
            <Button variant="default" size="xs" loading={writing} disabled={!project} onClick={() => void resultsXlsx()} data-testid="results-xlsx">
              Results to spreadsheet
            </Button>
          </Tooltip>
          <Button size="xs" onClick={() => setScreen('timeline')} disabled={!anySucceeded}>
            Timeline →
          </Button>
        </Group>
      </Group>

      <RenderBanner />

      <Paper withBorder p="sm">
        <QueueProgress />
        <ProviderBar onError={setError} />
      </Paper>

      <ErrorNote error={error} onClose={() => setError(null)} />
      {results && (
        <Text size="xs" c="dimmed" data-testid="results-xlsx-done">
          {results.rows} row(s) with {results.thumbnails} thumbnail(s) written to{' '}
          <Anchor href={results.url} download size="xs">
            {results.file}
          </Anchor>
          . Edit it and render it into this project again: only the rows you changed are rendered.
        </Text>
      )}

      <Ctx.Provider value={ctx}>
        <VirtualGrid
          table={table}
          testId="queue-grid"
          rowHeight={ROW_HEIGHT}
          rowComponent={JobRow}
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
}

/**
 * The shots that have no finished take now, as the Timeline sees them: those among the render's
 * placeholders (`placeholders`, which include shots with no take at all) and the queue's shots
 * that still have no finished take; in film order where the queue knows it.
 */
function missingShots(jobById: ReadonlyMap<number, JobView>, placeholders: string[]): string[] {
  const have = new Set<string>();
  const order = new Map<string, number>(placeholders.map((k, i) => [k, -placeholders.length + i]));
  for (const j of jobById.values()) {
    order.set(j.shot, j.order);
    if (j.state === 'succeeded') have.add(j.shot);
  }
  return [...order.entries()].filter(([k]) => !have.has(k)).sort((a, b) => a[1] - b[1]).map(([k]) => k);
}

/** The render's status: running (or stitching), finished with its figures, or failed. */
function RenderBanner() {
  const jobById = useAppStore((s) => s.jobById);
  const { render, stitchFraction, setScreen } = useApp('render', 'stitchFraction', 'setScreen');
  if (render.kind === 'running')
    return (
      <Paper withBorder p="xs" px="sm" className="banner banner-running" data-testid="render-status">
        <Group gap="sm" wrap="nowrap">
          <Text size="sm" fw={600}>
            {stitchFraction !== null ? 'Stitching the film…' : 'Rendering…'}
          </Text>
          {stitchFraction !== null && <Progress value={stitchFraction * 100} flex={1} size="sm" aria-label="film export" />}
        </Group>
      </Paper>
    );
  if (render.kind === 'finished') {
    const r = render.result;
    // What is missing now (a take may have finished since the render ended), as the Timeline sees it.
    const missingNow = missingShots(jobById, r.placeholders);
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
            {r.filmUrl && (missingNow.length > 0 || r.placeholders.length > 0) && (
              <Text size="xs" c="dimmed" data-testid="render-placeholders">
                {missingNow.length > 0
                  ? `The film is a rough cut: shot ${missingNow.join(', ')} ${missingNow.length > 1 ? 'have' : 'has'} no clip yet and ${missingNow.length > 1 ? 'are placeholder cards' : 'is a placeholder card'} in it.`
                  : 'Every shot has a clip now: export the film again on the Timeline.'}
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
