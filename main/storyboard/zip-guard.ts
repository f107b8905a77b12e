/**
 * Checks an XLSX (a zip file) before exceljs opens it, so that a hostile or broken workbook is
 * refused with a clear message instead of hanging the app or exhausting its memory.
 *
 * exceljs (through JSZip) inflates every entry of the zip completely into memory, trusting the
 * sizes the file declares, and expands some ranges cell by cell. So, in this order:
 *
 * 1. The zip's own directory is read (end-of-central-directory record, Zip64 when present, the
 *    central directory) WITHOUT inflating anything. Refused: more than {@link ZIP_LIMITS.maxEntries}
 *    entries, an entry declaring more than {@link ZIP_LIMITS.maxEntryBytes} uncompressed, a total
 *    over {@link ZIP_LIMITS.maxTotalBytes}, encryption, compression methods other than
 *    stored/deflate, offsets outside the file. A "zip bomb" (a few MB that inflate to GBs) declares
 *    its size honestly and stops here.
 * 2. Each entry is inflated with its declared size as a hard output limit, so a zip that lies about
 *    its sizes is refused after at most the declared number of bytes.
 * 3. XML entries declaring a DOCTYPE or entities (an "XML bomb"; Excel never writes them) are
 *    refused. Worksheets are scanned (as bytes, no XML parser): too many rows or cells, and merged ranges
 *    covering huge areas (exceljs creates every cell of a merge) are refused. Data validations
 *    (dropdown lists, which Excel writes for whole columns such as C2:C1048576 and exceljs expands
 *    to one entry per cell) are removed: they do not change any value.
 *
 * When something was removed the workbook is repacked (entries stored, not compressed) for exceljs.
 */
import zlib from 'node:zlib';

/** Limits applied to an XLSX before it is parsed. */
export const ZIP_LIMITS = {
  /** Entries in the zip (a storyboard workbook has a dozen or two). */
  maxEntries: 2_000,
  /** Uncompressed size of one entry, bytes. */
  maxEntryBytes: 64 * 1024 * 1024,
  /** Uncompressed size of all entries together, bytes. */
  maxTotalBytes: 128 * 1024 * 1024,
  /** `<row>` elements in one worksheet. */
  maxRows: 100_000,
  /** `<c>` (cell) elements in one worksheet (exceljs needs about 0.4 KB and 5 µs per cell; 20,000 shots x 15 columns fit). */
  maxCells: 300_000,
  /** Cells covered by one merged range. */
  maxMergeCells: 100_000,
  /** Cells covered by all merged ranges of a worksheet together. */
  maxMergeCellsTotal: 1_000_000,
};

/** Why a zip was refused; the message is in a creator's words. */
export class ZipRefusedError extends Error {}

/** One entry of a zip's central directory. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  /** The size the zip declares for the inflated entry. */
  uncompressedSize: number;
  localHeaderOffset: number;
}

const MB = 1024 * 1024;
const fmtBytes = (n: number) => (n >= 1024 * MB ? `${(n / (1024 * MB)).toFixed(1)} GB` : `${(n / MB).toFixed(1)} MB`);

/** True when the bytes start like a zip (local file header "PK\3\4", or an empty zip "PK\5\6"). */
export function looksLikeZip(b: Buffer): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 0x03 && b[3] === 0x04) || (b[2] === 0x05 && b[3] === 0x06));
}

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/**
 * Reads the central directory of a zip without inflating anything, and checks the entry count and
 * the declared uncompressed sizes against {@link ZIP_LIMITS}. Throws {@link ZipRefusedError}.
 */
