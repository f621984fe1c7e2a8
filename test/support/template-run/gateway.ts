/**
 * The template's HTTP API: only its routes (RouteKey -> integration -> function), with the local mode's
 * request-to-event conversion (local/apigw.ts, payload 2.0). AWS_IAM routes refuse a request without a
 * SigV4 Authorization header as API Gateway does (403); the signature itself is not verified here.
 * A function error or timeout is API Gateway's 500 Internal Server Error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OperationSpec } from '../../../shared/api/operation.js';
import type { HttpResult } from '../../../shared/http/types.js';
import { compileRoutes, gatewayError, matchRoute, MAX_REQUEST_HEAD_BYTES, readBody, requestHeadBytes, send, toApiGatewayEvent } from '../../../local/apigw.js';
import type { RouteSpec } from './template.js';

export interface TemplateGateway {
  readonly url: string;
  /** Requests answered by the gateway itself because the function failed. */
  readonly failures: { routeKey: string; error: string }[];
  close(): Promise<void>;
}

type RouteAsOperation = Pick<OperationSpec, 'method' | 'path'> & { readonly spec: RouteSpec };

export async function startTemplateGateway(routes: readonly RouteSpec[], invoke: (functionId: string, event: unknown) => Promise<unknown>): Promise<TemplateGateway> {
  const compiled = compileRoutes(routes.map((spec) => ({ method: spec.method, path: spec.path, spec }) as RouteAsOperation as unknown as OperationSpec));
  const failures: TemplateGateway['failures'] = [];
  const host = '127.0.0.1';
  const server: Server = createServer({ maxHeaderSize: 65_536 }, async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      const match = matchRoute(compiled, req.method ?? 'GET', path);
      const body = await readBody(req);
      if (requestHeadBytes(req) > MAX_REQUEST_HEAD_BYTES) return send(res, gatewayError(431, 'Request Header Fields Too Large'));
      if (!match) return send(res, gatewayError(404, 'Not Found'));
      if (!body) return send(res, gatewayError(413, 'Request Entity Too Large'));
      const spec = (match.route as unknown as RouteAsOperation).spec;
      if (spec.authorizationType === 'AWS_IAM' && !/^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? ''))) {
        return send(res, gatewayError(403, 'Forbidden'));
      }
      const event = toApiGatewayEvent(req, body, match, { host, port: (server.address() as AddressInfo).port });
      let result: unknown;
      try {
        result = await invoke(spec.functionId, event);
      } catch (error) {
        failures.push({ routeKey: spec.routeKey, error: (error as Error).message });
        return send(res, gatewayError(500, 'Internal Server Error'));
      }
      send(res, asHttpResult(result));
    } catch (error) {
      failures.push({ routeKey: req.url ?? '', error: (error as Error).message });
      if (!res.headersSent) send(res, gatewayError(500, 'Internal Server Error'));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    failures,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Payload 2.0: a result with statusCode is the response; anything else is a 200 JSON body. */
function asHttpResult(result: unknown): HttpResult {
  if (result && typeof result === 'object' && 'statusCode' in result) return result as HttpResult;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result) };
}
