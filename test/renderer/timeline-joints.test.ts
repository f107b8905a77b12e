/** A crossfade belongs to the two clips it joins and follows them when the Timeline is reordered. */
import { describe, expect, it } from 'vitest';
import { jointsAfterReorder } from '../../renderer/src/timeline-joints';

describe('joints when clips are reordered', () => {
  it('a crossfade between shots 2 and 3 stays between them when shot 1 moves to the end; new pairs are cuts', () => {
    // 1 | 2 ⨯ 3 | 4  →  2 ⨯ 3 | 4 | 1
    const r = jointsAfterReorder([1, 2, 3, 4], ['cut', 'crossfade', 'cut'], [null, 1.5, null], [2, 3, 4, 1]);
    expect(r).toEqual({ joints: ['crossfade', 'cut', 'cut'], seconds: [1.5, null, null] });
  });

  it('a pair that is split or reversed loses its crossfade', () => {
    expect(jointsAfterReorder(['a', 'b', 'c'], ['crossfade', 'crossfade'], [0.5, 2], ['b', 'a', 'c']).joints).toEqual(['cut', 'cut']);
    expect(jointsAfterReorder(['a', 'b', 'c'], ['crossfade', 'cut'], [1, null], ['c', 'a', 'b'])).toEqual({ joints: ['cut', 'crossfade'], seconds: [null, 1] });
  });
});
