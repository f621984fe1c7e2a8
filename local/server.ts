import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { Clock } from '../shared/clock.js';
import { loadConfig, type BrokerConfig } from '../shared/config.js';
import { s3UploadEventHandler } from '../shared/events/s3-upload-handler.js';
import { OPERATIONS, operationsOf } from '../shared/contracts/registry.js';
import { SURFACES, type Surface } from '../shared/api/operation.js';
import { CONTRACT_CODE } from '../shared/contracts/code-by-surface.js';
import { type HttpFn } from '../shared/api/chain.js';
import { surfaceHandler } from '../shared/api/surface.js';
import type { HttpResult } from '../shared/http/types.js';
import { withChangeFeed } from '../shared/lease/changes.js';
import type { LeaseEvent } from '../shared/lease/events.js';
import { sweepDueLeases, type SweepReport } from '../shared/lease/sweep.js';
import { log } from '../shared/log.js';
import { buildOpenApiDocument } from '../shared/openapi.js';
import { createBrokerDeps, withObjects } from '../shared/runtime.js';
import {
  compileRoutes,
  gatewayError,
  lambdaContext,
  matchRoute,
  MAX_REQUEST_HEAD_BYTES,
  readBody,
  requestHeadBytes,
  send,
  toApiGatewayEvent,
} from './apigw.js';
import { localAuth } from './auth-settings.js';
import { LOCAL_CREDENTIALS, startEmulators } from './emulators.js';
import { createLocalLeaseFeed, type LocalLeaseFeed } from './lease-feed.js';
import { holdEvents, s3EventDelayMs } from './held-events.js';
import { s3VerifySignatures } from './s3-auth/verify-switch.js';

export interface LocalBrokerOptions {
  readonly dataDir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** The embedded S3's port; keep it stable so URLs handed out survive a restart. 0 picks a free port. */
  readonly s3Port?: number;
  /** Broker settings as environment variables (RETENTION_SECONDS, LEASE_URL_TTL_SECONDS, ...). */
  readonly env?: Record<string, string | undefined>;
  /** 0 disables the timer (tests call sweepNow). */
  readonly sweepIntervalSeconds?: number;
  readonly clock?: Clock;
  /** false: S3 events are not handed to the event handler (tests replay crafted records instead). */
  readonly deliverS3Events?: boolean;
  /** Print each lease event as it is written to `events.jsonl` (npm start). */
  readonly printLeaseEvents?: boolean;
  /** Runs before each lease event is written; a throw is a failed publish, retried (fault tests). */
  readonly beforeLeaseEventPublish?: (event: LeaseEvent) => void | Promise<void>;
}

export interface LocalBroker {
  readonly url: string;
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly config: BrokerConfig;
  readonly deps: ReturnType<typeof withObjects>;
  sweepNow(): Promise<SweepReport>;
  /**
   * Resolves when every S3 event so far has been handled, and every lease change so far published
   * (events.jsonl) and settled (consumed files moved, deleted ones removed).
   */
  eventsSettled(): Promise<void>;
  /** `$DATA_DIR/events.jsonl`. */
  readonly eventsFile: string;
  close(): Promise<void>;
}


/**
 * The embedded emulators share this process and its CPU with everything else: when the machine is busy
 * they answer slowly, not never. The Lambdas' tight timeouts (shared/adapters/clients.ts) are for real
 * services; here they would turn a busy laptop into 500s.
 */
const LOCAL_TIMEOUTS = { connectionTimeout: 10_000, requestTimeout: 30_000, throwOnRequestTimeout: true } as const;

/** Lambda's async invocation retries a failed event twice. */
const EVENT_ATTEMPTS = 3;

