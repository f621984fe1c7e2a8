import { readFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { ConfigError } from '../../shared/config.js';
import { writeOwnerOnly } from '../owner-only-file.js';

/**
 * The development issuer's state in `$DATA_DIR/dev-issuer.json` (local/data-files.ts), owner-only: its
 * RS256 key (kept across restarts, so tokens printed before a restart still verify after it) and the
 * issuer URL and audience of the broker that last started it, which `npm run dev-token` mints for.
 */
export interface DevIssuerFile {
  readonly kid: string;
  readonly privateJwk: JWK;
  /** Set by the broker at start; absent until a broker has started the issuer once. */
  readonly issuer?: string;
  readonly audience?: string;
}

export interface DevIssuerKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** What the JWKS publishes: the public half only. */
  readonly publicJwk: JWK;
}

export async function readDevIssuerFile(path: string): Promise<DevIssuerFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: DevIssuerFile;
  try {
    value = JSON.parse(text) as DevIssuerFile;
  } catch {
    throw new ConfigError(`${path} is not JSON: delete it and restart the broker (a new key is made; tokens printed before stop verifying)`);
  }
  if (typeof value?.kid !== 'string' || typeof value.privateJwk !== 'object' || value.privateJwk === null) {
    throw new ConfigError(`${path} holds no development key: delete it and restart the broker`);
  }
  return value;
}

export async function writeDevIssuerFile(path: string, value: DevIssuerFile): Promise<void> {
  writeOwnerOnly(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The key of the file there is, or a new one written to it. */
export async function loadOrCreateDevKey(path: string): Promise<{ key: DevIssuerKey; file: DevIssuerFile }> {
  const existing = await readDevIssuerFile(path);
  if (existing) return { key: await keyOf(existing, path), file: existing };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const file: DevIssuerFile = { kid: `dev-${Date.now().toString(36)}`, privateJwk: await exportJWK(privateKey) };
  await writeDevIssuerFile(path, file);
  return { key: await keyOf(file, path), file };
}

export async function keyOf(file: DevIssuerFile, path = 'the development issuer file'): Promise<DevIssuerKey> {
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK({ ...file.privateJwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
  } catch (error) {
    throw new ConfigError(`${path} holds no usable RS256 key (${(error as Error).message}): delete it and restart the broker`, { cause: error });
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = file.privateJwk;
  return { kid: file.kid, privateKey, publicJwk: { ...publicJwk, kid: file.kid, alg: 'RS256', use: 'sig' } };
}
