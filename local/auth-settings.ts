import { accessKeysFromFile } from '../shared/auth/access-keys.js';
import { alibabaAuthenticator, apiHostsFrom } from '../shared/auth/alibaba.js';
import { azureAuthenticator } from '../shared/auth/azure.js';
import { azureGrantsFromFile } from '../shared/auth/azure-grants.js';
import { contractAuth, type ContractAuth } from '../shared/auth/contract-auth.js';
import { createDynamoNonceStore } from '../shared/auth/nonces.js';
import type { createBrokerDeps } from '../shared/runtime.js';

type AuthFactory = NonNullable<NonNullable<Parameters<typeof createBrokerDeps>[1]>['auth']>;

/**
 * AUTH=none (the default: the quick start needs no credentials) or AUTH=contracts: each contract's own
 * scheme, with keys from ACCESS_KEYS_FILE, Azure grants from AZURE_GRANTS_FILE and tokens from the
 * OIDC issuer JWT_ISSUER for the audience JWT_AUDIENCE (http://127.0.0.1 issuers allowed here only).
 * ACS3 signatures must be made for this server (see localDomainName in apigw.ts) or a host of API_HOSTS.
 * Everything is read at start; anything missing or malformed stops the start with its name.
 */
export function localAuth(env: Readonly<Record<string, string | undefined>>): AuthFactory | undefined {
  const mode = env.AUTH || 'none';
  if (mode === 'none') return undefined;
  if (mode !== 'contracts') throw new Error(`AUTH must be "none" or "contracts", got "${mode}"`);
  const missing = ['ACCESS_KEYS_FILE', 'AZURE_GRANTS_FILE', 'JWT_ISSUER', 'JWT_AUDIENCE'].filter((name) => !env[name]);
  if (missing.length) throw new Error(`AUTH=contracts needs ${missing.join(', ')}`);
  const keys = accessKeysFromFile(env.ACCESS_KEYS_FILE!);
  const grants = azureGrantsFromFile(env.AZURE_GRANTS_FILE!);
  const azure = azureAuthenticator({ issuer: env.JWT_ISSUER!, audience: env.JWT_AUDIENCE!, allowHttpIssuer: true }, grants);
  return ({ ddb, config, clock }): ContractAuth =>
    contractAuth(alibabaAuthenticator({ keys, nonces: createDynamoNonceStore(ddb, config.tableName), clock, hosts: apiHostsFrom(env) }), azure);
}
