import { describe, expect, test } from '@jest/globals';
import { consumeLease, deleteConsumed } from '../../../shared/lease/consume.js';
import { issueLease } from '../../../shared/lease/engine.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import { settleLease } from '../../../shared/lease/settle.js';
import { recordUpload } from '../../../shared/lease/uploads.js';
import { engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';

let counter = 0;
const consumer = { kind: 'alibaba-file' as const, id: 'file_1', attributes: {} };

/** An UPLOADED lease with its object in the (memory) bucket. */
async function uploaded(f: EngineFixture): Promise<LeaseRecord> {
  const leaseId = (counter++).toString(16).padStart(32, 'd');
  const objectKey = `tmp/${leaseId}/code-1`;
  await issueLease(f, { leaseId, contract: 'azure-ml', scope: 's', objectKey, pendingUploadId: 'p' }, { createOrGet: true });
  f.objects.put(objectKey, { size: 1, eTag: '"e"' });
  expect(await recordUpload(f, { key: objectKey, size: 1, eTag: '"e"', sequencer: '0A', eventTime: f.clock.now() })).toBe('uploaded');
  return f.store.item(leaseId)!;
}

/** A CONSUMED lease whose move is still due. */
async function consumed(f: EngineFixture): Promise<LeaseRecord> {
  const lease = await uploaded(f);
  return consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: false });
}

/** What a run did to the ports: object requests and store writes and reads. */
function activity(f: EngineFixture) {
  return { heads: f.objects.heads, copies: f.objects.copies.length, deleted: f.objects.deleted.length, transitions: f.store.calls.transition, reads: f.store.calls.get };
}

/** When a file moved at `at` may lose its temporary object: the URL lifetime (600 s here) and the margin after it. */
const keptUntil = (at: number) => at + 600_000 + 60_000;

