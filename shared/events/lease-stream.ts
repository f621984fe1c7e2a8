import type { AttributeValue as StreamAttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LeaseChange } from '../lease/changes.js';
import { fromItem, type LeaseItem } from '../adapters/lease-item.js';

const image = (raw: Record<string, StreamAttributeValue> | undefined) =>
  raw ? (unmarshall(raw as Record<string, AttributeValue>) as Record<string, unknown>) : undefined;

/** Lease items carry a contract; the table's other items (rate counters, code version names) do not. */
const isLease = (item: Record<string, unknown> | undefined): item is LeaseItem => typeof item?.contract === 'string' && typeof item.status === 'string';

/** A stream record of the lease table as a LeaseChange, or undefined for removals and non-lease items. */
export function leaseChangeOf(record: DynamoDBRecord): LeaseChange | undefined {
  const next = image(record.dynamodb?.NewImage);
  if (!isLease(next)) return undefined;
  const old = image(record.dynamodb?.OldImage);
  return {
    previous: isLease(old) ? old.status : undefined,
    record: fromItem(next),
    time: (record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000,
  };
}
