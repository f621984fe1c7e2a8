/**
 * The one list of contracts. The CDK stack (routes, one Lambda per surface), the local server, the
 * OpenAPI document, the validator build and the bench all derive what they need from it.
 */
import { alibabaContractSpec } from './alibaba/operations.js';
import { azureContractSpec } from './azure/operations.js';
import { leasesContractSpec } from './leases/operations.js';
import type { OperationSpec, Surface } from '../api/operation.js';

export const CONTRACT_SPECS = [azureContractSpec, alibabaContractSpec, leasesContractSpec] as const;

type AnyOperation = (typeof CONTRACT_SPECS)[number]['operations'][number];
export type OperationId = AnyOperation['id'];

export const OPERATIONS: readonly (OperationSpec & { readonly id: OperationId })[] = CONTRACT_SPECS.flatMap(
  (c): readonly (OperationSpec & { readonly id: OperationId })[] => c.operations,
);

/** An operation by its id: tests, fixtures and the bench name the operation they mean, never a position. */
export function operationById(id: OperationId): OperationSpec & { readonly id: OperationId } {
  const op = OPERATIONS.find((o) => o.id === id);
  if (!op) throw new Error(`No operation "${id}" in the registry (shared/contracts/*/operations.ts)`);
  return op;
}

export const operationsOf = (surface: Surface) => OPERATIONS.filter((op) => op.surface === surface);

export const routeKey = (op: Pick<OperationSpec, 'method' | 'path'>): string => `${op.method} ${op.path}`;
