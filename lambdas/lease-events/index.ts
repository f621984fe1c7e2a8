import { leaseEventEnrichment } from '../../shared/events/lease-event-enrichment.js';
import { recordLeaseChanges } from '../../shared/metrics.js';

const bucket = process.env.UPLOAD_BUCKET_NAME;
if (!bucket) throw new Error('UPLOAD_BUCKET_NAME is required');

/** The lease-events pipe's enrichment: stream records in, one event per published transition out; every change counted. */
export const handler = leaseEventEnrichment(bucket, recordLeaseChanges);