describe('settleLease', () => {
  test('a consumed file is copied at once; its temporary object stays until every download URL handed out for it has expired', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    f.clock.advance(5);
    const moved = (await settleLease(f, lease))!;
    expect(moved).toMatchObject({ status: 'CONSUMED', movedAt: T0 + 5, dueAt: keptUntil(T0 + 5) });
    expect(f.objects.has(lease.storedKey!)).toBe(true);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.objects.deleted).toEqual([]);

    // Before then, a settler (or a sweep that read the lease) does nothing.
    f.clock.set(keptUntil(T0 + 5) - 1);
    const before = activity(f);
    expect(await settleLease(f, moved)).toBe(moved);
    expect(activity(f)).toEqual(before);

    // Then the temporary object goes and nothing is due any more, in one write.
    f.clock.advance(1);
    const done = (await settleLease(f, moved))!;
    expect(done.dueAt).toBeUndefined();
    expect(done.movedAt).toBe(T0 + 5);
    expect(f.objects.deleted).toEqual([lease.objectKey]);
    expect(f.objects.has(lease.storedKey!)).toBe(true);
    expect(activity(f)).toEqual({ ...before, deleted: before.deleted + 1, transitions: before.transitions + 1 });
  });

  test('copied, but the write after it failed: the next run finds the copy and does not copy again', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    f.store.beforeNextTransition(() => {
      throw new Error('dynamodb down');
    });
    await expect(settleLease(f, lease)).rejects.toThrow('dynamodb down');
    expect(f.objects.copies).toHaveLength(1);
    expect(await settleLease(f, lease)).toMatchObject({ movedAt: T0 });
    expect(f.objects.copies).toHaveLength(1);
  });

  test('a file moved only at the end of its retention loses its temporary object in the same pass', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    // The settler's retries failed; the sweep moves it just before the retention ends (12 h after upload).
    f.clock.set(lease.uploadedAt! + 43_200_000 - 1000);
    const done = (await settleLease(f, lease))!;
    expect(done).toMatchObject({ status: 'CONSUMED', movedAt: lease.uploadedAt! + 43_200_000 - 1000 });
    // Kept until the retention's end (1 s more), not 11 minutes past it: still due, then.
    expect(done.dueAt).toBe(lease.uploadedAt! + 43_200_000);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    // Moved at the very end: nothing left to keep it for.
    const g = engineFixture();
    const other = await consumed(g);
    g.clock.set(other.uploadedAt! + 43_200_000);
    const atEnd = (await settleLease(g, other))!;
    expect(atEnd.dueAt).toBeUndefined();
    expect(atEnd.movedAt).toBe(other.uploadedAt! + 43_200_000);
    expect(g.objects.has(other.storedKey!)).toBe(true);
    expect(g.objects.has(other.objectKey)).toBe(false);
  });

  test('a lease with no due work (settled already, or read after another settler) is returned as is: no object request, no write', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    const moved = (await settleLease(f, lease))!;
    f.clock.set(moved.dueAt!);
    const settled = (await settleLease(f, moved))!;
    expect(settled.dueAt).toBeUndefined();
    const before = activity(f);
    expect(await settleLease(f, settled)).toBe(settled);
    expect(activity(f)).toEqual(before);
    expect(f.store.item(lease.leaseId)).toEqual(settled);
  });

  test('a lease that is neither CONSUMED nor DELETED has nothing to settle: its object stays, its due time too', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const before = activity(f);
    expect(await settleLease(f, lease)).toBe(lease);
    expect(activity(f)).toEqual(before);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.store.item(lease.leaseId)).toEqual(lease);
  });

  test('a DELETED lease loses its permanent and temporary objects, then its due time, in one write and no read', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    const moved = (await settleLease(f, lease))!;
    const deleted = (await deleteConsumed(f, lease.leaseId, consumer.id))!;
    f.objects.deleted.length = 0;
    const before = activity(f);
    const settled = await settleLease(f, deleted);
    const { dueAt: _d, ...rest } = deleted;
    expect(settled).toEqual(rest);
    expect(f.store.item(lease.leaseId)).toEqual(rest);
    expect(f.objects.deleted).toEqual([moved.storedKey, lease.objectKey]);
    expect(f.objects.has(moved.storedKey!)).toBe(false);
    expect(activity(f)).toEqual({ ...before, deleted: before.deleted + 2, transitions: before.transitions + 1 });
  });

  test('a settlement whose write succeeds reads nothing back', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    const reads = f.store.calls.get;
    expect(await settleLease(f, lease)).toMatchObject({ status: 'CONSUMED' });
    expect(f.store.calls.get).toBe(reads);
    expect(f.store.calls.transition).toBe(3); // upload, consumption, settlement
  });

  test('the record gone meanwhile (its TTL ran out): undefined, nothing more is tried', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    const deleted = (await deleteConsumed(f, lease.leaseId, consumer.id))!;
    f.store.beforeNextTransition(() => f.store.remove(lease.leaseId));
    const transitions = f.store.calls.transition;
    expect(await settleLease(f, deleted)).toBeUndefined();
    expect(f.store.calls.transition).toBe(transitions + 1);
  });

  test('a lease that changes under each of two writes is settled again once, then left due as it is now', async () => {
    const f = engineFixture();
    const lease = await consumed(f);
    const deleted = { ...lease, status: 'DELETED' as const, deletedAt: T0 + 1, dueAt: T0 + 1 };
    const later = { ...deleted, dueAt: T0 + 2 };
    f.store.beforeNextTransition(() => f.store.set(deleted));
    f.store.beforeNextTransition(() => f.store.set(later));
    const transitions = f.store.calls.transition;
    expect(await settleLease(f, lease)).toEqual(later);
    expect(f.store.calls.transition).toBe(transitions + 2);
    expect(f.store.item(lease.leaseId)).toEqual(later);
    // The third try is the next settler's or sweep's, from the record as it is.
    expect(await settleLease(f, later)).toMatchObject({ status: 'DELETED' });
    expect(f.store.item(lease.leaseId)!.dueAt).toBeUndefined();
  });
});
