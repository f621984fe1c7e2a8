import { ConfigError } from '../config.js';
import { followedFile } from './followed-file.js';

/** An Alibaba-style access key: what its holder may sign for, and which workspaces it may use. */
export interface AccessKey {
  readonly accessKeyId: string;
  readonly secret: string;
  readonly workspaces: readonly string[];
}

/** Where keys are looked up. Implementations cache per instance; a revoked key stops working within the cache's lifetime. */
export interface AccessKeyStore {
  find(accessKeyId: string): Promise<AccessKey | undefined>;
}

interface KeyFileEntry {
  AccessKeyId?: unknown;
  AccessKeySecret?: unknown;
  Workspaces?: unknown;
}

/**
 * Keys from a JSON file (local mode's ACCESS_KEYS_FILE): `[{"AccessKeyId","AccessKeySecret","Workspaces":[...]}]`.
 * A malformed file stops the start with a ConfigError naming the entry; a change to it (a revoked key)
 * applies at the key's next use (followed-file.ts).
 */
export function accessKeysFromFile(path: string): AccessKeyStore {
  let current: () => Map<string, AccessKey>;
  try {
    current = followedFile(path, (text) => parseAccessKeys(text, path), new Map<string, AccessKey>());
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`ACCESS_KEYS_FILE ${path} is not readable JSON: ${(error as Error).message}`);
  }
  return { find: async (id) => current().get(id) };
}

function parseAccessKeys(text: string, path: string): Map<string, AccessKey> {
  let entries: KeyFileEntry[];
  try {
    entries = JSON.parse(text) as KeyFileEntry[];
  } catch (error) {
    throw new ConfigError(`ACCESS_KEYS_FILE ${path} is not readable JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new ConfigError(`ACCESS_KEYS_FILE ${path} must hold a JSON array`);
  const keys = new Map<string, AccessKey>();
  entries.forEach((e, i) => {
    const ok =
      typeof e.AccessKeyId === 'string' && e.AccessKeyId !== '' &&
      typeof e.AccessKeySecret === 'string' && e.AccessKeySecret.length >= 16 &&
      Array.isArray(e.Workspaces) && e.Workspaces.every((w) => typeof w === 'string' && w !== '');
    if (!ok) throw new ConfigError(`ACCESS_KEYS_FILE ${path}, entry ${i}: needs AccessKeyId, AccessKeySecret (16+ characters) and Workspaces (strings)`);
    keys.set(e.AccessKeyId as string, { accessKeyId: e.AccessKeyId as string, secret: e.AccessKeySecret as string, workspaces: e.Workspaces as string[] });
  });
  return keys;
}
