/**
 * How to keep the computer awake while `ltx-batch render` runs: a render box or a laptop that goes
 * to sleep stops the batch until it wakes (the queue resumes it then, but the night is lost). The
 * CLI does not change power settings itself; it says how on the machine it runs on.
 */

/** The line `ltx-batch render` prints on a terminal: the command that keeps `platform` awake for the render. */
export function keepAwakeHint(platform: NodeJS.Platform, argv: string[]): string {
  const cmd = ['ltx-batch', ...argv].map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  if (platform === 'darwin') return `to keep this Mac awake for the whole render, run it as: caffeinate -i ${cmd}`;
  if (platform === 'win32') return 'to keep this PC awake for the whole render: Settings > System > Power > Sleep: Never (while it renders), or use the desktop app, which keeps the PC awake while a batch runs';
  return `to keep this computer awake for the whole render, run it as: systemd-inhibit --what=idle:sleep --why='ltx-batch render' ${cmd}`;
}
