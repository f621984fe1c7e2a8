import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createSequencer, toS3EventRecord } from '../../local/s3-event-records.js';
import { fixedClock } from '../support/clock.js';
import { DependencyError } from '../../shared/errors.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { sweepDueLeases } from '../../shared/lease/sweep.js';
import type { LeaseStore, ObjectStore } from '../../shared/lease/ports.js';
import { postForm, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { objectExists, putDirect } from '../support/storage.js';

/** Faults injected in front of the real (embedded) DynamoDB and S3. */
const clock = fixedClock(Date.now());
let broker: TestBroker;
const nextSequencer = createSequencer();
const md5 = (b: string) => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  broker = await startTestBroker({ clock, deliverS3Events: false });
});
afterAll(() => broker.dispose());

/** Fails the first call of `method` whose first argument `when` accepts; every other call goes through. */
function failingOnce<T extends object>(target: T, method: keyof T, error: () => Error, when: (arg: unknown) => boolean = () => true): T & { failures: number } {
  let failed = false;
  const wrapper = Object.create(target) as T & { failures: number };
  wrapper.failures = 0;
  (wrapper as any)[method] = async (...args: unknown[]) => {
    if (!failed && when(args[0])) {
      failed = true;
      wrapper.failures++;
      throw error();
    }
    return (target as any)[method](...args);
  };
  return wrapper;
}

async function uploaded(body: string) {
  const res = await postForm(broker.url, '/ws_faults/datacenter/category/default', { FileName: 'f.txt', Md5: md5(body), SizeInBytes: String(body.length) });
  const leaseId = res.json.Data.FileUploadLeaseId as string;
  const key = `tmp/${leaseId}/f.txt`;
  await putDirect(broker, key, body, 'text/plain');
  const record = toS3EventRecord({ bucket: broker.config.bucketName, key, size: body.length, eTag: md5(body), region: 'us-east-1', sequencer: nextSequencer(), eventTime: new Date(clock.now()) });
  return { leaseId, key, record };
}

describe('faults in the event handler and the sweep', () => {
  test('a throttled DynamoDB write fails the invocation; the retry records the upload exactly once', async () => {
    const { leaseId, record } = await uploaded('retry me');
    const other = await uploaded('unaffected');
    const store = failingOnce<LeaseStore>(broker.deps.store, 'transition', () => new DependencyError('dynamodb', true));
    const handle = s3UploadEventHandler({ ...broker.deps, store });
    // The failing record does not stop the other record in the batch.
    await expect(handle({ Records: [record, other.record] })).rejects.toBeInstanceOf(DependencyError);
    expect(store.failures).toBe(1);
    expect((await broker.deps.store.get(leaseId))!.status).toBe('PENDING');
    expect((await broker.deps.store.get(other.leaseId))!.status).toBe('UPLOADED');
    // Lambda retries the whole event.
    const retry = await handle({ Records: [record, other.record] });
    expect(retry.outcomes).toEqual(['uploaded', 'duplicate']);
    expect((await broker.deps.store.get(leaseId))!).toMatchObject({ status: 'UPLOADED', sequencer: record.s3.object.sequencer });
  });

  test('an error that cannot heal fails the invocation too, after the rest of the batch: nothing is dropped', async () => {
    const bad = await uploaded('bad');
    const good = await uploaded('good');
    const store = failingOnce<LeaseStore>(broker.deps.store, 'transition', () => new TypeError('malformed record'), (id) => id === bad.leaseId);
    const handle = s3UploadEventHandler({ ...broker.deps, store });
    await expect(handle({ Records: [bad.record, good.record] })).rejects.toBeInstanceOf(TypeError);
    expect(store.failures).toBe(1);
    expect((await broker.deps.store.get(good.leaseId))!.status).toBe('UPLOADED');
    expect((await broker.deps.store.get(bad.leaseId))!.status).toBe('PENDING');
    // Lambda's retry (the bug gone, as after a fix and a redrive of the parked event) records it.
    expect((await handle({ Records: [bad.record, good.record] })).outcomes).toEqual(['uploaded', 'duplicate']);
  });

  test('a failing object delete in the sweep leaves the lease due; the next sweep deletes and expires it', async () => {
    const { leaseId, key, record } = await uploaded('expire me');
    await s3UploadEventHandler(broker.deps)({ Records: [record] });
    clock.advance(broker.config.retentionSeconds * 1000 + 1);
    // The sweep deletes in batches: the whole batch holding this key fails once.
    const objects = failingOnce<ObjectStore>(broker.deps.objects, 'deleteMany', () => new DependencyError('s3', false), (keys) => (keys as string[]).includes(key));
    const first = await sweepDueLeases({ ...broker.deps, objects });
    expect(objects.failures).toBe(1);
    expect(first.failed).toBeGreaterThanOrEqual(1);
    expect((await broker.deps.store.get(leaseId))!.status).toBe('UPLOADED');
    expect(await objectExists(broker, key)).toBe(true);
    const second = await sweepDueLeases(broker.deps);
    expect(second.failed).toBe(0);
    expect(await objectExists(broker, key)).toBe(false);
    expect((await broker.deps.store.get(leaseId))!.status).toBe('EXPIRED');
  });
});
