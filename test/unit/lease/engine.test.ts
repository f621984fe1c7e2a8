import { describe, expect, test } from '@jest/globals';
import { DependencyError, LeaseNotFoundError } from '../../../shared/errors.js';
import { issueLease, readLease } from '../../../shared/lease/engine.js';
import type { LeaseRecord, NewLease } from '../../../shared/lease/model.js';
import { createPresigner } from '../../../shared/adapters/presign.js';
import { azureSpec, engineFixture, T0 } from '../../support/engine-fixture.js';
import { allDueLeases } from '../../support/memory-store.js';

const HOUR = 3600_000;
const MINUTE = 60_000;
const MD5 = '19657c391f6c70bcea63c154d8606bb3';
const MD5_B64 = Buffer.from(MD5, 'hex').toString('base64');

const alibabaSpec = (leaseId = 'a'.repeat(32) + '.1736935200000'): NewLease => ({
  leaseId,
  contract: 'alibaba-model-studio',
  scope: 'ws/default',
  objectKey: `tmp/${leaseId}/report.pdf`,
  fileName: 'report.pdf',
  declaredSize: 1000,
  declaredMd5: MD5,
  contentType: 'application/pdf',
});

const query = (url: string) => new URL(url).searchParams;

describe('issueLease: a new lease', () => {
  test('is stored PENDING with its URL lifetime, due time, shard and TTL derived from the configuration', async () => {
    const f = engineFixture();
    const issued = await issueLease(f, alibabaSpec(), { createOrGet: false });
    const urlExpiresAt = T0 + 600_000;
    const dueAt = urlExpiresAt + 300_000;
    const expected: LeaseRecord = {
      ...alibabaSpec(),
      status: 'PENDING',
      createdAt: T0,
      urlExpiresAt,
      dueAt,
      recordExpiresAt: dueAt + 86_400_000,
    };
    expect(f.store.item(expected.leaseId)).toEqual(expected);
    expect(issued.lease).toEqual(expected);
  });

  test('hands out a URL that signs every declared header, for the configured lifetime, and the headers to send', async () => {
    const f = engineFixture();
    const issued = await issueLease(f, alibabaSpec(), { createOrGet: false });
    const q = query(issued.uploadUrl);
    expect(q.get('X-Amz-Expires')).toBe('600');
    expect(q.get('X-Amz-SignedHeaders')).toBe('content-length;content-md5;content-type;host');
    expect(issued.uploadHeaders).toEqual({ 'Content-Type': 'application/pdf', 'Content-MD5': MD5_B64 });
    const direct = await f.presigner.presignPut(
      { key: alibabaSpec().objectKey, expiresInSeconds: 600, contentType: 'application/pdf', contentMd5: MD5_B64, contentLength: 1000 },
      T0,
    );
    expect(issued.uploadUrl).toBe(direct);
    expect(issued.objectUrl).toBe(f.presigner.objectUrl(alibabaSpec().objectKey));
    expect(issued.uploadUrl.startsWith(issued.objectUrl + '?')).toBe(true);
  });

  test('a lease without declared headers signs only the host and asks for no headers', async () => {
    const f = engineFixture();
    const issued = await issueLease(f, azureSpec(), { createOrGet: true });
    expect(query(issued.uploadUrl).get('X-Amz-SignedHeaders')).toBe('host');
    expect(Object.entries(issued.uploadHeaders)).toEqual([]);
  });

  test('a URL lifetime of one second is one second, never less', async () => {
    const f = engineFixture({ LEASE_URL_TTL_SECONDS: '1' });
    const issued = await issueLease(f, azureSpec(), { createOrGet: true });
    expect(query(issued.uploadUrl).get('X-Amz-Expires')).toBe('1');
  });

  test('a signing failure writes nothing and surfaces as a credentials dependency error with its cause', async () => {
    const f = engineFixture();
    const cause = new Error('no credentials');
    const presigner = createPresigner({ region: 'eu-west-1', bucket: 'uploads', credentials: async () => Promise.reject(cause) });
    const error = await issueLease({ ...f, presigner }, alibabaSpec(), { createOrGet: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'credentials', throttled: false, cause });
    expect(f.store.calls.putNew).toBe(0);
    expect(f.store.item(alibabaSpec().leaseId)).toBeUndefined();
  });

  test('an id collision without create-or-get is a dependency error and never hands out the existing lease', async () => {
    const f = engineFixture();
    await issueLease(f, alibabaSpec(), { createOrGet: false });
    const before = f.store.item(alibabaSpec().leaseId);
    f.clock.advance(1000);
    const error = await issueLease(f, { ...alibabaSpec(), scope: 'other/ws' }, { createOrGet: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: false });
    expect(f.store.item(alibabaSpec().leaseId)).toEqual(before);
    expect(f.store.calls.transition).toBe(0);
  });
});

