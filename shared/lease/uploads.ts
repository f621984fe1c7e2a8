import type { Clock } from '../clock.js';
import { DependencyError } from '../errors.js';
import type { BrokerConfig } from '../config.js';
import { isContainerKey, leaseIdFromKey, TEMP_PREFIX } from './keys.js';
import { log } from '../log.js';
import { etagToMd5Hex } from '../md5.js';
import type { ObjectStore, StoredObject, UploadedObjects, LeaseStore } from './ports.js';
import { recordExpiryFor, type LeaseRecord, type RejectReason } from './model.js';
import { compareSequencers } from './sequencer.js';
import { beforeRevival, isLate, uploadExpectation, verify, type ArrivedObject } from './upload-rule.js';

export interface UploadDeps {
  readonly store: LeaseStore;
  readonly objects: ObjectStore;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  /**
   * Whether a lease (by its id) declared a content type, which only the object's HEAD can confirm:
   * the fast path then HEADs first. A contract's lease-id format tells (runtime.ts wires it).
   */
  readonly declaresContentType: (leaseId: string) => boolean;
}

/** One ObjectCreated record, key already decoded. */
export interface ObjectCreated extends ArrivedObject {
  readonly sequencer: string;
}

export type UploadOutcome =
  | 'ignored'
  | 'uploaded'
  | 'rejected'
  | 'duplicate'
  | 'stale'
  | 'superseded'
  | 'orphan-no-lease'
  | 'orphan-expired'
  | 'orphan-rejected'
  | 'orphan-late'
  | 'orphan-consumed'
  | 'orphan-too-large'
  | 'consumed-pending';

const MAX_ATTEMPTS = 5;

/**
 * Moves a lease PENDING -> UPLOADED (or REJECTED) for one S3 event, exactly once under duplicate and
 * out-of-order delivery: every write is conditional on the status and sequencer it was decided on, and
 * an event whose sequencer is not newer than the lease's is a no-op. Anything no lease owns is deleted.
 * Dependency errors propagate so Lambda retries the event.
 */
export async function recordUpload(deps: UploadDeps, object: ObjectCreated): Promise<UploadOutcome> {
  // Only the temporary prefix is ours to police; the notification filter sends nothing else.
  if (!object.key.startsWith(TEMP_PREFIX)) return 'ignored';
  const leaseId = leaseIdFromKey(object.key);
  let stored: StoredObject | undefined;
  if (leaseId) {
    const fast = await acceptFirstUpload(deps, leaseId, object);
    if (fast.outcome) return fast.outcome;
    stored = fast.stored;
  }
  const lease = leaseId ? await deps.store.get(leaseId) : undefined;
  if (lease && isContainerKey(lease.objectKey) && object.key.startsWith(lease.objectKey)) return recordBlob(deps, lease, object);
  if (!lease || lease.objectKey !== object.key) return orphan(deps, object, 'orphan-no-lease');
  return decide(deps, lease, object, 0, stored);
}

/**
 * One blob of a container lease (keys.ts containerKeyFor). The first blob in time makes the lease
 * UPLOADED, and its retention starts then; later blobs join it with no write. A container's blobs are
 * read from S3 when they are needed (containers.ts), so no event needs to be counted, ordered or
 * de-duplicated here. What no live lease owns (rejected, expired, late, after the move) is deleted.
 */
