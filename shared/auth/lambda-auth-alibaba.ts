import { createKmsClient } from '../adapters/clients.js';
import { alibabaAuthenticator } from './alibaba.js';
import { requireEnv, type SchemeFactory } from './lambda-auth.js';
import { createDynamoNonceStore } from './nonces.js';
import { storedAccessKeys } from './stored-credentials.js';

/**
 * ACS3 signatures by the keys stored in the table, secrets decrypted with the stack's KMS key, made for
 * the API's own domain (API Gateway routes by Host, so that is the only name a request arrives under).
 */
export const alibabaFromStack: SchemeFactory = ({ ddb, config, clock }, env) => {
  requireEnv(env, ['ACCESS_KEYS_KMS_KEY_ARN']);
  // The DynamoDB client's credentials: in Lambda, the role's, from the environment.
  const kms = createKmsClient(config, ddb.config.credentials);
  const keys = storedAccessKeys({ ddb, kms, tableName: config.tableName, kmsKeyArn: env.ACCESS_KEYS_KMS_KEY_ARN! });
  return alibabaAuthenticator({ keys, nonces: createDynamoNonceStore(ddb, config.tableName), clock });
};
