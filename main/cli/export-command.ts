/**
 * `ltx-batch export [DIR] --out DIR --format otio|fcpxml|xml|edl [--file FILE] [--package]
 * [--relative] [--start-timecode HH:MM:SS:FF]`: the project's timeline for an editor
 * (main/timeline/export/). DIR is the project folder, as for `report`; FILE defaults to
 * `DIR/exports/film.<ext>`. Prints what was written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProjectStore } from '../queue/store';
import { EDITOR_FORMATS, exportForEditor, type EditorFormat } from '../timeline/export/export-editor';

/** Options of the export command. */
export interface ExportCommandOptions {
  out: string;
  format: EditorFormat;
  file?: string;
  package?: boolean;
  relative?: boolean;
  startTimecode?: string;
}

/** Runs the command; returns the exit code (1 when the folder holds no project or nothing can be exported). */
export async function exportCommand(o: ExportCommandOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (!fs.existsSync(path.join(o.out, 'project.sqlite'))) {
    err.write(`${o.out} holds no project (no project.sqlite); render a storyboard into it first\n`);
    return 1;
  }
  const store = new ProjectStore(o.out);
  try {
    const r = await exportForEditor(store, { format: o.format, file: o.file, package: o.package, relative: o.relative, startTimecode: o.startTimecode });
    const spec = EDITOR_FORMATS[o.format];
    out.write(`${spec.label}: ${r.file}\n`);
    out.write(`${r.clips} clip(s)${r.placeholders ? `, ${r.placeholders} placeholder(s)` : ''}, ${r.transitions} crossfade(s), ${r.duration.toFixed(3)} s at ${r.rate} fps${r.packaged ? `; ${r.packaged} clip(s) copied into ${path.join(path.dirname(r.file), 'media')}` : ''}\n`);
    out.write(`opens in: ${spec.editors}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RangeError || /no finished clip/.test((e as Error).message)) {
      err.write(`error: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  } finally {
    store.close();
  }
}
