import { describe, expect, jest, test } from '@jest/globals';
import { LeaseNotFoundError, LeaseStateError } from '../../../shared/errors.js';
import { withChangeFeed, type LeaseChange } from '../../../shared/lease/changes.js';
import { consumeLease, CONSUME_MARGIN_MS, deleteConsumed, storedKeyFor, updateConsumer } from '../../../shared/lease/consume.js';
import { issueLease } from '../../../shared/lease/engine.js';
import { leaseEventFor, LEASE_EVENT_TYPES } from '../../../shared/lease/events.js';
import type { ConsumedBy, LeaseRecord } from '../../../shared/lease/model.js';
import { settleLease } from '../../../shared/lease/settle.js';
import { sweepDueLeases } from '../../../shared/lease/sweep.js';
import { recordUpload } from '../../../shared/lease/uploads.js';
import { log } from '../../../shared/log.js';
import { engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';

const anyone = () => true;
const file = (id = 'file_1'): ConsumedBy => ({ kind: 'alibaba-file', id, attributes: { parser: 'P' } });
let counter = 0;

/** An UPLOADED lease with its object in the (memory) bucket. */
async function uploaded(f: Omit<EngineFixture, 'store'> & { store: EngineFixture['store'] | ReturnType<typeof withChangeFeed> }, body = 'e'): Promise<LeaseRecord> {
  const leaseId = (counter++).toString(16).padStart(32, 'c');
  const objectKey = `tmp/${leaseId}/code-1`;
  await issueLease(f, { leaseId, contract: 'azure-ml', scope: 's/rg/workspaces/ws/c/1/p', objectKey, pendingUploadId: 'p' }, { createOrGet: true });
  f.objects.put(objectKey, { size: body.length, eTag: `"${body}"` });
  expect(await recordUpload(f, { key: objectKey, size: body.length, eTag: `"${body}"`, sequencer: '0A', eventTime: f.clock.now() })).toBe('uploaded');
  return (await f.store.get(leaseId))!;
}

describe('consumeLease', () => {
  test('UPLOADED -> CONSUMED: consumer, time and permanent key recorded, due at once for the move, no TTL, no retention', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    f.clock.set(T0 + 5000);
    const consumed = await consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false });
    expect(consumed).toEqual(f.store.item(lease.leaseId));
    const { retainUntil: _r, recordExpiresAt: _e, ...kept } = lease;
    expect(consumed).toEqual({
      ...kept,
      status: 'CONSUMED',
      consumedAt: T0 + 5000,
      consumedBy: file(),
      storedKey: `files/${lease.leaseId}/code-1`,
      dueAt: T0 + 5000,
    });
    expect(storedKeyFor(lease.objectKey)).toBe(`files/${lease.leaseId}/code-1`);
  });

  test('50 concurrent consumers: exactly one wins, 49 are refused as CONSUMED', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => consumeLease(f, lease.leaseId, anyone, file(`file_${i}`), { idempotent: false })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const r of lost) expect(r.reason).toMatchObject({ status: 'CONSUMED' });
    expect(f.store.item(lease.leaseId)!.consumedBy!.id).toBe((won[0] as PromiseFulfilledResult<LeaseRecord>).value.consumedBy!.id);
  });

  test('idempotent: the same consumer again gets the same lease; another consumer, or a non-idempotent call, is refused', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const first = await consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true });
    expect(await consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true })).toEqual(first);
    await expect(consumeLease(f, lease.leaseId, anyone, file('b'), { idempotent: true })).rejects.toMatchObject({ status: 'CONSUMED' });
    await expect(consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: false })).rejects.toBeInstanceOf(LeaseStateError);
  });

  test('a lease the caller does not own reads as unknown; PENDING, REJECTED and EXPIRED are refused with their status', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    await expect(consumeLease(f, lease.leaseId, () => false, file(), { idempotent: false })).rejects.toBeInstanceOf(LeaseNotFoundError);
    await expect(consumeLease(f, 'd'.repeat(32), anyone, file(), { idempotent: false })).rejects.toBeInstanceOf(LeaseNotFoundError);

    const pending = await issueLease(f, { leaseId: 'e'.repeat(32), contract: 'azure-ml', scope: 's', objectKey: `tmp/${'e'.repeat(32)}/x`, pendingUploadId: 'q' }, { createOrGet: true });
    await expect(consumeLease(f, pending.lease.leaseId, anyone, file(), { idempotent: false })).rejects.toMatchObject({ status: 'PENDING' });

    f.store.set({ ...lease, leaseId: 'f'.repeat(32), status: 'REJECTED', rejectReason: 'MD5_MISMATCH' });
    const rejected = await consumeLease(f, 'f'.repeat(32), anyone, file(), { idempotent: false }).catch((e: unknown) => e);
    expect(rejected).toMatchObject({ status: 'REJECTED' });
    expect((rejected as Error).message).toContain('MD5_MISMATCH');

    // Within the margin before its retention ends, an uploaded lease counts as expired (the sweep may be at it).
    f.clock.set(lease.dueAt! - CONSUME_MARGIN_MS);
    await expect(consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false })).rejects.toMatchObject({ status: 'EXPIRED' });
    f.clock.set(lease.dueAt! - CONSUME_MARGIN_MS - 1);
    await expect(consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false })).resolves.toMatchObject({ status: 'CONSUMED' });
  });

  test('a newer upload between the read and the write makes the consumption fail on the sequencer, not consume other bytes', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    f.store.beforeNextTransition(() => f.store.set({ ...f.store.item(lease.leaseId)!, sequencer: '0B', eTag: 'other' }));
    // Still UPLOADED with other bytes: refused as used, so the caller asks again.
    await expect(consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false })).rejects.toMatchObject({ status: 'CONSUMED' });
    expect(f.store.item(lease.leaseId)!.status).toBe('UPLOADED');
  });
});

