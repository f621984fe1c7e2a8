import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDependencyError, isConditionFailure } from '../adapters/dependency-errors.js';

/** Remembers signature nonces long enough that a replay within the accepted clock window is caught. */
export interface NonceStore {
  /** False when the nonce was used before (by this key). */
  use(accessKeyId: string, nonce: string, nowMs: number): Promise<boolean>;
}

/** A signed request is accepted for 15 minutes either side of its x-acs-date; a nonce must outlive that. */
export const NONCE_LIFETIME_SECONDS = 31 * 60;

/**
 * One conditional put per request in the lease table (`nonce#<key>#<nonce>`, with the table's TTL), so a
 * nonce is single-use across every Lambda instance. Nonce items carry no contract: nothing reads them
 * as leases.
 */
export function createDynamoNonceStore(ddb: DynamoDBDocumentClient, tableName: string): NonceStore {
  return {
    async use(accessKeyId, nonce, nowMs) {
      try {
        await ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: { leaseId: `nonce#${accessKeyId}#${nonce}`, expiresAt: Math.ceil(nowMs / 1000) + NONCE_LIFETIME_SECONDS },
            ConditionExpression: 'attribute_not_exists(leaseId)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw toDependencyError('dynamodb', error);
      }
    },
  };
}
