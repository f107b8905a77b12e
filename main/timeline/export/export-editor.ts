/**
 * "Export for editor": the project's timeline written as OpenTimelineIO, FCPXML, FCP7 XML or a
 * CMX3600 EDL (./cut.ts works out the cut once; one small writer per format), to
 * `DIR/exports/film.<ext>` unless told where. With `package`, the clips are copied into `media/`
 * beside the export and named relative to it, so the folder can move to an edit suite. The file is
 * written to a temporary name and renamed into place: an editor never reads half an export.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProjectStore } from '../../queue/store';
import { buildCut, type Cut } from './cut';
import { writeOtio } from './otio';
import { writeFcpxml } from './fcpxml';
import { writeXmeml } from './xmeml';
import { writeEdl } from './edl';
import { parseTimecode } from './rational';
import type { MediaPaths } from './media-paths';

/** The formats, by the name `--format` takes. */
export type EditorFormat = 'otio' | 'fcpxml' | 'xml' | 'edl';

/** Each format's file extension, name and the editors that read it. */
export const EDITOR_FORMATS: Record<EditorFormat, { ext: string; label: string; editors: string }> = {
  otio: { ext: 'otio', label: 'OpenTimelineIO', editors: 'DaVinci Resolve, and anything with OpenTimelineIO' },
  fcpxml: { ext: 'fcpxml', label: 'FCPXML 1.10', editors: 'Final Cut Pro, DaVinci Resolve' },
  xml: { ext: 'xml', label: 'Final Cut Pro 7 XML', editors: 'Premiere Pro, DaVinci Resolve' },
  edl: { ext: 'edl', label: 'CMX3600 EDL', editors: 'Avid Media Composer, Premiere Pro, DaVinci Resolve (one video track)' },
};

const WRITERS: Record<EditorFormat, (cut: Cut, paths: MediaPaths) => string> = { otio: writeOtio, fcpxml: writeFcpxml, xml: writeXmeml, edl: writeEdl };

/** Options of {@link exportForEditor}. */
export interface EditorExportOptions {
  format: EditorFormat;
  /** Where to write (default `DIR/exports/film.<ext>`). */
  file?: string;
  /** Copy the clips into `media/` beside the export and name them relative to it. */
  package?: boolean;
  /** Name the clips relative to the export's folder instead of by absolute file URLs. */
  relative?: boolean;
  /** Record start, "HH:MM:SS:FF" (default 01:00:00:00). */
  startTimecode?: string;
  signal?: AbortSignal;
}

/** What an export wrote. */
export interface EditorExportResult {
  file: string;
  format: EditorFormat;
  clips: number;
  placeholders: number;
  transitions: number;
  /** Length of the cut, seconds. */
  duration: number;
  /** Frames per second of the cut, as written ("24000/1001"). */
  rate: string;
  /** Clips copied into `media/` (0 without `package`). */
  packaged: number;
}

/**
 * Writes the timeline of the project in `store` for an editor. Throws Error when the project has no
 * clip, or RangeError for a start timecode that is not one at the film's rate.
 */
export async function exportForEditor(store: ProjectStore, o: EditorExportOptions): Promise<EditorExportResult> {
  const spec = EDITOR_FORMATS[o.format];
  const file = path.resolve(o.file ?? path.join(store.dir, 'exports', `film.${spec.ext}`));
  const dir = path.dirname(file);
  let cut = await buildCut(store, { name: path.basename(store.dir), signal: o.signal });
  if (o.startTimecode) cut = { ...cut, startFrame: parseTimecode(o.startTimecode, cut.rate) };
  fs.mkdirSync(dir, { recursive: true });
  let packaged = 0;
  if (o.package) {
    const media = path.join(dir, 'media');
    fs.mkdirSync(media, { recursive: true });
    const items = cut.items.map((item) => {
      if (item.kind !== 'clip') return item;
      const dest = path.join(media, item.name);
      const same = fs.existsSync(dest) && fs.statSync(dest).size === fs.statSync(item.file).size;
      if (!same) {
        fs.copyFileSync(item.file, `${dest}.part`);
        fs.renameSync(`${dest}.part`, dest);
      }
      packaged++;
      return { ...item, file: dest };
    });
    cut = { ...cut, items };
  }
  const text = WRITERS[o.format](cut, { mode: o.package || o.relative ? 'relative' : 'absolute', exportDir: dir });
  const tmp = `${file}.part`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return {
    file,
    format: o.format,
    clips: cut.items.filter((i) => i.kind === 'clip').length,
    placeholders: cut.items.filter((i) => i.kind === 'gap').length,
    transitions: cut.transitions.length,
    duration: (cut.duration * cut.rate.den) / cut.rate.num,
    rate: `${cut.rate.num}/${cut.rate.den}`,
    packaged,
  };
}
