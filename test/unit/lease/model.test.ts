import { describe, expect, test } from '@jest/globals';
import { loadConfig, DUE_SHARD_LIMITS } from '../../../shared/config.js';
import { currentKey, downloadUrlSeconds, effectiveStatus, hasReadableObject, LEASE_STATUSES, pendingDueAt, recordExpiryFor, statusSince, tempKeptUntil, tempObjectEnd, toLeaseView, type LeaseRecord } from '../../../shared/lease/model.js';
import { dueShardOf, dueShardsFor } from '../../../shared/adapters/lease-table.js';
import { compareSequencers } from '../../../shared/lease/sequencer.js';
import { T0, TEST_ENV } from '../../support/engine-fixture.js';

const config = loadConfig({ ...TEST_ENV });

const base: LeaseRecord = {
  leaseId: 'a'.repeat(32),
  contract: 'azure-ml',
  scope: 's',
  objectKey: `tmp/${'a'.repeat(32)}/c`,
  status: 'PENDING',
  createdAt: T0,
  urlExpiresAt: T0 + 600_000,
  dueAt: T0 + 900_000,
  recordExpiresAt: 2_000_000_000_000,
};

describe('due shards', () => {
  test.each([4, 16, 64])('are stable per lease id, one of %i shards, and all of them get used', (shards) => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const id = i.toString(16).padStart(32, '0');
      const shard = dueShardOf(id, shards);
      expect(dueShardOf(id, shards)).toBe(shard);
      expect(shard).toMatch(/^DUE#\d+$/);
      seen.set(shard, (seen.get(shard) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: shards }, (_, i) => `DUE#${i}`).sort());
    // Roughly even: no shard holds more than twice its share.
    for (const count of seen.values()) expect(count).toBeLessThan((2 * 4000) / shards);
  });

  test('are sized from the peak upload rate: 3 index writes a lease at 800 a shard, never below the original 4, at most 256', () => {
    expect(dueShardsFor(1)).toBe(4);
    expect(dueShardsFor(1_066)).toBe(4);
    expect(dueShardsFor(1_067)).toBe(5);
    // The default stack: 1,000 uploads a second fit the 4 shards the table always had.
    expect(dueShardsFor(1_000)).toBe(DUE_SHARD_LIMITS.min);
    expect(dueShardsFor(10_000)).toBe(38);
    expect(dueShardsFor(1e9)).toBe(DUE_SHARD_LIMITS.max);
  });

  test('known ids land where they always have (changing the hash would strand indexed leases)', () => {
    expect(['', 'a', 'ab', 'a'.repeat(32), '0123456789abcdef0123456789abcdef.1736935200000'].map((id) => dueShardOf(id, 4))).toEqual(
      // 31-based string hash of the UTF-16 code units, unsigned 32-bit, modulo 4
      ['DUE#0', 'DUE#1', 'DUE#1', 'DUE#0', 'DUE#2'],
    );
  });
});

describe('times', () => {
  test('an unused lease is due its grace after the URL expires', () => {
    expect(pendingDueAt(T0, config)).toBe(T0 + 300_000);
  });

  test('the record expires the record retention after the last due time, rounded up to a second', () => {
    expect(recordExpiryFor(T0, config)).toBe(T0 + 86_400_000);
    expect(recordExpiryFor(T0 + 1, config)).toBe(T0 + 1000 + 86_400_000);
    expect(recordExpiryFor(T0 + 999, config)).toBe(T0 + 1000 + 86_400_000);
  });
});

describe('statusSince', () => {
  test('the time each status keeps of itself; a revived PENDING from its revival; REJECTED keeps none', () => {
    const times = { createdAt: 1, uploadedAt: 2, expiredAt: 3, consumedAt: 4, deletedAt: 5 };
    expect(statusSince({ ...times, status: 'PENDING' })).toBe(1);
    expect(statusSince({ ...times, status: 'PENDING', revivedAt: 6 })).toBe(6);
    expect(statusSince({ ...times, status: 'UPLOADED' })).toBe(2);
    expect(statusSince({ ...times, status: 'EXPIRED' })).toBe(3);
    expect(statusSince({ ...times, status: 'CONSUMED' })).toBe(4);
    expect(statusSince({ ...times, status: 'DELETED' })).toBe(5);
    expect(statusSince({ ...times, status: 'REJECTED' })).toBeUndefined();
  });
});

describe('effectiveStatus', () => {
  test.each(['PENDING', 'UPLOADED'] as const)('%s reads EXPIRED from its due time on, before the sweep gets there', (status) => {
    const lease = { ...base, status };
    expect(effectiveStatus(lease, lease.dueAt! - 1)).toBe(status);
    expect(effectiveStatus(lease, lease.dueAt!)).toBe('EXPIRED');
  });

  test('finished leases read as stored, and a lease without a due time never expires on read', () => {
    const { dueAt: _d, ...noDue } = base;
    expect(effectiveStatus({ ...noDue, status: 'REJECTED' }, T0 + 1e12)).toBe('REJECTED');
    expect(effectiveStatus({ ...base, status: 'REJECTED' }, T0 + 1e12)).toBe('REJECTED');
    expect(effectiveStatus({ ...noDue, status: 'EXPIRED' }, T0)).toBe('EXPIRED');
    expect(effectiveStatus(noDue, T0 + 1e12)).toBe('PENDING');
  });
});

