import { createHash } from 'node:crypto';
import { describe, expect, jest, test } from '@jest/globals';
import { CONTRACT_CODE } from '../../shared/contracts/code-by-surface.js';
import { fileIdFor } from '../../shared/contracts/alibaba/files.js';
import { bucketArn } from '../../shared/contracts/azure/pending-upload.js';
import { STALE_CLAIM_MS } from '../../shared/contracts/azure/version-claims.js';
import { operationsOf, routeKey, operationById } from '../../shared/contracts/registry.js';
import { DependencyError, RateLimitedError } from '../../shared/errors.js';
import { surfaceHandler } from '../../shared/api/surface.js';
import { scopedLeaseId } from '../../shared/ids.js';
import { STORED_PREFIX, type LeaseRecord } from '../../shared/lease/model.js';
import type { RateLimiter } from '../../shared/lease/ports.js';
import { context, httpEvent } from '../support/events.js';
import { appliedAlibaba, memoryBroker, T0, uploadedAlibaba, type MemoryBroker } from '../support/memory-broker.js';

/**
 * The contracts' operation handlers (azure/code-versions.ts, azure/pending-upload.ts, alibaba/files.ts,
 * alibaba/upload-lease.ts, leases/read-and-consume.ts) pinned field by field: exact bodies, headers, status codes,
 * error codes and messages, the lease records and name claims left behind after each call (refusals
 * included), and the lease id every refusal's log line carries. These handlers are the security
 * boundary's last step, so what they answer and store is pinned exactly rather than by shape.
 */
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const TEXT_TYPE = { 'content-type': 'text/plain' };
const API = 'api-version=2025-09-01';
type Response = Awaited<ReturnType<MemoryBroker['call']>>;

/** What the broker logs while `run` runs, one parsed JSON object per line (the unit tier silences logs otherwise). */
async function logsOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  delete process.env.BROKER_LOG_LEVEL;
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture as never),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture as never),
    ...(['log', 'info', 'warn', 'error'] as const).map((level) => jest.spyOn(console, level).mockImplementation((s: unknown) => void capture(s))),
  ];
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
    process.env.BROKER_LOG_LEVEL = 'silent';
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The one 'request rejected' line a refused call logs. */
async function rejectionLine(run: () => Promise<Response>): Promise<Record<string, unknown>> {
  let res: Response | undefined;
  const lines = await logsOf(async () => (res = await run()));
  expect(res!.statusCode).toBeGreaterThanOrEqual(400);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 'INFO', message: 'request rejected' });
  return lines[0]!;
}

const armError = (code: string, message: string, target?: string) => ({ error: { code, message, ...(target ? { target } : {}), details: [], additionalInfo: [] } });
const alibabaError = (res: Response, status: number, code: string, message: string) =>
  expect([res.statusCode, res.json]).toEqual([status, { Code: code, Message: message, RequestId: res.headers['x-acs-request-id'], Status: String(status), Success: false }]);
const brokerError = (res: Response, status: number, code: string, message: string) =>
  expect([res.statusCode, res.json]).toEqual([status, { error: { code, message, requestId: res.headers['x-request-id'] } }]);

// ---------------------------------------------------------------------------------------------------
// Alibaba helpers

const addFile = (b: MemoryBroker, leaseId: string, extra = '') =>
  b.call('AddFile', { params: { WorkspaceId: 'ws' }, headers: FORM, body: `LeaseId=${encodeURIComponent(leaseId)}&Parser=DASHSCOPE_DOCMIND&CategoryId=default${extra}` });
const fileCall = (b: MemoryBroker, id: 'DescribeFile' | 'DeleteFile', fileId: string) => b.call(id, { params: { WorkspaceId: 'ws', FileId: `${fileId}/` } });

// ---------------------------------------------------------------------------------------------------
// Azure helpers

interface Arm {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName?: string;
  registryName?: string;
  name: string;
  version: string;
}
const armParams = (o: { version?: string; registry?: string; ws?: string } = {}): Arm => ({
  subscriptionId: 'Sub-A',
  resourceGroupName: 'RG',
  ...(o.registry ? { registryName: o.registry } : { workspaceName: o.ws ?? 'MyWS' }),
  name: 'code',
  version: o.version ?? '1',
});
const params = (p: Arm) => p as unknown as Record<string, string>;
const armId = (p: Arm, kind: 'Start' | 'Put' | 'Get') =>
  `Azure${p.registryName ? 'Registry' : 'Workspace'}CodeVersion${kind === 'Start' ? 'StartPendingUpload' : kind === 'Put' ? 'CreateOrUpdate' : 'Get'}` as const;

/** The unique name a code version claims: its tenant lower-cased (as ARM compares it), then name and version as given. */
const claimNameOf = (p: Arm) =>
  `azure-code-version#${scopedLeaseId([
    p.subscriptionId.toLowerCase(),
    p.resourceGroupName.toLowerCase(),
    p.registryName ? 'registries' : 'workspaces',
    (p.registryName ?? p.workspaceName!).toLowerCase(),
    p.name,
    p.version,
  ])}`;

