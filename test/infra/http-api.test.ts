import { Match } from 'aws-cdk-lib/assertions';
import { SURFACES } from '../../shared/api/operation.js';
import { CONTRACT_SPECS, OPERATIONS, operationsOf, routeKey } from '../../shared/contracts/registry.js';
import { apiFunctionDescription, LAMBDA_DESCRIPTION_MAX_LENGTH } from '../../infra/api-descriptions.js';
import { API_FUNCTION_IDS as FUNCTION_OF } from '../../infra/broker-functions.js';
import { logicalId, resourcesOf, synthStack } from './helpers.js';

describe('HTTP API (IAM auth, the default)', () => {
  const { template } = synthStack();
  const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
  const resources = resourcesOf(template);

  test('one HTTP API', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
  });

  test('exactly the routes of OPERATIONS, method and path verbatim', () => {
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(OPERATIONS.map(routeKey).sort());
  });

  test.each(OPERATIONS.map((r) => [routeKey(r), r.surface] as const))('%s -> the %s Lambda (proxy, payload 2.0)', (key, surface) => {
    const route = routes.find((r) => r.Properties.RouteKey === key)!;
    const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref as string;
    const integration = resources[integrationId]!.Properties;
    expect(integration.IntegrationType).toBe('AWS_PROXY');
    expect(integration.PayloadFormatVersion).toBe('2.0');
    expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', FUNCTION_OF[surface]), 'Arn'] });
  });

  test('every operation of the registry not declared public requires SigV4 (AWS_IAM); there are no other routes', () => {
    expect(routes).toHaveLength(OPERATIONS.length);
    for (const op of OPERATIONS.filter((o) => o.auth !== 'public')) {
      expect(routes.find((r) => r.Properties.RouteKey === routeKey(op))!.Properties.AuthorizationType).toBe('AWS_IAM');
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  test('$default stage: auto-deployed, throttled, JSON access logs with the request id', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'ApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
  });

  test('throttling follows context', () => {
    const t = synthStack({ throttleRateLimit: 5, throttleBurstLimit: 10 }).template;
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  test('per-route throttling from context overrides the stage default for that route only', () => {
    const t = synthStack({ routeThrottle: '{"ApplyFileUploadLease":{"rateLimit":10,"burstLimit":20}}' }).template;
    const stage = Object.values(resourcesOf(t, 'AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    expect(stage.RouteSettings).toEqual({
      'POST /{WorkspaceId}/datacenter/category/{CategoryId}': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'))[0]!.Properties.RouteSettings).toBeUndefined();
  });

  test.each(SURFACES)('the %s Lambda\'s description names every operation id of its surface (or, past the limit, counts them)', (surface) => {
    const description = resources[logicalId(template, 'AWS::Lambda::Function', FUNCTION_OF[surface])]!.Properties.Description as string;
    expect(description).toBe(apiFunctionDescription(surface));
    // Every id; past CloudFormation's limit (a surface with many more operations), their count.
    const ids = operationsOf(surface).map((op) => op.id);
    expect(ids.every((id) => description.includes(id)) || description.includes(`${ids.length} operations`)).toBe(true);
  });

  test(`every Lambda description fits CloudFormation's ${LAMBDA_DESCRIPTION_MAX_LENGTH} characters`, () => {
    const descriptions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map((f) => f.Properties.Description ?? '');
    for (const description of descriptions) expect(description.length).toBeLessThanOrEqual(LAMBDA_DESCRIPTION_MAX_LENGTH);
  });

  test('the API description names every contract', () => {
    const { Description } = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Api'))[0]!.Properties;
    for (const contract of CONTRACT_SPECS) expect(Description).toContain(contract.tag);
  });

  test('no CORS preflight unless origins are configured', () => {
    expect(Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Api'))[0]!.Properties.CorsConfiguration).toBeUndefined();
  });
});

describe('HTTP API with -c auth=jwt', () => {
  const context = {
    auth: 'jwt',
    jwtIssuer: 'https://login.example.com/tenant/v2.0',
    jwtAudience: 'api://broker,broker-cli',
    corsAllowedOrigins: 'https://app.example.com',
  };
  const { template } = synthStack(context);

  test('one JWT authorizer with the issuer and audiences from context', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: context.jwtIssuer, Audience: ['api://broker', 'broker-cli'] },
    });
  });

  test('every operation of the registry not declared public uses it', () => {
    const authorizerId = Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer'))[0]!;
    const all = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
    expect(all).toHaveLength(OPERATIONS.length);
    const routes = OPERATIONS.filter((o) => o.auth !== 'public').map((op) => all.find((r) => r.Properties.RouteKey === routeKey(op))!);
    for (const route of routes) {
      expect(route.Properties.AuthorizationType).toBe('JWT');
      expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    }
  });

  test('CORS preflight for the configured origins', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com'] }) });
  });

  test('CORS allows exactly the methods the routes use (API Gateway answers OPTIONS preflights itself)', () => {
    const { AllowMethods } = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Api'))[0]!.Properties.CorsConfiguration;
    const routeMethods = [...new Set(OPERATIONS.map((op) => op.method))];
    expect(AllowMethods).toEqual(expect.arrayContaining(routeMethods));
    expect(AllowMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
    expect(AllowMethods).toHaveLength(routeMethods.length);
  });

  test('auth=jwt without issuer or audience fails the synth', () => {
    expect(() => synthStack({ auth: 'jwt', jwtAudience: 'x' })).toThrow(/jwtIssuer/);
    expect(() => synthStack({ auth: 'jwt', jwtIssuer: 'https://issuer.example.com' })).toThrow(/jwtAudience/);
    expect(() => synthStack({ auth: 'jwt', jwtIssuer: 'http://insecure.example.com', jwtAudience: 'x' })).toThrow(/https/);
  });
});