describe('consumeLease: what a refused caller is told', () => {
  // These messages reach clients (Alibaba and Azure error bodies).
  const refusal = async (f: EngineFixture, leaseId: string, consumer = file(), idempotent = false) =>
    (await consumeLease(f, leaseId, anyone, consumer, { idempotent }).then(
      () => undefined,
      (e: unknown) => e,
    )) as LeaseStateError;

  test('each status has its own reason; only a rejected lease adds what was wrong with its upload', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const as = (leaseId: string, fields: Partial<LeaseRecord>) => f.store.set({ ...lease, leaseId, ...fields });
    const id = (c: string) => c.repeat(32);
    // Nothing uploaded yet: no object at its key.
    as(id('1'), { status: 'PENDING', objectKey: `tmp/${id('1')}/code-1` });
    as(id('2'), { status: 'REJECTED', rejectReason: 'SIZE_MISMATCH' });
    as(id('3'), { status: 'EXPIRED', expiredAt: T0 });
    as(id('4'), { status: 'CONSUMED', consumedBy: file('x') });
    as(id('5'), { status: 'DELETED', consumedBy: file('x'), deletedAt: T0 });
    const messages = await Promise.all(['1', '2', '3', '4', '5'].map(async (c) => (await refusal(f, id(c))).message));
    expect(messages).toEqual([
      `The lease '${id('1')}' has no verified upload yet.`,
      `The lease '${id('2')}' was rejected: its upload did not match what was declared (SIZE_MISMATCH).`,
      `The lease '${id('3')}' has expired.`,
      `The lease '${id('4')}' was already used.`,
      `The lease '${id('5')}' was already used, and what used it has been deleted.`,
    ]);
    for (const [c, status] of [['1', 'PENDING'], ['2', 'REJECTED'], ['3', 'EXPIRED'], ['4', 'CONSUMED'], ['5', 'DELETED']] as const) {
      expect(await refusal(f, id(c))).toMatchObject({ leaseId: id(c), status });
    }
  });

  test('no reason in parentheses for a rejected lease without one, nor for a stale reason on another status', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const { rejectReason: _r, ...noReason } = { ...lease, leaseId: '6'.repeat(32), status: 'REJECTED' as const };
    f.store.set(noReason);
    expect((await refusal(f, noReason.leaseId)).message).toBe(`The lease '${noReason.leaseId}' was rejected: its upload did not match what was declared.`);
    f.store.set({ ...lease, leaseId: '7'.repeat(32), status: 'EXPIRED', rejectReason: 'MD5_MISMATCH' });
    expect((await refusal(f, '7'.repeat(32))).message).toBe(`The lease '${'7'.repeat(32)}' has expired.`);
  });

  test('idempotent: the same id under another kind, or a deleted lease of the same consumer, is refused', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    await consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true });
    await expect(consumeLease(f, lease.leaseId, anyone, { kind: 'broker', id: 'a' }, { idempotent: true })).rejects.toMatchObject({ status: 'CONSUMED' });
    await deleteConsumed(f, lease.leaseId, 'a');
    await expect(consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true })).rejects.toMatchObject({ status: 'DELETED' });
  });

  test('idempotent on a consumed record that names no consumer: refused, not a crash', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    f.store.set({ ...lease, status: 'CONSUMED', storedKey: storedKeyFor(lease.objectKey) });
    const error = await refusal(f, lease.leaseId, file('a'), true);
    expect(error).toBeInstanceOf(LeaseStateError);
    expect(error).toMatchObject({ status: 'CONSUMED' });
  });
});

