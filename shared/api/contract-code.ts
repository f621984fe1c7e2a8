import type { ContractEdge } from '../http/types.js';
import type { HttpFn } from './chain.js';
import type { BrokerDeps } from './deps.js';
import type { OperationSpec } from './operation.js';

/** What an operation does once its caller is established: the surface router adds the edge and authentication. */
export type HandlerFactory = (deps: BrokerDeps) => HttpFn;

/** One handler per operation a contract declares: a missing or unknown id is a type error. */
export type HandlerMap<Ops extends readonly OperationSpec[]> = { readonly [Id in Ops[number]['id']]: HandlerFactory };

/** A contract's code: how it speaks at the edge, and its operations' handlers. */
export interface ContractCode {
  readonly edge: ContractEdge;
  readonly handlers: Readonly<Record<string, HandlerFactory>>;
}
