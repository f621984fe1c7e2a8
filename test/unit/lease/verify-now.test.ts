import { createHash } from 'node:crypto';
import { describe, expect, jest, test } from '@jest/globals';
import { LeaseNotFoundError } from '../../../shared/errors.js';
import { withChangeFeed, type LeaseChange } from '../../../shared/lease/changes.js';
import { consumeLease } from '../../../shared/lease/consume.js';
import { issueLease } from '../../../shared/lease/engine.js';
import type { LeaseRecord, NewLease } from '../../../shared/lease/model.js';
import { recordUpload, verifyUploadNow, type ObjectCreated } from '../../../shared/lease/uploads.js';
import { log } from '../../../shared/log.js';
import { ALIBABA_BODY, alibabaSpec, azureSpec, engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';

/**
 * A consumer verifying a PENDING lease's upload on the spot (AddFile, a code version, POST /consume right
 * after the PUT): the event's rules and write, one verdict whichever comes first.
 */
const BODY = ALIBABA_BODY;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const RETENTION_MS = 43_200_000;
let counter = 0;
const nextId = () => (counter++).toString(16).padStart(32, 'e');

const alibaba = () => alibabaSpec(`${nextId()}.1736935200000`);

async function leased(f: Pick<EngineFixture, 'config' | 'clock' | 'presigner'> & { store: EngineFixture['store'] | ReturnType<typeof withChangeFeed> }, spec: NewLease): Promise<LeaseRecord> {
  return (await issueLease(f, spec, { createOrGet: spec.contract === 'azure-ml' })).lease;
}

/** Puts the object as S3 would store it (stored a second after T0) and returns its event. */
function put(f: EngineFixture, key: string, body: string, contentType = 'text/plain', sequencer = '0A'): ObjectCreated {
  const size = Buffer.byteLength(body);
  f.objects.put(key, { size, eTag: `"${md5(body)}"`, contentType, lastModified: T0 + 1000 });
  return { key, size, eTag: `"${md5(body)}"`, sequencer, eventTime: T0 + 1000 };
}

describe('verifyUploadNow', () => {
  test('nothing uploaded yet: the lease as it is, no write', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    const writes = f.store.calls.transition;
    expect(await verifyUploadNow(f, lease)).toBe(lease);
    expect(f.store.calls.transition).toBe(writes);
    expect(f.store.item(lease.leaseId)).toEqual(lease);
  });

  test('a matching object: UPLOADED as the event would record it, stored time and retention from S3, no sequencer', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    const event = put(f, lease.objectKey, BODY);
    f.clock.set(T0 + 5000);
    const now = await verifyUploadNow(f, lease);
    expect(now).toEqual(f.store.item(lease.leaseId));
    expect(now).toMatchObject({ status: 'UPLOADED', uploadedAt: T0 + 1000, retainUntil: T0 + 1000 + RETENTION_MS, dueAt: T0 + 1000 + RETENTION_MS, size: BODY.length, eTag: md5(BODY) });
    expect(now.sequencer).toBeUndefined();

    // The same upload decided by its event instead: the same record but for the sequencer.
    const g = engineFixture();
    await leased(g, { ...alibabaSpec(lease.leaseId) });
    put(g, lease.objectKey, BODY);
    expect(await recordUpload(g, event)).toBe('uploaded');
    const { sequencer: _s, ...byEvent } = g.store.item(lease.leaseId)!;
    expect(byEvent).toEqual(now);

    // Its event, arriving later, finds the decision made: nothing written (its one-write fast path's
    // condition fails), nothing deleted.
    const writes = f.store.calls.transition;
    expect(await recordUpload(f, event)).toBe('duplicate');
    expect(f.store.calls.transition).toBe(writes + 1);
    expect(f.objects.deleted).toEqual([]);
    expect(f.store.item(lease.leaseId)).toEqual(now);
  });

  test.each([
    ['other bytes (MD5)', 'exactly twenty BYTES', 'text/plain', 'MD5_MISMATCH'],
    ['another size', 'twenty-one bytes, yes', 'text/plain', 'SIZE_MISMATCH'],
    ['another content type', BODY, 'application/pdf', 'CONTENT_TYPE_MISMATCH'],
  ])('a mismatch (%s) is REJECTED and its object deleted, exactly as its event would', async (_what, body, contentType, reason) => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    const event = put(f, lease.objectKey, body, contentType);
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      const now = await verifyUploadNow(f, lease);
      expect(now).toMatchObject({ status: 'REJECTED', rejectReason: reason, size: Buffer.byteLength(body), eTag: md5(body) });
      expect(warn).toHaveBeenCalledWith('upload rejected on the spot', { leaseId: lease.leaseId, outcome: 'rejected', reason, size: Buffer.byteLength(body) });
      expect(now.dueAt).toBeUndefined();
      expect(f.objects.has(lease.objectKey)).toBe(false);

      const g = engineFixture();
      await leased(g, alibabaSpec(lease.leaseId));
      put(g, lease.objectKey, body, contentType);
      expect(await recordUpload(g, event)).toBe('rejected');
      const { sequencer: _s, ...byEvent } = g.store.item(lease.leaseId)!;
      expect(byEvent).toEqual(now);
      // The event of the rejected object, later: it is deleted (again), the verdict stands.
      f.objects.put(lease.objectKey, { size: 1, eTag: `"${md5(body)}"` });
      expect(await recordUpload(f, event)).toBe('orphan-rejected');
      expect(f.store.item(lease.leaseId)).toEqual(now);
    } finally {
      warn.mockRestore();
    }
  });

  test('an object stored after the URL and its grace: EXPIRED and deleted, as its event would', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec(nextId()));
    const late = lease.urlExpiresAt + f.config.pendingGraceSeconds * 1000 + 1000;
    f.objects.put(lease.objectKey, { size: 3, eTag: `"${md5('abc')}"`, lastModified: late });
    f.clock.set(late);
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      expect(await verifyUploadNow(f, lease)).toMatchObject({ status: 'EXPIRED', expiredAt: lease.dueAt });
    } finally {
      warn.mockRestore();
    }
    expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test('the rejected object cannot be deleted now: the verdict stands, and its event deletes it later', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    const event = put(f, lease.objectKey, 'exactly twenty BYTES');
    f.objects.failDeletes(new Error('s3 down'), 1);
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      expect(await verifyUploadNow(f, lease)).toMatchObject({ status: 'REJECTED', rejectReason: 'MD5_MISMATCH' });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('its S3 event will delete it'), { leaseId: lease.leaseId }, expect.any(Error));
    } finally {
      warn.mockRestore();
    }
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(await recordUpload(f, event)).toBe('orphan-rejected');
    expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test('a lease decided meanwhile (its event won the write): that verdict, read back, not a second one', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    const event = put(f, lease.objectKey, BODY);
    f.store.beforeNextTransition(async () => void (await recordUpload(f, event)));
    const now = await verifyUploadNow(f, lease);
    expect(now).toEqual(f.store.item(lease.leaseId));
    expect(now).toMatchObject({ status: 'UPLOADED', sequencer: '0A' });
  });

  test("a revived lease (Azure create-or-get after a rejection) loses its old sequencer; the old upload's late event changes nothing", async () => {
    const f = engineFixture();
    const spec = azureSpec(nextId());
    await leased(f, spec);
    const tooBig = { key: spec.objectKey, size: f.config.maxUploadBytes + 1, eTag: `"${md5('big')}"`, sequencer: '0A', eventTime: T0 + 1000 };
    f.objects.put(spec.objectKey, { size: tooBig.size, eTag: tooBig.eTag });
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      expect(await recordUpload(f, tooBig)).toBe('rejected');
      const revived = (await issueLease(f, spec, { createOrGet: true })).lease;
      expect(revived).toMatchObject({ status: 'PENDING', sequencer: '0A' });
      const event = put(f, spec.objectKey, 'code', 'application/octet-stream', '0B');
      const now = await verifyUploadNow(f, revived);
      expect(now).toMatchObject({ status: 'UPLOADED', eTag: md5('code') });
      expect(now.sequencer).toBeUndefined();
      // The rejected upload's event again (other bytes, not what is there now): superseded.
      expect(await recordUpload(f, { ...tooBig, sequencer: '09' })).toBe('superseded');
      expect(await recordUpload(f, event)).toBe('duplicate');
      expect(f.store.item(spec.leaseId)).toEqual(now);
      expect(f.objects.has(spec.objectKey)).toBe(true);
    } finally {
      warn.mockRestore();
    }
  });

  test("rejected on the spot, revived, uploaded again: the rejected upload's late event is stale, the new upload stays and is verified", async () => {
    const f = engineFixture();
    const spec = azureSpec(nextId());
    const lease = await leased(f, spec);
    const bigEvent = { key: spec.objectKey, size: f.config.maxUploadBytes + 1, eTag: `"${md5('big')}"`, sequencer: '0A', eventTime: T0 + 1000 };
    f.objects.put(spec.objectKey, { size: bigEvent.size, eTag: bigEvent.eTag, lastModified: T0 + 1000 });
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      expect(await verifyUploadNow(f, lease)).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_LIMIT' });
      f.clock.set(T0 + 60_000);
      const revived = (await issueLease(f, spec, { createOrGet: true })).lease;
      expect(revived).toMatchObject({ status: 'PENDING', revivedAt: T0 + 60_000 });
      f.objects.put(spec.objectKey, { size: 4, eTag: `"${md5('code')}"`, lastModified: T0 + 61_000 });
      // The rejected object's event, retried or late: it neither decides nor deletes what is there now.
      expect(await recordUpload(f, bigEvent)).toBe('stale');
      expect(f.store.item(spec.leaseId)).toMatchObject({ status: 'PENDING' });
      expect(f.objects.has(spec.objectKey)).toBe(true);
      expect(await verifyUploadNow(f, f.store.item(spec.leaseId)!)).toMatchObject({ status: 'UPLOADED', eTag: md5('code'), uploadedAt: T0 + 61_000 });
    } finally {
      warn.mockRestore();
    }
  });

  test("an object a revived lease's previous life left behind is not this life's upload: neither on the spot nor by a retried event", async () => {
    const f = engineFixture();
    const spec = azureSpec(nextId());
    await leased(f, spec);
    const old = put(f, spec.objectKey, 'old code', 'application/octet-stream');
    expect(await recordUpload(f, old)).toBe('uploaded');
    // Its retention ends; before the sweep has deleted it, the client asks for the same pending upload.
    f.clock.set(T0 + 1000 + RETENTION_MS + 1);
    const revived = (await issueLease(f, spec, { createOrGet: true })).lease;
    expect(revived).toMatchObject({ status: 'PENDING', revivedAt: T0 + 1000 + RETENTION_MS + 1 });
    expect(await verifyUploadNow(f, revived)).toBe(revived);
    await expect(consumeLease(f, spec.leaseId, () => true, { kind: 'broker', id: 'c' }, { idempotent: true })).rejects.toMatchObject({ status: 'PENDING' });
    // Its event again (an S3 retry), even on the one-write path: stale, nothing written.
    expect(await recordUpload(f, { ...old, sequencer: '0F' })).toBe('stale');
    expect(f.store.item(spec.leaseId)).toEqual(revived);
    // Stored within the clock margin of the revival: taken as this life's.
    f.objects.put(spec.objectKey, { size: 8, eTag: `"${md5('new code')}"`, lastModified: revived.revivedAt! - 1000 });
    expect(await verifyUploadNow(f, revived)).toMatchObject({ status: 'UPLOADED', eTag: md5('new code') });
  });

  test('after a verdict on the spot, a newer upload (other bytes, now in place) is decided by its event as any re-upload is', async () => {
    const f = engineFixture();
    const lease = await leased(f, azureSpec(nextId()));
    put(f, lease.objectKey, 'first', 'application/octet-stream');
    expect(await verifyUploadNow(f, lease)).toMatchObject({ status: 'UPLOADED', eTag: md5('first') });
    // Other bytes of the same size: told apart by their MD5.
    const second = put(f, lease.objectKey, 'other', 'application/octet-stream', '0B');
    expect(await recordUpload(f, second)).toBe('uploaded');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', eTag: md5('other'), sequencer: '0B', size: 5 });
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.objects.deleted).toEqual([]);
  });
});

