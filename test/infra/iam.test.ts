import { TEMP_PREFIX } from '../../shared/lease/keys.js';
import { STORED_PREFIX } from '../../shared/lease/model.js';
import { LEASE_TABLE } from '../../shared/adapters/lease-table.js';
import { iamStatements, logicalId, resourcesOf, statementsOfFunction, synthStack, type Statement } from './helpers.js';

type Grants = Record<string, string[]>;

/** What each function's role may do, resource (rendered) -> actions. Nothing else is allowed. */
function expectedGrants(template: ReturnType<typeof synthStack>['template'], localstack: boolean): Record<string, (logs: string) => Grants> {
  const table = `<${logicalId(template, 'AWS::DynamoDB::Table', 'LeasesTable')}.Arn>`;
  const bucket = localstack
    ? 'arn:<AWS::Partition>:s3:::uploadleasebroker-uploads-<AWS::AccountId>-<AWS::Region>'
    : `<${logicalId(template, 'AWS::S3::Bucket', 'UploadsBucket')}.Arn>`;
  const tmp = `${bucket}/${TEMP_PREFIX}*`;
  const files = `${bucket}/${STORED_PREFIX}*`;
  const queue = `<${logicalId(template, 'AWS::SQS::Queue', 'FailedUploadEvents')}.Arn>`;
  const settleQueue = `<${logicalId(template, 'AWS::SQS::Queue', 'LeaseEventsFailedLeaseSettles')}.Arn>`;
  const stream = `<${logicalId(template, 'AWS::DynamoDB::Table', 'LeasesTable')}.StreamArn>`;
  const logs = (group: string) => ({ [group]: ['logs:CreateLogStream', 'logs:PutLogEvents'] });
  const settles = {
    [tmp]: ['s3:DeleteObject', 's3:GetObject'],
    [files]: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
    [bucket]: ['s3:ListBucket'],
  };
  return {
    // Consumers verify an upload no event has decided yet on the spot: HEAD (GetObject; ListBucket for a
    // 404) and the delete of a rejected object, on the temporary prefix only.
    AzureApi: (g) => ({ ...logs(g), [table]: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [tmp]: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], [bucket]: ['s3:ListBucket'] }),
    AlibabaApi: (g) => ({ ...logs(g), [table]: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [tmp]: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], [bucket]: ['s3:ListBucket'] }),
    LeasesApi: (g) => ({ ...logs(g), [table]: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [tmp]: ['s3:DeleteObject', 's3:GetObject'], [files]: ['s3:GetObject'], [bucket]: ['s3:ListBucket'] }),
    S3UploadEvents: (g) => ({
      ...logs(g),
      [table]: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      [tmp]: ['s3:DeleteObject', 's3:GetObject'],
      [bucket]: ['s3:ListBucket'],
      [queue]: ['sqs:SendMessage'],
    }),
    RetentionSweep: (g) => ({
      ...logs(g),
      [table]: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      [`${table}/index/${LEASE_TABLE.dueIndex.name}`]: ['dynamodb:Query'],
      ...settles,
    }),
    LeaseSettler: (g) => ({
      ...logs(g),
      [table]: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      ...settles,
      [settleQueue]: ['sqs:SendMessage'],
      [stream]: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      '*': ['dynamodb:ListStreams'],
    }),
    LeaseEventsEnrichment: (g) => ({ ...logs(g) }),
  };
}

function grantsOf(statements: Statement[]): Grants {
  const grants: Grants = {};
  for (const s of statements) {
    expect(s.effect).toBe('Allow');
    for (const resource of s.resources) grants[resource] = [...(grants[resource] ?? []), ...s.actions].sort();
  }
  return grants;
}

describe.each([
  ['AWS', false],
  ['LocalStack', true],
])('least-privilege IAM (%s)', (_name, localstack) => {
  const { template } = synthStack(localstack ? { localstack: 'true' } : {});
  const statements = iamStatements(template);
  const expected = expectedGrants(template, localstack);

  test('no "*" action and no action wildcard anywhere', () => {
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) for (const action of s.actions) expect(action).not.toContain('*');
  });

  test('"*" only for dynamodb:ListStreams (no resource-level permissions); other wildcards only the two object prefixes', () => {
    expect(statements.filter((s) => s.resources.includes('*')).map((s) => s.actions)).toEqual([['dynamodb:ListStreams']]);
    const wildcards = statements.flatMap((s) => s.resources).filter((r) => r.includes('*') && r !== '*');
    for (const resource of wildcards) {
      expect(resource).toMatch(new RegExp(`(UploadsBucket[0-9A-F]+\\.Arn>|uploads-<AWS::AccountId>-<AWS::Region>)/(${TEMP_PREFIX}|${STORED_PREFIX})\\*$`));
    }
  });

  test('no role carries a managed policy', () => {
    for (const role of Object.values(resourcesOf(template, 'AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test.each(Object.keys(expected))('%s: exactly the actions its code performs', (prefix) => {
    const fn = resourcesOf(template)[logicalId(template, 'AWS::Lambda::Function', prefix)]!;
    const logGroup = `<${fn.Properties.LoggingConfig.LogGroup.Ref}.Arn>`;
    expect(grantsOf(statementsOfFunction(template, prefix))).toEqual(expected[prefix]!(logGroup));
  });

  test.each(['AzureApi', 'AlibabaApi'])('%s: s3:PutObject only on .../tmp/*', (prefix) => {
    const puts = statementsOfFunction(template, prefix).filter((s) => s.actions.includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(puts[0]!.resources).toHaveLength(1);
    expect(puts[0]!.resources[0]!.endsWith(`/${TEMP_PREFIX}*`)).toBe(true);
  });
});

test('CDK\'s bucket-notifications handler may only configure this bucket and write its own logs', () => {
  const { template } = synthStack();
  const handler = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((f) => f.Properties.Runtime.startsWith('python'))!;
  const roleId = handler.Properties.Role['Fn::GetAtt'][0] as string;
  const statements = iamStatements(template).filter((s) => s.policy.startsWith(`${roleId}/`));
  expect(grantsOf(statements)).toEqual({
    [`<${logicalId(template, 'AWS::S3::Bucket', 'UploadsBucket')}.Arn>`]: ['s3:PutBucketNotification'],
    [`<${handler.Properties.LoggingConfig.LogGroup.Ref}.Arn>`]: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  });
  expect(Object.values(resourcesOf(template, 'AWS::IAM::Policy')).every((p) => !p.Properties.Roles.some((r: any) => r.Ref === roleId))).toBe(true);
});
