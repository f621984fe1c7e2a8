/**
 * Where `npm run access-keys` keeps access keys and Azure grants: JSON files for the local mode
 * (ACCESS_KEYS_FILE, AZURE_GRANTS_FILE), or the deployed stack's table with secrets encrypted under its
 * KMS key (the layout shared/auth/stored-credentials.ts reads).
 */
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { accessKeyItemId, encryptionContextFor, grantItemId } from '../shared/auth/stored-credentials.js';

export interface KeyListing {
  readonly AccessKeyId: string;
  readonly Workspaces: readonly string[];
  readonly CreatedAt?: string;
}

export interface CreatedKey {
  readonly AccessKeyId: string;
  readonly AccessKeySecret: string;
  readonly Workspaces: readonly string[];
}

export interface GrantEntry {
  readonly principal: string;
  readonly subscriptions: readonly string[];
  readonly registries: readonly string[];
}

export interface CredentialStore {
  createKey(workspaces: readonly string[]): Promise<CreatedKey>;
  listKeys(): Promise<KeyListing[]>;
  /** False when no such key exists. */
  revokeKey(accessKeyId: string): Promise<boolean>;
  putGrant(grant: GrantEntry): Promise<void>;
  revokeGrant(principal: string): Promise<boolean>;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Random from node:crypto, never Math.random: the secret is a credential. */
const randomText = (length: number) => Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
export const newAccessKey = (workspaces: readonly string[]): CreatedKey => ({
  AccessKeyId: `LTAI${randomText(20)}`,
  AccessKeySecret: randomText(30),
  Workspaces: [...workspaces],
});

function readJsonArray<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(value)) throw new Error(`${path} must hold a JSON array`);
  return value as T[];
}

/** The local mode's files; the keys file holds secrets in plain text, as a local development file may. */
export function fileStore(keysFile: string | undefined, grantsFile: string | undefined): CredentialStore {
  const keys = () => {
    if (!keysFile) throw new Error('name the keys file with --keys-file (the local mode reads it from ACCESS_KEYS_FILE)');
    return keysFile;
  };
  const grants = () => {
    if (!grantsFile) throw new Error('name the grants file with --grants-file (the local mode reads it from AZURE_GRANTS_FILE)');
    return grantsFile;
  };
  const write = (path: string, value: unknown) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  return {
    async createKey(workspaces) {
      const key = newAccessKey(workspaces);
      write(keys(), [...readJsonArray<CreatedKey>(keys()), key]);
      return key;
    },
    async listKeys() {
      return readJsonArray<CreatedKey>(keys()).map(({ AccessKeyId, Workspaces }) => ({ AccessKeyId, Workspaces }));
    },
    async revokeKey(accessKeyId) {
      const all = readJsonArray<CreatedKey>(keys());
      const kept = all.filter((k) => k.AccessKeyId !== accessKeyId);
      write(keys(), kept);
      return kept.length < all.length;
    },
    async putGrant(grant) {
      write(grants(), [...readJsonArray<GrantEntry>(grants()).filter((g) => g.principal !== grant.principal), grant]);
    },
    async revokeGrant(principal) {
      const all = readJsonArray<GrantEntry>(grants());
      const kept = all.filter((g) => g.principal !== principal);
      write(grants(), kept);
      return kept.length < all.length;
    },
  };
}

/** The index of access key ids, so listing needs no table scan. */
const KEY_INDEX = 'accesskey-index';

export function stackStore(deps: { ddb: DynamoDBDocumentClient; kms: KMSClient; tableName: string; kmsKeyArn: string; now?: () => number }): CredentialStore {
  const { ddb, kms, tableName } = deps;
  const now = deps.now ?? Date.now;
  return {
    async createKey(workspaces) {
      const key = newAccessKey(workspaces);
      const { CiphertextBlob } = await kms.send(
        new EncryptCommand({ KeyId: deps.kmsKeyArn, Plaintext: Buffer.from(key.AccessKeySecret, 'utf8'), EncryptionContext: encryptionContextFor(key.AccessKeyId) }),
      );
      await ddb.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            leaseId: accessKeyItemId(key.AccessKeyId),
            secretCiphertext: Buffer.from(CiphertextBlob!).toString('base64'),
            workspaces: [...workspaces],
            createdAt: new Date(now()).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(leaseId)',
        }),
      );
      await ddb.send(new UpdateCommand({ TableName: tableName, Key: { leaseId: KEY_INDEX }, UpdateExpression: 'ADD ids :id', ExpressionAttributeValues: { ':id': new Set([key.AccessKeyId]) } }));
      return key;
    },
    async listKeys() {
      const index = await ddb.send(new GetCommand({ TableName: tableName, Key: { leaseId: KEY_INDEX }, ConsistentRead: true }));
      const ids = [...((index.Item?.ids as Set<string> | undefined) ?? [])].sort();
      const listed: KeyListing[] = [];
      for (const id of ids) {
        const item = (await ddb.send(new GetCommand({ TableName: tableName, Key: { leaseId: accessKeyItemId(id) }, ConsistentRead: true }))).Item;
        if (item) listed.push({ AccessKeyId: id, Workspaces: item.workspaces as string[], CreatedAt: item.createdAt as string });
      }
      return listed;
    },
    async revokeKey(accessKeyId) {
      const out = await ddb.send(new DeleteCommand({ TableName: tableName, Key: { leaseId: accessKeyItemId(accessKeyId) }, ReturnValues: 'ALL_OLD' }));
      await ddb.send(new UpdateCommand({ TableName: tableName, Key: { leaseId: KEY_INDEX }, UpdateExpression: 'DELETE ids :id', ExpressionAttributeValues: { ':id': new Set([accessKeyId]) } }));
      return out.Attributes !== undefined;
    },
    async putGrant(grant) {
      await ddb.send(
        new PutCommand({ TableName: tableName, Item: { leaseId: grantItemId(grant.principal), subscriptions: [...grant.subscriptions], registries: [...grant.registries] } }),
      );
    },
    async revokeGrant(principal) {
      const out = await ddb.send(new DeleteCommand({ TableName: tableName, Key: { leaseId: grantItemId(principal) }, ReturnValues: 'ALL_OLD' }));
      return out.Attributes !== undefined;
    },
  };
}
