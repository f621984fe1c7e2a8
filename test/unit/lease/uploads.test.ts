import { createHash } from 'node:crypto';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { DependencyError } from '../../../shared/errors.js';
import { log } from '../../../shared/log.js';
import { issueLease } from '../../../shared/lease/engine.js';
import type { LeaseRecord, NewLease } from '../../../shared/lease/model.js';
import { recordUpload, type ObjectCreated } from '../../../shared/lease/uploads.js';
import { verify } from '../../../shared/lease/upload-rule.js';
import { ALIBABA_BODY, alibabaSpec, azureSpec, engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';

const BODY = ALIBABA_BODY;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const HOUR = 3600_000;
const RETENTION_MS = 43_200_000;
const RECORD_RETENTION_S = 86_400;


let sequence = 0x10;
const nextSequencer = () => (sequence++).toString(16).toUpperCase().padStart(16, '0');

/** Puts the object in the fake bucket and returns the event S3 would send for it. */
function upload(f: EngineFixture, key: string, body: string, contentType?: string, event: Partial<ObjectCreated> = {}): ObjectCreated {
  f.objects.put(key, { size: Buffer.byteLength(body), eTag: `"${md5(body)}"`, ...(contentType ? { contentType } : {}) });
  return { key, size: Buffer.byteLength(body), eTag: `"${md5(body)}"`, sequencer: nextSequencer(), eventTime: f.clock.now(), ...event };
}

async function leased(f: EngineFixture, spec: NewLease): Promise<LeaseRecord> {
  return (await issueLease(f, spec, { createOrGet: spec.contract === 'azure-ml' })).lease;
}

describe('recordUpload: a matching upload', () => {
  test('becomes UPLOADED with times taken from the event, not from when it is processed', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const eventTime = T0 + 60_000;
    const event = upload(f, lease.objectKey, BODY, 'text/plain', { eventTime });
    f.clock.set(T0 + 2 * HOUR); // processed late (retries, a backlog)
    expect(await recordUpload(f, event)).toBe('uploaded');
    const retainUntil = eventTime + RETENTION_MS;
    expect(f.store.item(lease.leaseId)).toEqual({
      ...lease,
      status: 'UPLOADED',
      uploadedAt: eventTime,
      size: BODY.length,
      eTag: md5(BODY),
      sequencer: event.sequencer,
      retainUntil,
      dueAt: retainUntil,
      recordExpiresAt: (Math.ceil(retainUntil / 1000) + RECORD_RETENTION_S) * 1000,
    });
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.objects.deleted).toEqual([]);
  });

  test.each([
    ['an upper-case declared MD5', { declaredMd5: md5(BODY).toUpperCase() }, 'text/plain', `"${md5(BODY)}"`],
    ['an upper-case ETag', {}, 'text/plain', `"${md5(BODY).toUpperCase()}"`],
    ['a content type with other case and parameters', {}, 'Text/Plain; charset=utf-8', `"${md5(BODY)}"`],
    ['a declared type with parameters', { contentType: 'text/plain;charset=UTF-8' }, ' text/plain ', `"${md5(BODY)}"`],
  ])('is accepted with %s', async (_what, overrides, storedType, eTag) => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec(undefined, overrides));
    const event = upload(f, lease.objectKey, BODY, storedType, { eTag });
    f.objects.put(lease.objectKey, { size: BODY.length, eTag, contentType: storedType });
    expect(await recordUpload(f, event)).toBe('uploaded');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', eTag: md5(BODY) });
  });

  test('a lease without a declared type or digest is not HEADed and accepts any bytes', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const event = upload(f, lease.objectKey, 'anything at all');
    let heads = 0;
    const objects = { ...f.objects, head: async (key: string) => (heads++, f.objects.head(key)) };
    expect(await recordUpload({ ...f, objects }, event)).toBe('uploaded');
    expect(heads).toBe(0);
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', size: 15 });
  });

  test('a newer upload to an UPLOADED lease replaces the recorded one; its retention starts again', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    await recordUpload(f, upload(f, lease.objectKey, 'first'));
    f.clock.advance(60_000);
    const second = upload(f, lease.objectKey, 'second upload');
    expect(await recordUpload(f, second)).toBe('uploaded');
    expect(f.store.item(lease.leaseId)).toMatchObject({
      status: 'UPLOADED',
      size: 13,
      eTag: md5('second upload'),
      sequencer: second.sequencer,
      uploadedAt: second.eventTime,
      retainUntil: second.eventTime + RETENTION_MS,
    });
  });
});

