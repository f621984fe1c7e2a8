import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { log } from '../../../shared/log.js';
import { consumeLease, deleteConsumed } from '../../../shared/lease/consume.js';
import { issueLease } from '../../../shared/lease/engine.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import type { DueLease } from '../../../shared/lease/ports.js';
import { PENDING_SETTLE_MS, sweepDueLeases } from '../../../shared/lease/sweep.js';
import { dueShardOf } from '../../../shared/adapters/lease-table.js';
import { recordUpload } from '../../../shared/lease/uploads.js';
import { engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';
import { allDueLeases } from '../../support/memory-store.js';
import { DELETE_BATCH } from '../../../shared/lease/ports.js';
import { DUE_SHARD_LIMITS } from '../../../shared/config.js';

const RETENTION_MS = 43_200_000;
const IDLE = { examined: 0, expired: 0, settled: 0, failed: 0, stoppedEarly: false, retentionLagSeconds: 0 };
const RECORD_RETENTION_S = 86_400;
let counter = 0;

/** A fresh Azure-shaped lease id whose due shard is `shard` (when given). */
function leaseIdIn(shard?: number): string {
  for (;;) {
    const id = (counter++).toString(16).padStart(32, '0');
    if (shard === undefined || dueShardOf(id, DUE_SHARD_LIMITS.min) === `DUE#${shard}`) return id;
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

/** Consumes an uploaded lease: CONSUMED, due at once for the move to its permanent key. */
async function consumedLease(f: EngineFixture, leaseId = leaseIdIn()): Promise<LeaseRecord> {
  const lease = await uploadedLease(f, leaseId);
  return consumeLease(f, lease.leaseId, () => true, { kind: 'broker', id: 'c' }, { idempotent: false });
}

/** The object store, recording the size of every DeleteObjects batch (S3 takes at most DELETE_BATCH keys). */
function countingDeletes(f: EngineFixture) {
  const batches: number[] = [];
  const objects = {
    ...f.objects,
    deleteMany: (keys: readonly string[]) => {
      batches.push(keys.length);
      if (keys.length > DELETE_BATCH) throw new Error(`deleteMany takes at most ${DELETE_BATCH} keys`);
      return f.objects.deleteMany(keys);
    },
  };
  return { objects, batches };
}

/** The store with a due index that answers with `entries` (in shard 0) whatever is in the table. */
const indexShowing = (f: EngineFixture, entries: DueLease[]) => ({
  ...f.store,
  dueLeases: async function* (shard: number) {
    if (shard === 0) yield entries;
  },
});

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
    for (let shard = 0; shard < DUE_SHARD_LIMITS.min; shard++) leases.push(await uploadedLease(f, leaseIdIn(shard)));
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

  test('objects go in DeleteObjects batches of at most 1,000; a failed batch leaves its leases due, the next batch still goes', async () => {
    const f = engineFixture();
    f.store.pageSize = 2 * DELETE_BATCH;
    const template = await uploadedLease(f, leaseIdIn(0));
    const leases = [template];
    for (let i = 0; i < DELETE_BATCH; i++) {
      const leaseId = leaseIdIn(0);
      const objectKey = `tmp/${leaseId}/code-1`;
      f.store.set({ ...template, leaseId, objectKey, pendingUploadId: leaseId });
      f.objects.put(objectKey, { size: 4, eTag: '"e"' });
      leases.push(f.store.item(leaseId)!);
    }
    f.clock.set(T0 + RETENTION_MS);
    const { objects, batches } = countingDeletes(f);
    f.objects.failDeletes(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }), 1);
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      expect(await sweepDueLeases({ ...f, objects })).toEqual({ ...IDLE, examined: 1001, expired: 1, failed: 1000 });
      expect(batches).toEqual([1000, 1]);
      expect(error).toHaveBeenCalledTimes(1);
      expect(error.mock.calls[0]).toEqual([
        'sweep could not delete a batch of objects; its leases stay due for the next sweep',
        { leases: 1000 },
        expect.objectContaining({ name: 'SlowDown' }),
      ]);
    } finally {
      error.mockRestore();
    }
    expect(leases.filter((l) => f.store.item(l.leaseId)!.status === 'UPLOADED')).toHaveLength(1000);
    expect(leases.filter((l) => f.objects.has(l.objectKey))).toHaveLength(1000);
    batches.length = 0;
    expect(await sweepDueLeases({ ...f, objects })).toEqual({ ...IDLE, examined: 1000, expired: 1000 });
    expect(batches).toEqual([1000]);
  });

  test('a failed write after the delete counts as failed and names its lease; the lease stays due and the next run expires it', async () => {
    const f = engineFixture();
    const failing = await uploadedLease(f);
    const fine = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const boom = new Error('throttled');
    const store = {
      ...f.store,
      transition: (...args: Parameters<typeof f.store.transition>) => (args[0] === failing.leaseId ? Promise.reject(boom) : f.store.transition(...args)),
    };
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      expect(await sweepDueLeases({ ...f, store })).toEqual({ ...IDLE, examined: 2, expired: 1, failed: 1 });
      expect(error.mock.calls).toEqual([['sweep could not expire lease; it stays due for the next sweep', { leaseId: failing.leaseId }, boom]]);
    } finally {
      error.mockRestore();
    }
    expect(f.store.item(failing.leaseId)).toEqual(failing);
    expect(f.store.item(fine.leaseId)!.status).toBe('EXPIRED');
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, expired: 1 });
  });

  test.each([
    ['a newer upload with the same due time (another sequencer)', (l: LeaseRecord) => ({ ...l, sequencer: '0F' })],
    ['a due time that moved, though it is past too', (l: LeaseRecord) => ({ ...l, dueAt: l.dueAt! + 1 })],
  ])('an entry the consistent re-read contradicts deletes nothing and writes nothing: %s', async (_what, change) => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS + 60_000);
    const entries = await allDueLeases(f.store, f.clock.now());
    f.store.set(change(lease));
    const { objects, batches } = countingDeletes(f);
    const transitions = f.store.calls.transition;
    expect(await sweepDueLeases({ ...f, objects, store: indexShowing(f, entries) })).toMatchObject({ examined: 1, expired: 0, failed: 0 });
    // Not even an empty DeleteObjects.
    expect(batches).toEqual([]);
    expect(f.store.calls.transition).toBe(transitions);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.store.item(lease.leaseId)).toEqual(change(lease));
  });

  test('the object goes only on the record\'s word: an index entry for a lease that is not over yet deletes nothing', async () => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    const entries = await allDueLeases(f.store, lease.dueAt!);
    f.clock.set(lease.dueAt! - 1);
    expect(await sweepDueLeases({ ...f, store: indexShowing(f, entries) })).toMatchObject({ examined: 1, expired: 0, failed: 0 });
    expect(f.objects.deleted).toEqual([]);
    expect(f.store.item(lease.leaseId)).toEqual(lease);
  });

  test.each([
    ['the object key', ({ objectKey: _k, ...e }: DueLease) => e],
    ['the status', ({ status: _s, ...e }: DueLease) => e],
  ])('an index entry without %s is not acted upon and counts as failed', async (_what, strip) => {
    const f = engineFixture();
    const lease = await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const entries = (await allDueLeases(f.store, f.clock.now())).map((e) => strip(e) as DueLease);
    expect(await sweepDueLeases({ ...f, store: indexShowing(f, entries) })).toMatchObject({ examined: 1, expired: 0, failed: 1 });
    expect(f.objects.deleted).toEqual([]);
    expect(f.store.item(lease.leaseId)).toEqual(lease);
  });

  test('consumed and deleted leases are settled from their records: files moved (the temporary one later) or deleted, with no DeleteObjects', async () => {
    const f = engineFixture();
    const consumed = await consumedLease(f);
    const deleted = (await deleteConsumed(f, (await consumedLease(f)).leaseId, 'c'))!;
    // Due for longer than an unused PENDING lease waits: still nothing to expire.
    const now = T0 + PENDING_SETTLE_MS + 1000;
    f.clock.set(now);
    const { objects, batches } = countingDeletes(f);
    const batchGets = f.store.calls.getMany;
    expect(await sweepDueLeases({ ...f, objects })).toEqual({ ...IDLE, examined: 2, settled: 2 });
    // The index does not project whether a file has moved: the records are read, one BatchGet a shard page.
    expect(f.store.calls.getMany - batchGets).toBe(new Set([consumed.leaseId, deleted.leaseId].map((id) => dueShardOf(id, f.store.dueShards))).size);
    expect(batches).toEqual([]);
    expect(f.store.item(consumed.leaseId)).toMatchObject({ status: 'CONSUMED', movedAt: now, dueAt: now + 660_000 });
    expect(f.objects.has(consumed.storedKey!)).toBe(true);
    expect(f.objects.has(consumed.objectKey)).toBe(true);
    f.clock.set(now + 660_000);
    expect(await sweepDueLeases({ ...f, objects })).toEqual({ ...IDLE, examined: 1, settled: 1 });
    expect(f.store.item(consumed.leaseId)!.dueAt).toBeUndefined();
    expect(f.objects.has(consumed.objectKey)).toBe(false);
    expect(f.store.item(deleted.leaseId)).toMatchObject({ status: 'DELETED' });
    expect(f.store.item(deleted.leaseId)!.dueAt).toBeUndefined();
    expect(f.objects.has(deleted.objectKey)).toBe(false);
    expect(f.objects.deleted).toContain(deleted.storedKey);
  });

  test('a page with nothing to settle reads no records for settling (one BatchGet: the expiry\'s)', async () => {
    const f = engineFixture();
    await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const reads = f.store.calls.getMany;
    expect(await sweepDueLeases(f)).toMatchObject({ examined: 1, expired: 1 });
    expect(f.store.calls.getMany - reads).toBe(1);
  });

  test('the records of leases to settle cannot be read: nothing is done, they count as failed, named in one error, and stay due', async () => {
    const f = engineFixture();
    const consumed = await consumedLease(f);
    const boom = new Error('dynamodb down');
    const store = { ...f.store, getMany: async () => Promise.reject(boom) };
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      expect(await sweepDueLeases({ ...f, store })).toEqual({ ...IDLE, examined: 1, failed: 1 });
      expect(error.mock.calls).toEqual([['sweep could not read leases to settle; they stay due for the next sweep', { leases: 1 }, boom]]);
    } finally {
      error.mockRestore();
    }
    expect(f.objects.copies).toEqual([]);
    expect(f.store.item(consumed.leaseId)).toEqual(consumed);
  });

  test.each([
    ['gone (its TTL ran out)', (f: EngineFixture, l: LeaseRecord) => f.store.remove(l.leaseId)],
    ['settled already', (f: EngineFixture, { dueAt: _d, ...l }: LeaseRecord) => f.store.set({ ...l, movedAt: T0 })],
    ['moved, its temporary object due later', (f: EngineFixture, l: LeaseRecord) => f.store.set({ ...l, movedAt: T0, dueAt: T0 + 660_000 })],
  ])('an index entry whose lease is %s by the time it is read: nothing done, nothing counted', async (_what, change) => {
    const f = engineFixture();
    const consumed = await consumedLease(f);
    const entries = await allDueLeases(f.store, f.clock.now());
    change(f, consumed);
    const before = { copies: f.objects.copies.length, deleted: f.objects.deleted.length, writes: f.store.calls.transition };
    expect(await sweepDueLeases({ ...f, store: { ...indexShowing(f, entries), getMany: f.store.getMany } })).toEqual({ ...IDLE, examined: 1 });
    expect({ copies: f.objects.copies.length, deleted: f.objects.deleted.length, writes: f.store.calls.transition }).toEqual(before);
  });

  test('a settlement that cannot be done yet (the temporary object holds other bytes) counts as failed, not settled', async () => {
    const f = engineFixture();
    const consumed = await consumedLease(f);
    f.objects.put(consumed.objectKey, { size: 1, eTag: '"replaced"' });
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, failed: 1 });
      // settle.ts says why; the sweep adds nothing, as nothing went wrong in it.
      expect(error).toHaveBeenCalledTimes(1);
      expect(error.mock.calls[0]![0]).toContain('cannot be moved');
    } finally {
      error.mockRestore();
    }
    expect(f.store.item(consumed.leaseId)).toEqual(consumed);
  });

  test('a settlement that fails counts as failed and names its lease; the lease stays due', async () => {
    const f = engineFixture();
    const consumed = await consumedLease(f);
    const boom = new Error('s3 down');
    f.objects.failCopies(boom, 1);
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, failed: 1 });
      expect(error.mock.calls).toEqual([['sweep could not settle lease; it stays due for the next sweep', { leaseId: consumed.leaseId }, boom]]);
    } finally {
      error.mockRestore();
    }
    expect(f.store.item(consumed.leaseId)).toEqual(consumed);
  });

  test('a lease that keeps changing under its settlement is left due and counts as failed, not settled', async () => {
    const f = engineFixture();
    const consumed = await consumedLease(f);
    const deleted: LeaseRecord = { ...consumed, status: 'DELETED', deletedAt: T0, recordExpiresAt: T0 + 1_000_000 };
    f.store.beforeNextTransition(() => f.store.set(deleted));
    f.store.beforeNextTransition(() => f.store.set({ ...deleted, dueAt: T0 + 1 }));
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, failed: 1 });
    expect(f.store.item(consumed.leaseId)!.dueAt).toBe(T0 + 1);
    f.clock.set(T0 + 1);
    expect(await sweepDueLeases(f)).toEqual({ ...IDLE, examined: 1, settled: 1 });
  });

  test('at the deadline itself no page is started', async () => {
    const f = engineFixture();
    await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      expect(await sweepDueLeases(f, { deadline: 1_000_000 })).toMatchObject({ examined: 0, stoppedEarly: true });
      expect(await sweepDueLeases(f, { deadline: 1_000_001 })).toMatchObject({ examined: 1, expired: 1, stoppedEarly: false });
    } finally {
      jest.restoreAllMocks();
    }
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

  test('a run stopped before its first page, with due work left, still reports (the lag is what an operator needs)', async () => {
    const info = jest.spyOn(log, 'info').mockImplementation(() => undefined);
    const f = engineFixture();
    await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS + 120_000);
    await sweepDueLeases(f, { deadline: Date.now() - 1 });
    expect(info.mock.calls).toEqual([['retention sweep', { ...IDLE, stoppedEarly: true, retentionLagSeconds: 120 }]]);
  });

  test('a shard whose index read fails is named', async () => {
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    const f = engineFixture();
    const boom = new Error('index read failed');
    const store = {
      ...f.store,
      dueLeases: (shard: number, now: number) => {
        if (shard === 2) throw boom;
        return f.store.dueLeases(shard, now);
      },
    };
    expect(await sweepDueLeases({ ...f, store })).toEqual({ ...IDLE, failed: 1 });
    expect(error.mock.calls).toEqual([['sweep could not read the due index; the rest of the shard waits for the next sweep', { shard: 2 }, boom]]);
  });

  test('when the lag cannot be measured it is unknown, with a warning; the run itself is reported as usual', async () => {
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    const info = jest.spyOn(log, 'info').mockImplementation(() => undefined);
    const f = engineFixture();
    await uploadedLease(f);
    f.clock.set(T0 + RETENTION_MS);
    const boom = new Error('index read failed');
    const store = { ...f.store, oldestDueAt: () => Promise.reject(boom) };
    const report = { ...IDLE, examined: 1, expired: 1, retentionLagSeconds: undefined };
    expect(await sweepDueLeases({ ...f, store })).toEqual(report);
    expect(warn.mock.calls).toEqual([['retention lag unknown: the due index could not be read', {}, boom]]);
    expect(info.mock.calls).toEqual([['retention sweep', report]]);
  });
});
