import { beforeEach, describe, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DependencyError } from '../../../shared/errors.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import { createLeaseStore, isConditionFailure } from '../../../shared/lease/store.js';
import { createTableInput, DUE_INDEX, LEASE_TABLE } from '../../../shared/lease/table.js';

/**
 * The DynamoDB store's requests, as sent. That they do what they say against a real engine is
 * test/integration/store-contract.test.ts (dynalite); here a change to an expression shows at once.
 */
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }));
const mock = mockClient(ddb);
const store = createLeaseStore(ddb, 'leases');

const record: LeaseRecord = {
  leaseId: 'a'.repeat(32),
  contract: 'azure-ml',
  scope: 's',
  objectKey: `tmp/${'a'.repeat(32)}/c`,
  status: 'PENDING',
  createdAt: 1,
  urlExpiresAt: 2,
  dueAt: 3,
  recordExpiresAt: 4000,
};

/** The same lease as the table holds it: shard key beside dueAt, TTL in seconds. */
const { recordExpiresAt: _r, ...rest } = record;
const item = { ...rest, dueShard: 'DUE#0', expiresAt: 4 };

const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
const throttled = () => Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
const broken = () => Object.assign(new Error('boom'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });

beforeEach(() => {
  mock.reset();
});

describe('putNew', () => {
  test('writes the whole record, as an item, only where none exists', async () => {
    mock.on(PutCommand).resolves({});
    expect(await store.putNew(record)).toBe(true);
    expect(mock.commandCalls(PutCommand)[0]!.args[0].input).toEqual({
      TableName: 'leases',
      Item: item,
      ConditionExpression: 'attribute_not_exists(leaseId)',
    });
  });

  test('an existing record is false; throttling a 503-type dependency error; anything else a plain one', async () => {
    mock.on(PutCommand).rejectsOnce(conditionFailed()).rejectsOnce(throttled()).rejectsOnce(broken());
    expect(await store.putNew(record)).toBe(false);
    await expect(store.putNew(record)).rejects.toMatchObject({ dependency: 'dynamodb', throttled: true });
    const error = await store.putNew(record).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: false });
  });
});

describe('get', () => {
  test('is a strongly consistent read by lease id', async () => {
    mock.on(GetCommand).resolves({ Item: item });
    expect(await store.get(record.leaseId)).toStrictEqual(record);
    expect(mock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: 'leases', Key: { leaseId: record.leaseId }, ConsistentRead: true });
  });

  test('absent is undefined; a failure a dependency error', async () => {
    mock.on(GetCommand).resolvesOnce({}).rejectsOnce(throttled());
    expect(await store.get('x')).toBeUndefined();
    await expect(store.get('x')).rejects.toMatchObject({ dependency: 'dynamodb', throttled: true });
  });
});

