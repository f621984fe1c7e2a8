import { loadConfig } from '../../shared/config.js';
import { getLeaseHandler } from '../../shared/contracts/leases/handler.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const deps = createBrokerDeps(loadConfig());

export const handler = getLeaseHandler(deps);