export function listZipEntries(bytes: Buffer, limits = ZIP_LIMITS): ZipEntry[] {
  const damaged = (what: string) => new ZipRefusedError(`not a readable XLSX workbook: the zip structure is damaged (${what}); open it in Excel and save it again`);
  // End of central directory: 22 bytes plus a comment of at most 65535 bytes, at the very end.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - 0xffff; i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw damaged('no end-of-central-directory record; the file may be cut short');
  let count = bytes.readUInt16LE(eocd + 10);
  let cdSize = bytes.readUInt32LE(eocd + 12);
  let cdOffset = bytes.readUInt32LE(eocd + 16);
  if (eocd >= 20 && bytes.readUInt32LE(eocd - 20) === 0x07064b50) {
    const z64 = u64(bytes, eocd - 20 + 8);
    if (z64 + 56 > bytes.length || bytes.readUInt32LE(z64) !== 0x06064b50) throw damaged('bad Zip64 record');
    count = u64(bytes, z64 + 32);
    cdSize = u64(bytes, z64 + 40);
    cdOffset = u64(bytes, z64 + 48);
  }
  if (count > limits.maxEntries) {
    throw new ZipRefusedError(`the workbook's zip declares ${count} entries (at most ${limits.maxEntries}); this is not a storyboard workbook (zip bomb?)`);
  }
  if (cdOffset + cdSize > bytes.length) throw damaged('central directory outside the file');
  const entries: ZipEntry[] = [];
  let total = 0;
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cdOffset + cdSize || bytes.readUInt32LE(p) !== 0x02014b50) throw damaged(`entry ${n + 1} of the central directory`);
    const flags = bytes.readUInt16LE(p + 8);
    const method = bytes.readUInt16LE(p + 10);
    const crc32 = bytes.readUInt32LE(p + 16);
    let compressedSize = bytes.readUInt32LE(p + 20);
    let uncompressedSize = bytes.readUInt32LE(p + 24);
    const nameLen = bytes.readUInt16LE(p + 28);
    const extraLen = bytes.readUInt16LE(p + 30);
    const commentLen = bytes.readUInt16LE(p + 32);
    let localHeaderOffset = bytes.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > bytes.length) throw damaged(`entry ${n + 1} of the central directory`);
    const name = bytes.toString('utf8', p + 46, p + 46 + nameLen);
    // Zip64 extended information: 64-bit values for the fields that hold 0xFFFFFFFF.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = bytes.readUInt16LE(e);
      const size = bytes.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const end = e + 4 + size;
        if (uncompressedSize === 0xffffffff && q + 8 <= end) (uncompressedSize = u64(bytes, q)), (q += 8);
        if (compressedSize === 0xffffffff && q + 8 <= end) (compressedSize = u64(bytes, q)), (q += 8);
        if (localHeaderOffset === 0xffffffff && q + 8 <= end) (localHeaderOffset = u64(bytes, q)), (q += 8);
      }
      e += 4 + size;
    }
    if (flags & 0x1) throw new ZipRefusedError(`the workbook is encrypted or password-protected ("${name}"); remove the password in Excel and save it again`);
    if (method !== 0 && method !== 8) throw new ZipRefusedError(`the workbook's entry "${name}" uses an unsupported compression method (${method}); save it again from Excel`);
    if (uncompressedSize > limits.maxEntryBytes) {
      throw new ZipRefusedError(`the workbook's entry "${name}" declares ${fmtBytes(uncompressedSize)} uncompressed (at most ${fmtBytes(limits.maxEntryBytes)}; zip bomb?); it was not opened`);
    }
    total += uncompressedSize;
    if (total > limits.maxTotalBytes) {
      throw new ZipRefusedError(`the workbook's entries declare more than ${fmtBytes(limits.maxTotalBytes)} uncompressed in all (zip bomb?); it was not opened`);
    }
    if (localHeaderOffset + 30 > bytes.length) throw damaged(`entry "${name}" points outside the file`);
    entries.push({ name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Inflates one entry, never producing more than its declared size (a zip that under-declares is
 * refused, not trusted). Throws {@link ZipRefusedError}.
 */
export function inflateEntry(bytes: Buffer, entry: ZipEntry): Buffer {
  const h = entry.localHeaderOffset;
  if (bytes.readUInt32LE(h) !== 0x04034b50) throw new ZipRefusedError(`not a readable XLSX workbook: entry "${entry.name}" is damaged; open it in Excel and save it again`);
  const start = h + 30 + bytes.readUInt16LE(h + 26) + bytes.readUInt16LE(h + 28);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new ZipRefusedError(`not a readable XLSX workbook: entry "${entry.name}" is cut short; the file may be incomplete`);
  const data = bytes.subarray(start, end);
  let out: Buffer;
  if (entry.method === 0) out = data;
  else {
    try {
      // maxOutputLength must be >= 1; one byte more than declared tells a lie from a match.
      out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize + 1) });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ZipRefusedError(`the workbook's entry "${entry.name}" inflates to more than the ${entry.uncompressedSize} bytes it declares (zip bomb?); it was not opened`);
      }
      throw new ZipRefusedError(`not a readable XLSX workbook: entry "${entry.name}" does not decompress (${(e as Error).message})`);
    }
  }
  if (out.length !== entry.uncompressedSize) {
    throw new ZipRefusedError(`the workbook's entry "${entry.name}" inflates to ${out.length} bytes but declares ${entry.uncompressedSize}; the file is damaged or forged`);
  }
  return out;
}

