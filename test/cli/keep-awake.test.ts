/** The CLI says how to keep the machine awake for a render, in that machine's own terms. */
import { describe, expect, it } from 'vitest';
import { keepAwakeHint } from '../../main/cli/keep-awake';

describe('keeping the computer awake for a render', () => {
  it('names the command of each platform around the very render command, quoted for a shell', () => {
    const argv = ['render', 'my storyboard.csv', '--out', 'out'];
    expect(keepAwakeHint('linux', argv)).toBe("to keep this computer awake for the whole render, run it as: systemd-inhibit --what=idle:sleep --why='ltx-batch render' ltx-batch render 'my storyboard.csv' --out out");
    expect(keepAwakeHint('darwin', argv)).toBe("to keep this Mac awake for the whole render, run it as: caffeinate -i ltx-batch render 'my storyboard.csv' --out out");
    expect(keepAwakeHint('win32', argv)).toMatch(/Sleep: Never/);
  });
});
