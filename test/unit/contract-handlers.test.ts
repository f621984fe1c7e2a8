import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import type { Caller } from '../../shared/auth/caller.js';
import { fileIdFor, leaseIdOfFile } from '../../shared/contracts/alibaba/files.js';
import { STALE_CLAIM_MS } from '../../shared/contracts/azure/version-claims.js';
import { appliedAlibaba, asCaller, memoryBroker, testAuth, T0, uploadedAlibaba, type MemoryBroker } from '../support/memory-broker.js';
import { expectAlibabaError, expectArmError, expectBrokerError, expectAddFileResponse, expectCodeVersion, expectDescribeFileResponse, expectLeaseView } from '../support/schemas.js';

/**
 * The contracts' handlers end to end over in-memory ports (every surface's router, the registry's
 * authentication, the edges): what each operation answers, and what it leaves stored.
 */
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const API = 'api-version=2025-09-01';

const addFile = (b: MemoryBroker, leaseId: string, extra = '', workspace = 'ws', headers: Record<string, string> = {}) =>
  b.call('AddFile', { params: { WorkspaceId: workspace }, headers: { ...FORM, ...headers }, body: `LeaseId=${leaseId}&Parser=DASHSCOPE_DOCMIND&CategoryId=default${extra}` });
const fileCall = (b: MemoryBroker, id: 'DescribeFile' | 'DeleteFile', fileId: string, workspace = 'ws', headers: Record<string, string> = {}) =>
  b.call(id, { params: { WorkspaceId: workspace, FileId: `${fileId}/` }, headers });

