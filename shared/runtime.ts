import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { createDynamoClient, createS3Client, type Credentials, type RequestTimeouts } from './adapters/clients.js';
import { systemClock, type Clock } from './clock.js';
import { declaresContentType } from './ids.js';
import type { UploadDeps } from './lease/uploads.js';
import { ConfigError, type BrokerConfig } from './config.js';
import { blobFrontContainers } from './contracts/azure/blob-front.js';
import type { BrokerDeps } from './api/deps.js';
import { OPEN_AUTH, type ContractAuth } from './auth/contract-auth.js';
import { createNameClaims } from './adapters/name-claims.js';
import { createLeaseStore } from './adapters/lease-store.js';
import { createPresigner } from './adapters/presign.js';
import { createDynamoRateLimiter } from './adapters/rate-limit.js';
import { createObjectStore } from './adapters/object-store.js';
import type { ObjectStore } from './lease/ports.js';
import { createPresignedObjects, type SendRequest } from './adapters/presigned-objects.js';

/** The handlers' deps on AWS: the DynamoDB client they were built on (the nonces, tests and the bench use it). */
export interface RuntimeDeps extends BrokerDeps {
  readonly ddb: DynamoDBDocumentClient;
}

/** Everything an API Lambda needs, built once at cold start; tests and the local mode pass their own clock/credentials. */
export function createBrokerDeps(
  config: BrokerConfig,
  options: {
    clock?: Clock;
    credentials?: Credentials;
    timeouts?: RequestTimeouts;
    /** How the presigned object calls are sent (default fetch); tests record them. */
    send?: SendRequest;
    /** The contracts' own authentication, built on the same DynamoDB client (nonces) and clock. */
    auth?: (parts: { ddb: DynamoDBDocumentClient; config: BrokerConfig; clock: Clock }) => ContractAuth;
    /** The Blob front's SAS signing key (only the Azure surface mints container SAS tokens). */
    frontSigningKey?: () => Promise<string>;
  } = {},
): RuntimeDeps {
  const ddb = createDynamoClient(config, options.credentials, options.timeouts);
  const clock = options.clock ?? systemClock;
  // Signed with the same (role) credentials the DynamoDB client resolves; no S3 client needed.
  const presigner = createPresigner({
    region: config.region,
    bucket: config.bucketName,
    credentials: ddb.config.credentials,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
  });
  return {
    ddb,
    config,
    clock,
    store: createLeaseStore(ddb, config.tableName, config.dueShards),
    presigner,
    ...(config.blobFrontUrl ? { containers: blobFrontContainers({ url: config.blobFrontUrl, signingKey: options.frontSigningKey ?? noSigningKey }) } : {}),
    objects: createPresignedObjects(presigner, { now: () => clock.now(), ...(options.timeouts ? { timeouts: options.timeouts } : {}), ...(options.send ? { send: options.send } : {}) }),
    alibabaRateLimiter: createDynamoRateLimiter(ddb, config.tableName, config.alibabaRateLimitPerSecond),
    claims: createNameClaims(ddb, config.tableName),
    auth: options.auth?.({ ddb, config, clock }) ?? OPEN_AUTH,
  };
}

/** Lambdas that mint no container SAS still name containers (code version URIs, lease views). */
const noSigningKey = (): Promise<string> => Promise.reject(new ConfigError('This function has no Blob front signing key (BLOB_FRONT_KEY_SECRET_ARN)'));

export interface ObjectDeps extends RuntimeDeps {
  readonly s3: S3Client;
  readonly objects: ObjectStore;
  readonly declaresContentType: UploadDeps['declaresContentType'];
}

/** The S3 event Lambda and the sweep also delete and inspect objects. */
export function withObjects(deps: RuntimeDeps, credentials?: Credentials, timeouts?: RequestTimeouts): ObjectDeps {
  const s3 = createS3Client(deps.config, credentials, timeouts);
  return { ...deps, s3, objects: createObjectStore(s3, deps.config.bucketName), declaresContentType };
}
