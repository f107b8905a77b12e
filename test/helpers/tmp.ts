/** Temporary folders for tests, removed after each test file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh empty folder under the OS temp dir. */
export function tmpDir(prefix = 'ltx-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Writes `files` (name -> content) into a fresh folder and returns it. */
export function withFiles(files: Record<string, string | Buffer>): string {
  const d = tmpDir();
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    fs.writeFileSync(path.join(d, name), content);
  }
  return d;
}

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..');
