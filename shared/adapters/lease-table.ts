import { DUE_SHARD_LIMITS } from '../config.js';

/**
 * The lease table's shape, in one place for the CDK stack, the local emulator and the store.
 * Partition key: leaseId. A sparse GSI (dueShard, dueAt) holds only leases that still have work
 * due (PENDING, UPLOADED; CONSUMED and DELETED until their objects are settled), so the retention
 * sweep queries it instead of scanning the table, and reads from it everything it decides on.
 */
export const LEASE_TABLE = Object.freeze({
  partitionKey: 'leaseId',
  ttlAttribute: 'expiresAt',
  dueIndex: Object.freeze({
    name: 'byDue',
    partitionKey: 'dueShard',
    sortKey: 'dueAt',
    /** What the sweep needs beyond the keys: with these it expires and settles without a GetItem. */
    projected: Object.freeze(['status', 'sequencer', 'objectKey', 'storedKey', 'eTag'] as const),
  }),
});

/**
 * Due-index shards, sized from the peak upload rate (docs/scale.md has the arithmetic): every lease
 * writes its shard's index partition about 3 times within seconds of its upload (issued: 1; uploaded:
 * the due time moves, which is a delete and a put), and a GSI partition takes about 1,000 writes per
 * second; 800 leaves headroom for expirations and retries.
 */
export const DUE_INDEX = Object.freeze({
  writesPerLeaseAtUpload: 3,
  writesPerShardPerSecond: 800,
});

/** Within DUE_SHARD_LIMITS (config.ts): never below the 4 shards every table started with. */
export function dueShardsFor(peakUploadsPerSecond: number): number {
  const needed = Math.ceil((peakUploadsPerSecond * DUE_INDEX.writesPerLeaseAtUpload) / DUE_INDEX.writesPerShardPerSecond);
  return Math.min(DUE_SHARD_LIMITS.max, Math.max(DUE_SHARD_LIMITS.min, needed));
}

/** The due-index partition a lease's entry lives in: a stable hash of its id over `shards` shards. */
export function dueShardOf(leaseId: string, shards: number): string {
  let h = 0;
  for (let i = 0; i < leaseId.length; i++) h = (h * 31 + leaseId.charCodeAt(i)) >>> 0;
  return `DUE#${h % shards}`;
}

/** CreateTable input for emulators (dynalite, LocalStack bootstrap); the CDK stack mirrors it. */
export function createTableInput(tableName: string) {
  const { partitionKey, dueIndex } = LEASE_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' as const },
      { AttributeName: dueIndex.partitionKey, AttributeType: 'S' as const },
      { AttributeName: dueIndex.sortKey, AttributeType: 'N' as const },
    ],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: dueIndex.name,
        KeySchema: [
          { AttributeName: dueIndex.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: dueIndex.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...dueIndex.projected] },
      },
    ],
  };
}
