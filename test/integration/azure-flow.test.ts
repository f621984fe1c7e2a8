import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { API_VERSION, AZURE_PATH, getLease, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { expectAzureResponse, expectLeaseView } from '../support/schemas.js';
import { allLeases, objectExists, readObject } from '../support/storage.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.dispose());

const start = (path: string, body?: unknown, headers?: Record<string, string>) =>
  postJson(broker.url, `${path}?api-version=${API_VERSION}`, body, headers);

const keyOf = (blobUri: string) => decodeURIComponent(new URL(blobUri).pathname.split('/').slice(2).join('/'));

describe('Azure startPendingUpload', () => {
  test('returns a SAS-style URL that takes a plain PUT of the bytes, and the object lands in storage', async () => {
    const res = await start(AZURE_PATH({ name: 'flow-code' }), { pendingUploadId: 'flow-1', pendingUploadType: 'None' }, {
      'x-ms-client-request-id': 'client-abc',
    });
    expect(res.status).toBe(200);
    expectAzureResponse(res.json);
    const { blobUri, storageAccountArmId, credential } = res.json.blobReferenceForConsumption;
    expect(credential.credentialType).toBe('SAS');
    expect(credential.sasUri.split('?')[0]).toBe(blobUri);
    expect(new URL(blobUri).search).toBe('');
    expect(storageAccountArmId).toBe(`arn:aws:s3:::${broker.config.bucketName}`);
    expect(res.json.pendingUploadId).toBe('flow-1');
    expect(res.json.pendingUploadType).toBe('TemporaryBlobReference');
    expect(res.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-ms-client-request-id')).toBe('client-abc');
    const leaseId = res.headers.get('x-lease-id')!;
    expect(leaseId).toMatch(/^[0-9a-f]{32}$/);
    expect(keyOf(blobUri).startsWith(`tmp/${leaseId}/`)).toBe(true);

    const bytes = Buffer.from('print("hello from azure")\n');
    const put = await fetch(credential.sasUri, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);
    expect((await readObject(broker, keyOf(blobUri))).body.equals(bytes)).toBe(true);

    await broker.eventsSettled();
    const lease = await getLease(broker.url, leaseId);
    expect(lease.status).toBe(200);
    expectLeaseView(lease.json);
    expect(lease.json).toMatchObject({ leaseId, contract: 'azure-ml', status: 'UPLOADED', size: bytes.length });
  });

  test('create-or-get: same scope and pendingUploadId give the same lease and blob; other versions do not', async () => {
    const path = AZURE_PATH({ name: 'cog', version: '1' });
    const a = await start(path, { pendingUploadId: 'same-id' });
    const b = await start(path, { pendingUploadId: 'same-id' });
    const otherVersion = await start(AZURE_PATH({ name: 'cog', version: '2' }), { pendingUploadId: 'same-id' });
    const otherCase = await start(AZURE_PATH({ name: 'COG', version: '1' }), { pendingUploadId: 'same-id' });
    const rgCase = await start(AZURE_PATH({ name: 'cog', version: '1', rg: 'TEST-RG' }), { pendingUploadId: 'same-id' });
    const otherId = await start(path, { pendingUploadId: 'other-id' });
    for (const r of [a, b, otherVersion, otherCase, rgCase, otherId]) expect(r.status).toBe(200);
    const blob = (r: typeof a) => r.json.blobReferenceForConsumption.blobUri as string;
    expect(blob(b)).toBe(blob(a));
    expect(b.headers.get('x-lease-id')).toBe(a.headers.get('x-lease-id'));
    expect(blob(rgCase)).toBe(blob(a)); // resource group names are case-insensitive in ARM
    expect(blob(otherVersion)).not.toBe(blob(a));
    expect(blob(otherCase)).not.toBe(blob(a)); // code names are case-sensitive
    expect(blob(otherId)).not.toBe(blob(a));
  });

  test('without pendingUploadId each call makes a new lease with a fresh GUID', async () => {
    const path = AZURE_PATH({ name: 'guid' });
    const a = await start(path);
    const b = await start(path, {});
    const c = await start(path, { pendingUploadId: null });
    const ids = [a, b, c].map((r) => r.json.pendingUploadId as string);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(3);
    expect(new Set([a, b, c].map((r) => r.headers.get('x-lease-id'))).size).toBe(3);
  });

  test('the registry variant of the route serves the same DTOs', async () => {
    const res = await start(AZURE_PATH({ registry: 'my-registry', name: 'reg-code' }), { pendingUploadId: 'r1' });
    expect(res.status).toBe(200);
    expectAzureResponse(res.json);
    const ws = await start(AZURE_PATH({ ws: 'my-registry', name: 'reg-code' }), { pendingUploadId: 'r1' });
    expect(ws.json.blobReferenceForConsumption.blobUri).not.toBe(res.json.blobReferenceForConsumption.blobUri);
  });

  test('50 concurrent identical requests make exactly one lease and all name the same blob', async () => {
    const path = AZURE_PATH({ name: 'concurrent' });
    const results = await Promise.all(Array.from({ length: 50 }, () => start(path, { pendingUploadId: 'race' })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const blobs = new Set(results.map((r) => r.json.blobReferenceForConsumption.blobUri));
    expect(blobs.size).toBe(1);
    const leaseId = results[0]!.headers.get('x-lease-id')!;
    const records = (await allLeases(broker)).filter((l) => l.leaseId === leaseId || l.pendingUploadId === 'race');
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBe('PENDING');
  });

  test('a second URL for an uploaded lease replaces the same object', async () => {
    const path = AZURE_PATH({ name: 'reupload' });
    const first = await start(path, { pendingUploadId: 'again' });
    await fetch(first.json.blobReferenceForConsumption.credential.sasUri, { method: 'PUT', body: 'v1' });
    await broker.eventsSettled();
    const second = await start(path, { pendingUploadId: 'again' });
    expect(second.json.blobReferenceForConsumption.blobUri).toBe(first.json.blobReferenceForConsumption.blobUri);
    await fetch(second.json.blobReferenceForConsumption.credential.sasUri, { method: 'PUT', body: 'version 2' });
    await broker.eventsSettled();
    const key = keyOf(first.json.blobReferenceForConsumption.blobUri);
    expect((await readObject(broker, key)).body.toString()).toBe('version 2');
    expect(await objectExists(broker, key)).toBe(true);
    const lease = await getLease(broker.url, first.headers.get('x-lease-id')!);
    expect(lease.json).toMatchObject({ status: 'UPLOADED', size: 9 });
  });
});
