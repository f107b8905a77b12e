/**
 * One look across the film: a style (a prefix, a suffix and a negative prompt for every row) and
 * characters (`{Mara}` in a prompt expands to Mara's description), so one description keeps a
 * character the same across 300 shots.
 *
 * Where they come from: a workbook's sheets named `Style` (rows `prefix | text`, `suffix | text`,
 * `negative_prompt | text`) and `Characters` (columns `name`, `description`); on the command line
 * `--style TEXT` (a `{prompt}` in it marks where the row's prompt goes; without one the text is
 * added after the prompt), `--negative TEXT` and `--characters FILE` (a CSV of name, description),
 * which win over the sheets. Applied after the rows are read: a row's prompt becomes prefix +
 * expanded prompt + suffix, its negative prompt its own joined with the style's.
 */
import fs from 'node:fs';
import { readCsv } from './read-csv';
import type { StoryboardIssue } from './issues';
import type { Shot } from './shot';

/** A style: text before and after every prompt, and a negative prompt added to every row's. */
export interface Style {
  prefix?: string;
  suffix?: string;
  negative?: string;
}

/** What a storyboard's look is: its style and its characters (name as written -> description). */
export interface Look {
  style: Style;
  characters: Record<string, string>;
  /** Where each part came from ("sheet Style", "--style", "sheet Characters", "chars.csv"), for the estimate. */
  sources: string[];
}

/** What a character's name may hold: letters, digits, spaces, `_`, `-`, `.`, `'`; up to 64 characters. */
const NAME = "[\\p{L}\\p{N} _.'-]{1,64}";
/** A character reference in a prompt: `{Name}`. */
const REFERENCE = new RegExp(`\\{(${NAME})\\}`, 'gu');
const WHOLE_NAME = new RegExp(`^${NAME}$`, 'u');

/** Normalised character name: trimmed, case-folded, inner spaces collapsed. */
const key = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Reads a `Style` sheet's rows (`field | text`; a header row `field | value` is skipped): fields
 * `prefix`, `suffix`, `negative_prompt` (or `negative`). Unknown fields are errors naming the row.
 */
export function readStyleRows(rows: { cells: string[]; row: number }[], where: string): { style: Style; issues: StoryboardIssue[] } {
  const style: Style = {};
  const issues: StoryboardIssue[] = [];
  for (const { cells, row } of rows) {
    const field = (cells[0] ?? '').trim().toLowerCase().replace(/[\s-]+/g, '_');
    const text = (cells[1] ?? '').trim();
    if (!field && !text) continue;
    if (field === 'field' || field === 'name') continue; // a header row
    if (field === 'prefix') style.prefix = text || undefined;
    else if (field === 'suffix') style.suffix = text || undefined;
    else if (field === 'negative_prompt' || field === 'negative') style.negative = text || undefined;
    else issues.push({ severity: 'error', row, column: 'A', message: `${where}: "${cells[0]}" is not a style field; use prefix, suffix or negative_prompt` });
  }
  return { style, issues };
}

/**
 * Reads characters from rows whose first row is a header naming `name` and `description` (in any
 * order). Empty names, duplicate names (case-insensitive) and names with braces are errors naming
 * the row; `where` names the sheet or file in messages.
 */
export function readCharacterRows(rows: { cells: string[]; row: number }[], where: string): { characters: Record<string, string>; issues: StoryboardIssue[] } {
  const characters: Record<string, string> = {};
  const issues: StoryboardIssue[] = [];
  if (rows.length === 0) return { characters, issues };
  const header = rows[0].cells.map((h) => h.trim().toLowerCase());
  const nameAt = header.indexOf('name');
  const descAt = header.findIndex((h) => h === 'description' || h === 'look');
  if (nameAt < 0 || descAt < 0) {
    issues.push({ severity: 'error', row: rows[0].row, message: `${where}: the first row must name the columns "name" and "description"` });
    return { characters, issues };
  }
  const seen = new Map<string, number>();
  for (const { cells, row } of rows.slice(1)) {
    const name = (cells[nameAt] ?? '').trim();
    const description = (cells[descAt] ?? '').trim();
    if (!name && !description) continue;
    if (!name) issues.push({ severity: 'error', row, column: 'name', message: `${where}: a character without a name` });
    else if (!WHOLE_NAME.test(name)) issues.push({ severity: 'error', row, column: 'name', message: `${where}: "${name}" cannot be written as {${name}} in a prompt (letters, digits, spaces, _ - . ' only, up to 64 characters)` });
    else if (seen.has(key(name))) issues.push({ severity: 'error', row, column: 'name', message: `${where}: "${name}" is already described on row ${seen.get(key(name))}` });
    else if (!description) issues.push({ severity: 'error', row, column: 'description', message: `${where}: "${name}" has no description` });
    else {
      seen.set(key(name), row);
      characters[name] = description;
    }
  }
  return { characters, issues };
}

/** Reads `--characters FILE`, a CSV of name, description (the same encodings as a storyboard CSV). */
export function readCharactersFile(file: string): { characters: Record<string, string>; issues: StoryboardIssue[] } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    return { characters: {}, issues: [{ severity: 'error', message: `--characters ${file}: ${(e as Error).message}` }] };
  }
  const sheet = readCsv(bytes);
  if (sheet.fatal) return { characters: {}, issues: [{ severity: 'error', row: sheet.fatal.row || undefined, column: sheet.fatal.column, message: `--characters ${file}: ${sheet.fatal.message}` }] };
  return readCharacterRows(sheet.rows.map((cells, i) => ({ cells, row: sheet.rowNumbers[i] })), file);
}