describe('recordUpload: verification', () => {
  test.each([
    ['SIZE_MISMATCH', 'smaller than declared', 'exactly 19 bytes!!', 'text/plain'],
    ['SIZE_MISMATCH', 'larger than declared', BODY + '!', 'text/plain'],
    ['MD5_MISMATCH', 'same size, other bytes', 'EXACTLY twenty bytes', 'text/plain'],
    ['CONTENT_TYPE_MISMATCH', 'the right bytes with another type', BODY, 'application/pdf'],
    ['CONTENT_TYPE_MISMATCH', 'the right bytes with no type', BODY, undefined],
  ] as const)('%s (%s): REJECTED with that reason, the object deleted, out of the due index', async (reason, _what, body, type) => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const event = upload(f, lease.objectKey, body, type);
    f.clock.advance(5000);
    expect(await recordUpload(f, event)).toBe('rejected');
    const { dueAt: _d, ...rest } = lease;
    expect(f.store.item(lease.leaseId)).toEqual({
      ...rest,
      status: 'REJECTED',
      rejectReason: reason,
      size: Buffer.byteLength(body),
      eTag: md5(body),
      sequencer: event.sequencer,
      recordExpiresAt: (Math.ceil((T0 + 5000) / 1000) + RECORD_RETENTION_S) * 1000,
    });
    expect(f.objects.has(lease.objectKey)).toBe(false);
    expect(f.objects.deleted).toEqual([lease.objectKey]);
  });

  test('a bad re-upload to an UPLOADED lease rejects it and drops its upload time and retention', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    await recordUpload(f, upload(f, lease.objectKey, BODY, 'text/plain'));
    expect(await recordUpload(f, upload(f, lease.objectKey, 'short', 'text/plain'))).toBe('rejected');
    const stored = f.store.item(lease.leaseId)!;
    expect(stored).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_MISMATCH', size: 5 });
    for (const field of ['uploadedAt', 'retainUntil', 'dueShard', 'dueAt'] as const) expect(stored).not.toHaveProperty(field);
  });

  test('verify: the first mismatch wins, in the order size, digest, type', () => {
    const LIMIT = 1024 ** 3;
    const lease = { ...alibabaSpec(), status: 'PENDING', createdAt: T0, urlExpiresAt: T0, recordExpiresAt: 0 } as LeaseRecord;
    const wrong = { key: lease.objectKey, size: 3, eTag: '"00"', sequencer: '1', eventTime: T0 };
    expect(verify(lease, wrong, LIMIT, { size: 3, eTag: '"00"', contentType: 'image/png' })).toBe('SIZE_MISMATCH');
    expect(verify(lease, { ...wrong, size: BODY.length }, LIMIT, { size: 3, eTag: '"00"', contentType: 'image/png' })).toBe('MD5_MISMATCH');
    const right = { ...wrong, size: BODY.length, eTag: `"${md5(BODY)}"` };
    expect(verify(lease, right, LIMIT, { size: BODY.length, eTag: right.eTag, contentType: 'image/png' })).toBe('CONTENT_TYPE_MISMATCH');
    expect(verify(lease, right, LIMIT, { size: BODY.length, eTag: right.eTag, contentType: 'text/plain' })).toBeUndefined();
    // Without a stored object to compare, the type is not judged; without a declared type, neither.
    expect(verify(lease, right, LIMIT)).toBeUndefined();
    const { contentType: _t, ...untyped } = lease;
    expect(verify(untyped as LeaseRecord, right, LIMIT, { size: BODY.length, eTag: right.eTag, contentType: 'image/png' })).toBeUndefined();
  });

  test('verify: the limit binds only leases that declared no size, and a size at the limit is within it', () => {
    const declared = { ...alibabaSpec(), status: 'PENDING', createdAt: T0, urlExpiresAt: T0, recordExpiresAt: 0 } as LeaseRecord;
    const right = { key: declared.objectKey, size: BODY.length, eTag: `"${md5(BODY)}"`, sequencer: '1', eventTime: T0 };
    // Over the limit but exactly the declared size: the declaration decides (Alibaba has its own bound).
    expect(verify(declared, right, BODY.length - 1, { size: BODY.length, eTag: right.eTag, contentType: 'text/plain' })).toBeUndefined();
    const { declaredSize: _s, declaredMd5: _m, contentType: _t, ...undeclared } = declared;
    expect(verify(undeclared as LeaseRecord, right, BODY.length)).toBeUndefined();
    expect(verify(undeclared as LeaseRecord, right, BODY.length - 1)).toBe('SIZE_LIMIT');
  });
});

