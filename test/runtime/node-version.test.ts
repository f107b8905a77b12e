/**
 * The Node version passes (scripts/node24.sh sets LTX_EXPECT_NODE_MAJOR): vitest, the node on the
 * PATH and the processes the tests spawn all run on that major, and better-sqlite3 (a native addon
 * built per Node ABI) loads in each of them. Skipped in a plain `npm test`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../helpers/tmp';

const expected = process.env.LTX_EXPECT_NODE_MAJOR;
const major = (version: string) => version.replace(/^v/, '').split('.')[0];
const sqliteCheck = "const D = require('better-sqlite3'); const db = new D(':memory:'); console.log(process.version, db.prepare('select 1 + 1 as v').get().v);";

describe.runIf(expected)(`the Node ${expected} pass`, () => {
  it('runs vitest on that Node', () => {
    expect(major(process.version)).toBe(expected);
  });

  it('loads better-sqlite3 built for this Node', () => {
    const db = new Database(':memory:');
    expect(db.prepare('select sqlite_version() as v').get()).toMatchObject({ v: expect.stringMatching(/^3\./) });
    db.close();
  });

  it('spawns the same Node, by name from the PATH and by process.execPath, and better-sqlite3 loads there', () => {
    for (const node of ['node', process.execPath]) {
      const out = execFileSync(node, ['-e', sqliteCheck], { cwd: ROOT, encoding: 'utf8' }).trim();
      expect(out).toBe(`${process.version} 2`);
    }
  });

  it('runs the CLI (bin/ltx-batch.js) with `node` from the PATH: it opens its settings database', () => {
    const home = tmpDir('ltx-home-');
    const out = execFileSync('node', ['bin/ltx-batch.js', 'budget', 'show'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LTX_BATCH_HOME: home } });
    expect(out).toMatch(/no budgets set/i);
    expect(fs.existsSync(path.join(home, 'settings.sqlite'))).toBe(true);
  });
});
