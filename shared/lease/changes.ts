import { isStored, type LeaseRecord, type LeaseStatus } from './model.js';
import type { LeaseStore } from './ports.js';

/** One write to a lease record: what the table's stream carries (old status, new image, when). */
export interface LeaseChange {
  readonly previous: LeaseStatus | undefined;
  readonly record: LeaseRecord;
  /** Epoch ms. */
  readonly time: number;
}

/**
 * Changes whose object work is to be done now (settle.ts): a consumed file to move, a deleted one to
 * remove. A moved file's temporary object is left to the sweep, once its download URLs have expired.
 */
export const needsSettling = (record: LeaseRecord): boolean =>
  (record.status === 'CONSUMED' || record.status === 'DELETED') && record.dueAt !== undefined && !isStored(record);

/**
 * A store that reports every successful write, in the order written: the local mode's stand-in for the
 * lease table's DynamoDB stream (dynalite has none). On AWS the stream itself feeds the event pipe and
 * the settler, so nothing wraps the store there.
 */
export function withChangeFeed(
  store: LeaseStore,
  onChange: (change: LeaseChange) => void,
  now: () => number,
  /**
   * Told before a write that would move a lease to another status: a process killed between the
   * store's write and `onChange` would otherwise lose the change (a stream never does).
   */
  beforeMove?: (leaseId: string, to: LeaseStatus) => void,
): LeaseStore {
  return {
    ...store,
    async putNew(record) {
      const created = await store.putNew(record);
      if (created) onChange({ previous: undefined, record, time: now() });
      return created;
    },
    async transition(leaseId, expected, changes, remove) {
      if (changes.status !== undefined && changes.status !== expected.status) beforeMove?.(leaseId, changes.status);
      const written = await store.transition(leaseId, expected, changes, remove);
      if (written) onChange({ previous: expected.status, record: written, time: now() });
      return written;
    },
  };
}
