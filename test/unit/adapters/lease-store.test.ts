import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { broken, conditionFailed, mockedDocumentClient, throttled } from '../../support/dynamodb-mock.js';
import { DependencyError } from '../../../shared/errors.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import { createLeaseStore } from '../../../shared/adapters/lease-store.js';
import { isConditionFailure } from '../../../shared/adapters/dependency-errors.js';
import { createTableInput, LEASE_TABLE } from '../../../shared/adapters/lease-table.js';
import { DUE_SHARD_LIMITS } from '../../../shared/config.js';

/**
 * The DynamoDB store's requests, as sent. That they do what they say against a real engine is
 * test/integration/store-contract.test.ts (dynalite); here a change to an expression shows at once.
 */
const { ddb, mock } = mockedDocumentClient();
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

describe('getMany', () => {
  const idOf = (i: number) => i.toString(16).padStart(32, '0');
  const itemOf = (leaseId: string) => ({ ...item, leaseId, objectKey: `tmp/${leaseId}/c` });
  const recordOf = (leaseId: string) => ({ ...record, leaseId, objectKey: `tmp/${leaseId}/c` });
  /** Answers every BatchGetItem with the items of the keys it asked for, as the table holds them. */
  const answerAll = () =>
    mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { leaseId: string }[] }> }) => ({
      Responses: { leases: input.RequestItems.leases!.Keys.map((k) => itemOf(k.leaseId)) },
    }));
  const batchInputs = () => mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input);

  afterEach(() => {
    jest.useRealTimers();
  });

  test('strongly consistent BatchGetItem by lease id; absent ids are missing from the map', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { leases: [itemOf(idOf(1))] } });
    const found = await store.getMany([idOf(1), idOf(2)]);
    expect([...found]).toStrictEqual([[idOf(1), recordOf(idOf(1))]]);
    expect(batchInputs()).toEqual([{ RequestItems: { leases: { Keys: [{ leaseId: idOf(1) }, { leaseId: idOf(2) }], ConsistentRead: true } } }]);
  });

  test('a lease named twice is asked once (BatchGetItem refuses duplicate keys; the due index can list a lease twice)', async () => {
    answerAll();
    const ids = Array.from({ length: 100 }, (_, i) => idOf(i));
    const found = await store.getMany([...ids, idOf(7), idOf(99)]);
    expect(batchInputs().map((i) => i.RequestItems!.leases!.Keys)).toEqual([ids.map((leaseId) => ({ leaseId }))]);
    expect(found.size).toBe(100);
  });

  test('no ids, no request', async () => {
    expect((await store.getMany([])).size).toBe(0);
    expect(batchInputs()).toHaveLength(0);
  });

  test('asks 100 keys a call, in order, and merges the answers', async () => {
    answerAll();
    const ids = Array.from({ length: 250 }, (_, i) => idOf(i));
    const found = await store.getMany(ids);
    expect(batchInputs().map((i) => i.RequestItems!.leases!.Keys)).toEqual([
      ids.slice(0, 100).map((leaseId) => ({ leaseId })),
      ids.slice(100, 200).map((leaseId) => ({ leaseId })),
      ids.slice(200).map((leaseId) => ({ leaseId })),
    ]);
    expect(found.size).toBe(250);
    expect(found.get(idOf(249))).toStrictEqual(recordOf(idOf(249)));
  });

  test('an answer without Responses (everything unprocessed or absent) finds nothing', async () => {
    mock.on(BatchGetCommand).resolves({});
    expect((await store.getMany([idOf(1)])).size).toBe(0);
  });

  test('unprocessed keys are asked again, alone, after a backoff that doubles from 50 ms', async () => {
    jest.useFakeTimers();
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { leases: [itemOf(idOf(1))] }, UnprocessedKeys: { leases: { Keys: [{ leaseId: idOf(2) }] } } })
      .resolvesOnce({ UnprocessedKeys: { leases: { Keys: [{ leaseId: idOf(2) }] } } })
      .resolvesOnce({ Responses: { leases: [itemOf(idOf(2))] } });
    const result = store.getMany([idOf(1), idOf(2)]);
    // The first request goes out at once.
    await jest.advanceTimersByTimeAsync(0);
    expect(batchInputs()).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(49);
    expect(batchInputs()).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(batchInputs()).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(99);
    expect(batchInputs()).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(batchInputs()).toHaveLength(3);
    const found = await result;
    expect([...found.keys()].sort()).toEqual([idOf(1), idOf(2)]);
    expect(batchInputs()[1]).toEqual({ RequestItems: { leases: { Keys: [{ leaseId: idOf(2) }], ConsistentRead: true } } });
    expect(batchInputs()[2]).toEqual(batchInputs()[1]);
  });

  test('keys still unprocessed after 8 attempts are a throttled dependency error (retryable); the backoff is capped at a second', async () => {
    jest.useFakeTimers();
    mock.on(BatchGetCommand).resolves({ UnprocessedKeys: { leases: { Keys: [{ leaseId: idOf(1) }] } } });
    let settled: unknown;
    const result = store.getMany([idOf(1)]).then(
      () => (settled = 'resolved'),
      (error: unknown) => (settled = error),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(batchInputs()).toHaveLength(1);
    // Waits before attempts 1..7, then before giving up.
    const waits = [50, 100, 200, 400, 800, 1000, 1000, 1000];
    for (const [n, wait] of waits.entries()) {
      await jest.advanceTimersByTimeAsync(wait - 1);
      expect(batchInputs()).toHaveLength(n + 1);
      expect(settled).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
    }
    await result;
    expect(batchInputs()).toHaveLength(8);
    expect(settled).toBeInstanceOf(DependencyError);
    expect(settled).toMatchObject({ dependency: 'dynamodb', throttled: true });
    expect(((settled as Error).cause as Error).message).toBe('BatchGetItem left keys unprocessed after 8 attempts');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(batchInputs()).toHaveLength(8);
  });

  test('a failed call is a dependency error', async () => {
    mock.on(BatchGetCommand).rejectsOnce(throttled()).rejectsOnce(broken());
    await expect(store.getMany([idOf(1)])).rejects.toMatchObject({ dependency: 'dynamodb', throttled: true });
    const error = await store.getMany([idOf(1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: false });
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

  test('an upload of a lease that declared no size nor type: the size within the limit, the md5 if declared, no content type', async () => {
    mock.on(UpdateCommand).resolves({ Attributes: item });
    await store.transition(
      record.leaseId,
      { status: 'PENDING', sequencer: null, upload: { objectKey: 'tmp/k', urlExpiresAtFrom: 10, size: 5, md5: 'ab', withinLimit: true, revivedBy: 11 } },
      { status: 'UPLOADED' },
    );
    const input = mock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe(
      'attribute_exists(leaseId) AND #status = :expectedStatus AND attribute_not_exists(#seqExpected)' +
        ' AND #up_objectKey = :up_objectKey AND #up_urlExpiresAt >= :up_urlExpiresAt AND (attribute_not_exists(#up_revivedAt) OR #up_revivedAt <= :up_revivedAt)' +
        ' AND (attribute_not_exists(#up_declaredSize) OR #up_declaredSize = :up_declaredSize)' +
        ' AND (attribute_not_exists(#up_declaredMd5) OR #up_declaredMd5 = :up_declaredMd5) AND attribute_not_exists(#up_contentType)',
    );
    expect(input.ExpressionAttributeNames).toEqual({
      '#status': 'status',
      '#seqExpected': 'sequencer',
      '#up_objectKey': 'objectKey',
      '#up_urlExpiresAt': 'urlExpiresAt',
      '#up_declaredSize': 'declaredSize',
      '#up_declaredMd5': 'declaredMd5',
      '#up_contentType': 'contentType',
      '#up_revivedAt': 'revivedAt',
    });
    expect(input.ExpressionAttributeValues).toStrictEqual({ ':expectedStatus': 'PENDING', ':status': 'UPLOADED', ':up_objectKey': 'tmp/k', ':up_urlExpiresAt': 10, ':up_declaredSize': 5, ':up_declaredMd5': 'ab', ':up_revivedAt': 11 });
  });

  test('an upload over the limit must match a declared size; a content type must match the declared one', async () => {
    mock.on(UpdateCommand).resolves({ Attributes: item });
    await store.transition(
      record.leaseId,
      { status: 'PENDING', upload: { objectKey: 'tmp/k', urlExpiresAtFrom: 10, size: 5, md5: 'ab', withinLimit: false, contentType: 'text/plain', revivedBy: 12 }, consumedById: 'c' },
      { status: 'UPLOADED' },
    );
    const input = mock.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe(
      'attribute_exists(leaseId) AND #status = :expectedStatus' +
        ' AND #up_objectKey = :up_objectKey AND #up_urlExpiresAt >= :up_urlExpiresAt AND (attribute_not_exists(#up_revivedAt) OR #up_revivedAt <= :up_revivedAt) AND #up_declaredSize = :up_declaredSize' +
        ' AND (attribute_not_exists(#up_declaredMd5) OR #up_declaredMd5 = :up_declaredMd5) AND #up_contentType = :up_contentType' +
        ' AND #consumer.#consumerId = :consumerExpected',
    );
    expect(input.ExpressionAttributeValues).toStrictEqual({
      ':expectedStatus': 'PENDING',
      ':status': 'UPLOADED',
      ':up_objectKey': 'tmp/k',
      ':up_urlExpiresAt': 10,
      ':up_declaredSize': 5,
      ':up_declaredMd5': 'ab',
      ':up_contentType': 'text/plain',
      ':up_revivedAt': 12,
      ':consumerExpected': 'c',
    });
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

  test('pages without entries yield nothing, and paging goes on past them', async () => {
    mock
      .on(QueryCommand)
      .resolvesOnce({ Items: [], LastEvaluatedKey: { leaseId: 'a' } })
      .resolvesOnce({ LastEvaluatedKey: { leaseId: 'b' } })
      .resolvesOnce({ Items: [{ leaseId: 'three', dueShard: 'DUE#1', dueAt: 3, status: 'PENDING', objectKey: 'tmp/3/a' }] });
    const pages = [];
    for await (const page of store.dueLeases(1, 10)) pages.push(page);
    expect(pages).toEqual([[{ leaseId: 'three', dueAt: 3, status: 'PENDING', objectKey: 'tmp/3/a' }]]);
    expect(mock.commandCalls(QueryCommand).map((c) => c.args[0].input.ExclusiveStartKey)).toEqual([undefined, { leaseId: 'a' }, { leaseId: 'b' }]);
  });

  test('oldestDueAt asks each shard of the due index for its one oldest entry up to now', async () => {
    mock.on(QueryCommand).resolves({});
    await store.oldestDueAt(10);
    const inputs = mock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual(
      Array.from({ length: 4 }, (_, shard) => ({
        TableName: 'leases',
        IndexName: 'byDue',
        KeyConditionExpression: '#shard = :shard AND #due <= :now',
        ExpressionAttributeNames: { '#shard': 'dueShard', '#due': 'dueAt' },
        ExpressionAttributeValues: { ':shard': `DUE#${shard}`, ':now': 10 },
        Limit: 1,
      })),
    );
  });

  test('oldestDueAt: a failed query of any shard is a dependency error', async () => {
    mock.on(QueryCommand).resolves({}).on(QueryCommand, { ExpressionAttributeValues: { ':shard': 'DUE#2', ':now': 10 } }).rejects(throttled());
    await expect(store.oldestDueAt(10)).rejects.toMatchObject({ dependency: 'dynamodb', throttled: true });
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
    expect(DUE_SHARD_LIMITS.min).toBe(4);
    expect(Object.isFrozen(LEASE_TABLE) && Object.isFrozen(LEASE_TABLE.dueIndex)).toBe(true);
  });
});
