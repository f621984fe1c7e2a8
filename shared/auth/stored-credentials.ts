import { DecryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDependencyError } from '../adapters/dependency-errors.js';
import { DependencyError } from '../errors.js';
import type { AccessKey, AccessKeyStore } from './access-keys.js';
import type { AzureGrant, AzureGrants } from './azure-grants.js';

/**
 * The deployed stack's access keys and Azure grants, as items of the lease table (written by
 * `npm run access-keys`): `accesskey#<AccessKeyId>` holds the secret encrypted under the stack's KMS key
 * (the key id as encryption context, so a ciphertext cannot be moved to another key id) and the
 * workspaces; `grant#<principal>` holds subscriptions and registries. Nothing secret is in a template or
 * an environment variable. Each Lambda instance caches what it read for CACHE_MS: a revoked key or
 * changed grant takes effect within that time.
 */
export const CACHE_MS = 5 * 60 * 1000;

export const accessKeyItemId = (accessKeyId: string) => `accesskey#${accessKeyId}`;
export const grantItemId = (principal: string) => `grant#${principal}`;
export const encryptionContextFor = (accessKeyId: string) => ({ accessKeyId });

/** At most this many ids per instance: unauthenticated input picks the ids, so the cache must not grow with it. */
export const CACHE_ENTRIES = 1000;

function cached<T>(load: (id: string) => Promise<T>, now: () => number): (id: string) => Promise<T> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, { value: Promise<T>; at: number }>();
  return (id) => {
    const hit = entries.get(id);
    if (hit && now() - hit.at < CACHE_MS) {
      entries.delete(id);
      entries.set(id, hit);
      return hit.value;
    }
    const value = load(id);
    entries.delete(id);
    entries.set(id, { value, at: now() });
    if (entries.size > CACHE_ENTRIES) entries.delete(entries.keys().next().value!);
    value.catch(() => entries.delete(id)); // failures are not cached
    return value;
  };
}

async function getItem(ddb: DynamoDBDocumentClient, tableName: string, id: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await ddb.send(new GetCommand({ TableName: tableName, Key: { leaseId: id }, ConsistentRead: true }))).Item;
  } catch (error) {
    throw toDependencyError('dynamodb', error);
  }
}

export function storedAccessKeys(deps: { ddb: DynamoDBDocumentClient; kms: KMSClient; tableName: string; kmsKeyArn: string; now?: () => number }): AccessKeyStore {
  const find = cached(async (accessKeyId): Promise<AccessKey | undefined> => {
    const item = await getItem(deps.ddb, deps.tableName, accessKeyItemId(accessKeyId));
    if (!item || typeof item.secretCiphertext !== 'string' || !Array.isArray(item.workspaces)) return undefined;
    let plaintext: Uint8Array | undefined;
    try {
      ({ Plaintext: plaintext } = await deps.kms.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(item.secretCiphertext, 'base64'), KeyId: deps.kmsKeyArn, EncryptionContext: encryptionContextFor(accessKeyId) }),
      ));
    } catch (error) {
      throw new DependencyError('kms', (error as { $retryable?: unknown }).$retryable !== undefined, { cause: error });
    }
    return { accessKeyId, secret: Buffer.from(plaintext!).toString('utf8'), workspaces: item.workspaces as string[] };
  }, deps.now ?? Date.now);
  return { find };
}

export function storedAzureGrants(deps: { ddb: DynamoDBDocumentClient; tableName: string; now?: () => number }): AzureGrants {
  const grantFor = cached(async (principal): Promise<AzureGrant | undefined> => {
    const item = await getItem(deps.ddb, deps.tableName, grantItemId(principal));
    if (!item) return undefined;
    const lower = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string').map((s) => s.toLowerCase()) : []);
    return { principal, subscriptions: lower(item.subscriptions), registries: lower(item.registries) };
  }, deps.now ?? Date.now);
  return { grantFor };
}
