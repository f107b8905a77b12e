/** One count of a storyboard's errors, said the same way by the Import screen, the Shots screen and the CLI. */
import { describe, expect, it } from 'vitest';
import { countErrors, describeErrorCount } from '../../main/contract/error-count';

describe('the count of a storyboard\'s errors', () => {
  it('counts errors and the shots they are on; warnings are not errors; a file-level error is not a shot', () => {
    const issues = [
      { severity: 'error', row: 3 },
      { severity: 'error', row: 3 },
      { severity: 'error', row: 7 },
      { severity: 'warning', row: 9 },
      { severity: 'error' },
    ];
    expect(countErrors(issues)).toEqual({ errors: 4, rows: 2 });
    expect(describeErrorCount(issues)).toBe('4 errors in 2 shots');
    expect(describeErrorCount([{ severity: 'error', row: 2 }])).toBe('1 error in 1 shot');
    expect(describeErrorCount([{ severity: 'error' }])).toBe('1 error');
    expect(describeErrorCount([{ severity: 'warning', row: 2 }])).toBe('no errors');
  });
});
