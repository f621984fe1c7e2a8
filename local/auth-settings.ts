import { chmodSync, existsSync, statSync } from 'node:fs';
import { accessKeysFromFile } from '../shared/auth/access-keys.js';
import { alibabaAuthenticator, apiHostsFrom } from '../shared/auth/alibaba.js';
import { azureAuthenticator } from '../shared/auth/azure.js';
import { azureGrantsFromFile } from '../shared/auth/azure-grants.js';
import { contractAuth, type ContractAuth } from '../shared/auth/contract-auth.js';
import { createDynamoNonceStore } from '../shared/auth/nonces.js';
import { ConfigError } from '../shared/config.js';
import type { createBrokerDeps } from '../shared/runtime.js';
import { accessKeysFileIn, azureGrantsFileIn } from './data-files.js';
import { DEV_AUDIENCE } from './dev-issuer/server.js';
import { OWNER_ONLY, writeOwnerOnly } from './owner-only-file.js';

type AuthFactory = NonNullable<NonNullable<Parameters<typeof createBrokerDeps>[1]>['auth']>;

/** What AUTH=contracts asks for, read and checked before anything starts. */
export interface LocalAuthPlan {
  /** The files keys and grants are read from (followed: changes apply without a restart). */
  readonly keysFile: string;
  readonly grantsFile: string;
  /** JWT_ISSUER, or undefined for the development issuer (its URL is known once it listens). */
  readonly issuer?: string;
  readonly audience: string;
  /** JWT_ISSUER=dev: the broker starts the development issuer (local/dev-issuer) for this audience. */
  readonly devIssuer?: { readonly audience: string };
  /** The authenticators, given the development issuer's URL when there is one. */
  build(devIssuerUrl?: string): AuthFactory;
}

/** AUTH=contracts JWT_ISSUER=dev: the broker runs the development issuer (npm start reads its port only then). */
export const wantsDevIssuer = (env: Readonly<Record<string, string | undefined>>): boolean => env.AUTH === 'contracts' && env.JWT_ISSUER === 'dev';

/**
 * AUTH=none (the default: the quick start needs no credentials) or AUTH=contracts: each contract's own
 * scheme, with keys from ACCESS_KEYS_FILE and Azure grants from AZURE_GRANTS_FILE (default: the files
 * `npm run access-keys -- --local` writes in DATA_DIR, made empty when missing), and tokens from the OIDC issuer JWT_ISSUER for
 * the audience JWT_AUDIENCE (http://127.0.0.1 issuers allowed here only), or from the development
 * issuer with JWT_ISSUER=dev (audience default ARM's). ACS3 signatures must be made for this server
 * (see localDomainName in apigw.ts) or a host of API_HOSTS.
 * Everything is read at start; anything missing or malformed stops the start with its name.
 */
export function localAuth(env: Readonly<Record<string, string | undefined>>, dataDir: string): LocalAuthPlan | undefined {
  const mode = env.AUTH || 'none';
  if (mode === 'none') return undefined;
  if (mode !== 'contracts') throw new ConfigError(`AUTH must be "none" or "contracts", got "${mode}"`);
  const issuer = env.JWT_ISSUER;
  if (!issuer) {
    throw new ConfigError('AUTH=contracts needs JWT_ISSUER: an OIDC issuer URL (with JWT_AUDIENCE), or JWT_ISSUER=dev for the embedded development issuer (npm run dev-token prints its tokens)');
  }
  const dev = wantsDevIssuer(env);
  if (!dev && !/^https?:\/\/[^/\s]+/.test(issuer)) throw new ConfigError(`JWT_ISSUER must be an http(s) issuer URL, or dev for the development issuer, got "${issuer}"`);
  if (!dev && !env.JWT_AUDIENCE) throw new ConfigError(`AUTH=contracts with JWT_ISSUER=${issuer} needs JWT_AUDIENCE (the audience its tokens carry)`);
  const audience = env.JWT_AUDIENCE || DEV_AUDIENCE;
  const keysFile = credentialsFile('ACCESS_KEYS_FILE', env.ACCESS_KEYS_FILE, accessKeysFileIn(dataDir));
  const grantsFile = credentialsFile('AZURE_GRANTS_FILE', env.AZURE_GRANTS_FILE, azureGrantsFileIn(dataDir));
  const keys = accessKeysFromFile(keysFile);
  const grants = azureGrantsFromFile(grantsFile);
  return {
    keysFile,
    grantsFile,
    ...(dev ? {} : { issuer }),
    audience,
    ...(dev ? { devIssuer: { audience } } : {}),
    build(devIssuerUrl) {
      if (dev && !devIssuerUrl) throw new Error('JWT_ISSUER=dev: the development issuer was not started');
      const azure = azureAuthenticator({ issuer: dev ? devIssuerUrl! : issuer, audience, allowHttpIssuer: true }, grants);
      return ({ ddb, config, clock }): ContractAuth =>
        contractAuth(alibabaAuthenticator({ keys, nonces: createDynamoNonceStore(ddb, config.tableName), clock, hosts: apiHostsFrom(env) }), azure);
    },
  };
}

/**
 * The file named by its variable, which must exist; else the default in DATA_DIR, made empty when
 * missing and made owner-only when it is not: the broker starts with no keys or grants and follows the
 * file as `npm run access-keys -- --local` fills it, so the walkthrough can start the broker first.
 */
function credentialsFile(variable: 'ACCESS_KEYS_FILE' | 'AZURE_GRANTS_FILE', named: string | undefined, fallback: string): string {
  if (named) {
    if (!existsSync(named)) {
      const flag = variable === 'ACCESS_KEYS_FILE' ? 'create --keys-file' : 'grant --grants-file';
      throw new ConfigError(`${variable} ${named} does not exist: make it with npm run access-keys -- ${flag} ${named} ..., or unset ${variable} to use ${fallback}`);
    }
    return named;
  }
  if (!existsSync(fallback)) writeOwnerOnly(fallback, '[]\n');
  else if (statSync(fallback).mode & 0o077) chmodSync(fallback, OWNER_ONLY);
  return fallback;
}
