import { alibabaFromStack } from '../../shared/auth/lambda-auth-alibaba.js';
import { lambdaAuth } from '../../shared/auth/lambda-auth.js';
import { loadConfig } from '../../shared/config.js';
import { alibabaContract } from '../../shared/contracts/alibaba/index.js';
import { alibabaOperations } from '../../shared/contracts/alibaba/operations.js';
import { surfaceHandler } from '../../shared/api/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const auth = lambdaAuth(process.env, { alibaba: alibabaFromStack });
const deps = createBrokerDeps(loadConfig(), auth ? { auth } : {});

/** Every alibaba operation of the registry (shared/contracts/registry.ts), routed inside by @middy/http-router. */
export const handler = surfaceHandler(alibabaOperations, alibabaContract, deps);
