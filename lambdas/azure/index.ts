import { azureFromStack } from '../../shared/auth/lambda-auth-azure.js';
import { lambdaAuth } from '../../shared/auth/lambda-auth.js';
import { ConfigError, loadConfig } from '../../shared/config.js';
import { azureContract } from '../../shared/contracts/azure/index.js';
import { azureOperations } from '../../shared/contracts/azure/operations.js';
import { createFrontSigningKey } from '../../shared/adapters/front-signing-key.js';
import { surfaceHandler } from '../../shared/api/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const auth = lambdaAuth(process.env, { azure: azureFromStack });
const config = loadConfig();

/** The Blob front's container SAS tokens are signed with the key in Secrets Manager (infra/blob-front-key.ts). */
function frontSigningKey(): { frontSigningKey?: () => Promise<string> } {
  if (config.azureUploads !== 'blob-front') return {};
  const secretArn = process.env.BLOB_FRONT_KEY_SECRET_ARN?.trim();
  if (!secretArn) throw new ConfigError('Missing required environment variable BLOB_FRONT_KEY_SECRET_ARN (AZURE_UPLOADS=blob-front)');
  return { frontSigningKey: createFrontSigningKey({ secretArn }) };
}

const deps = createBrokerDeps(config, { ...(auth ? { auth } : {}), ...frontSigningKey() });

/** Every azure operation of the registry (shared/contracts/registry.ts), routed inside by @middy/http-router. */
export const handler = surfaceHandler(azureOperations, azureContract, deps);
