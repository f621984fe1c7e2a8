import { azureFromStack } from '../../shared/auth/lambda-auth-azure.js';
import { lambdaAuth } from '../../shared/auth/lambda-auth.js';
import { loadConfig } from '../../shared/config.js';
import { azureContract } from '../../shared/contracts/azure/index.js';
import { azureOperations } from '../../shared/contracts/azure/operations.js';
import { surfaceHandler } from '../../shared/api/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const auth = lambdaAuth(process.env, { azure: azureFromStack });
const deps = createBrokerDeps(loadConfig(), auth ? { auth } : {});

/** Every azure operation of the registry (shared/contracts/registry.ts), routed inside by @middy/http-router. */
export const handler = surfaceHandler(azureOperations, azureContract, deps);