describe('issueLease with create-or-get on an existing lease', () => {
  test('a PENDING lease: the same lease and object, a fresh URL, a later due time, a TTL that never shrinks', async () => {
    const f = engineFixture();
    const first = await issueLease(f, azureSpec(), { createOrGet: true });
    f.clock.advance(MINUTE);
    const again = await issueLease(f, azureSpec(), { createOrGet: true });
    const urlExpiresAt = T0 + MINUTE + 600_000;
    const dueAt = urlExpiresAt + 300_000;
    expect(again.lease).toEqual({ ...first.lease, urlExpiresAt, dueAt, recordExpiresAt: dueAt + 86_400_000 });
    expect(f.store.item(azureSpec().leaseId)).toEqual(again.lease);
    expect(again.uploadUrl).not.toBe(first.uploadUrl);
    expect(query(again.uploadUrl).get('X-Amz-Expires')).toBe('600');
    expect(again.objectUrl).toBe(first.objectUrl);

    // Asked again a moment later, with a record TTL that is already further out: the TTL is kept.
    f.store.set({ ...f.store.item(azureSpec().leaseId)!, recordExpiresAt: 9_999_999_999_000 });
    f.clock.advance(1000);
    const third = await issueLease(f, azureSpec(), { createOrGet: true });
    expect(third.lease.recordExpiresAt).toBe(9_999_999_999_000);
    expect(f.store.item(azureSpec().leaseId)!.recordExpiresAt).toBe(9_999_999_999_000);
  });

  test('an UPLOADED lease stays UPLOADED with its upload, retention, due time and TTL', async () => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    const retainUntil = T0 + 12 * HOUR;
    const uploaded: LeaseRecord = {
      ...f.store.item(azureSpec().leaseId)!,
      status: 'UPLOADED',
      uploadedAt: T0,
      size: 5,
      eTag: MD5,
      sequencer: '0A',
      retainUntil,
      dueAt: retainUntil,
      recordExpiresAt: retainUntil + 86_400_000,
    };
    f.store.set(uploaded);
    f.clock.advance(HOUR);
    const again = await issueLease(f, azureSpec(), { createOrGet: true });
    const expected = { ...uploaded, urlExpiresAt: T0 + HOUR + 600_000 };
    expect(f.store.item(azureSpec().leaseId)).toEqual(expected);
    expect(again.lease).toEqual(expected);
  });

  test.each([
    ['REJECTED', { rejectReason: 'SIZE_MISMATCH' as const, size: 7, eTag: MD5, sequencer: '0B' }],
    ['EXPIRED', { uploadedAt: T0, size: 5, eTag: MD5, sequencer: '0C', retainUntil: T0 + 1000, expiredAt: T0 + 1000 }],
  ] as const)('a %s lease is revived PENDING: its old upload fields are gone and it is back in the due index', async (status, fields) => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    const { dueAt: _d, ...rest } = f.store.item(azureSpec().leaseId)!;
    f.store.set({ ...rest, status, ...fields, recordExpiresAt: T0 + 10_000 });
    f.clock.advance(HOUR);
    const again = await issueLease(f, azureSpec(), { createOrGet: true });
    const stored = f.store.item(azureSpec().leaseId)!;
    const dueAt = T0 + HOUR + 600_000 + 300_000;
    expect(stored.status).toBe('PENDING');
    for (const field of ['uploadedAt', 'size', 'eTag', 'retainUntil', 'rejectReason', 'expiredAt'] as const) {
      expect(stored).not.toHaveProperty(field);
    }
    expect(stored).toMatchObject({ dueAt, recordExpiresAt: dueAt + 86_400_000, urlExpiresAt: dueAt - 300_000 });
    expect(again.lease).toEqual(stored);
    expect((await allDueLeases(f.store, dueAt)).map((e) => e.leaseId)).toEqual([azureSpec().leaseId]);
  });

  test('an UPLOADED lease past its retention (not yet swept) is revived PENDING, as an expired one is', async () => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    f.store.set({ ...f.store.item(azureSpec().leaseId)!, status: 'UPLOADED', size: 5, retainUntil: T0 + 1000, dueAt: T0 + 1000 });
    f.clock.set(T0 + 1000);
    const again = await issueLease(f, azureSpec(), { createOrGet: true });
    expect(again.lease.status).toBe('PENDING');
    expect(f.store.item(azureSpec().leaseId)).not.toHaveProperty('size');
  });

  test('when the lease changes between read and write, the decision is taken again on what is stored now', async () => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    const retainUntil = T0 + 12 * HOUR;
    // An upload event lands between the renewal's read and its write.
    f.store.beforeNextTransition(() =>
      f.store.set({ ...f.store.item(azureSpec().leaseId)!, status: 'UPLOADED', size: 5, retainUntil, dueAt: retainUntil }),
    );
    f.clock.advance(1000);
    const again = await issueLease(f, azureSpec(), { createOrGet: true });
    expect(f.store.calls.transition).toBe(2);
    expect(again.lease).toMatchObject({ status: 'UPLOADED', size: 5, retainUntil, dueAt: retainUntil });
    expect(f.store.item(azureSpec().leaseId)).toMatchObject({ status: 'UPLOADED', size: 5, dueAt: retainUntil });
  });

  test('a lease that keeps changing gives up after three tries with a retryable dependency error', async () => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    const flip = () => {
      const current = f.store.item(azureSpec().leaseId)!;
      f.store.set({ ...current, status: current.status === 'PENDING' ? 'REJECTED' : 'PENDING' });
    };
    for (let i = 0; i < 3; i++) f.store.beforeNextTransition(flip);
    const error = await issueLease(f, azureSpec(), { createOrGet: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: true });
    expect(f.store.calls.transition).toBe(3);
  });

  test('a lease that vanished between the write and the read is a retryable dependency error', async () => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    const store = { ...f.store, get: async () => undefined };
    const error = await issueLease({ ...f, store }, azureSpec(), { createOrGet: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: true });
  });
});

