import type { BrokerContext, HttpEvent, HttpResult } from '../http/types.js';
import type { BrokerDeps } from '../runtime.js';
import { alibabaHandlers } from './alibaba/index.js';
import { azureHandlers } from './azure/index.js';
import { leasesHandlers } from './leases/index.js';
import type { OperationSpec } from './operation.js';
import type { OperationId } from './registry.js';

export type HttpLambda = (event: HttpEvent, context: BrokerContext) => Promise<HttpResult>;
export type HandlerFactory = (deps: BrokerDeps) => HttpLambda;

/** One handler per operation a contract declares: a missing or unknown id is a type error. */
export type HandlerMap<Ops extends readonly OperationSpec[]> = { readonly [Id in Ops[number]['id']]: HandlerFactory };

export const HANDLERS: { readonly [Id in OperationId]: HandlerFactory } = { ...azureHandlers, ...alibabaHandlers, ...leasesHandlers };
