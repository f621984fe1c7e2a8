import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { S3EventRecord } from 'aws-lambda';
import { decodeAwsChunked } from './aws-chunked.js';
import { bodyGuard } from './s3-auth/body-guard.js';
import { copySourceConditions } from './s3-auth/copy-conditions.js';
import { signatureGuard } from './s3-auth/signature-guard.js';
import { writeConditions } from './s3-auth/write-conditions.js';
import { createSequencer, toS3EventRecord } from './s3-event-records.js';
import type { KoaContext, S3rverCtor, S3rverInstance, S3rverRecord } from './emulator-packages.js';
import { removeTornObjects } from './s3-crash-recovery.js';
import { oneRequestPerKey } from './s3-one-request-per-key.js';
import { responseDone, whenListening } from './servers.js';

/**
 * s3rver (S3 in this process) with one bucket, behind guards that refuse what S3 refuses (s3rver
 * itself accepts any SigV4 signature and any body): see local/s3-auth/. Its object-created events become records shaped like
 * real S3 notifications, delivered one at a time and in creation order, as S3 invokes a Lambda.
 */
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverCtor;

export interface S3EmulatorOptions {
  directory: string;
  host: string;
  port: number;
  bucket: string;
  region: string;
  silent: boolean;
  /** Where request bodies wait while they are checked; emptied at start. */
  spoolDirectory: string;
  /** Access keys whose SigV4 signatures are accepted. */
  credentials: ReadonlyArray<{ readonly accessKeyId: string; readonly secretAccessKey: string }>;
  /** false (debugging only): signatures and URL expiry are not checked; bodies still are. */
  verifySignatures: boolean;
  onObjectCreated?: ((event: { Records: S3EventRecord[] }) => Promise<void> | void) | undefined;
}

export interface S3Emulator {
  server: Server;
  port: number;
  /** Resolves once every delivery queued so far (and any queued meanwhile) is done. */
  drain(): Promise<void>;
}

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

/** Starts empty: a body left from an earlier run was never accepted. */
async function emptySpool(spoolDirectory: string): Promise<void> {
  await rm(spoolDirectory, { recursive: true, force: true });
  await mkdir(spoolDirectory, { recursive: true });
}

/**
 * Ahead of s3rver's own chain, in this order: what S3 checks before it stores anything. The first
 * middleware keeps each request's context, so its events can be matched to the request.
 */
function installGuards(s3rver: S3rverInstance, opts: S3EmulatorOptions, requestContext: AsyncLocalStorage<KoaContext>): void {
  s3rver.middleware.unshift(
    (ctx, next) => requestContext.run(ctx, next),
    oneRequestPerKey(),
    ...(opts.verifySignatures ? [signatureGuard({ region: opts.region, credentials: opts.credentials })] : []),
    decodeAwsChunked,
    bodyGuard(opts.spoolDirectory),
    copySourceConditions(s3rver.store),
    writeConditions(s3rver.store),
  );
}

interface DeliveryChain {
  /** Queues a record's delivery behind every earlier one; an undefined record is skipped. */
  deliver(prepared: Promise<S3EventRecord | undefined>): void;
  drain(): Promise<void>;
}

/**
 * One delivery at a time, in the order queued, as S3 invokes a Lambda. A failed handler is logged and
 * the chain goes on.
 */
function deliveryChain(opts: Pick<S3EmulatorOptions, 'onObjectCreated'>): DeliveryChain {
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
  const drain = async (): Promise<void> => {
    // Deliveries queued while awaiting are chained onto `deliveries`; wait until it stops moving.
    for (let seen: Promise<void> | undefined; seen !== deliveries; ) {
      seen = deliveries;
      await seen;
    }
  };
  return { deliver, drain };
}

/** What is fixed when s3rver emits an event: S3 stamps sequencer and time in emission order. */
interface EmittedCreation {
  readonly key: string;
  readonly eventName: string;
  readonly eventTime: Date;
  readonly sequencer: string;
  readonly sourceIp: string;
}

/** The S3 notification record for a creation, once the object's size and ETag are known and the response is sent. */
async function completeRecord(
  s3rver: S3rverInstance,
  opts: Pick<S3EmulatorOptions, 'bucket' | 'region'>,
  raw: S3rverRecord,
  ctx: KoaContext | undefined,
  emitted: EmittedCreation,
): Promise<S3EventRecord> {
  const { key, eventName, eventTime, sequencer, sourceIp } = emitted;
  let { size, eTag } = raw.s3.object;
  if (eTag === undefined || size === undefined) {
    // s3rver's Copy records carry no eTag.
    const meta = await s3rver.store.getMetadata(opts.bucket, key);
    eTag ??= meta.etag;
    size ??= Number(meta['content-length']);
  }
  // As with S3, the notification follows the request's completion.
  await responseDone(ctx?.res);
  return toS3EventRecord({ bucket: opts.bucket, key, size, eTag, eventName, eventTime, region: opts.region, sequencer, sourceIp });
}

/** Queues a notification for each object created in the bucket; other events and buckets are ignored. */
function forwardObjectCreated(
  s3rver: S3rverInstance,
  opts: Pick<S3EmulatorOptions, 'bucket' | 'region'>,
  requestContext: AsyncLocalStorage<KoaContext>,
  deliver: DeliveryChain['deliver'],
): void {
  const nextSequencer = createSequencer();
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
        const prepared = completeRecord(s3rver, opts, raw, ctx, { key, eventName, eventTime, sequencer, sourceIp });
        prepared.catch(() => undefined); // handled (and logged) in the delivery chain
        deliver(prepared);
      }
    } catch (err) {
      console.error('[local s3] could not process an s3rver event:', err);
    }
  });
}

export async function startS3(opts: S3EmulatorOptions): Promise<S3Emulator> {
  const s3rver = new S3rver({
    directory: opts.directory,
    silent: opts.silent,
    // Path-style only, so any host name (localhost, a LAN name) reaches the emulator.
    vhostBuckets: false,
    configureBuckets: [{ name: opts.bucket }],
  });
  const requestContext = new AsyncLocalStorage<KoaContext>();
  await emptySpool(opts.spoolDirectory);
  const torn = await removeTornObjects(join(opts.directory, opts.bucket));
  if (torn.length) console.error(`[local s3] removed ${torn.length} object(s) a crash left half-written: ${torn.slice(0, 5).join(', ')}`);
  installGuards(s3rver, opts, requestContext);
  const { deliver, drain } = deliveryChain(opts);
  forwardObjectCreated(s3rver, opts, requestContext, deliver);

  await s3rver.configureBuckets();
  // s3rver.run() would leave a bind error as an uncaught 'error' event; listen() lets us catch it.
  const s3Server = s3rver.listen(opts.port, opts.host, () => undefined);
  const s3Port = await whenListening(s3Server);
  return { server: s3Server, port: s3Port, drain };
}
