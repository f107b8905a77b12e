/** app.ready: what the first screen needs (the renderer is ready for events once it has called it). */
import { providerViews, settingsView, storyboardView } from '../views';
import type { AppContext } from '../context';
import type { HandlersFor } from './types';

export function appHandlers(ctx: AppContext): HandlersFor<'app.ready'> {
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
  };
}