async function recordBlob(deps: UploadDeps, lease: LeaseRecord, object: ObjectCreated, attempt = 0): Promise<UploadOutcome> {
  if (lease.status === 'REJECTED') return orphan(deps, object, 'orphan-rejected', lease.leaseId);
  if (lease.status === 'EXPIRED') return orphan(deps, object, 'orphan-expired', lease.leaseId);
  if (beforeRevival(lease, object.eventTime)) return 'stale';
  if (lease.status === 'CONSUMED' || lease.status === 'DELETED') {
    // Put through a SAS still valid after the code version was made: not part of it (containers.ts consumedBlobs).
    return lease.dueAt === undefined || lease.movedAt !== undefined ? orphan(deps, object, 'orphan-consumed', lease.leaseId) : 'consumed-pending';
  }
  if (isLate(deps.config, lease, object)) return orphan(deps, object, 'orphan-late', lease.leaseId);
  // The front refuses a larger Put Blob by its Content-Length; a blob that got here anyway is not kept.
  if (object.size > deps.config.maxUploadBytes) return orphan(deps, object, 'orphan-too-large', lease.leaseId);
  if (lease.status === 'UPLOADED') return 'uploaded';
  const written = await deps.store.transition(lease.leaseId, { status: 'PENDING', sequencer: lease.sequencer ?? null }, uploadedChanges(deps.config, object));
  if (written) return 'uploaded';
  if (attempt + 1 >= MAX_ATTEMPTS) throw new DependencyError('dynamodb', true, { cause: new Error(`lease ${lease.leaseId} kept changing`) });
  const fresh = await deps.store.get(lease.leaseId);
  return fresh ? recordBlob(deps, fresh, object, attempt + 1) : orphan(deps, object, 'orphan-no-lease');
}

/**
 * The happy path in one conditional write and no read: the first upload to a PENDING lease, in time,
 * matching everything the lease declared. The comparisons a GetItem would be read for are the write's
 * condition. Anything else (a mismatch, a duplicate or newer event, a late object, no such lease) fails
 * the condition and is decided below on the record as stored, as before. A lease that declared a content
 * type (Alibaba's always do), which only the object knows, is headed first (and the HEAD reused below).
 */
async function acceptFirstUpload(deps: UploadDeps, leaseId: string, object: ObjectCreated): Promise<{ outcome?: UploadOutcome; stored?: StoredObject }> {
  const { config } = deps;
  let stored: StoredObject | undefined;
  if (deps.declaresContentType(leaseId)) {
    stored = await deps.objects.head(object.key);
    // Gone or replaced since this event, or untyped: the long way decides.
    if (!stored?.contentType || etagToMd5Hex(stored.eTag) !== etagToMd5Hex(object.eTag)) return { stored };
  }
  const written = await deps.store.transition(
    leaseId,
    { status: 'PENDING', sequencer: null, upload: uploadExpectation(config, object, stored) },
    { sequencer: object.sequencer, size: object.size, eTag: etagToMd5Hex(object.eTag), ...uploadedChanges(config, object) },
  );
  return written ? { outcome: 'uploaded' } : { ...(stored ? { stored } : {}) };
}

/** What was stored: an S3 event's record, or (verified on the spot) a HEAD, which has no sequencer. */
type SeenObject = Omit<ObjectCreated, 'sequencer'> & { readonly sequencer?: string };

/** The verdict on an object for a PENDING or UPLOADED lease, and the one write that records it. */
interface Judgement {
  readonly outcome: 'orphan-late' | 'rejected' | 'uploaded';
  readonly changes: Partial<LeaseRecord>;
  readonly remove: readonly (keyof LeaseRecord)[];
  readonly reason?: RejectReason;
}

/**
 * The rules, in one place for both ways a verdict is reached (an S3 event, a consumer verifying on the
 * spot): late (after the URL could have been used, or after an uploaded lease's retention), else a
 * mismatch with what was declared, else uploaded. `stored` is the HEAD of the object when the lease
 * declared a content type.
 */
function judge(config: BrokerConfig, lease: LeaseRecord, object: SeenObject, now: number, stored?: StoredObject): Judgement {
  const seq = object.sequencer !== undefined ? { sequencer: object.sequencer } : {};
  if (isLate(config, lease, object)) {
    // S3 refuses expired URLs; an object landing this late was not put through this lease's URL.
    // The lease ended when it fell due (or now, if an uploaded lease is cut short by this object).
    const expiredAt = Math.min(lease.dueAt ?? now, now);
    return { outcome: 'orphan-late', changes: { status: 'EXPIRED', expiredAt, ...seq, recordExpiresAt: recordExpiryFor(now, config) }, remove: ['dueAt'] };
  }
  const reason = verify(lease, object, config.maxUploadBytes, stored);
  const common = { ...seq, size: object.size, eTag: etagToMd5Hex(object.eTag) };
  if (reason) {
    return {
      outcome: 'rejected',
      reason,
      changes: { ...common, status: 'REJECTED', rejectReason: reason, recordExpiresAt: recordExpiryFor(now, config) },
      remove: ['dueAt', 'uploadedAt', 'retainUntil'],
    };
  }
  return { outcome: 'uploaded', changes: { ...common, ...uploadedChanges(config, object) }, remove: [] };
}

