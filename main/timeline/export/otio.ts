/**
 * The cut as OpenTimelineIO JSON (`.otio`; schema names and fields as OpenTimelineIO 0.17/0.18
 * serialises them: Timeline.1, Stack.1, Track.1, Clip.2 with `media_references`, Gap.1,
 * Transition.1, ExternalReference.1, TimeRange.1, RationalTime.1). One video track and one audio
 * track: clips referencing the files by URL with their available range, placeholders as gaps,
 * crossfades as SMPTE dissolves (`in_offset` before the cut, `out_offset` after), and each clip's
 * shot, take, prompt, seed, provider, model, estimate and actual cost under `metadata.ltx_batch`.
 * JSON is our own structure serialised with JSON.stringify; OTIO reads it with `otio.adapters.read_from_file`.
 */
import type { Cut, CutClip, CutGap } from './cut';
import { fpsOf, type Rate } from './rational';
import { mediaUrl, type MediaPaths } from './media-paths';

function time(value: number, r: Rate) {
  return { OTIO_SCHEMA: 'RationalTime.1', rate: fpsOf(r), value };
}

function range(start: number, duration: number, r: Rate) {
  return { OTIO_SCHEMA: 'TimeRange.1', start_time: time(start, r), duration: time(duration, r) };
}

function clipOf(c: CutClip, cut: Cut, paths: MediaPaths) {
  // The shown range is at the clip's own rate; its length converted from the film's frames.
  const shown = c.rate.num === cut.rate.num && c.rate.den === cut.rate.den ? c.duration : Math.round((c.duration * c.rate.num * cut.rate.den) / (c.rate.den * cut.rate.num));
  return {
    OTIO_SCHEMA: 'Clip.2',
    name: c.name,
    source_range: range(c.sourceIn, shown, c.rate),
    effects: [],
    markers: [],
    enabled: true,
    media_references: {
      DEFAULT_MEDIA: { OTIO_SCHEMA: 'ExternalReference.1', name: c.name, target_url: mediaUrl(c.file, paths), available_range: range(0, c.availableFrames, c.rate), available_image_bounds: null, metadata: {} },
    },
    active_media_reference_key: 'DEFAULT_MEDIA',
    metadata: { ltx_batch: c.meta },
  };
}

function gapOf(g: CutGap, cut: Cut) {
  return { OTIO_SCHEMA: 'Gap.1', name: `placeholder: shot ${g.shot}`, source_range: range(0, g.duration, cut.rate), effects: [], markers: [], enabled: true, metadata: { ltx_batch: { placeholder: true, shot: g.shot, reason: g.reason } } };
}

function track(cut: Cut, kind: 'Video' | 'Audio', paths: MediaPaths) {
  const children: unknown[] = [];
  cut.items.forEach((item, i) => {
    children.push(item.kind === 'clip' ? clipOf(item, cut, paths) : gapOf(item, cut));
    const x = cut.transitions.find((t) => t.after === i);
    if (x) children.push({ OTIO_SCHEMA: 'Transition.1', name: 'Cross Dissolve', transition_type: 'SMPTE_Dissolve', in_offset: time(x.inFrames, cut.rate), out_offset: time(x.outFrames, cut.rate), metadata: {} });
  });
  return { OTIO_SCHEMA: 'Track.1', name: kind === 'Video' ? 'V1' : 'A1', kind, source_range: null, effects: [], markers: [], enabled: true, children, metadata: {} };
}

/** The cut as an `.otio` document (a string of JSON). Media paths per `paths` (absolute, relative or packaged). */
export function writeOtio(cut: Cut, paths: MediaPaths): string {
  const doc = {
    OTIO_SCHEMA: 'Timeline.1',
    name: cut.name,
    global_start_time: time(cut.startFrame, cut.rate),
    tracks: { OTIO_SCHEMA: 'Stack.1', name: 'tracks', source_range: null, effects: [], markers: [], enabled: true, children: [track(cut, 'Video', paths), track(cut, 'Audio', paths)], metadata: {} },
    metadata: { ltx_batch: { width: cut.width, height: cut.height, rate: `${cut.rate.num}/${cut.rate.den}` } },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
