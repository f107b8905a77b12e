/**
 * Installs the local runner into its virtual environment with resources/runner/install.sh
 * (pinned requirements; idempotent), streaming its progress lines.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { runnerSourceDir, runnerVenv } from './sidecar';

/** Installs the runner with its pinned requirements (resources/runner/install.sh); streams its progress. */
export function runnerInstall(opts: { force?: boolean; cpu?: boolean }, out: NodeJS.WritableStream = process.stdout, onLine?: (line: string) => void): Promise<number> {
  const venv = runnerVenv();
  const args = [path.join(runnerSourceDir(), 'install.sh'), venv, ...(opts.cpu ? ['--cpu'] : []), ...(opts.force ? ['--force'] : [])];
  out.write(`installing the local runner into ${venv}\n`);
  return new Promise((resolve) => {
    const child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (d: Buffer) => {
      out.write(d);
      for (const l of String(d).split('\n').filter(Boolean)) onLine?.(l);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', (e) => {
      out.write(`could not run the installer: ${e.message} (it needs bash and Python 3.10-3.13)\n`);
      resolve(1);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}