/** An accepted upload: kept for the retention from when it was stored. */
function uploadedChanges(config: BrokerConfig, object: Pick<SeenObject, 'eventTime'>): Partial<LeaseRecord> {
  const retainUntil = object.eventTime + config.retentionSeconds * 1000;
  return { status: 'UPLOADED', uploadedAt: object.eventTime, retainUntil, dueAt: retainUntil, recordExpiresAt: recordExpiryFor(retainUntil, config) };
}

async function decide(deps: UploadDeps, lease: LeaseRecord, object: ObjectCreated, attempt: number, headed?: StoredObject): Promise<UploadOutcome> {
  const { store } = deps;
  if (lease.status === 'REJECTED') return orphan(deps, object, 'orphan-rejected');
  if (lease.status === 'EXPIRED') return orphan(deps, object, 'orphan-expired');
  // A late (or retried) event of an object from before a revival: what is there now is this life's business.
  if (beforeRevival(lease, object.eventTime)) return 'stale';
  if (lease.sequencer !== undefined) {
    const order = compareSequencers(object.sequencer, lease.sequencer);
    if (order <= 0) return order === 0 ? 'duplicate' : 'stale';
  }
  // The very bytes decided on already: by a consumer on the spot (a HEAD has no sequencer to order
  // by), or a client's retried PUT of a used lease's file (its download URLs still serve them).
  const used = lease.status === 'CONSUMED' || lease.status === 'DELETED';
  if ((lease.sequencer === undefined || used) && lease.eTag === etagToMd5Hex(object.eTag)) return 'duplicate';
  // Only what is there now is decided on: an older upload's event must not reject (and delete) a newer
  // upload, nor delete a used file's temporary object. A late object is no lease's, whatever is there.
  if (!isLate(deps.config, lease, object)) {
    headed ??= await deps.objects.head(object.key);
    if (!headed || etagToMd5Hex(headed.eTag) !== etagToMd5Hex(object.eTag)) return 'superseded';
  }
  if (used) {
    // A PUT through a still-valid URL after the lease was used. Once the file has moved, the temporary
    // key holds nothing anyone owns (what download URLs served there is replaced: better none than
    // other bytes); before that, it is the move's source, which settle.ts checks.
    const moved = lease.dueAt === undefined || lease.movedAt !== undefined;
    return moved ? orphan(deps, object, 'orphan-consumed', lease.leaseId) : 'consumed-pending';
  }
  const expected = { status: lease.status, sequencer: lease.sequencer ?? null };
  const now = deps.clock.now();
  const verdict = judge(deps.config, lease, object, now, headed);
  if (!(await store.transition(lease.leaseId, expected, verdict.changes, verdict.remove))) return retry(deps, lease, object, attempt);
  if (verdict.outcome === 'orphan-late') return orphan(deps, object, 'orphan-late', lease.leaseId);
  if (verdict.outcome === 'rejected') {
    await deps.objects.delete(object.key);
    log.warn('upload rejected', { leaseId: lease.leaseId, reason: verdict.reason, size: object.size, declaredSize: lease.declaredSize });
  }
  return verdict.outcome;
}

export type VerifyNowDeps = Omit<UploadDeps, 'objects' | 'declaresContentType'> & { readonly objects: UploadedObjects };

/**
 * A consumer asks for a PENDING lease (AddFile, a code version, POST /consume right after the PUT):
 * the object in place is judged now, by the rules and with the single conditional write of the event
 * path, so whichever comes first records the one verdict and the other finds it made (the event then
 * sees a lease verified on the spot: decide()). With nothing there yet, the lease is returned as it is.
 */
