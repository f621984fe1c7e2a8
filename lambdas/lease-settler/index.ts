import { loadConfig } from '../../shared/config.js';
import { leaseSettlerHandler } from '../../shared/events/lease-settler.js';
import { createBrokerDeps, withObjects } from '../../shared/runtime.js';

const deps = withObjects(createBrokerDeps(loadConfig()));

/** The lease table's stream: moves consumed files to their permanent key, deletes deleted ones. */
export const handler = leaseSettlerHandler(deps);
