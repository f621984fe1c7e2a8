/**
 * The Blob front's SAS signing key, as the Azure API Lambda reads it: from Secrets Manager (the same
 * secret the deploy copies into the front's KeyValueStore), never from the environment. Cached for
 * five minutes, so a rotated key is used within five minutes without a redeploy of the Lambda.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MAX_ATTEMPTS, REQUEST_HANDLER, type RequestTimeouts } from './clients.js';
import { toDependencyError } from './dependency-errors.js';

export const SIGNING_KEY_CACHE_MS = 5 * 60_000;

export interface FrontSigningKeyOptions {
  readonly secretArn: string;
  /** One per cold start; the default is bounded like every other broker client (clients.ts). */
  readonly client?: SecretsManagerClient;
  readonly now?: () => number;
}

/** A Secrets Manager client with the broker's bounded retries and timeouts (the region is Lambda's AWS_REGION). */
export function createSecretsClient(timeouts: RequestTimeouts = REQUEST_HANDLER): SecretsManagerClient {
  return new SecretsManagerClient({ maxAttempts: MAX_ATTEMPTS, requestHandler: timeouts });
}

/** The secret's string value; an empty or binary secret is a deployment fault, not a key. */
export async function readSecretString(client: SecretsManagerClient, secretArn: string): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return SecretString;
}

export function createFrontSigningKey({ secretArn, client, now = Date.now }: FrontSigningKeyOptions): () => Promise<string> {
  let secrets = client;
  let cached: { value: string; until: number } | undefined;
  // Concurrent callers of a cold (or expired) cache share one request.
  let inFlight: Promise<string> | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.value;
    inFlight ??= (async () => {
      try {
        secrets ??= createSecretsClient();
        const value = await readSecretString(secrets, secretArn);
        cached = { value, until: now() + SIGNING_KEY_CACHE_MS };
        return value;
      } catch (error) {
        throw toDependencyError('secretsmanager', error);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
}