describe('Alibaba: lease, AddFile, DescribeFile, DeleteFile', () => {
  test('a FileId names its lease and back; other shapes name none', () => {
    const leaseId = `${'ab'.repeat(16)}.1736935200000`;
    expect(fileIdFor(leaseId)).toBe(`file_${'ab'.repeat(16)}_1736935200000`);
    expect(leaseIdOfFile(fileIdFor(leaseId))).toBe(leaseId);
    for (const bad of [`file_${'ab'.repeat(16)}_173693520000`, `file_${'AB'.repeat(16)}_1736935200000`, `x${fileIdFor(leaseId)}`, `${fileIdFor(leaseId)}0`, 'file__']) expect(leaseIdOfFile(bad)).toBeUndefined();
  });

  test('the whole flow: the file is described as uploaded, moves to its permanent place, and is deleted once', async () => {
    const b = memoryBroker();
    const { leaseId, res } = await uploadedAlibaba(b, 'twelve bytes');
    expect(res.json).toMatchObject({ Code: 'Success', Success: true, Status: '200', Message: 'success', Data: { Type: 'HTTP', Param: { Method: 'PUT' } } });
    expect(res.headers['x-lease-id']).toBe(leaseId);
    b.clock.advance(2000);
    const added = await addFile(b, leaseId, '&Tags=%5B%22a%22%2C%22b%22%5D&ParserConfig=%7B%22x%22%3A1%7D&CategoryType=UNSTRUCTURED&OriginalFileUrl=https%3A%2F%2Fexample.com%2Fr.pdf');
    expect(added.statusCode).toBe(200);
    expectAddFileResponse(added.json);
    const fileId = fileIdFor(leaseId);
    expect(added.json).toMatchObject({ Code: 'Success', Data: { FileId: fileId, Parser: 'DASHSCOPE_DOCMIND' }, Success: true });
    const consumed = (await b.store.get(leaseId))!;
    expect(consumed.consumedBy).toEqual({
      kind: 'alibaba-file',
      id: fileId,
      attributes: { categoryId: 'default', parser: 'DASHSCOPE_DOCMIND', tags: ['a', 'b'], categoryType: 'UNSTRUCTURED', parserConfig: { x: 1 }, originalFileUrl: 'https://example.com/r.pdf' },
    });

    const described = await fileCall(b, 'DescribeFile', fileId);
    expect(described.statusCode).toBe(200);
    expectDescribeFileResponse(described.json);
    expect(described.json.Data).toEqual({
      FileId: fileId,
      FileName: 'Report.PDF',
      FileType: 'pdf',
      SizeInBytes: 12,
      Status: 'INIT',
      CategoryId: 'default',
      CreateTime: new Date(T0 + 2000).toISOString().slice(0, 19).replace('T', ' '),
      Parser: 'DASHSCOPE_DOCMIND',
      Tags: ['a', 'b'],
    });
    // Once the file is in its permanent place it is ready.
    await b.store.transition(leaseId, { status: 'CONSUMED' }, { movedAt: b.clock.now() } as never);
    expect((await fileCall(b, 'DescribeFile', fileId)).json.Data.Status).toBe('FILE_IS_READY');

    const deleted = await fileCall(b, 'DeleteFile', fileId);
    expect([deleted.statusCode, deleted.json.Data]).toEqual([200, { FileId: fileId }]);
    for (const id of ['DescribeFile', 'DeleteFile'] as const) {
      const gone = await fileCall(b, id, fileId);
      expect([gone.statusCode, gone.json.Code]).toEqual([404, 'DataCenter.FileNotFound']);
      expectAlibabaError(gone.json);
    }
  });

  test('a file without tags describes with none; the optional attributes not given are absent', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b, 'x', 'notes.TXT', 'text/plain');
    expect((await addFile(b, leaseId)).statusCode).toBe(200);
    expect((await b.store.get(leaseId))!.consumedBy!.attributes).toEqual({ categoryId: 'default', parser: 'DASHSCOPE_DOCMIND', tags: [] });
    const d = (await fileCall(b, 'DescribeFile', fileIdFor(leaseId))).json.Data;
    expect([d.FileType, d.Tags, d.FileName]).toEqual(['txt', [], 'notes.TXT']);
  });

  test('AddFile refusals: never handed out, not uploaded, used up, another workspace; each in the Alibaba envelope', async () => {
    const b = memoryBroker();
    const expectRefusal = async (res: Awaited<ReturnType<typeof addFile>>, status: number, code: string) => {
      expect([res.statusCode, res.json.Code]).toEqual([status, code]);
      expectAlibabaError(res.json);
    };
    await expectRefusal(await addFile(b, 'not-a-lease-id'), 404, 'InvalidLease.NotFound');
    await expectRefusal(await addFile(b, `${'f'.repeat(32)}.1736935200000`), 404, 'InvalidLease.NotFound');
    const pending = await appliedAlibaba(b);
    await expectRefusal(await addFile(b, pending.leaseId), 409, 'InvalidLease.NotUploaded');
    const { leaseId } = await uploadedAlibaba(b);
    await expectRefusal(await addFile(b, leaseId, '', 'ws_other'), 404, 'InvalidLease.NotFound');
    expect((await b.store.get(leaseId))!.consumedBy).toBeUndefined();
    expect((await addFile(b, leaseId)).statusCode).toBe(200);
    await expectRefusal(await addFile(b, leaseId), 409, 'InvalidLease.AlreadyUsed');
  });

  test('AddFile: Tags and ParserConfig as JSON text in form fields or as JSON values; the wrong shape is a 400 naming the field', async () => {
    const b = memoryBroker();
    const bad = async (extra: string, field: string) => {
      const { leaseId } = await uploadedAlibaba(b);
      const res = await addFile(b, leaseId, extra);
      expect([res.statusCode, res.json.Code]).toEqual([400, 'InvalidParameter']);
      expect(res.json.Message).toContain(field);
      expect((await b.store.get(leaseId))!.consumedBy).toBeUndefined();
    };
    await bad('&Tags=not-json', 'Tags');
    await bad(`&Tags=${encodeURIComponent('{"a":1}')}`, 'Tags');
    await bad(`&Tags=${encodeURIComponent(JSON.stringify(['']))}`, 'Tags');
    await bad(`&Tags=${encodeURIComponent(JSON.stringify(['x'.repeat(129)]))}`, 'Tags');
    await bad(`&Tags=${encodeURIComponent(JSON.stringify(Array.from({ length: 33 }, (_, i) => `t${i}`)))}`, 'Tags');
    await bad(`&Tags=${encodeURIComponent(JSON.stringify([1]))}`, 'Tags');
    await bad(`&ParserConfig=${encodeURIComponent('[1]')}`, 'ParserConfig');
    await bad(`&ParserConfig=${encodeURIComponent('null')}`, 'ParserConfig');
    await bad(`&ParserConfig=${encodeURIComponent('"text"')}`, 'ParserConfig');
    await bad(`&Tags=${encodeURIComponent('['.repeat(40) + ']'.repeat(40))}`, 'Tags');
    // Exactly the bounds are fine, and a JSON body carries the values as they are.
    const { leaseId } = await uploadedAlibaba(b);
    const tags = Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(128, 'x'));
    const res = await b.call('AddFile', {
      params: { WorkspaceId: 'ws' },
      headers: JSON_TYPE,
      body: JSON.stringify({ LeaseId: leaseId, Parser: 'P', CategoryId: 'c', Tags: tags, ParserConfig: { a: [1] } }),
    });
    expect(res.statusCode).toBe(200);
    expect((await b.store.get(leaseId))!.consumedBy!.attributes).toMatchObject({ tags, parserConfig: { a: [1] } });
  });

  test('DescribeFile and DeleteFile: a FileId of another shape, of a lease not made a file, or of another workspace is not found', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    for (const fileId of ['file_x', fileIdFor(leaseId), fileIdFor(`${'f'.repeat(32)}.1736935200000`)]) {
      const res = await fileCall(b, 'DescribeFile', fileId);
      expect([res.statusCode, res.json.Code]).toEqual([404, 'DataCenter.FileNotFound']);
      expect(res.json.Message).toContain(fileId);
    }
    expect((await addFile(b, leaseId)).statusCode).toBe(200);
    expect((await fileCall(b, 'DescribeFile', fileIdFor(leaseId), 'ws_other')).statusCode).toBe(404);
    expect((await fileCall(b, 'DeleteFile', fileIdFor(leaseId), 'ws_other')).statusCode).toBe(404);
    expect((await b.store.get(leaseId))!.status).toBe('CONSUMED');
    // Without the trailing slash the SDK sends, the id is the same.
    const res = await b.call('DescribeFile', { params: { WorkspaceId: 'ws', FileId: fileIdFor(leaseId) } });
    expect(res.statusCode).toBe(200);
  });

  test('a lease consumed by another kind of consumer is no file', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    expect((await b.call('ConsumeLease', { params: { leaseId } })).statusCode).toBe(200);
    expect((await fileCall(b, 'DescribeFile', fileIdFor(leaseId))).statusCode).toBe(404);
  });
});

