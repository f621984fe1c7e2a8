/**
 * The lease domain's ports: what the engine, the event path, the sweep and the contracts need from the
 * outside world, as interfaces. The adapters in shared/adapters implement them on DynamoDB and S3; the
 * tests' doubles (test/support/memory-store.ts) on memory. Nothing here imports an AWS SDK.
 */
import type { LeaseRecord } from './model.js';

// Lease records

/** Persistence of lease records (DynamoDB: adapters/lease-store.ts). Every write is conditional; nothing scans. */
export interface LeaseStore {
  /** Writes a new record unless one with the same id exists; false when it did. */
  putNew(record: LeaseRecord): Promise<boolean>;
  get(leaseId: string): Promise<LeaseRecord | undefined>;
  /** Strongly consistent reads of many leases (BatchGetItem, 100 a call); absent ids are missing from the map. */
  getMany(leaseIds: readonly string[]): Promise<Map<string, LeaseRecord>>;
  /**
   * Applies `changes` only while the stored record still has `expected.status` (and sequencer, due time
   * or consumer id, when given): optimistic concurrency for every state transition. Returns the record
   * as written, or undefined when the condition failed.
   */
  transition(
    leaseId: string,
    expected: TransitionExpectation,
    changes: Partial<LeaseRecord>,
    remove?: readonly (keyof LeaseRecord)[],
  ): Promise<LeaseRecord | undefined>;
  /**
   * Pages of due leases (`dueAt` at or before `now`) of one shard of the sparse due index, oldest first,
   * with the attributes the index projects: never a scan, never a GetItem. The index is eventually
   * consistent: every write made from an entry must be conditional on what the entry says.
   */
  dueLeases(shard: number, now: number): AsyncIterable<DueLease[]>;
  /** The oldest `dueAt` at or before `now` in any shard, or undefined when nothing is due. */
  oldestDueAt(now: number): Promise<number | undefined>;
  /** Shards of the due index this store writes to and reads: 0 .. dueShards - 1. */
  readonly dueShards: number;
}

/** Entries per due-index page: one DeleteObjects request's worth. */
export const DUE_PAGE_SIZE = 1000;

/** A due-index entry: the keys and what the index projects (shared/adapters/lease-table.ts). */
export type DueLease = Pick<LeaseRecord, 'leaseId' | 'status' | 'objectKey' | 'sequencer' | 'storedKey' | 'eTag'> & { readonly dueAt: number };


export interface TransitionExpectation {
  readonly status: LeaseRecord['status'];
  /** null: the record must have none. */
  readonly sequencer?: string | null;
  readonly dueAt?: number;
  readonly consumedById?: string;
  /** A first upload matching everything the lease declared (uploads.ts): the check a read would make, in the condition. */
  readonly upload?: UploadExpectation;
}

export interface UploadExpectation {
  readonly objectKey: string;
  /** The lease's URL was still usable, with the grace, when the object landed: urlExpiresAt at or after this. */
  readonly urlExpiresAtFrom: number;
  readonly size: number;
  /** Lower-case hex MD5 of what was stored. */
  readonly md5: string;
  /** Whether `size` is within the broker's limit for a lease that declared no size. */
  readonly withinLimit: boolean;
  /** What the object was stored as; undefined: the lease must have declared no content type. */
  readonly contentType?: string;
  /** A revived lease's new life began at or before this (an object stored earlier belongs to its previous life). */
  readonly revivedBy: number;
}

// Objects

export interface StoredObject {
  readonly size: number;
  readonly eTag: string;
  readonly contentType?: string;
  /** When S3 stored it (epoch ms, whole seconds as HTTP dates have them). */
  readonly lastModified?: number;
}

/** One object of a listing (a container lease's blobs, containers.ts). */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  /** Epoch ms (S3 keeps whole seconds). */
  readonly lastModified: number;
}

/**
 * The object calls an API Lambda makes when it verifies an upload on the spot (uploads.ts
 * verifyUploadNow): HEAD what is there, delete what was rejected, list a container lease's blobs.
 */
export type UploadedObjects = Pick<ObjectStore, 'head' | 'delete' | 'list'>;

