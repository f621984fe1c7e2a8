import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as Bailian from '@alicloud/bailian20231229';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { API_VERSION, AZURE_PATH, eventually, getLease, postJson, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';

/**
 * Clients as they are written: each call the moment the previous one returns, no wait for S3's event.
 * Two brokers: one handling events as they come, one holding every S3 event back 5 s
 * (S3_EVENT_DELAY_MS), so every consumption below runs before its event; both must serve every flow,
 * record one verdict per upload, and hand out only download URLs that keep serving their bytes.
 */
const HELD_MS = 5000;
const RUNS = 20;
/** Azure leases declare no size: anything larger is REJECTED (SIZE_LIMIT), which gives a mismatch to decide on. */
const MAX_UPLOAD_BYTES = 64;
const brokers: Record<'prompt' | 'held', TestBroker> = {} as never;
beforeAll(async () => {
  const env = { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) };
  [brokers.prompt, brokers.held] = await Promise.all([startTestBroker({ env }), startTestBroker({ env: { ...env, S3_EVENT_DELAY_MS: String(HELD_MS) } })]);
});
afterAll(() => Promise.all(Object.values(brokers).map((b) => b.dispose())));

// A CommonJS package seen from ESM: the client class is module.exports.default.
const Client = Bailian.default.default;
const md5 = (body: string) => createHash('md5').update(body).digest('hex');
const sdkFor = (broker: TestBroker) => new Client(new $OpenApiUtil.Config({ accessKeyId: 'local', accessKeySecret: 'local', endpoint: new URL(broker.url).host, protocol: 'HTTP' }));

