/**
 * The lease table's stream, which dynalite lacks: a proxy in front of dynalite through which the
 * functions reach DynamoDB (AWS_ENDPOINT_URL_DYNAMODB). Writes to the table are serialized; around
 * each one the item is read before and after, and a change becomes a stream record
 * (NEW_AND_OLD_IMAGES) as DynamoDB Streams would emit it. Write APIs that touch several items
 * (TransactWriteItems, BatchWriteItem, PartiQL) are not emulated: the proxy reports them in `errors`
 * instead of producing a wrong stream. (local/lease-feed.ts feeds the local mode from its in-process
 * store's change callback; the bundles write to DynamoDB directly, so the stream is taken here.)
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

export interface StreamProxyOptions {
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly tableArn: string;
  readonly keyNames: readonly string[];
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly onRecord: (record: DynamoDBRecord) => void;
}

export interface StreamProxy {
  readonly url: string;
  readonly errors: string[];
  close(): Promise<void>;
}

type Item = Record<string, AttributeValue>;
const SINGLE_ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const MULTI_ITEM_WRITES = new Set(['TransactWriteItems', 'BatchWriteItem', 'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction']);

export async function startStreamProxy(options: StreamProxyOptions): Promise<StreamProxy> {
  const client = new DynamoDBClient({ endpoint: options.dynamoEndpoint, region: options.region, credentials: options.credentials });
  const target = new URL(options.dynamoEndpoint);
  const errors: string[] = [];
  let sequence = 100_000_000_000_000_000_000n;
  let writes: Promise<unknown> = Promise.resolve();

  const read = async (key: Item): Promise<Item | undefined> =>
    (await client.send(new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }))).Item;

  const forward = (method: string, path: string, headers: Record<string, any>, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, any>; body: Buffer }>((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  function emit(key: Item, before: Item | undefined, after: Item | undefined) {
    if (JSON.stringify(before) === JSON.stringify(after)) return;
    sequence += 1n;
    const eventName = !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY';
    options.onRecord({
      eventID: sequence.toString(16),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: options.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: key as any,
        ...(after ? { NewImage: after as any } : {}),
        ...(before ? { OldImage: before as any } : {}),
        SequenceNumber: sequence.toString(),
        SizeBytes: JSON.stringify(after ?? before).length,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: `${options.tableArn}/stream/template-run`,
    });
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const headers = { ...req.headers, host: target.host };
      try {
        let parsed: any = {};
        try {
          parsed = JSON.parse(body.toString() || '{}');
        } catch {
          /* dynalite answers a malformed body itself */
        }
        let answer;
        if (SINGLE_ITEM_WRITES.has(operation) && parsed.TableName === options.tableName) {
          const source: Item = operation === 'PutItem' ? parsed.Item : parsed.Key;
          const key = Object.fromEntries(options.keyNames.map((k) => [k, source?.[k]!])) as Item;
          const run = writes.then(async () => {
            const before = await read(key);
            const response = await forward(req.method!, req.url!, headers, body);
            if (response.status === 200) emit(key, before, await read(key));
            return response;
          });
          writes = run.catch(() => undefined);
          answer = await run;
        } else {
          if (MULTI_ITEM_WRITES.has(operation)) errors.push(`${operation} is not emulated by the stream proxy: its changes would be missing from the stream`);
          answer = await forward(req.method!, req.url!, headers, body);
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      } catch (error) {
        errors.push(`proxy failure on ${operation}: ${(error as Error).message}`);
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazon.coral.service#InternalFailure', message: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    errors,
    close: async () => {
      await writes;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      client.destroy();
    },
  };
}
