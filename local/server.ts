import type { S3Event } from 'aws-lambda';
import type { Clock } from '../shared/clock.js';
import type { LeaseEvent } from '../shared/lease/events.js';
import type { SweepReport } from '../shared/lease/sweep.js';
import { log } from '../shared/log.js';
import type { withObjects } from '../shared/runtime.js';
import { localAuth, type LocalAuthPlan } from './auth-settings.js';
import { devIssuerFileIn } from './data-files.js';
import { startDevIssuer, type DevIssuer } from './dev-issuer/server.js';
import { createLocalDeps, type LocalDeps } from './deps.js';
import { LOCAL_CREDENTIALS, startEmulators, type EmulatorOptions, type Emulators } from './emulators.js';
import { startBlobFront } from './blob-front/server.js';
import { localFrontSigningKey } from './blob-front/signing-key.js';
import { loadConfig, type BrokerConfig } from '../shared/config.js';
import { handleS3Events, settleEvents } from './event-pipeline.js';
import { localFaults } from './faults.js';
import { startGateway } from './gateway.js';
import { s3EventDelayMs } from './held-events.js';
import { s3VerifySignatures } from './s3-auth/verify-switch.js';
import { shutDown, type RunningBroker } from './shutdown.js';
import { startSweepTimer } from './sweep-timer.js';

