import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRendererBuild } from '../../main/cli/ui-command';
import { tmpDir } from '../helpers/tmp';

const saved = { dir: process.env.LTX_BATCH_RENDERER_DIR, env: process.env.NODE_ENV };
afterEach(() => {
  if (saved.dir === undefined) delete process.env.LTX_BATCH_RENDERER_DIR;
  else process.env.LTX_BATCH_RENDERER_DIR = saved.dir;
  process.env.NODE_ENV = saved.env;
});

describe('building the app UI on first run', () => {
  it('builds React for production even when the shell says NODE_ENV=test or development', { timeout: 120_000 }, () => {
    // React's development build renders several times slower (the Shots grid dropped 1 frame in 6
    // scrolling 10,000 rows); a creator's shell, or a test runner, can carry another NODE_ENV.
    const dir = path.join(tmpDir(), 'ui');
    process.env.LTX_BATCH_RENDERER_DIR = dir;
    process.env.NODE_ENV = 'development';
    expect(ensureRendererBuild()).toBe(dir);
    expect(fs.existsSync(path.join(dir, 'index.html'))).toBe(true);
    const js = fs.readdirSync(path.join(dir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const bundle = js.map((f) => fs.readFileSync(path.join(dir, 'assets', f), 'utf8')).join('\n');
    expect(bundle).not.toMatch(/jsxDEV/);
  });

  it('builds into the folder it serves without emptying a folder it did not create', { timeout: 120_000 }, () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    process.env.LTX_BATCH_RENDERER_DIR = dir;
    expect(ensureRendererBuild()).toBe(dir);
    expect(fs.existsSync(path.join(dir, 'index.html'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
