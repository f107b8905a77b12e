/**
 * The cut as FCPXML 1.10 (Final Cut Pro, DaVinci Resolve; Apple's FCPXML reference: resources,
 * `format`, `asset` with `media-rep`, `library` / `event` / `project` / `sequence` / `spine`,
 * `asset-clip`, `transition`, `gap`, `note`). Times are exact rational seconds in multiples of the
 * format's `frameDuration` ("1001/24000s"). The spine holds the clips end to end; a crossfade is a
 * `transition` over the cut, starting `inFrames` before it (the clips' handles supply the overlap).
 * Placeholders are `gap`s with a note. Each clip's prompt is its `note`; shot, take, seed and
 * provider are its `metadata` (`md` keys `com.ltx-batch.*`).
 */
import { create } from 'xmlbuilder2';
import type { Cut, CutClip } from './cut';
import { fcpTime } from './rational';
import { mediaUrl, type MediaPaths } from './media-paths';

/** The FCPXML version written. */
export const FCPXML_VERSION = '1.10';

/** The cut as an FCPXML 1.10 document (a string). Media paths per `paths`. */
export function writeFcpxml(cut: Cut, paths: MediaPaths): string {
  const r = cut.rate;
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).dtd({ name: 'fcpxml' }).ele('fcpxml', { version: FCPXML_VERSION });
  const resources = doc.ele('resources');
  resources.ele('format', { id: 'r0', name: `FFVideoFormat${cut.height}p${Math.round((r.num / r.den) * 100) / 100}`, frameDuration: fcpTime(1, r), width: String(cut.width), height: String(cut.height) });
  // One format per clip rate that differs from the film's.
  const formats = new Map<string, string>([[`${r.num}/${r.den}`, 'r0']]);
  const formatOf = (c: CutClip): string => {
    const key = `${c.rate.num}/${c.rate.den}`;
    let id = formats.get(key);
    if (!id) {
      id = `r${formats.size}`;
      formats.set(key, id);
      resources.ele('format', { id, frameDuration: fcpTime(1, c.rate), width: String(c.width), height: String(c.height) });
    }
    return id;
  };
  const clips = cut.items.filter((i): i is CutClip => i.kind === 'clip');
  const assets = new Map<CutClip, string>();
  clips.forEach((c, k) => {
    const id = `a${k + 1}`;
    assets.set(c, id);
    resources
      .ele('asset', { id, name: c.name, uid: `ltx-batch-${c.meta.shot}-${c.meta.take}`, start: '0s', duration: fcpTime(c.availableFrames, c.rate), hasVideo: '1', hasAudio: c.hasAudio ? '1' : '0', format: formatOf(c), ...(c.hasAudio ? { audioSources: '1', audioChannels: '2' } : {}) })
      .ele('media-rep', { kind: 'original-media', src: mediaUrl(c.file, paths) });
  });
  // Non-drop-frame timecode, at NTSC rates too (as the EDL and FCP7 XML exports write it).
  const tcFormat = 'NDF';
  const sequence = doc
    .ele('library')
    .ele('event', { name: cut.name })
    .ele('project', { name: cut.name })
    .ele('sequence', { format: 'r0', duration: fcpTime(cut.duration, r), tcStart: fcpTime(cut.startFrame, r), tcFormat, audioLayout: 'stereo', audioRate: '48k' });
  const spine = sequence.ele('spine');
  cut.items.forEach((item, i) => {
    const offset = fcpTime(cut.startFrame + item.recordIn, r);
    if (item.kind === 'gap') {
      spine.ele('gap', { name: `placeholder: shot ${item.shot}`, offset, start: fcpTime(0, r), duration: fcpTime(item.duration, r) }).ele('note').txt(item.reason);
    } else {
      const own = item.rate;
      const clip = spine.ele('asset-clip', { ref: assets.get(item)!, name: item.name, offset, start: fcpTime(item.sourceIn, own), duration: fcpTime(item.duration, r), format: formatOf(item), tcFormat });
      clip.ele('note').txt(item.meta.prompt);
      const md = clip.ele('metadata');
      const put = (key: string, value: string | number | null) => value !== null && md.ele('md', { key: `com.ltx-batch.${key}`, value: String(value) });
      put('shot', item.meta.shot);
      put('take', item.meta.take);
      put('seed', item.meta.seed);
      put('provider', item.meta.provider);
      put('model', item.meta.model);
      put('estimateUsd', item.meta.estimateUsd);
      put('actualUsd', item.meta.actualUsd);
    }
    const x = cut.transitions.find((t) => t.after === i);
    if (x) {
      const cutAt = cut.startFrame + item.recordIn + item.duration;
      spine.ele('transition', { name: 'Cross Dissolve', offset: fcpTime(cutAt - x.inFrames, r), duration: fcpTime(x.inFrames + x.outFrames, r) });
    }
  });
  return doc.end({ prettyPrint: true });
}