async function startedBlob(b: MemoryBroker, p: Arm = armParams(), upload = true) {
  const res = await b.call(armId(p, 'Start'), { params: params(p), query: API, headers: JSON_TYPE, body: '{}' });
  expect(res.statusCode).toBe(200);
  const leaseId = res.headers['x-lease-id']!;
  if (upload) b.upload((await b.store.get(leaseId))!.objectKey, 'print(1)');
  return { leaseId, blobUri: res.json.blobReferenceForConsumption.blobUri as string };
}
const putBody = (b: MemoryBroker, p: Arm, body: string, headers: Record<string, string> = JSON_TYPE) => b.call(armId(p, 'Put'), { params: params(p), query: API, headers, body });
const putVersion = (b: MemoryBroker, p: Arm, properties: object, headers: Record<string, string> = JSON_TYPE) => putBody(b, p, JSON.stringify({ properties }), headers);
const getVersion = (b: MemoryBroker, p: Arm) => b.call(armId(p, 'Get'), { params: params(p), query: API });

const RESOURCE_ID = '/subscriptions/Sub-A/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/MyWS/codes/code/versions/1';
const storedKeyOf = (record: LeaseRecord) => STORED_PREFIX + record.objectKey.slice('tmp/'.length);

describe('azure/code-versions.ts: create-or-update and get of a code version', () => {
  test('a create (201) answers the whole resource and stores the claim and the consumed lease; a get (200) answers the same', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { leaseId, blobUri } = await startedBlob(b, p);
    b.clock.advance(1234);
    const created = await putVersion(b, p, { codeUri: blobUri });
    const record = (await b.store.get(leaseId))!;
    const resource = {
      id: RESOURCE_ID,
      name: '1',
      type: 'Microsoft.MachineLearningServices/workspaces/codes/versions',
      properties: {
        codeUri: b.presigner.objectUrl(storedKeyOf(record)),
        description: null,
        tags: {},
        properties: {},
        isAnonymous: false,
        isArchived: false,
        provisioningState: 'Succeeded',
      },
      systemData: { createdAt: '2026-01-15T10:00:01.234Z', lastModifiedAt: '2026-01-15T10:00:01.234Z' },
    };
    expect([created.statusCode, created.json]).toEqual([201, resource]);
    expect(created.headers['content-type']).toBe('application/json; charset=utf-8');
    expect([...b.claims.items]).toEqual([[claimNameOf(p), { owner: leaseId, claimedAt: T0 + 1234 }]]);
    expect(record).toMatchObject({ status: 'CONSUMED', consumedAt: T0 + 1234, storedKey: storedKeyOf(record) });
    expect(record.consumedBy).toStrictEqual({
      kind: 'azure-code-version',
      id: claimNameOf(p),
      attributes: { resourceId: RESOURCE_ID, description: null, tags: {}, properties: {}, isAnonymous: false, isArchived: false, createdAt: T0 + 1234, lastModifiedAt: T0 + 1234 },
    });
    const got = await getVersion(b, p);
    expect([got.statusCode, got.json]).toEqual([200, resource]);
  });

  test('the claimed name compares subscription, resource group and workspace without case, name and version with case', async () => {
    const b = memoryBroker();
    const p = armParams({ version: 'v1' });
    const { blobUri } = await startedBlob(b, p);
    expect((await putVersion(b, p, { codeUri: blobUri })).statusCode).toBe(201);
    const upper: Arm = { ...p, subscriptionId: 'SUB-A', resourceGroupName: 'rg', workspaceName: 'MYWS' };
    const got = await getVersion(b, upper);
    expect(got.statusCode).toBe(200);
    // The resource id keeps the spelling of the request that created it.
    expect(got.json.id).toBe(RESOURCE_ID.replace(/1$/, 'v1'));
    for (const other of [{ ...p, name: 'CODE' }, { ...p, version: 'V1' }]) {
      const res = await getVersion(b, other);
      expect([res.statusCode, res.json]).toEqual([404, armError('ResourceNotFound', `The code version '${other.name}:${other.version}' was not found.`)]);
    }
  });

  test('a registry version: its own id and type; the update keeps createdAt, moves lastModifiedAt and replaces what ARM lets change', async () => {
    const b = memoryBroker();
    const p = armParams({ registry: 'Reg' });
    const { leaseId, blobUri } = await startedBlob(b, p);
    const created = await putVersion(b, p, { codeUri: blobUri, description: 'd', tags: { a: '1', b: null }, properties: { k: 'v' }, isAnonymous: true, isArchived: true });
    expect(created.statusCode).toBe(201);
    expect(created.json).toMatchObject({
      id: '/subscriptions/Sub-A/resourceGroups/RG/providers/Microsoft.MachineLearningServices/registries/Reg/codes/code/versions/1',
      type: 'Microsoft.MachineLearningServices/registries/codes/versions',
      properties: { description: 'd', tags: { a: '1', b: null }, properties: { k: 'v' }, isAnonymous: true, isArchived: true },
    });
    b.clock.advance(61_000);
    const updated = await putVersion(b, p, { codeUri: created.json.properties.codeUri, description: 'e' });
    expect([updated.statusCode, updated.json.properties, updated.json.systemData]).toEqual([
      200,
      { codeUri: created.json.properties.codeUri, description: 'e', tags: {}, properties: {}, isAnonymous: false, isArchived: false, provisioningState: 'Succeeded' },
      { createdAt: new Date(T0).toISOString(), lastModifiedAt: new Date(T0 + 61_000).toISOString() },
    ]);
    expect((await b.store.get(leaseId))!.consumedBy!.attributes).toMatchObject({ description: 'e', createdAt: T0, lastModifiedAt: T0 + 61_000 });
    // The claim is the create's: an update leaves it as it was.
    expect([...b.claims.items.values()]).toEqual([{ owner: leaseId, claimedAt: T0 }]);
  });

  test('an empty or blank body is the missing properties (400 InvalidRequestContent, target properties), whatever its content type', async () => {
    const b = memoryBroker();
    const p = armParams();
    for (const [body, headers] of [
      ['', JSON_TYPE],
      ['   ', JSON_TYPE],
      ['', TEXT_TYPE],
      [' \n ', TEXT_TYPE],
    ] as const) {
      const res = await putBody(b, p, body, headers);
      expect([res.statusCode, res.json]).toEqual([400, armError('InvalidRequestContent', "The required parameter 'properties' is missing.", 'properties')]);
    }
    expect(b.claims.items.size).toBe(0);
  });

  test('a JSON body needs no content type; another type is 415 naming it; bad JSON or a bad shape is 400 InvalidRequestContent', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { blobUri, leaseId } = await startedBlob(b, p);
    const body = JSON.stringify({ properties: { codeUri: blobUri } });
    const text = await putBody(b, p, body, TEXT_TYPE);
    expect([text.statusCode, text.json]).toEqual([415, armError('UnsupportedMediaType', "The content type 'text/plain' is not supported for this request.")]);
    const broken = await putBody(b, p, '{"properties":');
    expect([broken.statusCode, broken.json]).toEqual([400, armError('InvalidRequestContent', 'The request body is not valid JSON.')]);
    const noCodeUri = await putBody(b, p, '{"properties":{"description":"x"}}');
    expect([noCodeUri.statusCode, noCodeUri.json.error.code]).toEqual([400, 'InvalidRequestContent']);
    const notObject = await putBody(b, p, '{"properties":[]}');
    expect([notObject.statusCode, notObject.json.error.code]).toEqual([400, 'InvalidRequestContent']);
    expect(b.claims.items.size).toBe(0);
    expect((await b.store.get(leaseId))!.consumedBy).toBeUndefined();
    const created = await putBody(b, p, body, {});
    expect(created.statusCode).toBe(201);
  });

  test('a codeUri that names no blob of ours, or one handed out for another workspace, is 400 naming properties.codeUri; nothing claimed or consumed', async () => {
    const b = memoryBroker();
    const p = armParams();
    for (const codeUri of ['https://example.com/x', b.presigner.objectUrl('other/key'), b.presigner.objectUrl('tmp/not-a-lease/x')]) {
      const res = await putVersion(b, p, { codeUri });
      expect([res.statusCode, res.json]).toEqual([400, armError('InvalidRequestContent', 'The codeUri does not name a blob handed out by startPendingUpload.', 'properties.codeUri')]);
    }
    const elsewhere = await startedBlob(b, armParams({ ws: 'Other' }));
    const res = await putVersion(b, p, { codeUri: elsewhere.blobUri });
    expect([res.statusCode, res.json]).toEqual([
      400,
      armError('InvalidRequestContent', 'The codeUri does not name a blob handed out by startPendingUpload in this workspace.', 'properties.codeUri'),
    ]);
    expect(b.claims.items.size).toBe(0);
    expect((await b.store.get(elsewhere.leaseId))!.consumedBy).toBeUndefined();
  });

  test('an existing version with another codeUri is 409 and neither lease changes', async () => {
    const b = memoryBroker();
    const p = armParams();
    const first = await startedBlob(b, p);
    expect((await putVersion(b, p, { codeUri: first.blobUri })).statusCode).toBe(201);
    const before = (await b.store.get(first.leaseId))!;
    const other = await startedBlob(b, p);
    const res = await putVersion(b, p, { codeUri: other.blobUri, description: 'new' });
    expect([res.statusCode, res.json]).toEqual([409, armError('Conflict', 'The code version exists with another codeUri; the code of a version cannot change.')]);
    expect(await b.store.get(first.leaseId)).toEqual(before);
    expect((await b.store.get(other.leaseId))!.status).toBe('PENDING');
    expect([...b.claims.items.values()]).toEqual([{ owner: first.leaseId, claimedAt: T0 }]);
  });

  test('an update whose lease changes under it is 409 asking for a retry', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { leaseId, blobUri } = await startedBlob(b, p);
    expect((await putVersion(b, p, { codeUri: blobUri })).statusCode).toBe(201);
    b.store.beforeNextTransition(() => b.store.remove(leaseId));
    const res = await putVersion(b, p, { codeUri: blobUri, description: 'late' });
    expect([res.statusCode, res.json]).toEqual([409, armError('Conflict', 'The code version changed while it was being updated; retry the request.')]);
  });

  describe('a claim left behind by a crash between claim and consume', () => {
    /** A broker with version 1 made of `made`, and a claim on `p` naming `owner`, taken now. */
    async function leftBehind(owner: (b: MemoryBroker, made: { leaseId: string }) => Promise<string> | string, p: Arm = armParams({ version: '2' })) {
      const b = memoryBroker();
      const made = await startedBlob(b, armParams());
      expect((await putVersion(b, armParams(), { codeUri: made.blobUri })).statusCode).toBe(201);
      const claim = { owner: await owner(b, made), claimedAt: b.clock.now() };
      b.claims.items.set(claimNameOf(p), claim);
      return { b, p, claim, made };
    }
    const notFound = (res: Response, p: Arm) => expect([res.statusCode, res.json]).toEqual([404, armError('ResourceNotFound', `The code version '${p.name}:${p.version}' was not found.`)]);

    test('naming a lease uploaded but never consumed: no version (404)', async () => {
      const { b, p, claim } = await leftBehind(async (b) => (await startedBlob(b, armParams({ version: '2' }))).leaseId);
      notFound(await getVersion(b, p), p);
      expect(b.claims.items.get(claimNameOf(p))).toEqual(claim);
    });

    test('naming a lease the broker route consumed: no version (404)', async () => {
      const { b, p } = await leftBehind(async (b) => {
        const { leaseId } = await startedBlob(b, armParams({ version: '2' }));
        expect((await b.call('ConsumeLease', { params: { leaseId }, headers: JSON_TYPE, body: '{"consumer":"indexer"}' })).statusCode).toBe(200);
        return leaseId;
      });
      notFound(await getVersion(b, p), p);
    });

    test('naming a lease that no longer exists: no version (404)', async () => {
      const { b, p } = await leftBehind(() => 'f'.repeat(32));
      notFound(await getVersion(b, p), p);
    });

    test('naming the lease another version consumed: no version (404), busy for a minute, then taken over by a create', async () => {
      const { b, p, made } = await leftBehind((_b, made) => made.leaseId);
      notFound(await getVersion(b, p), p);
      const mine = await startedBlob(b, p);
      const busy = await putVersion(b, p, { codeUri: mine.blobUri });
      expect([busy.statusCode, busy.json]).toEqual([409, armError('Conflict', 'The code version is being created by another request; retry the request.')]);
      expect((await b.store.get(mine.leaseId))!.consumedBy).toBeUndefined();
      b.clock.advance(STALE_CLAIM_MS);
      expect((await putVersion(b, p, { codeUri: mine.blobUri })).statusCode).toBe(201);
      expect(b.claims.items.get(claimNameOf(p))).toEqual({ owner: mine.leaseId, claimedAt: T0 + STALE_CLAIM_MS });
      // Version 1 is untouched.
      expect((await b.store.get(made.leaseId))!.consumedBy!.id).toBe(claimNameOf(armParams()));
    });

    test('naming the very lease the retry brings: the retry creates the version at once, keeping the claim', async () => {
      const b = memoryBroker();
      const p = armParams();
      const { leaseId, blobUri } = await startedBlob(b, p);
      const claim = { owner: leaseId, claimedAt: b.clock.now() };
      b.claims.items.set(claimNameOf(p), claim);
      b.clock.advance(1000);
      const res = await putVersion(b, p, { codeUri: blobUri });
      expect([res.statusCode, res.json.systemData.createdAt]).toEqual([201, new Date(T0 + 1000).toISOString()]);
      expect([...b.claims.items]).toEqual([[claimNameOf(p), claim]]);
    });
  });

  test('two identical creates at once both answer 201 with the same version', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { leaseId, blobUri } = await startedBlob(b, p);
    let twin: Response | undefined;
    // The twin runs while the first is about to write the lease: it finds the name claimed by its own lease.
    b.store.beforeNextTransition(async () => {
      twin = await putVersion(b, p, { codeUri: blobUri });
    });
    const first = await putVersion(b, p, { codeUri: blobUri });
    expect([first.statusCode, twin!.statusCode]).toEqual([201, 201]);
    expect(first.json).toEqual(twin!.json);
    expect((await b.store.get(leaseId))!.consumedBy!.id).toBe(claimNameOf(p));
    expect([...b.claims.items]).toEqual([[claimNameOf(p), { owner: leaseId, claimedAt: T0 }]]);
  });

  test('a create that loses the name claim to another request is 409 and consumes nothing', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { leaseId, blobUri } = await startedBlob(b, p);
    const other = { owner: 'e'.repeat(32), claimedAt: T0 };
    const get = b.claims.get;
    // Another request claims the name between this one's read of the claim and its own claim.
    b.claims.get = async (name) => {
      const seen = await get(name);
      b.claims.items.set(name, other);
      return seen;
    };
    const res = await putVersion(b, p, { codeUri: blobUri });
    expect([res.statusCode, res.json]).toEqual([409, armError('Conflict', 'The code version is being created by another request; retry the request.')]);
    expect((await b.store.get(leaseId))!.consumedBy).toBeUndefined();
    expect([...b.claims.items]).toEqual([[claimNameOf(p), other]]);
  });

  test('a blob not uploaded yet: 409, its claim released; the refusal is logged with the lease id', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { leaseId, blobUri } = await startedBlob(b, p, false);
    let res: Response | undefined;
    const line = await rejectionLine(async () => (res = await putVersion(b, p, { codeUri: blobUri })));
    expect([res!.statusCode, res!.json]).toEqual([409, armError('Conflict', `The lease '${leaseId}' has no verified upload yet.`)]);
    expect(line).toMatchObject({ leaseId, contract: 'azure-ml', statusCode: 409 });
    expect(b.claims.items.size).toBe(0);
  });
});