/**
 * The whole broker on one machine: embedded S3 and DynamoDB, the same handlers the Lambdas run,
 * fed API Gateway (payload 2.0) events and S3 event records, and the retention sweep on a timer.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const host = options.host ?? '127.0.0.1';
  const env = { AWS_REGION: 'us-east-1', LEASE_TABLE_NAME: 'upload-leases', UPLOAD_BUCKET_NAME: 'upload-lease-broker-local', ...options.env };
  let onEvent: (event: S3Event) => Promise<void> = async () => undefined;
  const eventDelayMs = s3EventDelayMs(options.env ?? {});
  const verifySignatures = s3VerifySignatures(options.env?.S3_VERIFY_SIGNATURES);
  // Read before anything starts, so a bad setting leaves nothing running.
  const auth = localAuth(options.env ?? {});
  if (!verifySignatures) log.warn('S3_VERIFY_SIGNATURES=false: the embedded S3 accepts any signature and expired URLs', {});
  const emulators = await startEmulators({
    verifySignatures,
    dataDir: options.dataDir,
    host,
    s3Port: options.s3Port ?? 0,
    bucket: env.UPLOAD_BUCKET_NAME!,
    table: env.LEASE_TABLE_NAME!,
    region: env.AWS_REGION!,
    ...(options.deliverS3Events === false ? {} : { onObjectCreated: (event: { Records: S3EventRecord[] }) => onEvent(event as S3Event) }),
  });
  const config = loadConfig({ ...env, AWS_ENDPOINT_URL_S3: emulators.s3Endpoint, AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint });
  const brokerDeps = createBrokerDeps(config, {
    credentials: LOCAL_CREDENTIALS,
    timeouts: LOCAL_TIMEOUTS,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(auth ? { auth } : {}),
  });
  const base = withObjects(brokerDeps, LOCAL_CREDENTIALS, LOCAL_TIMEOUTS);
  // dynalite has no streams: the store reports its own writes to what the stream drives on AWS.
  const eventsFile = join(options.dataDir, 'events.jsonl');
  let feed: LocalLeaseFeed | undefined;
  const deps = { ...base, store: withChangeFeed(base.store, (change) => feed!.onChange(change), () => base.clock.now()) };
  feed = createLocalLeaseFeed({
    eventsFile,
    bucket: config.bucketName,
    region: config.region,
    settleDeps: deps,
    print: options.printLeaseEvents ?? false,
    beforePublish: options.beforeLeaseEventPublish,
  });
  const leaseFeed = feed;

  const s3Events = s3UploadEventHandler(deps);
  const heldEvents = holdEvents<S3Event>(eventDelayMs, async (event) => {
    for (let attempt = 1; attempt <= EVENT_ATTEMPTS; attempt++) {
      try {
        await s3Events(event);
        return;
      } catch (error) {
        if (attempt === EVENT_ATTEMPTS) log.error('S3 event failed after retries', { attempts: attempt }, error);
        else await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  onEvent = (event) => heldEvents.deliver(event);

  // One handler per API surface, as deployed: each routes inside (shared/api/surface.ts), and sends
  // its object calls as presigned requests, as the API Lambdas do (no S3 client).
  const apiDeps = { ...deps, objects: brokerDeps.objects };
  const lambdas = Object.fromEntries(SURFACES.map((surface) => [surface, surfaceHandler(operationsOf(surface), CONTRACT_CODE[surface], apiDeps)])) as Record<Surface, HttpFn>;
  const routes = compileRoutes(OPERATIONS);
  let baseUrl = '';
  const localRoutes: Record<string, () => HttpResult> = {
    '/health': () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }),
    '/openapi.json': () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      // What this server enforces: no authentication by default, the contracts' own schemes with AUTH=contracts.
      body: JSON.stringify(buildOpenApiDocument(baseUrl, options.env?.AUTH === 'contracts' ? 'contracts' : 'none')),
    }),
  };

  // Node reads up to 64 KB of request line and headers; API Gateway's own 10 KB limit is applied below.
  const server: Server = createServer({ maxHeaderSize: 65_536 }, async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      const local = req.method === 'GET' ? localRoutes[path] : undefined;
      if (local) return send(res, local());
      const match = matchRoute(routes, req.method ?? 'GET', path);
      const body = await readBody(req);
      if (requestHeadBytes(req) > MAX_REQUEST_HEAD_BYTES) return send(res, gatewayError(431, 'Request Header Fields Too Large'));
      if (!match) return send(res, gatewayError(404, 'Not Found'));
      if (!body) return send(res, gatewayError(413, 'Request Entity Too Large'));
      const event = toApiGatewayEvent(req, body, match, { host, port: (server.address() as AddressInfo).port });
      const result = await lambdas[match.route.surface](event, lambdaContext(match.route.surface));
      send(res, result);
    } catch (error) {
      log.error('local gateway failure', {}, error);
      if (!res.headersSent) send(res, gatewayError(500, 'Internal Server Error'));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host}:${port}`;

  let sweeping: Promise<SweepReport> | undefined;
  const sweepNow = () => (sweeping ??= sweepDueLeases(deps).finally(() => (sweeping = undefined)));
  const intervalSeconds = options.sweepIntervalSeconds ?? 60;
  const timer =
    intervalSeconds > 0
      ? setInterval(() => sweepNow().catch((error) => log.error('sweep failed', {}, error)), intervalSeconds * 1000)
      : undefined;
  // Catch up on whatever became due while the broker was down.
  if (intervalSeconds > 0) void sweepNow().catch((error) => log.error('sweep failed', {}, error));

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    s3Endpoint: emulators.s3Endpoint,
    dynamoEndpoint: emulators.dynamoEndpoint,
    config,
    deps,
    sweepNow,
    eventsFile,
    async eventsSettled() {
      // Each can cause work for the other (an upload's transition; a settled move's copy): until both are still.
      for (let round = 0; round < 3; round++) {
        await emulators.eventsSettled();
        await heldEvents.settled();
        await leaseFeed.drain();
      }
    },
    close: () =>
      (closed ??= (async () => {
        if (timer) clearInterval(timer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await sweeping?.catch(() => undefined);
        await emulators.eventsSettled();
        await heldEvents.release();
        await leaseFeed.drain();
        await emulators.close();
        deps.ddb.destroy();
        deps.s3.destroy();
      })()),
  };
}