describe('recordUpload: the size limit of leases that declared no size', () => {
  test('an upload over MAX_UPLOAD_BYTES is REJECTED with SIZE_LIMIT and deleted; one at the limit is accepted', async () => {
    const f = engineFixture({ MAX_UPLOAD_BYTES: '10' });
    const over = await leased(f, azureSpec('c'.repeat(32)));
    expect(await recordUpload(f, upload(f, over.objectKey, 'eleven byte'))).toBe('rejected');
    // The long way looks first: only the object that is there now may be rejected (and deleted).
    expect(f.objects.heads).toBe(1);
    expect(f.store.item(over.leaseId)).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_LIMIT', size: 11 });
    expect(f.objects.has(over.objectKey)).toBe(false);
    const at = await leased(f, azureSpec('d'.repeat(32)));
    const before = { ...f.store.calls };
    expect(await recordUpload(f, upload(f, at.objectKey, 'ten bytes!'))).toBe('uploaded');
    // At the limit is the happy path: one conditional write, no read.
    expect(f.store.calls.get - before.get).toBe(0);
    expect(f.store.calls.transition - before.transition).toBe(1);
    // Azure leases declare no type: no HEAD on the happy path.
    expect(f.objects.heads).toBe(1);
  });

  test("an older upload's event, after a newer upload is in place: superseded, the newer one neither rejected nor deleted", async () => {
    const f = engineFixture({ MAX_UPLOAD_BYTES: '10' });
    const lease = await leased(f, azureSpec('e'.repeat(32)));
    const tooBig = upload(f, lease.objectKey, 'eleven byte');
    const fits = upload(f, lease.objectKey, 'ten bytes!');
    expect(await recordUpload(f, tooBig)).toBe('superseded');
    expect(f.store.item(lease.leaseId)!.status).toBe('PENDING');
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(await recordUpload(f, fits)).toBe('uploaded');
    expect(f.objects.deleted).toEqual([]);
  });

  test('a lease with a declared size is held to that size, not to the limit', async () => {
    const f = engineFixture({ MAX_UPLOAD_BYTES: '10' });
    const lease = await leased(f, alibabaSpec());
    expect(BODY.length).toBeGreaterThan(10);
    expect(await recordUpload(f, upload(f, lease.objectKey, BODY, 'text/plain'))).toBe('uploaded');
  });
});

