import type { HandlerMap } from '../handlers.js';
import { consumeLeaseHandler, getLeaseHandler } from './handler.js';
import type { leasesOperations } from './operations.js';

export const leasesHandlers = {
  GetLease: getLeaseHandler,
  ConsumeLease: consumeLeaseHandler,
} satisfies HandlerMap<typeof leasesOperations>;