describe('azure/pending-upload.ts: startPendingUpload', () => {
  test('the storage account ARM id is the bucket ARN in the region\'s partition', () => {
    expect(bucketArn('uploads', 'eu-west-1')).toBe('arn:aws:s3:::uploads');
    expect(bucketArn('uploads', 'us-east-1')).toBe('arn:aws:s3:::uploads');
    expect(bucketArn('b', 'cn-north-1')).toBe('arn:aws-cn:s3:::b');
    expect(bucketArn('b', 'cn-northwest-1')).toBe('arn:aws-cn:s3:::b');
    expect(bucketArn('b', 'us-gov-west-1')).toBe('arn:aws-us-gov:s3:::b');
  });

  test.each([
    ['eu-west-1', 'arn:aws:s3:::uploads'],
    ['cn-north-1', 'arn:aws-cn:s3:::uploads'],
    ['us-gov-east-1', 'arn:aws-us-gov:s3:::uploads'],
  ])('in %s: the whole response, the x-lease-id header and the PENDING lease stored', async (region, arn) => {
    const b = memoryBroker({ env: { AWS_REGION: region } });
    const p = armParams();
    const res = await b.call('AzureWorkspaceCodeVersionStartPendingUpload', { params: params(p), query: API, headers: JSON_TYPE, body: '{"pendingUploadId":"up-1"}' });
    const leaseId = scopedLeaseId(['azure-ml', 'sub-a', 'rg', 'workspaces', 'myws', 'code', '1', 'up-1']);
    const objectKey = `tmp/${leaseId}/code-1`;
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-lease-id']).toBe(leaseId);
    const sasUri: string = res.json.blobReferenceForConsumption.credential.sasUri;
    expect(res.json).toEqual({
      blobReferenceForConsumption: { blobUri: b.presigner.objectUrl(objectKey), storageAccountArmId: arn, credential: { credentialType: 'SAS', sasUri } },
      pendingUploadId: 'up-1',
      pendingUploadType: 'TemporaryBlobReference',
    });
    expect(sasUri.startsWith(`${b.presigner.objectUrl(objectKey)}?`)).toBe(true);
    expect(sasUri).toContain('X-Amz-Signature=');
    expect(await b.store.get(leaseId)).toMatchObject({ leaseId, contract: 'azure-ml', scope: 'sub-a/rg/workspaces/myws/code/1', objectKey, pendingUploadId: 'up-1', status: 'PENDING' });
  });

  test('the same pendingUploadId again is the same lease; once a version consumed it, 409, logged with the lease id', async () => {
    const b = memoryBroker();
    const p = armParams();
    const start = () => b.call('AzureWorkspaceCodeVersionStartPendingUpload', { params: params(p), query: API, headers: JSON_TYPE, body: '{"pendingUploadId":"up-1"}' });
    const first = await start();
    const leaseId = first.headers['x-lease-id']!;
    expect((await start()).headers['x-lease-id']).toBe(leaseId);
    b.upload((await b.store.get(leaseId))!.objectKey, 'code');
    expect((await putVersion(b, p, { codeUri: first.json.blobReferenceForConsumption.blobUri })).statusCode).toBe(201);
    let res: Response | undefined;
    const line = await rejectionLine(async () => (res = await start()));
    expect([res!.statusCode, res!.json]).toEqual([
      409,
      armError('Conflict', `The pending upload was already consumed by azure-code-version '${claimNameOf(p)}'; start a new pending upload with another pendingUploadId.`),
    ]);
    expect(line).toMatchObject({ leaseId, statusCode: 409 });
  });
});