describe('issueLease with create-or-get on a used lease', () => {
  const consumedBy = { kind: 'azure-code-version' as const, id: 'versions/1' };
  const used = (f: ReturnType<typeof engineFixture>, fields: Partial<LeaseRecord>) => {
    const { dueAt: _d, recordExpiresAt: _e, ...rest } = f.store.item(azureSpec().leaseId)!;
    f.store.set({ ...rest, storedKey: `files/${azureSpec().leaseId}/code-1`, consumedAt: T0, ...fields });
  };

  test.each(['CONSUMED', 'DELETED'] as const)('a %s lease is refused, naming what used it, and left as it is', async (status) => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    used(f, { status, consumedBy, ...(status === 'DELETED' ? { deletedAt: T0 } : {}) });
    const before = f.store.item(azureSpec().leaseId);
    await expect(issueLease(f, azureSpec(), { createOrGet: true })).rejects.toMatchObject({
      leaseId: azureSpec().leaseId,
      status,
      message: "The pending upload was already consumed by azure-code-version 'versions/1'; start a new pending upload with another pendingUploadId.",
    });
    expect(f.store.item(azureSpec().leaseId)).toEqual(before);
    expect(f.store.calls.transition).toBe(0);
  });

  test('a used lease whose record names no consumer is refused with the same advice', async () => {
    const f = engineFixture();
    await issueLease(f, azureSpec(), { createOrGet: true });
    used(f, { status: 'CONSUMED' });
    await expect(issueLease(f, azureSpec(), { createOrGet: true })).rejects.toMatchObject({
      status: 'CONSUMED',
      message: 'The pending upload was already consumed; start a new pending upload with another pendingUploadId.',
    });
  });
});

describe('readLease', () => {
  test('returns the stored record until its TTL, then reports it gone even before DynamoDB removes it', async () => {
    const f = engineFixture();
    const { lease } = await issueLease(f, azureSpec(), { createOrGet: true });
    f.clock.set(lease.recordExpiresAt! - 1);
    expect(await readLease(f, lease.leaseId)).toEqual(lease);
    f.clock.set(lease.recordExpiresAt!);
    await expect(readLease(f, lease.leaseId)).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  test('an unknown id is LeaseNotFoundError naming it', async () => {
    const f = engineFixture();
    await expect(readLease(f, 'c'.repeat(32))).rejects.toMatchObject({ leaseId: 'c'.repeat(32) });
    await expect(readLease(f, 'c'.repeat(32))).rejects.toBeInstanceOf(LeaseNotFoundError);
  });
});
