import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { BrokerConfig } from '../config.js';
import { createPresigner, type UploadPresigner } from '../presign.js';

export interface AwsClients {
  readonly ddb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly presigner: UploadPresigner;
}

/**
 * Bounded retries and timeouts keep a request well inside the API Lambda's timeout:
 * at most 3 attempts x (1 s connect + 1.5 s response) plus backoff, about 5 s in the worst case.
 */
export const REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true } as const;
export const MAX_ATTEMPTS = 3;

/** Created once per cold start, at module scope of each Lambda. */
export function createAwsClients(
  config: BrokerConfig,
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider,
): AwsClients {
  const common = {
    region: config.region,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: REQUEST_HANDLER,
    ...(credentials ? { credentials } : {}),
  };
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, ...(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}) }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const s3 = new S3Client({
    ...common,
    // No x-amz-checksum-* parameters in presigned URLs or on plain calls that don't need them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
  });
  const presigner = createPresigner({
    region: config.region,
    bucket: config.bucketName,
    credentials: s3.config.credentials,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
  });
  return { ddb, s3, presigner };
}