describe('alibaba/files.ts: AddFile, DescribeFile, DeleteFile', () => {
  test('AddFile: the whole Success envelope, and the consumed lease with exactly the attributes given', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    b.clock.advance(2000);
    const res = await addFile(b, leaseId);
    const fileId = fileIdFor(leaseId);
    expect([res.statusCode, res.json]).toEqual([
      200,
      { Code: 'Success', Data: { FileId: fileId, Parser: 'DASHSCOPE_DOCMIND' }, Message: 'success', RequestId: res.headers['x-acs-request-id'], Status: '200', Success: true },
    ]);
    const record = (await b.store.get(leaseId))!;
    expect(record).toMatchObject({ status: 'CONSUMED', consumedAt: T0 + 2000, storedKey: storedKeyOf(record) });
    expect(record.consumedBy).toStrictEqual({ kind: 'alibaba-file', id: fileId, attributes: { categoryId: 'default', parser: 'DASHSCOPE_DOCMIND', tags: [] } });
    expect(Object.keys(record.consumedBy!.attributes!)).toEqual(['categoryId', 'parser', 'tags']);
  });

  test('AddFile: CategoryType, ParserConfig and OriginalFileUrl are kept when given, each alone', async () => {
    for (const [extra, attribute] of [
      ['&CategoryType=SESSION_FILE', { categoryType: 'SESSION_FILE' }],
      [`&ParserConfig=${encodeURIComponent('{"a":1}')}`, { parserConfig: { a: 1 } }],
      [`&OriginalFileUrl=${encodeURIComponent('https://example.com/a.pdf')}`, { originalFileUrl: 'https://example.com/a.pdf' }],
    ] as const) {
      const b = memoryBroker();
      const { leaseId } = await uploadedAlibaba(b);
      expect((await addFile(b, leaseId, extra)).statusCode).toBe(200);
      expect((await b.store.get(leaseId))!.consumedBy!.attributes).toStrictEqual({ categoryId: 'default', parser: 'DASHSCOPE_DOCMIND', tags: [], ...attribute });
    }
  });

  test('AddFile: Tags and ParserConfig that are not JSON, too deep, or of the wrong shape: 400 with the exact reason, lease untouched', async () => {
    const b = memoryBroker();
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    for (const [extra, message] of [
      ['&Tags=not-json', 'The parameter Tags must be JSON.'],
      [`&ParserConfig=${encodeURIComponent('{a:1}')}`, 'The parameter ParserConfig must be JSON.'],
      [`&Tags=${encodeURIComponent('['.repeat(33) + ']'.repeat(33))}`, 'The parameter Tags is too large or too deeply nested.'],
      [`&ParserConfig=${encodeURIComponent(deep(33))}`, 'The parameter ParserConfig is too large or too deeply nested.'],
      [`&Tags=${encodeURIComponent('["a",""]')}`, 'The parameter Tags has the wrong shape.'],
      [`&Tags=${encodeURIComponent(JSON.stringify(['ok', 'x'.repeat(129)]))}`, 'The parameter Tags has the wrong shape.'],
      [`&Tags=${encodeURIComponent('[1]')}`, 'The parameter Tags has the wrong shape.'],
      [`&ParserConfig=${encodeURIComponent('[]')}`, 'The parameter ParserConfig has the wrong shape.'],
    ] as const) {
      const { leaseId } = await uploadedAlibaba(b);
      alibabaError(await addFile(b, leaseId, extra), 400, 'InvalidParameter', message);
      expect((await b.store.get(leaseId))!.consumedBy).toBeUndefined();
    }
    // Exactly at the depth bound is fine.
    const { leaseId } = await uploadedAlibaba(b);
    expect((await addFile(b, leaseId, `&ParserConfig=${encodeURIComponent(deep(32))}`)).statusCode).toBe(200);
  });

  test('AddFile: a LeaseId of another shape is not found without reading the table', async () => {
    const b = memoryBroker();
    for (const id of ['not-a-lease-id', 'f'.repeat(32), `${'F'.repeat(32)}.1736935200000`]) {
      const reads = b.store.calls.get;
      alibabaError(await addFile(b, id), 404, 'InvalidLease.NotFound', `No lease with id '${id}' exists.`);
      expect(b.store.calls.get).toBe(reads);
    }
  });

  test('AddFile: a refusal is logged with the lease id; a second AddFile is 409 AlreadyUsed', async () => {
    const b = memoryBroker();
    const pending = await appliedAlibaba(b);
    let res: Response | undefined;
    const line = await rejectionLine(async () => (res = await addFile(b, pending.leaseId)));
    alibabaError(res!, 409, 'InvalidLease.NotUploaded', `The lease '${pending.leaseId}' has no verified upload yet.`);
    expect(line).toMatchObject({ leaseId: pending.leaseId, contract: 'alibaba-model-studio', statusCode: 409 });
    const { leaseId } = await uploadedAlibaba(b);
    expect((await addFile(b, leaseId)).statusCode).toBe(200);
    alibabaError(await addFile(b, leaseId), 409, 'InvalidLease.AlreadyUsed', `The lease '${leaseId}' was already used.`);
  });

  test('DescribeFile: every field, CreateTime in UTC to the second, FileType the last extension lower-cased, INIT then FILE_IS_READY', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b, 'seventeen bytes!!', 'my.Report.DOCX', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    b.clock.advance(123_456);
    expect((await addFile(b, leaseId, `&Tags=${encodeURIComponent('["x","y"]')}`)).statusCode).toBe(200);
    const fileId = fileIdFor(leaseId);
    const data = {
      FileId: fileId,
      FileName: 'my.Report.DOCX',
      FileType: 'docx',
      SizeInBytes: 17,
      Status: 'INIT',
      CategoryId: 'default',
      CreateTime: '2026-01-15 10:02:03',
      Parser: 'DASHSCOPE_DOCMIND',
      Tags: ['x', 'y'],
    };
    const res = await fileCall(b, 'DescribeFile', fileId);
    expect([res.statusCode, res.json]).toEqual([200, { Code: 'Success', Data: data, Message: 'success', RequestId: res.headers['x-acs-request-id'], Status: '200', Success: true }]);
    await b.store.transition(leaseId, { status: 'CONSUMED' }, { movedAt: b.clock.now() });
    expect((await fileCall(b, 'DescribeFile', fileId)).json.Data).toEqual({ ...data, Status: 'FILE_IS_READY' });
  });

  test('DescribeFile and DeleteFile: a FileId of another shape is not found without reading the table', async () => {
    const b = memoryBroker();
    for (const id of ['DescribeFile', 'DeleteFile'] as const) {
      const reads = b.store.calls.get;
      alibabaError(await fileCall(b, id, 'file_x'), 404, 'DataCenter.FileNotFound', "The file 'file_x' does not exist in this workspace.");
      expect(b.store.calls.get).toBe(reads);
    }
  });

  test('DescribeFile: a lease not made a file is not found, logged with its lease id', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    const fileId = fileIdFor(leaseId);
    let res: Response | undefined;
    const line = await rejectionLine(async () => (res = await fileCall(b, 'DescribeFile', fileId)));
    alibabaError(res!, 404, 'DataCenter.FileNotFound', `The file '${fileId}' does not exist in this workspace.`);
    expect(line).toMatchObject({ leaseId, statusCode: 404 });
  });

  test('a lease the broker route consumed under a consumer named like its FileId is no file: not described, not deleted', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    const fileId = fileIdFor(leaseId);
    expect((await b.call('ConsumeLease', { params: { leaseId }, headers: JSON_TYPE, body: JSON.stringify({ consumer: fileId }) })).statusCode).toBe(200);
    for (const id of ['DescribeFile', 'DeleteFile'] as const) {
      alibabaError(await fileCall(b, id, fileId), 404, 'DataCenter.FileNotFound', `The file '${fileId}' does not exist in this workspace.`);
    }
    expect(await b.store.get(leaseId)).toMatchObject({ status: 'CONSUMED', consumedBy: { kind: 'broker', id: fileId } });
  });

  test('DescribeFile: a table failure while reading the lease is 503 with Retry-After, not a 404', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    expect((await addFile(b, leaseId)).statusCode).toBe(200);
    b.store.get = async () => {
      throw new DependencyError('dynamodb', true);
    };
    const res = await fileCall(b, 'DescribeFile', fileIdFor(leaseId));
    alibabaError(res, 503, 'ServiceUnavailable', 'The service is temporarily unavailable. Retry the request later.');
    expect(res.headers['retry-after']).toBe('1');
  });

  test('DeleteFile: the whole envelope and the DELETED record; a delete that loses to a concurrent one is 404', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    expect((await addFile(b, leaseId)).statusCode).toBe(200);
    const fileId = fileIdFor(leaseId);
    b.clock.advance(5000);
    let concurrent: Response | undefined;
    b.store.beforeNextTransition(async () => {
      concurrent = await fileCall(b, 'DeleteFile', fileId);
    });
    const late = await fileCall(b, 'DeleteFile', fileId);
    expect([concurrent!.statusCode, concurrent!.json]).toEqual([
      200,
      { Code: 'Success', Data: { FileId: fileId }, Message: 'success', RequestId: concurrent!.headers['x-acs-request-id'], Status: '200', Success: true },
    ]);
    alibabaError(late, 404, 'DataCenter.FileNotFound', `The file '${fileId}' does not exist in this workspace.`);
    expect(await b.store.get(leaseId)).toMatchObject({ status: 'DELETED', deletedAt: T0 + 5000, dueAt: T0 + 5000, consumedBy: { kind: 'alibaba-file', id: fileId } });
  });
});