describe('consumeLease: lost the conditional write', () => {
  /** Runs `meanwhile` between consumeLease's read and its write. */
  const racing = (f: EngineFixture, meanwhile: () => Promise<unknown> | void) => f.store.beforeNextTransition(async () => void (await meanwhile()));

  test('idempotent, to the same consumer (a retried request): the lease it consumed is returned, written once', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const before = f.store.calls.transition;
    let winner: LeaseRecord | undefined;
    racing(f, async () => (winner = await consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true })));
    f.clock.set(T0 + 7);
    const result = await consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true });
    expect(winner).toMatchObject({ status: 'CONSUMED', consumedAt: T0 + 7 });
    expect(result).toEqual(winner);
    expect(f.store.item(lease.leaseId)).toEqual(winner);
    expect(f.store.calls.transition - before).toBe(2); // the winner's write and the loser's failed one
  });

  test('not idempotent, to the same consumer: refused as used', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    racing(f, () => consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: false }));
    await expect(consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: false })).rejects.toMatchObject({
      status: 'CONSUMED',
      message: `The lease '${lease.leaseId}' was already used.`,
    });
  });

  test('idempotent, to another consumer: refused as used', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    racing(f, () => consumeLease(f, lease.leaseId, anyone, file('b'), { idempotent: true }));
    await expect(consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true })).rejects.toMatchObject({ status: 'CONSUMED' });
    expect(f.store.item(lease.leaseId)!.consumedBy!.id).toBe('b');
  });

  test('idempotent, to the same consumer that has since been deleted: refused as DELETED', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    racing(f, async () => {
      await consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true });
      await deleteConsumed(f, lease.leaseId, 'a');
    });
    await expect(consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true })).rejects.toMatchObject({ status: 'DELETED' });
  });

  test('to the sweep: refused with the status the lease has now', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    racing(f, () => f.store.set({ ...f.store.item(lease.leaseId)!, status: 'EXPIRED', expiredAt: T0 }));
    await expect(consumeLease(f, lease.leaseId, anyone, file('a'), { idempotent: true })).rejects.toMatchObject({
      status: 'EXPIRED',
      message: `The lease '${lease.leaseId}' has expired.`,
    });
  });
});

