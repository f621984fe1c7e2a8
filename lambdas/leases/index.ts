import { loadConfig } from '../../shared/config.js';
import { leasesHandlers } from '../../shared/contracts/leases/index.js';
import { leasesOperations } from '../../shared/contracts/leases/operations.js';
import { surfaceHandler } from '../../shared/http/surface.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const deps = createBrokerDeps(loadConfig());

/** Every leases operation of the registry (shared/contracts/registry.ts), routed inside by @middy/http-router. */
export const handler = surfaceHandler(leasesOperations, leasesHandlers, deps);
