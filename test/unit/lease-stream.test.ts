import { describe, expect, test } from '@jest/globals';
import { leaseEventEnrichment } from '../../shared/events/lease-event-enrichment.js';
import { leaseSettlerHandler } from '../../shared/events/lease-settler.js';
import { leaseChangeOf } from '../../shared/events/lease-stream.js';
import { toItem } from '../../shared/adapters/lease-item.js';
import { engineFixture, T0 } from '../support/engine-fixture.js';
import { consumedLease, streamRecord } from '../support/stream-records.js';
import { DUE_SHARD_LIMITS } from '../../shared/config.js';

describe('the lease table stream', () => {
  test('lease items become changes (old status, new record, time); rate counters, name claims and removals do not', () => {
    const lease = { leaseId: 'a'.repeat(32), contract: 'azure-ml', scope: 's', objectKey: 'tmp/a/x', status: 'UPLOADED', createdAt: 1, urlExpiresAt: 2, dueAt: 3, expiresAt: 10 };
    const change = leaseChangeOf(streamRecord({ ...lease, status: 'PENDING' }, { ...lease, dueShard: 'DUE#1' }));
    expect(change).toEqual({ previous: 'PENDING', record: { ...lease, expiresAt: undefined, recordExpiresAt: 10_000 }, time: T0 });
    expect(change!.record).not.toHaveProperty('dueShard');
    expect(leaseChangeOf(streamRecord(undefined, lease))!.previous).toBeUndefined();
    expect(leaseChangeOf(streamRecord(undefined, { leaseId: 'rate#alibaba#ws#1', calls: 1 }))).toBeUndefined();
    expect(leaseChangeOf(streamRecord(undefined, { leaseId: 'name#x', owner: 'a', claimedAt: 1 }))).toBeUndefined();
    expect(leaseChangeOf(streamRecord(lease, undefined))).toBeUndefined();
  });

  test('the pipe enrichment: one event per published transition, nothing for the rest', async () => {
    const lease = { leaseId: 'a'.repeat(32), contract: 'azure-ml', scope: 's', objectKey: 'tmp/a/x', createdAt: 1, urlExpiresAt: 2, dueAt: T0 + 1 };
    const events = await leaseEventEnrichment('bucket')([
      streamRecord(undefined, { ...lease, status: 'PENDING' }),
      streamRecord({ ...lease, status: 'PENDING' }, { ...lease, status: 'UPLOADED', size: 1 }),
      streamRecord({ ...lease, status: 'UPLOADED' }, { ...lease, status: 'UPLOADED', urlExpiresAt: 9 }),
      streamRecord(undefined, { leaseId: 'rate#x', calls: 2 }),
      streamRecord({ ...lease, status: 'UPLOADED' }, { ...lease, status: 'CONSUMED', consumedAt: T0, consumedBy: { kind: 'broker', id: 'j' }, storedKey: 'files/a/x' }),
    ]);
    expect(events.map((e) => e.detailType)).toEqual(['Lease Uploaded', 'Lease Consumed']);
    expect(events[1]).toEqual({
      detailType: 'Lease Consumed',
      time: new Date(T0).toISOString(),
      detail: expect.objectContaining({ leaseId: lease.leaseId, status: 'CONSUMED', location: { bucket: 'bucket', key: 'files/a/x' }, consumedBy: { kind: 'broker', id: 'j' } }),
    });
  });

  test('the settler moves what the stream shows as due, skips the rest, and reports the first failure so Lambda retries from it', async () => {
    const f = engineFixture();
    const [a, b] = [await consumedLease(f, '1'.repeat(32)), await consumedLease(f, '2'.repeat(32))];
    const handler = leaseSettlerHandler(f);
    f.objects.failCopies(new Error('s3 down'), 1);
    const records = [
      streamRecord(undefined, { ...toItem(a, DUE_SHARD_LIMITS.min), expiresAt: undefined }, '10'),
      streamRecord(undefined, { ...toItem(b, DUE_SHARD_LIMITS.min), expiresAt: undefined }, '11'),
    ];
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: '10' }] });
    expect(f.store.item(a.leaseId)!.dueAt).toBeDefined();
    // Lambda retries from the failed record, in order.
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    for (const lease of [a, b]) {
      // Moved; the temporary object is the sweep's once the download URLs handed out for it have expired.
      expect(f.store.item(lease.leaseId)).toMatchObject({ movedAt: T0, dueAt: T0 + 660_000 });
      expect(f.objects.has(lease.storedKey!)).toBe(true);
      expect(f.objects.has(lease.objectKey)).toBe(true);
    }
    // The stream's image of that move is no work for the settler: nothing is copied or deleted again.
    const moved = f.store.item(a.leaseId)!;
    const copies = f.objects.copies.length;
    expect(await handler({ Records: [streamRecord(undefined, { ...toItem(moved, DUE_SHARD_LIMITS.min), expiresAt: undefined }, '12')] })).toEqual({ batchItemFailures: [] });
    expect([f.objects.copies.length, f.objects.deleted]).toEqual([copies, []]);
    // An UPLOADED image is not the settler's business.
    expect(await handler({ Records: [streamRecord(undefined, { ...toItem(a, DUE_SHARD_LIMITS.min), status: 'UPLOADED' })] })).toEqual({ batchItemFailures: [] });
  });
});
