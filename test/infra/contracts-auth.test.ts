import { readSettings } from '../../infra/settings.js';
import { OUTPUTS } from '../../infra/outputs.js';
import { appWith, logicalId, renderArn, resourcesOf, statementsOfFunction, synthStack } from './helpers.js';

/** -c auth=contracts: no API Gateway authorizer, each contract authenticated in its Lambda with stored keys and grants. */
const CONTEXT = { auth: 'contracts', jwtIssuer: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0', jwtAudience: 'https://management.azure.com/' };

describe('auth=contracts', () => {
  const { template } = synthStack(CONTEXT);
  const resources = resourcesOf(template);
  const key = logicalId(template, 'AWS::KMS::Key', 'AccessKeysKey');
  const fn = (prefix: string) => resources[logicalId(template, 'AWS::Lambda::Function', prefix)]!;
  const actionsOn = (prefix: string, resource: string) =>
    statementsOfFunction(template, prefix)
      .filter((s) => s.resources.includes(resource))
      .flatMap((s) => s.actions)
      .sort();

  test('every route reaches its Lambda without an API Gateway authorizer', () => {
    const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('NONE');
    expect(resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer')).toEqual({});
  });

  test('the access keys key rotates; its ARN is an output; no secret anywhere in the template', () => {
    expect(resources[key]!.Properties.EnableKeyRotation).toBe(true);
    template.hasOutput(OUTPUTS.accessKeysKeyArn, { Value: { 'Fn::GetAtt': [key, 'Arn'] } });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/AccessKeySecret|secretCiphertext/);
  });

  test('the API Lambdas get the scheme settings (issuer, audience, key ARN: nothing secret); the others do not', () => {
    for (const prefix of ['AzureApi', 'AlibabaApi', 'LeasesApi']) {
      expect(fn(prefix).Properties.Environment.Variables).toMatchObject({
        AUTH: 'contracts',
        JWT_ISSUER: CONTEXT.jwtIssuer,
        JWT_AUDIENCE: CONTEXT.jwtAudience,
        ACCESS_KEYS_KMS_KEY_ARN: { 'Fn::GetAtt': [key, 'Arn'] },
      });
    }
    for (const prefix of ['S3UploadEvents', 'RetentionSweep', 'LeaseSettler']) expect(fn(prefix).Properties.Environment.Variables.AUTH).toBeUndefined();
  });

  test('kms:Decrypt for the routes that verify ACS3 signatures, nonce puts, and nothing more for Azure', () => {
    const keyArn = renderArn({ 'Fn::GetAtt': [key, 'Arn'] });
    const table = renderArn({ 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'LeasesTable'), 'Arn'] });
    expect(actionsOn('AlibabaApi', keyArn)).toEqual(['kms:Decrypt']);
    expect(actionsOn('LeasesApi', keyArn)).toEqual(['kms:Decrypt']);
    expect(actionsOn('AzureApi', keyArn)).toEqual([]);
    expect(actionsOn('LeasesApi', table)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  test('without an issuer and an audience the synth stops with a message naming them', () => {
    expect(() => readSettings(appWith({ auth: 'contracts' }))).toThrow('auth=contracts needs -c jwtIssuer=https://... and -c jwtAudience');
    expect(() => readSettings(appWith({ auth: 'contracts', jwtIssuer: 'http://insecure.example', jwtAudience: 'a' }))).toThrow('https');
  });
});
