import type { DynamoDBRecord } from 'aws-lambda';
import type { LeaseChange } from '../lease/changes.js';
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
 * event per published transition out (an empty answer publishes nothing). Retries, ordering per shard
 * and the dead-letter queue are the pipe's. `onChanges` sees every lease change of the batch (the
 * Lambda counts them: shared/metrics.ts); a batch the pipe retries is seen again.
 */
export function leaseEventEnrichment(bucket: string, onChanges: (changes: LeaseChange[]) => void = () => undefined) {
  return async (records: DynamoDBRecord[]): Promise<PipeLeaseEvent[]> => {
    const changes = records.map(leaseChangeOf).filter((change): change is LeaseChange => change !== undefined);
    onChanges(changes);
    return changes.flatMap((change) => {
      const event = leaseEventFor(change.previous, change.record, { time: change.time, bucket });
      return event ? [{ detailType: event.detailType, time: event.time, detail: event.detail }] : [];
    });
  };
}
