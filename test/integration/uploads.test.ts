import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { S3EventRecord } from 'aws-lambda';
import { createSequencer, toS3EventRecord } from '../../local/s3-event-records.js';
import { fixedClock } from '../support/clock.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import type { LeaseRecord } from '../../shared/lease/model.js';
import { API_VERSION, AZURE_PATH, getLease, postForm, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { objectExists, putDirect } from '../support/storage.js';

/** S3 events are replayed by hand here: duplicated, shuffled and late, as S3 may deliver them. */
const clock = fixedClock(Date.now());
let broker: TestBroker;
let handle: ReturnType<typeof s3UploadEventHandler>;
const nextSequencer = createSequencer();

beforeAll(async () => {
  broker = await startTestBroker({ clock, deliverS3Events: false });
  handle = s3UploadEventHandler(broker.deps);
});
afterAll(() => broker.dispose());

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

function recordFor(key: string, body: Buffer | string, sequencer = nextSequencer(), eventTime = clock.now()): S3EventRecord {
  return toS3EventRecord({
    bucket: broker.config.bucketName,
    key,
    size: Buffer.byteLength(body),
    eTag: md5(body),
    region: broker.config.region,
    sequencer,
    eventTime: new Date(eventTime),
  });
}

async function alibabaLease(bytes: Buffer | string, fileName = 'doc.txt') {
  const res = await postForm(broker.url, '/ws_events/datacenter/category/default', {
    FileName: fileName,
    Md5: md5(bytes),
    SizeInBytes: String(Buffer.byteLength(bytes)),
  });
  expect(res.status).toBe(200);
  const key = decodeURIComponent(new URL(res.json.Data.Param.Url).pathname.split('/').slice(2).join('/'));
  return { leaseId: res.json.Data.FileUploadLeaseId as string, key, headers: res.json.Data.Param.Headers as Record<string, string>, url: res.json.Data.Param.Url as string };
}

const stored = async (leaseId: string) => (await broker.deps.store.get(leaseId)) as LeaseRecord;

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomBytes(1)[0]! % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('S3 event handler', () => {
  test('each record delivered 3 times, shuffled with others, gives exactly one transition per lease', async () => {
    const leases = await Promise.all(['one', 'two', 'three'].map(async (t) => ({ body: `body ${t}`, ...(await alibabaLease(`body ${t}`)) })));
    const records = [];
    for (const l of leases) {
      await putDirect(broker, l.key, l.body, 'text/plain');
      records.push(recordFor(l.key, l.body));
    }
    const deliveries = shuffle([...records, ...records, ...records]);
    const outcomes = [];
    for (let i = 0; i < deliveries.length; i += 2) outcomes.push(...(await handle({ Records: deliveries.slice(i, i + 2) })).outcomes);
    expect(outcomes.filter((o) => o === 'uploaded')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(6);
    for (const [i, l] of leases.entries()) {
      const lease = await stored(l.leaseId);
      expect(lease).toMatchObject({ status: 'UPLOADED', size: l.body.length, eTag: md5(l.body), sequencer: records[i]!.s3.object.sequencer });
      expect(lease.retainUntil).toBe(lease.uploadedAt! + broker.config.retentionSeconds * 1000);
      expect(await objectExists(broker, l.key)).toBe(true);
    }
  });

  test('a re-upload with a newer sequencer updates the lease; the older event arriving late changes nothing', async () => {
    const res = await postJson(broker.url, `${AZURE_PATH({ name: 'seq' })}?api-version=${API_VERSION}`, { pendingUploadId: 'seq' });
    const key = decodeURIComponent(new URL(res.json.blobReferenceForConsumption.blobUri).pathname.split('/').slice(2).join('/'));
    const leaseId = res.headers.get('x-lease-id')!;
    const older = recordFor(key, 'first version');
    const newer = recordFor(key, 'second, longer version');
    await putDirect(broker, key, 'second, longer version');
    expect((await handle({ Records: [newer] })).outcomes).toEqual(['uploaded']);
    expect((await handle({ Records: [older] })).outcomes).toEqual(['stale']);
    expect(await stored(leaseId)).toMatchObject({ status: 'UPLOADED', eTag: md5('second, longer version'), size: 22, sequencer: newer.s3.object.sequencer });

    const newest = recordFor(key, 'third');
    await putDirect(broker, key, 'third');
    expect((await handle({ Records: [newest] })).outcomes).toEqual(['uploaded']);
    expect(await stored(leaseId)).toMatchObject({ status: 'UPLOADED', eTag: md5('third'), size: 5 });
  });

  test.each([
    ['SIZE_MISMATCH', 'exactly twenty bytes', 'exactly twenty bytes!', 'text/plain'],
    ['MD5_MISMATCH', 'exactly twenty bytes', 'EXACTLY twenty bytes', 'text/plain'],
    ['CONTENT_TYPE_MISMATCH', 'exactly twenty bytes', 'exactly twenty bytes', 'application/pdf'],
  ])('%s: the object is deleted and the lease REJECTED with that reason', async (reason, declared, actual, type) => {
    const lease = await alibabaLease(declared);
    await putDirect(broker, lease.key, actual, type);
    expect((await handle({ Records: [recordFor(lease.key, actual)] })).outcomes).toEqual(['rejected']);
    expect(await objectExists(broker, lease.key)).toBe(false);
    const view = await getLease(broker.url, lease.leaseId);
    expect(view.json).toMatchObject({ status: 'REJECTED', rejectReason: reason });
    // A later upload to a rejected lease is an orphan.
    await putDirect(broker, lease.key, declared, 'text/plain');
    expect((await handle({ Records: [recordFor(lease.key, declared)] })).outcomes).toEqual(['orphan-rejected']);
    expect(await objectExists(broker, lease.key)).toBe(false);
    expect((await getLease(broker.url, lease.leaseId)).json.status).toBe('REJECTED');
  });

  test('an object no lease owns is deleted; objects outside the temporary prefix are left alone', async () => {
    const orphanKey = `tmp/${randomBytes(16).toString('hex')}/stray.pdf`;
    const junkKey = 'tmp/not-a-lease/file.txt';
    const foreignKey = 'other/keep-me.txt';
    for (const k of [orphanKey, junkKey, foreignKey]) await putDirect(broker, k, 'stray');
    const { outcomes } = await handle({ Records: [orphanKey, junkKey, foreignKey].map((k) => recordFor(k, 'stray')) });
    expect(outcomes).toEqual(['orphan-no-lease', 'orphan-no-lease', 'ignored']);
    expect(await objectExists(broker, orphanKey)).toBe(false);
    expect(await objectExists(broker, junkKey)).toBe(false);
    expect(await objectExists(broker, foreignKey)).toBe(true);
  });

  test('an upload that lands after the URL (and its grace) expired is deleted and the lease EXPIRED', async () => {
    const lease = await alibabaLease('late bytes');
    const record = await stored(lease.leaseId);
    const late = record.urlExpiresAt + broker.config.pendingGraceSeconds * 1000 + 1;
    await putDirect(broker, lease.key, 'late bytes', 'text/plain');
    expect((await handle({ Records: [recordFor(lease.key, 'late bytes', nextSequencer(), late)] })).outcomes).toEqual(['orphan-late']);
    expect(await objectExists(broker, lease.key)).toBe(false);
    expect(await stored(lease.leaseId)).toMatchObject({ status: 'EXPIRED' });
    expect((await stored(lease.leaseId)).dueAt).toBeUndefined();
  });

  test('keys arrive URL-encoded as S3 sends them and decode back to their lease', async () => {
    const lease = await alibabaLease('encoded', 'my file + ü #1 100%.txt');
    expect(lease.key).toBe(`tmp/${lease.leaseId}/my_file_ü_1_100_.txt`);
    const record = recordFor(lease.key, 'encoded');
    expect(record.s3.object.key).toBe(`tmp/${lease.leaseId}/my_file_%C3%BC_1_100_.txt`);
    await putDirect(broker, lease.key, 'encoded', 'text/plain');
    expect((await handle({ Records: [record] })).outcomes).toEqual(['uploaded']);
    expect((await stored(lease.leaseId)).status).toBe('UPLOADED');
  });
});