describe('settleLease and the sweep: the move survives failures halfway', () => {
  test('a consumed lease: copy to the permanent key, the temporary one kept until its download URLs have expired, then deleted by the sweep', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const consumed = await consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false });
    const settled = await settleLease(f, consumed);
    expect(settled).toEqual(f.store.item(lease.leaseId));
    expect(settled).toMatchObject({ movedAt: T0, dueAt: T0 + 660_000 });
    expect(f.objects.has(consumed.storedKey!)).toBe(true);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.objects.copies).toEqual([[lease.objectKey, consumed.storedKey]]);
    // Not yet due: the sweep leaves it.
    expect(await sweepDueLeases(f)).toMatchObject({ examined: 0, settled: 0 });
    f.clock.set(T0 + 660_000);
    expect(await sweepDueLeases(f)).toMatchObject({ examined: 1, settled: 1, failed: 0 });
    expect(f.objects.has(lease.objectKey)).toBe(false);
    expect(f.store.item(lease.leaseId)!.dueAt).toBeUndefined();
    expect(f.objects.copies).toHaveLength(1);
  });

  test('the copy fails: the temporary object stays and the lease stays due; the sweep finishes the move', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const consumed = await consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false });
    f.objects.failCopies(new Error('s3 down'), 1);
    await expect(settleLease(f, consumed)).rejects.toThrow('s3 down');
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.store.item(lease.leaseId)!.dueAt).toBe(consumed.dueAt);

    expect(await sweepDueLeases(f)).toMatchObject({ examined: 1, expired: 0, settled: 1, failed: 0 });
    expect(f.objects.has(consumed.storedKey!)).toBe(true);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'CONSUMED', movedAt: T0, dueAt: T0 + 660_000 });
    f.clock.set(T0 + 660_000);
    expect(await sweepDueLeases(f)).toMatchObject({ examined: 1, expired: 0, settled: 1, failed: 0 });
    expect(f.objects.has(lease.objectKey)).toBe(false);
    expect(f.store.item(lease.leaseId)!.dueAt).toBeUndefined();
  });

  test('copied but the delete of the temporary object fails: the next run does not copy again and deletes it', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const consumed = await consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false });
    await settleLease(f, consumed);
    f.clock.set(T0 + 660_000);
    f.objects.failDeletes(new Error('s3 down'), 1);
    expect(await sweepDueLeases(f)).toMatchObject({ settled: 0, failed: 1 });
    expect(f.objects.has(consumed.storedKey!)).toBe(true);
    expect(f.objects.has(lease.objectKey)).toBe(true);
    expect(await sweepDueLeases(f)).toMatchObject({ settled: 1, failed: 0 });
    expect(f.objects.copies).toHaveLength(1);
    expect(f.objects.has(lease.objectKey)).toBe(false);
  });

  test('the temporary object holds other bytes than were verified: nothing is copied, the lease stays due, an error is logged', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const consumed = await consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false });
    f.objects.put(lease.objectKey, { size: 1, eTag: '"replaced"' });
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      expect(await settleLease(f, consumed)).toBeUndefined();
      expect(error).toHaveBeenCalledWith(expect.stringContaining('cannot be moved'), expect.objectContaining({ leaseId: lease.leaseId }));
    } finally {
      error.mockRestore();
    }
    expect(f.objects.has(consumed.storedKey!)).toBe(false);
    expect(f.store.item(lease.leaseId)!.dueAt).toBe(consumed.dueAt);
  });

  test('DELETED: both keys go and the record expires later; a deletion overtaking a move settles as a deletion', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const consumed = await consumeLease(f, lease.leaseId, anyone, file('x'), { idempotent: false });
    expect(await deleteConsumed(f, lease.leaseId, 'other')).toBeUndefined();
    const deleted = await deleteConsumed(f, lease.leaseId, 'x');
    expect(deleted).toMatchObject({ status: 'DELETED', deletedAt: T0, dueAt: T0 });
    expect(deleted!.recordExpiresAt).toBeGreaterThan(T0);
    // The stale CONSUMED image (as a settler holding it would) settles what is there now.
    const settled = await settleLease(f, consumed);
    expect(settled).toMatchObject({ status: 'DELETED' });
    expect(settled!.dueAt).toBeUndefined();
    expect(f.objects.has(lease.objectKey)).toBe(false);
    expect(f.objects.has(consumed.storedKey!)).toBe(false);
  });

  test('updateConsumer replaces what the consumer keeps only while it is still the consumer', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    await consumeLease(f, lease.leaseId, anyone, file('x'), { idempotent: false });
    expect(await updateConsumer(f, lease, { kind: 'alibaba-file', id: 'y', attributes: {} })).toBeUndefined();
    expect(await updateConsumer(f, lease, { kind: 'alibaba-file', id: 'x', attributes: { parser: 'Q' } })).toMatchObject({ consumedBy: { attributes: { parser: 'Q' } } });
  });

  test('an upload through a still-valid URL after consumption: kept while the move is due, deleted once the file has moved', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    const consumed = await consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false });
    // A client's retried PUT of the same bytes changes nothing: the temporary object still serves them.
    const same = { key: lease.objectKey, size: 1, eTag: '"e"', sequencer: '0B', eventTime: f.clock.now() };
    expect(await recordUpload(f, same)).toBe('duplicate');
    // Other bytes while the move is due: left for the move, which copies only the verified bytes.
    f.objects.put(lease.objectKey, { size: 1, eTag: '"f"' });
    const other = { ...same, eTag: '"f"', sequencer: '0C' };
    expect(await recordUpload(f, other)).toBe('consumed-pending');
    f.objects.put(lease.objectKey, { size: 1, eTag: '"e"' });
    await settleLease(f, consumed);
    expect(await recordUpload(f, { ...same, sequencer: '0D' })).toBe('duplicate');
    expect(f.objects.has(lease.objectKey)).toBe(true);
    // Moved: other bytes put there now would be served by the download URLs of the temporary key; they go.
    f.objects.put(lease.objectKey, { size: 1, eTag: '"f"' });
    expect(await recordUpload(f, { ...other, sequencer: '0E' })).toBe('orphan-consumed');
    expect(f.objects.has(lease.objectKey)).toBe(false);
    expect(f.objects.has(consumed.storedKey!)).toBe(true);
  });

  test('Azure create-or-get on a consumed lease is refused: no URL that looks like a second chance', async () => {
    const f = engineFixture();
    const lease = await uploaded(f);
    await consumeLease(f, lease.leaseId, anyone, file(), { idempotent: false });
    const spec = { leaseId: lease.leaseId, contract: 'azure-ml' as const, scope: lease.scope, objectKey: lease.objectKey, pendingUploadId: 'p' };
    await expect(issueLease(f, spec, { createOrGet: true })).rejects.toMatchObject({ status: 'CONSUMED', message: expect.stringContaining('another pendingUploadId') });
  });
});

