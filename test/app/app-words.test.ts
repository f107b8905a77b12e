/** Messages written for the command line point a creator in the app to the app's own controls. */
import { describe, expect, it } from 'vitest';
import { inAppWords } from '../../main/app/app-words';
import { missingKeyMessage } from '../../main/providers/remote-config';

describe('messages in the app\'s own terms', () => {
  it('sends a missing key to Settings, a missing runner to its Install button, a refused restyle to its button', () => {
    expect(inAppWords(missingKeyMessage('ltx'))).toBe('no API key for ltx: add it in Settings (it is kept in the OS keychain)');
    expect(inAppWords('the local runner is not installed: run "ltx-batch runner install"')).toBe('the local runner is not installed: Settings > Local GPU runner > Install');
    expect(inAppWords('a Python package is missing (torch); reinstall with: ltx-batch runner install --force')).toBe('a Python package is missing (torch); Settings > Local GPU runner > Install');
    expect(inAppWords('2 finished shot(s) would render again; render again with --accept-changes (in the app: "Re-render them") to re-render them')).toBe('2 finished shot(s) would render again; press "Re-render them" to re-render them');
    expect(inAppWords('a duration of 5 s')).toBe('a duration of 5 s');
    expect(inAppWords(null)).toBeNull();
  });
});
