import { createHash, randomUUID } from 'node:crypto';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import SdkUtils from '@alicloud/openapi-core/dist/utils.js';
import { azureAuthenticator } from '../../shared/auth/azure.js';
import { contractAuth } from '../../shared/auth/contract-auth.js';
import { lambdaAuth } from '../../shared/auth/lambda-auth.js';
import { alibabaFromStack } from '../../shared/auth/lambda-auth-alibaba.js';
import { storedAzureGrants } from '../../shared/auth/stored-credentials.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { jest } from '@jest/globals';
import { CloudFrontKeyValueStoreClient, DescribeKeyValueStoreCommand, UpdateKeysCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createFrontSigningKey } from '../../shared/adapters/front-signing-key.js';
import { toS3EventRecord } from '../../local/s3-event-records.js';
import { loadConfig } from '../../shared/config.js';
import { leaseEventEnrichment } from '../../shared/events/lease-event-enrichment.js';
import { leaseSettlerHandler } from '../../shared/events/lease-settler.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { routeKey, operationById, type OperationId } from '../../shared/contracts/registry.js';
import { sweepDueLeases } from '../../shared/lease/sweep.js';
import { createBrokerDeps, withObjects } from '../../shared/runtime.js';
import type { SendRequest } from '../../shared/adapters/presigned-objects.js';
import { context, httpEvent } from '../support/events.js';
import { statementsOfFunction, synthStack } from './helpers.js';
import { handlerFor } from '../support/handlers.js';

/**
 * Least privilege, measured from the code rather than restated: each Lambda's handler is driven through
 * every path it has (new lease, renewal, rate limit, verdicts, consumption, sweep, settling) against
 * recording AWS clients, and
 * the DynamoDB and S3 actions of its role must be exactly the calls it was seen to make.
 */
process.env.BROKER_LOG_LEVEL = 'silent';

const STREAM_READS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

/** SDK command -> the IAM actions it needs. */
const ACTIONS = new Map<unknown, string[]>([
  [GetCommand, ['dynamodb:GetItem']],
  [PutCommand, ['dynamodb:PutItem']],
  [DeleteCommand, ['dynamodb:DeleteItem']],
  [BatchGetCommand, ['dynamodb:BatchGetItem']],
  [DeleteObjectsCommand, ['s3:DeleteObject']],
  // A server-side copy reads the source and writes the target.
  [CopyObjectCommand, ['s3:GetObject', 's3:PutObject']],
  [UpdateCommand, ['dynamodb:UpdateItem']],
  [QueryCommand, ['dynamodb:Query']],
  [DeleteObjectCommand, ['s3:DeleteObject']],
  // HEAD needs GetObject; ListBucket makes a missing object a 404 (handled) rather than a 403.
  [HeadObjectCommand, ['s3:GetObject', 's3:ListBucket']],
]);

const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b', ALIBABA_RATE_LIMIT_PER_SECOND: '10' });
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Presigned requests the API Lambdas send with fetch (adapters/presigned-objects.ts) -> the IAM actions they need. */
const PRESIGNED_ACTIONS: Record<string, string[]> = {
  HEAD: ACTIONS.get(HeadObjectCommand)!,
  DELETE: ACTIONS.get(DeleteObjectCommand)!,
};

function recordingDeps() {
  // What S3 answers a presigned request: an object that does not match what the lease declared.
  const presigned: string[] = [];
  const send: SendRequest = async (_url, init) => {
    presigned.push(init.method);
    const headers = new Headers(init.method === 'HEAD' ? { 'content-length': '6', etag: `"${md5('hello!')}"`, 'content-type': 'text/plain' } : {});
    return { status: init.method === 'HEAD' ? 200 : 204, headers, text: async () => '' };
  };
  const apiDeps = createBrokerDeps(config, { credentials, send });
  const deps = withObjects(apiDeps, credentials);
  const ddb = mockClient(deps.ddb);
  const s3 = mockClient(deps.s3);
  const seen = () =>
    new Set([
      ...[...ddb.calls(), ...s3.calls()].flatMap((call) => {
        const actions = ACTIONS.get((call.args[0] as object).constructor);
        if (!actions) throw new Error(`unmapped command ${(call.args[0] as object).constructor.name}`);
        return actions;
      }),
      ...presigned.flatMap((method) => PRESIGNED_ACTIONS[method]!),
    ]);
  // The API Lambdas' deps, as lambdas/<surface>/index.ts builds them: object calls presigned, no S3 client.
  return { deps, apiDeps: { ...apiDeps, ddb: deps.ddb }, ddb, s3, seen, presigned };
}

