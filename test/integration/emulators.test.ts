import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3EventRecord } from 'aws-lambda';
import { LOCAL_CREDENTIALS, startEmulators, type Emulators } from '../../local/emulators.js';
import { LEASE_TABLE } from '../../shared/adapters/lease-table.js';

const REGION = 'eu-west-1';
const BUCKET = 'local-uploads';
const TABLE = 'local-leases';

const md5Hex = (body: Uint8Array | string): string => createHash('md5').update(body).digest('hex');
const decodeEventKey = (k: string): string => decodeURIComponent(k.replace(/\+/g, ' '));

function s3Client(endpoint: string, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({ endpoint, forcePathStyle: true, region: REGION, credentials: LOCAL_CREDENTIALS, ...extra });
}

function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'emulators-test-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('startEmulators', () => {
  let emulators: Emulators;
  let s3: S3Client;
  const records: S3EventRecord[] = [];
  const consoleErrors: unknown[][] = [];
  const originalConsoleError = console.error;

  const recordFor = (key: string) => records.find((r) => decodeEventKey(r.s3.object.key) === key);

  beforeAll(async () => {
    console.error = (...args: unknown[]) => void consoleErrors.push(args);
    emulators = await startEmulators({
      dataDir: await tempDir(),
      bucket: BUCKET,
      table: TABLE,
      region: REGION,
      onObjectCreated: async (event) => {
        expect(event.Records).toHaveLength(1);
        const record = event.Records[0]!;
        if (decodeEventKey(record.s3.object.key).includes('explode')) throw new Error('handler exploded');
        await new Promise((r) => setTimeout(r, 1)); // an async handler; order must still hold
        records.push(record);
      },
    });
    s3 = s3Client(emulators.s3Endpoint);
  });

  afterAll(async () => {
    s3?.destroy();
    await emulators?.close();
    console.error = originalConsoleError;
  });

  it('serves both endpoints on loopback', () => {
    expect(emulators.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulators.dynamoEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulators.s3Endpoint).not.toBe(emulators.dynamoEndpoint);
  });

  it('turns SDK and presigned PUTs into S3 records: encoded key, size, eTag, rising sequencers', async () => {
    const sdkKey = 'leases/one/my file+1 (ü).bin';
    const sdkBody = Buffer.from('first upload \u0000\u00ff bytes');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: sdkKey, Body: sdkBody }));

    // Presigned as the app does it: no checksum parameters (real S3 would check an empty-body CRC32).
    const presigner = s3Client(emulators.s3Endpoint, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const urlKey = 'leases/two/other name+2.txt';
    const urlBody = 'uploaded through a presigned URL';
    const url = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: BUCKET, Key: urlKey }), {
      expiresIn: 60,
    });
    presigner.destroy();
    const response = await fetch(url, { method: 'PUT', body: urlBody });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(`"${md5Hex(urlBody)}"`);

    const [sdkRecord, urlRecord] = await waitFor(() => {
      const a = recordFor(sdkKey);
      const b = recordFor(urlKey);
      return a && b ? [a, b] : undefined;
    }, 'both records');

    expect(sdkRecord.s3.object.key).toBe('leases/one/my+file%2B1+%28%C3%BC%29.bin');
    expect(sdkRecord.s3.object.size).toBe(sdkBody.length);
    expect(sdkRecord.s3.object.eTag).toBe(md5Hex(sdkBody));
    expect(urlRecord.s3.object.key).toBe('leases/two/other+name%2B2.txt');
    expect(urlRecord.s3.object.size).toBe(Buffer.byteLength(urlBody));
    expect(urlRecord.s3.object.eTag).toBe(md5Hex(urlBody));
    for (const record of [sdkRecord, urlRecord]) {
      expect(record).toMatchObject({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventName: 'ObjectCreated:Put',
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        s3: { bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` } },
      });
      expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    }
    expect(urlRecord.s3.object.sequencer > sdkRecord.s3.object.sequencer).toBe(true);

    // What the handler would fetch with the decoded key is what was uploaded.
    const sdkKeyFromRecord = decodeEventKey(sdkRecord.s3.object.key);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: sdkKeyFromRecord }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(sdkBody);
  });

  it('delivers a burst of uploads in order, with strictly increasing sequencers', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `burst/${i} item.txt`);
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    // Every upload whose response arrived is covered by eventsSettled() (the handler takes >= 1 ms each).
    await emulators.eventsSettled();
    const burst = records.filter((r) => r.s3.object.key.startsWith('burst/'));
    expect(burst.map((r) => decodeEventKey(r.s3.object.key))).toEqual(keys);
    const sequencers = burst.map((r) => r.s3.object.sequencer);
    expect(new Set(sequencers).size).toBe(sequencers.length);
    expect([...sequencers].sort()).toEqual(sequencers);
  });

  it('logs a failing handler and keeps delivering later events', async () => {
    const errorsBefore = consoleErrors.length;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'explode/now.txt', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after/explosion.txt', Body: 'y' }));
    await emulators.eventsSettled();
    expect(recordFor('after/explosion.txt')).toBeDefined();
    expect(recordFor('explode/now.txt')).toBeUndefined();
    const logged = consoleErrors.slice(errorsBefore);
    expect(logged).toHaveLength(1);
    expect(String(logged[0]![1])).toContain('handler exploded');
  });

  it('stores SDK streaming uploads (aws-chunked with a trailing checksum) byte for byte', async () => {
    const body = Buffer.from('streamed '.repeat(5000));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'stream/chunked.bin',
        Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]),
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
      }),
    );
    const record = await waitFor(() => recordFor('stream/chunked.bin'), 'the streamed record');
    expect(record.s3.object.size).toBe(body.length);
    expect(record.s3.object.eTag).toBe(md5Hex(body));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'stream/chunked.bin' }));
    expect(got.ContentEncoding).toBeUndefined();
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
  });

  it('reports copies with the eTag s3rver leaves out', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy/source.txt', Body: 'copy me' }));
    await s3.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/target file.txt', CopySource: `${BUCKET}/copy/source.txt` }),
    );
    const record = await waitFor(() => recordFor('copy/target file.txt'), 'the copy record');
    expect(record.eventName).toBe('ObjectCreated:Copy');
    expect(record.s3.object.eTag).toBe(md5Hex('copy me'));
    expect(record.s3.object.size).toBe(7);
  });

  it('pages a listing with continuation tokens (s3rver made them with DES, which Node 17+ refuses: a 500)', async () => {
    const keys = ['page/a', 'page/b', 'page/c', 'page/d', 'page/e'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'page/', MaxKeys: 2, ContinuationToken: token }));
      pages++;
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated) expect(token).toEqual(expect.any(String));
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  it('answers a continuation token it did not make with 400 InvalidArgument, as S3 does', async () => {
    for (const ContinuationToken of ['bm90IGEgdG9rZW4gd2UgbWFkZSwgbm90IGF0IGFsbCEhIQ==', 'c2hvcnQ=']) {
      const refused = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken })).then(
        () => undefined,
        (e: unknown) => e as { name: string; $metadata: { httpStatusCode?: number } },
      );
      expect(refused?.name).toBe('InvalidArgument');
      expect(refused?.$metadata.httpStatusCode).toBe(400);
    }
  });

  it('creates the lease table with its GSI', async () => {
    const ddb = dynamoClient(emulators.dynamoEndpoint);
    try {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([{ AttributeName: LEASE_TABLE.partitionKey, KeyType: 'HASH' }]);
      expect(Table?.GlobalSecondaryIndexes).toHaveLength(1);
      expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
        IndexName: LEASE_TABLE.dueIndex.name,
        KeySchema: [
          { AttributeName: LEASE_TABLE.dueIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: LEASE_TABLE.dueIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'sequencer', 'objectKey', 'storedKey', 'eTag'] },
      });
    } finally {
      ddb.destroy();
    }
  });

  it('rejects, instead of crashing, when a port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(
        startEmulators({ dataDir: await tempDir(), s3Port: port, bucket: BUCKET, table: TABLE, region: REGION }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

describe('restart on the same data directory', () => {
  it('keeps objects and items, waits for in-flight deliveries on close, and closes idempotently', async () => {
    const dataDir = await tempDir();
    let handled = 0;
    const first = await startEmulators({
      dataDir,
      bucket: BUCKET,
      table: TABLE,
      region: REGION,
      onObjectCreated: async () => {
        await new Promise((r) => setTimeout(r, 150));
        handled++;
      },
    });
    const s3a = s3Client(first.s3Endpoint);
    const ddbA = dynamoClient(first.dynamoEndpoint);
    await s3a.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept/object.txt', Body: 'still here' }));
    const item = { leaseId: { S: 'lease-1' }, state: { S: 'PENDING' } };
    await ddbA.send(new PutItemCommand({ TableName: TABLE, Item: item }));
    s3a.destroy();
    ddbA.destroy();
    // A second instance on a directory in use fails cleanly (dynalite alone would crash the process).
    await expect(startEmulators({ dataDir, bucket: BUCKET, table: TABLE, region: REGION })).rejects.toThrow(
      /in use by another process/,
    );
    await first.close(); // the slow handler is still running when close() starts
    expect(handled).toBe(1);
    await first.close();

    const seconds: S3EventRecord[] = [];
    const second = await startEmulators({
      dataDir,
      bucket: BUCKET,
      table: TABLE,
      region: REGION,
      onObjectCreated: (event) => void seconds.push(...event.Records),
    });
    const s3b = s3Client(second.s3Endpoint);
    const ddbB = dynamoClient(second.dynamoEndpoint);
    try {
      const got = await s3b.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept/object.txt' }));
      expect(await got.Body!.transformToString()).toBe('still here');
      const { Item } = await ddbB.send(new GetItemCommand({ TableName: TABLE, Key: { leaseId: { S: 'lease-1' } } }));
      expect(Item).toEqual(item);
      await s3b.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after/restart.txt', Body: 'new' }));
      await waitFor(() => (seconds.length ? true : undefined), 'the record after restart');
      expect(decodeEventKey(seconds[0]!.s3.object.key)).toBe('after/restart.txt');
    } finally {
      s3b.destroy();
      ddbB.destroy();
      await Promise.all([second.close(), second.close()]);
      await second.close();
    }
  });
});
