/**
 * Problems found in a storyboard, each pointing at the file, row and column so a creator can fix it.
 */

/** One problem. `row` is the spreadsheet row (header = 1); `column` the header as written or the known column. */
export interface StoryboardIssue {
  severity: 'error' | 'warning';
  row?: number;
  column?: string;
  message: string;
}

/** Formats an issue as "row 4, column duration: ..." (or just the message for file-level issues). */
export function formatIssue(issue: StoryboardIssue, file?: string): string {
  const where = [file, issue.row !== undefined && issue.row > 0 ? `row ${issue.row}` : undefined, issue.column ? `column ${issue.column}` : undefined]
    .filter(Boolean)
    .join(', ');
  return `${issue.severity === 'error' ? 'error' : 'warning'}: ${where ? `${where}: ` : ''}${issue.message}`;
}

/** Thrown when a storyboard has errors; carries all of them so none is hidden behind the first. */
export class StoryboardError extends Error {
  constructor(
    readonly file: string,
    readonly issues: StoryboardIssue[],
  ) {
    const errors = issues.filter((i) => i.severity === 'error');
    super(`${file}: ${errors.length} error(s) in the storyboard; nothing was queued.\n${errors.slice(0, 50).map((i) => formatIssue(i)).join('\n')}${errors.length > 50 ? `\n... and ${errors.length - 50} more` : ''}`);
    this.name = 'StoryboardError';
  }
}
