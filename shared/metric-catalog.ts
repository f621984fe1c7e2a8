/**
 * The broker's own CloudWatch metrics: names, units and dimensions, in one place for the code that
 * publishes them (shared/metrics.ts) and the stack's alarms and dashboard (infra/operations.ts), so
 * neither can drift from the other. No Powertools import here: the stack reads it at synth.
 */
import type { LeaseStatus } from './lease/model.js';

/** Powertools Metrics adds this dimension to every metric it publishes. */
export const METRIC_SERVICE = 'upload-lease-broker';

/** What a lease change counts as; issuing (a move to PENDING) included, unlike lease events. */
export const TRANSITIONS = {
  PENDING: 'Issued',
  UPLOADED: 'Uploaded',
  REJECTED: 'Rejected',
  EXPIRED: 'Expired',
  CONSUMED: 'Consumed',
  DELETED: 'Deleted',
} as const satisfies Record<LeaseStatus, string>;

export type Transition = (typeof TRANSITIONS)[LeaseStatus];

export const METRICS = {
  /** Lease transitions, by `Contract` (as leases record it) and `Transition`; from the table's stream. */
  leaseTransitions: { name: 'LeaseTransitions', unit: 'Count', dimensions: ['Contract', 'Transition'] },
  /** After each sweep run: age of the oldest lease past due and not done; 0 when none. */
  retentionLag: { name: 'RetentionLagSeconds', unit: 'Seconds', dimensions: [] },
  sweepExpired: { name: 'LeasesExpired', unit: 'Count', dimensions: [] },
  sweepSettled: { name: 'LeasesSettled', unit: 'Count', dimensions: [] },
  sweepFailures: { name: 'SweepFailures', unit: 'Count', dimensions: [] },
  sweepStoppedEarly: { name: 'SweepStoppedEarly', unit: 'Count', dimensions: [] },
} as const;
