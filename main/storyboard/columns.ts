/**
 * Storyboard columns and header matching.
 *
 * Headers match case-insensitively, trimmed, with spaces, underscores and hyphens equal and a unit
 * in parentheses ignored: "Duration (s)", "duration", "DURATION_" all name `duration`.
 */

/** The columns LTX Batch understands, in the order they are documented in README. */
export const KNOWN_COLUMNS = [
  'shot',
  'prompt',
  'mode',
  'image',
  'end_image',
  'audio',
  'video',
  'duration',
  'resolution',
  'aspect_ratio',
  'fps',
  'seed',
  'takes',
  'continue_from',
  'provider',
  'model',
  'negative_prompt',
  'loras',
  'notes',
  'budget',
] as const;

/**
 * Columns read by the providers that take them (kept with each shot like unknown columns, but not
 * reported as unknown): `generate_audio` and `camera_motion` (ltx), `control_mode` and
 * `audio_mode` (apiinone).
 */
export const PROVIDER_COLUMNS = ['generate_audio', 'camera_motion', 'control_mode', 'audio_mode'] as const;

/**
 * Headers starting with this are result columns a results workbook added (main/report/export-xlsx.ts:
 * "Result: state", "Result: clip", ...): ignored on import, neither columns nor metadata, so a
 * results workbook renders as its storyboard did.
 */
export const RESULT_COLUMN_PREFIX = 'Result:';

/** One of {@link KNOWN_COLUMNS}. */
export type KnownColumn = (typeof KNOWN_COLUMNS)[number];

/** Other spellings creators use for a column (after normalisation). */
const ALIASES: Record<string, KnownColumn> = {
  shot_id: 'shot',
  shot_number: 'shot',
  id: 'shot',
  scene: 'shot',
  description: 'prompt',
  start_image: 'image',
  last_frame: 'end_image',
  end_frame: 'end_image',
  last_image: 'end_image',
  last_frame_image: 'end_image',
  image_url: 'image',
  audio_url: 'audio',
  video_url: 'video',
  length: 'duration',
  seconds: 'duration',
  aspect: 'aspect_ratio',
  ratio: 'aspect_ratio',
  frame_rate: 'fps',
  negative: 'negative_prompt',
  lora: 'loras',
  variants: 'takes',
  continues: 'continue_from',
  continue: 'continue_from',
  continues_from: 'continue_from',
  take_count: 'takes',
  note: 'notes',
  comment: 'notes',
  comments: 'notes',
};

/**
 * Normalises a header cell: lower case, unit in parentheses removed, spaces/underscores/hyphens
 * collapsed to one underscore, trimmed. "Aspect Ratio (W:H)" -> "aspect_ratio".
 */
export function normaliseHeader(header: string): string {
  return header
    .replace(/^\uFEFF/, '')
    .replace(/\([^)]*\)/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The known column a header names, or undefined for an unknown column (kept as metadata). */
export function matchColumn(header: string): KnownColumn | undefined {
  const n = normaliseHeader(header);
  if ((KNOWN_COLUMNS as readonly string[]).includes(n)) return n as KnownColumn;
  return ALIASES[n];
}

/** How the headers of a storyboard map to columns. `index` is the 0-based cell index. */
export interface ColumnMapping {
  /** Known column -> index of the cell that holds it. */
  known: Partial<Record<KnownColumn, number>>;
  /** Result columns of a results workbook (ignored: see {@link RESULT_COLUMN_PREFIX}). */
  results?: { header: string; index: number }[];
  /** Unknown headers (as written) -> index, kept as metadata. */
  unknown: { header: string; index: number }[];
  /** The headers as written. */
  headers: string[];
  /** Headers that name a column already named by an earlier header. */
  duplicates: { header: string; column: string; index: number }[];
}

/** Maps a header row to columns. Empty headers are ignored. Linear in the number of headers. */
export function mapHeaders(headers: string[]): ColumnMapping {
  const mapping: ColumnMapping = { known: {}, unknown: [], headers, duplicates: [] };
  const unknownSeen = new Set<string>();
  headers.forEach((raw, index) => {
    const header = (raw ?? '').toString().trim();
    if (header === '') return;
    if (header.toLowerCase().startsWith(RESULT_COLUMN_PREFIX.toLowerCase())) {
      (mapping.results ??= []).push({ header, index });
      return;
    }
    const col = matchColumn(header);
    if (col) {
      if (mapping.known[col] !== undefined) mapping.duplicates.push({ header, column: col, index });
      else mapping.known[col] = index;
      return;
    }
    const n = normaliseHeader(header);
    if (unknownSeen.has(n)) {
      mapping.duplicates.push({ header, column: n, index });
    } else {
      unknownSeen.add(n);
      mapping.unknown.push({ header, index });
    }
  });
  return mapping;
}
