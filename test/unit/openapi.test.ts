import { describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { OPERATIONS } from '../../shared/contracts/registry.js';
import { buildOpenApiDocument } from '../../shared/openapi.js';
import { alibabaParamsSchema, azurePathSchema, azureRequestSchema } from '../../shared/schemas/index.js';

const doc = buildOpenApiDocument('https://example.execute-api.eu-west-1.amazonaws.com') as any;

describe('OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('describes every route of the route table with its path parameters', () => {
    for (const route of OPERATIONS) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op?.operationId).toBe(route.id);
      const pathParams = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]);
      expect(op.parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(pathParams);
    }
    expect(Object.values(doc.paths).flatMap((p: any) => Object.keys(p))).toHaveLength(OPERATIONS.length);
  });

  test('uses the very schemas the handlers validate with', () => {
    const azure = doc.paths[OPERATIONS[0]!.path].post;
    expect(azure.parameters.find((p: any) => p.name === 'workspaceName').schema).toEqual(azurePathSchema.properties.workspaceName);
    expect(azure.parameters.find((p: any) => p.name === 'api-version').required).toBe(true);
    const { $id: _a, ...request } = azureRequestSchema;
    expect(doc.components.schemas.PendingUploadRequestDto).toEqual(request);
    const { $id: _b, ...alibaba } = alibabaParamsSchema;
    expect(doc.components.schemas.ApplyFileUploadLeaseRequest).toEqual(alibaba);
  });

  test('documents every error shape, with Retry-After where clients must wait', () => {
    const alibaba = doc.paths['/{WorkspaceId}/datacenter/category/{CategoryId}'].post.responses;
    expect(alibaba['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/AlibabaErrorResponse');
    expect(alibaba['429'].headers['Retry-After']).toBeDefined();
    expect(alibaba['503'].headers['Retry-After']).toBeDefined();
    const azure = doc.paths[OPERATIONS[0]!.path].post.responses;
    expect(azure['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponse');
    expect(azure['415']).toBeDefined();
    const lease = doc.paths['/leases/{leaseId}'].get.responses;
    expect(lease['404'].content['application/json'].schema.$ref).toBe('#/components/schemas/BrokerError');
  });
});
