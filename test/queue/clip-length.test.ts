/**
 * A clip of another length than its row asks for (a service that rounds or ignores the duration)
 * is recorded as such, and the timeline and the film use its real length.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importStoryboard } from '../../main/storyboard/import';
import { planStoryboard } from '../../main/pricing/plan';
import { ProviderRegistry } from '../../main/providers/registry';
import { createPreviewProvider } from '../../main/providers/preview/preview';
import type { Provider } from '../../main/providers/provider';
import { ProjectSession } from '../../main/project/session';
import { readTimeline } from '../../main/timeline/timeline';
import { tmpDir, withFiles } from '../helpers/tmp';

describe('clip length', () => {
  it('notes a clip 1 s long for a row of 0.4 s, and the timeline and film use 1 s', async () => {
    const preview = createPreviewProvider();
    // A service that renders every shot 1 s long, whatever the row says.
    const oneSecond: Provider = { ...preview, validate: (shot) => preview.validate({ ...shot, duration: 1 }) };
    const reg = new ProviderRegistry([oneSecond]);
    const sb = await importStoryboard(path.join(withFiles({ 'sb.csv': 'shot,prompt,duration,resolution,fps\n1,a harbour,0.4,64x36,25\n2,gulls,1,64x36,25' }), 'sb.csv'));
    const session = ProjectSession.open(tmpDir('ltx-length-'), { registry: reg });
    const r = await session.render(sb, planStoryboard(sb.shots, reg));
    const [first, second] = session.store.jobs();
    expect(first.notes).toContain("the clip is 1.00 s long; the row asks for 0.4 s (the timeline and the film use the clip's real length)");
    expect(second.notes.filter((n) => n.startsWith('the clip is'))).toEqual([]);
    expect(readTimeline(session.store).map((t) => t.chosen?.media?.video?.duration)).toEqual([1, 1]);
    expect(r.stitch!.duration).toBeCloseTo(2, 1);
    session.close();
  });
});
