/**
 * `ltx-batch farm worker` and `ltx-batch farm status`: the render farm (README, "Render farm").
 *  - worker: starts one Temporal worker for one GPU in the local runner's virtual environment
 *    (`python -m ltx_runner farm-worker`, resources/runner/ltx_runner/farm.py), in the foreground;
 *    Ctrl-C (SIGINT) or SIGTERM stop it, and the shot it was rendering goes to another worker.
 *  - status: the workers polling the task queue (their identity names host, GPU and model) and
 *    what each is rendering, from Temporal's task-queue description and open workflows.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { runnerPython, runnerSourceDir, runnerVenv } from '../runner/sidecar';
import { farmConfig } from '../providers/farm/farm';
import { TemporalGateway } from '../providers/farm/temporal';

/** Options of `farm worker` (see the README's farm section). */
export interface FarmWorkerOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  gpu?: number;
  storage?: string;
  model?: string;
}

/** Runs a farm worker until it exits or this process is told to stop; resolves with its exit status. */
export function farmWorker(o: FarmWorkerOptions, env: NodeJS.ProcessEnv = process.env, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cfg = farmConfig(env);
  const address = o.address ?? (cfg.configured ? cfg.address : undefined);
  if (!address) {
    err.write('farm worker: give the Temporal server with --address HOST:PORT (or set LTX_FARM_ADDRESS)\n');
    return Promise.resolve(2);
  }
  const python = runnerPython(env);
  if (!fs.existsSync(python)) {
    err.write(`farm worker: the runner is not installed (${runnerVenv(env)}); install it with: ltx-batch runner install\n`);
    return Promise.resolve(1);
  }
  const args = ['-m', 'ltx_runner', 'farm-worker', '--address', address, '--namespace', o.namespace ?? cfg.namespace, '--task-queue', o.taskQueue ?? cfg.taskQueue];
  if (o.gpu !== undefined) args.push('--gpu', String(o.gpu));
  const storage = o.storage ?? env.LTX_FARM_STORAGE;
  if (storage && !storage.startsWith('s3://')) args.push('--storage', storage);
  if (o.model) args.push('--model', o.model);
  const child = spawn(python, args, { stdio: 'inherit', env: { ...env, PYTHONPATH: [runnerSourceDir(), env.PYTHONPATH].filter(Boolean).join(':') } });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      err.write(`farm worker: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** Prints the workers polling the farm's task queue and the takes being rendered; 1 when the server cannot be reached. */
export async function farmStatus(o: { json?: boolean }, env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cfg = farmConfig(env);
  const gw = new TemporalGateway(cfg);
  try {
    const [pollers, active] = await Promise.all([gw.pollers(), gw.active()]);
    if (o.json) {
      out.write(`${JSON.stringify({ address: cfg.address, namespace: cfg.namespace, taskQueue: cfg.taskQueue, workers: pollers, rendering: active }, null, 2)}\n`);
      return 0;
    }
    out.write(`farm ${cfg.address}, namespace ${cfg.namespace}, task queue ${cfg.taskQueue}: ${pollers.length} worker${pollers.length === 1 ? '' : 's'} polling\n`);
    for (const p of pollers) {
      const on = active.filter((a) => a.worker === p.identity);
      const doing = on.length ? on.map((a) => `rendering ${a.workflowId} (step ${a.step} of ${a.steps})`).join('; ') : 'idle';
      out.write(`  ${p.identity}  last seen ${Math.max(0, Math.round((Date.now() - p.lastSeenMs) / 1000))} s ago  ${doing}\n`);
    }
    const waiting = active.filter((a) => !a.worker).length;
    if (waiting) out.write(`${waiting} take${waiting === 1 ? '' : 's'} waiting for a free worker\n`);
    return 0;
  } catch (e) {
    err.write(`farm status: the Temporal server at ${cfg.address} did not answer (${(e as Error).message})\n`);
    return 1;
  } finally {
    await gw.close();
  }
}
