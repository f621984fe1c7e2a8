import { OUTPUTS } from '../../infra/stack.js';
import { logicalId, resourcesOf, synthStack } from './helpers.js';

describe('stack', () => {
  const { template } = synthStack();
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

  test('outputs ApiUrl, BucketName, TableName and Region under exactly these names', () => {
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'BucketName', 'TableName', 'Region']));
    // AccessKeysKeyArn only with -c auth=contracts (test/infra/contracts-auth.test.ts), AlarmTopicArn only with -c alarmEmail.
    expect(Object.keys(outputs).sort()).toEqual(Object.values(OUTPUTS).filter((o) => o !== OUTPUTS.accessKeysKeyArn && o !== OUTPUTS.alarmTopicArn && o !== OUTPUTS.blobFrontUrl && o !== OUTPUTS.blobFrontDistributionId).sort());
  });

  test('outputs point at the resources', () => {
    const api = logicalId(template, 'AWS::ApiGatewayV2::Api', 'ApiHttpApi');
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toContain(`"Ref":"${api}"`);
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toContain('.execute-api.');
    expect(outputs.BucketName!.Value).toEqual({ Ref: logicalId(template, 'AWS::S3::Bucket', 'UploadsBucket') });
    expect(outputs.TableName!.Value).toEqual({ Ref: logicalId(template, 'AWS::DynamoDB::Table', 'LeasesTable') });
    expect(outputs.Region!.Value).toEqual({ Ref: 'AWS::Region' });
  });

  test('environment-agnostic: synthesizes without account, region or lookups', () => {
    expect(synthStack().environment).toBe('aws://unknown-account/unknown-region');
    expect(Object.keys(template.toJSON().Mappings ?? {})).toEqual([]);
  });

  test('the sandbox auto-delete provider is the only role with a managed policy (CDK-owned, sandbox only)', () => {
    const sandbox = synthStack({ deletionProtection: 'false' }).template;
    const withManaged = Object.entries(resourcesOf(sandbox, 'AWS::IAM::Role')).filter(([, r]) => r.Properties.ManagedPolicyArns);
    expect(withManaged.map(([id]) => id)).toEqual([expect.stringMatching(/^CustomS3AutoDeleteObjectsCustomResourceProviderRole/)]);
    expect(JSON.stringify(withManaged[0]![1].Properties.ManagedPolicyArns)).toContain('service-role/AWSLambdaBasicExecutionRole');
  });
});
