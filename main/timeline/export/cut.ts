/**
 * The cut an editor export describes, worked out once from the project's timeline and written by
 * each format (otio.ts, fcpxml.ts, xmeml.ts, edl.ts): the shots in film order with their chosen
 * takes, every position in frames at the film's rate, and each crossfade as a centred transition.
 *
 * Frames, not seconds: a clip lasts its own frame count (read when it was recorded), converted to
 * the film's rate only when its rate differs, so 300 shots at 30000/1001 add up exactly. A
 * crossfade of X frames between clips A and B (the film's `xfade`: A's last X frames blend with
 * B's first X) is centred on the cut: A shows until X - floor(X/2) frames before its end (the rest
 * is its handle), B from frame floor(X/2) (the frames before are its handle); the transition runs
 * floor(X/2) frames before the cut and the rest after. The record total is therefore the sum of
 * the clips less every crossfade, the film's own length. A shot without a clip yet is a
 * placeholder (a gap) of its row's duration.
 */
import path from 'node:path';
import type { ProjectStore } from '../../queue/store';
import type { Job } from '../../queue/job';
import type { MediaInfo } from '../../media/ffprobe';
import { chooseFormat, clipInfos } from '../stitch';
import { crossfadeFrames, readTimeline } from '../timeline';
import { framesOf, rateOf, type Rate } from './rational';

/** What an export records of a shot's take (shown as metadata or notes by the editor). */
export interface ClipMetadata {
  shot: string;
  take: number;
  prompt: string;
  seed: number | null;
  provider: string;
  model: string | null;
  /** Upper bound of the estimate, USD (null when credits have no rate). */
  estimateUsd: number | null;
  /** What the service charged, USD (null when unknown). */
  actualUsd: number | null;
}

/** A clip on the cut. Frames at the film's rate unless said otherwise. */
export interface CutClip {
  kind: 'clip';
  /** Clip name: the file's name ("shot-3-take2.mp4"). */
  name: string;
  /** Absolute path of the clip. */
  file: string;
  /** The clip's own rate and its frame count at that rate (its available range). */
  rate: Rate;
  availableFrames: number;
  /** First frame shown, at the clip's own rate. */
  sourceIn: number;
  /** Frames shown (at the film's rate) and where it starts on the record side. */
  duration: number;
  recordIn: number;
  hasAudio: boolean;
  width: number;
  height: number;
  meta: ClipMetadata;
}

/** A shot without a clip yet: a placeholder of its row's duration. */
export interface CutGap {
  kind: 'gap';
  shot: string;
  duration: number;
  recordIn: number;
  /** Why it is a placeholder, e.g. "shot 4 has no clip yet". */
  reason: string;
}

/** A centred dissolve between item `after` and the next: `inFrames` before the cut, `outFrames` after. */
export interface CutTransition {
  after: number;
  inFrames: number;
  outFrames: number;
}

/** The cut: film order, the film's format, a start timecode, clips and transitions. */
export interface Cut {
  name: string;
  rate: Rate;
  width: number;
  height: number;
  /** The record start as a frame count at the film's rate (01:00:00:00 is 3600 x timebase). */
  startFrame: number;
  items: (CutClip | CutGap)[];
  transitions: CutTransition[];
  /** Frames of the whole cut (the sum of the items' durations). */
  duration: number;
}

/** Frames of a clip at its own rate: ffprobe's count when stored, else its duration x rate. */
function clipFrames(info: MediaInfo, rate: Rate): number {
  return info.video?.frames ?? framesOf(info.video?.duration ?? info.duration, rate);
}

function metaOf(job: Job, prompt: string): ClipMetadata {
  const body = (JSON.parse(job.request) as { body?: Record<string, unknown> }).body ?? {};
  const model = typeof body.model === 'string' ? body.model : null;
  return { shot: job.shotKey, take: job.take, prompt, seed: job.seed, provider: job.provider, model, estimateUsd: job.estimateUsd, actualUsd: job.actualUsd };
}

