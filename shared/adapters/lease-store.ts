import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, toDependencyError } from './dependency-errors.js';
import { DependencyError } from '../errors.js';
import { fromItem, itemChanges, toItem, type LeaseItem } from './lease-item.js';
import type { LeaseRecord } from '../lease/model.js';
import { DUE_PAGE_SIZE, type DueLease, type LeaseStore, type TransitionExpectation, type UploadExpectation } from '../lease/ports.js';
import { uploadClauses, type UploadClause } from '../lease/upload-rule.js';
import { LEASE_TABLE } from './lease-table.js';
import { DUE_SHARD_LIMITS } from '../config.js';





const dueLeaseOf = (item: Record<string, unknown>): DueLease => {
  const { dueShard: _shard, ...rest } = item;
  return rest as unknown as DueLease;
};


/** Each comparing clause of the upload rule as a DynamoDB condition; the placeholders are prefixed so they never meet the SET values. */
const CLAUSE_CONDITIONS: Readonly<Record<Exclude<UploadClause['is'], 'absent'>, (name: string, value: string) => string>> = {
  equal: (n, v) => `${n} = ${v}`,
  atLeast: (n, v) => `${n} >= ${v}`,
  absentOrEqual: (n, v) => `(attribute_not_exists(${n}) OR ${n} = ${v})`,
  absentOrAtMost: (n, v) => `(attribute_not_exists(${n}) OR ${n} <= ${v})`,
};

/** The condition half of the one-write upload path: the upload rule's clauses (lease/upload-rule.ts). */
function uploadCondition(u: UploadExpectation, names: Record<string, string>, values: Record<string, unknown>): string {
  return uploadClauses(u)
    .map((clause) => {
      const name = `#up_${clause.field}`;
      names[name] = clause.field;
      if (clause.is === 'absent') return `attribute_not_exists(${name})`;
      values[`:up_${clause.field}`] = clause.value;
      return CLAUSE_CONDITIONS[clause.is](name, `:up_${clause.field}`);
    })
    .map((condition) => ` AND ${condition}`)
    .join('');
}

