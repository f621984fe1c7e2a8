import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDependencyError, isConditionFailure } from './dependency-errors.js';
import { RateLimitedError } from '../errors.js';
import { log } from '../log.js';
import { noRateLimit, type RateLimiter } from '../lease/ports.js';


/**
 * A fixed one-second window per key, counted in the lease table itself (one conditional update per
 * call), so the limit holds across every concurrent Lambda instance. Counter items are never read as
 * leases (their ids cannot match the lease id pattern) and DynamoDB TTL removes them.
 */
export function createDynamoRateLimiter(ddb: DynamoDBDocumentClient, tableName: string, perSecond: number): RateLimiter {
  if (perSecond <= 0) return noRateLimit;
  return {
    async take(key, nowMs) {
      const second = Math.floor(nowMs / 1000);
      try {
        await ddb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { leaseId: `rate#${key}#${second}` },
            UpdateExpression: 'SET #calls = if_not_exists(#calls, :zero) + :one, expiresAt = :ttl',
            ConditionExpression: 'attribute_not_exists(#calls) OR #calls < :limit',
            ExpressionAttributeNames: { '#calls': 'calls' },
            ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': perSecond, ':ttl': second + 60 },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) throw new RateLimitedError(1);
        const dependency = toDependencyError('dynamodb', error);
        // A flood hot enough to throttle the counter is itself a reason to slow the caller down.
        if (dependency.throttled) throw new RateLimitedError(1);
        // Otherwise the limiter fails open: the lease write that follows reports real outages.
        log.warn('rate limiter unavailable; call allowed', { key }, error);
      }
    },
  };
}
