import { log } from '../log.js';
import type { ObjectStore } from '../storage.js';
import type { LeaseRecord } from './model.js';
import type { LeaseStore } from './store.js';

export interface SettleDeps {
  readonly store: LeaseStore;
  readonly objects: ObjectStore;
}

/**
 * Finishes the object work a CONSUMED or DELETED lease still has (its `dueAt` says so): a consumed
 * file is copied to its permanent key and the temporary one deleted; a deleted lease loses both.
 * Every step is idempotent and the due marker goes last, so whoever runs this (the settler following
 * the change feed, or the sweep after the settler failed) can repeat it, or run it concurrently, safely. Returns the lease as left,
 * or undefined when the work cannot be done yet (it stays due).
 */
export async function settleLease(deps: SettleDeps, lease: LeaseRecord, attempt = 0): Promise<LeaseRecord | undefined> {
  if (lease.dueAt === undefined) return lease;
  if (lease.status === 'CONSUMED') {
    const storedKey = lease.storedKey!;
    // The temporary object goes only once the permanent one is known to exist.
    if (!(await deps.objects.head(storedKey))) {
      const copied = await deps.objects.copy(lease.objectKey, storedKey, lease.eTag!);
      if (!copied) {
        log.error('consumed lease cannot be moved: its temporary object is gone or holds other bytes', {
          leaseId: lease.leaseId,
          objectKey: lease.objectKey,
        });
        return undefined;
      }
    }
    await deps.objects.delete(lease.objectKey);
  } else if (lease.status === 'DELETED') {
    if (lease.storedKey !== undefined) await deps.objects.delete(lease.storedKey);
    await deps.objects.delete(lease.objectKey);
  } else {
    return lease;
  }
  const done = await deps.store.transition(lease.leaseId, { status: lease.status, dueAt: lease.dueAt }, {}, ['dueAt']);
  if (done) return done;
  // Changed meanwhile (a deletion overtook a move): settle what it is now, once.
  const fresh = await deps.store.get(lease.leaseId);
  return fresh && attempt === 0 ? settleLease(deps, fresh, attempt + 1) : fresh;
}
