import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { log } from '../../../shared/log.js';
import { issueLease } from '../../../shared/lease/engine.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import { PENDING_SETTLE_MS, sweepDueLeases } from '../../../shared/lease/sweep.js';
import { DUE_INDEX, dueShardOf } from '../../../shared/lease/table.js';
import { recordUpload } from '../../../shared/lease/uploads.js';
import { engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';
import { allDueLeases } from '../../support/memory-store.js';

const RETENTION_MS = 43_200_000;
const IDLE = { examined: 0, expired: 0, settled: 0, failed: 0, stoppedEarly: false, retentionLagSeconds: 0 };
const RECORD_RETENTION_S = 86_400;
let counter = 0;

/** A fresh Azure-shaped lease id whose due shard is `shard` (when given). */
function leaseIdIn(shard?: number): string {
  for (;;) {
    const id = (counter++).toString(16).padStart(32, '0');
    if (shard === undefined || dueShardOf(id, DUE_INDEX.defaultShards) === `DUE#${shard}`) return id;
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
    expect(await sweepDueLeases(f)).toEqual(IDLE);
    expect(f.objects.has(lease.objectKey)).toBe(true);

    const sweptAt = lease.retainUntil! + 90_000;
    f.clock.set(sweptAt);
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, expired: 1 });
    expect(f.objects.has(lease.objectKey)).toBe(false);
    const { dueAt: _d, ...rest } = lease;
    expect(f.store.item(lease.leaseId)).toEqual({
      ...rest,
      status: 'EXPIRED',
      expiredAt: T0 + RETENTION_MS,
      recordExpiresAt: (Math.ceil(sweptAt / 1000) + RECORD_RETENTION_S) * 1000,
    });
    // Nothing left to do.
    expect(await sweepDueLeases(f)).toEqual(IDLE);
  });

  test('a lease exactly at its due time is due', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(lease.dueAt!);
    expect(await sweepDueLeases(f)).toMatchObject({ expired: 1 });
  });

  test('an unused PENDING lease is expired once it has been due for the index settle time, not at its due time', async () => {
    const f = engineFixture();
    const leaseId = leaseIdIn();
    const { lease } = await issueLease(f, { leaseId, contract: 'azure-ml', scope: 's', objectKey: `tmp/${leaseId}/c`, pendingUploadId: 'p' }, { createOrGet: true });
    f.clock.set(lease.dueAt! + PENDING_SETTLE_MS - 1);
    // It reads EXPIRED already; its (absent) object is left for a moment while the index may lag.
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, retentionLagSeconds: 30 });
    expect(f.objects.deleted).toEqual([]);
    f.clock.set(lease.dueAt! + PENDING_SETTLE_MS);
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, expired: 1 });
    expect(f.objects.deleted).toEqual([lease.objectKey]);
    expect(f.store.item(leaseId)).toMatchObject({ status: 'EXPIRED', expiredAt: lease.dueAt });
  });

  test('every shard of the due index is swept', async () => {
    const f = engineFixture();
    const leases = [];
    for (let shard = 0; shard < DUE_INDEX.defaultShards; shard++) leases.push(await uploadedLease(f, leaseIdIn(shard)));
    f.clock.set(T0 + RETENTION_MS);
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: leases.length, expired: leases.length });
    for (const lease of leases) expect(f.store.item(lease.leaseId)!.status).toBe('EXPIRED');
  });

  test('with more shards configured (DUE_SHARDS), leases spread over all of them and every one is swept', async () => {
    const f = engineFixture({ DUE_SHARDS: '16' });
    const leases = [];
    for (let i = 0; i < 200; i++) leases.push(await uploadedLease(f, leaseIdIn()));
    const shards = new Set(leases.map((l) => dueShardOf(l.leaseId, 16)));
    expect(shards.size).toBe(16);
    f.clock.set(T0 + RETENTION_MS);
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: leases.length, expired: leases.length });
    for (const lease of leases) expect(f.store.item(lease.leaseId)!.status).toBe('EXPIRED');
  });

  test('due leases beyond the first page are swept in the same run, with no read per lease', async () => {
    const f = engineFixture();
    f.store.pageSize = 2;
    const leases = [];
    for (let i = 0; i < 7; i++) leases.push(await uploadedLease(f, leaseIdIn(1)));
    f.clock.set(T0 + RETENTION_MS);
    const reads = f.store.calls.get;
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 7, expired: 7 });
    expect(f.store.calls.get).toBe(reads);
    expect(f.store.calls.duePages).toBeGreaterThan(3);
    for (const lease of leases) expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test('a failed batch delete leaves its leases due and untouched; the next run expires them', async () => {
    const f = engineFixture();
    const leases = [await uploadedLease(f, leaseIdIn(2)), await uploadedLease(f, leaseIdIn(2))];
    f.clock.set(T0 + RETENTION_MS);
    f.objects.failDeletes(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }), 1);
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 2, failed: 2, retentionLagSeconds: 0 });
    for (const lease of leases) {
      expect(f.store.item(lease.leaseId)).toEqual(lease);
      expect(f.objects.has(lease.objectKey)).toBe(true);
    }
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 2, expired: 2 });
  });

  test('a key S3 could not delete keeps its lease due; the others of the batch expire; the lag shows it', async () => {
    const f = engineFixture();
    const failing = await uploadedLease(f);
    const fine = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS + 60_000);
    f.objects.refuseDeleteOf(failing.objectKey);
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 2, expired: 1, failed: 1, retentionLagSeconds: 60 });
    expect(f.store.item(failing.leaseId)).toEqual(failing);
    expect(f.store.item(fine.leaseId)!.status).toBe('EXPIRED');
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, expired: 1 });
  });

  test('a lease changed between the index read and the write is not expired and not counted', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const changed: LeaseRecord = { ...lease, status: 'CONSUMED', consumedAt: T0, consumedBy: { kind: 'broker', id: 'x' }, storedKey: 'files/x/y' };
    f.store.beforeNextTransition(() => f.store.set(changed));
    expect(await sweepDueLeases(f)).toMatchObject({ examined: 1, expired: 0 });
    expect(f.store.item(lease.leaseId)).toEqual(changed);
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

  test('stale index entries (a lease gone, already expired, or re-uploaded and due later now) lose no object and get no write', async () => {
    const f = engineFixture();
    const gone = await uploadedLease(f);
    const expired = await uploadedLease(f);
    const later = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const stale = await allDueLeases(f.store, T0 + RETENTION_MS);
    f.store.remove(gone.leaseId);
    f.store.set({ ...expired, status: 'EXPIRED' });
    f.store.set({ ...later, retainUntil: T0 + 2 * RETENTION_MS, dueAt: T0 + 2 * RETENTION_MS });
    const laggingIndex = { ...f.store, dueLeases: async function* (shard: number) { if (shard === 0) yield stale; } };
    const before = f.store.calls.transition;
    expect(await sweepDueLeases({ ...f, store: laggingIndex })).toMatchObject({ examined: 3, expired: 0, failed: 0 });
    // The consistent re-read before the delete catches all three: nothing deleted, nothing written.
    expect(f.store.calls.transition - before).toBe(0);
    expect(f.objects.deleted).toEqual([]);
    expect(f.objects.has(later.objectKey)).toBe(true);
    expect(f.store.item(expired.leaseId)!.status).toBe('EXPIRED');
    expect(f.store.item(later.leaseId)!.status).toBe('UPLOADED');
  });

  test('index entries without the projected attributes (an index not migrated) count as failed, loudly', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const keysOnly = { ...f.store, dueLeases: async function* (shard: number) { if (shard === 0) yield [{ leaseId: lease.leaseId, dueAt: lease.dueAt! } as never]; } };
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      expect(await sweepDueLeases({ ...f, store: keysOnly })).toMatchObject({ examined: 1, expired: 0, failed: 1 });
      expect(error).toHaveBeenCalledWith(expect.stringContaining('migrate the index'), { leases: 1 });
    } finally {
      error.mockRestore();
    }
    expect(f.objects.has(lease.objectKey)).toBe(true);
  });

  test('a shard whose index read fails counts as failed; the other shards are swept', async () => {
    const f = engineFixture();
    const inShard0 = await uploadedLease(f, leaseIdIn(0));
    const inShard1 = await uploadedLease(f, leaseIdIn(1));
    f.clock.set(T0 + RETENTION_MS);
    const store = {
      ...f.store,
      dueLeases: (shard: number, now: number) => {
        if (shard === 0) throw new Error('index read failed');
        return f.store.dueLeases(shard, now);
      },
    };
    expect(await sweepDueLeases({ ...f, store })).toMatchObject({ expired: 1, failed: 1 });
    expect(f.store.item(inShard0.leaseId)!.status).toBe('UPLOADED');
    expect(f.store.item(inShard1.leaseId)!.status).toBe('EXPIRED');
  });

  test('past the deadline no page is started: the run stops early and the lag says how far behind it is', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS + 120_000);
    expect(await sweepDueLeases(f, { deadline: Date.now() - 1 })).toEqual({ ...IDLE, stoppedEarly: true, retentionLagSeconds: 120 });
    expect(f.store.item(lease.leaseId)!.status).toBe('UPLOADED');
    expect(await sweepDueLeases(f, { deadline: Date.now() + 60_000 })).toMatchObject({ expired: 1, stoppedEarly: false, retentionLagSeconds: 0 });
  });

  test('transitions run concurrently, never more than the bound at once', async () => {
    const f = engineFixture();
    for (let i = 0; i < 20; i++) await uploadedLease(f, leaseIdIn(3));
    f.clock.set(T0 + RETENTION_MS);
    let inFlight = 0;
    let peak = 0;
    const store = {
      ...f.store,
      transition: async (...args: Parameters<typeof f.store.transition>) => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setImmediate(r));
        try {
          return await f.store.transition(...args);
        } finally {
          inFlight--;
        }
      },
    };
    // The bound is over all shards together: 16 over the default 4 shards is 4 in one shard.
    expect(await sweepDueLeases({ ...f, store }, { concurrency: 16 })).toMatchObject({ expired: 20 });
    expect(peak).toBe(4);
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
    expect(await sweepDueLeases(f)).toEqual(IDLE);
    expect(info).not.toHaveBeenCalled();
    const a = await uploadedLease(f);
    await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    f.objects.refuseDeleteOf(a.objectKey);
    await sweepDueLeases(f);
    expect(info).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledWith('retention sweep', { ...IDLE, examined: 2, expired: 1, failed: 1 });
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]!.slice(0, 2)).toEqual(['sweep could not delete an object; its lease stays due for the next sweep', { leaseId: a.leaseId }]);
  });
});
