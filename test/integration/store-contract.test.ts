import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { LeaseRecord } from '../../shared/lease/model.js';
import { dueShardOf } from '../../shared/adapters/lease-table.js';
import { allDueLeases, createMemoryLeaseStore } from '../support/memory-store.js';
import type { LeaseStore } from '../../shared/lease/ports.js';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';

/**
 * The unit tier trusts the in-memory store to behave as the DynamoDB store does. This holds it to
 * that: the same assertions against both, the DynamoDB one on the embedded engine (dynalite).
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.dispose());

const memory = createMemoryLeaseStore();
const stores: [string, () => LeaseStore][] = [
  ['in-memory', () => memory],
  ['DynamoDB', () => broker.deps.store],
];

const NOW = 1_800_000_000_000;
function lease(overrides: Partial<LeaseRecord> = {}): LeaseRecord {
  const leaseId = randomBytes(16).toString('hex');
  return {
    leaseId,
    contract: 'azure-ml',
    scope: 's',
    objectKey: `tmp/${leaseId}/c`,
    status: 'PENDING',
    createdAt: NOW,
    urlExpiresAt: NOW + 1,
    dueAt: NOW + 2,
    recordExpiresAt: 2_000_000_000_000,
    ...overrides,
  };
}

describe.each(stores)('%s lease store', (_name, storeOf) => {
  test('putNew writes once; get returns exactly what was written', async () => {
    const store = storeOf();
    const record = lease({ fileName: 'ü.pdf', declaredSize: 5 });
    expect(await store.putNew(record)).toBe(true);
    expect(await store.putNew({ ...record, scope: 'other' })).toBe(false);
    expect(await store.get(record.leaseId)).toEqual(record);
    expect(await store.get(randomBytes(16).toString('hex'))).toBeUndefined();
  });

  test('an upload expectation holds exactly when the lease declared what arrived (or nothing), in time, at its key', async () => {
    const store = storeOf();
    const md5 = 'a'.repeat(32);
    const base = (r: LeaseRecord) => ({ objectKey: r.objectKey, urlExpiresAtFrom: r.urlExpiresAt, size: 5, md5, withinLimit: true, revivedBy: 1000 });
    const cases: Array<[string, Partial<LeaseRecord>, (r: LeaseRecord) => object, boolean]> = [
      ['nothing declared', {}, base, true],
      ['all declared, all match', { declaredSize: 5, declaredMd5: md5, contentType: 'text/plain' }, (r) => ({ ...base(r), contentType: 'text/plain' }), true],
      ['another size', { declaredSize: 6 }, base, false],
      ['over the limit, nothing declared', {}, (r) => ({ ...base(r), withinLimit: false }), false],
      ['over the limit, size declared', { declaredSize: 5 }, (r) => ({ ...base(r), withinLimit: false }), true],
      ['another MD5', { declaredMd5: 'b'.repeat(32) }, base, false],
      ['an upper-case declared MD5 (the long way decides)', { declaredMd5: md5.toUpperCase() }, base, false],
      ['a declared type, none given', { contentType: 'text/plain' }, base, false],
      ['another type', { contentType: 'text/plain' }, (r) => ({ ...base(r), contentType: 'text/markdown' }), false],
      ['a type given, none declared', {}, (r) => ({ ...base(r), contentType: 'text/plain' }), false],
      ['too late', {}, (r) => ({ ...base(r), urlExpiresAtFrom: r.urlExpiresAt + 1 }), false],
      ['another key', {}, (r) => ({ ...base(r), objectKey: `${r.objectKey}x` }), false],
      ['revived when (or before) it was stored', { revivedAt: 1000 }, base, true],
      ['revived after it was stored (its previous life\'s)', { revivedAt: 1001 }, base, false],
    ];
    for (const [what, declared, expectation, holds] of cases) {
      const record = lease(declared);
      await store.putNew(record);
      const written = await store.transition(record.leaseId, { status: 'PENDING', sequencer: null, upload: expectation(record) as never }, { status: 'UPLOADED', sequencer: '01' });
      expect([what, written?.status]).toEqual([what, holds ? 'UPLOADED' : undefined]);
      expect([what, (await store.get(record.leaseId))!.status]).toEqual([what, holds ? 'UPLOADED' : 'PENDING']);
    }
  });

  test('transition applies SET and REMOVE only while the expected status holds', async () => {
    const store = storeOf();
    const record = lease();
    await store.putNew(record);
    expect(await store.transition(record.leaseId, { status: 'UPLOADED' }, { status: 'EXPIRED' })).toBeUndefined();
    expect(await store.get(record.leaseId)).toEqual(record);
    expect(await store.transition(record.leaseId, { status: 'PENDING' }, { status: 'EXPIRED', expiredAt: 7, size: undefined }, ['dueAt'])).toBeDefined();
    const { dueAt: _d, ...rest } = record;
    expect(await store.get(record.leaseId)).toEqual({ ...rest, status: 'EXPIRED', expiredAt: 7 });
  });

  test('the sequencer condition: null means absent, a string means equal', async () => {
    const store = storeOf();
    const record = lease();
    await store.putNew(record);
    expect(await store.transition(record.leaseId, { status: 'PENDING', sequencer: '0A' }, { size: 1 })).toBeUndefined();
    expect(await store.transition(record.leaseId, { status: 'PENDING', sequencer: null }, { sequencer: '0A' })).toBeDefined();
    expect(await store.transition(record.leaseId, { status: 'PENDING', sequencer: null }, { size: 2 })).toBeUndefined();
    expect(await store.transition(record.leaseId, { status: 'PENDING', sequencer: '0B' }, { size: 3 })).toBeUndefined();
    expect(await store.transition(record.leaseId, { status: 'PENDING', sequencer: '0A' }, { size: 4 })).toBeDefined();
    expect(await store.get(record.leaseId)).toMatchObject({ sequencer: '0A', size: 4 });
  });

  test('the due-time condition, and a missing lease, fail the write', async () => {
    const store = storeOf();
    const record = lease();
    await store.putNew(record);
    expect(await store.transition(record.leaseId, { status: 'PENDING', dueAt: record.dueAt! + 1 }, { size: 1 })).toBeUndefined();
    expect(await store.transition(record.leaseId, { status: 'PENDING', dueAt: record.dueAt! }, { size: 1 })).toBeDefined();
    expect(await store.transition(randomBytes(16).toString('hex'), { status: 'PENDING' }, { size: 1 })).toBeUndefined();
  });

  test('dueLeases lists due leases of every shard with what the index projects, and nothing out of the index or not yet due', async () => {
    const store = storeOf();
    const mine = new Set<string>();
    const due: string[] = [];
    for (let i = 0; i < 40; i++) {
      const record = lease({ dueAt: NOW + (i % 2 === 0 ? -1000 - i : 1000) });
      await store.putNew(record);
      mine.add(record.leaseId);
      if (i % 2 === 0) due.push(record.leaseId);
    }
    const out = lease({ dueAt: NOW - 5 });
    await store.putNew(out);
    mine.add(out.leaseId);
    await store.transition(out.leaseId, { status: 'PENDING' }, { status: 'EXPIRED' }, ['dueAt']);
    const entries = (await allDueLeases(store, NOW)).filter((e) => mine.has(e.leaseId));
    expect(entries.map((e) => e.leaseId).sort()).toEqual(due.sort());
    const sample = (await store.get(entries[0]!.leaseId))!;
    expect(entries[0]).toEqual({ leaseId: sample.leaseId, status: sample.status, objectKey: sample.objectKey, dueAt: sample.dueAt });
    expect(await store.oldestDueAt(NOW)).toBeLessThanOrEqual(Math.min(...entries.map((e) => e.dueAt)));
    expect(new Set(due.map((id) => dueShardOf(id, store.dueShards))).size).toBeGreaterThan(2);
  });
});
