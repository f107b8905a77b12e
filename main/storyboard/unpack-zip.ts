/**
 * A storyboard uploaded as a zip with its media (browser mode: the creator's folder zipped): the
 * entries are unpacked into a folder under the projects folder, and the storyboard in it (a CSV or
 * XLSX, the one nearest the top; `storyboard.*` first when several are) is what opens, so the
 * relative paths of its images and audio keep working.
 *
 * Read through the same zip guard as workbooks (main/storyboard/zip-guard.ts: entry count,
 * declared and actual sizes, no encryption), and every entry name is checked before anything is
 * written: an absolute path, a drive, or a `..` segment ("zip slip") refuses the whole zip, so
 * nothing is written outside the folder. Folders and macOS resource forks (`__MACOSX/`, `._*`) are
 * skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inflateEntry, listZipEntries, ZipRefusedError } from './zip-guard';

/** Thrown when an uploaded zip cannot be used; the message says why, naming the entry. */
export class ZipUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipUploadError';
  }
}

/** Entry names refused: absolute, a drive, a `..` segment. */
function unsafe(name: string): boolean {
  const n = name.replace(/\\/g, '/');
  return n.startsWith('/') || /^[A-Za-z]:/.test(n) || n.split('/').includes('..');
}

/**
 * Unpacks `bytes` (a zip) into `dir` (created) and returns the storyboard file in it. Throws
 * ZipUploadError for a zip that is refused, has an unsafe entry name, or holds no CSV or XLSX.
 */
export function unpackStoryboardZip(bytes: Buffer, dir: string): string {
  let entries;
  try {
    entries = listZipEntries(bytes);
  } catch (e) {
    throw new ZipUploadError(`the zip could not be opened: ${(e as Error).message.replace(/XLSX workbook|workbook/g, 'zip')}`);
  }
  const bad = entries.find((e) => unsafe(e.name));
  if (bad) throw new ZipUploadError(`the zip holds "${bad.name}", a path that leads outside its folder; nothing was unpacked`);
  const files = entries.filter((e) => !e.name.endsWith('/') && !e.name.startsWith('__MACOSX/') && !path.posix.basename(e.name.replace(/\\/g, '/')).startsWith('._'));
  const boards = files.filter((e) => /\.(csv|tsv|txt|xlsx)$/i.test(e.name));
  if (!boards.length) throw new ZipUploadError('the zip holds no storyboard (a .csv or .xlsx file)');
  fs.mkdirSync(dir, { recursive: true });
  for (const e of files) {
    const dest = path.join(dir, ...e.name.replace(/\\/g, '/').split('/'));
    let data: Buffer;
    try {
      data = inflateEntry(bytes, e);
    } catch (err) {
      if (err instanceof ZipRefusedError) throw new ZipUploadError(`the zip's entry "${e.name}" could not be unpacked: ${err.message.replace(/XLSX workbook|workbook/g, 'zip')}`);
      throw err;
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.part`, data);
    fs.renameSync(`${dest}.part`, dest);
  }
  const depth = (n: string) => n.split('/').length;
  const chosen = [...boards].sort((a, b) => depth(a.name) - depth(b.name) || Number(!/(^|\/)storyboard\.[^/]+$/i.test(a.name)) - Number(!/(^|\/)storyboard\.[^/]+$/i.test(b.name)) || a.name.localeCompare(b.name))[0];
  return path.join(dir, ...chosen.name.replace(/\\/g, '/').split('/'));
}
