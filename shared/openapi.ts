/**
 * The OpenAPI 3.1 description of the whole API, built from the same route table and JSON Schemas the
 * handlers validate with, so the document cannot drift from the code.
 */
import { ROUTES, type RouteSpec } from './http/routes.js';
import {
  AZURE_API_VERSIONS,
  alibabaErrorSchema,
  alibabaParamsSchema,
  alibabaPathSchema,
  alibabaResponseSchema,
  armErrorSchema,
  azurePathSchema,
  azureRequestSchema,
  azureResponseSchema,
  brokerErrorSchema,
  leasePathSchema,
  leaseViewSchema,
} from './schemas/index.js';

type Schema = { $id: string; properties?: Record<string, object> } & Record<string, unknown>;

/** Components are referenced by their schema $id; the $id itself is dropped inside the document. */
function component(schema: Schema): object {
  const { $id: _id, ...rest } = schema;
  return rest;
}

const ref = (schema: { $id: string }) => ({ $ref: `#/components/schemas/${schema.$id}` });

interface ContractDoc {
  pathSchema: Schema;
  errorSchema: { $id: string };
  okSchema: { $id: string };
  query?: object[];
  requestBody?: object;
  tag: string;
}

function contractOf(route: RouteSpec): ContractDoc {
  switch (route.lambda) {
    case 'azure-start-pending-upload':
      return {
        tag: 'Azure ML',
        pathSchema: azurePathSchema as Schema,
        errorSchema: armErrorSchema,
        okSchema: azureResponseSchema,
        query: [{ name: 'api-version', in: 'query', required: true, schema: { type: 'string', enum: [...AZURE_API_VERSIONS] } }],
        requestBody: { required: false, content: { 'application/json': { schema: ref(azureRequestSchema) } } },
      };
    case 'alibaba-apply-file-upload-lease':
      return {
        tag: 'Alibaba Model Studio',
        pathSchema: alibabaPathSchema as Schema,
        errorSchema: alibabaErrorSchema,
        okSchema: alibabaResponseSchema,
        query: Object.entries(alibabaParamsSchema.properties).map(([name, schema]) => ({
          name,
          in: 'query',
          required: false,
          description: 'May be given here instead of in the body.',
          schema,
        })),
        requestBody: {
          required: false,
          content: {
            'application/x-www-form-urlencoded': { schema: ref(alibabaParamsSchema) },
            'application/json': { schema: ref(alibabaParamsSchema) },
          },
        },
      };
    case 'get-lease':
      return { tag: 'Leases', pathSchema: leasePathSchema as Schema, errorSchema: brokerErrorSchema, okSchema: leaseViewSchema };
  }
}

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

function operation(route: RouteSpec): object {
  const c = contractOf(route);
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const error = (description: string, headers?: object) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: ref(c.errorSchema) } },
  });
  const responses: Record<string, object> = {
    '200': {
      description: 'Success',
      headers: { 'x-lease-id': { description: 'The broker lease id.', schema: { type: 'string' } } },
      content: { 'application/json': { schema: ref(c.okSchema) } },
    },
    '400': error('Invalid request'),
    '500': error('Internal error; nothing was created'),
    '503': error('A dependency is throttled or unavailable', retryAfter),
  };
  if (route.lambda === 'get-lease') responses['404'] = error('Unknown or removed lease');
  if (c.requestBody) responses['415'] = error('Unsupported content type');
  if (route.lambda === 'alibaba-apply-file-upload-lease') responses['429'] = error('Too many requests for this workspace', retryAfter);
  return {
    operationId: route.id,
    tags: [c.tag],
    parameters: [
      ...names.map((name) => ({ name, in: 'path', required: true, schema: c.pathSchema.properties![name] })),
      ...(c.query ?? []),
    ],
    ...(c.requestBody ? { requestBody: c.requestBody } : {}),
    responses,
  };
}

export function buildOpenApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  const schemas = [
    azureRequestSchema, azureResponseSchema, armErrorSchema,
    alibabaParamsSchema, alibabaResponseSchema, alibabaErrorSchema,
    leaseViewSchema, brokerErrorSchema,
  ];
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
      schemas: Object.fromEntries(schemas.map((s) => [s.$id, component(s as unknown as Schema)])),
      securitySchemes: {
        sigv4: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS SigV4 (IAM) by default; a JWT bearer token when the stack is deployed with JWT auth.' },
      },
    },
  };
}
