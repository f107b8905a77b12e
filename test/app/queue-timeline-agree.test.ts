/**
 * The Queue and the Timeline agree: choosing a take on the Timeline updates the Queue's takes (the
 * chosen mark moves) through the same job events a choice in the Queue sends.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../main/contract/api';
import { previewApp } from '../helpers/preview-app';
import { tmpDir, withFiles } from '../helpers/tmp';

describe('the Queue follows a take chosen on the Timeline', () => {
  it('sends the job updates that move the chosen mark', async () => {
    const { service, settings, events, finished } = previewApp();
    const csv = ['shot,prompt,duration,resolution,takes', '1,one,0.4,64x36,2', '2,two,0.4,64x36,1', ''].join('\n');
    await service.handle('storyboard.openPath', { path: path.join(withFiles({ 'sb.csv': csv }), 'sb.csv') });
    await service.handle('render.start', { project: tmpDir('ltx-agree-') });
    await finished();
    const tl = await service.handle('timeline.get', {});
    const shot1 = tl.clips[0];
    const other = shot1.takes.find((t) => t.jobId !== shot1.chosenJobId)!;
    events.length = 0;
    await service.handle('timeline.update', { order: tl.clips.map((c) => c.shotId), takes: { [String(shot1.shotId)]: other.jobId }, joints: ['cut'] });
    const updates = events.filter((e) => e.name === 'job.updated').map((e) => e.payload as JobView);
    expect(updates.map((j) => [j.id, j.chosen]).sort()).toEqual([
      [shot1.chosenJobId, false],
      [other.jobId, true],
    ].sort());
    await service.shutdown();
    settings.close();
  }, 60_000);
});
