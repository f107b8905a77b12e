/**
 * One count of a storyboard's errors, said the same way everywhere (the Import screen, the Shots
 * screen, the sidebar and the CLI): "7 errors in 4 shots". Errors that are not on a row (a missing
 * prompt column, an empty file) count as errors, not shots. Pure: the renderer and the core share it.
 */

/** Counts the errors among `issues` and the rows they are on. */
export function countErrors(issues: readonly { severity: string; row?: number }[]): { errors: number; rows: number } {
  const rows = new Set<number>();
  let errors = 0;
  for (const i of issues) {
    if (i.severity !== 'error') continue;
    errors++;
    if (i.row !== undefined) rows.add(i.row);
  }
  return { errors, rows: rows.size };
}

/** "7 errors in 4 shots", "1 error", "no errors". */
export function describeErrorCount(issues: readonly { severity: string; row?: number }[]): string {
  const { errors, rows } = countErrors(issues);
  if (errors === 0) return 'no errors';
  const e = `${errors} error${errors === 1 ? '' : 's'}`;
  return rows === 0 ? e : `${e} in ${rows} shot${rows === 1 ? '' : 's'}`;
}
