/**
 * The one list of contracts. The CDK stack (routes, one Lambda per surface), the local server, the
 * OpenAPI document, the validator build and the bench all derive what they need from it.
 */
import { alibabaContractSpec } from './alibaba/operations.js';
import { azureContractSpec } from './azure/operations.js';
import { leasesContractSpec } from './leases/operations.js';
import type { OperationSpec, Surface } from '../api/operation.js';

export const CONTRACTS = [azureContractSpec, alibabaContractSpec, leasesContractSpec] as const;

type AnyOperation = (typeof CONTRACTS)[number]['operations'][number];
export type OperationId = AnyOperation['id'];

export const OPERATIONS: readonly (OperationSpec & { readonly id: OperationId })[] = CONTRACTS.flatMap(
  (c): readonly (OperationSpec & { readonly id: OperationId })[] => c.operations,
);

export const operationsOf = (surface: Surface) => OPERATIONS.filter((op) => op.surface === surface);

export const routeKey = (op: Pick<OperationSpec, 'method' | 'path'>): string => `${op.method} ${op.path}`;
