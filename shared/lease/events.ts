import { toLeaseView, type LeaseRecord, type LeaseStatus, type LeaseView } from './model.js';

/** EventBridge `source` of every lease event. */
export const LEASE_EVENT_SOURCE = 'upload-lease-broker';

/** EventBridge `detail-type` per status a lease can move to; issuing (PENDING) is not an event. */
export const LEASE_EVENT_TYPES = {
  UPLOADED: 'Lease Uploaded',
  REJECTED: 'Lease Rejected',
  EXPIRED: 'Lease Expired',
  CONSUMED: 'Lease Consumed',
  DELETED: 'Lease Deleted',
} as const satisfies Partial<Record<LeaseStatus, string>>;

export type LeaseEventType = (typeof LEASE_EVENT_TYPES)[keyof typeof LEASE_EVENT_TYPES];

export interface LeaseEvent {
  readonly source: typeof LEASE_EVENT_SOURCE;
  readonly detailType: LeaseEventType;
  /** ISO time of the change. */
  readonly time: string;
  /** The lease as GET /leases/{leaseId} shows it, without the short-lived download URL. */
  readonly detail: LeaseView;
}

/**
 * The event for one change of a lease record, or undefined when the change is not a transition that is
 * published (same status, or a move to PENDING). One function for both paths: the DynamoDB stream's
 * old and new images on AWS, the store's own writes in local mode.
 */
export function leaseEventFor(previous: LeaseStatus | undefined, record: LeaseRecord, at: { time: number; bucket: string }): LeaseEvent | undefined {
  if (record.status === previous || !Object.hasOwn(LEASE_EVENT_TYPES, record.status)) return undefined;
  const detailType = LEASE_EVENT_TYPES[record.status as keyof typeof LEASE_EVENT_TYPES];
  const detail = toLeaseView(record, at.time, at.bucket);
  // The event says what the transition was, whatever the clock says about the lease by now.
  detail.status = record.status;
  return { source: LEASE_EVENT_SOURCE, detailType, time: new Date(at.time).toISOString(), detail };
}