describe('revivals and the clocks', () => {
  /** An Azure lease rejected by its event and revived at T0 + 60 s. */
  async function revived(f: EngineFixture): Promise<LeaseRecord> {
    const spec = azureSpec(nextId());
    await leased(f, spec);
    const big = { key: spec.objectKey, size: f.config.maxUploadBytes + 1, eTag: `"${md5('big')}"`, sequencer: '0A', eventTime: T0 + 1000 };
    f.objects.put(spec.objectKey, { size: big.size, eTag: big.eTag });
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      expect(await recordUpload(f, big)).toBe('rejected');
    } finally {
      warn.mockRestore();
    }
    f.clock.set(T0 + 60_000);
    return (await issueLease(f, spec, { createOrGet: true })).lease;
  }

  test.each([
    [-1001, 'stale'],
    [-1000, 'uploaded'],
  ])("an event stored %i ms from the revival: %s (S3's clock may be up to a second behind)", async (offset, outcome) => {
    const f = engineFixture();
    const lease = await revived(f);
    const event = put(f, lease.objectKey, 'new code', 'application/octet-stream', '0B');
    expect(await recordUpload(f, { ...event, eventTime: lease.revivedAt! + offset })).toBe(outcome);
  });

  test('an upload a moment after the revival, within the clock margin, takes the one-write path: no read', async () => {
    const f = engineFixture();
    const spec = azureSpec(nextId());
    await leased(f, spec);
    f.clock.set(T0 + 60_000);
    // Expired unused, then revived (no sequencer: the one-write path applies).
    f.store.set({ ...f.store.item(spec.leaseId)!, status: 'EXPIRED' });
    const lease = (await issueLease(f, spec, { createOrGet: true })).lease;
    const event = put(f, lease.objectKey, 'new code', 'application/octet-stream', '0B');
    const reads = f.store.calls.get;
    expect(await recordUpload(f, { ...event, eventTime: lease.revivedAt! - 500 })).toBe('uploaded');
    expect(f.store.calls.get).toBe(reads);
  });

  test("a Last-Modified within the second of the revival is this life's; one a whole second before it is not", async () => {
    const f = engineFixture();
    const lease = await revived(f);
    f.objects.put(lease.objectKey, { size: 3, eTag: `"${md5('abc')}"`, lastModified: lease.revivedAt! - 2000 });
    expect(await verifyUploadNow(f, lease)).toBe(lease);
    f.objects.put(lease.objectKey, { size: 3, eTag: `"${md5('abc')}"`, lastModified: lease.revivedAt! - 1999 });
    expect(await verifyUploadNow(f, lease)).toMatchObject({ status: 'UPLOADED' });
  });

  test("no Last-Modified in the answer: taken as stored now, so this life's", async () => {
    const f = engineFixture();
    const lease = await revived(f);
    f.objects.put(lease.objectKey, { size: 3, eTag: `"${md5('abc')}"` });
    expect(await verifyUploadNow(f, lease)).toMatchObject({ status: 'UPLOADED', uploadedAt: T0 + 60_000 });
  });
});

