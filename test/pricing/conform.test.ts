/**
 * Conform to a provider: the nearest values the provider accepts, found through its own validate,
 * for every rule a row breaks; the estimate before (null: not renderable) and after.
 */
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { createLtxProvider } from '../../main/providers/ltx/ltx';
import { conformShot } from '../../main/pricing/conform';
import { withFiles } from '../helpers/tmp';

describe('conform to ltx', () => {
  it('fixes 8 rows of the example kind in one pass: sizes, rates, durations and modes the LTX API takes', async () => {
    const dir = withFiles({});
    fs.writeFileSync(
      path.join(dir, 'sb.csv'),
      [
        'shot,prompt,duration,resolution,fps,aspect_ratio,mode',
        '1,a,5,720p,25,,',
        '2,b,4,480p,24,,',
        '3,c,7,1080p,30,,',
        '4,d,2.5,720p,25,9:16,',
        '5,e,6,1080p,25,,lipsync',
        '6,f,12,1080p,25,,',
        '7,g,10,1440p,50,,',
        '8,h,3,64x36,25,,',
      ].join('\n'),
    );
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const ltx = createLtxProvider({});
    const rows = sb.shots.map((s) => conformShot(s, ltx));
    const short = rows.map((r) => r.changes.map((c) => `${c.column} ${c.from}->${c.to}`));
    expect(short).toEqual([
      ['duration 5->6'],
      ['resolution 480p->1280x720', 'duration 4->6'],
      ['fps 30->25', 'duration 7->8'],
      ['duration 2.5->6'],
      ['mode lipsync->text-to-video'],
      [],
      [],
      ['resolution 64x36->1280x720', 'duration 3->6'],
    ]);
    expect(rows.flatMap((r) => r.problems)).toEqual([]);
    // Before: only the rows it already took had a price; after: every row, at the public rates.
    expect(rows.map((r) => r.usdBefore)).toEqual([null, null, null, null, null, 0.72, 1.2, null]);
    expect(rows.map((r) => r.usdAfter)).toEqual([0.18, 0.18, 0.48, 0.18, 0.36, 0.72, 1.2, 0.18]);
  });

  it('says what a change of these cells cannot fix, every rule at once', async () => {
    const dir = withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,loras\n1,a,6,1080p,https://x.example/style.safetensors\n' });
    const sb = await importStoryboard(path.join(dir, 'sb.csv'));
    const r = conformShot(sb.shots[0], createLtxProvider({}));
    expect(r.changes).toEqual([]);
    expect(r.problems).toEqual(['loras: ltx takes no LoRAs; got 1']);
  });
});