const armParams = (o: { ws?: string; registry?: string; version?: string; sub?: string } = {}) => ({
  subscriptionId: o.sub ?? 'Sub-A',
  resourceGroupName: 'RG',
  ...(o.registry ? { registryName: o.registry } : { workspaceName: o.ws ?? 'MyWS' }),
  name: 'code',
  version: o.version ?? '1',
});
type Arm = ReturnType<typeof armParams>;
const armId = (p: Arm, kind: 'Start' | 'Put' | 'Get') =>
  `Azure${'registryName' in p ? 'Registry' : 'Workspace'}CodeVersion${kind === 'Start' ? 'StartPendingUpload' : kind === 'Put' ? 'CreateOrUpdate' : 'Get'}` as const;

async function startedBlob(b: MemoryBroker, p: Arm = armParams(), body = 'print(1)', upload = true) {
  const res = await b.call(armId(p, 'Start'), { params: p, query: API, headers: JSON_TYPE, body: '{}' });
  expect(res.statusCode).toBe(200);
  const leaseId = res.headers['x-lease-id']!;
  if (upload) b.upload((await b.store.get(leaseId))!.objectKey, body);
  return { leaseId, blobUri: res.json.blobReferenceForConsumption.blobUri as string };
}
const putVersion = (b: MemoryBroker, p: Arm, properties: object, headers: Record<string, string> = JSON_TYPE) =>
  b.call(armId(p, 'Put'), { params: p, query: API, headers, body: JSON.stringify({ properties }) });
