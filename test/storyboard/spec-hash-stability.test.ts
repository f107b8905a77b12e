/**
 * A project's shots keep their spec hashes from one version of the importer to the next: the
 * queue re-renders a shot whose hash changed (store.ts specHash), so a hash that moved with an
 * upgrade would render, and charge for, every shot of every project again. The expected hashes
 * were written by the importer of 2026-12-02 (before the per-row reader of shot-row.ts).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { specHash } from '../../main/queue/store';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import { withFiles } from '../helpers/tmp';

const CSV = [
  'shot,prompt,duration,resolution,aspect_ratio,fps,seed,takes,image,end_image,audio,mode,continue_from,provider,model,negative_prompt,loras,notes,budget,mood',
  '1,"A lighthouse at dusk, slow push in",4,1080p,16:9,24,7,2,,,,,,preview,,blurry,,first shot,0.50,calm',
  '2,The beam sweeps the sea,6,720p,9:16,,,,https://example.com/start.png,https://example.com/end.png,,,,ltx,ltx-2-pro,,https://example.com/style.safetensors 0.8,,,stormy',
  '3,The keeper climbs the stairs,5,,,,12,,,,,,previous,,,,,,,',
  '4,The keeper hums a tune,8,480p,,25,,,,,https://example.com/theme.mp3,audio-to-video,,,,,,,2,',
].join('\n');

describe('spec hashes across importer versions', () => {
  it('gives every kind of row the hash it had before, so nothing already rendered renders again', async () => {
    const dir = withFiles({ 'board.csv': CSV });
    const sb = await importStoryboard(path.join(dir, 'board.csv'));
    expect(sb.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(sb.shots.map((s) => [s.id, specHash(s, s.provider ?? 'preview')])).toEqual(GOLDEN);
  });

  it("gives the same hash with the preview provider's request (the animatic's spec), seeded or random", async () => {
    const dir = withFiles({ 'board.csv': CSV });
    const sb = await importStoryboard(path.join(dir, 'board.csv'));
    const preview = createPreviewProvider();
    const hashes = sb.shots.map((s) => {
      const v = preview.validate(s);
      return [s.id, v.ok ? specHash(s, 'preview', v.request) : 'refused'];
    });
    expect(hashes).toEqual(GOLDEN_PREVIEW);
  });
});

const GOLDEN: [string, string][] = [
  ['1', '361dd33994b20cb329119feed4ca1a92'],
  ['2', 'c300037bb09975ed553911557865adc5'],
  ['3', 'b5047831a6c4c089e47d71bbcd05590e'],
  ['4', '29e8b2fabe3687feb22f0c6a34a7ad4a'],
];

/** The same rows with the preview provider's request, from the code of 2026-12-03 (before the spec's seed was always set). */
const GOLDEN_PREVIEW: [string, string][] = [
  ['1', '8c74285a18b308c2e36d643da5518c82'],
  ['2', 'a5e7eb2448c258a09a14755ce9202a1f'],
  ['3', 'c348519896d7589598e7c1f0a2a7ad2f'],
  ['4', '4caf966e29ecfb374f4c655cf5222958'],
];
