import type { LeaseRecord } from '../../shared/lease/model.js';
import type { DueLease, LeaseStore, ObjectStore, StoredObject } from '../../shared/lease/ports.js';
import { dueShardOf } from '../../shared/adapters/lease-table.js';
import { DUE_SHARD_LIMITS } from '../../shared/config.js';
import { matchesUpload } from '../../shared/lease/upload-rule.js';

/**
 * In-memory stand-ins for the engine's ports, so the lease state machine is tested in microseconds.
 * They keep the DynamoDB store's semantics (conditional writes, REMOVE, the sparse due index, paging);
 * test/integration/store-contract.test.ts runs the same assertions against both stores.
 */
export interface MemoryLeaseStore extends LeaseStore {
  /** The stored item as DynamoDB would hold it (a copy). */
  item(leaseId: string): LeaseRecord | undefined;
  /** Runs once before the next `transition` is applied: lets a test change the record under the engine. */
  beforeNextTransition(hook: () => void | Promise<void>): void;
  /** Overwrites or deletes a record directly, as another writer would. */
  set(record: LeaseRecord): void;
  remove(leaseId: string): void;
  readonly calls: { putNew: number; get: number; getMany: number; transition: number; duePages: number };
  /** Due-index page size, to exercise paging. */
  pageSize: number;
}

const copy = <T>(value: T): T => structuredClone(value);

/** Every attribute a lease item may have; the type checker keeps it complete. */
const LEASE_FIELDS = {
  leaseId: true, contract: true, scope: true, objectKey: true, fileName: true, declaredSize: true, declaredMd5: true,
  contentType: true, pendingUploadId: true, status: true, createdAt: true, urlExpiresAt: true, uploadedAt: true, size: true,
  eTag: true, sequencer: true, retainUntil: true, rejectReason: true, expiredAt: true, dueAt: true, recordExpiresAt: true,
  consumedAt: true, consumedBy: true, storedKey: true, movedAt: true, deletedAt: true, revivedAt: true,
} satisfies Record<keyof LeaseRecord, true>;

/** DynamoDB refuses an update naming an attribute it cannot express; so does this store for unknown names. */
function checkFields(fields: readonly string[]): void {
  for (const field of fields) if (!Object.hasOwn(LEASE_FIELDS, field)) throw new Error(`unknown lease attribute ${JSON.stringify(field)}`);
}

export function createMemoryLeaseStore(dueShards: number = DUE_SHARD_LIMITS.min): MemoryLeaseStore {
  const items = new Map<string, LeaseRecord>();
  const hooks: (() => void | Promise<void>)[] = [];
  const calls = { putNew: 0, get: 0, getMany: 0, transition: 0, duePages: 0 };
  const store: MemoryLeaseStore = {
    calls,
    dueShards,
    pageSize: 100,
    item: (leaseId) => (items.has(leaseId) ? copy(items.get(leaseId)!) : undefined),
    beforeNextTransition: (hook) => void hooks.push(hook),
    set: (record) => void items.set(record.leaseId, copy(record)),
    remove: (leaseId) => void items.delete(leaseId),

    async putNew(record) {
      calls.putNew++;
      if (items.has(record.leaseId)) return false;
      items.set(record.leaseId, copy(record));
      return true;
    },

    async get(leaseId) {
      calls.get++;
      return store.item(leaseId);
    },

    async getMany(leaseIds) {
      calls.getMany++;
      const found = new Map<string, LeaseRecord>();
      for (const id of leaseIds) {
        const item = store.item(id);
        if (item) found.set(id, item);
      }
      return found;
    },

    async transition(leaseId, expected, changes, remove = []) {
      calls.transition++;
      checkFields([...Object.keys(changes), ...remove]);
      const hook = hooks.shift();
      if (hook) await hook();
      const current = items.get(leaseId);
      if (!current || current.status !== expected.status) return undefined;
      if (expected.sequencer === null && current.sequencer !== undefined) return undefined;
      if (typeof expected.sequencer === 'string' && current.sequencer !== expected.sequencer) return undefined;
      if (expected.dueAt !== undefined && current.dueAt !== expected.dueAt) return undefined;
      if (expected.consumedById !== undefined && current.consumedBy?.id !== expected.consumedById) return undefined;
      // The rule's own evaluation of the clauses the DynamoDB store writes as its condition.
      if (expected.upload && !matchesUpload(current, expected.upload)) return undefined;
      const next: Record<string, unknown> = { ...current };
      for (const [field, value] of Object.entries(changes)) if (value !== undefined) next[field] = value;
      for (const field of remove) delete next[field];
      items.set(leaseId, copy(next as unknown as LeaseRecord));
      return copy(next as unknown as LeaseRecord);
    },

    async *dueLeases(shard, now) {
      const due = [...items.values()]
        .filter((r) => r.dueAt !== undefined && r.dueAt <= now && dueShardOf(r.leaseId, dueShards) === `DUE#${shard}`)
        .sort((a, b) => a.dueAt! - b.dueAt!)
        .map((r) => {
          const { leaseId, status, objectKey, sequencer, storedKey, eTag, dueAt } = copy(r);
          return { leaseId, status, objectKey, dueAt: dueAt!, ...(sequencer !== undefined ? { sequencer } : {}), ...(storedKey !== undefined ? { storedKey } : {}), ...(eTag !== undefined ? { eTag } : {}) };
        });
      for (let i = 0; i < due.length; i += store.pageSize) {
        calls.duePages++;
        yield due.slice(i, i + store.pageSize);
      }
    },
    async oldestDueAt(now) {
      const due = [...items.values()].filter((r) => r.dueAt !== undefined && r.dueAt <= now).map((r) => r.dueAt!);
      return due.length ? Math.min(...due) : undefined;
    },
  };
  return store;
}

