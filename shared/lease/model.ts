import type { BrokerConfig } from '../config.js';

/**
 * PENDING -> UPLOADED | REJECTED | EXPIRED; UPLOADED -> EXPIRED | CONSUMED; CONSUMED -> DELETED.
 * An Azure create-or-get revives a REJECTED or EXPIRED lease as PENDING; nothing leaves CONSUMED but
 * the deletion of what consumed it.
 */
export const LEASE_STATUSES = ['PENDING', 'UPLOADED', 'REJECTED', 'EXPIRED', 'CONSUMED', 'DELETED'] as const;
export type LeaseStatus = (typeof LEASE_STATUSES)[number];

/** The contract a lease was issued under, as its record and its events name it. */
export const LEASE_CONTRACTS = ['azure-ml', 'alibaba-model-studio'] as const;
export type LeaseContract = (typeof LEASE_CONTRACTS)[number];

export const REJECT_REASONS = ['SIZE_MISMATCH', 'SIZE_LIMIT', 'MD5_MISMATCH', 'CONTENT_TYPE_MISMATCH'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** What consumed a lease: an Alibaba file (AddFile), an Azure code version, or a broker consumer. */
export const CONSUMER_KINDS = ['alibaba-file', 'azure-code-version', 'broker'] as const;
export type ConsumerKind = (typeof CONSUMER_KINDS)[number];

export interface ConsumedBy {
  kind: ConsumerKind;
  /** The consumer's own id: a FileId, a code version's resource id, or a caller-chosen name. */
  id: string;
  /** What the consumer asked to keep with it (Alibaba file fields, code version properties). */
  attributes?: Record<string, unknown>;
}

/** Where consumed files live, outside the temporary prefix, its lifecycle backstop and the sweep's expiry. */
export const STORED_PREFIX = 'files/';

/** Fields a contract decides for a new lease; the engine adds the rest. */
export interface NewLease {
  leaseId: string;
  contract: LeaseContract;
  /** Who the lease belongs to, e.g. the Azure workspace/code/version or the Alibaba workspace/category. */
  scope: string;
  objectKey: string;
  /** The client's own file name, kept here and never trusted in the key. */
  fileName?: string;
  declaredSize?: number;
  declaredMd5?: string;
  contentType?: string;
  /** Azure create-or-get id. */
  pendingUploadId?: string;
}

/**
 * One lease, as the domain sees it. Times are epoch milliseconds. How it is laid out in the table (the
 * due index's shard key, the TTL in epoch seconds) is the store's business (adapters/lease-item.ts).
 */
export interface LeaseRecord extends NewLease {
  status: LeaseStatus;
  createdAt: number;
  urlExpiresAt: number;
  uploadedAt?: number;
  size?: number;
  eTag?: string;
  sequencer?: string;
  retainUntil?: number;
  rejectReason?: RejectReason;
  expiredAt?: number;
  consumedAt?: number;
  consumedBy?: ConsumedBy;
  /** The permanent object key of a consumed lease. */
  storedKey?: string;
  /**
   * When the consumed file was confirmed at its permanent key. Its temporary object stays (due) until
   * every download URL handed out for it has expired (settle.ts).
   */
  movedAt?: number;
  /** When the lease was set DELETED (what consumed it was deleted, and its file with it). */
  deletedAt?: number;
  /**
   * When an Azure create-or-get last revived the lease (REJECTED or EXPIRED -> PENDING): an object stored
   * before then belongs to its previous life, and so does that object's S3 event, however late.
   */
  revivedAt?: number;
  /**
   * When the sweep has work to do on this lease; absent once it has none. For PENDING and UPLOADED the
   * end of the lease; for CONSUMED and DELETED, object moves or deletions not yet confirmed done.
   */
  dueAt?: number;
  /**
   * When the record itself may disappear (DynamoDB TTL); always on a whole second. Absent while
   * CONSUMED: the record lives as long as the file it points to.
   */
  recordExpiresAt?: number;
}

/** When an unused PENDING lease is due: URL expiry plus a grace for uploads still in flight. */
export const pendingDueAt = (urlExpiresAt: number, config: BrokerConfig): number =>
  urlExpiresAt + config.pendingGraceSeconds * 1000;

/** The record stays readable for recordRetentionSeconds after its last due time (rounded up to a second, as TTL counts). */
export const recordExpiryFor = (lastDueAt: number, config: BrokerConfig): number =>
  (Math.ceil(lastDueAt / 1000) + config.recordRetentionSeconds) * 1000;

/**
 * What a reader sees. Reads never trust DynamoDB TTL or the sweep's progress: a lease past its due
 * time reads as EXPIRED even if the sweep has not reached it yet.
 */
export function effectiveStatus(record: LeaseRecord, now: number): LeaseStatus {
  if ((record.status === 'PENDING' || record.status === 'UPLOADED') && now >= (record.dueAt ?? Number.POSITIVE_INFINITY)) {
    return 'EXPIRED';
  }
  return record.status;
}

type Placement = Pick<LeaseRecord, 'status' | 'objectKey' | 'storedKey' | 'dueAt' | 'movedAt'>;

/** Whether a consumed file is at its permanent key (records settled before `movedAt` existed: no longer due). */
export const isStored = (record: Placement): boolean =>
  record.status === 'CONSUMED' && record.storedKey !== undefined && (record.movedAt !== undefined || record.dueAt === undefined);

/** Where a lease's object is now: the permanent key once consumed and moved, else the temporary one. */
export const currentKey = (record: Placement): string => (isStored(record) ? record.storedKey! : record.objectKey);

type StatusTimes = Pick<LeaseRecord, 'status' | 'createdAt' | 'uploadedAt' | 'expiredAt' | 'consumedAt' | 'deletedAt' | 'revivedAt'>;

/** The record's own time of each status (issued or revived, for PENDING); REJECTED keeps none. */
const STATUS_SINCE: Partial<Record<LeaseStatus, (record: StatusTimes) => number | undefined>> = {
  PENDING: (r) => r.revivedAt ?? r.createdAt,
  UPLOADED: (r) => r.uploadedAt,
  EXPIRED: (r) => r.expiredAt,
  CONSUMED: (r) => r.consumedAt,
  DELETED: (r) => r.deletedAt,
};

/** When the lease took its current status, as its record tells. */
export const statusSince = (record: StatusTimes): number | undefined => STATUS_SINCE[record.status]?.(record);

/** Extra time the temporary object of a moved file is kept past the download URLs' lifetime: clocks of different Lambdas differ. */
export const TEMP_KEPT_MARGIN_MS = 60_000;

/**
 * When an upload's temporary object must be gone, consumed or not: the end of its retention (a consumed
 * lease no longer keeps `retainUntil`, but still has `uploadedAt`).
 */
export const tempObjectEnd = (record: Pick<LeaseRecord, 'retainUntil' | 'uploadedAt' | 'createdAt'>, config: BrokerConfig): number =>
  record.retainUntil ?? (record.uploadedAt ?? record.createdAt) + config.retentionSeconds * 1000;

/**
 * Until when a file moved now keeps its temporary object: until every download URL handed out for it
 * before the move has expired, but never past the upload's retention (no URL for it outlives that).
 */
export const tempKeptUntil = (record: LeaseRecord, movedAt: number, config: BrokerConfig): number =>
  Math.min(movedAt + config.urlTtlSeconds * 1000 + TEMP_KEPT_MARGIN_MS, tempObjectEnd(record, config));

/**
 * The lifetime of a download URL minted now for what `currentKey` names: the URL TTL, but for the
 * temporary object never past its retention (the sweep deletes it then). 0: hand out none.
 */
export function downloadUrlSeconds(record: LeaseRecord, now: number, config: BrokerConfig): number {
  if (isStored(record)) return config.urlTtlSeconds;
  return Math.max(0, Math.min(config.urlTtlSeconds, Math.floor((tempObjectEnd(record, config) - now) / 1000)));
}

/** Statuses whose object can be read (and downloaded). */
export const hasReadableObject = (status: LeaseStatus): boolean => status === 'UPLOADED' || status === 'CONSUMED';

export interface LeaseView {
  leaseId: string;
  contract: LeaseContract;
  status: LeaseStatus;
  createdAt: string;
  urlExpiresAt: string;
  fileName?: string;
  declaredSize?: number;
  contentType?: string;
  uploadedAt?: string;
  size?: number;
  retainUntil?: string;
  rejectReason?: RejectReason;
  expiredAt?: string;
  consumedAt?: string;
  consumedBy?: { kind: ConsumerKind; id: string };
  deletedAt?: string;
  /** Where the object lives, while there is one (a consumed file: its permanent key). */
  location?: { bucket: string; key: string };
  /** A short-lived presigned GET, added by the lease route while the object can be read. */
  downloadUrl?: string;
  /** A container lease's blobs (names relative to the container), added by the lease route. */
  blobs?: { name: string; size: number; downloadUrl?: string }[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function toLeaseView(record: LeaseRecord, now: number, bucket?: string): LeaseView {
  const status = effectiveStatus(record, now);
  const view: LeaseView = {
    leaseId: record.leaseId,
    contract: record.contract,
    status,
    createdAt: iso(record.createdAt),
    urlExpiresAt: iso(record.urlExpiresAt),
  };
  if (record.fileName !== undefined) view.fileName = record.fileName;
  if (record.declaredSize !== undefined) view.declaredSize = record.declaredSize;
  if (record.contentType !== undefined) view.contentType = record.contentType;
  if (record.uploadedAt !== undefined) view.uploadedAt = iso(record.uploadedAt);
  if (record.size !== undefined) view.size = record.size;
  if (record.retainUntil !== undefined) view.retainUntil = iso(record.retainUntil);
  if (record.rejectReason !== undefined) view.rejectReason = record.rejectReason;
  const expiredAt = record.expiredAt ?? (status === 'EXPIRED' ? record.dueAt : undefined);
  if (expiredAt !== undefined) view.expiredAt = iso(expiredAt);
  if (record.consumedAt !== undefined) view.consumedAt = iso(record.consumedAt);
  if (record.consumedBy !== undefined) view.consumedBy = { kind: record.consumedBy.kind, id: record.consumedBy.id };
  if (record.deletedAt !== undefined) view.deletedAt = iso(record.deletedAt);
  // A consumed lease's file lives at its permanent key, even in the moment before it has moved there.
  if (bucket !== undefined && hasReadableObject(status)) view.location = { bucket, key: record.storedKey ?? record.objectKey };
  return view;
}
