import type { Clock } from '../clock.js';
import type { BrokerConfig } from '../config.js';
import { LeaseNotFoundError, LeaseStateError } from '../errors.js';
import { isContainerKey, TEMP_PREFIX } from './keys.js';
import { consumedBlobs, totalSize } from './containers.js';
import { readLease } from './engine.js';
import { effectiveStatus, recordExpiryFor, STORED_PREFIX, type ConsumedBy, type LeaseRecord, type LeaseStatus } from './model.js';
import type { LeaseStore, UploadedObjects } from './ports.js';
import { verifyUploadNow } from './uploads.js';

/**
 * Consumption writes DynamoDB only; its one look at S3 is the HEAD of a PENDING lease's object, which
 * the API Lambdas send as a presigned request (adapters/presigned-objects.ts), free of an S3 client (bundle
 * size and cold start, see `npm run bench`). The object work a change leaves (move to the permanent
 * key, deletion) is done by the settler that follows the table's stream (shared/events/lease-settler.ts;
 * in local mode, the store's own change feed), with the sweep as the backstop: the lease stays due
 * until it is done.
 */
export interface ConsumeDeps {
  readonly store: LeaseStore;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly objects: UploadedObjects;
}

/**
 * A lease this close to the end of its retention is no longer consumable: the sweep may be deleting
 * its object at that very moment. 30 s, or a tenth of the retention when that is shorter (tests).
 */
export const CONSUME_MARGIN_MS = 30_000;
export const consumeMarginMs = (config: BrokerConfig): number => Math.min(CONSUME_MARGIN_MS, config.retentionSeconds * 100);

export const storedKeyFor = (objectKey: string): string => STORED_PREFIX + objectKey.slice(TEMP_PREFIX.length);

const REASONS: Record<Exclude<LeaseStatus, 'UPLOADED'>, string> = {
  PENDING: 'has no verified upload yet',
  REJECTED: 'was rejected: its upload did not match what was declared',
  EXPIRED: 'has expired',
  CONSUMED: 'was already used',
  DELETED: 'was already used, and what used it has been deleted',
};

function notConsumable(lease: LeaseRecord, status: Exclude<LeaseStatus, 'UPLOADED'>): LeaseStateError {
  const reason = lease.rejectReason && status === 'REJECTED' ? ` (${lease.rejectReason})` : '';
  return new LeaseStateError(lease.leaseId, status, `The lease '${lease.leaseId}' ${REASONS[status]}${reason}.`);
}

/** The lease if the caller may see it: anyone else gets the same answer as for an unknown id. */
export async function readOwnLease(deps: Pick<ConsumeDeps, 'store' | 'clock'>, leaseId: string, owns: (lease: LeaseRecord) => boolean): Promise<LeaseRecord> {
  const lease = await readLease(deps, leaseId);
  if (!owns(lease)) throw new LeaseNotFoundError(leaseId);
  return lease;
}

const sameConsumer = (lease: LeaseRecord, consumer: ConsumedBy) => lease.consumedBy?.kind === consumer.kind && lease.consumedBy.id === consumer.id;

/**
 * UPLOADED -> CONSUMED, exactly once: one conditional write (on status and the verified upload's
 * sequencer) decides between concurrent consumers. The file then moves to its permanent key, outside
 * the temporary prefix: the lease is due at once and stays due until the move is confirmed
 * (settle.ts). With `idempotent`, the same consumer asking again gets the same lease back; without
 * (Alibaba's AddFile uses a lease up), any second call is refused.
 */
