import { createHash } from 'node:crypto';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { toS3EventRecord } from '../../local/s3-event-records.js';
import { loadConfig } from '../../shared/config.js';
import { alibabaApplyFileUploadLeaseHandler } from '../../shared/contracts/alibaba/handler.js';
import { azureStartPendingUploadHandler } from '../../shared/contracts/azure/handler.js';
import { getLeaseHandler } from '../../shared/contracts/leases/handler.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { OPERATIONS, routeKey } from '../../shared/contracts/registry.js';
import { sweepDueLeases } from '../../shared/lease/sweep.js';
import { createBrokerDeps, withObjects } from '../../shared/runtime.js';
import { context, httpEvent } from '../support/events.js';
import { statementsOfFunction, synthStack } from './helpers.js';

/**
 * Least privilege, measured from the code rather than restated: each Lambda's handler is driven through
 * every path it has (new lease, renewal, rate limit, verdicts, sweep) against recording AWS clients, and
 * the DynamoDB and S3 actions of its role must be exactly the calls it was seen to make.
 */
process.env.BROKER_LOG_LEVEL = 'silent';

/** SDK command -> the IAM actions it needs. */
const ACTIONS = new Map<unknown, string[]>([
  [GetCommand, ['dynamodb:GetItem']],
  [PutCommand, ['dynamodb:PutItem']],
  [UpdateCommand, ['dynamodb:UpdateItem']],
  [QueryCommand, ['dynamodb:Query']],
  [DeleteObjectCommand, ['s3:DeleteObject']],
  // HEAD needs GetObject; ListBucket makes a missing object a 404 (handled) rather than a 403.
  [HeadObjectCommand, ['s3:GetObject', 's3:ListBucket']],
]);

const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b', ALIBABA_RATE_LIMIT_PER_SECOND: '10' });
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function recordingDeps() {
  const deps = withObjects(createBrokerDeps(config, { credentials }), credentials);
  const ddb = mockClient(deps.ddb);
  const s3 = mockClient(deps.s3);
  const seen = () =>
    new Set(
      [...ddb.calls(), ...s3.calls()].flatMap((call) => {
        const actions = ACTIONS.get((call.args[0] as object).constructor);
        if (!actions) throw new Error(`unmapped command ${(call.args[0] as object).constructor.name}`);
        return actions;
      }),
    );
  return { deps, ddb, s3, seen };
}

const lease = (overrides: Record<string, unknown> = {}) => ({
  leaseId: 'a'.repeat(32),
  contract: 'alibaba-model-studio',
  scope: 's',
  objectKey: `tmp/${'a'.repeat(32)}/doc.txt`,
  status: 'PENDING',
  createdAt: Date.now(),
  urlExpiresAt: Date.now() + 600_000,
  dueShard: 'DUE#0',
  dueAt: Date.now() + 900_000,
  expiresAt: 4_000_000_000,
  declaredSize: 5,
  declaredMd5: md5('hello'),
  contentType: 'text/plain',
  ...overrides,
});

const conditionFailed = () => Object.assign(new Error('c'), { name: 'ConditionalCheckFailedException' });

async function exercise(fn: string): Promise<Set<string>> {
  const r = recordingDeps();
  const signsUploads = new Set<string>();
  switch (fn) {
    case 'AzureApi': {
      const event = httpEvent({
        routeKey: routeKey(OPERATIONS[0]!),
        rawPath: '/x',
        pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' },
        rawQueryString: 'api-version=2025-09-01',
      });
      r.ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
      r.ddb.on(GetCommand).resolves({ Item: lease({ contract: 'azure-ml', pendingUploadId: 'p' }) });
      r.ddb.on(UpdateCommand).resolves({});
      for (let i = 0; i < 2; i++) {
        const res = await azureStartPendingUploadHandler(r.deps)(event, context());
        expect(res.statusCode).toBe(200);
        if (JSON.parse(res.body!).blobReferenceForConsumption.credential.sasUri.includes('X-Amz-Signature')) signsUploads.add('s3:PutObject');
      }
      expect(r.ddb.commandCalls(GetCommand)).toHaveLength(1); // the renewal path was taken
      break;
    }
    case 'AlibabaApi': {
      r.ddb.on(PutCommand).resolves({});
      r.ddb.on(UpdateCommand).resolves({});
      const res = await alibabaApplyFileUploadLeaseHandler(r.deps)(
        httpEvent({
          routeKey: routeKey(OPERATIONS[2]!),
          rawPath: '/ws/datacenter/category/default',
          pathParameters: { WorkspaceId: 'ws', CategoryId: 'default' },
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `FileName=doc.txt&Md5=${md5('hello')}&SizeInBytes=5`,
        }),
        context(),
      );
      expect(res.statusCode).toBe(200);
      if (JSON.parse(res.body!).Data.Param.Url.includes('X-Amz-Signature')) signsUploads.add('s3:PutObject');
      break;
    }
    case 'LeasesApi': {
      r.ddb.on(GetCommand).resolves({ Item: lease() });
      const res = await getLeaseHandler(r.deps)(
        httpEvent({ routeKey: routeKey(OPERATIONS[3]!), rawPath: '/leases/x', pathParameters: { leaseId: 'a'.repeat(32) } }),
        context(),
      );
      expect(res.statusCode).toBe(200);
      break;
    }
    case 'S3UploadEvents': {
      r.ddb.on(GetCommand).resolves({ Item: lease() });
      r.ddb.on(UpdateCommand).resolves({});
      r.s3
        .on(HeadObjectCommand)
        .resolvesOnce({ ContentLength: 5, ETag: `"${md5('hello')}"`, ContentType: 'text/plain' })
        .resolvesOnce({ ContentLength: 5, ETag: `"${md5('other')}"`, ContentType: 'text/plain' });
      r.s3.on(DeleteObjectCommand).resolves({});
      const record = (body: string, sequencer: string) =>
        toS3EventRecord({ bucket: 'b', key: lease().objectKey, size: body.length, eTag: md5(body), region: 'eu-west-1', sequencer });
      const { outcomes } = await s3UploadEventHandler(r.deps)({ Records: [record('hello', '01'), record('other', '02')] });
      expect(outcomes).toEqual(['uploaded', 'rejected']);
      break;
    }
    case 'RetentionSweep': {
      r.ddb.on(QueryCommand).resolves({ Items: [{ leaseId: 'a'.repeat(32) }] });
      r.ddb.on(GetCommand).resolves({ Item: lease({ dueAt: Date.now() - 1 }) });
      r.ddb.on(UpdateCommand).resolves({});
      r.s3.on(DeleteObjectCommand).resolves({});
      expect(await sweepDueLeases(r.deps)).toMatchObject({ expired: 4 }); // one per shard
      break;
    }
  }
  return new Set([...r.seen(), ...signsUploads]);
}

describe('each Lambda may make exactly the AWS calls its code makes', () => {
  const { template } = synthStack();
  test.each(['AzureApi', 'AlibabaApi', 'LeasesApi', 'S3UploadEvents', 'RetentionSweep'])('%s', async (fn) => {
    const used = [...(await exercise(fn))].sort();
    const granted = [...new Set(statementsOfFunction(template, fn).flatMap((s) => s.actions))].filter((a) => /^(dynamodb|s3):/.test(a)).sort();
    expect(granted).toEqual(used);
  });
});