export interface LocalBrokerOptions {
  readonly dataDir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** The embedded S3's port; keep it stable so URLs handed out survive a restart. 0 picks a free port. */
  readonly s3Port?: number;
  /** The Blob front's port when AZURE_UPLOADS=blob-front (stable for the same reason). 0 picks a free port. */
  readonly blobFrontPort?: number;
  /** The development issuer's port when JWT_ISSUER=dev (stable: its tokens name it). 0 picks a free port. */
  readonly devIssuerPort?: number;
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

export interface ContractsAuthSummary {
  readonly keysFile: string;
  readonly grantsFile: string;
  readonly issuer: string;
  readonly audience: string;
  /** The issuer is the embedded development one (JWT_ISSUER=dev): `npm run dev-token` mints its tokens. */
  readonly devIssuer: boolean;
}

export interface LocalBroker {
  readonly url: string;
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  /** The Blob front's origin, when AZURE_UPLOADS=blob-front. */
  readonly blobFrontUrl?: string;
  /** AUTH=contracts: where keys and grants are read, and the issuer (`dev`: the development one) of Azure tokens. */
  readonly contractsAuth?: ContractsAuthSummary;
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
  /** `$DATA_DIR/failed-upload-events.jsonl`: the failed-events queue of the local mode. */
  readonly failedEventsFile: string;
  close(): Promise<void>;
}

/** What the options say, read and checked before anything starts, so a bad setting leaves nothing running. */
interface LocalSettings {
  readonly host: string;
  /** The broker's settings, with the names the stack would set defaulted. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly eventDelayMs: number;
  readonly verifySignatures: boolean;
  readonly auth: LocalAuthPlan | undefined;
}

/**
 * The whole broker on one machine: embedded S3 and DynamoDB, the same handlers the Lambdas run,
 * fed API Gateway (payload 2.0) events and S3 event records, and the retention sweep on a timer.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const settings = readSettings(options);
  // What has started so far, undone in reverse when a later step fails: a failed start leaves nothing listening.
  const undo: Array<() => unknown> = [];
  try {
    // The emulators start first (the config needs their endpoints), so the S3 event handler is attached once built.
    let onS3Event: (event: S3Event) => Promise<void> = async () => undefined;
    // LOCAL_FAULTS (faults.ts, the soak run): DynamoDB behind a fault proxy, S3 events duplicated and late. Unset: no change.
    const faults = localFaults(settings.env, options.dataDir);
    const deliver = (event: S3Event) => onS3Event(event);
    const started = await startEmulators(emulatorOptions(options, settings, faults ? faults.s3Events(deliver) : deliver));
    const emulators = faults ? await faults.wrapEmulators(started) : started;
    undo.push(() => emulators.close());
    const front = await startFrontIfAsked(options, settings, emulators);
    if (front) undo.push(() => front.server.close());
    const issuer = await startIssuerIfAsked(options, settings);
    if (issuer) undo.push(() => issuer.close());
    const local = createLocalDeps({
      env: front ? { ...settings.env, BLOB_FRONT_URL: front.url } : settings.env,
      frontSigningKey: front?.signingKey,
      emulators,
      auth: settings.auth?.build(issuer?.issuer),
      clock: options.clock,
      dataDir: options.dataDir,
      printLeaseEvents: options.printLeaseEvents ?? false,
      beforeLeaseEventPublish: options.beforeLeaseEventPublish,
    });
    undo.push(() => {
      local.deps.ddb.destroy();
      local.deps.s3.destroy();
    });
    // What a crash left unpublished goes out first, before any new change (the stream's order).
    await local.leaseFeed.recover();
    const heldEvents = handleS3Events(local.deps, settings.eventDelayMs, local.failedEventsFile);
    onS3Event = (event) => heldEvents.deliver(event);
    const gateway = await startGateway({ apiDeps: local.apiDeps, host: settings.host, port: options.port ?? 3000, env: options.env ?? {} });
    const sweeps = startSweepTimer(local.deps, options.sweepIntervalSeconds ?? 60);
    const running: RunningBroker = {
      sweeps,
      gateway: gateway.server,
      emulators,
      heldEvents,
      leaseFeed: local.leaseFeed,
      clients: local.deps,
      ...(front ? { front: front.server } : {}),
      ...(issuer ? { issuer } : {}),
    };
    return localBroker(local, gateway.url, running, contractsAuthOf(settings, issuer));
  } catch (error) {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
    throw error;
  }
}

/** What AUTH=contracts reads, for the banner and the tests; undefined under AUTH=none. */
function contractsAuthOf(settings: LocalSettings, issuer: DevIssuer | undefined): ContractsAuthSummary | undefined {
  return (
    settings.auth && {
      keysFile: settings.auth.keysFile,
      grantsFile: settings.auth.grantsFile,
      issuer: issuer?.issuer ?? settings.auth.issuer!,
      audience: settings.auth.audience,
      devIssuer: issuer !== undefined,
    }
  );
}

/** JWT_ISSUER=dev: the development issuer, before the handlers are built (their authenticator names its URL). */
async function startIssuerIfAsked(options: LocalBrokerOptions, settings: LocalSettings): Promise<DevIssuer | undefined> {
  if (!settings.auth?.devIssuer) return undefined;
  return startDevIssuer({
    host: settings.host,
    port: options.devIssuerPort ?? 0,
    file: devIssuerFileIn(options.dataDir),
    audience: settings.auth.devIssuer.audience,
  });
}

/** AZURE_UPLOADS=blob-front: the broker runs the Blob front (npm start reads its port only then). */
export const wantsBlobFront = (env: Readonly<Record<string, string | undefined>>): boolean => env.AZURE_UPLOADS?.trim() === 'blob-front';

/** The local front's account segment: `http://127.0.0.1:PORT/local/<container>/<blob>`. */
export const LOCAL_FRONT_ACCOUNT = 'local';

/**
 * AZURE_UPLOADS=blob-front: the Blob front on its own port, in front of the embedded S3, before the
 * handlers are built (their config names its URL). Its key is the one the Azure handlers sign with.
 */
async function startFrontIfAsked(options: LocalBrokerOptions, settings: LocalSettings, emulators: Emulators) {
  if (!wantsBlobFront(settings.env)) return undefined;
  const key = await localFrontSigningKey(options.dataDir);
  const server = await startBlobFront({
    host: settings.host,
    port: options.blobFrontPort ?? 0,
    s3Endpoint: emulators.s3Endpoint,
    bucket: settings.env.UPLOAD_BUCKET_NAME!,
    region: settings.env.AWS_REGION!,
    credentials: LOCAL_CREDENTIALS,
    signingKey: key,
    // An IP host: the Azure clients read the first path segment as the account (server.ts `account`).
    account: LOCAL_FRONT_ACCOUNT,
    // The broker's limit (its full config needs this front's URL, which is not known yet).
    maxBlobBytes: loadConfig({ ...settings.env, AZURE_UPLOADS: undefined }).maxUploadBytes,
  });
  return { server, url: server.url, signingKey: async () => key };
}

function readSettings(options: LocalBrokerOptions): LocalSettings {
  const host = options.host ?? '127.0.0.1';
  const env = { AWS_REGION: 'us-east-1', LEASE_TABLE_NAME: 'upload-leases', UPLOAD_BUCKET_NAME: 'upload-lease-broker-local', ...options.env };
  const eventDelayMs = s3EventDelayMs(options.env ?? {});
  const verifySignatures = s3VerifySignatures(options.env?.S3_VERIFY_SIGNATURES);
  const auth = localAuth(options.env ?? {}, options.dataDir);
  if (!verifySignatures) log.warn('S3_VERIFY_SIGNATURES=false: the embedded S3 accepts any signature and expired URLs', {});
  return { host, env, eventDelayMs, verifySignatures, auth };
}

function emulatorOptions(options: LocalBrokerOptions, settings: LocalSettings, onS3Event: (event: S3Event) => Promise<void>): EmulatorOptions {
  return {
    verifySignatures: settings.verifySignatures,
    dataDir: options.dataDir,
    host: settings.host,
    s3Port: options.s3Port ?? 0,
    bucket: settings.env.UPLOAD_BUCKET_NAME!,
    table: settings.env.LEASE_TABLE_NAME!,
    region: settings.env.AWS_REGION!,
    ...(options.deliverS3Events === false ? {} : { onObjectCreated: onS3Event }),
  };
}

function localBroker(local: LocalDeps, url: string, running: RunningBroker, contractsAuth: ContractsAuthSummary | undefined): LocalBroker {
  let closed: Promise<void> | undefined;
  return {
    url,
    s3Endpoint: running.emulators.s3Endpoint,
    dynamoEndpoint: running.emulators.dynamoEndpoint,
    ...(local.config.blobFrontUrl ? { blobFrontUrl: local.config.blobFrontUrl } : {}),
    ...(contractsAuth ? { contractsAuth } : {}),
    config: local.config,
    deps: local.deps,
    sweepNow: running.sweeps.sweepNow,
    eventsFile: local.eventsFile,
    failedEventsFile: local.failedEventsFile,
    eventsSettled: () => settleEvents(running),
    close: () => (closed ??= shutDown(running)),
  };
}