const getVersion = (b: MemoryBroker, p: Arm) => b.call(armId(p, 'Get'), { params: p, query: API });

describe('Azure: code versions made of an uploaded blob', () => {
  test('create (201), get (200), update what ARM lets change (200, created time kept), another codeUri (409)', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { leaseId, blobUri } = await startedBlob(b, p);
    const created = await putVersion(b, p, { codeUri: blobUri, description: 'first', tags: { t: '1' }, properties: { p: 'x' }, isAnonymous: true });
    expect(created.statusCode).toBe(201);
    expectCodeVersion(created.json);
    const stored = (await b.store.get(leaseId))!;
    expect(created.json).toEqual({
      id: '/subscriptions/Sub-A/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/MyWS/codes/code/versions/1',
      name: '1',
      type: 'Microsoft.MachineLearningServices/workspaces/codes/versions',
      properties: {
        codeUri: b.presigner.objectUrl(stored.storedKey!),
        description: 'first',
        tags: { t: '1' },
        properties: { p: 'x' },
        isAnonymous: true,
        isArchived: false,
        provisioningState: 'Succeeded',
      },
      systemData: { createdAt: new Date(T0).toISOString(), lastModifiedAt: new Date(T0).toISOString() },
    });
    // Names ARM compares without case reach the same version.
    const got = await getVersion(b, { ...p, subscriptionId: 'SUB-A', resourceGroupName: 'rg', workspaceName: 'myws' } as Arm);
    expect(got.statusCode).toBe(200);
    expect(got.json.properties.description).toBe('first');

    b.clock.advance(5000);
    // The consumed blob's permanent URI names the same lease, so the update may give either.
    const updated = await putVersion(b, p, { codeUri: created.json.properties.codeUri, description: null, isArchived: true });
    expect(updated.statusCode).toBe(200);
    expect(updated.json.properties).toMatchObject({ description: null, tags: {}, properties: {}, isAnonymous: false, isArchived: true });
    expect(updated.json.systemData).toEqual({ createdAt: new Date(T0).toISOString(), lastModifiedAt: new Date(T0 + 5000).toISOString() });

    const other = await startedBlob(b, p);
    const conflict = await putVersion(b, p, { codeUri: other.blobUri });
    expect([conflict.statusCode, conflict.json.error.code]).toEqual([409, 'Conflict']);
    expectArmError(conflict.json);
    expect((await b.store.get(other.leaseId))!.consumedBy).toBeUndefined();
  });

  test('a registry version has its own type; a version never made is 404; a codeUri not ours, or of another parent, is 400', async () => {
    const b = memoryBroker();
    const p = armParams({ registry: 'Reg' });
    const { blobUri } = await startedBlob(b, p);
    const created = await putVersion(b, p, { codeUri: blobUri });
    expect([created.statusCode, created.json.type]).toEqual([201, 'Microsoft.MachineLearningServices/registries/codes/versions']);
    const missing = await getVersion(b, armParams({ version: '9' }));
    expect([missing.statusCode, missing.json.error.code]).toEqual([404, 'ResourceNotFound']);
    expectArmError(missing.json);

    const elsewhere = await startedBlob(b, armParams({ ws: 'OTHER' }));
    for (const codeUri of ['https://example.com/x', b.presigner.objectUrl('other/key'), elsewhere.blobUri]) {
      const res = await putVersion(b, armParams({ version: '2' }), { codeUri });
      expect([res.statusCode, res.json.error.code]).toEqual([400, 'InvalidRequestContent']);
      expect(res.json.error.message).toContain('codeUri');
    }
    expect((await b.store.get(elsewhere.leaseId))!.consumedBy).toBeUndefined();
    expect([...b.claims.items.keys()].length).toBe(1);
  });

  test('bodies: none, not JSON, of another type, without properties: 4xx in the ARM format, nothing claimed', async () => {
    const b = memoryBroker();
    const p = armParams();
    const call = (body: string, headers: Record<string, string> = JSON_TYPE) => b.call(armId(p, 'Put'), { params: p, query: API, headers, body });
    for (const [body, headers, status] of [
      ['', JSON_TYPE, 400],
      ['   ', JSON_TYPE, 400],
      ['{', JSON_TYPE, 400],
      ['{}', { 'content-type': 'text/plain' }, 415],
      ['{"properties":{}}', JSON_TYPE, 400],
      ['[]', JSON_TYPE, 400],
    ] as const) {
      const res = await call(body, headers);
      expect(res.statusCode).toBe(status);
      expectArmError(res.json);
    }
    expect(b.claims.items.size).toBe(0);
  });

  test('a blob not uploaded yet is refused (409) and its name claim released, so a later create succeeds', async () => {
    const b = memoryBroker();
    const p = armParams();
    const { leaseId, blobUri } = await startedBlob(b, p, 'x', false);
    const early = await putVersion(b, p, { codeUri: blobUri });
    expect([early.statusCode, early.json.error.code]).toEqual([409, 'Conflict']);
    expect(b.claims.items.size).toBe(0);
    b.upload((await b.store.get(leaseId))!.objectKey, 'x');
    expect((await putVersion(b, p, { codeUri: blobUri })).statusCode).toBe(201);
    // The same create again is the same version (create-or-update on an existing one).
    expect((await putVersion(b, p, { codeUri: blobUri })).statusCode).toBe(200);
  });

  test('a name claimed by another create is busy (409) for a minute, then taken over', async () => {
    const b = memoryBroker();
    const p = armParams();
    const first = await startedBlob(b, p);
    const second = await startedBlob(b, p);
    expect((await putVersion(b, p, { codeUri: first.blobUri })).statusCode).toBe(201);
    const [name] = [...b.claims.items.keys()] as [string];
    // A crash between claim and consume: the claim names a lease that never became the version.
    b.claims.items.set(name, { owner: second.leaseId, claimedAt: b.clock.now() });
    await b.store.transition(first.leaseId, { status: 'CONSUMED' }, { consumedBy: { kind: 'broker', id: 'someone-else' } } as never);
    const third = await startedBlob(b, p);
    const busy = await putVersion(b, p, { codeUri: third.blobUri });
    expect([busy.statusCode, busy.json.error.message]).toEqual([409, 'The code version is being created by another request; retry the request.']);
    b.clock.advance(STALE_CLAIM_MS - 1);
    expect((await putVersion(b, p, { codeUri: third.blobUri })).statusCode).toBe(409);
    b.clock.advance(1);
    expect((await putVersion(b, p, { codeUri: third.blobUri })).statusCode).toBe(201);
    expect(b.claims.items.get(name)!.owner).toBe(third.leaseId);
  });
});

