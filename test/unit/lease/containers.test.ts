import { describe, expect, test } from '@jest/globals';
import { blobFrontContainers } from '../../../shared/contracts/azure/blob-front.js';
import { LeaseStateError } from '../../../shared/errors.js';
import { consumeLease, deleteConsumed } from '../../../shared/lease/consume.js';
import { copyContainer, deleteAll, deleteUnder } from '../../../shared/lease/containers.js';
import { issueLease } from '../../../shared/lease/engine.js';
import { containerKeyFor } from '../../../shared/lease/keys.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import { settleLease } from '../../../shared/lease/settle.js';
import { sweepDueLeases } from '../../../shared/lease/sweep.js';
import { recordUpload, verifyUploadNow } from '../../../shared/lease/uploads.js';
import { engineFixture, T0, type EngineFixture } from '../../support/engine-fixture.js';

/** Container leases (Azure through the Blob front): the lease owns a prefix and every blob under it. */

const FRONT = 'https://front.example';
let counter = 0;
const consumer = { kind: 'azure-code-version' as const, id: 'code/1', attributes: {} };

function fixture(env: Record<string, string> = {}): EngineFixture {
  const f = engineFixture(env);
  return { ...f, containers: blobFrontContainers({ url: FRONT, signingKey: async () => 'k'.repeat(64) }) } as EngineFixture;
}

async function pending(f: EngineFixture): Promise<LeaseRecord> {
  const leaseId = (counter++).toString(16).padStart(32, 'e');
  const issued = await issueLease(f, { leaseId, contract: 'azure-ml', scope: 's', objectKey: containerKeyFor(leaseId), pendingUploadId: 'p' }, { createOrGet: true });
  return issued.lease;
}

/** A blob stored now, and its S3 event. */
function put(f: EngineFixture, lease: LeaseRecord, name: string, size = 3, eTag = `"${name}"`) {
  const key = lease.objectKey + name;
  f.objects.put(key, { size, eTag, lastModified: Math.floor(f.clock.now() / 1000) * 1000 });
  return { key, size, eTag, sequencer: (counter++).toString(16).padStart(4, '0'), eventTime: f.clock.now() };
}

async function uploadedWith(f: EngineFixture, names: string[]): Promise<LeaseRecord> {
  const lease = await pending(f);
  for (const name of names) expect(await recordUpload(f, put(f, lease, name))).toBe('uploaded');
  return f.store.item(lease.leaseId)!;
}

