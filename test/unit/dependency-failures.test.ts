import { beforeEach, describe, expect, test } from '@jest/globals';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../shared/config.js';
import { routeKey, operationById } from '../../shared/contracts/registry.js';
import { createBrokerDeps } from '../../shared/runtime.js';
import { context, httpEvent } from '../support/events.js';
import { expectAlibabaError, expectArmError, expectBrokerError } from '../support/schemas.js';
import { handlerFor } from '../support/handlers.js';

process.env.BROKER_LOG_LEVEL = 'silent';
const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b' });
const deps = createBrokerDeps(config, { credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const ddb = mockClient(deps.ddb);

const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

const azureEvent = () =>
  httpEvent({
    routeKey: routeKey(operationById('AzureWorkspaceCodeVersionStartPendingUpload')),
    rawPath: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/codes/c/versions/1/startPendingUpload',
    pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' },
    rawQueryString: 'api-version=2025-09-01',
    headers: { 'content-type': 'application/json' },
    body: '{"pendingUploadId":"p"}',
  });
const alibabaEvent = () =>
  httpEvent({
    routeKey: routeKey(operationById('ApplyFileUploadLease')),
    rawPath: '/ws/datacenter/category/default',
    pathParameters: { WorkspaceId: 'ws', CategoryId: 'default' },
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'FileName=a.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=10',
  });

beforeEach(() => {
  ddb.reset();
});

describe('a failing DynamoDB never yields a URL', () => {
  test.each([
    ['throttling', sdkError('ProvisionedThroughputExceededException', 400), 503, 'ServiceUnavailable'],
    ['a 5xx', sdkError('InternalServerError', 500), 500, 'InternalServerError'],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 500, 'InternalServerError'],
  ])('Azure: %s gives its status in ARM format', async (_what, error, status, code) => {
    ddb.on(PutCommand).rejects(error);
    const res = await handlerFor('AzureWorkspaceCodeVersionStartPendingUpload', deps)(azureEvent(), context());
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body!);
    expectArmError(body);
    expect(body.error.code).toBe(code);
    expect(res.body).not.toMatch(/X-Amz-Signature|sasUri|stack|at .*\.ts/);
    expect(res.headers['x-ms-request-id']).toBeTruthy();
    if (status === 503) expect(res.headers['retry-after']).toBe('1');
    else expect(res.headers['retry-after']).toBeUndefined();
  });

  test.each([
    ['throttling', sdkError('ThrottlingException', 400), 503, 'ServiceUnavailable'],
    ['a 5xx', sdkError('InternalServerError', 500), 500, 'InternalError'],
  ])('Alibaba: %s gives its status in Alibaba format', async (_what, error, status, code) => {
    ddb.on(PutCommand).rejects(error);
    const res = await handlerFor('ApplyFileUploadLease', deps)(alibabaEvent(), context());
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body!);
    expectAlibabaError(body);
    expect(body).toMatchObject({ Code: code, Status: String(status), Success: false });
    expect(res.body).not.toMatch(/X-Amz-Signature|Url/);
  });

  test('Azure create-or-get: a failure while renewing an existing lease is a 503, not a stale URL', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));
    ddb.on(GetCommand).resolves({ Item: { leaseId: 'x', status: 'PENDING', urlExpiresAt: Date.now(), dueAt: Date.now() + 1e6, expiresAt: 2e9, objectKey: 'tmp/x/c-1', contract: 'azure-ml', scope: 's', createdAt: Date.now(), pendingUploadId: 'p' } });
    ddb.on(UpdateCommand).rejects(sdkError('ProvisionedThroughputExceededException', 400));
    const res = await handlerFor('AzureWorkspaceCodeVersionStartPendingUpload', deps)(azureEvent(), context());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body!).error.code).toBe('ServiceUnavailable');
  });

  test('GET /leases: throttling -> 503 with Retry-After in the broker format', async () => {
    ddb.on(GetCommand).rejects(sdkError('ProvisionedThroughputExceededException', 400));
    const res = await handlerFor('GetLease', deps)(
      httpEvent({ routeKey: 'GET /leases/{leaseId}', rawPath: '/leases/x', pathParameters: { leaseId: 'a'.repeat(32) } }),
      context(),
    );
    expect(res.statusCode).toBe(503);
    expectBrokerError(JSON.parse(res.body!));
    expect(res.headers['retry-after']).toBe('1');
  });

  test('the write is the conditional put of a PENDING record whose key the server made', async () => {
    ddb.on(PutCommand).resolves({});
    const res = await handlerFor('ApplyFileUploadLease', deps)(alibabaEvent(), context());
    expect(res.statusCode).toBe(200);
    const put = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.ConditionExpression).toBe('attribute_not_exists(leaseId)');
    expect(put.Item).toMatchObject({ status: 'PENDING', declaredSize: 10, declaredMd5: '19657c391f6c70bcea63c154d8606bb3', contentType: 'application/pdf' });
    expect(put.Item!.objectKey).toBe(`tmp/${put.Item!.leaseId}/a.pdf`);
    expect(put.Item!.expiresAt).toBeGreaterThan(put.Item!.dueAt / 1000);
  });
});

describe('a signing failure (no usable credentials) is the contract\'s dependency error', () => {
  const unsigned = { ...deps, presigner: { ...deps.presigner, presignPut: async () => Promise.reject(new Error('Could not load credentials from any providers')) } };

  test('Alibaba: a 500 in the Alibaba envelope, nothing written, no URL, no raw error text', async () => {
    const res = await handlerFor('ApplyFileUploadLease', unsigned)(alibabaEvent(), context());
    expect(res.statusCode).toBe(500);
    const body = JSON.parse(res.body!);
    expectAlibabaError(body);
    expect(body).toMatchObject({ Code: 'InternalError', Status: '500', Success: false });
    expect(res.body).not.toMatch(/Could not load|providers|Url|stack/);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  test('Azure: a 500 in ARM format, nothing written', async () => {
    const res = await handlerFor('AzureWorkspaceCodeVersionStartPendingUpload', unsigned)(azureEvent(), context());
    expect(res.statusCode).toBe(500);
    const body = JSON.parse(res.body!);
    expectArmError(body);
    expect(body.error.code).toBe('InternalServerError');
    expect(res.body).not.toMatch(/Could not load|providers|sasUri/);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
