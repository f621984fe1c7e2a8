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

const form = (body: string) => () => ({ body, contentType: 'application/x-www-form-urlencoded' });
const json = (body: string) => () => ({ body, contentType: 'application/json' });

/**
 * A well-formed request body per operation (a refusal must then not be a validation error), naming
 * this lease and this codeUri where an operation takes them. The one list the registry walks use
 * (attacks.test.ts, fuzz-auth.test.ts): a new operation is a type error here until it has one.
 */
export function sampleBodies(names: { readonly leaseId: string; readonly codeUri: string }): OperationBodies {
  return {
    ApplyFileUploadLease: form('FileName=a.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=1'),
    AddFile: form(`LeaseId=${encodeURIComponent(names.leaseId)}&Parser=DASHSCOPE_DOCMIND&CategoryId=default`),
    DescribeFile: () => ({}),
    DeleteFile: () => ({}),
    AzureWorkspaceCodeVersionStartPendingUpload: json('{}'),
    AzureRegistryCodeVersionStartPendingUpload: json('{}'),
    AzureWorkspaceCodeVersionCreateOrUpdate: json(JSON.stringify({ properties: { codeUri: names.codeUri } })),
    AzureRegistryCodeVersionCreateOrUpdate: json(JSON.stringify({ properties: { codeUri: names.codeUri } })),
    AzureWorkspaceCodeVersionGet: () => ({}),
    AzureRegistryCodeVersionGet: () => ({}),
    GetLease: () => ({}),
    ConsumeLease: json('{}'),
  };
}

/** The operation's route template (from the registry) with these path values, as given (already encoded). */
export function pathOf(op: Pick<OperationSpec, 'id' | 'path'>, values: Readonly<Record<string, string>>): string {
  return op.path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => {
    if (values[name] === undefined) throw new Error(`no value for {${name}} of ${op.id}`);
    return values[name]!;
  });
}

/** The operation's route with these path values, its required query, and its sample body. */
export function requestFor(op: OperationSpec & { id: OperationId }, values: Readonly<Record<string, string>>, bodies: OperationBodies): OperationRequest {
  const path = pathOf(op, values);
  const query = (op.doc.query ?? []).some((q) => (q as { name: string }).name === 'api-version') ? `?api-version=${API_VERSION}` : '';
  const { body, contentType } = bodies[op.id]();
  return { method: op.method, path: path + query, ...(contentType ? { headers: { 'content-type': contentType } } : {}), ...(body !== undefined ? { body } : {}) };
}

/** Each surface's error document. */
export const ERROR_FORMAT: Record<Surface, (json: unknown) => void> = { alibaba: expectAlibabaError, azure: expectArmError, leases: expectBrokerError };
