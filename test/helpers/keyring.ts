/**
 * Runs commands inside a private D-Bus session with an unlocked gnome-keyring (a real Secret
 * Service), with HOME pointed at a temporary folder so the test never touches a real keyring.
 * Needs the Debian packages dbus, gnome-keyring and libsecret-tools (scripts/test.sh installs them).
 */
import { spawn } from 'node:child_process';
import { tmpDir } from './tmp';

/** Output of a keyring session. */
export interface SessionResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` (bash) inside a fresh D-Bus session with gnome-keyring unlocked. `home` keeps the keyring between calls. */
export function inKeyringSession(script: string, env: Record<string, string> = {}, home = tmpDir('ltx-keyring-')): Promise<SessionResult & { home: string }> {
  const wrapped = `echo -n test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; ${script}`;
  return new Promise((resolve) => {
    const child = spawn('dbus-run-session', ['--', 'bash', '-c', wrapped], { env: { ...process.env, HOME: home, XDG_DATA_HOME: `${home}/.local/share`, XDG_RUNTIME_DIR: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/^dbus-daemon\[\d+\].*\n?/gm, ''), home }));
  });
}
