import { describe, expect, test } from '@jest/globals';
import { signContainerSas } from '../../shared/contracts/azure/container-sas.js';
import { settleLease } from '../../shared/lease/settle.js';
import { memoryBroker, MEMORY_FRONT_KEY, type MemoryBroker } from '../support/memory-broker.js';

/**
 * The contracts' handlers with the Blob front on (AZURE_UPLOADS=blob-front), over in-memory ports: what
 * startPendingUpload hands out, what GET /leases/{id} shows of a container, and the code version that
 * consumes it; and the default mode unchanged beside it.
 */
const FRONT = { AZURE_UPLOADS: 'blob-front', BLOB_FRONT_URL: 'https://front.example' };
const API = 'api-version=2025-09-01';
const JSON_TYPE = { 'content-type': 'application/json' };
const params = { subscriptionId: 'sub', resourceGroupName: 'rg', workspaceName: 'my-ws', name: 'code', version: '1' };

async function start(b: MemoryBroker, pendingUploadId = 'up-1') {
  const res = await b.call('AzureWorkspaceCodeVersionStartPendingUpload', { params, query: API, headers: JSON_TYPE, body: JSON.stringify({ pendingUploadId }) });
  expect(res.statusCode).toBe(200);
  return { res, leaseId: res.headers['x-lease-id']!, ref: res.json.blobReferenceForConsumption };
}

const put = (b: MemoryBroker, leaseId: string, name: string, body: string) => b.upload(`tmp/${leaseId}/${name}`, body);
const lease = (b: MemoryBroker, leaseId: string) => b.call('GetLease', { params: { leaseId } });
const createVersion = (b: MemoryBroker, codeUri: string) => b.call('AzureWorkspaceCodeVersionCreateOrUpdate', { params, query: API, headers: JSON_TYPE, body: JSON.stringify({ properties: { codeUri } }) });

describe('startPendingUpload with the Blob front', () => {
  test('a container: blobUri is the container, sasUri a container SAS signed with the front key until the URL expiry', async () => {
    const b = memoryBroker({ env: FRONT });
    const { leaseId, ref } = await start(b);
    expect(ref.blobUri).toBe(`https://front.example/${leaseId}`);
    const sas = new URL(ref.credential.sasUri);
    expect(`${sas.origin}${sas.pathname}`).toBe(ref.blobUri);
    const record = (await b.store.get(leaseId))!;
    expect(record.objectKey).toBe(`tmp/${leaseId}/`);
    const fields = { sp: 'rcw', se: new Date(record.urlExpiresAt).toISOString().replace('.000Z', 'Z'), container: leaseId, sv: sas.searchParams.get('sv')!, sr: 'c' };
    expect(Object.fromEntries(sas.searchParams)).toEqual({ sv: '2025-01-05', sr: 'c', sp: 'rcw', se: fields.se, sig: signContainerSas(fields, MEMORY_FRONT_KEY) });
  });

  test('the default mode is unchanged: one object, a presigned S3 PUT', async () => {
    const b = memoryBroker();
    const { leaseId, ref } = await start(b);
    expect((await b.store.get(leaseId))!.objectKey).toBe(`tmp/${leaseId}/code-1`);
    expect(new URL(ref.credential.sasUri).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('GET /leases/{id} of a container', () => {
  test('PENDING: the blobs there and their total, no download URLs; UPLOADED: a download URL each', async () => {
    const b = memoryBroker({ env: FRONT });
    const { leaseId } = await start(b);
    const empty = await lease(b, leaseId);
    expect(empty.json).toMatchObject({ status: 'PENDING', blobs: [], size: 0 });
    put(b, leaseId, 'src/a.py', 'aaa');
    put(b, leaseId, 'src/b/c.py', 'cc');
    const pending = await lease(b, leaseId);
    expect(pending.json.blobs).toEqual([
      { name: 'src/a.py', size: 3 },
      { name: 'src/b/c.py', size: 2 },
    ]);
    expect(pending.json.size).toBe(5);
    expect(pending.json.downloadUrl).toBeUndefined();
    // A consumer made it UPLOADED (verified on the spot): now each blob has a download URL of its own key.
    await b.store.transition(leaseId, { status: 'PENDING' }, { status: 'UPLOADED', uploadedAt: b.clock.now(), retainUntil: b.clock.now() + 3_600_000, dueAt: b.clock.now() + 3_600_000 });
    const uploaded = await lease(b, leaseId);
    expect(uploaded.json.blobs.map((x: { downloadUrl: string }) => new URL(x.downloadUrl).pathname)).toEqual([`/tmp/${leaseId}/src/a.py`, `/tmp/${leaseId}/src/b/c.py`]);
    expect(uploaded.json.location).toEqual({ bucket: 'uploads', key: `tmp/${leaseId}/` });
  });

  test('EXPIRED: no blobs listed', async () => {
    const b = memoryBroker({ env: FRONT });
    const { leaseId } = await start(b);
    put(b, leaseId, 'a', 'x');
    await b.store.transition(leaseId, { status: 'PENDING' }, { status: 'EXPIRED' });
    const res = await lease(b, leaseId);
    expect(res.json.status).toBe('EXPIRED');
    expect(res.json.blobs).toBeUndefined();
  });
});

describe('the code version of a container', () => {
  test('a codeUri naming a directory in the container consumes all of it; what is put later is not part of it; then it moves', async () => {
    const b = memoryBroker({ env: FRONT });
    const { leaseId, ref } = await start(b);
    put(b, leaseId, 'src/main.py', 'print(1)');
    put(b, leaseId, 'src/lib.py', 'x = 2');
    b.clock.advance(2000);
    const created = await createVersion(b, `${ref.blobUri}/src`);
    expect(created.statusCode).toBe(201);
    expect(created.json.properties.codeUri).toBe(`https://uploads.s3.eu-west-1.amazonaws.com/files/${leaseId}/`);
    const consumedAt = (await b.store.get(leaseId))!.consumedAt!;
    // Put after the version was made (the SAS is still valid): not part of it.
    b.clock.advance(5000);
    put(b, leaseId, 'src/late.py', 'late');
    const before = await lease(b, leaseId);
    expect(before.json).toMatchObject({ status: 'CONSUMED', size: 13 });
    expect(before.json.blobs.map((x: { name: string }) => x.name)).toEqual(['src/lib.py', 'src/main.py']);
    expect(consumedAt).toBeLessThan(b.clock.now());

    await settleLease(b, (await b.store.get(leaseId))!);
    const after = await lease(b, leaseId);
    expect(after.json.location).toEqual({ bucket: 'uploads', key: `files/${leaseId}/` });
    expect(after.json.blobs.map((x: { name: string; downloadUrl: string }) => [x.name, new URL(x.downloadUrl).pathname])).toEqual([
      ['src/lib.py', `/files/${leaseId}/src/lib.py`],
      ['src/main.py', `/files/${leaseId}/src/main.py`],
    ]);
    // The same version again with the codeUri it answered: the same code, 200.
    expect((await createVersion(b, created.json.properties.codeUri)).statusCode).toBe(200);
  });

  test('another front, or a container path that is no lease, is a 400 naming codeUri', async () => {
    const b = memoryBroker({ env: FRONT });
    const { leaseId } = await start(b);
    put(b, leaseId, 'a', 'x');
    for (const codeUri of [`https://other.example/${leaseId}`, 'https://front.example/not-a-lease/dir']) {
      const res = await createVersion(b, codeUri);
      expect(res.statusCode).toBe(400);
      expect(res.json.error.message).toBe('The codeUri does not name a blob handed out by startPendingUpload.');
    }
  });
});
