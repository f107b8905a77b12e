/**
 * Continuity at import: a row's `continue_from` names the shot it continues (a shot id, or
 * `previous`: the shot before it in film order). Resolved here to the parent's shot id; a shot that
 * does not exist, a shot continuing itself and cycles (3 continues 4, 4 continues 3) are errors
 * naming the row and the column. The queue holds a continued shot until its parent's chosen take
 * exists (main/queue/continuity.ts).
 */
import type { StoryboardIssue } from './issues';
import type { Shot } from './shot';

/**
 * Resolves every `continueFrom` of `shots` (in film order) in place: `previous` becomes the id of the
 * shot before; returns the errors (the field is removed from a shot whose reference is an error).
 */
export function resolveContinuity(shots: Shot[], column = 'continue_from'): StoryboardIssue[] {
  const issues: StoryboardIssue[] = [];
  if (!shots.some((s) => s.continueFrom)) return issues;
  const byId = new Map(shots.map((s) => [s.id, s]));
  shots.forEach((s, i) => {
    if (!s.continueFrom) return;
    const ref = s.continueFrom.trim();
    if (ref.toLowerCase() === 'previous') {
      if (i === 0) {
        issues.push({ severity: 'error', row: s.row, column, message: 'continue_from is "previous", but this is the first shot of the film' });
        delete s.continueFrom;
      } else s.continueFrom = shots[i - 1].id;
      return;
    }
    if (ref === s.id) issues.push({ severity: 'error', row: s.row, column, message: `shot ${s.id} cannot continue from itself` });
    else if (!byId.has(ref)) issues.push({ severity: 'error', row: s.row, column, message: `continue_from names shot "${ref}", and no shot has that id` });
    else {
      s.continueFrom = ref;
      return;
    }
    delete s.continueFrom;
  });
  // Cycles: follow each chain; a shot met twice is on a cycle (each row of it is named once).
  const onCycle = new Set<string>();
  for (const s of shots) {
    const seen: string[] = [];
    let cur: Shot | undefined = s;
    while (cur?.continueFrom && !seen.includes(cur.id)) {
      seen.push(cur.id);
      cur = byId.get(cur.continueFrom);
    }
    if (cur && seen.includes(cur.id)) for (const id of seen.slice(seen.indexOf(cur.id))) onCycle.add(id);
  }
  for (const s of shots) {
    if (!onCycle.has(s.id)) continue;
    const chain: string[] = [s.id];
    for (let c = byId.get(s.continueFrom!); c && c.id !== s.id; c = byId.get(c.continueFrom!)) chain.push(c.id);
    issues.push({ severity: 'error', row: s.row, column, message: `continue_from makes a loop: shot ${[...chain, s.id].join(' continues from ')}; one of them must start on its own` });
  }
  return issues;
}
