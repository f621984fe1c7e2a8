import { Match } from 'aws-cdk-lib/assertions';
import { LIFECYCLE } from '../../infra/lifecycle.js';
import { logicalId, resourcesOf, synthStack } from './helpers.js';

/** Construct id prefix -> API Lambda? */
const FUNCTIONS = {
  AzureApi: true,
  AlibabaApi: true,
  LeasesApi: true,
  S3UploadEvents: false,
  RetentionSweep: false,
  LeaseSettler: false,
  LeaseEventsEnrichment: false,
} as const;

describe('broker Lambdas', () => {
  const { template } = synthStack();
  const resources = resourcesOf(template);
  const fn = (prefix: string) => resources[logicalId(template, 'AWS::Lambda::Function', prefix)]!;

  test('exactly the seven broker functions and CDK\'s bucket-notifications handler', () => {
    const ids = Object.keys(resourcesOf(template, 'AWS::Lambda::Function'));
    expect(ids).toHaveLength(8);
    for (const prefix of Object.keys(FUNCTIONS)) expect(ids.some((id) => id.startsWith(prefix))).toBe(true);
  });

  test.each(Object.keys(FUNCTIONS))('%s: Node.js 24 on arm64, ESM bundle handler, source maps on', (prefix) => {
    const { Properties: p } = fn(prefix);
    expect(p.Runtime).toBe('nodejs24.x');
    expect(p.Architectures).toEqual(['arm64']);
    expect(p.Handler).toBe('index.handler');
    expect(p.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  test.each(Object.keys(FUNCTIONS))('%s: JSON logs into its own log group with one month retention', (prefix) => {
    const { Properties: p } = fn(prefix);
    expect(p.LoggingConfig).toEqual(expect.objectContaining({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }));
    const logGroupId = p.LoggingConfig.LogGroup.Ref as string;
    expect(resources[logGroupId]).toEqual(expect.objectContaining({ Type: 'AWS::Logs::LogGroup' }));
    expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
  });

  test.each(Object.keys(FUNCTIONS))('%s: broker configuration in the environment (12-hour retention)', (prefix) => {
    const vars = fn(prefix).Properties.Environment.Variables;
    expect(vars.LEASE_TABLE_NAME).toEqual({ Ref: logicalId(template, 'AWS::DynamoDB::Table', 'LeasesTable') });
    expect(vars.UPLOAD_BUCKET_NAME).toEqual({ Ref: logicalId(template, 'AWS::S3::Bucket', 'UploadsBucket') });
    expect(vars.RETENTION_SECONDS).toBe('43200');
    expect(vars.AWS_ENDPOINT_URL_S3).toBeUndefined();
    expect(vars.AWS_ENDPOINT_URL_DYNAMODB).toBeUndefined();
  });

  test.each(Object.entries(FUNCTIONS).filter(([, api]) => api).map(([p]) => p))('%s: API timeout of at most 10 s', (prefix) => {
    expect(fn(prefix).Properties.Timeout).toBeLessThanOrEqual(10);
  });

  test('the sweep finishes before its next scheduled run and is not retried (the next run is the retry)', () => {
    expect(fn('RetentionSweep').Properties.Timeout).toBeLessThan(LIFECYCLE.sweepIntervalMinutes * 60);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'RetentionSweep') },
      MaximumRetryAttempts: 0,
    });
  });

  test('log retention follows -c logRetentionDays', () => {
    const other = synthStack({ logRetentionDays: 7 }).template;
    const groups = Object.values(resourcesOf(other, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(6);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(7);
  });

  test('S3 event Lambda: 2 async retries, then an encrypted TLS-only SQS on-failure destination', () => {
    const eventsFn = logicalId(template, 'AWS::Lambda::Function', 'S3UploadEvents');
    const queueId = logicalId(template, 'AWS::SQS::Queue', 'FailedUploadEvents');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: eventsFn },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test(`retention sweep runs on an EventBridge schedule every ${LIFECYCLE.sweepIntervalMinutes} minutes`, () => {
    const sweep = logicalId(template, 'AWS::Lambda::Function', 'RetentionSweep');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${LIFECYCLE.sweepIntervalMinutes} minutes)`,
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweep, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [sweep, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  test('LocalStack: presigned URLs use a host reachable from Lambda containers and the developer machine', () => {
    const local = synthStack({ localstack: 'true' }).template;
    for (const f of Object.values(resourcesOf(local, 'AWS::Lambda::Function'))) {
      expect(f.Properties.Environment.Variables.AWS_ENDPOINT_URL_S3).toBe('http://localhost.localstack.cloud:4566');
    }
  });

  test('endpoint and tunable overrides from context reach every Lambda', () => {
    const custom = synthStack({
      s3EndpointUrl: 'http://s3.local:4566',
      dynamodbEndpointUrl: 'http://ddb.local:4566',
      leaseUrlTtlSeconds: 900,
      alibabaRateLimitPerSecond: 0,
      maxUploadBytes: 5_000_000,
    }).template;
    for (const f of Object.values(resourcesOf(custom, 'AWS::Lambda::Function')).filter((r) => r.Properties.Runtime === 'nodejs24.x')) {
      expect(f.Properties.Environment.Variables).toEqual(
        expect.objectContaining({
          AWS_ENDPOINT_URL_S3: 'http://s3.local:4566',
          AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb.local:4566',
          LEASE_URL_TTL_SECONDS: '900',
          ALIBABA_RATE_LIMIT_PER_SECOND: '0',
          MAX_UPLOAD_BYTES: '5000000',
        }),
      );
    }
  });
});
