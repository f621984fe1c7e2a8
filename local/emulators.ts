/**
 * Embedded storage for the local mode (no Docker, no AWS account): s3rver for S3 and dynalite for
 * DynamoDB, both in this process, with their data under one directory that survives restarts.
 * s3rver's object-created events are turned into records shaped like real S3 notifications and
 * delivered, in order, to `onObjectCreated`, as S3 would invoke the upload-completed Lambda.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { S3EventRecord } from 'aws-lambda';
import { createTableInput, LEASE_TABLE } from '../shared/lease/table.js';
import { createSequencer, toS3EventRecord } from './s3-event-records.js';

/** s3rver's built-in dummy account; SDK clients and presigned URLs for the emulator use it. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface EmulatorOptions {
  dataDir: string;
  /** Interface both servers bind to (default 127.0.0.1). */
  host?: string;
  /** 0 or absent: a free port. */
  s3Port?: number;
  dynamoPort?: number;
  bucket: string;
  table: string;
  region: string;
  /** Called once per object created in `bucket`, one record per event, in creation order. */
  onObjectCreated?: (event: { Records: S3EventRecord[] }) => Promise<void> | void;
  /** Silences s3rver's request log (default true). Handler failures are always logged. */
  silent?: boolean;
}

export interface Emulators {
  /** e.g. http://127.0.0.1:PORT; use path-style addressing. */
  s3Endpoint: string;
  dynamoEndpoint: string;
  /**
   * Resolves once every object-created event emitted so far has been handled (or its handler has
   * failed). s3rver emits before it responds, so this covers every upload a client saw succeed.
   */
  eventsSettled(): Promise<void>;
  /** Waits for pending event deliveries, then stops both servers. Idempotent. */
  close(): Promise<void>;
}

// ---- the untyped CommonJS packages, typed as far as this module uses them ----

interface KoaContext {
  req: IncomingMessage;
  res: ServerResponse;
  request: { req: IncomingMessage };
  response: { req: IncomingMessage };
  method: string;
  query: Record<string, string | string[] | undefined>;
  ip: string;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverRecord {
  eventName: string;
  eventTime: string;
  requestParameters?: { sourceIPAddress?: string };
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
}

interface S3rverInstance {
  middleware: KoaMiddleware[];
  store: { getMetadata(bucket: string, key: string): Promise<{ etag: string; 'content-length': number }> };
  configureBuckets(): Promise<unknown>;
  listen(port: number, host: string, callback: () => void): Server;
  on(event: 'event', listener: (event: { Records: S3rverRecord[] }) => void): unknown;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
type Dynalite = (options: Record<string, unknown>) => Server;
interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}
type LevelCtor = new (location: string) => LevelDb;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverCtor;
const dynalite = require('dynalite') as Dynalite;
/** dynalite's own LevelDB binding, resolved from dynalite's location. */
const { Level } = createRequire(require.resolve('dynalite'))('level') as { Level: LevelCtor };

// ---- helpers ----

/** The host to put in endpoint URLs: wildcard binds are reached over loopback; IPv6 gets brackets. */
function endpointHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIPv6(host) ? `[${host}]` : host;
}

/** Resolves with the bound port once `server` listens; a bind error (e.g. EADDRINUSE) rejects instead of crashing. */
function whenListening(server: Server): Promise<number> {
  if (server.listening) return Promise.resolve(portOf(server));
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      try {
        resolve(portOf(server));
      } catch (err) {
        reject(err);
      }
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`server has no TCP address: ${address}`);
  return address.port;
}

/** server.close() waits for open connections; idle keep-alive ones go at once, stuck ones after a grace. */
function closeServer(server: Server, close: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), 2_000);
    force.unref();
    close((err) => {
      clearTimeout(force);
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Decodes `Content-Encoding: aws-chunked` bodies (`x-amz-content-sha256: STREAMING-...`): the framing
 * the AWS SDK v3 uses for streamed uploads with trailing checksums. s3rver does not understand it and
 * would store the chunk headers and trailers as part of the object.
 */
class AwsChunkedDecoder extends Transform {
  private buffered: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'crlf' | 'trailer' | 'done' = 'size';
  private remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    try {
      this.decode();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.state === 'done' || this.state === 'trailer' ? null : new Error('truncated aws-chunked body'));
  }

  private decode(): void {
    for (;;) {
      if (this.state === 'done') {
        this.buffered = Buffer.alloc(0);
        return;
      }
      if (this.state === 'data') {
        if (this.buffered.length === 0) return;
        const n = Math.min(this.remaining, this.buffered.length);
        this.push(this.buffered.subarray(0, n));
        this.buffered = this.buffered.subarray(n);
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'crlf';
        continue;
      }
      if (this.state === 'crlf') {
        if (this.buffered.length < 2) return;
        if (this.buffered[0] !== 0x0d || this.buffered[1] !== 0x0a) throw new Error('malformed aws-chunked body');
        this.buffered = this.buffered.subarray(2);
        this.state = 'size';
        continue;
      }
      const eol = this.buffered.indexOf('\r\n');
      if (eol < 0) {
        if (this.buffered.length > 8192) throw new Error('malformed aws-chunked body');
        return;
      }
      const line = this.buffered.subarray(0, eol).toString('latin1');
      this.buffered = this.buffered.subarray(eol + 2);
      if (this.state === 'trailer') {
        // Trailing checksum headers are dropped; an empty line ends the body.
        if (line === '') this.state = 'done';
        continue;
      }
      const sizeField = line.split(';', 1)[0]!.trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeField)) throw new Error('malformed aws-chunked body');
      this.remaining = parseInt(sizeField, 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    }
  }
}

