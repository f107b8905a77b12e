/**
 * The cut as a CMX3600 EDL (Avid, Premiere Pro, DaVinci Resolve): one video track, one event per
 * clip, non-drop-frame timecode at the film's timebase (source and record), crossfades as
 * dissolves, placeholders as black (`BL`). An event is `NNN  REEL  V  C|D [frames]  srcIn srcOut
 * recIn recOut`; a dissolve is two lines with one number: the outgoing clip cut at the dissolve's
 * start (zero length) and the incoming clip with `D` and the dissolve's length in frames, starting
 * where the dissolve starts (its source from the handle before its first shown frame). Comments
 * name the clips and files as OpenTimelineIO and the editors read them (`* FROM CLIP NAME:`,
 * `* FROM CLIP:`, `* TO CLIP NAME:`, `* TO CLIP:`) and say which shot and take each event is.
 * Reels are at most 8 characters (`S3T2`: shot 3, take 2).
 */
import type { Cut, CutClip } from './cut';
import { timecode } from './rational';
import { mediaUrl, type MediaPaths } from './media-paths';

/** A reel name for a take: "S" shot "T" take, letters and digits only, at most 8 characters. */
export function reelOf(c: CutClip): string {
  const shot = c.meta.shot.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const take = `T${c.meta.take}`;
  return `S${shot}`.slice(0, 8 - take.length) + take;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The cut as a CMX3600 EDL (a string, CRLF line ends as the format's tools expect). */
export function writeEdl(cut: Cut, paths: MediaPaths): string {
  const r = cut.rate;
  const tc = (f: number) => timecode(f, r);
  const lines = [`TITLE: ${cut.name.replace(/[\r\n]+/g, ' ').slice(0, 70)}`, 'FCM: NON-DROP FRAME', ''];
  const line = (n: number, reel: string, kind: string, src: [number, number], rec: [number, number]) =>
    `${String(n).padStart(3, '0')}  ${pad(reel, 8)} V     ${pad(kind, 8)} ${tc(src[0])} ${tc(src[1])} ${tc(cut.startFrame + rec[0])} ${tc(cut.startFrame + rec[1])}`;
  // Source frames at the film's rate, for the EDL's one timebase.
  const srcIn = (c: CutClip) => (c.rate.num === r.num && c.rate.den === r.den ? c.sourceIn : Math.round((c.sourceIn * r.num * c.rate.den) / (r.den * c.rate.num)));
  let n = 0;
  cut.items.forEach((item, i) => {
    const into = cut.transitions.find((t) => t.after === i - 1);
    const next = cut.transitions.find((t) => t.after === i);
    // An event ends where the next dissolve starts.
    const recIn = into ? item.recordIn - into.inFrames : item.recordIn;
    const recOut = item.recordIn + item.duration - (next ? next.inFrames : 0);
    n++;
    if (item.kind === 'gap') {
      lines.push(line(n, 'BL', 'C', [0, recOut - recIn], [recIn, recOut]));
      lines.push(`* COMMENT: placeholder: ${item.reason}`);
      return;
    }
    const from = into ? srcIn(item) - into.inFrames : srcIn(item);
    if (into) {
      const prev = cut.items[i - 1] as CutClip;
      // The outgoing clip, cut where the dissolve starts.
      const prevAt = srcIn(prev) + prev.duration - into.inFrames;
      lines.push(line(n, reelOf(prev), 'C', [prevAt, prevAt], [recIn, recIn]));
      lines.push(line(n, reelOf(item), `D ${String(into.inFrames + into.outFrames).padStart(3, '0')}`, [from, from + recOut - recIn], [recIn, recOut]));
      lines.push(`* FROM CLIP NAME:  ${prev.name}`, `* FROM CLIP: ${mediaUrl(prev.file, paths)}`, `* TO CLIP NAME:  ${item.name}`, `* TO CLIP: ${mediaUrl(item.file, paths)}`);
    } else {
      lines.push(line(n, reelOf(item), 'C', [from, from + recOut - recIn], [recIn, recOut]));
      lines.push(`* FROM CLIP NAME:  ${item.name}`, `* FROM CLIP: ${mediaUrl(item.file, paths)}`);
    }
    lines.push(`* COMMENT: shot ${item.meta.shot} take ${item.meta.take}`);
  });
  return `${lines.join('\r\n')}\r\n`;
}
