import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResult } from '../shared/http/types.js';
import type { BrokerContext } from '../shared/api/chain.js';
import { routeKey } from '../shared/contracts/registry.js';
import type { OperationSpec } from '../shared/api/operation.js';
import { endpointHost } from './servers.js';

/** API Gateway's own limits: request payload, and request line plus headers. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_REQUEST_HEAD_BYTES = 10_240;

export function requestHeadBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method ?? ''} ${req.url ?? ''}`);
  for (const part of req.rawHeaders) bytes += Buffer.byteLength(part);
  return bytes;
}

interface CompiledRoute {
  readonly route: OperationSpec;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

export function compileRoutes(routes: readonly OperationSpec[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split('/')
      .map((segment) => {
        const param = /^\{(\w+)(\+?)\}$/.exec(segment);
        if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(param[1]!);
        // {name+} is API Gateway's greedy variable: the rest of the path, slashes included.
        return param[2] ? '(.+)' : '([^/]+)';
      })
      .join('/');
    return { route, pattern: new RegExp(`^${source}$`), names };
  });
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function matchRoute(compiled: readonly CompiledRoute[], method: string, rawPath: string) {
  for (const c of compiled) {
    if (c.route.method !== method) continue;
    const m = c.pattern.exec(rawPath);
    if (!m) continue;
    const pathParameters: Record<string, string> = {};
    c.names.forEach((name, i) => (pathParameters[name] = safeDecode(m[i + 1]!)));
    return { route: c.route, pathParameters };
  }
  return undefined;
}

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|[\w.+-]+\+json))/i;

/** The names a local server answers to on its own machine. */
const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The event's domainName. API Gateway routes by host, so the domain it reports is one of its own; this
 * server takes any Host, so it reports the Host only when that names this server (a loopback name or
 * the listen address, with its port; no port is 80), and otherwise its own address. An ACS3 signature
 * made for another host therefore never matches it (shared/auth/alibaba.ts).
 */
export function localDomainName(hostHeader: string | undefined, server: { host: string; port: number }): string {
  const listening = endpointHost(server.host).toLowerCase();
  const own = `${listening}:${server.port}`;
  const m = /^(\[[0-9a-f:.]*\]|[^:[\]]*)(?::(\d+))?$/.exec(hostHeader?.trim().toLowerCase() ?? '');
  if (!m) return own;
  const [host, name, port = '80'] = m as unknown as [string, string, string | undefined];
  const named = LOCAL_NAMES.includes(name) || name === listening || name === server.host.toLowerCase();
  return named && port === String(server.port) ? host : own;
}

/** A Node request as the API Gateway HTTP API (payload 2.0) hands it to Lambda. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  match: { route: OperationSpec; pathParameters: Record<string, string> },
  server: { host: string; port: number },
): APIGatewayProxyEventV2 {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQueryString = q < 0 ? '' : url.slice(q + 1);
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
  }
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: routeKey(match.route),
    rawPath,
    rawQueryString,
    headers,
    ...(Object.keys(queryStringParameters).length ? { queryStringParameters } : {}),
    pathParameters: match.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: localDomainName(headers.host, server),
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: routeKey(match.route),
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

export function lambdaContext(functionName: string, timeoutMs = 10_000): BrokerContext {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as BrokerContext;
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, result: HttpResult): void {
  const headers = { ...result.headers };
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

/** API Gateway's own answers, for requests that never reach a Lambda. */
export const gatewayError = (statusCode: number, message: string): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message }),
});
