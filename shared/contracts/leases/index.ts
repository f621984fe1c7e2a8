import type { ContractCode, HandlerMap } from '../../api/contract-code.js';
import { leasesEdge } from './edge.js';
import { consumeLeaseHandler, getLeaseHandler } from './read-and-consume.js';
import type { leasesOperations } from './operations.js';

const handlers = {
  GetLease: getLeaseHandler,
  ConsumeLease: consumeLeaseHandler,
} satisfies HandlerMap<typeof leasesOperations>;

export const leasesContract: ContractCode = { edge: leasesEdge, handlers };