describe("the broker's own routes", () => {
  test('GetLease: the view with a download URL once uploaded, none while pending; no-store; unknown is 404', async () => {
    const b = memoryBroker();
    const pending = await appliedAlibaba(b);
    const view = await b.call('GetLease', { params: { leaseId: pending.leaseId } });
    expect(view.statusCode).toBe(200);
    expectLeaseView(view.json);
    expect(view.json.status).toBe('PENDING');
    expect(view.json.downloadUrl).toBeUndefined();
    expect([view.headers['x-lease-id'], view.headers['cache-control']]).toEqual([pending.leaseId, 'no-store']);
    b.upload(pending.key, 'file body', 'application/pdf');
    await b.call('ConsumeLease', { params: { leaseId: pending.leaseId } });
    const consumed = await b.call('GetLease', { params: { leaseId: pending.leaseId } });
    expect(consumed.json.downloadUrl).toContain('X-Amz-Signature');
    const unknown = await b.call('GetLease', { params: { leaseId: 'f'.repeat(32) } });
    expect([unknown.statusCode, unknown.json.error.code]).toEqual([404, 'LeaseNotFound']);
    expectBrokerError(unknown.json);
  });

  test('ConsumeLease: named consumer, the same consumer again gets the lease back, another is 409; bodies checked', async () => {
    const b = memoryBroker();
    const { leaseId } = await uploadedAlibaba(b);
    const consume = (body?: string, headers: Record<string, string> = JSON_TYPE) => b.call('ConsumeLease', { params: { leaseId }, headers, ...(body !== undefined ? { body } : {}) });
    for (const [body, headers, status] of [
      ['{', JSON_TYPE, 400],
      ['{"consumer":""}', JSON_TYPE, 400],
      ['consumer=x', FORM, 415],
    ] as const) {
      const res = await consume(body, headers);
      expect(res.statusCode).toBe(status);
      expectBrokerError(res.json);
    }
    const first = await consume('{"consumer":"indexer"}');
    expect([first.statusCode, first.json.status]).toEqual([200, 'CONSUMED']);
    expect((await b.store.get(leaseId))!.consumedBy).toEqual({ kind: 'broker', id: 'indexer' });
    expect((await consume('{"consumer":"indexer"}')).statusCode).toBe(200);
    const other = await consume('   ');
    expect([other.statusCode, other.json.error.code]).toEqual([409, 'LeaseAlreadyConsumed']);
  });
});

