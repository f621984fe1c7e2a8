import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MAX_ATTEMPTS, REQUEST_HANDLER } from '../../shared/adapters/clients.js';
import { loadConfig } from '../../shared/config.js';
import { routeKey, operationById } from '../../shared/contracts/registry.js';
import { createBrokerDeps } from '../../shared/runtime.js';
import { context, httpEvent } from '../support/events.js';
import { expectAlibabaError, expectArmError } from '../support/schemas.js';
import { recordSection } from '../support/reliability-report.js';
import { handlerFor } from '../support/handlers.js';

/** Real sockets that misbehave in front of the DynamoDB client: one never answers, one drops every connection. */
process.env.BROKER_LOG_LEVEL = 'silent';
const sockets = new Set<Socket>();
let hang: Server;
let drop: Server;
const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  hang = createServer((s) => void sockets.add(s));
  drop = createServer((s) => s.destroy());
  figures.hangPort = await listen(hang);
  figures.dropPort = await listen(drop);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([hang, drop].map((s) => new Promise((r) => s.close(r))));
  recordSection('dependencyFaults', { results: figures.results, maxAttempts: MAX_ATTEMPTS, requestTimeoutMs: REQUEST_HANDLER.requestTimeout });
});

function depsAgainst(port: unknown) {
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    LEASE_TABLE_NAME: 'leases',
    UPLOAD_BUCKET_NAME: 'bucket',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
    ALIBABA_RATE_LIMIT_PER_SECOND: '0',
  });
  return createBrokerDeps(config, { credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
}

const azure = () =>
  httpEvent({
    routeKey: routeKey(operationById('AzureWorkspaceCodeVersionStartPendingUpload')),
    rawPath: '/x',
    pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' },
    rawQueryString: 'api-version=2025-09-01',
  });
const alibaba = () =>
  httpEvent({
    routeKey: routeKey(operationById('ApplyFileUploadLease')),
    rawPath: '/x',
    pathParameters: { WorkspaceId: 'ws', CategoryId: 'default' },
    rawQueryString: 'FileName=a.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=10',
  });

/** The API Lambdas' timeout in the stack; a request must end well inside it. */
const LAMBDA_TIMEOUT_MS = 10_000;

describe('DynamoDB that hangs or drops connections', () => {
  const results: Record<string, { status: number; ms: number }> = {};
  afterAll(() => {
    figures.results = results;
  });

  test.each([
    ['hangs', 'hangPort'],
    ['drops every connection', 'dropPort'],
  ])('Azure: when DynamoDB %s the request ends in a 5xx, in ARM format, well inside the Lambda timeout', async (what, port) => {
    const started = Date.now();
    const res = await handlerFor('AzureWorkspaceCodeVersionStartPendingUpload', depsAgainst(figures[port]))(azure(), context());
    const ms = Date.now() - started;
    results[`azure: ${what}`] = { status: res.statusCode, ms };
    expect(res.statusCode).toBeGreaterThanOrEqual(500);
    expectArmError(JSON.parse(res.body!));
    expect(res.body).not.toMatch(/X-Amz-Signature/);
    expect(ms).toBeLessThan(LAMBDA_TIMEOUT_MS * 0.7);
  }, 20_000);

  test.each([
    ['hangs', 'hangPort'],
    ['drops every connection', 'dropPort'],
  ])('Alibaba: when DynamoDB %s the request ends in a 5xx, in Alibaba format, with no URL', async (what, port) => {
    const started = Date.now();
    const res = await handlerFor('ApplyFileUploadLease', depsAgainst(figures[port]))(alibaba(), context());
    const ms = Date.now() - started;
    results[`alibaba: ${what}`] = { status: res.statusCode, ms };
    expect(res.statusCode).toBeGreaterThanOrEqual(500);
    const body = JSON.parse(res.body!);
    expectAlibabaError(body);
    expect(body.Status).toBe(String(res.statusCode));
    expect(res.body).not.toMatch(/Url|X-Amz-Signature/);
    expect(ms).toBeLessThan(LAMBDA_TIMEOUT_MS * 0.7);
  }, 20_000);
});
