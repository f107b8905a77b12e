/**
 * What changed between two versions of a storyboard, in shots: which shots changed (anything that
 * makes a different clip), which were added and which removed, and what rendering the changed and
 * added ones would cost (USD, upper bound). Shown before a changed file is applied in the app, and
 * printed by `ltx-batch render` when a re-run finds changes. Shot ids as the storyboard names them.
 */

/** One version's shots: id and a hash of what makes its clip (see ProjectStore's specHash), and what rendering it costs. */
export interface ShotVersion {
  id: string;
  hash: string;
  /** Upper bound in USD of rendering it (every take); null when unknown. */
  usd?: number | null;
}

/** The difference, in shots. */
export interface ShotDiff {
  changed: string[];
  added: string[];
  removed: string[];
  /** What rendering the changed and added shots would cost, USD (unknown prices count 0). */
  usd: number;
}

/** The shots of `after` that differ from `before`, by id. */
export function diffShots(before: ShotVersion[], after: ShotVersion[]): ShotDiff {
  const old = new Map(before.map((s) => [s.id, s.hash]));
  const now = new Set(after.map((s) => s.id));
  const diff: ShotDiff = { changed: [], added: [], removed: before.filter((s) => !now.has(s.id)).map((s) => s.id), usd: 0 };
  for (const s of after) {
    const was = old.get(s.id);
    if (was === s.hash) continue;
    (was === undefined ? diff.added : diff.changed).push(s.id);
    diff.usd += s.usd ?? 0;
  }
  diff.usd = Math.round(diff.usd * 10_000) / 10_000;
  return diff;
}

/** True when nothing changed. */
export function isEmptyDiff(d: ShotDiff): boolean {
  return !d.changed.length && !d.added.length && !d.removed.length;
}

/** "3 changed (2, 4, 7), 1 added (9), 1 removed (5), +$0.40 to render", as the CLI and the app say it. */
export function describeDiff(d: ShotDiff): string {
  const list = (ids: string[]) => `${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', ...' : ''}`;
  const parts = [
    ...(d.changed.length ? [`${d.changed.length} changed (${list(d.changed)})`] : []),
    ...(d.added.length ? [`${d.added.length} added (${list(d.added)})`] : []),
    ...(d.removed.length ? [`${d.removed.length} removed (${list(d.removed)})`] : []),
  ];
  return `${parts.join(', ')}, +$${d.usd.toFixed(2)} to render`;
}