export interface MemoryObjectStore extends ObjectStore {
  put(key: string, object: StoredObject): void;
  has(key: string): boolean;
  readonly deleted: string[];
  /** Makes the next `delete` calls fail with this error. */
  failDeletes(error: unknown, times?: number): void;
  /** Makes the next batch delete leave this key in place (S3's per-key failure). */
  refuseDeleteOf(key: string): void;
  /** Makes the next `copy` calls fail with this error. */
  failCopies(error: unknown, times?: number): void;
  readonly copies: Array<[string, string]>;
  /** HEAD requests made so far. */
  readonly heads: number;
}

export function createMemoryObjectStore(): MemoryObjectStore {
  const objects = new Map<string, StoredObject>();
  const deleted: string[] = [];
  const copies: Array<[string, string]> = [];
  let failure: { error: unknown; times: number } | undefined;
  let copyFailure: { error: unknown; times: number } | undefined;
  const refused = new Set<string>();
  let heads = 0;
  return {
    get heads() {
      return heads;
    },
    deleted,
    copies,
    put: (key, object) => void objects.set(key, { ...object }),
    has: (key) => objects.has(key),
    failDeletes: (error, times = Infinity) => void (failure = { error, times }),
    failCopies: (error, times = Infinity) => void (copyFailure = { error, times }),
    refuseDeleteOf: (key) => void refused.add(key),
    async deleteMany(keys) {
      if (failure && failure.times > 0) {
        failure.times--;
        throw failure.error;
      }
      const undeleted: string[] = [];
      for (const key of keys) {
        if (refused.delete(key)) {
          undeleted.push(key);
          continue;
        }
        deleted.push(key);
        objects.delete(key);
      }
      return undeleted;
    },
    async copy(source, target, eTag) {
      if (copyFailure && copyFailure.times > 0) {
        copyFailure.times--;
        throw copyFailure.error;
      }
      const o = objects.get(source);
      if (!o || o.eTag.replace(/"/g, '').toLowerCase() !== eTag) return false;
      copies.push([source, target]);
      objects.set(target, { ...o });
      return true;
    },
    async head(key) {
      heads++;
      const o = objects.get(key);
      return o ? { ...o } : undefined;
    },
    async delete(key) {
      if (failure && failure.times > 0) {
        failure.times--;
        throw failure.error;
      }
      deleted.push(key);
      objects.delete(key);
    },
    async list(prefix) {
      return [...objects.keys()]
        .filter((key) => key.startsWith(prefix))
        .sort()
        .map((key) => {
          const o = objects.get(key)!;
          return { key, size: o.size, eTag: o.eTag, lastModified: o.lastModified ?? 0 };
        });
    },
  };
}

/** Every due entry of every shard, as the sweep reads them (tests only). */
export async function allDueLeases(store: Pick<LeaseStore, 'dueLeases' | 'dueShards'>, now: number): Promise<DueLease[]> {
  const out: DueLease[] = [];
  for (let shard = 0; shard < store.dueShards; shard++) for await (const page of store.dueLeases(shard, now)) out.push(...page);
  return out;
}
