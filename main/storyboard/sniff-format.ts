/**
 * Tells what a storyboard file really is from its first bytes, whatever its name says: an XLSX
 * (zip), an old .xls (OLE2), text (CSV/TSV, any of the encodings read-csv understands), or some
 * other binary file (an image, a PDF, ...) that must not be read as CSV.
 */
import { audioFormat, imageFormat, videoFormat } from '../media/sniff';
import { looksLikeZip } from './zip-guard';

/** What a storyboard file's bytes are. `what` names a recognised binary format ("a PNG image"). */
export type SniffedFormat = { kind: 'zip' } | { kind: 'ole2' } | { kind: 'text' } | { kind: 'binary'; what: string };

const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** Other binary formats creators (or attackers) pass as a storyboard, by their magic bytes. */
const MAGIC: [string, (b: Buffer) => boolean][] = [
  ['a PDF document', (b) => b.toString('latin1', 0, 5) === '%PDF-'],
  ['a gzip archive', (b) => b[0] === 0x1f && b[1] === 0x8b],
  ['a 7-Zip archive', (b) => b.toString('latin1', 0, 6) === '7z\xbc\xaf\x27\x1c'],
  ['a RAR archive', (b) => b.toString('latin1', 0, 4) === 'Rar!'],
  ['an executable', (b) => b.toString('latin1', 0, 4) === '\x7fELF' || (b.length > 0x40 && b.toString('latin1', 0, 2) === 'MZ' && b.readUInt32LE(0x3c) + 4 <= b.length && b.toString('latin1', b.readUInt32LE(0x3c), b.readUInt32LE(0x3c) + 4) === 'PE\0\0')],
  ['an SQLite database', (b) => b.toString('latin1', 0, 15) === 'SQLite format 3'],
  ['an Apple Numbers/iWork or other bplist file', (b) => b.toString('latin1', 0, 6) === 'bplist'],
];

/** Classifies the bytes of a storyboard file. */
export function sniffFormat(bytes: Buffer): SniffedFormat {
  if (looksLikeZip(bytes)) return { kind: 'zip' };
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(OLE2)) return { kind: 'ole2' };
  const head = bytes.subarray(0, 16);
  const img = imageFormat(head);
  if (img) return { kind: 'binary', what: `a ${img.toUpperCase()} image` };
  const vid = videoFormat(head);
  if (vid) return { kind: 'binary', what: `a ${vid.toUpperCase()} video` };
  // Audio sniffing is loose (any 0xFFEx pair counts as MPEG audio); only trust the explicit tags.
  const aud = audioFormat(head);
  if (aud && ['wav', 'ogg', 'flac'].includes(aud)) return { kind: 'binary', what: `a ${aud.toUpperCase()} audio file` };
  if (aud === 'mp3' && head.toString('latin1', 0, 3) === 'ID3') return { kind: 'binary', what: 'an MP3 audio file' };
  for (const [what, test] of MAGIC) if (bytes.length >= 4 && test(bytes)) return { kind: 'binary', what };
  // UTF-16 text has many zero bytes; it is text when they sit in every other byte (read-csv decodes it).
  const bom16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  if (bom16) return { kind: 'text' };
  const n = Math.min(bytes.length, 8192);
  let control = 0;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c === 0) (i % 2 === 0 ? zeroEven++ : zeroOdd++);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0x7f) control++;
  }
  const half = n / 2;
  const utf16Shape = half > 1 && ((zeroOdd / half > 0.4 && zeroEven / half < 0.05) || (zeroEven / half > 0.4 && zeroOdd / half < 0.05));
  if (utf16Shape) return { kind: 'text' };
  // Text has few control characters; a few stray NULs are reported cell by cell, not here.
  if (n > 0 && control / n > 0.1) return { kind: 'binary', what: 'binary data (not text)' };
  return { kind: 'text' };
}
