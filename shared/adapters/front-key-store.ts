/**
 * Copies the Blob front's signing key and per-blob size limit into the CloudFront KeyValueStore its
 * viewer-request function reads (infra/blob-front.ts; the deploy-time custom resource in
 * lambdas/blob-front-key calls this). The key comes from Secrets Manager, so it is never in a
 * template, an environment variable or a log line.
 *
 * The KeyValueStore API is signed with SigV4A: the side-effect import registers the JS signer the
 * SDK looks up at run time (without it: "Neither CRT nor JS SigV4a implementation is available").
 */
import '@aws-sdk/signature-v4a';
import { CloudFrontKeyValueStoreClient, DescribeKeyValueStoreCommand, UpdateKeysCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MAX_ATTEMPTS, type RequestTimeouts } from './clients.js';
import { readSecretString } from './front-signing-key.js';

/** The keys the front's functions read (infra/blob-front/viewer-request.js). */
export const FRONT_KEYS = Object.freeze({ signingKey: 'sas-signing-key', maxBlobBytes: 'max-blob-bytes' });

/** Another writer changed the store between our read of its ETag and our write: read again, this often. */
export const ETAG_ATTEMPTS = 3;

export interface FrontKeyValues {
  readonly signingKey: string;
  readonly maxBlobBytes: number;
}

/**
 * Deploy-time calls, not an API request: looser timeouts than the API Lambdas' (clients.ts), still
 * bounded so the custom resource always answers CloudFormation within its Lambda's timeout.
 */
export const DEPLOY_TIME_REQUESTS: RequestTimeouts = { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true };

export function createKeyValueStoreClient(timeouts: RequestTimeouts = DEPLOY_TIME_REQUESTS): CloudFrontKeyValueStoreClient {
  return new CloudFrontKeyValueStoreClient({ maxAttempts: MAX_ATTEMPTS, requestHandler: timeouts });
}

const isEtagConflict = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'ConflictException' || e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 409 || e?.$metadata?.httpStatusCode === 412;
};

/**
 * Both keys in one UpdateKeys call, conditional on the ETag just read (the API requires it): the
 * function never sees a new key with an old limit. Returns the store's new ETag.
 */
export async function putFrontKeys(client: CloudFrontKeyValueStoreClient, kvsArn: string, values: FrontKeyValues): Promise<string> {
  if (!values.signingKey) throw new Error('the signing key is empty');
  if (!Number.isSafeInteger(values.maxBlobBytes) || values.maxBlobBytes < 1) throw new Error(`max-blob-bytes must be a positive integer, got ${values.maxBlobBytes}`);
  const puts = [
    { Key: FRONT_KEYS.signingKey, Value: values.signingKey },
    { Key: FRONT_KEYS.maxBlobBytes, Value: String(values.maxBlobBytes) },
  ];
  for (let attempt = 1; ; attempt++) {
    const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: kvsArn }));
    try {
      const written = await client.send(new UpdateKeysCommand({ KvsARN: kvsArn, IfMatch: ETag, Puts: puts }));
      return written.ETag ?? '';
    } catch (error) {
      if (!isEtagConflict(error) || attempt >= ETAG_ATTEMPTS) throw error;
    }
  }
}

export interface SyncFrontKeysInput {
  readonly secretArn: string;
  readonly kvsArn: string;
  readonly maxBlobBytes: number;
}

/** Reads the key from its secret and writes it, with the limit, into the store. */
export async function syncFrontKeys(
  clients: { readonly secrets: SecretsManagerClient; readonly kvs: CloudFrontKeyValueStoreClient },
  input: SyncFrontKeysInput,
): Promise<string> {
  const signingKey = await readSecretString(clients.secrets, input.secretArn);
  return putFrontKeys(clients.kvs, input.kvsArn, { signingKey, maxBlobBytes: input.maxBlobBytes });
}