/** The few S3 calls the event handler, the sweep and consumption make, with errors mapped to DependencyError. */
export interface ObjectStore {
  head(key: string): Promise<StoredObject | undefined>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Deletes up to DELETE_BATCH keys in one request (DeleteObjects); returns the keys S3 could not
   * delete. A request-level failure is a DependencyError (nothing is known to be deleted).
   */
  deleteMany(keys: readonly string[]): Promise<string[]>;
  /**
   * Server-side copy of `source` to `target`, only while the source still has `eTag` (the bytes that
   * were verified). False when the source is gone or has other bytes now.
   */
  copy(source: string, target: string, eTag: string): Promise<boolean>;
  /** Every object whose key starts with `prefix`, in key order (all pages of ListObjectsV2). */
  list(prefix: string): Promise<ListedObject[]>;
}

/** S3's limit of keys per DeleteObjects request. */
export const DELETE_BATCH = 1000;

// Upload URLs

/** A header left undefined is neither signed nor required. */
export interface PutUrlSpec {
  readonly key: string;
  readonly expiresInSeconds: number;
  readonly contentType?: string | undefined;
  /** base64 of the raw MD5 digest, as S3 wants it in Content-MD5. */
  readonly contentMd5?: string | undefined;
  readonly contentLength?: number | undefined;
}

export interface UploadPresigner {
  /** A presigned S3 PUT URL; every declared header is signed, so S3 itself rejects a different file. */
  presignPut(spec: PutUrlSpec, nowMs: number): Promise<string>;
  /** A presigned S3 GET URL of an object (lease download URLs). */
  presignGet(key: string, expiresInSeconds: number, nowMs: number): Promise<string>;
  /**
   * A presigned HEAD or DELETE of one object, for the API Lambdas' few object calls (presigned-objects.ts):
   * sent at once with fetch, so they carry no S3 client.
   */
  presignObjectCall(method: 'HEAD' | 'DELETE', key: string, expiresInSeconds: number, nowMs: number): Promise<string>;
  /** A presigned ListObjectsV2 of one page under `prefix` (after `continuationToken`), for the same reason. */
  presignList(prefix: string, continuationToken: string | undefined, expiresInSeconds: number, nowMs: number): Promise<string>;
  /** The object's URL without any query string (Azure's blobUri). */
  objectUrl(key: string): string;
  /** The key of a URL objectUrl made (any query ignored), or undefined for any other URL. */
  keyOfUrl(url: string): string | undefined;
}

/**
 * Upload URLs for container leases (keys.ts containerKeyFor): one URL lets a client put any number of
 * blobs under the lease's prefix until it expires (Azure's container SAS through the Blob front,
 * contracts/azure/blob-front.ts).
 */
export interface ContainerPresigner {
  /** A URL with the credential to put blobs into the lease's container until `expiresAtMs`. */
  presignContainer(leaseId: string, expiresAtMs: number, nowMs: number): Promise<string>;
  /** The container's URL without a credential. */
  containerUrl(leaseId: string): string;
  /** The lease whose container a URL names (the container, or a path inside it), or undefined. */
  leaseIdOfUrl(url: string): string | undefined;
}

// Unique names (Azure code versions)

/** Who holds a name, since when (epoch ms). */
export interface Claim {
  readonly owner: string;
  readonly claimedAt: number;
}

/**
 * Unique names pointing at a lease (an Azure code version's resource id -> the lease it consumed).
 * A claim only says who may try: the lease it names is the truth (its `consumedBy`), so a claim left
 * behind by a crash is harmless and can be taken over.
 */
export interface NameClaims {
  get(name: string): Promise<Claim | undefined>;
  /** Claims `name` for `owner` if nobody holds it, or replaces `replacing` if that is still the holder. */
  claim(name: string, owner: string, now: number, replacing?: Claim): Promise<boolean>;
  /** Gives `name` up if `owner` holds it. */
  release(name: string, owner: string): Promise<void>;
}

// Rate limits (Alibaba)

export interface RateLimiter {
  /** Throws RateLimitedError when `key` has used up this second's calls. */
  take(key: string, nowMs: number): Promise<void>;
}

export const noRateLimit: RateLimiter = { take: async () => undefined };