describe('alibaba/upload-lease.ts: ApplyFileUploadLease', () => {
  test('the rate limit is per workspace: the limiter is asked for alibaba#<WorkspaceId>', async () => {
    const b = memoryBroker();
    const taken: string[] = [];
    const limiter: RateLimiter = {
      async take(key) {
        if (taken.includes(key)) throw new RateLimitedError(1);
        taken.push(key);
      },
    };
    const lambda = surfaceHandler(operationsOf('alibaba'), CONTRACT_CODE.alibaba, { ...b.deps, alibabaRateLimiter: limiter });
    const op = operationById('ApplyFileUploadLease');
    const apply = (workspace: string) =>
      lambda(
        httpEvent({
          routeKey: routeKey(op),
          rawPath: `/${workspace}/datacenter/category/default`,
          pathParameters: { WorkspaceId: workspace, CategoryId: 'default' },
          headers: FORM,
          body: `FileName=a.txt&Md5=${md5('a')}&SizeInBytes=1`,
        }),
        context(),
      );
    expect((await apply('ws')).statusCode).toBe(200);
    const throttled = await apply('ws');
    expect([throttled.statusCode, JSON.parse(throttled.body!).Code, throttled.headers!['retry-after']]).toEqual([429, 'Throttling.User', '1']);
    expect((await apply('ws_b')).statusCode).toBe(200);
    expect(taken).toEqual(['alibaba#ws', 'alibaba#ws_b']);
  });

  test('a lease id that collides with a stored lease never hands out that lease: 500, the other lease untouched', async () => {
    const b = memoryBroker();
    const theirs = await appliedAlibaba(b, 'theirs', 'theirs.pdf', 'ws_other');
    const before = (await b.store.get(theirs.leaseId))!;
    const putNew = b.store.putNew;
    // The new lease's id is taken: as if the random id had collided with the other workspace's lease.
    b.store.putNew = async (record) => {
      b.store.set({ ...before, leaseId: record.leaseId });
      return putNew(record);
    };
    const res = await b.call('ApplyFileUploadLease', {
      params: { WorkspaceId: 'ws', CategoryId: 'default' },
      headers: FORM,
      body: `FileName=a.txt&Md5=${md5('a')}&SizeInBytes=1`,
    });
    alibabaError(res, 500, 'InternalError', 'The service failed to process the request. Retry the request; the lease was not created.');
    expect(res.headers['x-lease-id']).toBeUndefined();
    expect(await b.store.get(theirs.leaseId)).toEqual(before);
  });
});

