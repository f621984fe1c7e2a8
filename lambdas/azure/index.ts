import { loadConfig } from '../../shared/config.js';
import { azureHandlers } from '../../shared/contracts/azure/index.js';
import { azureOperations } from '../../shared/contracts/azure/operations.js';
import { surfaceHandler } from '../../shared/http/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const deps = createBrokerDeps(loadConfig());

/** Every azure operation of the registry (shared/contracts/registry.ts), routed inside by @middy/http-router. */
export const handler = surfaceHandler(azureOperations, azureHandlers, deps);
