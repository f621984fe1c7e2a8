import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { log } from '../../../shared/log.js';
import { issueLease } from '../../../shared/lease/engine.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import { sweepDueLeases } from '../../../shared/lease/sweep.js';
import { dueShardOf, LEASE_TABLE } from '../../../shared/lease/table.js';
import { recordUpload } from '../../../shared/lease/uploads.js';
import { engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';

const RETENTION_MS = 43_200_000;
const RECORD_RETENTION_S = 86_400;
let counter = 0;

/** A fresh Azure-shaped lease id whose due shard is `shard` (when given). */
function leaseIdIn(shard?: number): string {
  for (;;) {
    const id = (counter++).toString(16).padStart(32, '0');
    if (shard === undefined || dueShardOf(id) === `DUE#${shard}`) return id;
  }
}

/** Issues a lease, uploads its object, records the upload: an UPLOADED lease due at eventTime + retention. */
async function uploadedLease(f: EngineFixture, leaseId = leaseIdIn()): Promise<LeaseRecord> {
  const objectKey = `tmp/${leaseId}/code-1`;
  await issueLease(f, { leaseId, contract: 'azure-ml', scope: 's', objectKey, pendingUploadId: leaseId }, { createOrGet: true });
  f.objects.put(objectKey, { size: 4, eTag: '"e"' });
  const outcome = await recordUpload(f, { key: objectKey, size: 4, eTag: '"e"', sequencer: '0A', eventTime: f.clock.now() });
  expect(outcome).toBe('uploaded');
  return f.store.item(leaseId)!;
}

describe('sweepDueLeases', () => {
  test('expires an uploaded lease once its retention is over: object deleted, EXPIRED as of its due time, out of the index', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(lease.retainUntil! - 1);
    expect(await sweepDueLeases(f)).toEqual({ examined: 0, expired: 0, settled: 0, failed: 0 });
    expect(f.objects.has(lease.objectKey)).toBe(true);

    const sweptAt = lease.retainUntil! + 90_000;
    f.clock.set(sweptAt);
    expect(await sweepDueLeases(f)).toEqual({ examined: 1, expired: 1, settled: 0, failed: 0 });
    expect(f.objects.has(lease.objectKey)).toBe(false);
    const { dueAt: _d, ...rest } = lease;
    expect(f.store.item(lease.leaseId)).toEqual({
      ...rest,
      status: 'EXPIRED',
      expiredAt: T0 + RETENTION_MS,
      recordExpiresAt: (Math.ceil(sweptAt / 1000) + RECORD_RETENTION_S) * 1000,
    });
    // Nothing left to do.
    expect(await sweepDueLeases(f)).toEqual({ examined: 0, expired: 0, settled: 0, failed: 0 });
  });

  test('a lease exactly at its due time is due', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(lease.dueAt!);
    expect(await sweepDueLeases(f)).toMatchObject({ expired: 1 });
  });

  test('an unused PENDING lease is expired after its URL lifetime and grace, its (absent) object deleted', async () => {
    const f = engineFixture();
    const leaseId = leaseIdIn();
    const { lease } = await issueLease(f, { leaseId, contract: 'azure-ml', scope: 's', objectKey: `tmp/${leaseId}/c`, pendingUploadId: 'p' }, { createOrGet: true });
    f.clock.set(lease.dueAt!);
    expect(await sweepDueLeases(f)).toEqual({ examined: 1, expired: 1, settled: 0, failed: 0 });
    expect(f.objects.deleted).toEqual([lease.objectKey]);
    expect(f.store.item(leaseId)).toMatchObject({ status: 'EXPIRED', expiredAt: lease.dueAt });
  });

  test('every shard of the due index is swept', async () => {
    const f = engineFixture();
    const leases = [];
    for (let shard = 0; shard < LEASE_TABLE.dueShards; shard++) leases.push(await uploadedLease(f, leaseIdIn(shard)));
    f.clock.set(T0 + RETENTION_MS);
    expect(await sweepDueLeases(f)).toEqual({ examined: leases.length, expired: leases.length, settled: 0, failed: 0 });
    for (const lease of leases) expect(f.store.item(lease.leaseId)!.status).toBe('EXPIRED');
  });

  test('due leases beyond the first page are swept in the same run', async () => {
    const f = engineFixture();
    f.store.pageSize = 2;
    const leases = [];
    for (let i = 0; i < 7; i++) leases.push(await uploadedLease(f, leaseIdIn(1)));
    f.clock.set(T0 + RETENTION_MS);
    expect(await sweepDueLeases(f)).toEqual({ examined: 7, expired: 7, settled: 0, failed: 0 });
    expect(f.store.calls.duePages).toBeGreaterThan(LEASE_TABLE.dueShards);
    for (const lease of leases) expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test('a failed delete leaves the lease due and untouched; the next run expires it', async () => {
    const f = engineFixture();
    const failing = await uploadedLease(f);
    const fine = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    f.objects.failDeletes(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }), 1);
    const first = await sweepDueLeases(f);
    expect(first).toEqual({ examined: 2, expired: 1, settled: 0, failed: 1 });
    const [stillDue] = [failing, fine].filter((l) => f.store.item(l.leaseId)!.status === 'UPLOADED');
    expect(f.store.item(stillDue!.leaseId)).toEqual(stillDue);
    expect(f.objects.has(stillDue!.objectKey)).toBe(true);
    expect(await sweepDueLeases(f)).toEqual({ examined: 1, expired: 1, settled: 0, failed: 0 });
    expect(f.objects.has(stillDue!.objectKey)).toBe(false);
  });

  test('a lease changed between the read and the write is not expired and not counted', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    // A re-upload lands meanwhile: newer sequencer, new retention.
    const renewed: LeaseRecord = { ...lease, sequencer: '0B', retainUntil: T0 + 2 * RETENTION_MS, dueAt: T0 + 2 * RETENTION_MS };
    f.store.beforeNextTransition(() => f.store.set(renewed));
    expect(await sweepDueLeases(f)).toEqual({ examined: 1, expired: 0, settled: 0, failed: 0 });
    expect(f.store.item(lease.leaseId)).toEqual(renewed);
  });

  test.each([
    ['its status', { status: 'REJECTED' as const }],
    ['its sequencer', { sequencer: '0F' }],
    ['its due time (same status and sequencer)', { dueAt: T0 + RETENTION_MS + 1 }],
  ])('the write is conditional on %s', async (_what, change) => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS + 10);
    f.store.beforeNextTransition(() => f.store.set({ ...lease, ...change }));
    expect(await sweepDueLeases(f)).toMatchObject({ expired: 0 });
    expect(f.store.item(lease.leaseId)).toEqual({ ...lease, ...change });
  });

  test('index entries whose lease is gone, already expired or not yet due are skipped without a write', async () => {
    const f = engineFixture();
    const gone = await uploadedLease(f);
    const expired = await uploadedLease(f);
    const notYet = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    f.store.remove(gone.leaseId);
    f.store.set({ ...expired, status: 'EXPIRED' });
    // The index still lists it as due, but the record says it was renewed (index lag).
    const fakeIndex = { ...f.store, dueLeaseIds: async function* () { yield gone.leaseId; yield expired.leaseId; yield notYet.leaseId; } };
    f.store.set({ ...notYet, retainUntil: T0 + 2 * RETENTION_MS, dueAt: T0 + 2 * RETENTION_MS });
    expect(await sweepDueLeases({ ...f, store: fakeIndex })).toEqual({ examined: 3, expired: 0, settled: 0, failed: 0 });
    expect(f.store.calls.transition).toBe(3); // the three uploads only
    expect(f.objects.deleted).toEqual([]);
  });

  test('a failing store read counts as failed and does not stop the run', async () => {
    const f = engineFixture();
    const a = await uploadedLease(f);
    const b = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    let failedOnce = false;
    const store = {
      ...f.store,
      get: async (id: string) => {
        if (!failedOnce) {
          failedOnce = true;
          throw new Error('read failed');
        }
        return f.store.get(id);
      },
    };
    expect(await sweepDueLeases({ ...f, store })).toEqual({ examined: 2, expired: 1, settled: 0, failed: 1 });
    expect([a, b].map((l) => f.store.item(l.leaseId)!.status).sort()).toEqual(['EXPIRED', 'UPLOADED']);
  });
});

describe('sweepDueLeases: what operators see in the logs', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('one summary per run that found work, none for an idle run; each failure names its lease', async () => {
    const info = jest.spyOn(log, 'info').mockImplementation(() => undefined);
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    const f = engineFixture();
    expect(await sweepDueLeases(f)).toEqual({ examined: 0, expired: 0, settled: 0, failed: 0 });
    expect(info).not.toHaveBeenCalled();
    const a = await uploadedLease(f);
    const b = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const cause = new Error('SlowDown');
    f.objects.failDeletes(cause, 1);
    await sweepDueLeases(f);
    expect(info).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledWith('retention sweep', { examined: 2, expired: 1, settled: 0, failed: 1 });
    expect(error).toHaveBeenCalledTimes(1);
    const [message, fields, logged] = error.mock.calls[0]!;
    expect(message).toBe('sweep could not expire lease; it stays due for the next sweep');
    const failed = [a, b].find((l) => f.store.item(l.leaseId)!.status === 'UPLOADED')!;
    expect(fields).toStrictEqual({ leaseId: failed.leaseId });
    expect(logged).toBe(cause);
  });
});
