/**
 * The shape of the app's handlers: one function per contract method, taking the method's parsed
 * arguments (the output of its zod schema in main/contract/api.ts) and resolving to its result
 * type. A handler whose arguments or result do not match the contract does not compile.
 */
import type { z } from 'zod';
import type { MethodName, MethodResults, methodArgs } from '../../contract/api';

/** The arguments a handler gets: what the method's schema produced. */
export type MethodInput<M extends MethodName> = z.output<(typeof methodArgs)[M]>;

/** The handler of one method. */
export type Handler<M extends MethodName> = (args: MethodInput<M>) => Promise<MethodResults[M]>;

/** Handlers of some methods (one area's module). */
export type HandlersFor<K extends MethodName> = { [M in K]: Handler<M> };

/** Every method's handler. */
export type Handlers = HandlersFor<MethodName>;
