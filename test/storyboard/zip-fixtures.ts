/**
 * Builders for hand-made zip and XLSX files used by the bad-storyboard corpus: workbooks with XML
 * exceljs would never write (whole-column validations, huge merges), zips that lie about their
 * sizes, and zip bombs. Written from the zip specification (APPNOTE), nothing copied.
 */
import zlib from 'node:zlib';
import { crc32, writeStoredZip } from '../../main/storyboard/zip-guard';

/** One entry as it will be written: `data` is already compressed when `method` is 8. */
export interface RawEntry {
  name: string;
  method: 0 | 8;
  data: Buffer;
  /** The uncompressed size the zip will declare (may be a lie). */
  declaredSize: number;
  crc?: number;
  /** Write sizes in a Zip64 extra field (needed for sizes of 4 GB and more). */
  zip64?: boolean;
  /** Write the central-directory record only, pointing at the local header of entry `shareWith`. */
  shareWith?: number;
}

/** Writes a zip from raw entries, exactly as given (sizes, methods, shared data). */
export function rawZip(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    const name = Buffer.from(e.name, 'utf8');
    const big = e.zip64 === true;
    const extra = big ? Buffer.alloc(4 + 16) : Buffer.alloc(0);
    if (big) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(e.declaredSize), 4);
      extra.writeBigUInt64LE(BigInt(e.data.length), 12);
    }
    const size32 = (n: number) => (big ? 0xffffffff : n);
    let localOffset: number;
    if (e.shareWith !== undefined) localOffset = offsets[e.shareWith];
    else {
      localOffset = offset;
      const lh = Buffer.alloc(30);
      lh.writeUInt32LE(0x04034b50, 0);
      lh.writeUInt16LE(big ? 45 : 20, 4);
      lh.writeUInt16LE(e.method, 8);
      lh.writeUInt32LE(e.crc ?? 0, 14);
      lh.writeUInt32LE(size32(e.data.length), 18);
      lh.writeUInt32LE(size32(e.declaredSize), 22);
      lh.writeUInt16LE(name.length, 26);
      lh.writeUInt16LE(extra.length, 28);
      parts.push(lh, name, extra, e.data);
      offset += 30 + name.length + extra.length + e.data.length;
    }
    offsets[i] = localOffset;
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(big ? 45 : 20, 4);
    ch.writeUInt16LE(big ? 45 : 20, 6);
    ch.writeUInt16LE(e.method, 10);
    ch.writeUInt32LE(e.crc ?? 0, 16);
    ch.writeUInt32LE(size32(e.data.length), 20);
    ch.writeUInt32LE(size32(e.declaredSize), 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(extra.length, 30);
    ch.writeUInt32LE(localOffset, 42);
    centrals.push(ch, name, extra);
  });
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  eocd.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, eocd]);
}

/** A deflated entry with honest sizes and CRC. */
export function deflated(name: string, data: Buffer | string): RawEntry {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  return { name, method: 8, data: zlib.deflateRawSync(b), declaredSize: b.length, crc: crc32(b) };
}

/**
 * A raw deflate stream that inflates to `megabytes` MiB of zeros, built by repeating one
 * flushed 1 MiB block (about 1 KB compressed each), so a multi-GB bomb is made in milliseconds.
 */
export function zeroBombStream(megabytes: number): Buffer {
  const block = zlib.deflateRawSync(Buffer.alloc(1024 * 1024), { finishFlush: zlib.constants.Z_FULL_FLUSH });
  const parts: Buffer[] = new Array(megabytes).fill(block);
  parts.push(Buffer.from([0x03, 0x00])); // final, empty, fixed-Huffman block
  return Buffer.concat(parts);
}

/**
 * A raw deflate stream for `pieces` written one after the other, each piece repeated `times`
 * (compressed once, flushed to a byte boundary, then repeated), so a 50 MB worksheet is built
 * without ever holding 50 MB. The stream ends with an empty final block.
 */
export function repeatedDeflate(pieces: { data: Buffer | string; times?: number }[]): { stream: Buffer; size: number } {
  const parts: Buffer[] = [];
  let size = 0;
  for (const p of pieces) {
    const data = Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data, 'utf8');
    const block = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_FULL_FLUSH });
    for (let i = 0; i < (p.times ?? 1); i++) parts.push(block);
    size += data.length * (p.times ?? 1);
  }
  parts.push(Buffer.from([0x03, 0x00]));
  return { stream: Buffer.concat(parts), size };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Column number (1-based) to letters: 1 -> A, 16384 -> XFD. */
export function colLetters(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** Worksheet XML with inline-string and number cells, plus extra XML after sheetData (merges, validations). */
export function sheetXml(rows: (string | number | null)[][], after = ''): string {
  const body = rows
    .map((cells, r) => {
      const cs = cells
        .map((v, c) => {
          if (v === null || v === '') return '';
          const ref = `${colLetters(c + 1)}${r + 1}`;
          return typeof v === 'number' ? `<c r="${ref}"><v>${v}</v></c>` : `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${esc(v)}</t></is></c>`;
        })
        .join('');
      return `<row r="${r + 1}">${cs}</row>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>${body}</sheetData>${after}</worksheet>`;
}

/**
 * The files of a minimal XLSX (content types, relationships, workbook) around the given worksheet
 * XML. `state` hides a sheet ("hidden" or "veryHidden").
 */
export function xlsxParts(sheets: { name: string; xml: string | Buffer; state?: string }[]): { name: string; data: Buffer }[] {
  const ct = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheets
    .map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
    .join('')}</Types>`;
  const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  const wb = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>${sheets
    .map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}"${s.state ? ` state="${s.state}"` : ''} r:id="rId${i + 1}"/>`)
    .join('')}</sheets></workbook>`;
  const wbRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets
    .map((_, i) => `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
    .join('')}</Relationships>`;
  return [
    { name: '[Content_Types].xml', data: Buffer.from(ct) },
    { name: '_rels/.rels', data: Buffer.from(rels) },
    { name: 'xl/workbook.xml', data: Buffer.from(wb) },
    { name: 'xl/_rels/workbook.xml.rels', data: Buffer.from(wbRels) },
    ...sheets.map((s, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data: Buffer.isBuffer(s.xml) ? s.xml : Buffer.from(s.xml) })),
  ];
}

/** A minimal XLSX, entries deflated. */
export function minimalXlsx(sheets: { name: string; xml: string | Buffer; state?: string }[]): Buffer {
  return rawZip(xlsxParts(sheets).map((p) => deflated(p.name, p.data)));
}

/** A minimal XLSX, entries stored (for committed fixtures a reader can inspect with `unzip -p`). */
export function storedXlsx(sheets: { name: string; xml: string | Buffer; state?: string }[]): Buffer {
  return writeStoredZip(xlsxParts(sheets));
}