export async function consumeLease(
  deps: ConsumeDeps,
  leaseId: string,
  owns: (lease: LeaseRecord) => boolean,
  consumer: ConsumedBy,
  { idempotent }: { idempotent: boolean },
): Promise<LeaseRecord> {
  let lease = await readOwnLease(deps, leaseId, owns);
  // Clients consume the moment their PUT returns, usually before S3's event is handled: a PENDING
  // lease's object is verified here and now, exactly as the event would (uploads.ts).
  if (effectiveStatus(lease, deps.clock.now()) === 'PENDING') lease = await verifyUploadNow(deps, lease);
  const now = deps.clock.now();
  let status = effectiveStatus(lease, now);
  if (status === 'UPLOADED' && now >= lease.dueAt! - consumeMarginMs(deps.config)) status = 'EXPIRED';
  if (idempotent && status === 'CONSUMED' && sameConsumer(lease, consumer)) return lease;
  if (status !== 'UPLOADED') throw notConsumable(lease, status);
  const container = isContainerKey(lease.objectKey) ? await containerTotal(deps, lease, now) : {};

  const consumed = await deps.store.transition(
    leaseId,
    { status: 'UPLOADED', sequencer: lease.sequencer ?? null, dueAt: lease.dueAt! },
    { status: 'CONSUMED', consumedAt: now, consumedBy: consumer, storedKey: storedKeyFor(lease.objectKey), dueAt: now, ...container },
    // The record now lives as long as the file; retention no longer applies.
    ['recordExpiresAt', 'retainUntil'],
  );
  if (!consumed) {
    // Another consumer, a newer upload or the sweep got there first: answer for what is there now.
    const fresh = await readOwnLease(deps, leaseId, owns);
    const freshStatus = effectiveStatus(fresh, deps.clock.now());
    if (idempotent && freshStatus === 'CONSUMED' && sameConsumer(fresh, consumer)) return fresh;
    throw notConsumable(fresh, freshStatus === 'UPLOADED' ? 'CONSUMED' : freshStatus);
  }
  return consumed;
}

/**
 * What a container holds as it is consumed: its total size, within the per-lease limit. Over it, the
 * lease is REJECTED (SIZE_LIMIT) and its blobs deleted, as one object over the limit would be.
 */
async function containerTotal(deps: ConsumeDeps, lease: LeaseRecord, now: number): Promise<Pick<LeaseRecord, 'size'>> {
  const blobs = await deps.objects.list(lease.objectKey);
  const size = totalSize(consumedBlobs(blobs, now));
  if (size <= deps.config.maxUploadBytes) return { size };
  const rejected = await deps.store.transition(
    lease.leaseId,
    { status: 'UPLOADED', sequencer: lease.sequencer ?? null, dueAt: lease.dueAt! },
    { status: 'REJECTED', rejectReason: 'SIZE_LIMIT', size, recordExpiresAt: recordExpiryFor(now, deps.config) },
    ['dueAt', 'uploadedAt', 'retainUntil'],
  );
  if (rejected) {
    // Nothing leaves a REJECTED container but this: its blobs have had their events (recordBlob).
    for (const blob of blobs) await deps.objects.delete(blob.key);
    throw notConsumable(rejected, 'REJECTED');
  }
  // Changed meanwhile (another consumer, the sweep): answer for what it is now.
  const fresh = (await deps.store.get(lease.leaseId)) ?? lease;
  const freshStatus = effectiveStatus(fresh, deps.clock.now());
  throw notConsumable(fresh, freshStatus === 'UPLOADED' ? 'CONSUMED' : freshStatus);
}

/** Replaces what the consumer keeps with the lease (an updated code version), while it is still the consumer. */
export async function updateConsumer(deps: ConsumeDeps, lease: LeaseRecord, consumer: ConsumedBy): Promise<LeaseRecord | undefined> {
  return deps.store.transition(lease.leaseId, { status: 'CONSUMED', consumedById: consumer.id }, { consumedBy: consumer });
}

/**
 * CONSUMED -> DELETED when what consumed the lease is deleted: its file goes (due at once, see above)
 * and the record expires after the usual record retention. Undefined when the lease is not (or no
 * longer) consumed by `consumerId`.
 */
export async function deleteConsumed(deps: ConsumeDeps, leaseId: string, consumerId: string): Promise<LeaseRecord | undefined> {
  const now = deps.clock.now();
  return deps.store.transition(
    leaseId,
    { status: 'CONSUMED', consumedById: consumerId },
    { status: 'DELETED', deletedAt: now, dueAt: now, recordExpiresAt: recordExpiryFor(now, deps.config) },
  );
}
