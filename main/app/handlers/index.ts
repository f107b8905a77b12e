/**
 * Every contract method's handler, one module per area. `Handlers` maps each method name to a
 * function of its parsed arguments resolving to its result: a method without a handler, or a
 * handler whose arguments or result differ from main/contract/api.ts, does not compile.
 */
import type { AppContext } from '../context';
import { appHandlers } from './app';
import { mediaHandlers } from './media';
import { projectsHandlers } from './projects';
import { queueHandlers } from './queue';
import { renderHandlers } from './render';
import { runnerHandlers } from './runner';
import { farmHandlers } from './farm';
import { settingsHandlers } from './settings';
import { shotsHandlers } from './shots';
import { storyboardHandlers } from './storyboard';
import { timelineHandlers } from './timeline';
import type { Handlers } from './types';

export type { Handler, Handlers, HandlersFor, MethodInput } from './types';

export function createHandlers(ctx: AppContext): Handlers {
  return {
    ...appHandlers(ctx),
    ...storyboardHandlers(ctx),
    ...shotsHandlers(ctx),
    ...renderHandlers(ctx),
    ...queueHandlers(ctx),
    ...timelineHandlers(ctx),
    ...mediaHandlers(ctx),
    ...settingsHandlers(ctx),
    ...runnerHandlers(ctx),
    ...farmHandlers(ctx),
    ...projectsHandlers(ctx),
  };
}