describe('transition', () => {
  test('sets the changes and removes the fields, conditional on status and an absent sequencer', async () => {
    mock.on(UpdateCommand).resolves({ Attributes: item });
    const written = await store.transition(record.leaseId, { status: 'PENDING', sequencer: null }, { status: 'UPLOADED', size: 5, eTag: undefined }, ['dueAt']);
    expect(written).toStrictEqual(record);
    expect(mock.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: 'leases',
      Key: { leaseId: record.leaseId },
      UpdateExpression: 'SET #status = :status, #size = :size REMOVE #dueAt, #dueShard',
      ConditionExpression: 'attribute_exists(leaseId) AND #status = :expectedStatus AND attribute_not_exists(#seqExpected)',
      ExpressionAttributeNames: { '#status': 'status', '#size': 'size', '#dueAt': 'dueAt', '#dueShard': 'dueShard', '#seqExpected': 'sequencer' },
      ExpressionAttributeValues: { ':expectedStatus': 'PENDING', ':status': 'UPLOADED', ':size': 5 },
      ReturnValues: 'ALL_NEW',
    });
  });

  test('conditional on a given sequencer and due time; no REMOVE clause when nothing is removed', async () => {
    mock.on(UpdateCommand).resolves({ Attributes: item });
    await store.transition(record.leaseId, { status: 'UPLOADED', sequencer: '0A', dueAt: 3 }, { status: 'EXPIRED' });
    expect(mock.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: 'leases',
      Key: { leaseId: record.leaseId },
      UpdateExpression: 'SET #status = :status',
      ConditionExpression: 'attribute_exists(leaseId) AND #status = :expectedStatus AND #seqExpected = :seqExpected AND #dueExpected = :dueExpected',
      ExpressionAttributeNames: { '#status': 'status', '#seqExpected': 'sequencer', '#dueExpected': 'dueAt' },
      ExpressionAttributeValues: { ':expectedStatus': 'UPLOADED', ':status': 'EXPIRED', ':seqExpected': '0A', ':dueExpected': 3 },
      ReturnValues: 'ALL_NEW',
    });
  });

  test("conditional on the consumer's id; removing the record expiry removes the TTL attribute", async () => {
    mock.on(UpdateCommand).resolves({ Attributes: item });
    await store.transition(record.leaseId, { status: 'CONSUMED', consumedById: 'file_1' }, { status: 'DELETED' }, ['recordExpiresAt']);
    const input = mock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toBe('SET #status = :status REMOVE #expiresAt');
    expect(input.ConditionExpression).toBe('attribute_exists(leaseId) AND #status = :expectedStatus AND #consumer.#consumerId = :consumerExpected');
    expect(input.ExpressionAttributeNames).toMatchObject({ '#consumer': 'consumedBy', '#consumerId': 'id', '#expiresAt': 'expiresAt' });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':consumerExpected': 'file_1' });
  });

  test('only REMOVE when nothing is set; without a sequencer condition when none is given', async () => {
    mock.on(UpdateCommand).resolves({ Attributes: item });
    await store.transition(record.leaseId, { status: 'PENDING' }, {}, ['size']);
    const input = mock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toBe('REMOVE #size');
    expect(input.ConditionExpression).toBe('attribute_exists(leaseId) AND #status = :expectedStatus');
    expect(input.ExpressionAttributeNames).toEqual({ '#status': 'status', '#size': 'size' });
    expect(input.ExpressionAttributeValues).toEqual({ ':expectedStatus': 'PENDING' });
  });

  test('a failed condition is false; other failures are dependency errors', async () => {
    mock.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(broken());
    expect(await store.transition('x', { status: 'PENDING' }, { status: 'EXPIRED' })).toBeUndefined();
    await expect(store.transition('x', { status: 'PENDING' }, { status: 'EXPIRED' })).rejects.toMatchObject({ dependency: 'dynamodb', throttled: false });
  });
});

describe('the item mapping', () => {
  test('a lease out of the due index has no shard key; the TTL is whole seconds', async () => {
    mock.on(PutCommand).resolves({});
    const { dueAt: _d, ...notDue } = record;
    await store.putNew({ ...notDue, recordExpiresAt: 1_800_000_000_000 });
    const written = mock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(written).not.toHaveProperty('dueShard');
    expect(written).not.toHaveProperty('recordExpiresAt');
    expect(written.expiresAt).toBe(1_800_000_000);
  });

  test('a record without an expiry (a consumed lease) has no TTL attribute, and reads back without one', async () => {
    mock.on(PutCommand).resolves({});
    const { recordExpiresAt: _r, ...permanent } = record;
    await store.putNew(permanent);
    const written = mock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(written).not.toHaveProperty('expiresAt');
    mock.on(GetCommand).resolves({ Item: written });
    expect(await store.get(record.leaseId)).toStrictEqual(permanent);
  });

  test('a transition that sets a due time sets the shard key and the TTL in seconds', async () => {
    mock.on(UpdateCommand).resolves({ Attributes: item });
    await store.transition(record.leaseId, { status: 'PENDING' }, { dueAt: 9, recordExpiresAt: 7000 });
    const input = mock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toBe('SET #dueAt = :dueAt, #expiresAt = :expiresAt, #dueShard = :dueShard');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':dueAt': 9, ':expiresAt': 7, ':dueShard': 'DUE#0' });
  });
});

