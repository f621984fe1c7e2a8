import { createKmsClient } from '../aws/clients.js';
import type { BrokerConfig } from '../config.js';
import { alibabaAuthenticator } from './alibaba.js';
import { azureAuthenticator } from './azure.js';
import { contractAuth, type ContractAuth } from './contract-auth.js';
import { createDynamoNonceStore } from './nonces.js';
import { storedAccessKeys, storedAzureGrants } from './stored-credentials.js';
import type { Clock } from '../clock.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type AuthFactory = (parts: { ddb: DynamoDBDocumentClient; config: BrokerConfig; clock: Clock }) => ContractAuth;

/**
 * The deployed API Lambdas' authentication, from the environment the stack sets (read once at cold
 * start; a missing value fails it loudly). AUTH unset: the iam/jwt modes, where API Gateway admits
 * callers. AUTH=contracts: each contract's own scheme, keys and grants from the table (stored-credentials.ts).
 */
export function lambdaAuth(env: Readonly<Record<string, string | undefined>>): AuthFactory | undefined {
  const mode = env.AUTH || 'none';
  if (mode === 'none') return undefined;
  if (mode !== 'contracts') throw new Error(`AUTH must be "none" or "contracts", got "${mode}"`);
  const missing = ['JWT_ISSUER', 'JWT_AUDIENCE', 'ACCESS_KEYS_KMS_KEY_ARN'].filter((name) => !env[name]);
  if (missing.length) throw new Error(`AUTH=contracts needs ${missing.join(', ')}`);
  return ({ ddb, config, clock }) => {
    // The DynamoDB client's credentials: in Lambda, the role's, from the environment.
    const kms = createKmsClient(config, ddb.config.credentials);
    const keys = storedAccessKeys({ ddb, kms, tableName: config.tableName, kmsKeyArn: env.ACCESS_KEYS_KMS_KEY_ARN! });
    const azure = azureAuthenticator({ issuer: env.JWT_ISSUER!, audience: env.JWT_AUDIENCE! }, storedAzureGrants({ ddb, tableName: config.tableName }));
    return contractAuth(alibabaAuthenticator({ keys, nonces: createDynamoNonceStore(ddb, config.tableName), clock }), azure);
  };
}
