import { GetCommand, PutCommand, DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDependencyError, isConditionFailure } from './dependency-errors.js';
import type { NameClaims } from '../lease/ports.js';


/** Items of the lease table under `name#...`: they carry no contract, so nothing reads them as leases. */
export function createNameClaims(ddb: DynamoDBDocumentClient, tableName: string): NameClaims {
  const key = (name: string) => ({ leaseId: `name#${name}` });
  return {
    async get(name) {
      try {
        const out = await ddb.send(new GetCommand({ TableName: tableName, Key: key(name), ConsistentRead: true }));
        return out.Item ? { owner: out.Item.owner as string, claimedAt: out.Item.claimedAt as number } : undefined;
      } catch (error) {
        throw toDependencyError('dynamodb', error);
      }
    },
    async claim(name, owner, now, replacing) {
      try {
        await ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...key(name), owner, claimedAt: now },
            ...(replacing
              ? {
                  ConditionExpression: '#owner = :owner AND claimedAt = :claimedAt',
                  ExpressionAttributeNames: { '#owner': 'owner' },
                  ExpressionAttributeValues: { ':owner': replacing.owner, ':claimedAt': replacing.claimedAt },
                }
              : { ConditionExpression: 'attribute_not_exists(leaseId)' }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw toDependencyError('dynamodb', error);
      }
    },
    async release(name, owner) {
      try {
        await ddb.send(
          new DeleteCommand({
            TableName: tableName,
            Key: key(name),
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) return;
        throw toDependencyError('dynamodb', error);
      }
    },
  };
}