function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const sha = headers['x-amz-content-sha256'];
  const encoding = headers['content-encoding'];
  return (
    (typeof sha === 'string' && sha.startsWith('STREAMING-')) ||
    (typeof encoding === 'string' && encoding.split(',').some((e) => e.trim().toLowerCase() === 'aws-chunked'))
  );
}

/** Koa middleware (placed first) that swaps an aws-chunked request for its decoded body. */
const decodeAwsChunked: KoaMiddleware = (ctx, next) => {
  const original = ctx.req;
  if (!isAwsChunked(original.headers)) return next();
  const headers: IncomingHttpHeaders = { ...original.headers };
  const decodedLength = headers['x-amz-decoded-content-length'];
  if (typeof decodedLength === 'string') headers['content-length'] = decodedLength;
  else delete headers['content-length'];
  delete headers['transfer-encoding'];
  const encodings = (headers['content-encoding'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e.toLowerCase() !== 'aws-chunked');
  if (encodings.length) headers['content-encoding'] = encodings.join(',');
  else delete headers['content-encoding'];

  const decoded = new AwsChunkedDecoder();
  original.on('error', (err) => decoded.destroy(err));
  original.on('aborted', () => decoded.destroy(new Error('request aborted')));
  original.pipe(decoded);
  // Koa and s3rver read these off ctx.req; the stream itself is the decoded body.
  const request = Object.assign(decoded, {
    headers,
    rawHeaders: original.rawHeaders,
    url: original.url,
    method: original.method,
    httpVersion: original.httpVersion,
    httpVersionMajor: original.httpVersionMajor,
    httpVersionMinor: original.httpVersionMinor,
    socket: original.socket,
    connection: original.socket,
  }) as unknown as IncomingMessage;
  ctx.req = request;
  ctx.request.req = request;
  ctx.response.req = request;
  return next();
};

function eventNameFor(record: S3rverRecord, ctx: KoaContext | undefined): string {
  // s3rver reports CompleteMultipartUpload as "Post"; S3 has its own event name for it.
  if (record.eventName === 'ObjectCreated:Post' && ctx?.method === 'POST' && ctx.query.uploadId !== undefined) {
    return 'ObjectCreated:CompleteMultipartUpload';
  }
  return record.eventName;
}

function normaliseIp(ip: string | undefined): string {
  if (!ip) return '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
}

/** Resolves when the response to the request that caused an event has been sent (or aborted). */
function responseDone(ctx: KoaContext | undefined): Promise<void> {
  const res = ctx?.res;
  if (!res || res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      resolve();
    };
    res.on('finish', done);
    res.on('close', done);
  });
}

/**
 * dynalite throws LevelDB errors from its request handler, so a data directory locked by another
 * process would crash this one on the first request. Open it once first to fail with a clear error.
 */
