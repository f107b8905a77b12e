/**
 * "Conform to a provider": the changes that make a row renderable by a provider, worked out before
 * anything is changed. For each rule the row breaks, in the order that the rules depend on each
 * other (mode, then size, then frame rate, then duration: the LTX API's durations depend on size
 * and rate), the nearest value the provider accepts is taken: the provider's own `validate` says
 * which values pass, so the rules live in one place (the provider). Returns each change as the cell
 * text to write, the new estimate, and what still cannot be fixed by a change of these cells.
 */
import type { Provider } from '../providers/provider';
import type { Shot, Mode } from '../storyboard/shot';
import { parseResolution } from '../storyboard/fields';
import { estimateUsdMax } from './plan';

/** Columns conform may change, in the order they are fixed. */
export const CONFORM_COLUMNS = ['mode', 'resolution', 'fps', 'duration'] as const;
/** One of {@link CONFORM_COLUMNS}. */
export type ConformColumn = (typeof CONFORM_COLUMNS)[number];

/** One change: the column, the cell text before and after. */
export interface ConformChange {
  column: ConformColumn;
  from: string;
  to: string;
}

/** What conforming one row would do. USD upper bounds of every take; null when unknown or not renderable. */
export interface ConformRow {
  shot: Shot;
  changes: ConformChange[];
  /** Rules the row still breaks after the changes ("column: message"), every one at once. */
  problems: string[];
  usdBefore: number | null;
  usdAfter: number | null;
}

type Candidate = { text: string; apply: (s: Shot) => Shot };

/** The cell text of a column as the row has it now. */
function cellOf(s: Shot, column: ConformColumn): string {
  if (column === 'mode') return s.mode;
  if (column === 'resolution') return s.resolution.label;
  return String(column === 'fps' ? s.fps : s.duration);
}

/** Values the provider may take for `column`, nearest to the row's first. */
function candidates(s: Shot, column: ConformColumn, p: Provider): Candidate[] {
  const caps = p.capabilities();
  if (column === 'mode') {
    const modes: Mode[] = caps.modes.filter((m) => (m === 'image-to-video' ? !!s.image : m === 'text-to-video' || m === s.mode));
    return modes.map((m) => ({ text: m, apply: (x) => ({ ...x, mode: m }) }));
  }
  if (column === 'resolution') {
    const out: (Candidate & { d: number })[] = [];
    for (const label of caps.resolutions) {
      try {
        const r = parseResolution(label, s.aspectRatio);
        // The nearest size of the same orientation first.
        const sameOrientation = r.width >= r.height === s.resolution.width >= s.resolution.height;
        out.push({ text: r.label, d: Math.abs(r.width * r.height - s.resolution.width * s.resolution.height) + (sameOrientation ? 0 : 1e12), apply: (x) => ({ ...x, resolution: r }) });
      } catch {
        /* a description ("WIDTHxHEIGHT ...") rather than a size */
      }
    }
    return out.sort((a, b) => a.d - b.d);
  }
  if (column === 'fps') {
    const rates = caps.fps ?? [Math.min(60, Math.max(8, Math.round(s.fps)))];
    return [...rates].sort((a, b) => Math.abs(a - s.fps) - Math.abs(b - s.fps)).map((f) => ({ text: String(f), apply: (x) => ({ ...x, fps: f }) }));
  }
  const { min, max } = caps.duration;
  const values = new Set<number>();
  for (let d = Math.ceil(min); d <= Math.floor(max); d++) values.add(d);
  if (!caps.duration.integerOnly) values.add(Math.min(max, Math.max(min, s.duration)));
  return [...values].sort((a, b) => Math.abs(a - s.duration) - Math.abs(b - s.duration) || b - a).map((d) => ({ text: String(d), apply: (x) => ({ ...x, duration: d }) }));
}

/** The USD upper bound of every take of `s` on `p`, or null when it is not renderable or has no known USD rate. */
function usdOf(s: Shot, p: Provider, takes: number): number | null {
  if (!p.validate(s).ok) return null;
  const one = estimateUsdMax(p.estimate(s));
  return one === null ? null : one * takes;
}

/** What conforming `shot` (as sent: provider and look applied) to provider `p` would change. Sends nothing. */
export function conformShot(shot: Shot, p: Provider, takes = shot.takes ?? 1): ConformRow {
  let s: Shot = { ...shot, provider: p.id };
  const changes: ConformChange[] = [];
  for (const column of CONFORM_COLUMNS) {
    const v = p.validate(s);
    if (v.ok || !v.issues.some((i) => i.column === column)) continue;
    for (const c of candidates(s, column, p)) {
      const next = c.apply(s);
      const after = p.validate(next);
      if (after.ok || !after.issues.some((i) => i.column === column)) {
        if (c.text !== cellOf(s, column)) changes.push({ column, from: cellOf(shot, column), to: c.text });
        s = next;
        break;
      }
    }
  }
  const last = p.validate(s);
  return { shot, changes, problems: last.ok ? [] : last.issues.map((i) => `${i.column}: ${i.message}`), usdBefore: usdOf({ ...shot, provider: p.id }, p, takes), usdAfter: usdOf(s, p, takes) };
}