describe('every handler asks the tenancy rule', () => {
  const key = (...workspaces: string[]): Caller => ({ kind: 'alibaba-key', accessKeyId: 'LTAIk', workspaces });
  const principal = (subscriptions: string[], registries: string[] = []): Caller => ({ kind: 'azure-principal', principal: 'oid', subscriptions, registries });

  test('Alibaba: the key of the workspace may, another key is 403 at its routes and 404 at the broker\'s', async () => {
    const b = memoryBroker({ auth: testAuth() });
    const mine = { authorization: asCaller('alibaba', key('ws')) };
    const theirs = { authorization: asCaller('alibaba', key('ws_b')) };
    const lease = await appliedAlibaba(b, 'abc', 'a.txt', 'ws', mine);
    expect((await appliedAlibaba(b, 'abc', 'a.txt', 'ws', mine)).res.statusCode).toBe(200);
    const denied = await b.call('ApplyFileUploadLease', { params: { WorkspaceId: 'ws', CategoryId: 'c' }, headers: { ...FORM, ...theirs }, body: `FileName=a.txt&Md5=${md5('a')}&SizeInBytes=1` });
    expect([denied.statusCode, denied.json.Code]).toEqual([403, 'Forbidden.AccessDenied']);
    b.upload(lease.key, 'abc', 'text/plain');
    expect((await addFile(b, lease.leaseId, '', 'ws', theirs)).statusCode).toBe(403);
    expect((await addFile(b, lease.leaseId, '', 'ws_b', theirs)).statusCode).toBe(404);
    expect((await b.call('GetLease', { params: { leaseId: lease.leaseId }, headers: theirs })).statusCode).toBe(404);
    expect((await b.call('ConsumeLease', { params: { leaseId: lease.leaseId }, headers: theirs })).statusCode).toBe(404);
    expect((await b.call('GetLease', { params: { leaseId: lease.leaseId }, headers: { authorization: asCaller('azure', principal(['ws'])) } })).statusCode).toBe(404);
    expect((await addFile(b, lease.leaseId, '', 'ws', mine)).statusCode).toBe(200);
    const fileId = fileIdFor(lease.leaseId);
    expect((await fileCall(b, 'DescribeFile', fileId, 'ws', theirs)).statusCode).toBe(403);
    expect((await fileCall(b, 'DescribeFile', fileId, 'ws_b', theirs)).statusCode).toBe(404);
    expect((await fileCall(b, 'DeleteFile', fileId, 'ws_b', { authorization: asCaller('alibaba', key('ws', 'ws_b')) })).statusCode).toBe(404);
    expect((await fileCall(b, 'DescribeFile', fileId, 'ws', mine)).statusCode).toBe(200);
    expect((await b.call('GetLease', { params: { leaseId: lease.leaseId }, headers: mine })).statusCode).toBe(200);
  });

  test('Azure: a principal of the subscription may; another is 403; a registry grant opens no workspace of its name', async () => {
    const b = memoryBroker({ auth: testAuth() });
    const owner = { authorization: asCaller('azure', principal(['sub-a'])) };
    const registryOnly = { authorization: asCaller('azure', principal([], ['sub-a/rg/myws'])) };
    const p = armParams();
    const start = (headers: Record<string, string>, params: Arm = p) => b.call(armId(params, 'Start'), { params, query: API, headers: { ...JSON_TYPE, ...headers }, body: '{}' });
    const started = await start(owner);
    expect(started.statusCode).toBe(200);
    const leaseId = started.headers['x-lease-id']!;
    b.upload((await b.store.get(leaseId))!.objectKey, 'code');
    const refusal = await start(registryOnly);
    expect([refusal.statusCode, refusal.json.error.code]).toEqual([403, 'AuthorizationFailed']);
    expect(refusal.json.error.message).toBe("The client 'oid' does not have authorization to perform this action over scope '/subscriptions/sub-a'.");
    expect((await start(registryOnly, armParams({ registry: 'MyWS' }))).statusCode).toBe(200);
    const blobUri = started.json.blobReferenceForConsumption.blobUri;
    const put = (headers: Record<string, string>, params: Arm = p) =>
      b.call(armId(params, 'Put'), { params, query: API, headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify({ properties: { codeUri: blobUri } }) });
    expect((await put(registryOnly)).statusCode).toBe(403);
    expect((await put(registryOnly, armParams({ registry: 'MyWS' }))).statusCode).toBe(400);
    expect((await b.call('GetLease', { params: { leaseId }, headers: registryOnly })).statusCode).toBe(404);
    expect((await put(owner)).statusCode).toBe(201);
    expect((await b.call(armId(p, 'Get'), { params: p, query: API, headers: registryOnly })).statusCode).toBe(403);
    expect((await b.call(armId(p, 'Get'), { params: p, query: API, headers: owner })).statusCode).toBe(200);
    expect((await b.call('GetLease', { params: { leaseId }, headers: owner })).statusCode).toBe(200);
  });

  test('each operation takes only its own scheme; none runs without a caller', async () => {
    const b = memoryBroker({ auth: testAuth() });
    const noAuth = await b.call('ApplyFileUploadLease', { params: { WorkspaceId: 'ws', CategoryId: 'c' }, headers: FORM, body: 'FileName=a.txt' });
    expect([noAuth.statusCode, noAuth.json.Code]).toEqual([401, 'IncompleteSignature']);
    const azureOnAlibaba = await b.call('AddFile', { params: { WorkspaceId: 'ws' }, headers: { ...FORM, authorization: asCaller('azure', principal(['ws'])) }, body: '' });
    expect(azureOnAlibaba.statusCode).toBe(401);
    const alibabaOnAzure = await b.call('AzureWorkspaceCodeVersionGet', { params: armParams(), query: API, headers: { authorization: asCaller('alibaba', key('ws')) } });
    expect([alibabaOnAzure.statusCode, alibabaOnAzure.json.error.code]).toEqual([401, 'InvalidAuthenticationToken']);
    const none = await b.call('GetLease', { params: { leaseId: 'f'.repeat(32) } });
    expect([none.statusCode, none.json.error.code]).toEqual([401, 'Unauthenticated']);
  });
});
