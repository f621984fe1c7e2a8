import type { Clock } from '../clock.js';
import type { BrokerConfig } from '../config.js';
import { DependencyError, LeaseNotFoundError, LeaseStateError } from '../errors.js';
import type { ContainerPresigner, PutUrlSpec, UploadPresigner, LeaseStore } from './ports.js';
import { isContainerKey } from './keys.js';
import { md5HexToBase64 } from '../md5.js';
import { effectiveStatus, pendingDueAt, recordExpiryFor, type LeaseRecord, type NewLease } from './model.js';

export interface LeaseEngineDeps {
  readonly store: LeaseStore;
  readonly presigner: UploadPresigner;
  /** Present when container leases are issued (Azure's Blob front). */
  readonly containers?: ContainerPresigner;
  readonly config: BrokerConfig;
  readonly clock: Clock;
}

export interface IssuedLease {
  readonly lease: LeaseRecord;
  /** Presigned PUT URL; S3 checks every header the lease declares. */
  readonly uploadUrl: string;
  /** The same object without query string. */
  readonly objectUrl: string;
  /** The headers a client must send with the PUT (those that were signed). */
  readonly uploadHeaders: Readonly<Record<string, string>>;
}

/** Upload fields of a previous life of a lease, dropped when an Azure create-or-get revives it. */
const UPLOAD_FIELDS = ['uploadedAt', 'size', 'eTag', 'retainUntil', 'rejectReason', 'expiredAt'] as const;
const MAX_RENEW_ATTEMPTS = 3;

function uploadHeadersOf(lease: Pick<LeaseRecord, 'contentType' | 'declaredMd5'>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (lease.contentType !== undefined) headers['Content-Type'] = lease.contentType;
  if (lease.declaredMd5 !== undefined) headers['Content-MD5'] = md5HexToBase64(lease.declaredMd5);
  return headers;
}

async function presign(deps: LeaseEngineDeps, lease: LeaseRecord, now: number): Promise<string> {
  if (isContainerKey(lease.objectKey)) return containersOf(deps, lease).presignContainer(lease.leaseId, lease.urlExpiresAt, now);
  const spec: PutUrlSpec = {
    key: lease.objectKey,
    expiresInSeconds: Math.max(1, Math.round((lease.urlExpiresAt - now) / 1000)),
    // Undeclared headers stay undefined, and the presigner signs only what is defined.
    contentType: lease.contentType,
    contentMd5: lease.declaredMd5 === undefined ? undefined : md5HexToBase64(lease.declaredMd5),
    contentLength: lease.declaredSize,
  };
  try {
    return await deps.presigner.presignPut(spec, now);
  } catch (error) {
    throw new DependencyError('credentials', false, { cause: error });
  }
}

/**
 * A container lease's URLs need the container presigner. A deployment switched back from the Blob front
 * cannot hand them out: the client is told to start another pending upload (which gets a plain URL).
 */
function containersOf(deps: LeaseEngineDeps, lease: LeaseRecord): ContainerPresigner {
  if (deps.containers) return deps.containers;
  throw new LeaseStateError(lease.leaseId, 'PENDING', 'The pending upload was started for the Blob front, which this deployment no longer serves; start a new pending upload with another pendingUploadId.');
}

function issued(deps: LeaseEngineDeps, lease: LeaseRecord, uploadUrl: string): IssuedLease {
  return {
    lease,
    uploadUrl,
    objectUrl: isContainerKey(lease.objectKey) ? containersOf(deps, lease).containerUrl(lease.leaseId) : deps.presigner.objectUrl(lease.objectKey),
    uploadHeaders: uploadHeadersOf(lease),
  };
}

/**
 * Records a new PENDING lease and hands out its URL. The URL is signed before the write (so a signing
 * failure leaves nothing behind) and returned only after the conditional write succeeded.
 * With `createOrGet`, an existing lease with the same id is returned instead, with a fresh URL.
 */