async function assertDynamoDirFree(dir: string): Promise<void> {
  const db = new Level(dir);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`DynamoDB data directory ${dir} is in use by another process`, { cause: err });
    }
    throw err;
  }
  await db.close();
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(table)));
  } catch (err) {
    // Created on an earlier run against the same data directory.
    if (errorName(err) !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error(`table ${table} is still ${Table?.TableStatus} after 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: LEASE_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    // dynalite has no UpdateTimeToLive (and never expires items); any other failure is real.
    if (errorName(err) !== 'UnknownOperationException') throw err;
  }
}

// ---- the emulators ----

export async function startEmulators(opts: EmulatorOptions): Promise<Emulators> {
  const host = opts.host ?? '127.0.0.1';
  const silent = opts.silent ?? true;
  const s3Dir = join(opts.dataDir, 's3');
  const dynamoDir = join(opts.dataDir, 'dynamodb');
  await Promise.all([mkdir(s3Dir, { recursive: true }), mkdir(dynamoDir, { recursive: true })]);

  // ---- S3 ----
  const s3rver = new S3rver({
    directory: s3Dir,
    silent,
    // Path-style only, so any host name (localhost, a LAN name) reaches the emulator.
    vhostBuckets: false,
    configureBuckets: [{ name: opts.bucket }],
  });
  const requestContext = new AsyncLocalStorage<KoaContext>();
  s3rver.middleware.unshift((ctx, next) => requestContext.run(ctx, () => decodeAwsChunked(ctx, next)));

  const nextSequencer = createSequencer();
  let deliveries: Promise<void> = Promise.resolve();
  const deliver = (prepared: Promise<S3EventRecord | undefined>) => {
    deliveries = deliveries.then(async () => {
      try {
        const record = await prepared;
        if (record && opts.onObjectCreated) await opts.onObjectCreated({ Records: [record] });
      } catch (err) {
        console.error('[local s3] object-created handler failed:', err);
      }
    });
  };

  s3rver.on('event', (event) => {
    try {
      const ctx = requestContext.getStore();
      for (const raw of event.Records) {
        if (!raw.eventName.startsWith('ObjectCreated:') || raw.s3.bucket.name !== opts.bucket) continue;
        // Sequencer and time are taken now, in emission order; the record is completed asynchronously.
        const sequencer = nextSequencer();
        const eventTime = new Date();
        const eventName = eventNameFor(raw, ctx);
        const sourceIp = normaliseIp(ctx?.ip ?? raw.requestParameters?.sourceIPAddress);
        const { key } = raw.s3.object;
        const prepared = (async () => {
          let { size, eTag } = raw.s3.object;
          if (eTag === undefined || size === undefined) {
            // s3rver's Copy records carry no eTag.
            const meta = await s3rver.store.getMetadata(opts.bucket, key);
            eTag ??= meta.etag;
            size ??= Number(meta['content-length']);
          }
          // As with S3, the notification follows the request's completion.
          await responseDone(ctx);
          return toS3EventRecord({
            bucket: opts.bucket,
            key,
            size,
            eTag,
            eventName,
            eventTime,
            region: opts.region,
            sequencer,
            sourceIp,
          });
        })();
        prepared.catch(() => undefined); // handled (and logged) in the delivery chain
        deliver(prepared);
      }
    } catch (err) {
      console.error('[local s3] could not process an s3rver event:', err);
    }
  });

  await s3rver.configureBuckets();
  // s3rver.run() would leave a bind error as an uncaught 'error' event; listen() lets us catch it.
  const s3Server = s3rver.listen(opts.s3Port ?? 0, host, () => undefined);
  const s3Port = await whenListening(s3Server);

  // ---- DynamoDB ----
  let dynamoServer: Server | undefined;
  let dynamoPort: number;
  try {
    await assertDynamoDirFree(dynamoDir);
    dynamoServer = dynalite({ path: dynamoDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    dynamoServer.listen(opts.dynamoPort ?? 0, host);
    dynamoPort = await whenListening(dynamoServer);
  } catch (err) {
    await closeServer(s3Server, (cb) => s3Server.close(cb)).catch(() => undefined);
    if (dynamoServer) {
      const server = dynamoServer;
      // dynalite only closes its LevelDB (and releases the directory lock) from a server that
      // listens, so bind it to a free loopback port just to shut it down.
      await (async () => {
        server.listen(0, '127.0.0.1');
        await whenListening(server);
        await closeServer(server, (cb) => server.close(cb));
      })().catch(() => undefined);
    }
    throw err;
  }

  const dynamo = dynamoServer;
  const s3Endpoint = `http://${endpointHost(host)}:${s3Port}`;
  const dynamoEndpoint = `http://${endpointHost(host)}:${dynamoPort}`;

  const drain = async (): Promise<void> => {
    // Deliveries queued while awaiting are chained onto `deliveries`; wait until it stops moving.
    for (let seen: Promise<void> | undefined; seen !== deliveries; ) {
      seen = deliveries;
      await seen;
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Handlers may still call S3 and DynamoDB: drain before stopping either server.
      await drain();
      let failure: unknown;
      await closeServer(s3Server, (cb) => s3Server.close(cb)).catch((err: unknown) => (failure ??= err));
      await drain(); // events from requests that were in flight while S3 closed
      await closeServer(dynamo, (cb) => dynamo.close(cb)).catch((err: unknown) => (failure ??= err));
      if (failure !== undefined) throw failure;
    })();
    return closing;
  };

  const client = new DynamoDBClient({ endpoint: dynamoEndpoint, region: opts.region, credentials: LOCAL_CREDENTIALS });
  try {
    await ensureTable(client, opts.table);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  } finally {
    client.destroy();
  }

  return { s3Endpoint, dynamoEndpoint, eventsSettled: drain, close };
}
