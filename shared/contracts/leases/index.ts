import type { HandlerMap } from '../handlers.js';
import { getLeaseHandler } from './handler.js';
import type { leasesOperations } from './operations.js';

export const leasesHandlers = {
  GetLease: getLeaseHandler,
} satisfies HandlerMap<typeof leasesOperations>;