describe('recordUpload: what no live lease owns', () => {
  test('an object overwritten (or gone) between the event and the HEAD is left to the newer event', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const event = upload(f, lease.objectKey, BODY, 'text/plain');
    f.objects.put(lease.objectKey, { size: 3, eTag: `"${md5('new')}"`, contentType: 'text/plain' });
    expect(await recordUpload(f, event)).toBe('superseded');
    expect(f.objects.deleted).toEqual([]);
    expect(f.store.item(lease.leaseId)).toEqual(lease);
    await f.objects.delete(lease.objectKey);
    expect(await recordUpload(f, { ...event, sequencer: nextSequencer() })).toBe('superseded');
    expect(f.store.item(lease.leaseId)).toEqual(lease);
  });

  test.each([
    ['EXPIRED', 'orphan-expired'],
    ['REJECTED', 'orphan-rejected'],
  ] as const)('an upload to a %s lease is deleted and the lease left as it is', async (status, outcome) => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const { dueAt: _d, ...rest } = lease;
    const ended: LeaseRecord = { ...rest, status };
    f.store.set(ended);
    expect(await recordUpload(f, upload(f, lease.objectKey, BODY, 'text/plain'))).toBe(outcome);
    expect(f.objects.has(lease.objectKey)).toBe(false);
    expect(f.store.item(lease.leaseId)).toEqual(ended);
    // The one-write attempt failed its condition; nothing else was written.
    expect(f.store.calls.transition).toBe(1);
  });

  test.each([
    ['CONSUMED', 'a move still due', T0 + HOUR, 'consumed-pending'],
    ['CONSUMED', 'the file moved', undefined, 'orphan-consumed'],
    ['DELETED', 'a deletion still due', T0 + HOUR, 'consumed-pending'],
    ['DELETED', 'its file deleted', undefined, 'orphan-consumed'],
  ] as const)('an upload through a still-valid URL to a %s lease (%s) is %s; the lease is left as it is', async (status, _what, dueAt, outcome) => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const { dueAt: _d, ...rest } = lease;
    const used: LeaseRecord = { ...rest, status, sequencer: '01', size: 5, eTag: md5('first'), ...(dueAt === undefined ? {} : { dueAt }) };
    f.store.set(used);
    expect(await recordUpload(f, upload(f, lease.objectKey, 'second'))).toBe(outcome);
    // Before the move or deletion is done, the temporary key is its source: the sweep handles it, not this.
    expect(f.objects.has(lease.objectKey)).toBe(outcome === 'consumed-pending');
    expect(f.store.item(lease.leaseId)).toEqual(used);
    expect(f.store.calls.transition).toBe(1);
  });

  test.each([
    ['another name under the lease prefix', (id: string) => `tmp/${id}/other.txt`, true],
    ['a deeper key under the lease prefix', (id: string) => `tmp/${id}/doc.txt/x`, true],
    ['a lease that does not exist', () => `tmp/${'f'.repeat(32)}/doc.txt`, true],
    ['a folder that is not a lease id', () => 'tmp/not-a-lease/doc.txt', false],
    ['no folder at all', () => 'tmp/doc.txt', false],
  ])('%s: deleted, and no lease changes', async (_what, keyOf, namesALease) => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const key = keyOf(lease.leaseId);
    const before = { ...f.store.calls };
    expect(await recordUpload(f, upload(f, key, BODY, 'text/plain'))).toBe('orphan-no-lease');
    expect(f.objects.has(key)).toBe(false);
    expect(f.store.item(lease.leaseId)).toEqual(lease);
    // A key that names no lease id costs no table request at all.
    if (!namesALease) expect(f.store.calls).toEqual(before);
  });

  test('objects outside the temporary prefix are not ours: left alone', async () => {
    const f = engineFixture();
    for (const key of ['done/x.txt', 'tmpx/a/b', 'TMP/a/b']) {
      expect(await recordUpload(f, upload(f, key, BODY))).toBe('ignored');
      expect(f.objects.has(key)).toBe(true);
    }
    expect(f.store.calls.get).toBe(0);
  });
});

