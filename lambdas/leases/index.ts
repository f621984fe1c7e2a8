import { alibabaFromStack } from '../../shared/auth/lambda-auth-alibaba.js';
import { azureFromStack } from '../../shared/auth/lambda-auth-azure.js';
import { lambdaAuth } from '../../shared/auth/lambda-auth.js';
import { loadConfig } from '../../shared/config.js';
import { leasesContract } from '../../shared/contracts/leases/index.js';
import { leasesOperations } from '../../shared/contracts/leases/operations.js';
import { surfaceHandler } from '../../shared/api/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const auth = lambdaAuth(process.env, { alibaba: alibabaFromStack, azure: azureFromStack });
const deps = createBrokerDeps(loadConfig(), auth ? { auth } : {});

/** Every leases operation of the registry (shared/contracts/registry.ts), routed inside by @middy/http-router. */
export const handler = surfaceHandler(leasesOperations, leasesContract, deps);
