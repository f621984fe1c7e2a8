import { describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildOpenApiDocument } from '../../shared/openapi.js';
import { resourcesOf, synthStack } from './helpers.js';

describe('OpenAPI document vs the deployed routes', () => {
  const { template } = synthStack();
  const routeKeys = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey as string);
  const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };

  test('the document is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(doc);
    expect(result.valid).toBe(true);
  });

  test('every route of the synthesized stack is described, and nothing else', () => {
    expect(routeKeys.length).toBeGreaterThan(0);
    for (const key of routeKeys) {
      const [method, path] = key.split(' ');
      expect([key, doc.paths[path!]?.[method!.toLowerCase()] !== undefined]).toEqual([key, true]);
    }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual([...routeKeys].sort());
  });
});