describe('recordUpload: the grace window after the URL expired', () => {
  test('an upload that landed at the last moment of the grace is accepted', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const eventTime = lease.urlExpiresAt + 300_000;
    f.clock.set(eventTime + 10);
    const before = { ...f.store.calls };
    expect(await recordUpload(f, upload(f, lease.objectKey, BODY, 'text/plain', { eventTime }))).toBe('uploaded');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', uploadedAt: eventTime, retainUntil: eventTime + RETENTION_MS });
    // Still the one-write path: the write's condition allows the same grace.
    expect(f.store.calls.get - before.get).toBe(0);
    expect(f.store.calls.transition - before.transition).toBe(1);
  });

  test.each([
    ['just after the URL expired', 1],
    ['at the last moment of the grace', 300_000],
  ])('a mismatch that landed %s is judged on its bytes (rejected), not as late', async (_when, afterExpiry) => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const eventTime = lease.urlExpiresAt + afterExpiry;
    f.clock.set(eventTime + 10);
    expect(await recordUpload(f, upload(f, lease.objectKey, 'short', 'text/plain', { eventTime }))).toBe('rejected');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_MISMATCH' });
  });

  test('a re-upload to an UPLOADED lease within the grace of its URL replaces the recorded one', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    await recordUpload(f, upload(f, lease.objectKey, 'first'));
    const eventTime = lease.urlExpiresAt + 300_000;
    f.clock.set(eventTime + 10);
    const second = upload(f, lease.objectKey, 'second', undefined, { eventTime });
    expect(await recordUpload(f, second)).toBe('uploaded');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', sequencer: second.sequencer, uploadedAt: eventTime });
  });

  test('one that landed after it is deleted and the lease EXPIRED as of its due time', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const eventTime = lease.urlExpiresAt + 300_001;
    f.clock.set(eventTime + 5000);
    const event = upload(f, lease.objectKey, BODY, 'text/plain', { eventTime });
    expect(await recordUpload(f, event)).toBe('orphan-late');
    expect(f.objects.has(lease.objectKey)).toBe(false);
    const { dueAt: _d, ...rest } = lease;
    expect(f.store.item(lease.leaseId)).toEqual({
      ...rest,
      status: 'EXPIRED',
      expiredAt: lease.dueAt,
      sequencer: event.sequencer,
      recordExpiresAt: (Math.ceil((eventTime + 5000) / 1000) + RECORD_RETENTION_S) * 1000,
    });
  });

  test("a late object is no lease's whatever is there by now: the lease EXPIRED without a look at the bucket", async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const eventTime = lease.urlExpiresAt + 300_001;
    f.clock.set(eventTime + 5000);
    // Its object already gone (or replaced): still late, still the end of the lease.
    const event = { key: lease.objectKey, size: 4, eTag: `"${md5('late')}"`, sequencer: nextSequencer(), eventTime };
    expect(await recordUpload(f, event)).toBe('orphan-late');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'EXPIRED' });
    expect(f.objects.heads).toBe(0);
  });

  test('the same bytes PUT again (a newer sequencer) are a new upload: kept for the retention from then', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    expect(await recordUpload(f, upload(f, lease.objectKey, 'same'))).toBe('uploaded');
    // Within the URL's life: a minute later.
    f.clock.set(T0 + 60_000);
    const again = upload(f, lease.objectKey, 'same', undefined, { eventTime: T0 + 60_000 });
    expect(await recordUpload(f, again)).toBe('uploaded');
    expect(f.store.item(lease.leaseId)).toMatchObject({ sequencer: again.sequencer, uploadedAt: T0 + 60_000, retainUntil: T0 + 60_000 + RETENTION_MS });
  });

  test("a re-upload's event (a newer sequencer) whose object was replaced again meanwhile: superseded, the lease as it was", async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    expect(await recordUpload(f, upload(f, lease.objectKey, 'first'))).toBe('uploaded');
    const before = f.store.item(lease.leaseId)!;
    const second = upload(f, lease.objectKey, 'second');
    upload(f, lease.objectKey, 'third');
    expect(await recordUpload(f, second)).toBe('superseded');
    expect(f.store.item(lease.leaseId)).toEqual(before);
    expect(f.objects.deleted).toEqual([]);
  });

  test('a late object landing on an UPLOADED lease ends it now', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    await recordUpload(f, upload(f, lease.objectKey, 'first'));
    const eventTime = lease.urlExpiresAt + 300_001;
    f.clock.set(eventTime + 5000);
    expect(await recordUpload(f, upload(f, lease.objectKey, 'late', undefined, { eventTime }))).toBe('orphan-late');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'EXPIRED', expiredAt: eventTime + 5000 });
  });
});