/** Column letters ("A", "XFD") to a 1-based number. */
function colNumber(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/** Number of cells an "A1:C3" reference covers (1 for a single cell, 0 when unreadable). */
export function rangeArea(ref: string): number {
  const m = /^\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?$/.exec(ref.trim());
  if (!m) return 0;
  if (m[3] === undefined) return 1;
  const rows = Math.abs(Number(m[4]) - Number(m[2])) + 1;
  const cols = Math.abs(colNumber(m[3]) - colNumber(m[1])) + 1;
  return rows * cols;
}

/** Whether byte `b` ends a tag name: space, tab, LF, CR, ">" or "/". */
const endsName = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x3e || b === 0x2f;

/**
 * Counts the `<row>` and `<c>` (cell) elements of a worksheet's XML in one pass over its bytes (a
 * Buffer.indexOf per tag costs more than a plain loop at 70,000 cells).
 */
function countRowsAndCells(xml: Buffer): { rows: number; cells: number } {
  let rows = 0;
  let cells = 0;
  const end = xml.length - 2;
  for (let i = 0; i < end; i++) {
    if (xml[i] !== 0x3c) continue;
    const a = xml[i + 1];
    if (a === 0x63 && endsName(xml[i + 2])) cells++; // <c
    else if (a === 0x72 && xml[i + 2] === 0x6f && xml[i + 3] === 0x77 && endsName(xml[i + 4])) rows++; // <row
  }
  return { rows, cells };
}

/** Removes every `<dataValidations ...>...</dataValidations>` block (bytes outside them are kept). */
function stripDataValidations(xml: Buffer): Buffer | undefined {
  const open = Buffer.from('<dataValidations', 'latin1');
  const close = Buffer.from('</dataValidations>', 'latin1');
  if (xml.indexOf(open) < 0) return undefined;
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = xml.indexOf(open); i >= 0; i = xml.indexOf(open, from)) {
    const gt = xml.indexOf(0x3e, i);
    if (gt < 0) break;
    let end: number;
    if (xml[gt - 1] === 0x2f) end = gt + 1; // <dataValidations ... />
    else {
      const c = xml.indexOf(close, gt);
      if (c < 0) break;
      end = c + close.length;
    }
    parts.push(xml.subarray(from, i));
    from = end;
  }
  parts.push(xml.subarray(from));
  return Buffer.concat(parts);
}

