/**
 * Watches the open storyboard file: when it changes on disk (saved from a spreadsheet), reads it
 * and works out what changed in shots against the version the app holds (shot-diff.ts), with what
 * rendering the changed and added shots would cost, and reports it so the app can show it before
 * applying it. The app's own saves are recognised by their content hash and not reported. Polls
 * the file's status once a second (fs.watchFile: it survives the rename a spreadsheet does when
 * it saves, on every platform).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { interpretSheet, readStoryboardSheet, type Storyboard } from '../storyboard/import';
import { diffShots, describeDiff, type ShotDiff } from '../storyboard/shot-diff';
import { specHash } from '../queue/store';
import type { Shot } from '../storyboard/shot';
import type { LookOptions } from '../storyboard/style';

/** A change found on disk: the diff, its words, and the file's new content hash. */
export interface DiskChange {
  file: string;
  diff: ShotDiff;
  summary: string;
  hash: string;
}

/** What a shot is, for the diff: its content and provider (as a clip would be made of it). */
function versions(shots: Shot[], usd?: (s: Shot) => number | null) {
  return shots.map((s) => ({ id: s.id, hash: specHash(s, s.provider ?? ''), usd: usd?.(s) ?? null }));
}

/**
 * Starts watching `file`. `current()` gives the storyboard the app holds and its content hash;
 * `price(shots)` the USD upper bound of rendering each shot. `onChange` gets each change found.
 * Returns the function that stops watching.
 */
export function watchStoryboard(file: string, current: () => { storyboard: Storyboard | null; hash: string; look: LookOptions }, price: (shots: Shot[]) => Map<string, number | null>, onChange: (c: DiskChange) => void, intervalMs = 1000): () => void {
  let busy = false;
  let lastSeen = '';
  const listener = (cur: fs.Stats, prev: fs.Stats) => {
    if (busy || (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) || cur.nlink === 0) return;
    busy = true;
    void (async () => {
      try {
        const bytes = fs.readFileSync(file);
        const hash = crypto.createHash('sha256').update(bytes).digest('hex');
        const held = current();
        if (hash === held.hash || hash === lastSeen || !held.storyboard) return;
        lastSeen = hash;
        const read = await readStoryboardSheet(file);
        const next = interpretSheet(read.sheet, path.dirname(read.file), undefined, held.look);
        const prices = price(next.shots);
        const diff = diffShots(versions(held.storyboard.shots), versions(next.shots, (s) => prices.get(s.id) ?? null));
        onChange({ file, diff, summary: describeDiff(diff), hash });
      } catch {
        /* half-written by the spreadsheet: the next poll reads it again */
        lastSeen = '';
      } finally {
        busy = false;
      }
    })();
  };
  fs.watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => fs.unwatchFile(file, listener);
}
