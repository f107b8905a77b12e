import { Badge, Box, Button, Group, NumberInput, Paper, Progress, ScrollArea, SegmentedControl, Stack, Text, Title, Tooltip, UnstyledButton } from '@mantine/core';
import { DndContext, KeyboardSensor, PointerSensor, closestCenter, useSensor, useSensors, type DragEndEvent } from '@dnd-kit/core';
import { SortableContext, arrayMove, horizontalListSortingStrategy, sortableKeyboardCoordinates, useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { Fragment, useEffect, useState } from 'react';
import type { ErrorView, TimelineView } from '../../../main/contract/api';
import { toErrorView } from '../api';
import { ClipPlayer } from '../components/ClipPlayer';
import { ErrorNote } from '../components/ErrorNote';
import { EditTakeButton } from '../components/EditTake';
import { EditorExportMenu, EditorExportNote, type EditorExportResult } from '../components/EditorExport';
import { seconds } from '../format';
import { useApp, useAppStore } from '../state';
import { useThumbnail } from '../thumbnails';

type Clip = TimelineView['clips'][number];
import { jointsAfterReorder, type Joint } from '../timeline-joints';

/** One take in a shot's strip: its thumbnail; a click makes it the chosen take (renders nothing). */
function TakeThumb({ shot, take, chosen, onChoose }: { shot: string; take: Clip['takes'][number]; chosen: boolean; onChoose: () => void }) {
  const thumb = useThumbnail(take.jobId, take.clipUrl);
  const label = `take ${take.take}${take.seed !== null ? `, seed ${take.seed}` : ''}`;
  return (
    <UnstyledButton
      className={`take-thumb${chosen ? ' is-chosen' : ''}`}
      onClick={onChoose}
      aria-pressed={chosen}
      aria-label={`${chosen ? 'chosen: ' : 'use '}${label} of shot ${shot}`}
      title={`${label}${chosen ? ' (chosen: the film uses it)' : ': click to use it in the film'}`}
      data-testid={`take-${shot}-${take.take}`}
    >
      {thumb ? <img src={thumb} alt={`shot ${shot} ${label}`} /> : null}
      <span className="take-label">{take.take}</span>
    </UnstyledButton>
  );
}

function ClipCard({ clip, index, onTake, onPlay, onRerender, onEdited }: { clip: Clip; index: number; onTake: (jobId: number) => void; onPlay: () => void; onRerender: () => void; onEdited: () => void }) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: clip.shotId });
  const { providers } = useApp('providers');
  const chosen = clip.takes.find((t) => t.jobId === clip.chosenJobId);
  const editKinds = chosen ? (providers.find((p) => p.id === chosen.provider)?.edits ?? []) : [];
  const thumb = useThumbnail(clip.chosenJobId, clip.takes.find((t) => t.jobId === clip.chosenJobId)?.clipUrl);
  const style = { transform: CSS.Translate.toString(transform), transition, zIndex: isDragging ? 2 : undefined };
  return (
    <Paper ref={setNodeRef} style={style} withBorder className={`clip-card${isDragging ? ' dragging' : ''}${clip.chosenJobId === null ? ' missing' : ''}`} data-testid={`clip-${clip.shot}`}>
      <div className="clip-handle" {...attributes} {...listeners} aria-label={`${index + 1}. Shot ${clip.shot}: move it with the arrow keys after Space, or drag it`} title="Drag to reorder">
        <Text size="xs" fw={700}>
          {index + 1}. Shot {clip.shot}
        </Text>
        <span className="grip" aria-hidden="true">
          ⠿
        </span>
      </div>
      <UnstyledButton className="clip-thumb" onClick={onPlay} disabled={clip.chosenJobId === null} aria-label={`play shot ${clip.shot}`}>
        {clip.chosenJobId === null ? (
          <Text size="xs" c="dimmed">
            no clip yet
          </Text>
        ) : thumb ? (
          <img src={thumb} alt="" />
        ) : thumb === null ? (
          <Text size="xs" c="dimmed">
            ▶ play
          </Text>
        ) : (
          <span className="thumb-loading" />
        )}
      </UnstyledButton>
      <Group justify="space-between" gap={4} px={6} py={4} wrap="nowrap">
        <Text size="xs" className="mono" c="dimmed">
          {seconds(clip.duration)}
        </Text>
        <Text size="xs" c="dimmed">
          {clip.takes.find((t) => t.jobId === clip.chosenJobId) ? `take ${clip.takes.find((t) => t.jobId === clip.chosenJobId)!.take}` : ''}
          {clip.takes.length > 1 ? ` of ${clip.takes.length}` : ''}
        </Text>
      </Group>
      {chosen && editKinds.length > 0 && (
        <Group px={6} pb={4} justify="flex-end">
          <EditTakeButton jobId={chosen.jobId} shot={clip.shot} take={chosen.take} lengthS={chosen.duration} kinds={editKinds} onQueued={onEdited} />
        </Group>
      )}
      {clip.continuity && (
        <Box px={6} pb={6} data-testid={`continuity-${clip.shot}`}>
          <Text size="xs" c="yellow.4">
            Starts from shot {clip.continuity.parent} take {clip.continuity.madeFromTake}; the film now uses {clip.continuity.parentTake !== null ? `take ${clip.continuity.parentTake}` : 'no take'} of shot {clip.continuity.parent}.
          </Text>
          {clip.continuity.parentTake !== null && (
            <Button size="compact-xs" variant="light" color="yellow" mt={4} onClick={onRerender}>
              Re-render from take {clip.continuity.parentTake}
            </Button>
          )}
        </Box>
      )}
      {clip.takes.length > 1 && (
        <Box px={6} pb={6} className="take-strip" role="group" aria-label={`takes of shot ${clip.shot}`}>
          {clip.takes.map((t) => (
            <TakeThumb key={t.jobId} shot={clip.shot} take={t} chosen={t.jobId === clip.chosenJobId} onChoose={() => t.jobId !== clip.chosenJobId && onTake(t.jobId)} />
          ))}
        </Box>
      )}
    </Paper>
  );
}

