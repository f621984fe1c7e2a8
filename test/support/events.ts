import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { lambdaContext } from '../../local/apigw.js';
import type { BrokerContext } from '../../shared/api/chain.js';

/** An API Gateway HTTP API (2.0) event as the gateway would build it for a route. */
export function httpEvent(options: {
  routeKey: string;
  rawPath: string;
  pathParameters: Record<string, string>;
  rawQueryString?: string;
  headers?: Record<string, string>;
  body?: string;
}): APIGatewayProxyEventV2 {
  const [method] = options.routeKey.split(' ');
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: options.rawPath,
    rawQueryString: options.rawQueryString ?? '',
    headers: options.headers ?? {},
    pathParameters: options.pathParameters,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      // API Gateway routes by host: the domain it reports is the Host the request was sent to.
      domainName: options.headers?.host ?? 'test.execute-api.local',
      domainPrefix: 'test',
      http: { method: method!, path: options.rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'req',
      routeKey: options.routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: false,
  };
}

export const context = (name = 'test'): BrokerContext => lambdaContext(name);
