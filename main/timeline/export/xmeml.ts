/**
 * The cut as Final Cut Pro 7 XML (`xmeml` version 5: Premiere Pro, DaVinci Resolve; Apple's "Final
 * Cut Pro XML Interchange Format"): one sequence at the film's rate and size (not fixed values),
 * one video and one audio track of `clipitem`s, each with its `file` (`pathurl`) the first time the
 * file appears, and `transitionitem`s (Cross Dissolve, centred) at crossfades. Rates are a
 * `timebase` with an `ntsc` flag (24000/1001 is timebase 24, NTSC). As the format has it, a clip
 * next to a transition has start or end -1 (the transition decides where it cuts), and its in/out
 * include the handle the transition uses. Placeholders leave the track empty for their length.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import type { Cut, CutClip } from './cut';
import { isNtsc, timebase, timecode, type Rate } from './rational';
import { mediaUrl, type MediaPaths } from './media-paths';

function rate(parent: XMLBuilder, r: Rate): void {
  const el = parent.ele('rate');
  el.ele('timebase').txt(String(timebase(r)));
  el.ele('ntsc').txt(isNtsc(r) ? 'TRUE' : 'FALSE');
}

/** Frames of the film's rate converted to a clip's own rate. */
function atRate(frames: number, from: Rate, to: Rate): number {
  return from.num === to.num && from.den === to.den ? frames : Math.round((frames * to.num * from.den) / (to.den * from.num));
}

/** The cut as an FCP7 XML document (a string). Media paths per `paths`. */
export function writeXmeml(cut: Cut, paths: MediaPaths): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).dtd({ name: 'xmeml' }).ele('xmeml', { version: '5' });
  const seq = doc.ele('sequence', { id: 'sequence-1' });
  seq.ele('name').txt(cut.name);
  seq.ele('duration').txt(String(cut.duration));
  rate(seq, cut.rate);
  const tc = seq.ele('timecode');
  rate(tc, cut.rate);
  tc.ele('string').txt(timecode(cut.startFrame, cut.rate));
  tc.ele('frame').txt(String(cut.startFrame));
  tc.ele('displayformat').txt('NDF');
  const media = seq.ele('media');
  const video = media.ele('video');
  const sc = video.ele('format').ele('samplecharacteristics');
  rate(sc, cut.rate);
  sc.ele('width').txt(String(cut.width));
  sc.ele('height').txt(String(cut.height));
  const audio = media.ele('audio');
  const written = new Set<string>();
  const fileIds = new Map<string, string>();
  const tracks = { video: video.ele('track'), audio: audio.ele('track') };
  for (const kind of ['video', 'audio'] as const) {
    const track = tracks[kind];
    cut.items.forEach((item, i) => {
      const into = cut.transitions.find((t) => t.after === i - 1);
      const out = cut.transitions.find((t) => t.after === i);
      if (item.kind === 'clip' && (kind === 'video' || item.hasAudio)) clipItem(track, item, kind, i, into !== undefined, out, cut, paths, written, fileIds);
      if (out) {
        const cutAt = item.recordIn + item.duration;
        const t = track.ele('transitionitem');
        t.ele('start').txt(String(cutAt - out.inFrames));
        t.ele('end').txt(String(cutAt + out.outFrames));
        t.ele('alignment').txt('center');
        rate(t, cut.rate);
        const fx = t.ele('effect');
        fx.ele('name').txt(kind === 'video' ? 'Cross Dissolve' : 'Cross Fade (+3dB)');
        fx.ele('effectid').txt(kind === 'video' ? 'Cross Dissolve' : 'KGAudioTransCrossFade3dB');
        fx.ele('effectcategory').txt(kind === 'video' ? 'Dissolve' : 'Crossfade');
        fx.ele('effecttype').txt('transition');
        fx.ele('mediatype').txt(kind);
      }
    });
  }
  return doc.end({ prettyPrint: true });
}

function clipItem(track: XMLBuilder, c: CutClip, kind: 'video' | 'audio', index: number, afterTransition: boolean, before: { inFrames: number; outFrames: number } | undefined, cut: Cut, paths: MediaPaths, written: Set<string>, fileIds: Map<string, string>): void {
  const item = track.ele('clipitem', { id: `clipitem-${kind}-${index + 1}` });
  item.ele('name').txt(c.name);
  item.ele('enabled').txt('TRUE');
  item.ele('duration').txt(String(atRate(c.availableFrames, c.rate, cut.rate)));
  rate(item, cut.rate);
  // Start and end on the record side; -1 where a transition decides the cut.
  item.ele('start').txt(String(afterTransition ? -1 : c.recordIn));
  item.ele('end').txt(String(before ? -1 : c.recordIn + c.duration));
  // In and out on the source side, with the handles the transitions use.
  const head = afterTransition ? cut.transitions.find((t) => t.after === index - 1)!.inFrames : 0;
  const srcIn = atRate(c.sourceIn, c.rate, cut.rate) - head;
  item.ele('in').txt(String(srcIn));
  item.ele('out').txt(String(atRate(c.sourceIn, c.rate, cut.rate) + c.duration + (before ? before.outFrames : 0)));
  let id = fileIds.get(c.file);
  if (!id) {
    id = `file-${fileIds.size + 1}`;
    fileIds.set(c.file, id);
  }
  const file = item.ele('file', { id });
  if (!written.has(c.file)) {
    written.add(c.file);
    file.ele('name').txt(c.name);
    file.ele('pathurl').txt(mediaUrl(c.file, paths));
    rate(file, c.rate);
    file.ele('duration').txt(String(c.availableFrames));
    const m = file.ele('media');
    const v = m.ele('video').ele('samplecharacteristics');
    rate(v, c.rate);
    v.ele('width').txt(String(c.width));
    v.ele('height').txt(String(c.height));
    if (c.hasAudio) m.ele('audio').ele('channelcount').txt('2');
  }
  if (kind === 'audio') item.ele('sourcetrack').ele('mediatype').txt('audio');
  const comments = item.ele('comments');
  comments.ele('mastercomment1').txt(`shot ${c.meta.shot} take ${c.meta.take}`);
  comments.ele('mastercomment2').txt(c.meta.prompt);
}