export async function verifyUploadNow(deps: VerifyNowDeps, lease: LeaseRecord): Promise<LeaseRecord> {
  if (lease.status !== 'PENDING') return lease;
  if (isContainerKey(lease.objectKey)) return verifyContainerNow(deps, lease);
  const stored = await deps.objects.head(lease.objectKey);
  const now = deps.clock.now();
  // Nothing there yet, or only what a revived lease's previous life left (Last-Modified has whole seconds).
  if (!stored || beforeRevival(lease, (stored.lastModified ?? now) + 999)) return lease;
  // HTTP dates have whole seconds: never before the lease itself.
  const eventTime = Math.max(stored.lastModified ?? now, lease.createdAt);
  const object: SeenObject = { key: lease.objectKey, size: stored.size, eTag: stored.eTag, eventTime };
  const verdict = judge(deps.config, lease, object, now, stored);
  // A HEAD has no sequencer: a revived lease's old one goes too, which marks the verdict as made on the spot.
  const written = await deps.store.transition(lease.leaseId, { status: 'PENDING', sequencer: lease.sequencer ?? null }, verdict.changes, [
    ...verdict.remove,
    'sequencer',
  ]);
  // Decided meanwhile (the event, another consumer, the sweep): that verdict stands.
  if (!written) return (await deps.store.get(lease.leaseId)) ?? lease;
  if (verdict.outcome !== 'uploaded') {
    log.warn('upload rejected on the spot', { leaseId: lease.leaseId, outcome: verdict.outcome, reason: verdict.reason, size: object.size });
    try {
      await deps.objects.delete(lease.objectKey);
    } catch (error) {
      // Not lost: this object's S3 event comes after this verdict and deletes it (orphan-rejected, -expired).
      log.warn('rejected object not deleted on the spot; its S3 event will delete it', { leaseId: lease.leaseId }, error);
    }
  }
  return written;
}

/**
 * verifyUploadNow for a container: its blobs in place are its upload, as recordBlob would record it
 * from the first blob's event (that blob's time starts the retention).
 */
async function verifyContainerNow(deps: VerifyNowDeps, lease: LeaseRecord): Promise<LeaseRecord> {
  const blobs = (await deps.objects.list(lease.objectKey)).filter((b) => !beforeRevival(lease, b.lastModified + 999));
  if (blobs.length === 0) return lease;
  const first = Math.max(Math.min(...blobs.map((b) => b.lastModified)), lease.createdAt);
  if (isLate(deps.config, lease, { eventTime: first })) return lease;
  const written = await deps.store.transition(lease.leaseId, { status: 'PENDING', sequencer: lease.sequencer ?? null }, uploadedChanges(deps.config, { eventTime: first }));
  return written ?? (await deps.store.get(lease.leaseId)) ?? lease;
}

/** The lease changed under us (a concurrent event or sweep): decide again on what is stored now. */
async function retry(deps: UploadDeps, lease: LeaseRecord, object: ObjectCreated, attempt: number): Promise<UploadOutcome> {
  // Contention heals by itself: a retryable error makes Lambda deliver the event again (and, after its
  // retries, park it in the failed-events queue) instead of dropping a valid upload.
  if (attempt + 1 >= MAX_ATTEMPTS) throw new DependencyError('dynamodb', true, { cause: new Error(`lease ${lease.leaseId} kept changing`) });
  const fresh = await deps.store.get(lease.leaseId);
  if (!fresh) return orphan(deps, object, 'orphan-no-lease');
  return decide(deps, fresh, object, attempt + 1);
}

async function orphan(deps: UploadDeps, object: ObjectCreated, outcome: UploadOutcome, leaseId?: string): Promise<UploadOutcome> {
  await deps.objects.delete(object.key);
  log.warn('deleted object no live lease owns', { key: object.key, outcome, ...(leaseId ? { leaseId } : {}) });
  return outcome;
}
