import type { LeaseRecord } from '../lease/model.js';
import { dueShardOf } from './lease-table.js';

/**
 * A lease as the table holds it: the due-index shard key beside `dueAt` while the lease is due (which
 * makes the index sparse), and the record expiry as DynamoDB TTL wants it, in epoch seconds.
 */
export type LeaseItem = Omit<LeaseRecord, 'recordExpiresAt'> & { dueShard?: string; expiresAt?: number };

export function toItem(record: LeaseRecord, dueShards: number): LeaseItem {
  const { recordExpiresAt, ...rest } = record;
  return {
    ...rest,
    ...(record.dueAt !== undefined ? { dueShard: dueShardOf(record.leaseId, dueShards) } : {}),
    ...(recordExpiresAt !== undefined ? { expiresAt: recordExpiresAt / 1000 } : {}),
  };
}

export function fromItem(item: LeaseItem): LeaseRecord {
  const { dueShard: _shard, expiresAt, ...rest } = item;
  return { ...rest, ...(expiresAt !== undefined ? { recordExpiresAt: expiresAt * 1000 } : {}) };
}

/** The same mapping for a partial update: SET and REMOVE the item attributes behind the domain fields. */
export function itemChanges(leaseId: string, changes: Partial<LeaseRecord>, remove: readonly (keyof LeaseRecord)[], dueShards: number) {
  const { recordExpiresAt, ...rest } = changes;
  const set: Record<string, unknown> = { ...rest };
  if (recordExpiresAt !== undefined) set.expiresAt = recordExpiresAt / 1000;
  if (changes.dueAt !== undefined) set.dueShard = dueShardOf(leaseId, dueShards);
  const removed: string[] = remove.map((field) => (field === 'recordExpiresAt' ? 'expiresAt' : field));
  if (remove.includes('dueAt')) removed.push('dueShard');
  return { set, removed };
}

