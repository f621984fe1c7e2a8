import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { OPEN, type Authenticator, type Caller } from '../auth/caller.js';
import { BrokerError } from '../errors.js';
import { log, logger } from '../log.js';
import type { Context } from 'aws-lambda';
import type { ContractEdge, HttpEvent, HttpResult } from '../http/types.js';

/** Lambda context plus the id this request is known by in its contract's responses and logs. */
export interface BrokerContext extends Context {
  brokerRequestId: string;
  /** Set by the chain's authentication before the handler runs. */
  caller?: Caller;
}

/** An API Lambda handler, and what an operation's handler is once its caller is established. */
export type HttpFn = (event: HttpEvent, context: BrokerContext) => Promise<HttpResult>;

/**
 * Gives every request its contract's request id, adds the contract's headers to every response, and
 * turns any error into the contract's error format (never a stack trace or a bare 500).
 */
function contractEdge(edge: ContractEdge): MiddlewareObj<HttpEvent, HttpResult, Error, BrokerContext> {
  const requestIdOf = (context: BrokerContext) => (context.brokerRequestId ??= edge.newRequestId());
  return {
    before: (request) => {
      // Every line logged while handling this request carries its ids (reset by injectLambdaContext).
      logger.appendKeys({
        contract: edge.name,
        contractRequestId: requestIdOf(request.context),
        apiGatewayRequestId: request.event?.requestContext?.requestId,
      });
    },
    after: (request) => {
      const response = request.response!;
      response.headers = { ...edge.responseHeaders(request.event, requestIdOf(request.context)), ...response.headers };
    },
    onError: (request) => {
      const requestId = requestIdOf(request.context);
      const error = request.error;
      const response = edge.errorResponse(error, requestId);
      const fields = { contract: edge.name, requestId, statusCode: response.statusCode, routeKey: request.event?.routeKey };
      if (response.statusCode >= 500) log.error('request failed', fields, error);
      else log.info('request rejected', { ...fields, reason: error instanceof BrokerError ? error.message : String(error) });
      response.headers = { ...edge.responseHeaders(request.event, requestId), ...response.headers };
      request.response = response;
    },
  };
}

/** Establishes who calls, in the contract's own scheme, before the handler; a refusal is the contract's 401. */
function authentication(authenticate: Authenticator): MiddlewareObj<HttpEvent, HttpResult, Error, BrokerContext> {
  return {
    before: async (request) => {
      request.context.caller = await authenticate(request.event);
      if (request.context.caller.kind !== 'open') logger.appendKeys({ caller: callerName(request.context.caller) });
    },
  };
}

const callerName = (caller: Caller) => (caller.kind === 'alibaba-key' ? caller.accessKeyId : caller.kind === 'azure-principal' ? caller.principal : 'open');

/** The caller the chain established (open when the route has no authentication of its own). */
export const callerOf = (context: BrokerContext): Caller => context.caller ?? OPEN;

/**
 * The middy chain every API Lambda shares; the edge is used last so its onError runs first. Built by
 * the surface router (surface.ts) with the authentication the operation's registry entry names.
 */
export function httpHandler(edge: ContractEdge, fn: HttpFn, authenticate: Authenticator) {
  return middy<HttpEvent, HttpResult, Error, BrokerContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders())
    .use(contractEdge(edge))
    .use(authentication(authenticate))
    .handler(fn);
}
