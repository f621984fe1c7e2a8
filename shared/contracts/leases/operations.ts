import { brokerErrorSchema, consumeRequestSchema, leasePathSchema, leaseViewSchema } from '../../schemas/leases.js';
import type { ContractSpec, OperationSpec } from '../../api/operation.js';

export const leasesOperations = [
  {
    id: 'GetLease',
    method: 'GET',
    path: '/leases/{leaseId}',
    surface: 'leases',
    auth: 'either',
    validators: { validateLeasePath: leasePathSchema },
    doc: { pathSchema: leasePathSchema, okSchema: leaseViewSchema, extraResponses: { '404': 'Unknown or removed lease' } },
  },
  {
    id: 'ConsumeLease',
    method: 'POST',
    path: '/leases/{leaseId}/consume',
    surface: 'leases',
    auth: 'either',
    validators: { validateLeasePath: leasePathSchema, validateConsumeRequest: consumeRequestSchema },
    doc: {
      pathSchema: leasePathSchema,
      okSchema: leaseViewSchema,
      requestBody: { required: false, content: { 'application/json': { schema: { $ref: `#/components/schemas/${consumeRequestSchema.$id}` } } } },
      extraResponses: { '404': 'Unknown or removed lease', '409': 'The lease is not UPLOADED (pending, rejected, expired or already consumed)' },
    },
  },
] as const satisfies readonly OperationSpec[];

export const leasesContractSpec = {
  name: 'leases',
  tag: 'Leases',
  errorSchema: brokerErrorSchema,
  operations: leasesOperations,
} as const satisfies ContractSpec;
