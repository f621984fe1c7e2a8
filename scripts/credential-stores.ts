/**
 * Where `npm run access-keys` keeps access keys and Azure grants: JSON files for the local mode
 * (ACCESS_KEYS_FILE, AZURE_GRANTS_FILE; by default in DATA_DIR, owner-only), or the deployed stack's
 * table with secrets encrypted under its KMS key (the layout shared/auth/stored-credentials.ts reads).
 */
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { accessKeysFromFile } from '../shared/auth/access-keys.js';
import { parseAzureGrants } from '../shared/auth/azure-grants.js';
import { accessKeyItemId, encryptionContextFor, grantItemId } from '../shared/auth/stored-credentials.js';
import { ConfigError } from '../shared/config.js';
import { OWNER_ONLY, writeOwnerOnly } from '../local/owner-only-file.js';

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

/** Owner-only: the keys file holds secrets in plain text (and the grants file says who may do what). */
export const FILE_MODE = OWNER_ONLY;

/** Why a file cannot be read or written, in words (a system error's code), for a one-line error. */
const reason = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'a directory' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of its folder' : (code ?? (error as Error).message);
};

/**
 * The entries of a local file, [] when it does not exist yet. The file is first read as the broker reads
 * it (`check`): one it would refuse is not added to, so a fix is asked for now rather than at its start.
 */
function readEntries<T>(path: string, check: (path: string) => void): T[] {
  if (!existsSync(path)) return [];
  try {
    check(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${error.message} (a broker refuses the whole file: fix it, or move it away, first)`, { cause: error });
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T[];
}

/** Writes a local file owner-only and atomically (local/owner-only-file.ts); a failure is one line naming it. */
function writeLocalFile(path: string, value: unknown): void {
  try {
    writeOwnerOnly(path, `${JSON.stringify(value, null, 2)}\n`);
  } catch (error) {
    throw new ConfigError(`cannot write ${path}: ${reason(error)}`, { cause: error });
  }
}

/** The keys file as the broker reads it (ACCESS_KEYS_FILE): a ConfigError naming the entry it would refuse. */
const checkKeys = (path: string) => void accessKeysFromFile(path);
/** The grants file as the broker reads it (AZURE_GRANTS_FILE). */
const checkGrants = (path: string) => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`AZURE_GRANTS_FILE ${path} is not readable: ${reason(error)}`, { cause: error });
  }
  parseAzureGrants(text, `AZURE_GRANTS_FILE ${path}`);
};

/**
 * The local mode's files (`--local`: in DATA_DIR; or named), written 0600: the keys file holds secrets in
 * plain text, as a local development file may, readable by its owner only.
 */
export function fileStore(keysFile: string | undefined, grantsFile: string | undefined): CredentialStore {
  const keys = () => {
    if (!keysFile) throw new ConfigError('name the keys file: --local (the one in DATA_DIR the broker reads), or --keys-file <path>');
    return keysFile;
  };
  const grants = () => {
    if (!grantsFile) throw new ConfigError('name the grants file: --local (the one in DATA_DIR the broker reads), or --grants-file <path>');
    return grantsFile;
  };
  const readKeys = () => readEntries<CreatedKey>(keys(), checkKeys);
  const readGrants = () => readEntries<GrantEntry>(grants(), checkGrants);
  return {
    async createKey(workspaces) {
      const key = newAccessKey(workspaces);
      writeLocalFile(keys(), [...readKeys(), key]);
      return key;
    },
    async listKeys() {
      return readKeys().map(({ AccessKeyId, Workspaces }) => ({ AccessKeyId, Workspaces }));
    },
    async revokeKey(accessKeyId) {
      const all = readKeys();
      const kept = all.filter((k) => k.AccessKeyId !== accessKeyId);
      if (kept.length < all.length) writeLocalFile(keys(), kept);
      return kept.length < all.length;
    },
    async putGrant(grant) {
      writeLocalFile(grants(), [...readGrants().filter((g) => g.principal !== grant.principal), grant]);
    },
    async revokeGrant(principal) {
      const all = readGrants();
      const kept = all.filter((g) => g.principal !== principal);
      if (kept.length < all.length) writeLocalFile(grants(), kept);
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