/** The SET and REMOVE half of a transition; undefined values are not written. */
function updateExpression(set: Record<string, unknown>, removed: readonly string[], names: Record<string, string>, values: Record<string, unknown>): string {
  const sets: string[] = [];
  for (const [field, value] of Object.entries(set)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  for (const field of removed) names[`#${field}`] = field;
  return [sets.length ? `SET ${sets.join(', ')}` : '', removed.length ? `REMOVE ${removed.map((f) => `#${f}`).join(', ')}` : ''].filter(Boolean).join(' ');
}

/** The condition half: the lease exists with the expected status, and whatever else the caller expects of it. */
function transitionCondition(expected: TransitionExpectation, names: Record<string, string>, values: Record<string, unknown>): string {
  let condition = 'attribute_exists(leaseId) AND #status = :expectedStatus';
  if (expected.sequencer === null) {
    condition += ' AND attribute_not_exists(#seqExpected)';
    names['#seqExpected'] = 'sequencer';
  } else if (expected.sequencer !== undefined) {
    condition += ' AND #seqExpected = :seqExpected';
    names['#seqExpected'] = 'sequencer';
    values[':seqExpected'] = expected.sequencer;
  }
  if (expected.dueAt !== undefined) {
    condition += ' AND #dueExpected = :dueExpected';
    names['#dueExpected'] = 'dueAt';
    values[':dueExpected'] = expected.dueAt;
  }
  if (expected.upload) condition += uploadCondition(expected.upload, names, values);
  if (expected.consumedById !== undefined) {
    condition += ' AND #consumer.#consumerId = :consumerExpected';
    names['#consumer'] = 'consumedBy';
    names['#consumerId'] = 'id';
    values[':consumerExpected'] = expected.consumedById;
  }
  return condition;
}

export function createLeaseStore(ddb: DynamoDBDocumentClient, tableName: string, dueShards: number = DUE_SHARD_LIMITS.min): LeaseStore {
  /** One shard of the due index, oldest due first, up to `now`: what the sweep pages through and the lag reads. */
  const dueBy = (shard: number, now: number) => ({
    TableName: tableName,
    IndexName: LEASE_TABLE.dueIndex.name,
    KeyConditionExpression: '#shard = :shard AND #due <= :now',
    ExpressionAttributeNames: { '#shard': LEASE_TABLE.dueIndex.partitionKey, '#due': LEASE_TABLE.dueIndex.sortKey },
    ExpressionAttributeValues: { ':shard': `DUE#${shard}`, ':now': now },
  });
  return {
    dueShards,
    async putNew(record) {
      try {
        await ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(record, dueShards),
            ConditionExpression: 'attribute_not_exists(leaseId)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw toDependencyError('dynamodb', error);
      }
    },

    async get(leaseId) {
      try {
        const out = await ddb.send(new GetCommand({ TableName: tableName, Key: { leaseId }, ConsistentRead: true }));
        return out.Item ? fromItem(out.Item as LeaseItem) : undefined;
      } catch (error) {
        throw toDependencyError('dynamodb', error);
      }
    },

    async getMany(requested) {
      const found = new Map<string, LeaseRecord>();
      // BatchGetItem refuses a request that names a key twice (ValidationException), and the due index
      // can list a lease twice (an entry not yet replaced): one such entry must not stop a whole page.
      const leaseIds = [...new Set(requested)];
      for (let i = 0; i < leaseIds.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = leaseIds.slice(i, i + 100).map((leaseId) => ({ leaseId }));
        // DynamoDB may leave keys unprocessed under load: ask again for those, with a short backoff.
        for (let attempt = 0; keys?.length; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
          // Keys left unprocessed this long are sustained throttling: retryable, like any other.
          if (attempt >= 8) throw new DependencyError('dynamodb', true, { cause: new Error('BatchGetItem left keys unprocessed after 8 attempts') });
          let out;
          try {
            out = await ddb.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
          } catch (error) {
            throw toDependencyError('dynamodb', error);
          }
          for (const item of out.Responses?.[tableName] ?? []) found.set(item.leaseId as string, fromItem(item as LeaseItem));
          keys = out.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined;
        }
      }
      return found;
    },

    async transition(leaseId, expected, changes, remove = []) {
      const { set, removed } = itemChanges(leaseId, changes, remove, dueShards);
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = { ':expectedStatus': expected.status };
      const update = updateExpression(set, removed, names, values);
      const condition = transitionCondition(expected, names, values);
      try {
        const out = await ddb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { leaseId },
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            // The record as written, at no extra capacity: callers (and the local event outbox) use it.
            ReturnValues: 'ALL_NEW',
          }),
        );
        return fromItem(out.Attributes as LeaseItem);
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw toDependencyError('dynamodb', error);
      }
    },

    async *dueLeases(shard, now) {
      let startKey: Record<string, unknown> | undefined;
      do {
        let page;
        try {
          page = await ddb.send(
            new QueryCommand({
              ...dueBy(shard, now),
              // Pages small enough that a run checks its deadline often (and DeleteObjects takes one whole).
              Limit: DUE_PAGE_SIZE,
              ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            }),
          );
        } catch (error) {
          throw toDependencyError('dynamodb', error);
        }
        if (page.Items?.length) yield page.Items.map(dueLeaseOf);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    },

    async oldestDueAt(now) {
      const oldest = await Promise.all(
        Array.from({ length: dueShards }, async (_, shard) => {
          try {
            const out = await ddb.send(new QueryCommand({ ...dueBy(shard, now), Limit: 1 }));
            return out.Items?.[0]?.dueAt as number | undefined;
          } catch (error) {
            throw toDependencyError('dynamodb', error);
          }
        }),
      );
      const due = oldest.filter((d): d is number => d !== undefined);
      return due.length ? Math.min(...due) : undefined;
    },
  };
}