/**
 * `--style TEXT` as a style: a `{prompt}` in it marks where the row's prompt goes (the text before
 * is the prefix, after it the suffix); without one, the whole text is the suffix.
 */
export function parseStyleOption(text: string): Style {
  const at = text.indexOf('{prompt}');
  if (at < 0) return { suffix: text.trim() || undefined };
  return { prefix: text.slice(0, at).trim() || undefined, suffix: text.slice(at + '{prompt}'.length).trim() || undefined };
}

/** Joins prompt parts with ", ", or a space where a part already ends in punctuation, or nothing where the next starts with it. */
function join(parts: (string | undefined)[]): string {
  return parts
    .filter((p): p is string => !!p)
    .reduce((acc, p) => (!acc ? p : /^[,.;:!?]/.test(p) ? `${acc}${p}` : `${acc}${/[,.;:!?]$/.test(acc) ? ' ' : ', '}${p}`), '');
}

/**
 * Applies a look to the shots, in place: `{Name}` references expand to their descriptions, the
 * style's prefix and suffix go around the prompt and its negative prompt joins the row's. The row's
 * cells as written are kept (`rowPrompt`, `rowNegativePrompt`) when they changed. A reference to no
 * known character is an error naming the row and the prompt column. Returns the issues and, per
 * character, how many shots use it.
 */
export function applyLook(shots: Shot[], look: Look, promptColumn = 'prompt'): { issues: StoryboardIssue[]; uses: Record<string, number> } {
  const issues: StoryboardIssue[] = [];
  const byKey = new Map(Object.entries(look.characters).map(([n, d]) => [key(n), { name: n, description: d }]));
  const uses: Record<string, number> = {};
  const { prefix, suffix, negative } = look.style;
  if (byKey.size === 0 && !prefix && !suffix && !negative) return { issues, uses };
  for (const shot of shots) {
    const raw = shot.prompt;
    const used = new Set<string>();
    const expanded = raw.replace(REFERENCE, (whole, name: string) => {
      const c = byKey.get(key(name));
      if (!c) {
        const known = [...byKey.values()].map((x) => x.name);
        issues.push({
          severity: 'error',
          row: shot.row,
          column: promptColumn,
          message: `{${name}} is not a character${known.length ? `; characters: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''}` : ' (no Characters sheet or --characters file describes any)'}`,
        });
        return whole;
      }
      used.add(c.name);
      return c.description;
    });
    for (const n of used) uses[n] = (uses[n] ?? 0) + 1;
    const prompt = join([prefix, expanded, suffix]);
    const neg = join([shot.negativePrompt, negative]) || undefined;
    if (prompt !== raw) {
      shot.rowPrompt = raw;
      shot.prompt = prompt;
    }
    if (neg !== shot.negativePrompt) {
      shot.rowNegativePrompt = shot.negativePrompt ?? '';
      shot.negativePrompt = neg;
    }
  }
  return { issues, uses };
}

/** The look options of the command line (`--style`, `--negative`, `--characters`). */
export interface LookOptions {
  /** `--style TEXT` (see {@link parseStyleOption}). */
  style?: string;
  /** `--negative TEXT`: the style's negative prompt. */
  negative?: string;
  /** `--characters FILE`: a CSV of name, description. */
  charactersFile?: string;
}

/** Sheets of a workbook that describe the look (read beside the storyboard sheet). */
export interface LookSheets {
  style?: { cells: string[]; row: number }[];
  characters?: { cells: string[]; row: number }[];
}

/**
 * The look of a storyboard: the workbook's Style and Characters sheets, then the command line's
 * options over them (a field or a character of the same name given on the command line wins).
 */
export function resolveLook(sheets: LookSheets | undefined, opts: LookOptions = {}): { look: Look; issues: StoryboardIssue[] } {
  const issues: StoryboardIssue[] = [];
  const look: Look = { style: {}, characters: {}, sources: [] };
  if (sheets?.style) {
    const r = readStyleRows(sheets.style, 'sheet Style');
    issues.push(...r.issues);
    look.style = r.style;
    look.sources.push('sheet Style');
  }
  if (sheets?.characters) {
    const r = readCharacterRows(sheets.characters, 'sheet Characters');
    issues.push(...r.issues);
    look.characters = r.characters;
    look.sources.push('sheet Characters');
  }
  if (opts.style !== undefined) {
    look.style = { ...look.style, ...parseStyleOption(opts.style) };
    look.sources.push('--style');
  }
  if (opts.negative !== undefined) {
    look.style.negative = opts.negative.trim() || undefined;
    look.sources.push('--negative');
  }
  if (opts.charactersFile) {
    const r = readCharactersFile(opts.charactersFile);
    issues.push(...r.issues);
    const names = new Map(Object.keys(look.characters).map((n) => [key(n), n]));
    for (const [n, d] of Object.entries(r.characters)) {
      const had = names.get(key(n));
      if (had) delete look.characters[had];
      look.characters[n] = d;
    }
    look.sources.push(opts.charactersFile);
  }
  return { look, issues };
}
