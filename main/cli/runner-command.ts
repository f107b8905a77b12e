/**
 * `ltx-batch runner install [--force] [--cpu]` and `ltx-batch runner status`: the local GPU
 * runner's virtual environment (APP_HOME/runner-venv, or LTX_RUNNER_VENV) and what it finds.
 */
import { runnerVenv } from '../runner/sidecar';
export { runnerInstall } from '../runner/install';
import { createLocalProvider } from '../providers/local/local';

/** Starts the runner briefly and prints GPU, VRAM, torch/CUDA versions, memory policy and weights. */
export async function runnerStatus(opts: { json?: boolean }, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const local = createLocalProvider();
  if (!local.sidecar.installed()) {
    err.write(`the local runner is not installed (${runnerVenv()}); install it with: ltx-batch runner install\n`);
    return 1;
  }
  try {
    const c = await local.refresh();
    if (opts.json) out.write(`${JSON.stringify(c, null, 2)}\n`);
    else {
      out.write(
        [
          `available:      ${c.available ? 'yes' : `no: ${c.reason}`}`,
          `device:         ${c.device}${c.gpu_name ? ` (${c.gpu_name})` : ''}`,
          `VRAM:           ${c.vram_gb !== null ? `${c.vram_gb.toFixed(1)} GiB` : 'n/a'}`,
          `torch / CUDA:   ${c.torch_version ?? '?'} / ${c.cuda_version ?? 'none'}`,
          `memory policy:  ${c.memory_policy ?? 'n/a'}`,
          `model:          ${c.model}`,
          `weights:        ${c.weights_present ? 'present' : 'not on this machine'}`,
          `seconds/step:   ${c.seconds_per_step ?? 'not measured yet'}`,
        ].join('\n') + '\n',
      );
    }
    return c.available ? 0 : 1;
  } catch (e) {
    err.write(`${(e as Error).message}\n`);
    return 1;
  } finally {
    await local.close?.();
  }
}