describe('dueLeases', () => {
  test('queries one shard of the due index up to now, page by page, returning the projected entries', async () => {
    mock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: { ':shard': string }; ExclusiveStartKey?: unknown }) => {
      const shard = input.ExpressionAttributeValues[':shard'];
      if (shard === 'DUE#0' && !input.ExclusiveStartKey) return { Items: [{ leaseId: 'one', dueShard: 'DUE#0', dueAt: 1, status: 'UPLOADED', objectKey: 'tmp/1/a' }], LastEvaluatedKey: { leaseId: 'one' } };
      if (shard === 'DUE#0') return { Items: [{ leaseId: 'two', dueShard: 'DUE#0', dueAt: 2, status: 'PENDING', objectKey: 'tmp/2/a' }] };
      return {};
    });
    const pages = [];
    for await (const page of store.dueLeases(0, 1234)) pages.push(page);
    expect(pages).toEqual([[{ leaseId: 'one', dueAt: 1, status: 'UPLOADED', objectKey: 'tmp/1/a' }], [{ leaseId: 'two', dueAt: 2, status: 'PENDING', objectKey: 'tmp/2/a' }]]);
    const inputs = mock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.ExpressionAttributeValues![':shard'])).toEqual(['DUE#0', 'DUE#0']);
    expect(inputs[0]).toEqual({
      TableName: 'leases',
      IndexName: 'byDue',
      KeyConditionExpression: '#shard = :shard AND #due <= :now',
      ExpressionAttributeNames: { '#shard': 'dueShard', '#due': 'dueAt' },
      ExpressionAttributeValues: { ':shard': 'DUE#0', ':now': 1234 },
      Limit: 1000,
    });
    expect(inputs[1]!.ExclusiveStartKey).toEqual({ leaseId: 'one' });
  });

  test('oldestDueAt: the first entry of every shard, the oldest of them', async () => {
    mock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: { ':shard': string }; Limit?: number }) => {
      expect(input.Limit).toBe(1);
      return input.ExpressionAttributeValues[':shard'] === 'DUE#2' ? { Items: [{ dueAt: 7 }] } : input.ExpressionAttributeValues[':shard'] === 'DUE#3' ? { Items: [{ dueAt: 5 }] } : {};
    });
    expect(await store.oldestDueAt(10)).toBe(5);
    mock.reset();
    mock.on(QueryCommand).resolves({});
    expect(await store.oldestDueAt(10)).toBeUndefined();
  });

  test('a store of 8 shards writes entries into all 8 and looks for the oldest in all 8', async () => {
    const wide = createLeaseStore(ddb, 'leases', 8);
    expect(wide.dueShards).toBe(8);
    mock.on(PutCommand).resolves({});
    for (let i = 0; i < 200; i++) await wide.putNew({ ...record, leaseId: i.toString(16).padStart(32, '0') });
    const shards = new Set(mock.commandCalls(PutCommand).map((c) => (c.args[0].input.Item as { dueShard: string }).dueShard));
    expect([...shards].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `DUE#${i}`));
    mock.on(QueryCommand).resolves({});
    await wide.oldestDueAt(10);
    expect(new Set(mock.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues![':shard'])).size).toBe(8);
  });

  test('a failed query is a dependency error', async () => {
    mock.on(QueryCommand).rejects(throttled());
    const iterate = async () => {
      for await (const _ of store.dueLeases(0, 1)) void _;
    };
    await expect(iterate()).rejects.toMatchObject({ dependency: 'dynamodb', throttled: true });
  });
});

describe('the table shape', () => {
  test('isConditionFailure recognises only a failed condition', () => {
    expect(isConditionFailure(conditionFailed())).toBe(true);
    expect(isConditionFailure(broken())).toBe(false);
    expect(isConditionFailure(undefined)).toBe(false);
  });

  test('emulators create the table the stack declares: lease id key, sparse due index with keys only', () => {
    expect(createTableInput('t')).toEqual({
      TableName: 't',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'leaseId', AttributeType: 'S' },
        { AttributeName: 'dueShard', AttributeType: 'S' },
        { AttributeName: 'dueAt', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'leaseId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byDue',
          KeySchema: [
            { AttributeName: 'dueShard', KeyType: 'HASH' },
            { AttributeName: 'dueAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'sequencer', 'objectKey', 'storedKey', 'eTag'] },
        },
      ],
    });
    expect(LEASE_TABLE).toMatchObject({ partitionKey: 'leaseId', ttlAttribute: 'expiresAt' });
    expect(DUE_INDEX.defaultShards).toBe(4);
    expect(Object.isFrozen(LEASE_TABLE) && Object.isFrozen(LEASE_TABLE.dueIndex)).toBe(true);
  });
});
