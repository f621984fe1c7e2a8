/**
 * The handlers' dependencies in the local mode: the ones the Lambdas build, pointed at the embedded
 * emulators, with the lease table's stream replaced by a feed the store reports its writes to.
 */
import { join } from 'node:path';
import { FAILED_UPLOAD_EVENTS_FILE } from './failed-events.js';
import type { BrokerDeps } from '../shared/api/deps.js';
import type { Clock } from '../shared/clock.js';
import { loadConfig, type BrokerConfig } from '../shared/config.js';
import { withChangeFeed } from '../shared/lease/changes.js';
import type { LeaseEvent } from '../shared/lease/events.js';
import { createBrokerDeps, withObjects, type ObjectDeps } from '../shared/runtime.js';
import type { LocalAuthPlan } from './auth-settings.js';
import { LOCAL_CREDENTIALS, type Emulators } from './emulators.js';
import { createLocalLeaseFeed, type LocalLeaseFeed } from './lease-feed.js';

/**
 * The embedded emulators share this process and its CPU with everything else: when the machine is busy
 * they answer slowly, not never. The Lambdas' tight timeouts (shared/adapters/clients.ts) are for real
 * services; here they would turn a busy laptop into 500s.
 */
const LOCAL_TIMEOUTS = { connectionTimeout: 10_000, requestTimeout: 30_000, throwOnRequestTimeout: true } as const;

export interface LocalDepsOptions {
  /** The broker's settings as environment variables, local defaults included. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly emulators: Pick<Emulators, 's3Endpoint' | 'dynamoEndpoint'>;
  /** AUTH=contracts: the authenticators, built with the development issuer's URL when there is one. */
  readonly auth: ReturnType<LocalAuthPlan['build']> | undefined;
  readonly clock: Clock | undefined;
  readonly dataDir: string;
  readonly printLeaseEvents: boolean;
  readonly beforeLeaseEventPublish: ((event: LeaseEvent) => void | Promise<void>) | undefined;
  /** The local Blob front's key, when it runs (server.ts). */
  readonly frontSigningKey?: (() => Promise<string>) | undefined;
}

export interface LocalDeps {
  readonly config: BrokerConfig;
  /** For the S3 event handler and the sweep: an S3 client, and the store that reports its changes. */
  readonly deps: ObjectDeps;
  /** For the API handlers: object calls sent as presigned requests, as the API Lambdas send them (no S3 client). */
  readonly apiDeps: BrokerDeps;
  readonly leaseFeed: LocalLeaseFeed;
  /** `$DATA_DIR/events.jsonl`. */
  readonly eventsFile: string;
  /** `$DATA_DIR/failed-upload-events.jsonl`: S3 events parked after their retries (failed-events.ts). */
  readonly failedEventsFile: string;
}

export function createLocalDeps(options: LocalDepsOptions): LocalDeps {
  const { emulators, auth, clock } = options;
  const config = loadConfig({ ...options.env, AWS_ENDPOINT_URL_S3: emulators.s3Endpoint, AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint });
  const brokerDeps = createBrokerDeps(config, {
    credentials: LOCAL_CREDENTIALS,
    timeouts: LOCAL_TIMEOUTS,
    ...(clock ? { clock } : {}),
    ...(auth ? { auth } : {}),
    ...(options.frontSigningKey ? { frontSigningKey: options.frontSigningKey } : {}),
  });
  const { deps, leaseFeed, eventsFile } = withLeaseFeed(withObjects(brokerDeps, LOCAL_CREDENTIALS, LOCAL_TIMEOUTS), options);
  const failedEventsFile = join(options.dataDir, FAILED_UPLOAD_EVENTS_FILE);
  return { config, deps, apiDeps: { ...deps, objects: brokerDeps.objects }, leaseFeed, eventsFile, failedEventsFile };
}

/** dynalite has no streams: the store reports its own writes to what the stream drives on AWS. */
function withLeaseFeed(base: ObjectDeps, options: LocalDepsOptions): Pick<LocalDeps, 'deps' | 'leaseFeed' | 'eventsFile'> {
  const eventsFile = join(options.dataDir, 'events.jsonl');
  // The feed settles leases through the store it listens to: it is built once that store exists.
  let feed: LocalLeaseFeed | undefined;
  const deps = {
    ...base,
    store: withChangeFeed(
      base.store,
      (change) => feed!.onChange(change),
      () => base.clock.now(),
      (leaseId, to) => feed!.beforeMove(leaseId, to),
    ),
  };
  feed = createLocalLeaseFeed({
    eventsFile,
    outboxFile: join(options.dataDir, 'lease-outbox.jsonl'),
    bucket: base.config.bucketName,
    region: base.config.region,
    settleDeps: deps,
    print: options.printLeaseEvents,
    beforePublish: options.beforeLeaseEventPublish,
  });
  return { deps, leaseFeed: feed, eventsFile };
}
