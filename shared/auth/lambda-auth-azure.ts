import { azureAuthenticator } from './azure.js';
import { requireEnv, type SchemeFactory } from './lambda-auth.js';
import { storedAzureGrants } from './stored-credentials.js';

/** Bearer tokens from JWT_ISSUER for JWT_AUDIENCE, grants from the table. */
export const azureFromStack: SchemeFactory = ({ ddb, config }, env) => {
  requireEnv(env, ['JWT_ISSUER', 'JWT_AUDIENCE']);
  return azureAuthenticator({ issuer: env.JWT_ISSUER!, audience: env.JWT_AUDIENCE! }, storedAzureGrants({ ddb, tableName: config.tableName }));
};
