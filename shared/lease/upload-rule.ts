import type { BrokerConfig } from '../config.js';
import { etagToMd5Hex } from '../md5.js';
import type { LeaseRecord, RejectReason } from './model.js';
import type { StoredObject, UploadExpectation } from './ports.js';

/**
 * The upload rule, in one place for both ways an upload is accepted:
 * - decided: `verify` on the lease as read (the S3 event's long way, a consumer verifying on the spot),
 *   which says why an upload is refused;
 * - fast: `uploadClauses`, the same comparisons as a conditional write's clauses (no read), which the
 *   DynamoDB store writes as its condition (adapters/lease-store.ts) and `matchesUpload` evaluates on a
 *   record (the tests' memory store). Where the two cannot compare alike (an MD5 declared in upper case,
 *   a content type with other parameters), the fast path refuses and the decided path judges:
 *   test/unit/lease/upload-rule.test.ts checks that the fast path never accepts what `verify` refuses.
 */

/** An object as the rule sees it: its size and ETag (and, when headed, its content type). */
export interface ArrivedObject {
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  /** When S3 stored it (epoch ms). */
  readonly eventTime: number;
}

/**
 * S3's clock (an event's time, an object's Last-Modified) and the broker's (revivedAt) may differ a
 * little: an object is taken for the previous life's only when it was stored this much before a revival.
 */
export const REVIVAL_CLOCK_MARGIN_MS = 1000;

/** An object stored at `storedAt` belongs to a revived lease's previous life (engine.ts renewLease). */
export const beforeRevival = (lease: LeaseRecord, storedAt: number): boolean =>
  storedAt + REVIVAL_CLOCK_MARGIN_MS < (lease.revivedAt ?? Number.NEGATIVE_INFINITY);

/**
 * After the URL could have been used, or after an uploaded lease's retention ended (it reads EXPIRED
 * from then on, and the sweep may be deleting it: new bytes there belong to nobody).
 */
export const isLate = (config: Pick<BrokerConfig, 'pendingGraceSeconds'>, lease: LeaseRecord, object: Pick<ArrivedObject, 'eventTime'>): boolean =>
  object.eventTime > lease.urlExpiresAt + config.pendingGraceSeconds * 1000 ||
  (lease.status === 'UPLOADED' && object.eventTime >= (lease.dueAt ?? Number.POSITIVE_INFINITY));

/**
 * Compares what arrived with what the lease declared; the first mismatch wins. A lease that declared
 * no size still has the broker's limit.
 */
export function verify(lease: LeaseRecord, object: Pick<ArrivedObject, 'size' | 'eTag'>, maxUploadBytes: number, stored?: StoredObject): RejectReason | undefined {
  if (lease.declaredSize !== undefined && object.size !== lease.declaredSize) return 'SIZE_MISMATCH';
  if (lease.declaredSize === undefined && object.size > maxUploadBytes) return 'SIZE_LIMIT';
  if (lease.declaredMd5 !== undefined && etagToMd5Hex(object.eTag) !== lease.declaredMd5.toLowerCase()) return 'MD5_MISMATCH';
  if (lease.contentType !== undefined && stored && !sameMediaType(stored.contentType, lease.contentType)) {
    return 'CONTENT_TYPE_MISMATCH';
  }
  return undefined;
}

/** Media types compare without parameters and case-insensitively (RFC 9110). */
const mediaType = (t: string) => t.split(';')[0]!.trim().toLowerCase();
const sameMediaType = (stored: string | undefined, declared: string) => stored !== undefined && mediaType(stored) === mediaType(declared);

/**
 * What the fast path asks of the lease for a first upload: in time, not from before a revival, and
 * matching everything it declared. `stored` is the object's HEAD when the lease declared a content type.
 */
export function uploadExpectation(config: Pick<BrokerConfig, 'pendingGraceSeconds' | 'maxUploadBytes'>, object: ArrivedObject, stored?: StoredObject): UploadExpectation {
  return {
    objectKey: object.key,
    urlExpiresAtFrom: object.eventTime - config.pendingGraceSeconds * 1000,
    size: object.size,
    md5: etagToMd5Hex(object.eTag),
    withinLimit: object.size <= config.maxUploadBytes,
    revivedBy: object.eventTime + REVIVAL_CLOCK_MARGIN_MS,
    ...(stored?.contentType !== undefined ? { contentType: stored.contentType } : {}),
  };
}

/** One comparison of a stored lease attribute with a value of the upload (absent attributes never compare). */
export type UploadClause =
  | { readonly field: keyof LeaseRecord; readonly is: 'equal' | 'atLeast' | 'absentOrEqual' | 'absentOrAtMost'; readonly value: string | number }
  | { readonly field: keyof LeaseRecord; readonly is: 'absent' };

/** The fast path's rule: `verify`'s comparisons, and the URL's and the revival's times, as clauses. */
export function uploadClauses(u: UploadExpectation): readonly UploadClause[] {
  return [
    { field: 'objectKey', is: 'equal', value: u.objectKey },
    { field: 'urlExpiresAt', is: 'atLeast', value: u.urlExpiresAtFrom },
    { field: 'revivedAt', is: 'absentOrAtMost', value: u.revivedBy },
    { field: 'declaredSize', is: u.withinLimit ? 'absentOrEqual' : 'equal', value: u.size },
    { field: 'declaredMd5', is: 'absentOrEqual', value: u.md5 },
    u.contentType === undefined ? { field: 'contentType', is: 'absent' } : { field: 'contentType', is: 'equal', value: u.contentType },
  ];
}

/** A clause on a record, as DynamoDB evaluates its condition. */
export function clauseHolds(clause: UploadClause, record: LeaseRecord): boolean {
  const actual = record[clause.field] as string | number | undefined;
  if (clause.is === 'absent') return actual === undefined;
  if (actual === undefined) return clause.is === 'absentOrEqual' || clause.is === 'absentOrAtMost';
  if (clause.is === 'atLeast') return actual >= clause.value;
  if (clause.is === 'absentOrAtMost') return actual <= clause.value;
  return actual === clause.value;
}

export const matchesUpload = (record: LeaseRecord, u: UploadExpectation): boolean => uploadClauses(u).every((clause) => clauseHolds(clause, record));