/**
 * Works out the cut of the project in `store`: every active shot in film order with its chosen
 * take (a placeholder where there is none), crossfades as the timeline sets them (crossfadeLength),
 * at the film's format (the most common size and rate among the clips, as the film is stitched).
 * `startFrame` defaults to 01:00:00:00. Probes clips recorded before their format was stored.
 * Throws when the project has no clip at all.
 */
export async function buildCut(store: ProjectStore, opts: { name?: string; startFrame?: number; signal?: AbortSignal } = {}): Promise<Cut> {
  const tl = readTimeline(store);
  const withClip = tl.filter((t) => t.chosen?.output);
  if (!withClip.length) throw new Error('the project has no finished clip yet: render it first');
  const files = withClip.map((t) => path.join(store.dir, t.chosen!.output!));
  const infos = await clipInfos(files, { infos: withClip.map((t) => t.chosen!.media), signal: opts.signal });
  const infoOf = new Map(withClip.map((t, i) => [t.shotId, { info: infos[i], file: files[i] }]));
  const format = chooseFormat(infos);
  const rate = rateOf(format.fps);
  const specs = new Map(store.shots().map((s) => [s.id, s.spec]));

  // Each item's full length in film frames, before crossfades trim it.
  const full = tl.map((t) => {
    const c = infoOf.get(t.shotId);
    if (!c) return framesOf(specs.get(t.shotId)?.duration ?? 0, rate);
    const own = rateOf(c.info.video?.fps || format.fps);
    const n = clipFrames(c.info, own);
    return own.num === rate.num && own.den === rate.den ? n : Math.round((n * rate.num * own.den) / (rate.den * own.num));
  });
  const transitions: CutTransition[] = [];
  tl.slice(0, -1).forEach((t, i) => {
    const next = tl[i + 1];
    if (t.jointAfter !== 'crossfade' || !infoOf.has(t.shotId) || !infoOf.has(next.shotId)) return;
    const x = crossfadeFrames(t.jointSeconds, full[i], full[i + 1], rate.num / rate.den);
    if (x === 0) return;
    transitions.push({ after: i, inFrames: Math.floor(x / 2), outFrames: x - Math.floor(x / 2) });
  });
  const before = new Map(transitions.map((x) => [x.after, x]));
  const items: (CutClip | CutGap)[] = [];
  let record = 0;
  tl.forEach((t, i) => {
    const into = before.get(i - 1);
    const out = before.get(i);
    // Centred dissolves: this clip loses the frames after the cut of the one before it and the frames before the cut of the next.
    const head = into ? into.inFrames : 0;
    const tail = out ? out.outFrames : 0;
    const duration = full[i] - head - tail;
    const c = infoOf.get(t.shotId);
    if (!c) {
      items.push({ kind: 'gap', shot: t.shotKey, duration, recordIn: record, reason: `shot ${t.shotKey} has no clip yet` });
    } else {
      const own = rateOf(c.info.video?.fps || format.fps);
      const sameRate = own.num === rate.num && own.den === rate.den;
      const toOwn = (f: number) => (sameRate ? f : Math.round((f * own.num * rate.den) / (own.den * rate.num)));
      const spec = specs.get(t.shotId);
      items.push({
        kind: 'clip',
        name: path.basename(c.file),
        file: c.file,
        rate: own,
        availableFrames: clipFrames(c.info, own),
        sourceIn: toOwn(head),
        duration,
        recordIn: record,
        hasAudio: !!c.info.audio,
        width: c.info.video?.width ?? format.width,
        height: c.info.video?.height ?? format.height,
        meta: metaOf(t.chosen!, spec?.prompt ?? ''),
      });
    }
    record += duration;
  });
  return { name: opts.name ?? path.basename(store.dir), rate, width: format.width, height: format.height, startFrame: opts.startFrame ?? 3600 * Math.round(rate.num / rate.den), items, transitions, duration: record };
}
