/**
 * How an editor export names its media: absolute `file://` URLs (the default), or paths relative
 * to the export's folder, which is what a packaged export uses (the clips copied into `media/`
 * beside it, so the folder can move to an edit suite).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** `absolute`: file URLs; `relative`: paths from `exportDir`, with forward slashes and URL-encoded. */
export interface MediaPaths {
  mode: 'absolute' | 'relative';
  /** The folder the export file is written to. */
  exportDir: string;
}

/** The reference to `file` an export writes: a file URL, or a relative URL from the export's folder. */
export function mediaUrl(file: string, paths: MediaPaths): string {
  if (paths.mode === 'absolute') return pathToFileURL(file).href;
  return path
    .relative(paths.exportDir, file)
    .split(path.sep)
    .map((p) => encodeURIComponent(p))
    .join('/');
}
