/**
 * Embedded storage for the local mode (no Docker, no AWS account): S3 (s3-emulator.ts) and DynamoDB
 * (dynamo-emulator.ts), both in this process, with their data under one directory that survives
 * restarts. This module owns their life together: start both or neither, and on close let pending
 * event deliveries finish before either server stops.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3EventRecord } from 'aws-lambda';
import { ensureTable, startDynalite } from './dynamo-emulator.js';
import { startS3 } from './s3-emulator.js';
import { closeServer, endpointHost } from './servers.js';

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
  /** false only for debugging: the embedded S3 then accepts any signature and expired URLs. Default true. */
  verifySignatures?: boolean;
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

export async function startEmulators(opts: EmulatorOptions): Promise<Emulators> {
  const host = opts.host ?? '127.0.0.1';
  const s3Dir = join(opts.dataDir, 's3');
  const dynamoDir = join(opts.dataDir, 'dynamodb');
  await Promise.all([mkdir(s3Dir, { recursive: true }), mkdir(dynamoDir, { recursive: true })]);

  const s3 = await startS3({
    directory: s3Dir,
    host,
    port: opts.s3Port ?? 0,
    bucket: opts.bucket,
    region: opts.region,
    silent: opts.silent ?? true,
    spoolDirectory: join(opts.dataDir, 's3-incoming'),
    credentials: [LOCAL_CREDENTIALS],
    verifySignatures: opts.verifySignatures ?? true,
    onObjectCreated: opts.onObjectCreated,
  });
  const s3Server = s3.server;
  let dynamo;
  try {
    dynamo = await startDynalite(dynamoDir, host, opts.dynamoPort ?? 0);
  } catch (err) {
    await closeServer(s3Server, (cb) => s3Server.close(cb)).catch(() => undefined);
    throw err;
  }
  const dynamoServer = dynamo.server;
  const s3Endpoint = `http://${endpointHost(host)}:${s3.port}`;
  const dynamoEndpoint = `http://${endpointHost(host)}:${dynamo.port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Handlers may still call S3 and DynamoDB: drain before stopping either server.
      await s3.drain();
      let failure: unknown;
      await closeServer(s3Server, (cb) => s3Server.close(cb)).catch((err: unknown) => (failure ??= err));
      await s3.drain(); // events from requests that were in flight while S3 closed
      await closeServer(dynamoServer, (cb) => dynamoServer.close(cb)).catch((err: unknown) => (failure ??= err));
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

  return { s3Endpoint, dynamoEndpoint, eventsSettled: s3.drain, close };
}
