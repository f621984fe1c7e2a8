import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { API_VERSION, AZURE_PATH, eventually, getLease, postForm, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { allObjectKeys, objectExists } from '../support/storage.js';

/** The local mode in real time: RETENTION_SECONDS=2, sweep every second, as `npm start` runs it. */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ env: { RETENTION_SECONDS: '2' }, sweepIntervalSeconds: 1 });
});
afterAll(() => broker.dispose());

test('an upload shows UPLOADED, then EXPIRED with its object gone after its retention, by the periodic sweep', async () => {
  const body = 'short-lived document';
  const res = await postForm(broker.url, '/ws_live/datacenter/category/default', {
    FileName: 'live.md', Md5: createHash('md5').update(body).digest('hex'), SizeInBytes: String(body.length),
  });
  const { FileUploadLeaseId: leaseId, Param } = res.json.Data;
  const put = await fetch(Param.Url, { method: 'PUT', headers: Param.Headers, body });
  expect(put.status).toBe(200);
  const uploaded = await eventually(async () => {
    const l = await getLease(broker.url, leaseId);
    return l.json.status === 'UPLOADED' ? l.json : undefined;
  });
  expect(uploaded.size).toBe(body.length);
  const retainUntil = Date.parse(uploaded.retainUntil);
  const key = `tmp/${leaseId}/live.md`;
  // Polled until it is gone; its retention must have ended by then, and the 1-second sweep must have
  // reached it long before the (load-tolerant) bound.
  await eventually(async () => ((await objectExists(broker, key)) ? undefined : true), 30_000, 50);
  const goneAt = Date.now();
  expect(goneAt).toBeGreaterThanOrEqual(retainUntil);
  expect(goneAt - retainUntil).toBeLessThan(20_000);
  expect((await getLease(broker.url, leaseId)).json).toMatchObject({ status: 'EXPIRED', expiredAt: uploaded.retainUntil });
});

test('Blob front: an unconsumed container loses every blob when the retention of its first one ends', async () => {
  const { ContainerClient } = await import('@azure/storage-blob');
  const front = await startTestBroker({ env: { RETENTION_SECONDS: '2', AZURE_UPLOADS: 'blob-front' }, sweepIntervalSeconds: 1 });
  try {
    const o = { ws: 'ws-retention', name: 'c', version: '1' };
    const started = await postJson(front.url, `${AZURE_PATH(o)}?api-version=${API_VERSION}`, {});
    const leaseId = started.headers.get('x-lease-id')!;
    const container = new ContainerClient(started.json.blobReferenceForConsumption.credential.sasUri);
    for (const name of ['d/a.py', 'd/b.py', 'd/e/f.txt']) await container.getBlockBlobClient(name).uploadData(Buffer.from(name));
    const uploaded = await eventually(async () => {
      const l = (await getLease(front.url, leaseId)).json;
      return l.status === 'UPLOADED' && l.blobs?.length === 3 ? l : undefined;
    });
    const retainUntil = Date.parse(uploaded.retainUntil);
    await eventually(async () => ((await allObjectKeys(front)).some((k) => k.startsWith(`tmp/${leaseId}/`)) ? undefined : true), 30_000, 50);
    expect(Date.now()).toBeGreaterThanOrEqual(retainUntil);
    expect((await getLease(front.url, leaseId)).json).toMatchObject({ status: 'EXPIRED', expiredAt: uploaded.retainUntil });
  } finally {
    await front.dispose();
  }
});