export function TimelineScreen() {
  const { api, project, timeline, setTimeline, refreshTimeline, timelineError, stitchFraction, setScreen } = useApp('api', 'project', 'timeline', 'setTimeline', 'refreshTimeline', 'timelineError', 'stitchFraction', 'setScreen');
  const renderRunning = useAppStore((s) => s.render.kind === 'running');
  const [error, setError] = useState<ErrorView | null>(null);
  const [exporting, setExporting] = useState(false);
  const [saving, setSaving] = useState(false);
  const [clip, setClip] = useState<{ url: string; title: string } | null>(null);
  const [editorExport, setEditorExport] = useState<EditorExportResult | null>(null);
  // A continued shot made from a take its parent no longer uses: a new take, from the parent's chosen take.
  const rerender = async (c: Clip) => {
    setError(null);
    try {
      await api.call('queue.rerender', { shotId: c.shotId });
      setScreen('queue');
    } catch (e) {
      setError({ ...toErrorView(e), message: `shot ${c.shot}: ${toErrorView(e).message}` });
    }
  };
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));

  useEffect(() => {
    if (project) void refreshTimeline();
  }, [project, refreshTimeline]);

  if (!project)
    return (
      <Stack p="xl" align="flex-start">
        <Title order={3}>Timeline</Title>
        <Text c="dimmed">Render a storyboard first; its finished clips appear here in film order.</Text>
        <Button onClick={() => setScreen('shots')}>Go to Shots</Button>
      </Stack>
    );

  /** Saves an order, takes and joints (`seconds`: each joint's crossfade length, null: keep the one stored). */
  const save = async (clips: Clip[], joints: Joint[], seconds?: (number | null)[]) => {
    const prev = timeline;
    if (prev) setTimeline({ ...prev, clips, joints, ...(seconds ? { jointSeconds: seconds.map((x, i) => x ?? prev.jointSeconds[i] ?? prev.crossfadeSeconds) } : {}) }); // show it at once; the core's answer replaces it
    setSaving(true);
    setError(null);
    try {
      const takes: Record<string, number> = {};
      for (const c of clips) if (c.chosenJobId !== null) takes[String(c.shotId)] = c.chosenJobId;
      setTimeline(await api.call('timeline.update', { order: clips.map((c) => c.shotId), takes, joints, ...(seconds ? { jointSeconds: seconds } : {}) }));
    } catch (e) {
      if (prev) setTimeline(prev);
      setError(toErrorView(e));
    } finally {
      setSaving(false);
    }
  };

  const onDragEnd = (e: DragEndEvent) => {
    if (!timeline || !e.over || e.active.id === e.over.id) return;
    const from = timeline.clips.findIndex((c) => c.shotId === e.active.id);
    const to = timeline.clips.findIndex((c) => c.shotId === e.over!.id);
    if (from < 0 || to < 0) return;
    // A crossfade belongs to the two clips it joins: it follows them, and new pairs start as cuts.
    const moved = arrayMove(timeline.clips, from, to);
    const j = jointsAfterReorder(timeline.clips.map((c) => c.shotId), timeline.joints, timeline.jointSeconds, moved.map((c) => c.shotId));
    // A new pair's crossfade length is the default (a joint's length is only sent where it moved with its pair).
    void save(moved, j.joints, j.seconds.map((x) => x ?? timeline.crossfadeSeconds));
  };

  const exportFilm = async () => {
    setExporting(true);
    setError(null);
    try {
      const r = await api.call('timeline.export', {});
      setTimeline(timeline ? { ...timeline, filmUrl: r.filmUrl, filmStale: false, filmPlaceholders: r.placeholders } : timeline);
    } catch (e) {
      setError(toErrorView(e));
    } finally {
      setExporting(false);
    }
  };

  const clips = timeline?.clips ?? [];
  // Each crossfade at its own length (the film caps one at a third of the shorter clip).
  const fades = timeline?.joints.reduce((sum, j, i) => sum + (j === 'crossfade' ? (timeline.jointSeconds[i] ?? timeline.crossfadeSeconds) : 0), 0) ?? 0;
  const total = clips.reduce((s, c) => s + (c.chosenJobId !== null ? c.duration : 0), 0) - fades;
  const missing = clips.filter((c) => c.chosenJobId === null).length;
  const renderBusy = renderRunning;

  return (
    <Stack gap="sm" p="md" className="screen-fill">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Box>
          <Title order={3}>Timeline</Title>
          <Text size="sm" c="dimmed">
            Drag clips to reorder, pick a take per shot, and choose a cut or a crossfade at each joint ({timeline?.crossfadeSeconds ?? 0.5} s unless you set its length); a crossfade stays with the two clips it joins.
          </Text>
        </Box>
        <Group gap="sm" wrap="wrap">
          <Badge variant="light" color="gray" size="lg" data-testid="film-duration">
            {clips.length} clips · {seconds(Math.max(0, total))}
          </Badge>
          <EditorExportMenu disabled={!clips.some((c) => c.chosenJobId !== null)} onError={setError} setDone={setEditorExport} />
          <Button onClick={() => void exportFilm()} loading={exporting} disabled={!clips.some((c) => c.chosenJobId !== null) || renderBusy} data-testid="export-button">
            {timeline?.filmUrl && timeline.filmStale ? 'Export again' : 'Export film'}
          </Button>
        </Group>
      </Group>

      {editorExport && <EditorExportNote done={editorExport} />}
      <ErrorNote error={timelineError} title="The timeline could not be read" />
      <ErrorNote error={error} onClose={() => setError(null)} testId="timeline-error" />

      <Paper withBorder p="sm" className="strip-wrap">
        {clips.length === 0 ? (
          <Text c="dimmed" size="sm" py="lg" ta="center">
            No clips yet.
          </Text>
        ) : (
          <ScrollArea type="auto" offsetScrollbars scrollbarSize={10}>
            <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
              <SortableContext items={clips.map((c) => c.shotId)} strategy={horizontalListSortingStrategy}>
                <div className="strip" data-testid="timeline-strip" data-saving={saving ? 'true' : 'false'}>
                  {clips.map((c, i) => (
                    <Fragment key={c.shotId}>
                      <ClipCard
                        clip={c}
                        index={i}
                        onPlay={() => {
                          const t = c.takes.find((k) => k.jobId === c.chosenJobId);
                          if (t) setClip({ url: t.clipUrl, title: `Shot ${c.shot} · take ${t.take}` });
                        }}
                        onTake={(jobId) => void save(clips.map((x) => (x.shotId === c.shotId ? { ...x, chosenJobId: jobId, duration: x.takes.find((t) => t.jobId === jobId)?.duration ?? x.duration } : x)), timeline!.joints)}
                        onRerender={() => void rerender(c)}
                        onEdited={() => setScreen('queue')}
                      />
                      {i < clips.length - 1 && (
                        <div className="joint" data-testid={`joint-${c.shot}`}>
                          <SegmentedControl
                            size="xs"
                            orientation="vertical"
                            aria-label={`joint after shot ${c.shot}`}
                            value={timeline!.joints[i] ?? 'cut'}
                            onChange={(v) => void save(clips, timeline!.joints.map((j, k) => (k === i ? (v as Joint) : j)))}
                            data={[
                              { value: 'cut', label: 'Cut' },
                              { value: 'crossfade', label: 'Fade' },
                            ]}
                          />
                          {timeline!.joints[i] === 'crossfade' && (
                            <NumberInput
                              size="xs"
                              w={64}
                              min={0.04}
                              max={10}
                              step={0.25}
                              decimalScale={2}
                              suffix=" s"
                              aria-label={`crossfade after shot ${c.shot}, seconds`}
                              defaultValue={timeline!.jointSeconds[i] ?? timeline!.crossfadeSeconds}
                              key={`${c.shotId}-${timeline!.jointSeconds[i]}`}
                              onBlur={(e) => {
                                const v = Number(e.currentTarget.value.replace(/[^0-9.]/g, ''));
                                if (v >= 0.04 && v <= 10 && v !== timeline!.jointSeconds[i]) void save(clips, timeline!.joints, timeline!.joints.map((_, k) => (k === i ? v : null)));
                              }}
                            />
                          )}
                        </div>
                      )}
                    </Fragment>
                  ))}
                </div>
              </SortableContext>
            </DndContext>
          </ScrollArea>
        )}
        {saving && (
          <Text size="xs" c="dimmed" mt={4}>
            Saving…
          </Text>
        )}
      </Paper>

      <Paper withBorder p="sm" className="film-panel">
        <Group justify="space-between" mb="xs">
          <Text fw={600}>Film</Text>
          {timeline?.filmUrl && !exporting && (
            <Text size="xs" c="dimmed">
              film.mp4 in the project folder
            </Text>
          )}
        </Group>
        {exporting && (
          <Box mb="sm" data-testid="export-progress">
            <Text size="xs" c="dimmed" mb={4}>
              Exporting… {Math.round((stitchFraction ?? 0) * 100)}%
            </Text>
            <Progress value={(stitchFraction ?? 0) * 100} size="lg" striped animated aria-label="film export" />
          </Box>
        )}
        {timeline?.filmUrl && (timeline.filmStale || timeline.filmPlaceholders.length > 0) && (
          <Group gap="xs" mb="xs">
            {timeline.filmStale && (
              <Badge color="orange" variant="light" data-testid="film-stale">
                Out of date: the timeline changed since this film was exported
              </Badge>
            )}
            {timeline.filmPlaceholders.length > 0 && (
              <Badge color="gray" variant="light" data-testid="film-placeholders">
                Rough cut: shot {timeline.filmPlaceholders.join(', ')} {timeline.filmPlaceholders.length > 1 ? 'are placeholder cards' : 'is a placeholder card'}
              </Badge>
            )}
          </Group>
        )}
        {timeline?.filmUrl ? (
          <video key={timeline.filmUrl} className="film-video" src={timeline.filmUrl} controls preload="metadata" data-testid="film-video" />
        ) : (
          <Text size="sm" c="dimmed" py="md">
            {missing ? `Export the film to watch it here: ${missing} shot(s) without a clip yet are placeholder cards in it (a rough cut).` : 'Export the film to watch it here.'}
          </Text>
        )}
      </Paper>
      <ClipPlayer clip={clip} onClose={() => setClip(null)} />
    </Stack>
  );
}
