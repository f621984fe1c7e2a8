import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CONTEXT_DEFAULTS, LOCALSTACK_S3_ENDPOINT, readSettings } from '../../infra/settings.js';
import { CDK_JSON } from './helpers.js';
import { runDir } from '../support/scratch.js';

// Never synthesized: one outdir in the run's scratch directory serves every App (without one, each makes a temp dir).
const settingsFor = (context: Record<string, unknown>) => readSettings(new App({ context, outdir: join(runDir(), 'settings-app') }));

describe('context settings', () => {
  test('cdk.json lists the same defaults the code falls back to', () => {
    for (const [key, value] of Object.entries(CONTEXT_DEFAULTS)) expect([key, CDK_JSON.context[key]]).toEqual([key, value]);
    expect(settingsFor(CDK_JSON.context)).toEqual(settingsFor({}));
  });

  test('cdk.json runs the app with the pinned node through tsx, offline', () => {
    expect(CDK_JSON.app).toBe('node --import tsx infra/app.ts');
    expect((CDK_JSON as unknown as { notices: boolean }).notices).toBe(false);
    expect(CDK_JSON.context['cli-telemetry']).toBe(false);
  });

  test('defaults: IAM auth, protected data, no CORS, one month of logs, 12-hour retention', () => {
    expect(settingsFor({})).toEqual({
      auth: 'iam',
      throttle: { rateLimit: 50, burstLimit: 100 },
      routeThrottle: {},
      deletionProtection: true,
      localstack: false,
      corsAllowedOrigins: [],
      logRetention: RetentionDays.ONE_MONTH,
      accessLogExpirationDays: 90,
      lambdaEnvironment: { RETENTION_SECONDS: '43200', DUE_SHARDS: '4' },
      dueShards: 4,
      tempObjectExpirationDays: 1,
      azureUploads: 's3-presigned',
      blobFrontKeyRotation: '0',
    });
  });

  test('azureUploads: s3-presigned by default, blob-front on request, anything else refused naming both', () => {
    expect(settingsFor({ azureUploads: 'blob-front' }).azureUploads).toBe('blob-front');
    expect(() => settingsFor({ azureUploads: 'Blob-Front' })).toThrow('context azureUploads must be "s3-presigned" or "blob-front", got "Blob-Front"');
    expect(settingsFor({ azureUploads: 'blob-front', blobFrontKeyRotation: 7 }).blobFrontKeyRotation).toBe('7');
  });

  test('peakUploadsPerSecond sizes the due index: DUE_SHARDS for every Lambda, 3 index writes a lease at 800 a shard, never below 4', () => {
    expect(settingsFor({ peakUploadsPerSecond: '10000' })).toMatchObject({ dueShards: 38, lambdaEnvironment: { DUE_SHARDS: '38' } });
    expect(settingsFor({ peakUploadsPerSecond: 100 })).toMatchObject({ dueShards: 4, lambdaEnvironment: { DUE_SHARDS: '4' } });
    for (const bad of ['0', '-5', 'lots', '1.5', '1000001']) expect(() => settingsFor({ peakUploadsPerSecond: bad })).toThrow(/peakUploadsPerSecond/);
  });

  test('alarmEmail: absent by default, an address when given, anything else refused', () => {
    expect(settingsFor({})).not.toHaveProperty('alarmEmail');
    expect(settingsFor({ alarmEmail: 'ops@example.com' }).alarmEmail).toBe('ops@example.com');
    for (const bad of ['ops', 'ops@', '@example.com', 'a b@example.com']) expect(() => settingsFor({ alarmEmail: bad })).toThrow(/alarmEmail/);
  });

  test('CLI strings and cdk.json JSON values are both accepted', () => {
    expect(settingsFor({ deletionProtection: 'false', throttleRateLimit: '7' })).toMatchObject({ deletionProtection: false, throttle: { rateLimit: 7 } });
    expect(settingsFor({ deletionProtection: false, throttleRateLimit: 7 })).toMatchObject({ deletionProtection: false, throttle: { rateLimit: 7 } });
    expect(settingsFor({ jwtAudience: ['a', 'b'], auth: 'jwt', jwtIssuer: 'https://i.example.com' }).jwt).toEqual({
      issuer: 'https://i.example.com',
      audience: ['a', 'b'],
    });
  });

  test('localstack=true defaults the Lambdas\' S3 endpoint; an explicit one wins', () => {
    expect(settingsFor({ localstack: 'true' }).lambdaEnvironment.AWS_ENDPOINT_URL_S3).toBe(LOCALSTACK_S3_ENDPOINT);
    expect(settingsFor({ localstack: 'true', s3EndpointUrl: 'http://other:4566' }).lambdaEnvironment.AWS_ENDPOINT_URL_S3).toBe('http://other:4566');
  });

  test.each([
    [{ auth: 'cognito' }, /auth must be/],
    [{ deletionProtection: 'yes' }, /true or false/],
    [{ throttleBurstLimit: '0' }, /throttleBurstLimit/],
    [{ routeThrottle: '{"NoSuchRoute":{"rateLimit":1,"burstLimit":1}}' }, /unknown route "NoSuchRoute"/],
    [{ routeThrottle: '{"GetLease":{"rateLimit":0,"burstLimit":1}}' }, /routeThrottle.GetLease/],
    [{ routeThrottle: 'not json' }, /routeThrottle must be JSON/],
    [{ logRetentionDays: '31' }, /logRetentionDays/],
    [{ corsAllowedOrigins: '*' }, /not allowed/],
    [{ corsAllowedOrigins: 'https://a.example.com/path' }, /not an origin/],
    [{ s3EndpointUrl: 'localhost:4566' }, /URL/],
    [{ leaseUrlTtlSeconds: '700000' }, /LEASE_URL_TTL_SECONDS/],
    [{ retentionSeconds: '-1' }, /RETENTION_SECONDS/],
  ])('rejects %j', (context, message) => {
    expect(() => settingsFor(context)).toThrow(message);
  });
});
