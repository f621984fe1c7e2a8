import httpRouterHandler from '@middy/http-router';
import type { HandlerFactory, HttpLambda } from '../contracts/handlers.js';
import type { OperationSpec } from '../contracts/operation.js';
import type { BrokerDeps } from '../runtime.js';
import type { HttpEvent } from './types.js';

/**
 * The one Lambda handler of an API surface: @middy/http-router over the surface's operations, each a
 * full contract middy chain. API Gateway has already chosen the route, so the router dispatches on the
 * route's own template (from `routeKey`) rather than matching the request path a second time, where a
 * segment with an encoded '/' could be read differently from API Gateway. A Lambda passes only its own
 * contract's operations and handlers, so its bundle holds no other contract's code.
 */
/** @middy/http-router knows one greedy variable, `{proxy+}`; the event's own pathParameters keep the real name. */
const routerPath = (path: string) => path.replace(/\{\w+\+\}$/, '{proxy+}');

export function surfaceHandler(
  operations: readonly OperationSpec[],
  handlers: Readonly<Record<string, HandlerFactory>>,
  deps: BrokerDeps,
): HttpLambda {
  const router = httpRouterHandler<HttpEvent, Awaited<ReturnType<HttpLambda>>>({
    // The router's Context is Lambda's; ours adds the contract request id, set by the chain itself.
    routes: operations.map((op) => ({ method: op.method, path: routerPath(op.path), handler: handlers[op.id]!(deps) as never })),
  });
  return (event, context) => {
    const template = routerPath(event.routeKey.slice(event.routeKey.indexOf(' ') + 1));
    const routed: HttpEvent = { ...event, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: template } } };
    return router(routed, context, {} as never) as ReturnType<HttpLambda>;
  };
}