describe('recordUpload: duplicate, out-of-order and concurrent delivery', () => {
  test('the same event again is a duplicate and an older one stale: neither writes', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const older = upload(f, lease.objectKey, 'older');
    const newer = upload(f, lease.objectKey, 'newer!');
    expect(await recordUpload(f, newer)).toBe('uploaded');
    const after = f.store.item(lease.leaseId);
    const writes = f.store.calls.transition;
    expect(await recordUpload(f, newer)).toBe('duplicate');
    expect(await recordUpload(f, { ...newer, sequencer: newer.sequencer.toLowerCase() })).toBe('duplicate');
    expect(await recordUpload(f, older)).toBe('stale');
    // Three one-write attempts, each refused by its condition (the lease has a sequencer): no data written.
    expect(f.store.calls.transition).toBe(writes + 3);
    expect(f.store.item(lease.leaseId)).toEqual(after);
    expect(f.objects.deleted).toEqual([]);
  });

  test('a lost conditional write is decided again on the fresh record', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const older = upload(f, lease.objectKey, 'older');
    const ours = upload(f, lease.objectKey, 'ours, newer');
    // Another invocation records the older event between our read and our write.
    f.store.beforeNextTransition(() => f.store.set({ ...lease, status: 'UPLOADED', sequencer: older.sequencer, size: 5 }));
    expect(await recordUpload(f, ours)).toBe('uploaded');
    expect(f.store.calls.transition).toBe(2);
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', sequencer: ours.sequencer, size: 11 });
  });

  test('a lost write to a lease that a newer event already recorded ends stale, without overwriting it', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const ours = upload(f, lease.objectKey, 'ours');
    const newer = upload(f, lease.objectKey, 'newer one');
    f.store.beforeNextTransition(() => f.store.set({ ...lease, status: 'UPLOADED', sequencer: newer.sequencer, size: 9 }));
    expect(await recordUpload(f, ours)).toBe('stale');
    expect(f.store.item(lease.leaseId)).toMatchObject({ sequencer: newer.sequencer, size: 9 });
  });

  test('when the lease vanished meanwhile, the object is deleted', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    f.store.beforeNextTransition(() => f.store.remove(lease.leaseId));
    expect(await recordUpload(f, upload(f, lease.objectKey, 'bytes'))).toBe('orphan-no-lease');
    expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test.each([
    ['a verdict of rejection', alibabaSpec, 'short', 'text/plain'],
    ['a late upload', alibabaSpec, BODY, 'text/plain'],
  ] as const)('%s that loses its write is retried too', async (what, spec, body, type) => {
    const f = engineFixture();
    const lease = await leased(f, spec());
    const late = what === 'a late upload' ? { eventTime: lease.urlExpiresAt + 300_001 } : {};
    // The one-write attempt fails its condition by itself; the decision's write then loses to another writer.
    f.store.beforeNextTransition(() => undefined);
    f.store.beforeNextTransition(() => f.store.set({ ...f.store.item(lease.leaseId)!, sequencer: '01' }));
    const event = upload(f, lease.objectKey, body, type, late);
    expect(await recordUpload(f, event)).toBe(what === 'a late upload' ? 'orphan-late' : 'rejected');
    expect(f.store.calls.transition).toBe(3);
    expect(f.store.calls.get).toBe(2);
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: what === 'a late upload' ? 'EXPIRED' : 'REJECTED', sequencer: event.sequencer });
    expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test('when the lease vanished between the decision\'s read and its write, the object is deleted', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const older = upload(f, lease.objectKey, 'older');
    const ours = upload(f, lease.objectKey, 'ours');
    // An older upload recorded before the one-write attempt sends this event the long way...
    f.store.beforeNextTransition(() => f.store.set({ ...lease, status: 'UPLOADED', sequencer: older.sequencer, size: 5 }));
    // ...and the lease is gone by the time its decision is written.
    f.store.beforeNextTransition(() => f.store.remove(lease.leaseId));
    expect(await recordUpload(f, ours)).toBe('orphan-no-lease');
    expect(f.store.calls.transition).toBe(2);
    expect(f.store.calls.get).toBe(2);
    expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test('a lease that keeps changing fails the event with a retryable error; nothing is lost or deleted', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    let n = 0;
    // The one-write attempt, then five decisions on a fresh record, each losing its write.
    for (let i = 0; i < 6; i++) f.store.beforeNextTransition(() => f.store.set({ ...lease, sequencer: `0${n++}` }));
    const event = upload(f, lease.objectKey, 'contended');
    const error = await recordUpload(f, event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: true });
    expect(f.store.calls.transition).toBe(6);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect((error as Error).cause).toEqual(new Error(`lease ${lease.leaseId} kept changing`));
  });
});

describe('recordUpload: what operators see in the logs', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('a rejection is a warning naming the lease, the reason and both sizes', async () => {
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    await recordUpload(f, upload(f, lease.objectKey, 'short', 'text/plain'));
    expect(warn).toHaveBeenCalledWith('upload rejected', { leaseId: lease.leaseId, reason: 'SIZE_MISMATCH', size: 5, declaredSize: BODY.length });
  });

  test('a deleted orphan is a warning with its key and outcome, and its lease when there is one', async () => {
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    const f = engineFixture();
    const key = `tmp/${'f'.repeat(32)}/x.txt`;
    await recordUpload(f, upload(f, key, 'stray'));
    expect(warn).toHaveBeenLastCalledWith('deleted object no live lease owns', { key, outcome: 'orphan-no-lease' });
    const lease = await leased(f, alibabaSpec());
    await recordUpload(f, upload(f, lease.objectKey, BODY, 'text/plain', { eventTime: lease.urlExpiresAt + 300_001 }));
    expect(warn).toHaveBeenLastCalledWith('deleted object no live lease owns', { key: lease.objectKey, outcome: 'orphan-late', leaseId: lease.leaseId });
  });
});