describe('leases/read-and-consume.ts: GetLease, ConsumeLease', () => {
  test('GetLease: an id of another shape is 400 InvalidLeaseId; an unknown one 404, logged with the lease id', async () => {
    const b = memoryBroker();
    const bad = await b.call('GetLease', { params: { leaseId: 'xyz' } });
    expect([bad.statusCode, bad.json.error.code]).toEqual([400, 'InvalidLeaseId']);
    const leaseId = 'f'.repeat(32);
    let res: Response | undefined;
    const line = await rejectionLine(async () => (res = await b.call('GetLease', { params: { leaseId } })));
    brokerError(res!, 404, 'LeaseNotFound', `No lease with id '${leaseId}' exists.`);
    expect(line).toMatchObject({ leaseId, contract: 'leases', statusCode: 404 });
  });

  test('ConsumeLease without a body: the consumer is "broker"; the lease view comes back with x-lease-id and no-store', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    b.clock.advance(1000);
    const res = await b.call('ConsumeLease', { params: { leaseId } });
    expect(res.statusCode).toBe(200);
    expect([res.headers['x-lease-id'], res.headers['cache-control']]).toEqual([leaseId, 'no-store']);
    expect([res.json.leaseId, res.json.status, res.json.consumedBy]).toEqual([leaseId, 'CONSUMED', { kind: 'broker', id: 'broker' }]);
    expect(await b.store.get(leaseId)).toMatchObject({ status: 'CONSUMED', consumedAt: T0 + 1000, consumedBy: { kind: 'broker', id: 'broker' } });
  });

  test('ConsumeLease: a JSON body needs no content type; another type is 415 naming it; bad JSON is 400; refusals logged with the lease id', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    let res: Response | undefined;
    const line = await rejectionLine(async () => (res = await b.call('ConsumeLease', { params: { leaseId }, headers: TEXT_TYPE, body: '{"consumer":"x"}' })));
    brokerError(res!, 415, 'UnsupportedMediaType', "The content type 'text/plain' is not supported for this request.");
    expect(line).toMatchObject({ leaseId, statusCode: 415 });
    brokerError(await b.call('ConsumeLease', { params: { leaseId }, headers: JSON_TYPE, body: '{"consumer":' }), 400, 'BadRequest', 'The request body is not valid JSON.');
    expect((await b.store.get(leaseId))!.consumedBy).toBeUndefined();
    const ok = await b.call('ConsumeLease', { params: { leaseId }, body: '{"consumer":"indexer"}' });
    expect([ok.statusCode, ok.json.consumedBy]).toEqual([200, { kind: 'broker', id: 'indexer' }]);
  });

  test('GetLease: a consumed, not yet moved file has a download URL until its temporary object\'s last second, none after', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    expect((await b.call('ConsumeLease', { params: { leaseId } })).statusCode).toBe(200);
    const record = (await b.store.get(leaseId))!;
    const end = record.uploadedAt! + b.config.retentionSeconds * 1000;
    b.clock.set(end - 1000);
    const last = await b.call('GetLease', { params: { leaseId } });
    expect(last.json.downloadUrl).toContain('X-Amz-Expires=1&');
    b.clock.set(end);
    const after = await b.call('GetLease', { params: { leaseId } });
    expect([after.statusCode, after.json.status, after.json.downloadUrl]).toEqual([200, 'CONSUMED', undefined]);
    expect(after.json.location).toEqual({ bucket: 'uploads', key: record.objectKey.replace('tmp/', STORED_PREFIX) });
  });
});
