/**
 * Media dropped onto a shot (a start or end image, an audio track, a video): the file is copied
 * into the storyboard's own folder, under `media/`, and the cell gets its relative path, so the
 * storyboard and its media move together (a zip of the folder renders anywhere, as in browser
 * mode). The file's type is read from its bytes (file-type), never trusted from its name.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';

/** Columns that take a media file, and the kind of file each takes. */
export const MEDIA_COLUMNS = { image: 'image', end_image: 'image', audio: 'audio', video: 'video' } as const;

/** A column of {@link MEDIA_COLUMNS}. */
export type MediaColumn = keyof typeof MEDIA_COLUMNS;

/** Thrown for a file that is not the kind the column takes, or is empty; names the file and the column. */
export class AttachMediaError extends Error {}

/** The folder under the storyboard's that dropped media is copied into. */
export const MEDIA_FOLDER = 'media';

/**
 * Copies `data` (the bytes of a file named `fileName`) into `<storyboardDir>/media/` and returns
 * the path to write in the cell, relative to the storyboard (`media/hero.png`). The same bytes
 * dropped again reuse their copy; another file of the same name gets a name of its own
 * (`hero-1a2b3c4d.png`), so nothing the creator dropped earlier is overwritten. Written to a
 * temporary name and renamed, so no half file is ever read. Throws AttachMediaError when the
 * bytes are not an image (PNG, JPEG, WebP), an audio file or a video as the column needs.
 */
export async function attachMedia(storyboardDir: string, column: MediaColumn, fileName: string, data: Buffer): Promise<string> {
  if (data.length === 0) throw new AttachMediaError(`${fileName} is empty`);
  const type = await fileTypeFromBuffer(data);
  const want = MEDIA_COLUMNS[column];
  const kind = type?.mime.split('/')[0];
  const ok = want === 'image' ? type !== undefined && ['png', 'jpg', 'webp'].includes(type.ext) : kind === want || (want === 'audio' && type?.ext === 'm4a');
  if (!ok) {
    const what = want === 'image' ? 'a PNG, JPEG or WebP image' : want === 'audio' ? 'an audio file (WAV, MP3, M4A, OGG, FLAC)' : 'a video file';
    throw new AttachMediaError(`${fileName} is ${type ? `a ${type.ext.toUpperCase()} file (${type.mime})` : 'not a file type the app recognises'}; the ${column} column takes ${what}`);
  }
  const folder = path.join(storyboardDir, MEDIA_FOLDER);
  fs.mkdirSync(folder, { recursive: true });
  const ext = `.${type!.ext}`;
  const stem = path.basename(fileName, path.extname(fileName)).replace(/[^A-Za-z0-9._ -]+/g, '_').slice(0, 80) || 'media';
  const digest = createHash('sha256').update(data).digest('hex');
  const same = (f: string) => fs.existsSync(f) && createHash('sha256').update(fs.readFileSync(f)).digest('hex') === digest;
  let name = `${stem}${ext}`;
  if (fs.existsSync(path.join(folder, name)) && !same(path.join(folder, name))) name = `${stem}-${digest.slice(0, 8)}${ext}`;
  const dest = path.join(folder, name);
  if (!same(dest)) {
    fs.writeFileSync(`${dest}.part`, data);
    fs.renameSync(`${dest}.part`, dest);
  }
  return `${MEDIA_FOLDER}/${name}`;
}