/** The lease events written so far, per lease, in order. */
function eventsByLease(broker: TestBroker): Map<string, string[]> {
  const byLease = new Map<string, string[]>();
  for (const line of readFileSync(broker.eventsFile, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { 'detail-type': string; detail: { leaseId: string } };
    byLease.set(e.detail.leaseId, [...(byLease.get(e.detail.leaseId) ?? []), e['detail-type']]);
  }
  return byLease;
}

const fetchBytes = async (url: string) => {
  const res = await fetch(url);
  return [res.status, await res.text()];
};

/**
 * Every download URL handed out serves its bytes at once; it is kept to be fetched again later unless
 * its file is deleted on purpose (DeleteFile takes the bytes; no URL is handed out after it).
 */
const handedOut: { url: string; body: string; at: number }[] = [];
async function servesAtOnce(url: string | undefined, body: string, { deletedLater = false } = {}) {
  expect(url).toEqual(expect.stringContaining('X-Amz-Signature='));
  expect(await fetchBytes(url!)).toEqual([200, body]);
  if (!deletedLater) handedOut.push({ url: url!, body, at: Date.now() });
}

async function startAzureUpload(broker: TestBroker, scope: Parameters<typeof AZURE_PATH>[0], pendingUploadId: string, body: string) {
  const started = await postJson(broker.url, `${AZURE_PATH(scope)}?api-version=${API_VERSION}`, { pendingUploadId });
  expect(started.status).toBe(200);
  const { blobUri, credential } = started.json.blobReferenceForConsumption;
  expect((await fetch(credential.sasUri, { method: 'PUT', body })).status).toBe(200);
  return { leaseId: started.headers.get('x-lease-id')!, blobUri: blobUri as string };
}

const putCodeVersion = async (broker: TestBroker, scope: Parameters<typeof AZURE_PATH>[0], codeUri: string) =>
  readResponse(
    await fetch(`${broker.url}${AZURE_PATH(scope).replace(/\/startPendingUpload$/, '')}?api-version=${API_VERSION}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { codeUri } }),
    }),
  );

/**
 * held: every event 5 s late, so consumers always come first; prompt: events handled as they come,
 * racing the client's next call; first: the same broker, the event handled before the next call.
 */
const MODES = { held: 'held', prompt: 'prompt', first: 'prompt' } as const;
/** After a PUT, before the client's next call: nothing, unless the event is to come first. */
const afterPut = async (mode: keyof typeof MODES) => {
  if (mode === 'first') await brokers.prompt.eventsSettled();
};

describe.each(Object.keys(MODES) as (keyof typeof MODES)[])('S3 events %s', (mode) => {
  test(`the official Alibaba SDK, unchanged, no wait between calls: lease, PUT, AddFile, DescribeFile until ready, DeleteFile, ${RUNS} of ${RUNS}`, async () => {
    const broker = brokers[MODES[mode]];
    const client = sdkFor(broker);
    const fileIds: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const body = `run ${run} through the SDK (${mode})`;
      const lease = await client.applyFileUploadLease('default', 'ws_timing', new Bailian.ApplyFileUploadLeaseRequest({ fileName: `run-${run}.txt`, md5: md5(body), sizeInBytes: String(Buffer.byteLength(body)) }));
      const { fileUploadLeaseId: leaseId, param } = lease.body!.data!;
      const put = await fetch(param!.url!, { method: param!.method!, headers: param!.headers as Record<string, string>, body });
      expect(put.status).toBe(200);
      await afterPut(mode);
      const added = await client.addFile('ws_timing', new Bailian.AddFileRequest({ leaseId: leaseId!, parser: 'DASHSCOPE_DOCMIND', categoryId: 'default' }));
      const fileId = added.body!.data!.fileId!;
      expect(fileId).toBe(`file_${leaseId!.replace('.', '_')}`);
      // Like Alibaba's own service, a new file may say INIT first.
      const ready = await eventually(async () => {
        const d = (await client.describeFile('ws_timing', fileId, new Bailian.DescribeFileRequest({}))).body!.data!;
        expect(['INIT', 'FILE_IS_READY']).toContain(d.status);
        return d.status === 'FILE_IS_READY' ? d : undefined;
      });
      expect(ready).toMatchObject({ fileId, sizeInBytes: Buffer.byteLength(body) });
      const view = (await getLease(broker.url, leaseId!)).json;
      expect(view).toMatchObject({ status: 'CONSUMED', size: Buffer.byteLength(body) });
      await servesAtOnce(view.downloadUrl, body, { deletedLater: true });
      expect((await client.deleteFile(fileId, 'ws_timing', new Bailian.DeleteFileRequest({}))).body!.data!.fileId).toBe(fileId);
      // After DeleteFile no URL is handed out.
      expect((await getLease(broker.url, leaseId!)).json.downloadUrl).toBeUndefined();
      fileIds.push(leaseId!);
    }
    // The held events arrive: each finds its decision made. One verdict per upload, in order.
    await broker.eventsSettled();
    const events = eventsByLease(broker);
    for (const leaseId of fileIds) expect(events.get(leaseId)).toEqual(['Lease Uploaded', 'Lease Consumed', 'Lease Deleted']);
  }, 120_000);

  test(`Azure: startPendingUpload, PUT to the sasUri, code version PUT, no wait between calls, ${RUNS} of ${RUNS}`, async () => {
    const broker = brokers[MODES[mode]];
    const leaseIds: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const scope = { ws: `ws-timing-${mode}`, name: 'code', version: String(run) };
      const body = `print(${run})`;
      const { leaseId, blobUri } = await startAzureUpload(broker, scope, `p-${run}`, body);
      await afterPut(mode);
      const created = await putCodeVersion(broker, scope, blobUri);
      expect(created.status).toBe(201);
      expect(created.json.properties.codeUri).toBe(blobUri.replace('/tmp/', '/files/'));
      const view = (await getLease(broker.url, leaseId)).json;
      expect(view).toMatchObject({ status: 'CONSUMED', size: body.length });
      await servesAtOnce(view.downloadUrl, body);
      leaseIds.push(leaseId);
    }
    await broker.eventsSettled();
    const events = eventsByLease(broker);
    for (const leaseId of leaseIds) expect(events.get(leaseId)).toEqual(['Lease Uploaded', 'Lease Consumed']);
  }, 120_000);

  test('POST /leases/{id}/consume right after the PUT: 200 and a download URL that serves the bytes', async () => {
    const broker = brokers[MODES[mode]];
    const body = `consumed at once (${mode})`;
    const leased = await postJson(broker.url, '/ws_timing/datacenter/category/default', { FileName: 'at-once.txt', Md5: md5(body), SizeInBytes: Buffer.byteLength(body) });
    const { FileUploadLeaseId: leaseId, Param } = leased.json.Data;
    expect((await fetch(Param.Url, { method: Param.Method, headers: Param.Headers, body })).status).toBe(200);
    await afterPut(mode);
    const consumed = await readResponse(await fetch(`${broker.url}/leases/${leaseId}/consume`, { method: 'POST' }));
    expect(consumed.status).toBe(200);
    expect(consumed.json).toMatchObject({ status: 'CONSUMED', location: { key: expect.stringMatching(/^files\//) } });
    await servesAtOnce(consumed.json.downloadUrl, body);
    // And from the lease route at once, and again once the move has run.
    await servesAtOnce((await getLease(broker.url, leaseId)).json.downloadUrl, body);
    await broker.eventsSettled();
    await servesAtOnce((await getLease(broker.url, leaseId)).json.downloadUrl, body);
  });

  test('an upload that does not match is REJECTED on the spot, as its event would, and the event agrees later', async () => {
    const broker = brokers[MODES[mode]];
    const scope = { ws: `ws-timing-${mode}`, name: 'too-big', version: '1' };
    const { leaseId, blobUri } = await startAzureUpload(broker, scope, 'p-big', 'x'.repeat(MAX_UPLOAD_BYTES + 1));
    await afterPut(mode);
    const refused = await putCodeVersion(broker, scope, blobUri);
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('SIZE_LIMIT');
    expect((await getLease(broker.url, leaseId)).json).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_LIMIT', size: MAX_UPLOAD_BYTES + 1 });
    await broker.eventsSettled();
    expect(eventsByLease(broker).get(leaseId)).toEqual(['Lease Rejected']);
    expect((await getLease(broker.url, leaseId)).json).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_LIMIT' });
  });

  test('event and consumer at the same instant, 30 uploads at once: one verdict each, every consumer served', async () => {
    const broker = brokers[MODES[mode]];
    const leaseIds = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const body = `raced ${i}`;
        const leased = await postJson(broker.url, '/ws_race/datacenter/category/default', { FileName: `race-${i}.txt`, Md5: md5(body), SizeInBytes: body.length });
        const { FileUploadLeaseId: leaseId, Param } = leased.json.Data;
        expect((await fetch(Param.Url, { method: Param.Method, headers: Param.Headers, body })).status).toBe(200);
        const consumed = await readResponse(await fetch(`${broker.url}/leases/${leaseId}/consume`, { method: 'POST' }));
        expect([consumed.status, consumed.json.status]).toEqual([200, 'CONSUMED']);
        return leaseId as string;
      }),
    );
    await broker.eventsSettled();
    const events = eventsByLease(broker);
    for (const leaseId of leaseIds) expect(events.get(leaseId)).toEqual(['Lease Uploaded', 'Lease Consumed']);
  });
});

describe('every download URL handed out above', () => {
  test('served its bytes at once, and still does 3 s later, after every move and every held event (but those DeleteFile removed)', async () => {
    expect(handedOut).toHaveLength(Object.keys(MODES).length * (RUNS + 3));
    await Promise.all(Object.values(brokers).map((b) => b.eventsSettled()));
    const last = Math.max(...handedOut.map((h) => h.at));
    await eventually(async () => (Date.now() >= last + 3000 ? true : undefined), 10_000);
    const later = await Promise.all(handedOut.map((h) => fetchBytes(h.url)));
    handedOut.forEach((h, i) => expect(later[i]).toEqual([200, h.body]));
  });
});
