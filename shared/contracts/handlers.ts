import type { HttpFn } from '../http/handler.js';
import type { ContractEdge, HttpEvent, BrokerContext, HttpResult } from '../http/types.js';
import type { BrokerDeps } from '../runtime.js';
import { alibabaContract } from './alibaba/index.js';
import { azureContract } from './azure/index.js';
import { leasesContract } from './leases/index.js';
import type { OperationSpec, Surface } from './operation.js';

export type HttpLambda = (event: HttpEvent, context: BrokerContext) => Promise<HttpResult>;
/** What an operation does once its caller is established: the surface router adds the edge and authentication. */
export type HandlerFactory = (deps: BrokerDeps) => HttpFn;

/** One handler per operation a contract declares: a missing or unknown id is a type error. */
export type HandlerMap<Ops extends readonly OperationSpec[]> = { readonly [Id in Ops[number]['id']]: HandlerFactory };

/** A contract's code: how it speaks at the edge, and its operations' handlers. */
export interface ContractCode {
  readonly edge: ContractEdge;
  readonly handlers: Readonly<Record<string, HandlerFactory>>;
}

/** Every contract's code by surface (the local server and tests; each Lambda imports only its own). */
export const CONTRACT_CODE: Readonly<Record<Surface, ContractCode>> = { azure: azureContract, alibaba: alibabaContract, leases: leasesContract };
