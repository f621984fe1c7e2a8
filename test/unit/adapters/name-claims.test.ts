import { beforeEach, describe, expect, test } from '@jest/globals';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { broken, conditionFailed, mockedDocumentClient, throttled } from '../../support/dynamodb-mock.js';
import { DependencyError } from '../../../shared/errors.js';
import { createNameClaims } from '../../../shared/adapters/name-claims.js';

/**
 * The name claims' requests, as sent (the same pattern as store.test.ts): items of the lease table
 * under `name#...`, every write conditional on who holds the name.
 */
const { ddb, mock } = mockedDocumentClient();
const claims = createNameClaims(ddb, 'leases');


beforeEach(() => {
  mock.reset();
});

describe('get', () => {
  test('is a strongly consistent read of the name item; the holder and since when', async () => {
    mock.on(GetCommand).resolves({ Item: { leaseId: 'name#v1', owner: 'lease-a', claimedAt: 7 } });
    expect(await claims.get('v1')).toStrictEqual({ owner: 'lease-a', claimedAt: 7 });
    expect(mock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: 'leases', Key: { leaseId: 'name#v1' }, ConsistentRead: true });
  });

  test('an unclaimed name is undefined; a failure a dependency error', async () => {
    mock.on(GetCommand).resolvesOnce({}).rejectsOnce(throttled());
    expect(await claims.get('v1')).toBeUndefined();
    const error = await claims.get('v1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: true });
  });
});

describe('claim', () => {
  test('a fresh claim writes the holder and the time, only where nobody holds the name', async () => {
    mock.on(PutCommand).resolves({});
    expect(await claims.claim('v1', 'lease-a', 7)).toBe(true);
    expect(mock.commandCalls(PutCommand)[0]!.args[0].input).toStrictEqual({
      TableName: 'leases',
      Item: { leaseId: 'name#v1', owner: 'lease-a', claimedAt: 7 },
      ConditionExpression: 'attribute_not_exists(leaseId)',
    });
  });

  test('taking over a claim is conditional on that very claim still being there', async () => {
    mock.on(PutCommand).resolves({});
    expect(await claims.claim('v1', 'lease-b', 9, { owner: 'lease-a', claimedAt: 7 })).toBe(true);
    expect(mock.commandCalls(PutCommand)[0]!.args[0].input).toStrictEqual({
      TableName: 'leases',
      Item: { leaseId: 'name#v1', owner: 'lease-b', claimedAt: 9 },
      ConditionExpression: '#owner = :owner AND claimedAt = :claimedAt',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': 'lease-a', ':claimedAt': 7 },
    });
  });

  test('a name held by someone else is false; other failures are dependency errors', async () => {
    mock.on(PutCommand).rejectsOnce(conditionFailed()).rejectsOnce(broken());
    expect(await claims.claim('v1', 'lease-a', 7)).toBe(false);
    const error = await claims.claim('v1', 'lease-a', 7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: false });
  });
});

describe('release', () => {
  test('deletes the name item only while the owner holds it', async () => {
    mock.on(DeleteCommand).resolves({});
    await expect(claims.release('v1', 'lease-a')).resolves.toBeUndefined();
    expect(mock.commandCalls(DeleteCommand)[0]!.args[0].input).toStrictEqual({
      TableName: 'leases',
      Key: { leaseId: 'name#v1' },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': 'lease-a' },
    });
  });

  test('a name no longer held by the owner is left alone, quietly; other failures are dependency errors', async () => {
    mock.on(DeleteCommand).rejectsOnce(conditionFailed()).rejectsOnce(throttled());
    await expect(claims.release('v1', 'lease-a')).resolves.toBeUndefined();
    const error = await claims.release('v1', 'lease-a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: true });
  });
});
