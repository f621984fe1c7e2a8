import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { createAwsClients, type AwsClients } from './aws/clients.js';
import { systemClock, type Clock } from './clock.js';
import type { BrokerConfig } from './config.js';
import type { LeaseEngineDeps } from './lease/engine.js';
import { createLeaseStore } from './lease/store.js';
import { createObjectStore } from './storage.js';
import { createDynamoRateLimiter, type RateLimiter } from './rate-limit.js';

export interface BrokerDeps extends LeaseEngineDeps {
  readonly aws: AwsClients;
  /** Per-workspace limit of the Alibaba contract. */
  readonly alibabaRateLimiter: RateLimiter;
}

/** Everything a Lambda needs, built once at cold start; tests and the local mode pass their own clock/credentials. */
export function createBrokerDeps(
  config: BrokerConfig,
  options: { clock?: Clock; credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider } = {},
): BrokerDeps {
  const aws = createAwsClients(config, options.credentials);
  return {
    aws,
    config,
    clock: options.clock ?? systemClock,
    store: createLeaseStore(aws.ddb, config.tableName),
    presigner: aws.presigner,
    alibabaRateLimiter: createDynamoRateLimiter(aws.ddb, config.tableName, config.alibabaRateLimitPerSecond),
  };
}

/** The event Lambda and the sweep also touch objects. */
export function withObjects(deps: BrokerDeps) {
  return { ...deps, ddb: deps.aws.ddb, objects: createObjectStore(deps.aws.s3, deps.config.bucketName) };
}
