/**
 * The OpenAPI 3.1 description of the whole API, built from the contract registry (its operations and
 * the same JSON Schemas the handlers validate with), so the document cannot drift from the code.
 */
import type { ContractSpec, OperationSpec } from './api/operation.js';
import { CONTRACT_SPECS } from './contracts/registry.js';
import { ALIBABA_MAX_FILE_BYTES } from './schemas/alibaba.js';
import { DEFAULTS } from './config.js';

type Schema = { $id: string } & Record<string, unknown>;

/**
 * What the server enforces beyond the schema, stated where a client reads the schema: the Alibaba
 * size's upper bound is checked by the handler (its own error code, DataCenter.FileTooLarge).
 */
function documented(schema: Schema): Schema {
  if (schema.$id === 'PendingUploadResponseDto') return withUploadLimits(schema);
  if (schema.$id !== 'ApplyFileUploadLeaseRequest') return schema;
  const properties = schema.properties as Record<string, { anyOf: Array<Record<string, unknown>> }>;
  const size = properties.SizeInBytes!;
  return {
    ...schema,
    properties: {
      ...properties,
      SizeInBytes: {
        ...size,
        description: `Bytes, 1 to ${ALIBABA_MAX_FILE_BYTES}; larger files are refused with DataCenter.FileTooLarge.`,
        anyOf: size.anyOf.map((branch) => (branch.type === 'integer' ? { ...branch, maximum: ALIBABA_MAX_FILE_BYTES } : branch)),
      },
    },
  };
}

const GIB = 1024 ** 3;

/** The Azure upload's two modes and their size limits (MAX_UPLOAD_BYTES), on the fields a client reads. */
function withUploadLimits(schema: Schema): Schema {
  const limit = `MAX_UPLOAD_BYTES (default ${DEFAULTS.maxUploadBytes} bytes, ${DEFAULTS.maxUploadBytes / GIB} GiB)`;
  const ref = (schema.properties as Record<string, { properties: Record<string, { properties?: Record<string, object> }> }>).blobReferenceForConsumption!;
  const credential = ref.properties.credential!;
  return {
    ...schema,
    properties: {
      ...(schema.properties as object),
      blobReferenceForConsumption: {
        ...ref,
        properties: {
          ...ref.properties,
          blobUri: {
            ...ref.properties.blobUri,
            description: 'Default (s3-presigned): the one object to upload. Blob front (blob-front): the container; a code version names it, or a directory in it, as its codeUri.',
          },
          credential: {
            ...credential,
            properties: {
              ...credential.properties,
              sasUri: {
                ...credential.properties!.sasUri,
                description:
                  `Default: a presigned S3 PUT of one object (a single PUT, at most ${limit}). Blob front: a container SAS (sv, sr=c, sp=rcw, se, sig) for HEAD, Put Blob (each blob at most ${limit}) and Set Blob Metadata; ` +
                  `Put Block and Put Block List are refused; the blobs together at most ${limit}, checked when the code version is created (over it: REJECTED, SIZE_LIMIT).`,
              },
            },
          },
        },
      },
    },
  };
}

/** Components are referenced by their schema $id; the $id itself is dropped inside the document. */
function component(schema: Schema): object {
  const { $id: _id, ...rest } = documented(schema);
  return rest;
}

/**
 * How callers authenticate, as the server is set up: nothing (the local mode's default), SigV4 or a
 * JWT at API Gateway, or each contract its own scheme (then per operation).
 */
export type DocumentedAuth = 'none' | 'iam' | 'jwt' | 'contracts';

const SCHEMES = {
  sigv4: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS SigV4 (service execute-api) with IAM credentials allowed execute-api:Invoke.' },
  jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "A JWT from the stack's configured issuer, checked by API Gateway." },
  acs3: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'ACS3-HMAC-SHA256, as the Alibaba Cloud SDKs sign, with an access key of the workspace (x-acs-date, x-acs-signature-nonce, x-acs-content-sha256 signed).',
  },
  azureBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An Entra ID (or configured OIDC) access token, as Azure ML clients send it.' },
} as const;

/** Per operation, from its registry entry; a public operation overrides the document's default with none. */
function securityOf(auth: DocumentedAuth, op: OperationSpec): object[] | undefined {
  if (op.auth === 'public') return auth === 'none' ? undefined : [];
  if (auth !== 'contracts') return undefined;
  return { alibaba: [{ acs3: [] }], azure: [{ azureBearer: [] }], either: [{ acs3: [] }, { azureBearer: [] }] }[op.auth];
}

const ref = (schema: { $id: string }) => ({ $ref: `#/components/schemas/${schema.$id}` });

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

function operation(contract: ContractSpec, op: OperationSpec, auth: DocumentedAuth): object {
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
    ...(securityOf(auth, op) ? { security: securityOf(auth, op) } : {}),
    responses,
  };
}

/** Every schema a document references: request bodies (by their validators), responses and errors. */
function componentSchemas(): Schema[] {
  const byId = new Map<string, Schema>();
  for (const contract of CONTRACT_SPECS) {
    byId.set(contract.errorSchema.$id, contract.errorSchema);
    for (const op of contract.operations as readonly OperationSpec[]) {
      byId.set(op.doc.okSchema.$id, op.doc.okSchema);
      for (const schema of Object.values(op.validators)) if (JSON.stringify(op.doc.requestBody ?? {}).includes(`/${schema.$id}"`)) byId.set(schema.$id, schema);
    }
  }
  return [...byId.values()];
}

export function buildOpenApiDocument(serverUrl?: string, auth: DocumentedAuth = 'iam'): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const contract of CONTRACT_SPECS) {
    // Paths as API Gateway has them, its greedy {FileId+} included (its OpenAPI import reads the same).
    for (const op of contract.operations as readonly OperationSpec[]) (paths[op.path] ??= {})[op.method.toLowerCase()] = operation(contract, op, auth);
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
    ...(auth === 'iam' ? { security: [{ sigv4: [] }] } : auth === 'jwt' ? { security: [{ jwt: [] }] } : {}),
    paths,
    components: {
      schemas: Object.fromEntries(schemas.map((s) => [s.$id, component(s)])),
      ...(auth === 'none'
        ? {}
        : {
            securitySchemes:
              auth === 'iam' ? { sigv4: SCHEMES.sigv4 } : auth === 'jwt' ? { jwt: SCHEMES.jwt } : { acs3: SCHEMES.acs3, azureBearer: SCHEMES.azureBearer },
          }),
    },
  };
}
