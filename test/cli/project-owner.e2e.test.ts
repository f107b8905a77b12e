/**
 * A project is its folder: rendering another storyboard (even one with the same file name) into a
 * folder that holds a project never mixes into it or overwrites its film; the creator is told and
 * nothing changes, unless they say it is the same storyboard moved (--replace-storyboard).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tmpDir, withFiles } from '../helpers/tmp';

describe('projects are explicit', () => {
  it('a second storyboard.csv is refused in a folder that holds another storyboard\'s project; its film stays', async () => {
    const a = withFiles({ 'storyboard.csv': 'shot,prompt,duration,resolution\n1,a harbour at dawn,1,64x36\n2,gulls over the pier,1,64x36' });
    const b = withFiles({ 'storyboard.csv': 'shot,prompt,duration,resolution\n1,a desert road,0.5,64x36' });
    const out = path.join(tmpDir('ltx-owner-'), 'project');
    const first = await runCli(['render', path.join(a, 'storyboard.csv'), '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const film = fs.readFileSync(path.join(out, 'film.mp4'));
    const clips = fs.readdirSync(path.join(out, 'clips')).sort();

    const other = await runCli(['render', path.join(b, 'storyboard.csv'), '--out', out]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`holds the project of ${path.join(a, 'storyboard.csv')}`);
    expect(other.stderr).toMatch(/Render it into a new folder, or .* --replace-storyboard/);
    expect(fs.readFileSync(path.join(out, 'film.mp4')).equals(film)).toBe(true);
    expect(fs.readdirSync(path.join(out, 'clips')).sort()).toEqual(clips);

    // The same storyboard moved: the creator says so and it renders there.
    const moved = await runCli(['render', path.join(b, 'storyboard.csv'), '--out', out, '--replace-storyboard']);
    expect(moved.code, moved.stderr).toBe(0);
  });
});
