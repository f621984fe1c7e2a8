import { spawnSync } from 'node:child_process';
import { beforeEach, describe, expect, test } from '@jest/globals';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../shared/config.js';
import { routeKey, operationById } from '../../shared/contracts/registry.js';
import { createBrokerDeps } from '../../shared/runtime.js';
import { context, httpEvent } from '../support/events.js';
import { handlerFor } from '../support/handlers.js';
import { captureLogLines } from '../support/log-capture.js';

/** What an operator gets in CloudWatch: one JSON object per line, with the ids to find a request by. */
const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b', ALIBABA_RATE_LIMIT_PER_SECOND: '0' });
const deps = createBrokerDeps(config, { credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const ddb = mockClient(deps.ddb);

const lines = captureLogLines();
beforeEach(() => {
  ddb.reset();
});

const alibabaEvent = (body: string) =>
  httpEvent({
    routeKey: routeKey(operationById('ApplyFileUploadLease')),
    rawPath: '/ws/datacenter/category/default',
    pathParameters: { WorkspaceId: 'ws', CategoryId: 'default' },
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });

const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, any>);

describe('request logs', () => {
  test('a dependency failure: one ERROR line with service, both request ids, the lease id and the error as fields', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }));
    const res = await handlerFor('ApplyFileUploadLease', deps)(alibabaEvent('FileName=a.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=10'), context());
    expect(res.statusCode).toBe(500);
    const entries = parsed();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'ERROR',
      message: 'request failed',
      service: 'upload-lease-broker',
      contract: 'alibaba-model-studio',
      contractRequestId: res.headers['x-acs-request-id'],
      apiGatewayRequestId: 'req',
      leaseId: expect.stringMatching(/^[0-9a-f]{32}\.\d{13}$/),
      statusCode: 500,
    });
    expect(entries[0]!.error).toMatchObject({ message: expect.stringMatching(/the lease was not created/) });
  });

  test('a rejected request: one INFO line with its reason; keys of one request never leak into the next', async () => {
    await handlerFor('ApplyFileUploadLease', deps)(alibabaEvent('FileName=a.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=10'), context()).catch(() => undefined);
    lines.length = 0;
    const res = await handlerFor('AzureWorkspaceCodeVersionStartPendingUpload', deps)(
      httpEvent({ routeKey: routeKey(operationById('AzureWorkspaceCodeVersionStartPendingUpload')), rawPath: '/x', pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' } }),
      context(),
    );
    expect(res.statusCode).toBe(400);
    const entries = parsed();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'INFO',
      message: 'request rejected',
      contract: 'azure-ml',
      contractRequestId: res.headers['x-ms-request-id'],
      apiGatewayRequestId: 'req',
      statusCode: 400,
    });
    expect(entries[0]!.reason).toMatch(/api-version/);
    expect(entries[0]).not.toHaveProperty('leaseId');
  });
});

describe('log level', () => {
  test("Lambda's AWS_LAMBDA_LOG_LEVEL decides what is written, and warnings are WARN", () => {
    const script = "import { log } from './shared/log.ts'; log.info('not shown'); log.warn('shown', { leaseId: 'x' });";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, BROKER_LOG_LEVEL: '', AWS_LAMBDA_LOG_LEVEL: 'WARN', POWERTOOLS_DEV: '' },
      encoding: 'utf8',
    });
    const out = run.stdout + run.stderr;
    const entries = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(entries).toEqual([expect.objectContaining({ level: 'WARN', message: 'shown', leaseId: 'x', service: 'upload-lease-broker' })]);
  });
});