describe('toLeaseView', () => {
  test('a pending lease shows only what it has, times as ISO strings', () => {
    expect(toLeaseView(base, T0)).toStrictEqual({
      leaseId: base.leaseId,
      contract: 'azure-ml',
      status: 'PENDING',
      createdAt: new Date(T0).toISOString(),
      urlExpiresAt: new Date(T0 + 600_000).toISOString(),
    });
  });

  test('an uploaded lease shows its upload; internal fields never appear', () => {
    const lease: LeaseRecord = {
      ...base,
      fileName: 'a.pdf',
      declaredSize: 5,
      declaredMd5: 'f'.repeat(32),
      contentType: 'application/pdf',
      status: 'UPLOADED',
      uploadedAt: T0 + 1,
      size: 5,
      eTag: 'e',
      sequencer: '0A',
      retainUntil: T0 + 2,
      dueAt: T0 + 2,
    };
    expect(toLeaseView(lease, T0 + 1)).toStrictEqual({
      leaseId: base.leaseId,
      contract: 'azure-ml',
      status: 'UPLOADED',
      createdAt: new Date(T0).toISOString(),
      urlExpiresAt: new Date(T0 + 600_000).toISOString(),
      fileName: 'a.pdf',
      declaredSize: 5,
      contentType: 'application/pdf',
      uploadedAt: new Date(T0 + 1).toISOString(),
      size: 5,
      retainUntil: new Date(T0 + 2).toISOString(),
    });
  });

  test('a lease past its due time reads EXPIRED with expiredAt = when it ended; a swept one keeps its recorded time', () => {
    expect(toLeaseView(base, base.dueAt!)).toMatchObject({ status: 'EXPIRED', expiredAt: new Date(base.dueAt!).toISOString() });
    expect(toLeaseView(base, base.dueAt! - 1)).not.toHaveProperty('expiredAt');
    const { dueAt: _d, ...swept } = base;
    expect(toLeaseView({ ...swept, status: 'EXPIRED', expiredAt: T0 + 5 }, T0 + 1e9)).toMatchObject({ status: 'EXPIRED', expiredAt: new Date(T0 + 5).toISOString() });
    expect(toLeaseView({ ...swept, status: 'REJECTED', rejectReason: 'MD5_MISMATCH' }, T0)).toMatchObject({ status: 'REJECTED', rejectReason: 'MD5_MISMATCH' });
    expect(toLeaseView({ ...swept, status: 'REJECTED', rejectReason: 'MD5_MISMATCH' }, T0)).not.toHaveProperty('expiredAt');
  });
});

describe('where the object is', () => {
  const storedKey = `files/${'a'.repeat(32)}/c`;

  test('only an uploaded or consumed lease has an object to read', () => {
    expect(LEASE_STATUSES.filter(hasReadableObject)).toEqual(['UPLOADED', 'CONSUMED']);
  });

  test('currentKey: the permanent key once a consumed lease has moved there, the temporary one until then', () => {
    expect(currentKey({ status: 'CONSUMED', objectKey: base.objectKey, storedKey })).toBe(storedKey);
    // Consumed but the move is still due: the file is still at the temporary key.
    expect(currentKey({ status: 'CONSUMED', objectKey: base.objectKey, storedKey, dueAt: T0 })).toBe(base.objectKey);
    // Deleted after the move settled: nothing at the permanent key to point at.
    expect(currentKey({ status: 'DELETED', objectKey: base.objectKey, storedKey })).toBe(base.objectKey);
    expect(currentKey({ status: 'CONSUMED', objectKey: base.objectKey })).toBe(base.objectKey);
    expect(currentKey({ status: 'UPLOADED', objectKey: base.objectKey })).toBe(base.objectKey);
  });
});

