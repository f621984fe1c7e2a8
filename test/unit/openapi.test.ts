import { describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { OPERATIONS, operationById } from '../../shared/contracts/registry.js';
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
    const azure = doc.paths[operationById('AzureWorkspaceCodeVersionStartPendingUpload').path].post;
    expect(azure.parameters.find((p: any) => p.name === 'workspaceName').schema).toEqual(azurePathSchema.properties.workspaceName);
    expect(azure.parameters.find((p: any) => p.name === 'api-version').required).toBe(true);
    const { $id: _a, ...request } = azureRequestSchema;
    expect(doc.components.schemas.PendingUploadRequestDto).toEqual(request);
    // The same schema, plus what the handler enforces beyond it (the size's upper bound).
    const { $id: _b, ...alibaba } = alibabaParamsSchema;
    const { SizeInBytes: documentedSize, ...others } = doc.components.schemas.ApplyFileUploadLeaseRequest.properties;
    const { SizeInBytes: validatedSize, ...validated } = alibaba.properties;
    expect({ ...doc.components.schemas.ApplyFileUploadLeaseRequest, properties: others }).toEqual({ ...alibaba, properties: validated });
    expect(documentedSize.anyOf.map(({ maximum: _m, ...branch }: Record<string, unknown>) => branch)).toEqual(validatedSize.anyOf);
  });

  test('documents every error shape, with Retry-After where clients must wait', () => {
    const alibaba = doc.paths['/{WorkspaceId}/datacenter/category/{CategoryId}'].post.responses;
    expect(alibaba['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/AlibabaErrorResponse');
    expect(alibaba['429'].headers['Retry-After']).toBeDefined();
    expect(alibaba['503'].headers['Retry-After']).toBeDefined();
    const azure = doc.paths[operationById('AzureWorkspaceCodeVersionStartPendingUpload').path].post.responses;
    expect(azure['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponse');
    expect(azure['415']).toBeDefined();
    const lease = doc.paths['/leases/{leaseId}'].get.responses;
    expect(lease['404'].content['application/json'].schema.$ref).toBe('#/components/schemas/BrokerError');
  });
});

describe('OpenAPI states what the server enforces', () => {
  test('SizeInBytes: 1 to 100000000 as a number; as a string, digits that are not all zeros', () => {
    const size = (buildOpenApiDocument() as any).components.schemas.ApplyFileUploadLeaseRequest.properties.SizeInBytes;
    const integer = size.anyOf.find((b: { type: string }) => b.type === 'integer');
    const text = size.anyOf.find((b: { type: string }) => b.type === 'string');
    expect(integer).toMatchObject({ minimum: 1, maximum: 100_000_000 });
    const pattern = new RegExp(text.pattern, 'u');
    for (const ok of ['1', '100000000', '0005']) expect([ok, pattern.test(ok)]).toEqual([ok, true]);
    for (const bad of ['0', '000', '-1', '1.5', '']) expect([bad, pattern.test(bad)]).toEqual([bad, false]);
  });

  test('security per mode: none advertises nothing; iam SigV4; jwt a bearer JWT; contracts each contract its own scheme', () => {
    const none = buildOpenApiDocument(undefined, 'none') as any;
    expect(none.security).toBeUndefined();
    expect(none.components.securitySchemes).toBeUndefined();
    expect(JSON.stringify(none.paths)).not.toContain('"security"');
    expect((buildOpenApiDocument() as any).security).toEqual([{ sigv4: [] }]);
    const jwt = buildOpenApiDocument(undefined, 'jwt') as any;
    expect([jwt.security, jwt.components.securitySchemes.jwt.scheme]).toEqual([[{ jwt: [] }], 'bearer']);
    const contracts = buildOpenApiDocument(undefined, 'contracts') as any;
    expect(contracts.security).toBeUndefined();
    expect(contracts.paths['/{WorkspaceId}/datacenter/category/{CategoryId}'].post.security).toEqual([{ acs3: [] }]);
    const azure = Object.entries(contracts.paths).find(([path]) => path.endsWith('/startPendingUpload'))![1] as any;
    expect(azure.post.security).toEqual([{ azureBearer: [] }]);
    expect(contracts.paths['/leases/{leaseId}'].get.security).toEqual([{ acs3: [] }, { azureBearer: [] }]);
  });
});