describe('bytes after an uploaded lease\'s retention ended', () => {
  test('are late: the object is deleted and the lease ends EXPIRED, whatever its URL', async () => {
    const f = engineFixture();
    const { lease } = await issueLease(f, azureSpec(), { createOrGet: true });
    f.objects.put(lease.objectKey, { size: 4, eTag: '"e"' });
    expect(await recordUpload(f, { key: lease.objectKey, size: 4, eTag: '"e"', sequencer: '0A', eventTime: T0 })).toBe('uploaded');
    const uploaded = f.store.item(lease.leaseId)!;
    // A renewed URL (create-or-get) could still be valid at the due time; the bytes it brings are not kept.
    f.store.set({ ...uploaded, urlExpiresAt: uploaded.dueAt! + 600_000 });
    f.clock.set(uploaded.dueAt! + 1000);
    f.objects.put(lease.objectKey, { size: 4, eTag: '"f"' });
    expect(await recordUpload(f, { key: lease.objectKey, size: 4, eTag: '"f"', sequencer: '0B', eventTime: uploaded.dueAt! })).toBe('orphan-late');
    expect(f.objects.has(lease.objectKey)).toBe(false);
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'EXPIRED', expiredAt: uploaded.dueAt });
  });
});

describe('recordUpload: the happy path is one conditional write', () => {
  test('Azure: a first matching upload costs one write and no read at all', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec());
    const before = { ...f.store.calls };
    expect(await recordUpload(f, upload(f, lease.objectKey, 'payload'))).toBe('uploaded');
    expect(f.store.calls.get - before.get).toBe(0);
    expect(f.store.calls.transition - before.transition).toBe(1);
    expect(f.objects.heads).toBe(0);
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', size: 7 });
  });

  test('Alibaba: one HEAD (the content type is only on the object) and one write, no read', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const before = { ...f.store.calls };
    expect(await recordUpload(f, upload(f, lease.objectKey, BODY, 'text/plain'))).toBe('uploaded');
    expect(f.store.calls.get - before.get).toBe(0);
    expect(f.store.calls.transition - before.transition).toBe(1);
    expect(f.objects.heads).toBe(1);
  });

  test.each([
    ['an untyped object', (f: EngineFixture, key: string) => upload(f, key, BODY), 'rejected', 1],
    ['an object replaced since the event', (f: EngineFixture, key: string) => {
      const event = upload(f, key, BODY, 'text/plain');
      f.objects.put(key, { size: 3, eTag: `"${md5('new')}"`, contentType: 'text/plain' });
      return event;
    }, 'superseded', 0],
  ] as const)('Alibaba, %s: no one-write attempt, and the long way decides on the same HEAD', async (_what, event, outcome, writes) => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const before = { ...f.store.calls };
    expect(await recordUpload(f, event(f, lease.objectKey))).toBe(outcome);
    expect(f.objects.heads).toBe(1);
    expect(f.store.calls.get - before.get).toBe(1);
    // The only write is the verdict's, if any.
    expect(f.store.calls.transition - before.transition).toBe(writes);
  });

  test.each([
    ['another size', (f: EngineFixture, key: string) => upload(f, key, `${BODY}!`, 'text/plain'), 'rejected'],
    ['another type', (f: EngineFixture, key: string) => upload(f, key, BODY, 'application/pdf'), 'rejected'],
    ['a type with parameters', (f: EngineFixture, key: string) => upload(f, key, BODY, 'Text/Plain; charset=utf-8'), 'uploaded'],
  ] as const)('Alibaba, %s: the write is refused and the long way decides, reusing the HEAD', async (_what, event, outcome) => {
    const f = engineFixture();
    const lease = await leased(f, alibabaSpec());
    const before = { ...f.store.calls };
    expect(await recordUpload(f, event(f, lease.objectKey))).toBe(outcome);
    expect(f.store.calls.get - before.get).toBe(1);
    expect(f.objects.heads).toBe(1);
    expect(f.store.item(lease.leaseId)!.status).toBe(outcome === 'uploaded' ? 'UPLOADED' : 'REJECTED');
  });
});

