/**
 * The core behind the renderer contract (main/contract/api.ts), implemented once and carried by
 * Electron IPC or by the browser-mode WebSocket (both through main/app/transport.ts). It holds the
 * loaded storyboard and the open project's session (./context.ts) and answers each method with its
 * handler (./handlers/, one module per area); the renderer gets views only (never a key, a path to
 * open by itself, or a database handle).
 */
import { parseCall, type MethodName, type MethodResults } from '../contract/api';
import { UserError } from '../project/errors';
import { AppContext, type AppServiceDeps } from './context';
import { createHandlers, type Handlers, type MethodInput } from './handlers';

export { UserError, type AppServiceDeps };

/** The service. One per app window (Electron) or per browser-mode server. */
export class AppService {
  private readonly ctx: AppContext;
  private readonly handlers: Handlers;

  constructor(deps: AppServiceDeps) {
    this.ctx = new AppContext(deps);
    this.handlers = createHandlers(this.ctx);
  }

  /** Stops the queue at a safe point and closes the project (app quit). */
  shutdown(): Promise<void> {
    return this.ctx.shutdown();
  }

  /** Cuts the submits a quitting app waits for (quit asked for a second time). */
  abandonSubmits(): void {
    this.ctx.abandonSubmits();
  }

  /** Answers a method with arguments already parsed by its schema. Throws UserError for the creator to read. */
  handle<M extends MethodName>(method: M, args: MethodInput<M>): Promise<MethodResults[M]> {
    return this.handlers[method](args);
  }

  /**
   * Answers a call as it came from the renderer: the method name and arguments are checked against
   * the contract first (ContractError naming the field when they do not match).
   */
  async call(method: unknown, args: unknown): Promise<{ method: MethodName; result: unknown }> {
    const c = parseCall(method, args);
    return { method: c.method, result: await this.dispatch(c.method, c.args) };
  }

  private dispatch<M extends MethodName>(method: M, args: unknown): Promise<MethodResults[M]> {
    // parseCall has parsed `args` with methodArgs[method]: they are that schema's output.
    return this.handle(method, args as MethodInput<M>);
  }
}