describe('consumption never waits for the event', () => {
  test('a lease that is not PENDING is not looked at again', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    const event = put(f, lease.objectKey, BODY);
    expect(await recordUpload(f, event)).toBe('uploaded');
    const uploaded = f.store.item(lease.leaseId)!;
    const heads = f.objects.heads;
    expect(await verifyUploadNow(f, uploaded)).toBe(uploaded);
    expect(f.objects.heads).toBe(heads);
  });

  test('a PENDING lease past its due time is EXPIRED to a consumer even with an object in place: no HEAD, no verdict', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    put(f, lease.objectKey, BODY);
    f.clock.set(lease.dueAt!);
    const heads = f.objects.heads;
    await expect(consumeLease(f, lease.leaseId, () => true, { kind: 'broker', id: 'c' }, { idempotent: true })).rejects.toMatchObject({ status: 'EXPIRED' });
    expect(f.objects.heads).toBe(heads);
    expect(f.store.item(lease.leaseId)!.status).toBe('PENDING');
  });

  test('consumeLease on a PENDING lease whose object is in place consumes it; one with nothing there is refused as PENDING', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    const consumer = { kind: 'broker' as const, id: 'c' };
    await expect(consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true })).rejects.toMatchObject({ status: 'PENDING' });
    put(f, lease.objectKey, BODY);
    expect(await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true })).toMatchObject({ status: 'CONSUMED', eTag: md5(BODY), size: BODY.length });
  });

  test('a lease of another tenant is not looked at: refused as unknown before any HEAD', async () => {
    const f = engineFixture();
    const lease = await leased(f, alibaba());
    put(f, lease.objectKey, BODY);
    const heads = f.objects.heads;
    await expect(consumeLease(f, lease.leaseId, () => false, { kind: 'broker', id: 'c' }, { idempotent: true })).rejects.toBeInstanceOf(LeaseNotFoundError);
    expect(f.objects.heads).toBe(heads);
    expect(f.store.item(lease.leaseId)!.status).toBe('PENDING');
  });

  test('event and consumer at the same instant, 200 times in every interleaving: one verdict each, the consumer always served', async () => {
    for (let i = 0; i < 200; i++) {
      const f = engineFixture();
      const verdicts: LeaseChange[] = [];
      const store = withChangeFeed(f.store, (c) => c.previous === 'PENDING' && verdicts.push(c), () => f.clock.now());
      const g = { ...f, store };
      const lease = await leased(g, i % 2 ? alibaba() : azureSpec(nextId()));
      const event = put(f, lease.objectKey, BODY, lease.contentType ?? 'application/octet-stream');
      // Each side yields a different number of turns first, so both orders and the tie are all run.
      const turns = (n: number) => Array.from({ length: n }).reduce<Promise<void>>((p) => p.then(() => undefined), Promise.resolve());
      const [outcome, consumed] = await Promise.all([
        turns(i % 7).then(() => recordUpload(g, event)),
        turns((i * 3) % 5).then(() => consumeLease(g, lease.leaseId, () => true, { kind: 'broker', id: 'c' }, { idempotent: true })),
      ]);
      expect(['uploaded', 'duplicate', 'consumed-pending']).toContain(outcome);
      expect(consumed).toMatchObject({ status: 'CONSUMED', eTag: md5(BODY) });
      expect(verdicts.map((c) => c.record.status)).toEqual(['UPLOADED']);
      expect(f.objects.deleted).toEqual([]);
    }
  });
});