describe('issuing a container lease', () => {
  test('hands out the container URL with a SAS valid until the URL expiry, and the container as blobUri', async () => {
    const f = fixture();
    const leaseId = 'f'.repeat(32);
    const issued = await issueLease(f, { leaseId, contract: 'azure-ml', scope: 's', objectKey: containerKeyFor(leaseId), pendingUploadId: 'p' }, { createOrGet: true });
    expect(issued.objectUrl).toBe(`${FRONT}/${leaseId}`);
    const url = new URL(issued.uploadUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${FRONT}/${leaseId}`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ sr: 'c', sp: 'rcw', se: new Date(T0 + 600_000).toISOString().replace('.000Z', 'Z') });
    expect(url.searchParams.get('sig')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(issued.uploadHeaders).toEqual({});
  });

  test('without the Blob front, a container lease is refused with what to do, and nothing is written', async () => {
    const f = engineFixture();
    const leaseId = '9'.repeat(32);
    await expect(issueLease(f, { leaseId, contract: 'azure-ml', scope: 's', objectKey: containerKeyFor(leaseId) }, { createOrGet: true })).rejects.toThrow(LeaseStateError);
    expect(f.store.item(leaseId)).toBeUndefined();
  });

  test('a codeUri names its container, or a directory in it; other origins and non-lease containers do not', () => {
    const containers = blobFrontContainers({ url: FRONT, signingKey: async () => 'k' });
    const id = 'a'.repeat(32);
    expect(containers.leaseIdOfUrl(`${FRONT}/${id}`)).toBe(id);
    expect(containers.leaseIdOfUrl(`${FRONT}/${id}/src/dir`)).toBe(id);
    expect(containers.leaseIdOfUrl(`https://other.example/${id}`)).toBeUndefined();
    expect(containers.leaseIdOfUrl(`${FRONT}/not-a-lease/${id}`)).toBeUndefined();
    expect(containers.leaseIdOfUrl('not a url')).toBeUndefined();
  });

  test('a front with an account segment (a local front on an IP address) keeps it in every URL', async () => {
    const containers = blobFrontContainers({ url: 'http://127.0.0.1:3002/local', signingKey: async () => 'k' });
    const id = 'a'.repeat(32);
    expect(containers.containerUrl(id)).toBe(`http://127.0.0.1:3002/local/${id}`);
    expect((await containers.presignContainer(id, T0, T0)).startsWith(`http://127.0.0.1:3002/local/${id}?sv=`)).toBe(true);
    expect(containers.leaseIdOfUrl(`http://127.0.0.1:3002/local/${id}/dir`)).toBe(id);
    expect(containers.leaseIdOfUrl(`http://127.0.0.1:3002/${id}/dir`)).toBeUndefined();
    expect(containers.leaseIdOfUrl(`http://127.0.0.1:3002/localx/${id}`)).toBeUndefined();
    // Any trailing slashes of the configured URL go.
    expect(blobFrontContainers({ url: 'https://front.example//', signingKey: async () => 'k' }).containerUrl(id)).toBe(`https://front.example/${id}`);
  });
});

describe('blob events (recordUpload)', () => {
  test('the first blob makes the lease UPLOADED from its time; later blobs join it without a write', async () => {
    const f = fixture();
    const lease = await pending(f);
    f.clock.advance(2000);
    expect(await recordUpload(f, put(f, lease, 'src/a.py'))).toBe('uploaded');
    const after = f.store.item(lease.leaseId)!;
    expect(after).toMatchObject({ status: 'UPLOADED', uploadedAt: T0 + 2000, retainUntil: T0 + 2000 + 43_200_000, dueAt: T0 + 2000 + 43_200_000 });
    const writes = f.store.calls.transition;
    f.clock.advance(1000);
    expect(await recordUpload(f, put(f, lease, 'src/b.py'))).toBe('uploaded');
    expect(f.store.calls.transition).toBe(writes + 1); // the fast path's refused condition only
    expect(f.store.item(lease.leaseId)).toEqual(after);
    expect(f.objects.has(`${lease.objectKey}src/b.py`)).toBe(true);
  });

  test('a blob over the per-blob limit, a late blob, and blobs of rejected or expired leases are deleted', async () => {
    const f = fixture({ MAX_UPLOAD_BYTES: '10' });
    const lease = await pending(f);
    const big = put(f, lease, 'big.bin', 11);
    expect(await recordUpload(f, big)).toBe('orphan-too-large');
    expect(f.objects.has(big.key)).toBe(false);
    expect(f.store.item(lease.leaseId)!.status).toBe('PENDING');

    f.clock.advance(600_000 + 300_000 + 1);
    const late = put(f, lease, 'late.txt');
    expect(await recordUpload(f, late)).toBe('orphan-late');
    expect(f.objects.has(late.key)).toBe(false);
    expect(f.store.item(lease.leaseId)!.status).toBe('PENDING');

    for (const status of ['REJECTED', 'EXPIRED'] as const) {
      const other = await pending(f);
      await f.store.transition(other.leaseId, { status: 'PENDING' }, { status });
      const blob = put(f, other, 'x');
      expect(await recordUpload(f, blob)).toBe(status === 'REJECTED' ? 'orphan-rejected' : 'orphan-expired');
      expect(f.objects.has(blob.key)).toBe(false);
    }
  });

  test('after consumption: kept for the move while it is pending, deleted once moved', async () => {
    const f = fixture();
    const lease = await uploadedWith(f, ['a']);
    f.clock.advance(1000);
    await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true });
    f.clock.advance(1000);
    const early = put(f, lease, 'early');
    expect(await recordUpload(f, early)).toBe('consumed-pending');
    expect(f.objects.has(early.key)).toBe(true);
    await settleLease(f, f.store.item(lease.leaseId)!);
    const later = put(f, lease, 'later');
    expect(await recordUpload(f, later)).toBe('orphan-consumed');
    expect(f.objects.has(later.key)).toBe(false);
  });
});