describe('lease events', () => {
  test('one per published transition, the lease view as detail; none for issuing or a write that keeps the status', async () => {
    const f = engineFixture();
    const changes: LeaseChange[] = [];
    const store = withChangeFeed(f.store, (c) => changes.push(c), () => f.clock.now());
    const g = { ...f, store };
    const lease = await uploaded(g);
    await consumeLease(g, lease.leaseId, anyone, file(), { idempotent: false });
    await settleLease(g, (await store.get(lease.leaseId))!);
    await deleteConsumed(g, lease.leaseId, 'file_1');
    const events = changes.map((c) => leaseEventFor(c.previous, c.record, { time: c.time, bucket: 'b' }));
    expect(events.map((e) => e?.detailType)).toEqual([
      undefined, // issued (PENDING)
      LEASE_EVENT_TYPES.UPLOADED,
      LEASE_EVENT_TYPES.CONSUMED,
      undefined, // moved: still CONSUMED
      LEASE_EVENT_TYPES.DELETED,
    ]);
    const consumedEvent = events[2]!;
    expect(consumedEvent).toMatchObject({ source: 'upload-lease-broker', time: new Date(T0).toISOString() });
    expect(consumedEvent.detail).toMatchObject({ leaseId: lease.leaseId, status: 'CONSUMED', consumedBy: { kind: 'alibaba-file', id: 'file_1' } });
    expect(consumedEvent.detail).not.toHaveProperty('downloadUrl');
  });

  test('the status in an event is the transition, not what the clock says of the lease by the time it is published', () => {
    const record = { leaseId: 'a', contract: 'azure-ml', scope: 's', objectKey: 'tmp/a/x', status: 'UPLOADED', createdAt: 0, urlExpiresAt: 1, dueAt: 5 } as LeaseRecord;
    expect(leaseEventFor('PENDING', record, { time: 10, bucket: 'b' })!.detail.status).toBe('UPLOADED');
    expect(leaseEventFor('UPLOADED', record, { time: 10, bucket: 'b' })).toBeUndefined();
    expect(leaseEventFor('EXPIRED', { ...record, status: 'PENDING' }, { time: 10, bucket: 'b' })).toBeUndefined();
  });
});
