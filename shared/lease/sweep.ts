import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDependencyError } from '../aws/dependency-errors.js';
import { log } from '../log.js';
import { effectiveStatus, ttlFor } from './model.js';
import { LEASE_TABLE } from './table.js';
import type { UploadDeps } from './uploads.js';

export interface SweepDeps extends UploadDeps {
  readonly ddb: DynamoDBDocumentClient;
}

export interface SweepReport {
  readonly examined: number;
  readonly expired: number;
  readonly failed: number;
}

/** Leases whose dueAt has passed, from the sparse due index: never a table scan. */
async function* dueLeaseIds(deps: SweepDeps, now: number): AsyncGenerator<string> {
  const { dueIndex, dueShards } = LEASE_TABLE;
  for (let shard = 0; shard < dueShards; shard++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      let page;
      try {
        page = await deps.ddb.send(
          new QueryCommand({
            TableName: deps.config.tableName,
            IndexName: dueIndex.name,
            KeyConditionExpression: '#shard = :shard AND #due <= :now',
            ExpressionAttributeNames: { '#shard': dueIndex.partitionKey, '#due': dueIndex.sortKey },
            ExpressionAttributeValues: { ':shard': `DUE#${shard}`, ':now': now },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (error) {
        throw toDependencyError('dynamodb', error);
      }
      for (const item of page.Items ?? []) yield item.leaseId as string;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}

/**
 * Deletes the objects of due leases and marks them EXPIRED. The object goes first: if its delete
 * fails the lease stays due and the next sweep tries again, so no file outlives its retention by more
 * than one sweep interval while S3 works.
 */
export async function sweepDueLeases(deps: SweepDeps): Promise<SweepReport> {
  const now = deps.clock.now();
  let examined = 0;
  let expired = 0;
  let failed = 0;
  for await (const leaseId of dueLeaseIds(deps, now)) {
    examined++;
    try {
      const lease = await deps.store.get(leaseId);
      if (!lease || effectiveStatus(lease, now) !== 'EXPIRED' || lease.status === 'EXPIRED') continue;
      await deps.objects.delete(lease.objectKey);
      const ok = await deps.store.transition(
        leaseId,
        { status: lease.status, sequencer: lease.sequencer ?? null, dueAt: lease.dueAt! },
        { status: 'EXPIRED', expiredAt: now, expiresAt: ttlFor(now, deps.config) },
        ['dueShard', 'dueAt'],
      );
      if (ok) expired++;
    } catch (error) {
      failed++;
      log.error('sweep could not expire lease; it stays due for the next sweep', { leaseId }, error);
    }
  }
  if (examined > 0) log.info('retention sweep', { examined, expired, failed });
  return { examined, expired, failed };
}
