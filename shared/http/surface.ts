import httpRouterHandler from '@middy/http-router';
import { HANDLERS, type HttpLambda } from '../contracts/handlers.js';
import type { Surface } from '../contracts/operation.js';
import { operationsOf } from '../contracts/registry.js';
import type { BrokerDeps } from '../runtime.js';
import type { HttpEvent } from './types.js';

/**
 * The one Lambda handler of an API surface: @middy/http-router over the surface's operations, each a
 * full contract middy chain. API Gateway has already chosen the route, so the router dispatches on the
 * route's own template (from `routeKey`) rather than matching the request path a second time, where a
 * segment with an encoded '/' could be read differently from API Gateway.
 */
export function surfaceHandler(surface: Surface, deps: BrokerDeps): HttpLambda {
  const router = httpRouterHandler<HttpEvent, Awaited<ReturnType<HttpLambda>>>({
    // The router's Context is Lambda's; ours adds the contract request id, set by the chain itself.
    routes: operationsOf(surface).map((op) => ({ method: op.method, path: op.path, handler: HANDLERS[op.id](deps) as never })),
  });
  return (event, context) => {
    const template = event.routeKey.slice(event.routeKey.indexOf(' ') + 1);
    const routed: HttpEvent = { ...event, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: template } } };
    return router(routed, context, {} as never) as ReturnType<HttpLambda>;
  };
}
