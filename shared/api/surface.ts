import httpRouterHandler from '@middy/http-router';
import { authenticatorFor } from '../auth/contract-auth.js';
import type { HttpFn } from './chain.js';
import type { ContractCode } from './contract-code.js';
import type { OperationSpec } from './operation.js';
import type { BrokerDeps } from './deps.js';
import { httpHandler } from './chain.js';
import type { HttpEvent } from '../http/types.js';

/**
 * The one Lambda handler of an API surface: @middy/http-router over the surface's operations, each a
 * full contract middy chain. API Gateway has already chosen the route, so the router dispatches on the
 * route's own template (from `routeKey`) rather than matching the request path a second time, where a
 * segment with an encoded '/' could be read differently from API Gateway. A Lambda passes only its own
 * contract's operations and code, so its bundle holds no other contract's code.
 */
/** @middy/http-router knows one greedy variable, `{proxy+}`; the event's own pathParameters keep the real name. */
const routerPath = (path: string) => path.replace(/\{\w+\+\}$/, '{proxy+}');

/**
 * One operation's full chain: its contract's edge, the authentication its registry entry names (the
 * only place a handler gets its caller from), then the handler.
 */
export function operationHandler(op: OperationSpec, contract: ContractCode, deps: BrokerDeps): HttpFn {
  const handler = contract.handlers[op.id];
  if (!handler) throw new Error(`No handler for operation ${op.id}`);
  return httpHandler(contract.edge, handler(deps), authenticatorFor(op.auth, deps.auth));
}

export function surfaceHandler(operations: readonly OperationSpec[], contract: ContractCode, deps: BrokerDeps): HttpFn {
  const router = httpRouterHandler<HttpEvent, Awaited<ReturnType<HttpFn>>>({
    // The router's Context is Lambda's; ours adds the contract request id, set by the chain itself.
    routes: operations.map((op) => ({ method: op.method, path: routerPath(op.path), handler: operationHandler(op, contract, deps) as never })),
  });
  return (event, context) => {
    const template = routerPath(event.routeKey.slice(event.routeKey.indexOf(' ') + 1));
    const routed: HttpEvent = { ...event, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: template } } };
    return router(routed, context, {} as never) as ReturnType<HttpFn>;
  };
}
