/**
 * The local API Gateway (HTTP API, payload 2.0): API Gateway's routing and limits in front of one
 * handler per API surface, as deployed, plus /health and /openapi.json.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpFn } from '../shared/api/chain.js';
import type { BrokerDeps } from '../shared/api/deps.js';
import { SURFACES, type Surface } from '../shared/api/operation.js';
import { surfaceHandler } from '../shared/api/surface.js';
import { CONTRACT_CODE } from '../shared/contracts/code-by-surface.js';
import { OPERATIONS, operationsOf } from '../shared/contracts/registry.js';
import type { HttpResult } from '../shared/http/types.js';
import { log } from '../shared/log.js';
import { buildOpenApiDocument } from '../shared/openapi.js';
import {
  compileRoutes,
  gatewayError,
  lambdaContext,
  matchRoute,
  MAX_REQUEST_HEAD_BYTES,
  readBody,
  requestHeadBytes,
  send,
  toApiGatewayEvent,
} from './apigw.js';

export interface GatewayOptions {
  readonly apiDeps: BrokerDeps;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The broker's settings; AUTH says what /openapi.json advertises. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Gateway {
  readonly server: Server;
  /** http://host:port, the port bound. */
  readonly url: string;
}

interface Routing {
  readonly lambdas: Record<Surface, HttpFn>;
  readonly routes: ReturnType<typeof compileRoutes>;
  readonly localRoutes: Record<string, () => HttpResult>;
  readonly host: string;
  port(): number;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { host } = options;
  let url = '';
  const routing: Routing = {
    lambdas: surfaceLambdas(options.apiDeps),
    routes: compileRoutes(OPERATIONS),
    localRoutes: localRoutes(() => url, options.env),
    host,
    port: () => (server.address() as AddressInfo).port,
  };
  // Node reads up to 64 KB of request line and headers; API Gateway's own 10 KB limit is applied in answer.
  const server: Server = createServer({ maxHeaderSize: 65_536 }, (req, res) => answerOrFail(req, res, routing));
  await listen(server, options.port, host);
  url = `http://${host}:${routing.port()}`;
  return { server, url };
}

/** Stops the gateway at once: closeAllConnections ends the keep-alive and in-flight ones close() would wait for. */
export function closeGateway(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** One handler per API surface, as deployed: each routes inside (shared/api/surface.ts). */
function surfaceLambdas(apiDeps: BrokerDeps): Record<Surface, HttpFn> {
  return Object.fromEntries(SURFACES.map((surface) => [surface, surfaceHandler(operationsOf(surface), CONTRACT_CODE[surface], apiDeps)])) as Record<Surface, HttpFn>;
}

/** GET routes the gateway answers itself; `url` is known only once the server listens. */
function localRoutes(url: () => string, env: GatewayOptions['env']): Record<string, () => HttpResult> {
  return {
    '/health': () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }),
    '/openapi.json': () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      // What this server enforces: no authentication by default, the contracts' own schemes with AUTH=contracts.
      body: JSON.stringify(buildOpenApiDocument(url(), env.AUTH === 'contracts' ? 'contracts' : 'none')),
    }),
  };
}

async function answerOrFail(req: IncomingMessage, res: ServerResponse, routing: Routing): Promise<void> {
  try {
    await answer(req, res, routing);
  } catch (error) {
    log.error('local gateway failure', {}, error);
    if (!res.headersSent) send(res, gatewayError(500, 'Internal Server Error'));
  }
}

async function answer(req: IncomingMessage, res: ServerResponse, routing: Routing): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const local = req.method === 'GET' ? routing.localRoutes[path] : undefined;
  if (local) return send(res, local());
  const match = matchRoute(routing.routes, req.method ?? 'GET', path);
  const body = await readBody(req);
  if (requestHeadBytes(req) > MAX_REQUEST_HEAD_BYTES) return send(res, gatewayError(431, 'Request Header Fields Too Large'));
  if (!match) return send(res, gatewayError(404, 'Not Found'));
  if (!body) return send(res, gatewayError(413, 'Request Entity Too Large'));
  const event = toApiGatewayEvent(req, body, match, { host: routing.host, port: routing.port() });
  send(res, await routing.lambdas[match.route.surface](event, lambdaContext(match.route.surface)));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}