/** Checks one worksheet's XML; returns the XML to give exceljs (data validations removed) or undefined when unchanged. */
function checkWorksheet(name: string, xml: Buffer, limits: typeof ZIP_LIMITS): Buffer | undefined {
  const sheet = name.replace(/^.*\//, '');
  const { rows, cells } = countRowsAndCells(xml);
  if (rows > limits.maxRows) throw new ZipRefusedError(`worksheet ${sheet} has ${rows} rows (at most ${limits.maxRows} are read; a storyboard has at most 20000 shots); split the storyboard`);
  if (cells > limits.maxCells) throw new ZipRefusedError(`worksheet ${sheet} has ${cells} cells (at most ${limits.maxCells} are read); remove unused columns or split the storyboard`);
  const mergeAt = xml.indexOf('<mergeCells');
  if (mergeAt >= 0) {
    const endAt = xml.indexOf('</mergeCells>', mergeAt);
    const section = xml.toString('latin1', mergeAt, endAt < 0 ? xml.length : endAt);
    let total = 0;
    for (const m of section.matchAll(/<mergeCell\b[^>]*\bref\s*=\s*["']([^"']*)["']/g)) {
      const area = rangeArea(m[1]);
      if (area > limits.maxMergeCells) {
        throw new ZipRefusedError(`worksheet ${sheet} has a merged range ${m[1]} covering ${area} cells (at most ${limits.maxMergeCells}); unmerge it`);
      }
      total += area;
      if (total > limits.maxMergeCellsTotal) throw new ZipRefusedError(`worksheet ${sheet} has merged ranges covering more than ${limits.maxMergeCellsTotal} cells; unmerge them`);
    }
  }
  return stripDataValidations(xml);
}

/** CRC-32 (IEEE), for the entries of a repacked zip. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Writes a zip whose entries are stored (not compressed). Sizes must fit in 32 bits. */
export function writeStoredZip(files: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const crc = crc32(f.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6); // UTF-8 names
    lh.writeUInt16LE(0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(f.data.length, 18);
    lh.writeUInt32LE(f.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(f.data.length, 20);
    ch.writeUInt32LE(f.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, f.data);
    centrals.push(ch, name);
    offset += 30 + name.length + f.data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** What {@link guardXlsx} found. */
export interface GuardedXlsx {
  /** The bytes to give exceljs: the original, or a repacked copy with data validations removed. */
  bytes: Buffer;
  /** Entry names, for telling an XLSX from other zip files. */
  names: string[];
  /** The inflated `mimetype` entry, when there is one (OpenDocument files have it). */
  mimetype?: string;
}

/**
 * Checks an XLSX zip against {@link ZIP_LIMITS} (declared sizes first, then bounded inflation and
 * worksheet scans) and returns the bytes exceljs may open. Throws {@link ZipRefusedError}.
 */
export function guardXlsx(bytes: Buffer, limits = ZIP_LIMITS): GuardedXlsx {
  const entries = listZipEntries(bytes, limits);
  const isSheet = (e: ZipEntry) => /^\/?xl\/worksheets\/[^/]+\.xml$/i.test(e.name);
  let changed = false;
  let mimetype: string | undefined;
  // First pass: inflate (bounded) and check every entry, one at a time, keeping nothing.
  for (const entry of entries) {
    const data = inflateEntry(bytes, entry);
    if (entry.name === 'mimetype') mimetype = data.toString('latin1', 0, 200).trim();
    if (/\.(xml|rels|vml)$/i.test(entry.name) && (data.indexOf('<!DOCTYPE') >= 0 || data.indexOf('<!ENTITY') >= 0)) {
      throw new ZipRefusedError(`the workbook's entry "${entry.name}" declares XML entities (<!DOCTYPE>), which Excel never writes (an "XML bomb"?); it was not opened`);
    }
    if (isSheet(entry) && checkWorksheet(entry.name, data, limits)) changed = true;
  }
  if (!changed) return { bytes, names: entries.map((e) => e.name), mimetype };
  // Second pass, only when something must be removed: repack with the cleaned worksheets.
  const files = entries.map((entry) => {
    const data = inflateEntry(bytes, entry);
    return { name: entry.name, data: (isSheet(entry) && checkWorksheet(entry.name, data, limits)) || data };
  });
  return { bytes: writeStoredZip(files), names: entries.map((e) => e.name), mimetype };
}
