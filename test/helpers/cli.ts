/** Runs the real `ltx-batch` CLI (bin/ltx-batch.js) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT, tmpDir } from './tmp';

/** Settings home for CLI runs of this test file (budgets, ledger), never the real one. */
const testHome = tmpDir('ltx-home-');

/** Result of a finished CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI with `args`; `env` is added to the current environment. */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [path.join(ROOT, 'bin', 'ltx-batch.js'), ...args], { cwd: ROOT, env: { ...process.env, LTX_BATCH_HOME: testHome, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the CLI to the end and collects its output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
