/**
 * The OpenAPI 3.1 description of the whole API, built from the contract registry (its operations and
 * the same JSON Schemas the handlers validate with), so the document cannot drift from the code.
 */
import type { ContractSpec, OperationSpec } from './contracts/operation.js';
import { CONTRACTS } from './contracts/registry.js';

type Schema = { $id: string } & Record<string, unknown>;

/** Components are referenced by their schema $id; the $id itself is dropped inside the document. */
function component(schema: Schema): object {
  const { $id: _id, ...rest } = schema;
  return rest;
}

const ref = (schema: { $id: string }) => ({ $ref: `#/components/schemas/${schema.$id}` });

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

function operation(contract: ContractSpec, op: OperationSpec): object {
  const names = [...op.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]!);
  const error = (description: string, headers?: object) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: ref(contract.errorSchema) } },
  });
  const responses: Record<string, object> = {
    '200': {
      description: 'Success',
      headers: { 'x-lease-id': { description: 'The broker lease id.', schema: { type: 'string' } } },
      content: { 'application/json': { schema: ref(op.doc.okSchema) } },
    },
    '400': error('Invalid request'),
    '500': error('Internal error; nothing was created'),
    '503': error('A dependency is throttled or unavailable', retryAfter),
  };
  if (op.doc.requestBody) responses['415'] = error('Unsupported content type');
  for (const [status, description] of Object.entries(op.doc.extraResponses ?? {})) {
    responses[status] = error(description, status === '429' ? retryAfter : undefined);
  }
  return {
    operationId: op.id,
    tags: [contract.tag],
    parameters: [
      ...names.map((name) => ({ name, in: 'path', required: true, schema: op.doc.pathSchema.properties[name] })),
      ...(op.doc.query ?? []),
    ],
    ...(op.doc.requestBody ? { requestBody: op.doc.requestBody } : {}),
    responses,
  };
}

/** Every schema a document references: request bodies (by their validators), responses and errors. */
function componentSchemas(): Schema[] {
  const byId = new Map<string, Schema>();
  for (const contract of CONTRACTS) {
    byId.set(contract.errorSchema.$id, contract.errorSchema);
    for (const op of contract.operations as readonly OperationSpec[]) {
      byId.set(op.doc.okSchema.$id, op.doc.okSchema);
      for (const schema of Object.values(op.validators)) if (JSON.stringify(op.doc.requestBody ?? {}).includes(`/${schema.$id}"`)) byId.set(schema.$id, schema);
    }
  }
  return [...byId.values()];
}

export function buildOpenApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const contract of CONTRACTS) {
    // Paths as API Gateway has them, its greedy {FileId+} included (its OpenAPI import reads the same).
    for (const op of contract.operations as readonly OperationSpec[]) (paths[op.path] ??= {})[op.method.toLowerCase()] = operation(contract, op);
  }
  const schemas = componentSchemas();
  return {
    openapi: '3.1.0',
    info: {
      title: 'upload-lease-broker',
      version: '1.0.0',
      description: 'Short-lived upload leases on S3 behind the Azure ML startPendingUpload and Alibaba ApplyFileUploadLease contracts.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ sigv4: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(schemas.map((s) => [s.$id, component(s)])),
      securitySchemes: {
        sigv4: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS SigV4 (IAM) by default; a JWT bearer token when the stack is deployed with JWT auth.' },
      },
    },
  };
}
