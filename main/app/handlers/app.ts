/** app.ready: what the first screen needs (the renderer is ready for events once it has called it); app.diagnostics for a bug report. */
import os from 'node:os';
import path from 'node:path';
import { redact } from '../../providers/http';
import { LOG_FILE, LOG_FOLDER, tailLog } from '../project-log';
import { providerViews, settingsView, storyboardView } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

/** Lines of the project's log a diagnostics report carries. */
export const DIAGNOSTICS_LOG_LINES = 200;

export function appHandlers(ctx: AppContext): HandlersFor<'app.ready' | 'app.diagnostics'> {
  return {
    'app.ready': async () => ({
      version: ctx.deps.version ?? '0.1.0',
      providers: providerViews(ctx),
      settings: settingsView(ctx),
      storyboard: storyboardView(ctx),
      project: ctx.session?.dir ?? null,
      heldBy: ctx.heldBy,
      electron: !!ctx.deps.electron,
    }),
    'app.diagnostics': async () => {
      const settings = settingsView(ctx);
      const dir = ctx.session?.dir ?? null;
      const secrets = ctx.secrets();
      const lines = [
        `LTX Batch ${ctx.deps.version ?? '0.1.0'} (${ctx.deps.electron ? 'desktop app' : 'browser mode'})`,
        `system: ${os.type()} ${os.release()} ${os.arch()}, Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
        `ffmpeg: ${settings.ffmpegFound ?? 'not found'}`,
        `keychain: ${settings.keychainProblem ?? 'ok'}`,
        `providers: ${providerViews(ctx)
          .map((p) => `${p.id} ${p.ready ? 'ready' : `not ready (${p.notReady ?? 'unknown'})`}`)
          .join('; ')}`,
        `keys: ${settings.keys.map((k) => `${k.provider} ${k.configured ? `set (${k.source})` : 'not set'}`).join('; ')}`,
        `storyboard: ${ctx.sheet?.file ?? 'none open'}`,
        `project: ${dir ?? 'none open'}`,
        '',
        dir ? `last ${DIAGNOSTICS_LOG_LINES} lines of ${path.join(dir, LOG_FOLDER, LOG_FILE)}:` : 'no project log (no project is open)',
        ...(dir ? tailLog(dir, DIAGNOSTICS_LOG_LINES, secrets) : []),
      ];
      return { text: redact(lines.join('\n'), secrets), logFile: dir ? path.join(dir, LOG_FOLDER, LOG_FILE) : null };
    },
  };
}
