import type { Clock } from '../clock.js';
import type { BrokerConfig } from '../config.js';
import { log } from '../log.js';
import type { ObjectStore, LeaseStore } from './ports.js';
import { tempKeptUntil, type LeaseRecord } from './model.js';
import { copyContainer, deleteAll } from './containers.js';
import { isContainerKey } from './keys.js';

export interface SettleDeps {
  readonly store: LeaseStore;
  readonly objects: ObjectStore;
  readonly config: BrokerConfig;
  readonly clock: Clock;
}

/**
 * Copies a consumed lease's upload to its permanent place unless it is there: one object (HEAD, then a
 * copy conditional on the verified ETag), or a container's blobs (each conditional on its listed ETag).
 */
async function moved(objects: ObjectStore, lease: LeaseRecord): Promise<boolean> {
  const storedKey = lease.storedKey!;
  if (isContainerKey(lease.objectKey)) return copyContainer(objects, lease.objectKey, storedKey, lease.consumedAt!);
  return (await objects.head(storedKey)) !== undefined || objects.copy(lease.objectKey, storedKey, lease.eTag!);
}

/**
 * Does the object work a CONSUMED or DELETED lease still has (its `dueAt` says when). A consumed file
 * is copied to its permanent key at once (`movedAt`); its temporary object is deleted only once every
 * download URL handed out for it has expired, or its retention ends if that is sooner (due then, done
 * by the sweep), so no URL a client was given stops serving its bytes early. A deleted lease loses both objects at once. Every step is
 * idempotent and the due marker changes last, so whoever runs this (the settler following the change
 * feed, or the sweep) can repeat it, or run it concurrently, safely. Returns the lease as left, or
 * undefined when the work cannot be done yet (it stays due).
 */
export async function settleLease(deps: SettleDeps, lease: LeaseRecord, attempt = 0): Promise<LeaseRecord | undefined> {
  if (lease.dueAt === undefined) return lease;
  const now = deps.clock.now();
  let changes: Partial<LeaseRecord> = {};
  let remove: (keyof LeaseRecord)[] = ['dueAt'];
  if (lease.status === 'CONSUMED' && lease.movedAt === undefined) {
    // The temporary object goes only once the permanent one is known to exist.
    if (!(await moved(deps.objects, lease))) {
      log.error('consumed lease cannot be moved: its temporary object is gone or holds other bytes', {
        leaseId: lease.leaseId,
        objectKey: lease.objectKey,
      });
      return undefined;
    }
    const keptUntil = tempKeptUntil(lease, now, deps.config);
    if (keptUntil > now) {
      changes = { movedAt: now, dueAt: keptUntil };
      remove = [];
    } else {
      // Moved only at the end of its retention (retries, the sweep as backstop): no URL for it outlives this.
      await deleteAll(deps.objects, lease.objectKey);
      changes = { movedAt: now };
    }
  } else if (lease.status === 'CONSUMED') {
    // Moved: the temporary object goes when the URLs handed out for it have expired, not before.
    if (now < lease.dueAt) return lease;
    await deleteAll(deps.objects, lease.objectKey);
  } else if (lease.status === 'DELETED') {
    if (lease.storedKey !== undefined) await deleteAll(deps.objects, lease.storedKey);
    await deleteAll(deps.objects, lease.objectKey);
  } else {
    return lease;
  }
  const done = await deps.store.transition(lease.leaseId, { status: lease.status, dueAt: lease.dueAt }, changes, remove);
  if (done) return done;
  // Changed meanwhile (a deletion overtook a move): settle what it is now, once.
  const fresh = await deps.store.get(lease.leaseId);
  return fresh && attempt === 0 ? settleLease(deps, fresh, attempt + 1) : fresh;
}
