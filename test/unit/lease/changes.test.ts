import { describe, expect, test } from '@jest/globals';
import { needsSettling, withChangeFeed, type LeaseChange } from '../../../shared/lease/changes.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import { engineFixture, T0 } from '../../support/engine-fixture.js';

const leaseId = 'a'.repeat(32);
const pending: LeaseRecord = {
  leaseId,
  contract: 'azure-ml',
  scope: 's',
  objectKey: `tmp/${leaseId}/code-1`,
  status: 'PENDING',
  createdAt: T0,
  urlExpiresAt: T0 + 600_000,
  dueAt: T0 + 900_000,
};

describe('needsSettling', () => {
  test.each([
    ['CONSUMED, due (the move is not done)', { status: 'CONSUMED' as const, storedKey: 'files/x', dueAt: T0 }, true],
    ['DELETED, due (the objects are not gone yet)', { status: 'DELETED' as const, storedKey: 'files/x', dueAt: T0 }, true],
    ['CONSUMED, settled', { status: 'CONSUMED' as const, storedKey: 'files/x', dueAt: undefined }, false],
    ['DELETED, settled', { status: 'DELETED' as const, storedKey: 'files/x', dueAt: undefined }, false],
    ['UPLOADED, due (the sweep expires it; nothing to settle)', { status: 'UPLOADED' as const, sequencer: '0A', dueAt: T0 }, false],
    ['PENDING, due', { status: 'PENDING' as const, dueAt: T0 }, false],
    ['EXPIRED', { status: 'EXPIRED' as const, dueAt: undefined }, false],
  ])('%s: %p', (_what, change, expected) => {
    expect(needsSettling({ ...pending, ...change })).toBe(expected);
  });
});

describe('withChangeFeed', () => {
  test('reports each successful write with the status it replaced and the time; a refused write reports nothing', async () => {
    const f = engineFixture();
    const changes: LeaseChange[] = [];
    const store = withChangeFeed(f.store, (c) => changes.push(c), () => f.clock.now());

    expect(await store.putNew(pending)).toBe(true);
    expect(changes).toEqual([{ previous: undefined, record: pending, time: T0 }]);
    // The id is taken: nothing written, nothing reported.
    expect(await store.putNew({ ...pending, scope: 'other' })).toBe(false);
    expect(changes).toHaveLength(1);

    f.clock.set(T0 + 5000);
    // A condition that does not hold: nothing written, nothing reported.
    expect(await store.transition(leaseId, { status: 'UPLOADED' }, { status: 'EXPIRED' })).toBeUndefined();
    expect(changes).toHaveLength(1);

    const written = await store.transition(leaseId, { status: 'PENDING', dueAt: pending.dueAt }, { status: 'EXPIRED', expiredAt: T0 + 5000 }, ['dueAt']);
    expect(written).toEqual(f.store.item(leaseId));
    expect(changes).toEqual([
      { previous: undefined, record: pending, time: T0 },
      { previous: 'PENDING', record: written, time: T0 + 5000 },
    ]);
  });

  test('announces a move to another status before the write is sent (written or not), never a write that keeps the status', async () => {
    const f = engineFixture();
    const log: string[] = [];
    const store = withChangeFeed(
      f.store,
      (c) => log.push(`changed ${c.record.status}`),
      () => f.clock.now(),
      (id, to) => log.push(`move ${id === leaseId ? 'lease' : id} ${to} (stored: ${f.store.item(leaseId)?.status ?? 'none'})`),
    );
    await store.putNew(pending);
    await store.transition(leaseId, { status: 'PENDING' }, { dueAt: T0 + 1 });
    await store.transition(leaseId, { status: 'PENDING' }, { status: 'PENDING', dueAt: T0 + 2 });
    await store.transition(leaseId, { status: 'UPLOADED' }, { status: 'CONSUMED' });
    await store.transition(leaseId, { status: 'PENDING' }, { status: 'EXPIRED', expiredAt: T0 });
    expect(log).toEqual([
      'changed PENDING',
      'changed PENDING',
      'changed PENDING',
      'move lease CONSUMED (stored: PENDING)',
      'move lease EXPIRED (stored: PENDING)',
      'changed EXPIRED',
    ]);
  });
});