export async function issueLease(
  deps: LeaseEngineDeps,
  spec: NewLease,
  { createOrGet }: { createOrGet: boolean },
): Promise<IssuedLease> {
  const { config, clock, store } = deps;
  const now = clock.now();
  const urlExpiresAt = now + config.urlTtlSeconds * 1000;
  const dueAt = pendingDueAt(urlExpiresAt, config);
  const record: LeaseRecord = {
    ...spec,
    status: 'PENDING',
    createdAt: now,
    urlExpiresAt,
    dueAt,
    recordExpiresAt: recordExpiryFor(dueAt, config),
  };
  const uploadUrl = await presign(deps, record, now);
  if (await store.putNew(record)) return issued(deps, record, uploadUrl);
  // Random ids never collide in practice; a collision must not hand out someone else's lease.
  if (!createOrGet) throw new DependencyError('dynamodb', false);
  return renewLease(deps, spec.leaseId, now);
}

/**
 * Create-or-get on an existing lease: same lease and object, a fresh URL. A lease that has run its
 * course (expired or rejected) is revived as PENDING for the same object, as the contract promises.
 */
async function renewLease(deps: LeaseEngineDeps, leaseId: string, now: number): Promise<IssuedLease> {
  const { config, store } = deps;
  const urlExpiresAt = now + config.urlTtlSeconds * 1000;
  for (let attempt = 0; attempt < MAX_RENEW_ATTEMPTS; attempt++) {
    const current = await store.get(leaseId);
    if (!current) {
      throw new DependencyError('dynamodb', true); // removed between our put and get: let the client retry
    }
    const live = effectiveStatus(current, now);
    if (live === 'CONSUMED' || live === 'DELETED') {
      // A new URL would overwrite nothing (the file has moved), but it would look like a second chance at
      // a lease whose upload is already used: the client must start a new pending upload instead.
      const by = current.consumedBy ? ` by ${current.consumedBy.kind} '${current.consumedBy.id}'` : '';
      throw new LeaseStateError(
        leaseId,
        live,
        `The pending upload was already consumed${by}; start a new pending upload with another pendingUploadId.`,
      );
    }
    let changes: Partial<LeaseRecord>;
    let removed: readonly (keyof LeaseRecord)[] = [];
    if (live === 'PENDING' || live === 'UPLOADED') {
      const dueAt = live === 'PENDING' ? pendingDueAt(urlExpiresAt, config) : current.dueAt!;
      changes = { status: current.status, urlExpiresAt, dueAt, recordExpiresAt: Math.max(current.recordExpiresAt ?? 0, recordExpiryFor(dueAt, config)) };
    } else {
      const dueAt = pendingDueAt(urlExpiresAt, config);
      // revivedAt: what was stored before now is the previous life's, however late its event comes.
      changes = { status: 'PENDING', urlExpiresAt, dueAt, recordExpiresAt: recordExpiryFor(dueAt, config), revivedAt: now };
      removed = UPLOAD_FIELDS; // removing an absent attribute is a no-op
    }
    const next: LeaseRecord = { ...current, ...changes };
    for (const field of removed) delete next[field];
    const uploadUrl = await presign(deps, next, now);
    if (await store.transition(leaseId, { status: current.status }, changes, removed)) {
      return issued(deps, next, uploadUrl);
    }
  }
  throw new DependencyError('dynamodb', true);
}

/** The lease as stored, or LeaseNotFoundError. Records past their TTL count as gone even before DynamoDB removes them. */
export async function readLease(deps: Pick<LeaseEngineDeps, 'store' | 'clock'>, leaseId: string): Promise<LeaseRecord> {
  const record = await deps.store.get(leaseId);
  if (!record || (record.recordExpiresAt !== undefined && record.recordExpiresAt <= deps.clock.now())) throw new LeaseNotFoundError(leaseId);
  return record;
}
