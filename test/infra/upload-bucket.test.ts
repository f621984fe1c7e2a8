import { Match } from 'aws-cdk-lib/assertions';
import { TEMP_PREFIX } from '../../shared/lease/keys.js';
import { LIFECYCLE } from '../../infra/lifecycle.js';
import { logicalId, resourcesOf, synthStack } from './helpers.js';

const BUCKET = 'UploadsBucket';
const ACCESS_LOGS = 'UploadsAccessLogs';

describe('upload bucket', () => {
  const { template } = synthStack();
  const bucketId = logicalId(template, 'AWS::S3::Bucket', BUCKET);
  const bucket = resourcesOf(template)[bucketId]!;

  test('blocks all public access', () => {
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  test('SSE-S3 (AES256), so a single-part ETag is the MD5', () => {
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  test('unversioned (temporary files)', () => {
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
  });

  test('TLS-only bucket policy: deny everything over plain HTTP', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test(`lifecycle: ${TEMP_PREFIX} expires after 1 day by default (12 h retention), multipart aborted after ${LIFECYCLE.abortIncompleteMultipartDays}`, () => {
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        Prefix: TEMP_PREFIX,
        ExpirationInDays: 1,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: LIFECYCLE.abortIncompleteMultipartDays },
      }),
    ]);
  });

  test('server access logs go to a separate, private, TLS-only log bucket', () => {
    const logsId = logicalId(template, 'AWS::S3::Bucket', ACCESS_LOGS);
    expect(bucket.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'uploads/' });
    const logs = resourcesOf(template)[logsId]!;
    expect(logs.Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
    expect(logs.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test('ObjectCreated under tmp/ notifies the S3 event Lambda', () => {
    const eventsFn = logicalId(template, 'AWS::Lambda::Function', 'S3UploadEvents');
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: TEMP_PREFIX }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [eventsFn, 'Arn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [eventsFn, 'Arn'] },
      Principal: 's3.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [bucketId, 'Arn'] },
    });
  });

  test('no CORS rule unless origins are configured', () => {
    expect(bucket.Properties.CorsConfiguration).toBeUndefined();
    const withCors = synthStack({ corsAllowedOrigins: 'https://a.example.com,https://b.example.com' }).template;
    withCors.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: ['PUT'],
            AllowedOrigins: ['https://a.example.com', 'https://b.example.com'],
            AllowedHeaders: ['content-type', 'content-md5'],
          }),
        ],
      },
    });
  });

  test('RETAIN by default; DESTROY with emptied buckets in a sandbox', () => {
    expect(bucket.DeletionPolicy).toBe('Retain');
    const sandbox = synthStack({ deletionProtection: 'false' }).template;
    expect(resourcesOf(sandbox)[bucketId]!.DeletionPolicy).toBe('Delete');
    expect(Object.keys(resourcesOf(sandbox, 'Custom::S3AutoDeleteObjects'))).toHaveLength(2);
  });
});

describe('upload bucket on LocalStack (-c localstack=true)', () => {
  const { template } = synthStack({ localstack: 'true', deletionProtection: 'false' });
  const bucketId = logicalId(template, 'AWS::S3::Bucket', BUCKET);
  const bucket = resourcesOf(template)[bucketId]!;

  test('no CDK custom resources at all (LocalStack community has none)', () => {
    const custom = Object.values(resourcesOf(template)).filter((r) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource');
    expect(custom).toEqual([]);
  });

  test('native NotificationConfiguration: ObjectCreated under tmp/, after the invoke permission exists', () => {
    const eventsFn = logicalId(template, 'AWS::Lambda::Function', 'S3UploadEvents');
    expect(bucket.Properties.NotificationConfiguration).toEqual({
      LambdaConfigurations: [
        {
          Event: 's3:ObjectCreated:*',
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: TEMP_PREFIX }] } },
          Function: { 'Fn::GetAtt': [eventsFn, 'Arn'] },
        },
      ],
    });
    const permission = logicalId(template, 'AWS::Lambda::Permission', 'S3UploadEventsAllowS3ObjectCreated');
    expect(bucket.DependsOn).toContain(permission);
  });

  test('a name derived from stack, account and region, used by the Lambdas without referencing the bucket', () => {
    expect(bucket.Properties.BucketName).toEqual({
      'Fn::Join': ['', ['uploadleasebroker-uploads-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
    });
    for (const fn of Object.values(resourcesOf(template, 'AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables.UPLOAD_BUCKET_NAME).toEqual(bucket.Properties.BucketName);
    }
  });

  test('same security properties as in AWS', () => {
    expect(bucket.Properties.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
    expect(bucket.Properties.LifecycleConfiguration.Rules[0].Prefix).toBe(TEMP_PREFIX);
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
  });
});

describe('lifecycle backstop follows the retention', () => {
  const expirationDays = (retentionSeconds: number) => {
    const { template } = synthStack({ retentionSeconds });
    const bucket = resourcesOf(template)[logicalId(template, 'AWS::S3::Bucket', BUCKET)]!;
    return bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays as number;
  };

  test.each([
    [3600, 1],
    [43_200, 1],
    [82_800, 1], // 23 h + the 1 h margin = exactly one day
    [82_801, 2],
    [259_200, 4], // 3 days: never the 1-day backstop that would delete files two days early
  ])('retention %i s -> %i day(s), always later than the retention plus the margin', (retention, days) => {
    const got = expirationDays(retention);
    expect(got).toBe(days);
    expect(got * 86_400).toBeGreaterThanOrEqual(retention + LIFECYCLE.backstopMarginSeconds);
  });

  test('a retention S3 lifecycle cannot express fails the synth with a clear error', () => {
    expect(() => synthStack({ retentionSeconds: 3650 * 86_400 })).toThrow(/retentionSeconds: .*backstop of 3651 days; at most 3650/);
  });
});
