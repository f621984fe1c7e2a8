import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { BrokerConfig } from '../config.js';

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/**
 * Bounded retries and timeouts keep a request well inside the API Lambda's timeout:
 * at most 3 attempts x (1 s connect + 1.5 s response) plus backoff, about 5 s in the worst case.
 * Without throwOnRequestTimeout the SDK only logs a slow response and waits on.
 */
export const REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true } as const;
export const MAX_ATTEMPTS = 3;

export interface RequestTimeouts {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly throwOnRequestTimeout: true;
}

const common = (config: BrokerConfig, credentials?: Credentials, timeouts: RequestTimeouts = REQUEST_HANDLER) => ({
  region: config.region,
  maxAttempts: MAX_ATTEMPTS,
  requestHandler: timeouts,
  ...(credentials ? { credentials } : {}),
});

/** Created once per cold start, at module scope of each Lambda. */
export function createDynamoClient(config: BrokerConfig, credentials?: Credentials, timeouts?: RequestTimeouts): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...common(config, credentials, timeouts), ...(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Only the S3 event Lambda and the sweep talk to S3; the API Lambdas presign without a client. */
export function createS3Client(config: BrokerConfig, credentials?: Credentials, timeouts?: RequestTimeouts): S3Client {
  return new S3Client({
    ...common(config, credentials, timeouts),
    // No x-amz-checksum-* parameters on calls that don't need them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
  });
}

/** The API Lambdas' KMS client in AUTH=contracts mode: decrypts access-key secrets (shared/auth/stored-credentials.ts). */
export function createKmsClient(config: BrokerConfig, credentials?: Credentials, timeouts?: RequestTimeouts): KMSClient {
  return new KMSClient(common(config, credentials, timeouts));
}
