/**
 * The Shots screen's Render button counts what a render would render now: before the first render
 * every row, after "render selected" the rows still without a clip, after a full render none; an
 * edited row counts again.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { previewApp } from '../helpers/preview-app';
import { tmpDir, withFiles } from '../helpers/tmp';

describe('what Render would render', () => {
  it('counts the rows without a clip of their current version in the project', async () => {
    const { service, settings, finished } = previewApp();
    const csv = ['shot,prompt,duration,resolution', '1,one,1,160x90', '2,two,1,160x90', '3,three,1,160x90', ''].join('\n');
    await service.handle('storyboard.openPath', { path: path.join(withFiles({ 'sb.csv': csv }), 'sb.csv') });
    expect((await service.handle('estimate.get', {})).toRender).toEqual({ shots: 3, usdMax: 0, unpriced: 0 });
    const project = tmpDir('ltx-counts-');
    await service.handle('render.start', { project, rows: [3] });
    await finished();
    expect((await service.handle('estimate.get', {})).toRender.shots).toBe(2);
    await service.handle('render.start', { project });
    await finished();
    expect((await service.handle('estimate.get', {})).toRender.shots).toBe(0);
    // An edited row needs rendering again.
    await service.handle('shots.edit', { row: 2, field: 'prompt', value: 'one, closer' });
    expect((await service.handle('estimate.get', {})).toRender.shots).toBe(1);
    settings.close();
  }, 60_000);
});
