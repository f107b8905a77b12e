/**
 * Recognises media files by their first bytes (magic numbers), so that a storyboard pointing at a
 * text file named "hero.png" is caught at import, not after a provider has been paid.
 */
import fs from 'node:fs';

/** Media kinds a storyboard cell can point at. */
export type MediaKind = 'image' | 'audio' | 'video';

/** Reads the first 16 bytes of a file (fewer if it is shorter). */
function head(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = fs.readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** The format name when the bytes are a JPEG, PNG, WebP or GIF image, else undefined. */
export function imageFormat(b: Buffer): string | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'gif';
  return undefined;
}

/** The format name when the bytes are MP3, WAV, OGG, FLAC or MP4/M4A/AAC audio, else undefined. */
export function audioFormat(b: Buffer): string | undefined {
  if (b.length >= 3 && b.toString('latin1', 0, 3) === 'ID3') return 'mp3';
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0) return (b[1] & 0x06) === 0 ? 'aac' : 'mp3';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WAVE') return 'wav';
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'OggS') return 'ogg';
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'fLaC') return 'flac';
  if (b.length >= 8 && b.toString('latin1', 4, 8) === 'ftyp') return 'm4a';
  return undefined;
}

/** The format name when the bytes are an MP4/MOV, WebM/MKV or AVI video, else undefined. */
export function videoFormat(b: Buffer): string | undefined {
  if (b.length >= 8 && b.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 11) === 'AVI') return 'avi';
  return undefined;
}

/**
 * Checks that a local file exists and is the kind of media expected.
 * Returns an error message in a creator's words, or undefined when the file is fine.
 */
export function checkMediaFile(file: string, kind: MediaKind): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return `file not found: ${file}`;
  }
  if (!st.isFile()) return `not a file: ${file}`;
  if (st.size === 0) return `file is empty: ${file}`;
  const b = head(file);
  const ok = kind === 'image' ? imageFormat(b) : kind === 'audio' ? audioFormat(b) : videoFormat(b);
  if (!ok) {
    const expected = kind === 'image' ? 'JPEG, PNG, WebP or GIF' : kind === 'audio' ? 'MP3, WAV, OGG, FLAC or M4A/AAC' : 'MP4, MOV, WebM or AVI';
    return `${file} is not a ${kind} file (expected ${expected})`;
  }
  return undefined;
}

/**
 * The MIME type of a file by its content (the `file-type` library's signatures), e.g.
 * "image/webp", "audio/mpeg"; undefined when the content is not recognised. Throws when the file
 * cannot be read.
 */
export async function mimeOfFile(file: string): Promise<string | undefined> {
  const { fileTypeFromFile } = await import('file-type');
  return (await fileTypeFromFile(file))?.mime;
}