/**
 * A consumer on a PENDING lease whose object is in place but does not match (6 bytes for 5 declared):
 * verified on the spot, REJECTED, its object deleted (HEAD and DELETE, presigned), the caller refused.
 */
async function rejectOnTheSpot(r: ReturnType<typeof recordingDeps>, run: () => Promise<{ statusCode: number }>, pending: Record<string, unknown>) {
  r.ddb.reset();
  r.ddb.on(GetCommand).resolves({ Item: pending });
  r.ddb.on(UpdateCommand).resolves({ Attributes: { ...pending, status: 'REJECTED', rejectReason: 'SIZE_MISMATCH', size: 6, dueAt: undefined } });
  expect((await run()).statusCode).toBe(409);
  expect(r.presigned).toEqual(['HEAD', 'DELETE']);
}

const lease = (overrides: Record<string, unknown> = {}) => ({
  leaseId: 'a'.repeat(32),
  contract: 'alibaba-model-studio',
  scope: 'ws/default',
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

const route = (id: OperationId) => routeKey(operationById(id));
const conditionFailedOnce = <T>(value: T) => {
  let failed = false;
  return () => {
    if (failed) return value;
    failed = true;
    throw conditionFailed();
  };
};

/** A lease as DynamoDB holds it, UPLOADED and due later (consumable). */
const uploaded = (overrides: Record<string, unknown> = {}) =>
  lease({ status: 'UPLOADED', sequencer: '01', eTag: md5('hello'), size: 5, uploadedAt: Date.now(), dueAt: Date.now() + 3_600_000, ...overrides });

/** The same lease CONSUMED (or DELETED), its object work still due. */
const consumed = (overrides: Record<string, unknown> = {}) =>
  uploaded({ status: 'CONSUMED', consumedAt: Date.now(), storedKey: `files/${'a'.repeat(32)}/doc.txt`, dueAt: Date.now() - 1, ...overrides });

async function exercise(fn: string): Promise<Set<string>> {
  const r = recordingDeps();
  const extra = new Set<string>();
  switch (fn) {
    case 'AzureApi': {
      const event = httpEvent({
        routeKey: route('AzureWorkspaceCodeVersionStartPendingUpload'),
        rawPath: '/x',
        pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' },
        rawQueryString: 'api-version=2025-09-01',
      });
      r.ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
      r.ddb.on(GetCommand).resolves({ Item: lease({ contract: 'azure-ml', pendingUploadId: 'p' }) });
      r.ddb.on(UpdateCommand).resolves({ Attributes: lease({ contract: 'azure-ml', pendingUploadId: 'p' }) });
      for (let i = 0; i < 2; i++) {
        const res = await handlerFor('AzureWorkspaceCodeVersionStartPendingUpload', r.deps)(event, context());
        expect(res.statusCode).toBe(200);
        if (JSON.parse(res.body!).blobReferenceForConsumption.credential.sasUri.includes('X-Amz-Signature')) extra.add('s3:PutObject');
      }
      expect(r.ddb.commandCalls(GetCommand)).toHaveLength(1); // the renewal path was taken
      for (const action of r.seen()) extra.add(action); // reset() forgets the calls so far

      // Code versions: create (claim the name, consume the lease), read, and a refused create (release the claim).
      r.ddb.reset();
      const azureLease = uploaded({ contract: 'azure-ml', scope: 's/rg/workspaces/ws1/c/1/p', objectKey: `tmp/${'a'.repeat(32)}/c-1` });
      let claim: Record<string, unknown> | undefined;
      let current: Record<string, unknown> = azureLease;
      r.ddb.on(GetCommand).callsFake((input: { Key: { leaseId: string } }) => ({ Item: input.Key.leaseId.startsWith('name#') ? claim : current }));
      r.ddb.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => ((claim = input.Item), {}));
      r.ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => {
        current = { ...current, status: 'CONSUMED', consumedBy: input.ExpressionAttributeValues[':consumedBy'], storedKey: `files/${'a'.repeat(32)}/c-1` };
        return { Attributes: current };
      });
      r.ddb.on(DeleteCommand).resolves({});
      const versionPath = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' };
      const codeUri = r.deps.presigner.objectUrl(azureLease.objectKey as string);
      const put = (version: string) =>
        handlerFor('AzureWorkspaceCodeVersionCreateOrUpdate', r.deps)(
          httpEvent({
            routeKey: route('AzureWorkspaceCodeVersionCreateOrUpdate'),
            rawPath: '/x',
            pathParameters: { ...versionPath, version },
            rawQueryString: 'api-version=2025-09-01',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ properties: { codeUri } }),
          }),
          context(),
        );
      expect((await put('1')).statusCode).toBe(201);
      const got = await handlerFor('AzureWorkspaceCodeVersionGet', r.deps)(
        httpEvent({ routeKey: route('AzureWorkspaceCodeVersionGet'), rawPath: '/x', pathParameters: versionPath, rawQueryString: 'api-version=2025-09-01' }),
        context(),
      );
      expect(got.statusCode).toBe(200);
      claim = undefined;
      expect((await put('2')).statusCode).toBe(409); // the lease is already used: the new claim is released
      expect(r.ddb.commandCalls(DeleteCommand)).toHaveLength(1);
      for (const action of r.seen()) extra.add(action);
      // A code version on a lease whose upload no event has decided yet.
      const pendingAzure = lease({ contract: 'azure-ml', scope: 's/rg/workspaces/ws1/c/1/p', objectKey: `tmp/${'a'.repeat(32)}/c-1`, declaredMd5: undefined, contentType: undefined });
      claim = undefined;
      await rejectOnTheSpot(
        r,
        () => handlerFor('AzureWorkspaceCodeVersionCreateOrUpdate', r.apiDeps)(
          httpEvent({ routeKey: route('AzureWorkspaceCodeVersionCreateOrUpdate'), rawPath: '/x', pathParameters: { ...versionPath, version: '3' }, rawQueryString: 'api-version=2025-09-01', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ properties: { codeUri } }) }),
          context(),
        ),
        pendingAzure,
      );
      break;
    }
    case 'AlibabaApi': {
      r.ddb.on(PutCommand).resolves({});
      r.ddb.on(UpdateCommand).resolves({});
      const res = await handlerFor('ApplyFileUploadLease', r.deps)(
        httpEvent({
          routeKey: route('ApplyFileUploadLease'),
          rawPath: '/ws/datacenter/category/default',
          pathParameters: { WorkspaceId: 'ws', CategoryId: 'default' },
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `FileName=doc.txt&Md5=${md5('hello')}&SizeInBytes=5`,
        }),
        context(),
      );
      expect(res.statusCode).toBe(200);
      if (JSON.parse(res.body!).Data.Param.Url.includes('X-Amz-Signature')) extra.add('s3:PutObject');

      // AddFile, DescribeFile, DeleteFile.
      const leaseId = `${'a'.repeat(32)}.1790000000000`;
      const fileId = `file_${'a'.repeat(32)}_1790000000000`;
      const alibabaLease = uploaded({ leaseId, scope: 'ws/default' });
      const asFile = { ...consumed({ leaseId, scope: 'ws/default' }), consumedBy: { kind: 'alibaba-file', id: fileId, attributes: { categoryId: 'default', parser: 'P', tags: [] } } };
      for (const action of r.seen()) extra.add(action); // reset() forgets the calls so far
      r.ddb.reset();
      r.ddb.on(GetCommand).resolvesOnce({ Item: alibabaLease }).resolves({ Item: asFile });
      r.ddb.on(UpdateCommand).resolvesOnce({ Attributes: asFile }).resolves({ Attributes: { ...asFile, status: 'DELETED' } });
      const added = await handlerFor('AddFile', r.deps)(
        httpEvent({
          routeKey: route('AddFile'),
          rawPath: '/ws/datacenter/file',
          pathParameters: { WorkspaceId: 'ws' },
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `LeaseId=${leaseId}&Parser=P&CategoryId=default`,
        }),
        context(),
      );
      expect(added.statusCode).toBe(200);
      const filePath = { WorkspaceId: 'ws', FileId: `${fileId}/` };
      expect((await handlerFor('DescribeFile', r.deps)(httpEvent({ routeKey: route('DescribeFile'), rawPath: '/x', pathParameters: filePath }), context())).statusCode).toBe(200);
      expect((await handlerFor('DeleteFile', r.deps)(httpEvent({ routeKey: route('DeleteFile'), rawPath: '/x', pathParameters: filePath }), context())).statusCode).toBe(200);
      for (const action of r.seen()) extra.add(action);
      // AddFile the moment the PUT returned: the upload is verified on the spot.
      await rejectOnTheSpot(
        r,
        () => handlerFor('AddFile', r.apiDeps)(
          httpEvent({ routeKey: route('AddFile'), rawPath: '/ws/datacenter/file', pathParameters: { WorkspaceId: 'ws' }, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `LeaseId=${leaseId}&Parser=P&CategoryId=default` }),
          context(),
        ),
        lease({ leaseId, scope: 'ws/default' }),
      );
      break;
    }
    case 'LeasesApi': {
      r.ddb.on(GetCommand).resolves({ Item: uploaded() });
      r.ddb.on(UpdateCommand).resolves({ Attributes: consumed() });
      const res = await handlerFor('GetLease', r.deps)(httpEvent({ routeKey: route('GetLease'), rawPath: '/leases/x', pathParameters: { leaseId: 'a'.repeat(32) } }), context());
      expect(res.statusCode).toBe(200);
      if (JSON.parse(res.body!).downloadUrl.includes('X-Amz-Signature')) extra.add('s3:GetObject');
      const consumedRes = await handlerFor('ConsumeLease', r.deps)(
        httpEvent({ routeKey: route('ConsumeLease'), rawPath: '/leases/x/consume', pathParameters: { leaseId: 'a'.repeat(32) } }),
        context(),
      );
      expect(consumedRes.statusCode).toBe(200);
      for (const action of r.seen()) extra.add(action);
      await rejectOnTheSpot(
        r,
        () => handlerFor('ConsumeLease', r.apiDeps)(httpEvent({ routeKey: route('ConsumeLease'), rawPath: '/leases/x/consume', pathParameters: { leaseId: 'a'.repeat(32) } }), context()),
        lease(),
      );
      break;
    }
    case 'S3UploadEvents': {
      r.ddb.on(GetCommand).resolves({ Item: lease() });
      // The first upload is accepted in one conditional write; the second fails that condition (the
      // lease has a sequencer by then), is read (GetItem), rejected and its object deleted.
      r.ddb
        .on(UpdateCommand)
        .resolvesOnce({ Attributes: lease() })
        .rejectsOnce(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }))
        .resolves({ Attributes: lease() });
      // Only the decision the long way HEADs this (Azure-shaped) lease's object.
      r.s3.on(HeadObjectCommand).resolves({ ContentLength: 5, ETag: `"${md5('other')}"`, ContentType: 'text/plain' });
      r.s3.on(DeleteObjectCommand).resolves({});
      const record = (body: string, sequencer: string) =>
        toS3EventRecord({ bucket: 'b', key: lease().objectKey, size: body.length, eTag: md5(body), region: 'eu-west-1', sequencer });
      const { outcomes } = await s3UploadEventHandler(r.deps)({ Records: [record('hello', '01'), record('other', '02')] });
      expect(outcomes).toEqual(['uploaded', 'rejected']);
      break;
    }
    case 'RetentionSweep': {
      // One due entry per shard, as the index projects them: one to expire, one unused (long due), one
      // consumed (to move), one deleted (its settle write loses a race once, so the lease is read again).
      const id = (n: number) => String(n).repeat(32);
      const entries = [
        { leaseId: id(1), dueShard: 'DUE#0', dueAt: Date.now() - 3_600_000, status: 'UPLOADED', sequencer: '01', objectKey: `tmp/${id(1)}/a` },
        { leaseId: id(2), dueShard: 'DUE#1', dueAt: Date.now() - 3_600_000, status: 'PENDING', objectKey: `tmp/${id(2)}/a` },
        { leaseId: id(3), dueShard: 'DUE#2', dueAt: Date.now() - 1, status: 'CONSUMED', sequencer: '01', eTag: md5('x'), objectKey: `tmp/${id(3)}/a`, storedKey: `files/${id(3)}/a` },
        { leaseId: id(4), dueShard: 'DUE#3', dueAt: Date.now() - 1, status: 'DELETED', objectKey: `tmp/${id(4)}/a`, storedKey: `files/${id(4)}/a` },
      ];
      r.ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: { ':shard': string }; Limit?: number }) =>
        input.Limit === 1 ? {} : { Items: entries.filter((e) => e.dueShard === input.ExpressionAttributeValues[':shard']) },
      );
      let raced = false;
      r.ddb.on(UpdateCommand).callsFake((input: { Key: { leaseId: string } }) => {
        if (input.Key.leaseId === id(4) && !raced) {
          raced = true;
          throw conditionFailed();
        }
        return { Attributes: lease({ leaseId: input.Key.leaseId, dueAt: undefined }) };
      });
      r.ddb.on(GetCommand).resolves({ Item: lease({ leaseId: id(4), status: 'DELETED', dueAt: undefined }) });
      // The consistent re-read before deleting: the records still say what their entries say.
      r.ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { leaseId: string }[] }> }) => ({
        Responses: { t: input.RequestItems.t!.Keys.map((k) => lease({ ...entries.find((e) => e.leaseId === k.leaseId)!, expiresAt: 4_000_000_000 })) },
      }));
      r.s3.on(DeleteObjectsCommand).resolves({});
      r.s3.on(DeleteObjectCommand).resolves({});
      r.s3.on(HeadObjectCommand).rejects(Object.assign(new Error('nf'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
      r.s3.on(CopyObjectCommand).resolves({});
      expect(await sweepDueLeases(r.deps)).toMatchObject({ expired: 2, settled: 2, failed: 0 });
      break;
    }
    case 'LeaseSettler': {
      const images = [consumed(), consumed({ status: 'DELETED' })];
      r.ddb.on(UpdateCommand).callsFake(conditionFailedOnce({ Attributes: lease() }));
      r.ddb.on(GetCommand).resolves({ Item: consumed({ dueAt: undefined }) });
      r.s3.on(HeadObjectCommand).rejects(Object.assign(new Error('nf'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
      r.s3.on(CopyObjectCommand).resolves({});
      r.s3.on(DeleteObjectCommand).resolves({});
      const out = await leaseSettlerHandler(r.deps)({
        Records: images.map((image, i) => ({ dynamodb: { NewImage: marshall(image, { removeUndefinedValues: true }) as never, SequenceNumber: String(i) } })),
      });
      expect(out.batchItemFailures).toEqual([]);
      break;
    }
    case 'LeaseEventsEnrichment': {
      const events = await leaseEventEnrichment('b')([
        { dynamodb: { OldImage: marshall(lease()) as never, NewImage: marshall(uploaded()) as never, ApproximateCreationDateTime: 1 } },
      ]);
      expect(events.map((e) => e.detailType)).toEqual(['Lease Uploaded']);
      break;
    }
  }
  return new Set([...r.seen(), ...extra]);
}

describe('each Lambda may make exactly the AWS calls its code makes', () => {
  const { template } = synthStack();
  test.each(['AzureApi', 'AlibabaApi', 'LeasesApi', 'S3UploadEvents', 'RetentionSweep', 'LeaseSettler', 'LeaseEventsEnrichment'])('%s', async (fn) => {
    const used = [...(await exercise(fn))].sort();
    const granted = [...new Set(statementsOfFunction(template, fn).flatMap((s) => s.actions))]
      .filter((a) => /^(dynamodb|s3):/.test(a))
      // Reading the stream is the event source mapping's doing (Lambda's poller), not the code's.
      .filter((a) => !STREAM_READS.includes(a))
      .sort();
    expect(granted).toEqual(used);
  });
});

describe('auth=contracts: the calls authentication adds are exactly the grants it adds', () => {
  const AUTH_CONTRACTS_CONTEXT = { auth: 'contracts', jwtIssuer: 'https://issuer.example/', jwtAudience: 'aud' };
  const { template } = synthStack(AUTH_CONTRACTS_CONTEXT);
  const KEY_ID = 'LTAIiamfromcode';
  const SECRET = 'a-secret-for-the-iam-test';

  /** ACS3-signed by the official SDK's own signer. */
  function signed(method: string, rawPath: string, body = '', contentType?: string) {
    const hash = createHash('sha256').update(body).digest('hex');
    const headers: Record<string, string> = {
      host: 'api.example',
      'x-acs-action': 'A',
      'x-acs-version': '2023-12-29',
      'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'x-acs-signature-nonce': randomUUID(),
      'x-acs-content-sha256': hash,
      ...(contentType ? { 'content-type': contentType } : {}),
    };
    headers.authorization = SdkUtils.default.getAuthorization({ pathname: rawPath, method, query: {}, headers } as never, 'ACS3-HMAC-SHA256', hash, KEY_ID, SECRET);
    return { headers, ...(body ? { body } : {}) };
  }

  async function exerciseWithAuth(fn: string, issuer: TestIssuer): Promise<Set<string>> {
    const kms = mockClient(KMSClient);
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from(SECRET) });
    const auth = lambdaAuth(
      { AUTH: 'contracts', JWT_ISSUER: 'https://issuer.example/', JWT_AUDIENCE: 'aud', ACCESS_KEYS_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:1:key/k' },
      { alibaba: alibabaFromStack },
    )!;
    // The deployed Lambdas' authentication; its bearer side trusts the test's local (http) issuer, with the
    // grants still read from the table as deployed.
    const withLocalIssuer = (parts: Parameters<typeof auth>[0]) =>
      contractAuth(auth(parts).alibaba, azureAuthenticator({ issuer: issuer.issuer, audience: 'aud', allowHttpIssuer: true }, storedAzureGrants({ ddb: parts.ddb, tableName: parts.config.tableName })));
    const presigned: string[] = [];
    const send: SendRequest = async (_url, init) => {
      presigned.push(init.method);
      return { status: init.method === 'HEAD' ? 200 : 204, headers: new Headers(init.method === 'HEAD' ? { 'content-length': '6', etag: `"${md5('hello!')}"`, 'content-type': 'text/plain' } : {}), text: async () => '' };
    };
    // As the API Lambdas build them: no S3 client, object calls presigned.
    const deps = createBrokerDeps(config, { credentials, auth: withLocalIssuer, send });
    const ddb = mockClient(deps.ddb);
    const alibabaLease = { ...uploaded({ leaseId: `${'a'.repeat(32)}.1790000000000`, scope: 'ws/default' }) };
    // Each route also meets the lease the moment its PUT returned, before its event: verified on the spot.
    let pending = false;
    ddb.on(GetCommand).callsFake((input: { Key: { leaseId: string } }) => {
      const id = input.Key.leaseId;
      if (id.startsWith('accesskey#')) return { Item: { leaseId: id, secretCiphertext: Buffer.from('c').toString('base64'), workspaces: ['ws'] } };
      if (id.startsWith('grant#')) return { Item: { leaseId: id, subscriptions: ['s'] } };
      return { Item: pending ? { ...alibabaLease, status: 'PENDING', sequencer: undefined } : alibabaLease };
    });
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { ...alibabaLease, status: 'CONSUMED', storedKey: 'files/x/y', consumedBy: { kind: 'broker', id: 'broker' } } });
    const leaseId = alibabaLease.leaseId;
    const extra = new Set<string>();
    if (fn === 'AlibabaApi') {
      const body = `FileName=doc.txt&Md5=${md5('hello')}&SizeInBytes=5`;
      const res = await handlerFor('ApplyFileUploadLease', deps)(
        httpEvent({ routeKey: route('ApplyFileUploadLease'), rawPath: '/ws/datacenter/category/default', pathParameters: { WorkspaceId: 'ws', CategoryId: 'default' }, ...signed('POST', '/ws/datacenter/category/default', body, 'application/x-www-form-urlencoded') }),
        context(),
      );
      expect(res.statusCode).toBe(200);
      extra.add('s3:PutObject');
      const addBody = `LeaseId=${leaseId}&Parser=P&CategoryId=default`;
      const added = await handlerFor('AddFile', deps)(
        httpEvent({ routeKey: route('AddFile'), rawPath: '/ws/datacenter/file', pathParameters: { WorkspaceId: 'ws' }, ...signed('PUT', '/ws/datacenter/file', addBody, 'application/x-www-form-urlencoded') }),
        context(),
      );
      expect(added.statusCode).toBe(200);
      pending = true;
      const addedAtOnce = await handlerFor('AddFile', deps)(
        httpEvent({ routeKey: route('AddFile'), rawPath: '/ws/datacenter/file', pathParameters: { WorkspaceId: 'ws' }, ...signed('PUT', '/ws/datacenter/file', addBody, 'application/x-www-form-urlencoded') }),
        context(),
      );
      expect(addedAtOnce.statusCode).toBe(409);
    } else {
      const read = await handlerFor('GetLease', deps)(
        httpEvent({ routeKey: route('GetLease'), rawPath: `/leases/${leaseId}`, pathParameters: { leaseId }, ...signed('GET', `/leases/${leaseId}`) }),
        context(),
      );
      expect(read.statusCode).toBe(200);
      if (JSON.parse(read.body!).downloadUrl) extra.add('s3:GetObject');
      const token = await issuer.mint({ oid: 'p' });
      const consumed = await handlerFor('ConsumeLease', deps)(
        httpEvent({ routeKey: route('ConsumeLease'), rawPath: `/leases/${leaseId}/consume`, pathParameters: { leaseId }, headers: { authorization: `Bearer ${token}` } }),
        context(),
      );
      // An Alibaba lease is not the Azure principal's: 404, after the grant was read.
      expect(consumed.statusCode).toBe(404);
      const consumedByOwner = await handlerFor('ConsumeLease', deps)(
        httpEvent({ routeKey: route('ConsumeLease'), rawPath: `/leases/${leaseId}/consume`, pathParameters: { leaseId }, ...signed('POST', `/leases/${leaseId}/consume`) }),
        context(),
      );
      expect(consumedByOwner.statusCode).toBe(200);
      pending = true;
      const consumedAtOnce = await handlerFor('ConsumeLease', deps)(
        httpEvent({ routeKey: route('ConsumeLease'), rawPath: `/leases/${leaseId}/consume`, pathParameters: { leaseId }, ...signed('POST', `/leases/${leaseId}/consume`) }),
        context(),
      );
      // The mocked write reads back as consumed by this very caller: an idempotent 200.
      expect(consumedAtOnce.statusCode).toBe(200);
    }
    expect(presigned).toEqual(['HEAD', 'DELETE']);
    const used = new Set([
      ...extra,
      ...presigned.flatMap((method) => PRESIGNED_ACTIONS[method]!),
      ...ddb.calls().flatMap((call) => ACTIONS.get((call.args[0] as object).constructor)!),
      ...(kms.commandCalls(DecryptCommand).length ? ['kms:Decrypt'] : []),
    ]);
    kms.restore();
    return used;
  }

  test.each(['AlibabaApi', 'LeasesApi'])('%s', async (fn) => {
    const issuer = await startTestIssuer('aud');
    try {
      const used = [...(await exerciseWithAuth(fn, issuer))].sort();
      const granted = [...new Set(statementsOfFunction(template, fn).flatMap((s) => s.actions))].filter((a) => /^(dynamodb|s3|kms):/.test(a)).sort();
      expect(granted).toEqual(used);
    } finally {
      await issuer.close();
    }
  });
});

