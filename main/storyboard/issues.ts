/**
 * Problems found in a storyboard, each pointing at the file, row and column so a creator can fix it.
 */
import { describeErrorCount } from '../contract/error-count';

/** One problem. `row` is the spreadsheet row (header = 1); `column` the header as written or the known column. */
export interface StoryboardIssue {
  severity: 'error' | 'warning';
  row?: number;
  /** The shot id written on that row, when it has one. */
  shot?: string;
  column?: string;
  message: string;
}

/** Where an issue is, in the creator's terms: "shot 3 (row 4)", "row 4" for a row without a shot id, undefined for the whole file. */
export function issuePlace(issue: Pick<StoryboardIssue, 'row' | 'shot'>): string | undefined {
  if (issue.row === undefined || issue.row <= 0) return undefined;
  return issue.shot ? `shot ${issue.shot} (row ${issue.row})` : `row ${issue.row}`;
}

/** Formats an issue as "shot 3 (row 4), column duration: ..." (or just the message for file-level issues). */
export function formatIssue(issue: StoryboardIssue, file?: string): string {
  const where = [file, issuePlace(issue), issue.column ? `column ${issue.column}` : undefined]
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
    super(`${file}: ${describeErrorCount(issues)}; nothing was queued.\n${errors.slice(0, 50).map((i) => formatIssue(i)).join('\n')}${errors.length > 50 ? `\n... and ${errors.length - 50} more` : ''}`);
    this.name = 'StoryboardError';
  }
}