describe('blob events: deletion, revival, races and limits', () => {
  test('a DELETED container: a blob is kept for the settlement still due, deleted once it has run', async () => {
    const f = fixture();
    const lease = await uploadedWith(f, ['a']);
    await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true });
    await deleteConsumed(f, lease.leaseId, consumer.id);
    const pendingSettle = put(f, lease, 'during');
    expect(await recordUpload(f, pendingSettle)).toBe('consumed-pending');
    expect(f.objects.has(pendingSettle.key)).toBe(true);
    await settleLease(f, f.store.item(lease.leaseId)!);
    const settled = f.store.item(lease.leaseId)!;
    expect(settled.dueAt).toBeUndefined();
    expect(settled.movedAt).toBeUndefined();
    const after = put(f, lease, 'after');
    expect(await recordUpload(f, after)).toBe('orphan-consumed');
    expect(f.objects.has(after.key)).toBe(false);
  });

  test("a blob from a revived container's previous life is stale and left alone", async () => {
    const f = fixture();
    const lease = await pending(f);
    const old = put(f, lease, 'old');
    await f.store.transition(lease.leaseId, { status: 'PENDING' }, { status: 'EXPIRED' });
    f.clock.advance(5000);
    await issueLease(f, { leaseId: lease.leaseId, contract: 'azure-ml', scope: 's', objectKey: lease.objectKey, pendingUploadId: 'p' }, { createOrGet: true });
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'PENDING', revivedAt: T0 + 5000 });
    expect(await recordUpload(f, old)).toBe('stale');
    expect(f.objects.has(old.key)).toBe(true);
    expect(f.store.item(lease.leaseId)!.status).toBe('PENDING');
    // verifyUploadNow does not take it for this life's upload either.
    expect((await verifyUploadNow(f, f.store.item(lease.leaseId)!)).status).toBe('PENDING');
  });

  test('a blob of exactly the per-blob limit is kept', async () => {
    const f = fixture({ MAX_UPLOAD_BYTES: '10' });
    const lease = await pending(f);
    expect(await recordUpload(f, put(f, lease, 'ten', 10))).toBe('uploaded');
  });

  test('a lease that kept a sequencer (from before a switch of mode) still takes its first blob', async () => {
    const f = fixture();
    const lease = await pending(f);
    await f.store.transition(lease.leaseId, { status: 'PENDING' }, { sequencer: '0F' });
    const reads = f.store.calls.get;
    expect(await recordUpload(f, put(f, lease, 'a'))).toBe('uploaded');
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'UPLOADED', sequencer: '0F' });
    // One read (the lease), one refused fast-path condition, one write: no retry.
    expect(f.store.calls.get - reads).toBe(1);
  });

  test('two first blobs at once: one write wins, the other re-reads and joins it', async () => {
    const f = fixture();
    const lease = await pending(f);
    const outcomes = await Promise.all([recordUpload(f, put(f, lease, 'a')), recordUpload(f, put(f, lease, 'b'))]);
    expect(outcomes).toEqual(['uploaded', 'uploaded']);
    expect(f.store.item(lease.leaseId)!.status).toBe('UPLOADED');
  });

  test('a lease that keeps changing: a retryable error after 5 attempts, so Lambda delivers the event again', async () => {
    const f = fixture();
    const lease = await pending(f);
    const blob = put(f, lease, 'a');
    const store = { ...f.store, transition: async () => undefined };
    await expect(recordUpload({ ...f, store }, blob)).rejects.toMatchObject({ dependency: 'dynamodb', throttled: true });
    expect(f.objects.has(blob.key)).toBe(true);
  });
});

describe('verifyUploadNow on a container (a consumer before the events)', () => {
  test('blobs stored after the URL could be used are not an upload', async () => {
    const f = fixture();
    const lease = await pending(f);
    f.clock.advance(600_000 + 300_000 + 2000);
    put(f, lease, 'late');
    expect((await verifyUploadNow(f, lease)).status).toBe('PENDING');
    expect(f.store.item(lease.leaseId)!.status).toBe('PENDING');
  });

  test('the verdict written is returned as written, without another read', async () => {
    const f = fixture();
    const lease = await pending(f);
    put(f, lease, 'x');
    const reads = f.store.calls.get;
    const now = await verifyUploadNow(f, lease);
    expect(now.status).toBe('UPLOADED');
    expect(f.store.calls.get).toBe(reads);
  });

  test('nothing there: unchanged; blobs there: UPLOADED from the oldest blob', async () => {
    const f = fixture();
    const lease = await pending(f);
    expect(await verifyUploadNow(f, lease)).toEqual(lease);
    f.clock.advance(3000);
    put(f, lease, 'one');
    f.clock.advance(4000);
    put(f, lease, 'two');
    const now = await verifyUploadNow(f, lease);
    expect(now).toMatchObject({ status: 'UPLOADED', uploadedAt: T0 + 3000, retainUntil: T0 + 3000 + 43_200_000 });
    expect(f.store.item(lease.leaseId)).toEqual(now);
  });
});

