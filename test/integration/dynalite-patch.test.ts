import { createRequire } from 'node:module';
import { describe, expect, test } from '@jest/globals';
import { createTableInput } from '../../shared/adapters/lease-table.js';

/**
 * patches/dynalite+4.0.0.patch: an item and its index entries are written as one LevelDB batch, which
 * LevelDB applies whole or not at all. dynalite wrote them one by one (index deletes, index puts, then
 * the item), so the soak's kill -9 between them left the due index naming a status the item never got,
 * or not listing a lease that was due: its temporary object then outlived its retention. Reads after
 * these writes (the due index, GetItem) are exercised by every local-mode test.
 */
const dynaliteRequire = createRequire(createRequire(import.meta.url).resolve('dynalite'));
type Op = { type: 'put' | 'del'; key: string; value?: unknown };
const dynaliteDb = dynaliteRequire('./db') as {
  createKey(item: unknown, table: unknown): string;
  writeItemAtomically(store: unknown, table: unknown, existing: unknown, item: unknown, key: string, cb: (err?: Error) => void): void;
};

const table = createTableInput('leases');
const item = (status: string, dueAt: number) => ({ leaseId: { S: 'a'.repeat(32) }, status: { S: status }, dueShard: { S: 'DUE#0' }, dueAt: { N: String(dueAt) } });

/** Writes through the patched function into a store whose LevelDB records each call it gets. */
async function write(existing: unknown, next: unknown) {
  const calls: Op[][] = [];
  const store = { db: { batch: (ops: Op[], cb: (err?: Error) => void) => (calls.push(ops), cb()) } };
  const key = dynaliteDb.createKey(next ?? existing, table);
  await new Promise<void>((resolve, reject) => dynaliteDb.writeItemAtomically(store, table, existing, next, key, (err) => (err ? reject(err) : resolve())));
  return calls;
}

describe('the patched dynalite', () => {
  test('an update that moves the due index entry is one batch: the old entry out, the new one in, the item', async () => {
    const calls = await write(item('PENDING', 3000), item('UPLOADED', 9000));
    expect(calls).toHaveLength(1);
    const index = `index-global~leases~${table.GlobalSecondaryIndexes[0]!.IndexName}~`;
    expect(calls[0]!.map((op) => [op.type, op.key.startsWith(index) ? 'index' : op.key.startsWith('item-leases~') ? 'item' : op.key])).toEqual([
      ['del', 'index'],
      ['put', 'index'],
      ['put', 'item'],
    ]);
    expect(calls[0]![0]!.key).not.toBe(calls[0]![1]!.key);
    expect(calls[0]!.at(-1)).toMatchObject({ type: 'put', value: item('UPLOADED', 9000) });
  });

  test('a delete is one batch too: the index entry and the item go together', async () => {
    const calls = await write(item('CONSUMED', 4000), null);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((op) => [op.type, op.key.split('~')[0]])).toEqual([
      ['del', 'index-global'],
      ['del', 'item-leases'],
    ]);
  });

  test('a batch LevelDB refuses is reported, nothing else written', async () => {
    const store = { db: { batch: (_ops: Op[], cb: (err?: Error) => void) => cb(new Error('disk full')) } };
    const next = item('UPLOADED', 9000);
    await expect(
      new Promise<void>((resolve, reject) => dynaliteDb.writeItemAtomically(store, table, item('PENDING', 3000), next, dynaliteDb.createKey(next, table), (err) => (err ? reject(err) : resolve()))),
    ).rejects.toThrow('disk full');
  });
});
