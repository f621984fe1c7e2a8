import { beforeEach, describe, expect, test } from '@jest/globals';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../shared/config.js';
import { SURFACES } from '../../shared/api/operation.js';
import { OPERATIONS, operationsOf, routeKey, operationById } from '../../shared/contracts/registry.js';
import { CONTRACT_CODE } from '../../shared/contracts/code-by-surface.js';
import { surfaceHandler } from '../../shared/api/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';
import { context, httpEvent } from '../support/events.js';

/** One Lambda per API surface, routing inside with @middy/http-router on API Gateway's route key. */
process.env.BROKER_LOG_LEVEL = 'silent';
const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b', ALIBABA_RATE_LIMIT_PER_SECOND: '0' });
const deps = createBrokerDeps(config, { credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const ddb = mockClient(deps.ddb);
beforeEach(() => {
  ddb.reset();
  ddb.on(PutCommand).resolves({});
});

const azureParams = { subscriptionId: 's', resourceGroupName: 'rg', name: 'c', version: '1' };

describe('surfaces', () => {
  test('every operation belongs to exactly one surface, and every surface has an operation', () => {
    expect(SURFACES.flatMap((s) => operationsOf(s)).map((o) => o.id).sort()).toEqual(OPERATIONS.map((o) => o.id).sort());
    for (const surface of SURFACES) expect(operationsOf(surface).length).toBeGreaterThan(0);
  });

  test('the azure surface serves both of its routes, each with its own path parameters', async () => {
    const handle = surfaceHandler(operationsOf('azure'), CONTRACT_CODE.azure, deps);
    const [workspace, registry] = operationsOf('azure');
    const call = (op: typeof workspace, params: Record<string, string>) =>
      handle(httpEvent({ routeKey: routeKey(op!), rawPath: '/x', rawQueryString: 'api-version=2025-09-01', pathParameters: { ...azureParams, ...params } }), context());
    const a = await call(workspace, { workspaceName: 'ws1' });
    const b = await call(registry, { registryName: 'reg1' });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(JSON.parse(a.body!).blobReferenceForConsumption.blobUri).not.toBe(JSON.parse(b.body!).blobReferenceForConsumption.blobUri);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item!.scope)).toEqual(['s/rg/workspaces/ws1/c/1', 's/rg/registries/reg1/c/1']);
  });

  test('a path parameter holding an encoded "/" still reaches its contract, which answers in its own format', async () => {
    const res = await surfaceHandler(operationsOf('azure'), CONTRACT_CODE.azure, deps)(
      httpEvent({
        routeKey: routeKey(operationById('AzureWorkspaceCodeVersionStartPendingUpload')),
        rawPath: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/codes/a%2Fb/versions/1/startPendingUpload',
        rawQueryString: 'api-version=2025-09-01',
        pathParameters: { ...azureParams, workspaceName: 'ws1', name: 'a/b' },
      }),
      context(),
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!).error).toMatchObject({ code: 'InvalidParameter', target: 'name' });
  });

  test('each surface dispatches only its own operations', async () => {
    const leaseRoute = httpEvent({ routeKey: routeKey(operationById('GetLease')), rawPath: '/leases/x', pathParameters: { leaseId: 'a'.repeat(32) } });
    await expect(Promise.resolve().then(() => surfaceHandler(operationsOf('alibaba'), CONTRACT_CODE.alibaba, deps)(leaseRoute, context()))).rejects.toMatchObject({ statusCode: 404 });
  });
});