describe('consuming a container', () => {
  test('records the total size of what it holds and moves every blob to the permanent prefix', async () => {
    const f = fixture();
    const lease = await uploadedWith(f, ['dir/a.py', 'dir/sub/b.py']);
    f.clock.advance(1000);
    const consumed = await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true });
    expect(consumed).toMatchObject({ status: 'CONSUMED', size: 6, storedKey: `files/${lease.leaseId}/` });
    const settled = await settleLease(f, consumed);
    expect(settled?.movedAt).toBe(f.clock.now());
    expect(f.objects.has(`files/${lease.leaseId}/dir/a.py`)).toBe(true);
    expect(f.objects.has(`files/${lease.leaseId}/dir/sub/b.py`)).toBe(true);
    // The temporary blobs stay until every URL handed out for them has expired, then go together.
    expect(f.objects.has(`${lease.objectKey}dir/a.py`)).toBe(true);
    f.clock.set(settled!.dueAt!);
    await settleLease(f, f.store.item(lease.leaseId)!);
    expect(await f.objects.list(lease.objectKey)).toEqual([]);
    expect(f.store.item(lease.leaseId)!.dueAt).toBeUndefined();
  });

  test('over the per-lease limit in total: REJECTED (SIZE_LIMIT), every blob deleted, the consumer refused', async () => {
    const f = fixture({ MAX_UPLOAD_BYTES: '5' });
    const lease = await uploadedWith(f, ['a', 'b']);
    await expect(consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true })).rejects.toMatchObject({ status: 'REJECTED' });
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_LIMIT', size: 6 });
    expect(await f.objects.list(lease.objectKey)).toEqual([]);
  });

  test('a total of exactly the limit is consumed', async () => {
    const f = fixture({ MAX_UPLOAD_BYTES: '6' });
    const lease = await uploadedWith(f, ['a', 'b']);
    expect(await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true })).toMatchObject({ status: 'CONSUMED', size: 6 });
  });

  test('over the limit with a sequencer kept from before: still REJECTED, its due time and retention gone', async () => {
    const f = fixture({ MAX_UPLOAD_BYTES: '5' });
    const lease = await uploadedWith(f, ['a', 'b']);
    await f.store.transition(lease.leaseId, { status: 'UPLOADED' }, { sequencer: '0A' });
    await expect(consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true })).rejects.toMatchObject({ status: 'REJECTED' });
    const rejected = f.store.item(lease.leaseId)!;
    expect(rejected).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_LIMIT' });
    expect([rejected.dueAt, rejected.uploadedAt, rejected.retainUntil]).toEqual([undefined, undefined, undefined]);
  });

  test('over the limit while another consumer wins: that answer, and the blobs kept', async () => {
    const f = fixture({ MAX_UPLOAD_BYTES: '5' });
    const lease = await uploadedWith(f, ['a', 'b']);
    const other = { kind: 'broker' as const, id: 'other' };
    // The rejection's write finds the lease consumed by someone else meanwhile.
    const store = {
      ...f.store,
      async transition(...args: Parameters<typeof f.store.transition>) {
        if (args[2].status === 'REJECTED') {
          await f.store.transition(lease.leaseId, { status: 'UPLOADED' }, { status: 'CONSUMED', consumedBy: other, consumedAt: f.clock.now() });
          return undefined;
        }
        return f.store.transition(...args);
      },
    };
    await expect(consumeLease({ ...f, store }, lease.leaseId, () => true, consumer, { idempotent: true })).rejects.toMatchObject({ status: 'CONSUMED' });
    expect((await f.objects.list(lease.objectKey)).length).toBe(2);
  });

  test('a blob stored after the consumption is not part of it', async () => {
    const f = fixture();
    const lease = await uploadedWith(f, ['a']);
    f.clock.advance(1000);
    const consumed = await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true });
    f.clock.advance(2000);
    put(f, lease, 'after');
    await settleLease(f, consumed);
    expect(f.objects.has(`files/${lease.leaseId}/a`)).toBe(true);
    expect(f.objects.has(`files/${lease.leaseId}/after`)).toBe(false);
  });

  test('a blob changed since it was listed stops the move; the lease stays due', async () => {
    const f = fixture();
    const objects = f.objects;
    const lease = await uploadedWith(f, ['a']);
    const consumed = await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true });
    const changing = { ...objects, list: async (prefix: string) => (await objects.list(prefix)).map((b) => ({ ...b, eTag: '"other"' })) };
    expect(await settleLease({ ...f, objects: changing }, consumed)).toBeUndefined();
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'CONSUMED', dueAt: consumed.dueAt });
    expect(f.store.item(lease.leaseId)!.movedAt).toBeUndefined();
  });

  test('deleting what consumed it deletes both prefixes', async () => {
    const f = fixture();
    const lease = await uploadedWith(f, ['a', 'b']);
    const consumed = await consumeLease(f, lease.leaseId, () => true, consumer, { idempotent: true });
    await settleLease(f, consumed);
    const deleted = await deleteConsumed(f, lease.leaseId, consumer.id);
    await settleLease(f, deleted!);
    expect(await f.objects.list(lease.objectKey)).toEqual([]);
    expect(await f.objects.list(`files/${lease.leaseId}/`)).toEqual([]);
    expect(f.store.item(lease.leaseId)).toMatchObject({ status: 'DELETED' });
  });
});

