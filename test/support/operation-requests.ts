import { API_VERSION } from './local-broker.js';
import type { OperationSpec, Surface } from '../../shared/api/operation.js';
import type { OperationId } from '../../shared/contracts/registry.js';
import { expectAlibabaError, expectArmError, expectBrokerError } from './schemas.js';

/** A request as a test sends it. */
export interface OperationRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A request body per operation; a new operation without one is a type error in every test that walks the registry. */
export type OperationBodies = Record<OperationId, () => { body?: string; contentType?: string }>;

/** The operation's route with these path values, its required query, and its sample body. */
export function requestFor(op: OperationSpec & { id: OperationId }, values: Readonly<Record<string, string>>, bodies: OperationBodies): OperationRequest {
  const path = op.path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => {
    if (values[name] === undefined) throw new Error(`no value for {${name}} of ${op.id}`);
    return values[name]!;
  });
  const query = (op.doc.query ?? []).some((q) => (q as { name: string }).name === 'api-version') ? `?api-version=${API_VERSION}` : '';
  const { body, contentType } = bodies[op.id]();
  return { method: op.method, path: path + query, ...(contentType ? { headers: { 'content-type': contentType } } : {}), ...(body !== undefined ? { body } : {}) };
}

/** Each surface's error document. */
export const ERROR_FORMAT: Record<Surface, (json: unknown) => void> = { alibaba: expectAlibabaError, azure: expectArmError, leases: expectBrokerError };
