/** The local GPU runner: its status and installing it (progress as "runner.installProgress" events). */
import { Writable } from 'node:stream';
import type { RunnerView } from '../../contract/api';
import type { LocalProvider } from '../../providers/local/local';
import { UserError } from '../../project/errors';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

async function runnerView(ctx: AppContext): Promise<RunnerView> {
  const local = ctx.deps.registry.get('local') as LocalProvider | undefined;
  const empty = { installed: false, available: false, reason: null, device: null, gpuName: null, vramGb: null, torch: null, cuda: null, memoryPolicy: null, model: null, weightsPresent: false };
  if (!local?.sidecar) return { ...empty, reason: 'this build has no local runner' };
  if (!local.sidecar.installed()) return { ...empty, reason: 'not installed' };
  try {
    const c = local.runnerCaps() ?? (await local.refresh());
    return { installed: true, available: c.available, reason: c.reason, device: c.device, gpuName: c.gpu_name, vramGb: c.vram_gb, torch: c.torch_version, cuda: c.cuda_version, memoryPolicy: c.memory_policy, model: c.model, weightsPresent: c.weights_present };
  } catch (e) {
    return { ...empty, installed: true, reason: (e as Error).message };
  }
}

export function runnerHandlers(ctx: AppContext): HandlersFor<'runner.status' | 'runner.install'> {
  return {
    'runner.status': () => runnerView(ctx),
    'runner.install': async () => {
      const { runnerInstall } = await import('../../runner/install');
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      let step = 0;
      const code = await runnerInstall({}, sink, (line) => {
        // install.sh prints "[ltx-runner-install] ..." lines; each is a step of about ten.
        step++;
        ctx.deps.emit('runner.installProgress', { line: line.replace(/^\[ltx-runner-install\]\s*/, ''), fraction: Math.min(0.95, step / 12) });
      });
      if (code !== 0) throw new UserError('the local runner could not be installed', 'see the lines above; it needs Python 3.10-3.13 and network access to PyPI');
      ctx.deps.emit('runner.installProgress', { line: 'installed', fraction: 1 });
      return runnerView(ctx);
    },
  };
}
