/** Zip uploads: unpacked inside their folder only, the storyboard found, junk skipped. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unpackStoryboardZip, ZipUploadError } from '../../main/storyboard/unpack-zip';
import { writeStoredZip } from '../../main/storyboard/zip-guard';
import { tmpDir } from '../helpers/tmp';

describe('unpackStoryboardZip', () => {
  it('finds the storyboard nearest the top, keeps the media beside it and skips macOS junk', () => {
    const dir = path.join(tmpDir(), 'up');
    const file = unpackStoryboardZip(writeStoredZip([
      { name: 'film/', data: Buffer.alloc(0) },
      { name: 'film/storyboard.csv', data: Buffer.from('shot,prompt,image\n1,a,img/a.png\n') },
      { name: 'film/img/a.png', data: Buffer.from('png') },
      { name: 'film/old/draft.csv', data: Buffer.from('x') },
      { name: '__MACOSX/film/._storyboard.csv', data: Buffer.from('junk') },
    ]), dir);
    expect(file).toBe(path.join(dir, 'film', 'storyboard.csv'));
    expect(fs.readFileSync(path.join(dir, 'film', 'img', 'a.png'), 'utf8')).toBe('png');
    expect(fs.existsSync(path.join(dir, '__MACOSX'))).toBe(false);
  });

  it('refuses a zip with a path that leads outside its folder, writing nothing', () => {
    const root = tmpDir();
    const dir = path.join(root, 'up');
    for (const evil of ['../evil.csv', 'a/../../evil.csv', '/etc/evil.csv', 'C:/evil.csv']) {
      expect(() => unpackStoryboardZip(writeStoredZip([{ name: 'sb.csv', data: Buffer.from('shot,prompt\n1,a\n') }, { name: evil, data: Buffer.from('x') }]), dir)).toThrow(ZipUploadError);
    }
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
    expect(() => unpackStoryboardZip(writeStoredZip([{ name: 'a.png', data: Buffer.from('x') }]), dir)).toThrow(/holds no storyboard/);
  });
});