describe('retention of a container', () => {
  test('the sweep deletes every blob under an expired container; one it cannot delete keeps the lease due', async () => {
    const f = fixture();
    const gone = await uploadedWith(f, ['a', 'b', 'c']);
    const stuck = await uploadedWith(f, ['x', 'y']);
    f.objects.refuseDeleteOf(`${stuck.objectKey}y`);
    f.clock.set(gone.retainUntil! + 1);
    const report = await sweepDueLeases(f);
    expect(report.expired).toBe(1);
    expect(await f.objects.list(gone.objectKey)).toEqual([]);
    expect(f.store.item(gone.leaseId)).toMatchObject({ status: 'EXPIRED' });
    expect(f.store.item(stuck.leaseId)).toMatchObject({ status: 'UPLOADED', dueAt: stuck.dueAt });
    await sweepDueLeases(f);
    expect(f.store.item(stuck.leaseId)).toMatchObject({ status: 'EXPIRED' });
    expect(await f.objects.list(stuck.objectKey)).toEqual([]);
  });

  test('deleteUnder sends DeleteObjects in batches of 1,000 and reports the prefixes left with something', async () => {
    const f = fixture();
    const batches: number[] = [];
    const objects = { ...f.objects, deleteMany: async (keys: readonly string[]) => (batches.push(keys.length), f.objects.deleteMany(keys)) };
    for (let i = 0; i < 2500; i++) f.objects.put(`tmp/p/${String(i).padStart(4, '0')}`, { size: 1, eTag: '"e"' });
    f.objects.put('tmp/q', { size: 1, eTag: '"e"' });
    f.objects.refuseDeleteOf('tmp/p/0007');
    const failed = await deleteUnder(objects, ['tmp/p/', 'tmp/q']);
    expect(batches).toEqual([1000, 1000, 501]);
    expect([...failed]).toEqual(['tmp/p/']);
    expect((await f.objects.list('tmp/p/')).map((o) => o.key)).toEqual(['tmp/p/0007']);
  });

  test('deleteAll of a container that keeps a blob: a retryable error (the settlement stays due)', async () => {
    const f = fixture();
    f.objects.put('tmp/c/a', { size: 1, eTag: '"e"' });
    f.objects.refuseDeleteOf('tmp/c/a');
    await expect(deleteAll(f.objects, 'tmp/c/')).rejects.toMatchObject({ dependency: 's3', throttled: true });
    await expect(deleteAll(f.objects, 'tmp/c/')).resolves.toBeUndefined();
    expect(f.objects.has('tmp/c/a')).toBe(false);
  });

  test('copyContainer copies every blob once, eight at a time, and fails if any one has changed', async () => {
    const f = fixture();
    for (let i = 0; i < 10; i++) f.objects.put(`tmp/d/${i}`, { size: 1, eTag: `"e${i}"`, lastModified: T0 });
    expect(await copyContainer(f.objects, 'tmp/d/', 'files/d/', T0)).toBe(true);
    expect(f.objects.copies.map(([, to]) => to).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `files/d/${i}`).sort());
    const oneChanged = { ...f.objects, list: async (p: string) => (await f.objects.list(p)).map((b) => (b.key.endsWith('/3') ? { ...b, eTag: '"changed"' } : b)) };
    expect(await copyContainer(oneChanged, 'tmp/d/', 'files/d/', T0)).toBe(false);
  });

  test('copyContainer copies each blob under its relative name, conditional on its listed ETag', async () => {
    const f = fixture();
    f.objects.put('tmp/c/x/y', { size: 1, eTag: '"AB"', lastModified: T0 });
    expect(await copyContainer(f.objects, 'tmp/c/', 'files/c/', T0)).toBe(true);
    expect(f.objects.copies).toEqual([['tmp/c/x/y', 'files/c/x/y']]);
  });
});
