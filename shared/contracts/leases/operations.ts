import { brokerErrorSchema, leasePathSchema, leaseViewSchema } from '../../schemas/leases.js';
import type { ContractSpec, OperationSpec } from '../operation.js';

export const leasesOperations = [
  {
    id: 'GetLease',
    method: 'GET',
    path: '/leases/{leaseId}',
    surface: 'leases',
    validators: { validateLeasePath: leasePathSchema },
    doc: { pathSchema: leasePathSchema, okSchema: leaseViewSchema, extraResponses: { '404': 'Unknown or removed lease' } },
  },
] as const satisfies readonly OperationSpec[];

export const leasesContractSpec = {
  name: 'leases',
  tag: 'Leases',
  errorSchema: brokerErrorSchema,
  operations: leasesOperations,
} as const satisfies ContractSpec;
