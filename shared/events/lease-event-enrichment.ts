import type { DynamoDBRecord } from 'aws-lambda';
import { leaseEventFor } from '../lease/events.js';
import { leaseChangeOf } from './lease-stream.js';

/** What the pipe's EventBridge target reads: `$.detailType` and `<$.detail>` (infra/lease-events.ts). */
export interface PipeLeaseEvent {
  readonly detailType: string;
  readonly time: string;
  readonly detail: unknown;
}

/**
 * The enrichment step of the lease-events pipe: a batch of the lease table's stream records in, one
 * event per published transition out (an empty answer publishes nothing). Pure: retries, ordering per
 * shard and the dead-letter queue are the pipe's.
 */
export function leaseEventEnrichment(bucket: string) {
  return async (records: DynamoDBRecord[]): Promise<PipeLeaseEvent[]> =>
    records.flatMap((record) => {
      const change = leaseChangeOf(record);
      const event = change && leaseEventFor(change.previous, change.record, { time: change.time, bucket });
      return event ? [{ detailType: event.detailType, time: event.time, detail: event.detail }] : [];
    });
}