describe('toLeaseView of a used lease', () => {
  const { dueAt: _d, recordExpiresAt: _e, ...settled } = base;
  const consumed: LeaseRecord = {
    ...settled,
    status: 'CONSUMED',
    uploadedAt: T0 + 1,
    size: 5,
    consumedAt: T0 + 2,
    consumedBy: { kind: 'alibaba-file', id: 'file_1', attributes: { parser: 'P' } },
    storedKey: `files/${'a'.repeat(32)}/c`,
  };

  test('consumed: when and by what (not what it keeps), and its file at the permanent key even before the move', () => {
    const view = {
      leaseId: base.leaseId,
      contract: 'azure-ml',
      status: 'CONSUMED',
      createdAt: new Date(T0).toISOString(),
      urlExpiresAt: new Date(T0 + 600_000).toISOString(),
      uploadedAt: new Date(T0 + 1).toISOString(),
      size: 5,
      consumedAt: new Date(T0 + 2).toISOString(),
      consumedBy: { kind: 'alibaba-file', id: 'file_1' },
      location: { bucket: 'uploads', key: consumed.storedKey },
    };
    expect(toLeaseView(consumed, T0 + 1e9, 'uploads')).toStrictEqual(view);
    expect(toLeaseView({ ...consumed, dueAt: T0 + 2 }, T0 + 1e9, 'uploads')).toStrictEqual(view);
    // Without a bucket there is no location to give.
    expect(toLeaseView(consumed, T0 + 1e9)).not.toHaveProperty('location');
  });

  test('deleted: when, and no location', () => {
    const view = toLeaseView({ ...consumed, status: 'DELETED', deletedAt: T0 + 3 }, T0 + 1e9, 'uploads');
    expect(view).toMatchObject({ status: 'DELETED', consumedAt: new Date(T0 + 2).toISOString(), deletedAt: new Date(T0 + 3).toISOString() });
    expect(view).not.toHaveProperty('location');
  });

  test('uploaded: its temporary key; pending, expired or rejected: no location', () => {
    const uploaded: LeaseRecord = { ...base, status: 'UPLOADED', uploadedAt: T0 + 1, size: 5, dueAt: T0 + 10 };
    expect(toLeaseView(uploaded, T0 + 9, 'uploads').location).toStrictEqual({ bucket: 'uploads', key: base.objectKey });
    expect(toLeaseView(uploaded, T0 + 10, 'uploads')).not.toHaveProperty('location');
    expect(toLeaseView(base, T0, 'uploads')).not.toHaveProperty('location');
    expect(toLeaseView({ ...settled, status: 'REJECTED', rejectReason: 'SIZE_LIMIT' }, T0, 'uploads')).not.toHaveProperty('location');
  });
});

describe('compareSequencers', () => {
  test.each([
    ['0A', '0B', -1],
    ['0B', '0A', 1],
    ['0a', '0A', 0],
    ['A', '0000A', 0],
    ['FF', '0100', -1],
    ['0100', 'FF', 1],
    ['0062E8C5D2C39D4B3C', '0062E8C5D2C39D4B3D', -1],
  ])('%s vs %s: %i', (a, b, order) => {
    expect(Math.sign(compareSequencers(a, b))).toBe(order);
  });
});

describe('how long the temporary object lives, and the download URLs for it', () => {
  const RETENTION = 43_200_000;
  const uploaded: LeaseRecord = { ...base, status: 'UPLOADED', uploadedAt: T0 + 5000, retainUntil: T0 + 5000 + RETENTION, dueAt: T0 + 5000 + RETENTION };
  const consumed: LeaseRecord = { ...uploaded, status: 'CONSUMED', storedKey: `files/${'a'.repeat(32)}/c`, dueAt: T0 + 9000 };
  delete consumed.retainUntil;

  test('its end is the retention: retainUntil while uploaded, uploadedAt + retention once consumed (not from the lease\u2019s creation)', () => {
    expect(tempObjectEnd(uploaded, config)).toBe(T0 + 5000 + RETENTION);
    expect(tempObjectEnd(consumed, config)).toBe(T0 + 5000 + RETENTION);
    const { uploadedAt: _u, ...never } = consumed;
    expect(tempObjectEnd(never, config)).toBe(T0 + RETENTION);
  });

  test('a moved file keeps it for the URL lifetime and a minute, never past the retention', () => {
    expect(tempKeptUntil(consumed, T0 + 9000, config)).toBe(T0 + 9000 + 600_000 + 60_000);
    expect(tempKeptUntil(consumed, T0 + 5000 + RETENTION - 10_000, config)).toBe(T0 + 5000 + RETENTION);
  });

  test('a URL for the temporary object ends with it; one for the moved file lives the full TTL; none when nothing is left', () => {
    expect(downloadUrlSeconds(uploaded, T0 + 10_000, config)).toBe(600);
    expect(downloadUrlSeconds(uploaded, T0 + 5000 + RETENTION - 2500, config)).toBe(2);
    expect(downloadUrlSeconds(uploaded, T0 + 5000 + RETENTION - 999, config)).toBe(0);
    expect(downloadUrlSeconds(uploaded, T0 + 5000 + RETENTION + 60_000, config)).toBe(0);
    // Consumed, not moved yet: still the temporary object's end.
    expect(downloadUrlSeconds(consumed, T0 + 5000 + RETENTION - 2500, config)).toBe(2);
    const moved = { ...consumed, movedAt: T0 + 9000, dueAt: T0 + 669_000 };
    expect(downloadUrlSeconds(moved, T0 + 5000 + RETENTION - 2500, config)).toBe(600);
    expect(currentKey(moved)).toBe(moved.storedKey);
    expect(currentKey(consumed)).toBe(consumed.objectKey);
  });
});
