import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createSequencer, toS3EventRecord } from '../../local/s3-event-records.js';
import { fixedClock } from '../support/clock.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { API_VERSION, AZURE_PATH, getLease, postForm, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { objectExists, putDirect } from '../support/storage.js';
import { PENDING_SETTLE_MS } from '../../shared/lease/sweep.js';

/** Retention with an injected clock: 12 hours pass in a line of code. */
const clock = fixedClock(Date.now());
let broker: TestBroker;
const nextSequencer = createSequencer();
const HOUR = 3600_000;

beforeAll(async () => {
  broker = await startTestBroker({ clock, deliverS3Events: false });
});
afterAll(() => broker.dispose());

const md5 = (b: string) => createHash('md5').update(b).digest('hex');

async function uploadedAlibabaLease(body: string) {
  const res = await postForm(broker.url, '/ws_ret/datacenter/category/default', { FileName: 'keep.txt', Md5: md5(body), SizeInBytes: String(body.length) });
  const leaseId = res.json.Data.FileUploadLeaseId as string;
  const key = `tmp/${leaseId}/keep.txt`;
  await putDirect(broker, key, body, 'text/plain');
  const record = toS3EventRecord({
    bucket: broker.config.bucketName, key, size: body.length, eTag: md5(body),
    region: broker.config.region, sequencer: nextSequencer(), eventTime: new Date(clock.now()),
  });
  const { outcomes } = await s3UploadEventHandler(broker.deps)({ Records: [record] });
  expect(outcomes).toEqual(['uploaded']);
  return { leaseId, key, uploadedAt: clock.now() };
}

describe('12-hour temporary retention', () => {
  test('defaults to 12 hours', () => {
    expect(broker.config.retentionSeconds).toBe(43_200);
  });

  test('an uploaded object is kept until retainUntil, then deleted by the sweep and the lease EXPIRED', async () => {
    const { leaseId, key, uploadedAt } = await uploadedAlibabaLease('twelve hours');
    const before = await getLease(broker.url, leaseId);
    expect(before.json).toMatchObject({ status: 'UPLOADED', retainUntil: new Date(uploadedAt + 12 * HOUR).toISOString() });

    clock.set(uploadedAt + 12 * HOUR - 1);
    await broker.sweepNow();
    expect((await getLease(broker.url, leaseId)).json.status).toBe('UPLOADED');
    expect(await objectExists(broker, key)).toBe(true);

    clock.set(uploadedAt + 12 * HOUR);
    // Reads never wait for the sweep: past its time the lease reads EXPIRED at once.
    expect((await getLease(broker.url, leaseId)).json.status).toBe('EXPIRED');
    expect(await objectExists(broker, key)).toBe(true);

    // The sweep gets there a little later; the lease still ended at its retention.
    clock.advance(2 * 60_000);
    const report = await broker.sweepNow();
    expect(report.expired).toBeGreaterThanOrEqual(1);
    expect(report.failed).toBe(0);
    expect(await objectExists(broker, key)).toBe(false);
    const after = await getLease(broker.url, leaseId);
    expect(after.json).toMatchObject({ status: 'EXPIRED', expiredAt: before.json.retainUntil });
    expect((await broker.deps.store.get(leaseId))?.dueAt).toBeUndefined();

    // The record stays readable for the record retention (7 days), then counts as gone.
    clock.advance(7 * 24 * HOUR - 1000);
    expect((await getLease(broker.url, leaseId)).status).toBe(200);
    clock.advance(2000); // the TTL has whole-second precision
    expect((await getLease(broker.url, leaseId)).status).toBe(404);
  });

  test('a lease whose URL expired unused becomes EXPIRED after the grace period', async () => {
    const res = await postJson(broker.url, `${AZURE_PATH({ name: 'unused' })}?api-version=${API_VERSION}`, { pendingUploadId: 'unused' });
    const leaseId = res.headers.get('x-lease-id')!;
    const lease = (await broker.deps.store.get(leaseId))!;
    expect(lease.dueAt).toBe(lease.urlExpiresAt + broker.config.pendingGraceSeconds * 1000);
    clock.set(lease.urlExpiresAt);
    await broker.sweepNow();
    expect((await broker.deps.store.get(leaseId))!.status).toBe('PENDING');
    // Unused PENDING leases are swept once due for the index settle time (shared/lease/sweep.ts).
    clock.set(lease.dueAt! + PENDING_SETTLE_MS);
    await broker.sweepNow();
    expect((await broker.deps.store.get(leaseId))!.status).toBe('EXPIRED');

    // Create-or-get on an expired Azure lease revives it for the same blob.
    const again = await postJson(broker.url, `${AZURE_PATH({ name: 'unused' })}?api-version=${API_VERSION}`, { pendingUploadId: 'unused' });
    expect(again.headers.get('x-lease-id')).toBe(leaseId);
    expect(again.json.blobReferenceForConsumption.blobUri).toBe(res.json.blobReferenceForConsumption.blobUri);
    expect((await broker.deps.store.get(leaseId))!).toMatchObject({ status: 'PENDING' });
  });

  test('the sweep only touches leases that are due', async () => {
    const fresh = await uploadedAlibabaLease('fresh');
    const report = await broker.sweepNow();
    expect(report.expired).toBe(0);
    expect(await objectExists(broker, fresh.key)).toBe(true);
  });
});