describe('azureUploads=blob-front: the signing-key calls are exactly the grants they add', () => {
  const { template } = synthStack({ azureUploads: 'blob-front' });
  const FRONT_ACTIONS = new Map<unknown, string>([
    [GetSecretValueCommand, 'secretsmanager:GetSecretValue'],
    [DescribeKeyValueStoreCommand, 'cloudfront-keyvaluestore:DescribeKeyValueStore'],
    [UpdateKeysCommand, 'cloudfront-keyvaluestore:UpdateKeys'],
  ]);
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:k';
  const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/s';
  const granted = (fn: string) =>
    [...new Set(statementsOfFunction(template, fn).flatMap((s) => s.actions))].filter((a) => /^(secretsmanager|cloudfront-keyvaluestore|kms):/.test(a)).sort();
  const used = (...mocks: { calls: () => { args: unknown[] }[] }[]) =>
    [
      ...new Set(
        mocks.flatMap((m) => m.calls()).map((call) => {
          const action = FRONT_ACTIONS.get((call.args[0] as object).constructor);
          if (!action) throw new Error(`unmapped command ${(call.args[0] as object).constructor.name}`);
          return action;
        }),
      ),
    ].sort();

  test('BlobFrontSigningKeySync: the deploy-time copy (Create, an ETag race, Update, Delete)', async () => {
    const secrets = mockClient(SecretsManagerClient);
    const kvs = mockClient(CloudFrontKeyValueStoreClient);
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 200 }));
    try {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k'.repeat(64) });
      kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'e' });
      kvs.on(UpdateKeysCommand).rejectsOnce(Object.assign(new Error('etag'), { name: 'ConflictException', $metadata: { httpStatusCode: 409 } })).resolves({ ETag: 'f' });
      const { handler } = await import('../../lambdas/blob-front-key/index.js');
      for (const RequestType of ['Create', 'Update', 'Delete'] as const) {
        await handler({
          RequestType,
          ServiceToken: 'x',
          ResponseURL: 'https://cfn-response.example/',
          StackId: 's',
          RequestId: 'r',
          LogicalResourceId: 'l',
          ResourceType: 'Custom::BlobFrontSigningKey',
          PhysicalResourceId: 'p',
          ResourceProperties: { ServiceToken: 'x', KvsArn: KVS_ARN, SecretArn: SECRET_ARN, MaxBlobBytes: '1024' },
        } as never);
      }
      expect(fetchSpy.mock.calls.map(([, init]) => JSON.parse(Buffer.from(init!.body as Uint8Array).toString()).Status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
      expect(granted('BlobFrontSigningKeySync')).toEqual(used(secrets, kvs));
    } finally {
      fetchSpy.mockRestore();
      secrets.restore();
      kvs.restore();
    }
  });

  test('AzureApi: minting a container SAS reads the key (adapters/front-signing-key.ts), nothing more', async () => {
    const secrets = mockClient(SecretsManagerClient);
    try {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k'.repeat(64) });
      const frontSigningKey = createFrontSigningKey({ secretArn: SECRET_ARN, client: new SecretsManagerClient({ region: 'eu-west-1', credentials }) });
      const frontConfig = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b', AZURE_UPLOADS: 'blob-front', BLOB_FRONT_URL: 'https://front.example' });
      const deps = createBrokerDeps(frontConfig, { credentials, frontSigningKey });
      const ddb = mockClient(deps.ddb);
      ddb.on(PutCommand).resolves({});
      const res = await handlerFor('AzureWorkspaceCodeVersionStartPendingUpload', deps)(
        httpEvent({
          routeKey: route('AzureWorkspaceCodeVersionStartPendingUpload'),
          rawPath: '/x',
          pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' },
          rawQueryString: 'api-version=2025-09-01',
        }),
        context(),
      );
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body!).blobReferenceForConsumption.credential.sasUri).toMatch(/^https:\/\/front\.example\//);
      expect(granted('AzureApi')).toEqual(used(secrets));
      // No other Lambda reads it.
      for (const fn of ['AlibabaApi', 'LeasesApi', 'S3UploadEvents', 'RetentionSweep', 'LeaseSettler', 'LeaseEventsEnrichment']) expect(granted(fn)).toEqual([]);
    } finally {
      secrets.restore();
    }
  });
});
