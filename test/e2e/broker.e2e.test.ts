import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { expectAlibabaError, expectAlibabaResponse, expectArmError, expectAzureResponse, expectBrokerError, expectLeaseView } from '../support/schemas.js';
import { openTarget, type Contract, type Target } from './target.js';

/** One suite for every target: in-process local mode (npm test), local mode, LocalStack or AWS (npm run test:e2e). */
let target: Target;
const run = randomBytes(4).toString('hex');
beforeAll(async () => {
  target = await openTarget(run);
}, 60_000);
afterAll(() => target?.close());

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const azurePath = (name: string, query = 'api-version=2025-09-01') =>
  `/subscriptions/${target.subscription}/resourceGroups/e2e-rg/providers/Microsoft.MachineLearningServices/workspaces/e2e-ws-${run}/codes/${name}/versions/1/startPendingUpload?${query}`;

async function json(res: Response) {
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function waitForStatus(leaseId: string, status: string, as: Contract) {
  const deadline = Date.now() + target.eventTimeoutMs;
  for (;;) {
    const lease = await json(await target.fetch(`/leases/${leaseId}`, { as }));
    if (lease.status === 200 && lease.body.status === status) return lease.body;
    if (Date.now() > deadline) throw new Error(`lease ${leaseId} not ${status} in time: ${JSON.stringify(lease.body)}`);
    await new Promise((r) => setTimeout(r, target.kind === 'remote' ? 1000 : 50));
  }
}

describe(`end to end (${process.env.E2E === '1' ? 'npm run test:e2e' : 'in-process local mode'})`, () => {
  test('Azure: lease, plain PUT to sasUri, UPLOADED, and create-or-get returns the same blob', async () => {
    const body = JSON.stringify({ pendingUploadId: `e2e-${run}` });
    const first = await json(await target.fetch(azurePath(`code-${run}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    expect(first.status).toBe(200);
    expectAzureResponse(first.body);
    const again = await json(await target.fetch(azurePath(`code-${run}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    expect(again.body.blobReferenceForConsumption.blobUri).toBe(first.body.blobReferenceForConsumption.blobUri);

    const bytes = randomBytes(2048);
    target.track(first.body.blobReferenceForConsumption.credential.sasUri);
    const put = await fetch(first.body.blobReferenceForConsumption.credential.sasUri, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);
    const lease = await waitForStatus(first.headers.get('x-lease-id')!, 'UPLOADED', 'azure');
    expectLeaseView(lease);
    expect(lease.size).toBe(bytes.length);
  }, 120_000);

  test('Alibaba: lease, PUT with the returned headers, UPLOADED; a different file is refused or rejected', async () => {
    const bytes = Buffer.from(`# e2e ${run}\n`);
    const form = new URLSearchParams({ FileName: `e2e-${run}.md`, Md5: md5(bytes), SizeInBytes: String(bytes.length) }).toString();
    const res = await json(await target.fetch(`/${target.workspace}/datacenter/category/default`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }));
    expect(res.status).toBe(200);
    expectAlibabaResponse(res.body);
    const { FileUploadLeaseId: leaseId, Param } = res.body.Data;
    target.track(Param.Url);
    const put = await fetch(Param.Url, { method: Param.Method, headers: Param.Headers, body: bytes });
    expect(put.status).toBe(200);
    expect((await waitForStatus(leaseId, 'UPLOADED', 'alibaba')).size).toBe(bytes.length);

    // Same length, other bytes: S3 (and the local mode's) refuses the signed Content-MD5 with 400 BadDigest; an
    // S3 that stored it anyway (an emulator without the check) must see the event handler reject it.
    const other = await json(await target.fetch(`/${target.workspace}/datacenter/category/default`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }));
    const wrong = Buffer.from(bytes.toString().toUpperCase());
    target.track(other.body.Data.Param.Url);
    const badPut = await fetch(other.body.Data.Param.Url, { method: 'PUT', headers: other.body.Data.Param.Headers, body: wrong });
    if (badPut.status === 200) expect((await waitForStatus(other.body.Data.FileUploadLeaseId, 'REJECTED', 'alibaba')).rejectReason).toBe('MD5_MISMATCH');
    else expect(badPut.status).toBeGreaterThanOrEqual(400);
  }, 120_000);

  test('consumption: Alibaba AddFile, DescribeFile until ready, DeleteFile; Azure code version from the blob', async () => {
    const bytes = Buffer.from(`consumed ${run}\n`);
    const form = new URLSearchParams({ FileName: `kept-${run}.txt`, Md5: md5(bytes), SizeInBytes: String(bytes.length) }).toString();
    const ws = target.workspace;
    const lease = await json(await target.fetch(`/${ws}/datacenter/category/default`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }));
    const { FileUploadLeaseId: leaseId, Param } = lease.body.Data;
    target.track(Param.Url);
    expect((await fetch(Param.Url, { method: Param.Method, headers: Param.Headers, body: bytes })).status).toBe(200);
    await waitForStatus(leaseId, 'UPLOADED', 'alibaba');
    const added = await json(
      await target.fetch(`/${ws}/datacenter/file`, {
        method: 'PUT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ LeaseId: leaseId, Parser: 'DASHSCOPE_DOCMIND', CategoryId: 'default' }).toString(),
      }),
    );
    expect(added.status).toBe(200);
    const fileId = added.body.Data.FileId;
    const deadline = Date.now() + target.eventTimeoutMs;
    for (;;) {
      const described = await json(await target.fetch(`/${ws}/datacenter/file/${fileId}/`));
      expect(described.status).toBe(200);
      if (described.body.Data.Status === 'FILE_IS_READY') break;
      if (Date.now() > deadline) throw new Error(`file ${fileId} not ready in time`);
      await new Promise((r) => setTimeout(r, target.kind === 'remote' ? 1000 : 50));
    }
    const consumed = await json(await target.fetch(`/leases/${leaseId}`, { as: 'alibaba' }));
    expect(consumed.body).toMatchObject({ status: 'CONSUMED', location: { key: expect.stringMatching(/^files\//) } });
    expect(Buffer.from(await (await fetch(consumed.body.downloadUrl)).arrayBuffer()).equals(bytes)).toBe(true);
    expect((await json(await target.fetch(`/${ws}/datacenter/file/${fileId}/`, { method: 'DELETE' }))).status).toBe(200);
    expect((await json(await target.fetch(`/${ws}/datacenter/file/${fileId}/`))).status).toBe(404);

    const azure = await json(await target.fetch(azurePath(`consumed-${run}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
    const ref = azure.body.blobReferenceForConsumption;
    target.track(ref.credential.sasUri);
    expect((await fetch(ref.credential.sasUri, { method: 'PUT', body: bytes })).status).toBe(200);
    await waitForStatus(azure.headers.get('x-lease-id')!, 'UPLOADED', 'azure');
    const versionPath = azurePath(`consumed-${run}`).replace('/startPendingUpload', '');
    const created = await json(await target.fetch(versionPath, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ properties: { codeUri: ref.blobUri } }) }));
    expect(created.status).toBe(201);
    expect((await json(await target.fetch(versionPath))).body.properties.provisioningState).toBe('Succeeded');
  }, 180_000);

  test('errors come back in each contract own format', async () => {
    const noVersion = await json(await target.fetch(azurePath('x', ''), { method: 'POST' }));
    expect(noVersion.status).toBe(400);
    expectArmError(noVersion.body);
    expect(noVersion.body.error.code).toBe('MissingApiVersionParameter');

    const tooLarge = await json(await target.fetch(`/${target.workspace}/datacenter/category/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'FileName=big.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=100000001',
    }));
    expect(tooLarge.status).toBe(400);
    expectAlibabaError(tooLarge.body);
    expect(tooLarge.body.Code).toBe('DataCenter.FileTooLarge');

    const unknown = await json(await target.fetch(`/leases/${'0'.repeat(32)}`));
    expect(unknown.status).toBe(404);
    expectBrokerError(unknown.body);
  }, 60_000);
});
