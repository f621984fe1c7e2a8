/**
 * Descriptions of the HTTP API and its Lambdas, derived from the operation registry so they still
 * name what is deployed after a contract gains an operation.
 */
import type { Surface } from '../shared/api/operation.js';
import { CONTRACT_SPECS, operationsOf } from '../shared/contracts/registry.js';

/** CloudFormation rejects a longer AWS::Lambda::Function Description. */
export const LAMBDA_DESCRIPTION_MAX_LENGTH = 256;

export const HTTP_API_DESCRIPTION = `Upload-lease broker; contracts: ${CONTRACT_SPECS.map((c) => c.tag).join(', ')}`;

/** e.g. 'Alibaba Model Studio contract: ApplyFileUploadLease, AddFile, …'. */
export function apiFunctionDescription(surface: Surface): string {
  const contracts = CONTRACT_SPECS.filter((c) => c.operations.some((op) => op.surface === surface)).map((c) => c.tag);
  return describeOperations(contracts, operationsOf(surface).map((op) => op.id));
}

/** Lists the operation ids; when they no longer fit CloudFormation's limit, counts them instead. */
export function describeOperations(contracts: readonly string[], operationIds: readonly string[]): string {
  const subject = `${contracts.join(', ')} contract${contracts.length > 1 ? 's' : ''}`;
  const listed = `${subject}: ${operationIds.join(', ')}`;
  if (listed.length <= LAMBDA_DESCRIPTION_MAX_LENGTH) return listed;
  return `${subject}: ${operationIds.length} operations (see shared/contracts/registry.ts)`;
}
