import { loadConfig } from '../../shared/config.js';
import { alibabaHandlers } from '../../shared/contracts/alibaba/index.js';
import { alibabaOperations } from '../../shared/contracts/alibaba/operations.js';
import { surfaceHandler } from '../../shared/http/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const deps = createBrokerDeps(loadConfig());

/** Every alibaba operation of the registry (shared/contracts/registry.ts), routed inside by @middy/http-router. */
export const handler = surfaceHandler(alibabaOperations, alibabaHandlers, deps);
