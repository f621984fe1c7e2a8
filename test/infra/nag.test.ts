import { Stack, type App } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { enableNag, nagFindings } from '../../infra/nag.js';
import { readSettings } from '../../infra/settings.js';
import { UploadLeaseBrokerStack } from '../../infra/stack.js';
import { appWith, synthesizeOnce, synthStack, type Context } from './helpers.js';

const VARIANTS: Record<string, Context> = {
  default: {},
  sandbox: { deletionProtection: 'false' },
  localstack: { localstack: 'true', deletionProtection: 'false' },
  jwt: { auth: 'jwt', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'broker', corsAllowedOrigins: 'https://app.example.com' },
  contracts: { auth: 'contracts', jwtIssuer: 'https://login.microsoftonline.com/tenant/v2.0', jwtAudience: 'https://management.azure.com/' },
  alarms: { alarmEmail: 'ops@example.com' },
  blobFront: { azureUploads: 'blob-front' },
  blobFrontSandbox: { azureUploads: 'blob-front', deletionProtection: 'false' },
};

describe('cdk-nag AwsSolutions', () => {
  // Every synth of the infra tests runs the plugin (helpers.ts); it fails with the report if the plugin finds anything.
  test.each(Object.entries(VARIANTS))('%s: no unacknowledged finding, and the synth with the plugin succeeds', (_name, context) => {
    const synth = synthStack(context);
    expect(synth.stacks).toEqual(['UploadLeaseBroker']);
    expect(synth.nagFindings).toEqual([]);
  });

  test('an unacknowledged finding is reported and fails the synth', () => {
    const app = appWith();
    new UploadLeaseBrokerStack(app, 'UploadLeaseBroker', { settings: readSettings(app) });
    new Bucket(new Stack(app, 'Offender'), 'PlainBucket'); // no TLS-only policy, no access logs
    enableNag(app);
    expect(nagFindings(app).map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });

  test('the infra tests\' synths run the plugin: the same offender fails them', () => {
    const offender = (app: App) => new Bucket(new Stack(app, 'Offender'), 'PlainBucket');
    expect(() => synthesizeOnce({}, offender)).toThrow(/AwsSolutions-S10/);
    expect(synthesizeOnce({}).nagFindings).toEqual([]);
  });
});
