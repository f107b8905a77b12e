/**
 * Joints belong to the two clips they join: when clips are reordered, a crossfade between shot A
 * and shot B stays between A and B wherever that pair goes, and a pair that is new after the move
 * starts as a cut. `seconds` (each crossfade's own length, null: the default) moves with its joint.
 */
export type Joint = 'cut' | 'crossfade';

/**
 * The joints after the shots `before` (ids in film order; joint i is between before[i] and
 * before[i + 1]) are reordered to `after`. Pairs that are still next to each other in the same
 * order keep their joint and length; every other joint is a cut of no set length.
 */
export function jointsAfterReorder<K>(before: K[], joints: Joint[], seconds: (number | null)[], after: K[]): { joints: Joint[]; seconds: (number | null)[] } {
  const pair = new Map<K, { joint: Joint; seconds: number | null }>();
  before.slice(0, -1).forEach((k, i) => pair.set(k, { joint: joints[i] ?? 'cut', seconds: seconds[i] ?? null }));
  const out = { joints: [] as Joint[], seconds: [] as (number | null)[] };
  for (let i = 0; i < after.length - 1; i++) {
    const was = before.indexOf(after[i]);
    const same = was >= 0 && before[was + 1] === after[i + 1];
    const j = same ? pair.get(after[i]) : undefined;
    out.joints.push(j?.joint ?? 'cut');
    out.seconds.push(j?.seconds ?? null);
  }
  return out;
}
