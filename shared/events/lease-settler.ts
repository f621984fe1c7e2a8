import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { needsSettling } from '../lease/changes.js';
import { settleLease, type SettleDeps } from '../lease/settle.js';
import { log } from '../log.js';
import { leaseChangeOf } from './lease-stream.js';

/**
 * The lease table's stream -> object work: moves consumed files to their permanent key and deletes the
 * files of deleted leases (settle.ts). A record that fails is reported so Lambda retries from it; the
 * sweep finishes anything the retries give up on, because the lease stays due until the work is done.
 */
export function leaseSettlerHandler(deps: SettleDeps) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    for (const record of event.Records) {
      const change = leaseChangeOf(record);
      if (!change || !needsSettling(change.record)) continue;
      try {
        // The image may be stale by now; settleLease's writes are conditional on what it saw.
        const left = await settleLease(deps, change.record);
        // undefined: the work cannot be done yet, and the lease stays due for the sweep.
        log.info('lease settled', { leaseId: change.record.leaseId, status: change.record.status, done: left !== undefined && left.dueAt === undefined });
      } catch (error) {
        log.warn('lease settling failed; retried from this record', { leaseId: change.record.leaseId }, error);
        // Records after a failed one are retried with it, in order.
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb!.SequenceNumber! }] };
      }
    }
    return { batchItemFailures: [] };
  };
}
