/**
 * Walking away from a batch: the project's log (what happened, keys masked, rotated) and the
 * diagnostics report a creator attaches to a bug report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOG_FILE, LOG_FOLDER, ProjectLog } from '../../main/app/project-log';
import { previewApp } from '../helpers/preview-app';
import { tmpDir, withFiles } from '../helpers/tmp';

describe('the project log', () => {
  it('has a line per finished take and the render\'s end, and the diagnostics carry it', async () => {
    const { service, settings, finished } = previewApp();
    const csv = ['shot,prompt,duration,resolution', '1,one,1,160x90', '2,two,1,160x90', ''].join('\n');
    await service.handle('storyboard.openPath', { path: path.join(withFiles({ 'sb.csv': csv }), 'sb.csv') });
    const project = tmpDir('ltx-log-');
    await service.handle('render.start', { project });
    await finished();
    const d = await service.handle('app.diagnostics', {});
    expect(d.logFile).toBe(path.join(project, LOG_FOLDER, LOG_FILE));
    await expect.poll(() => fs.readFileSync(d.logFile!, 'utf8')).toMatch(/render finished/);
    const lines = fs.readFileSync(d.logFile!, 'utf8').trim().split('\n');
    const text = lines.map((l) => l.replace(/^\S+ /, ''));
    // The two shots render at once: either may finish first.
    expect([...text.slice(0, 2)].sort()).toEqual(['shot 1 take 1 succeeded (preview, $0.00)', 'shot 2 take 1 succeeded (preview, $0.00)']);
    expect(text.slice(2)).toEqual(['render finished: 2 succeeded, 0 failed']);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    expect(d.text).toMatch(/^LTX Batch .* \(browser mode\)\n/);
    expect(d.text).toContain(`project: ${project}`);
    expect(d.text).toContain('providers: preview ready');
    expect(d.text).toContain('shot 2 take 1 succeeded');
    await service.shutdown();
    settings.close();
  }, 60_000);

  it('masks keys and Bearer tokens, and rotates at 1 MiB keeping three old files', async () => {
    const dir = tmpDir('ltx-log-rotate-');
    const log = new ProjectLog(dir, () => ['sk-live-SECRET-1234567890']);
    log.write('ltx failed: HTTP 401 for key sk-live-SECRET-1234567890, Authorization: Bearer abc.def sent');
    await log.close();
    const text = fs.readFileSync(path.join(dir, LOG_FOLDER, LOG_FILE), 'utf8');
    expect(text).toContain('for key ***, Authorization: Bearer *** sent');
    expect(text).not.toContain('SECRET');
    const big = new ProjectLog(dir, () => []);
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 2300; i++) big.write(line);
    await big.close();
    // rotating-file-stream renames in the background after the size is passed.
    await expect.poll(() => fs.readdirSync(path.join(dir, LOG_FOLDER)).sort(), { timeout: 10_000 }).toEqual(expect.arrayContaining([LOG_FILE, `${LOG_FILE}.1`]));
    expect(fs.statSync(path.join(dir, LOG_FOLDER, `${LOG_FILE}.1`)).size).toBeLessThan(1.1 * 2 ** 20);
  });
});
