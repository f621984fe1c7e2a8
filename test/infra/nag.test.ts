import { Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { enableNag, nagFindings } from '../../infra/nag.js';
import { readSettings } from '../../infra/settings.js';
import { UploadLeaseBrokerStack } from '../../infra/stack.js';
import { appWith, type Context } from './helpers.js';

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
  test.each(Object.entries(VARIANTS))('%s: no unacknowledged finding, and the synth with the plugin succeeds', (_name, context) => {
    const app = appWith(context);
    new UploadLeaseBrokerStack(app, 'UploadLeaseBroker', { settings: readSettings(app) });
    enableNag(app);
    const assembly = app.synth(); // fails with the report if the plugin finds anything
    expect(assembly.stacks).toHaveLength(1);
    expect(nagFindings(app)).toEqual([]);
  });

  test('an unacknowledged finding is reported and fails the synth', () => {
    const app = appWith();
    new UploadLeaseBrokerStack(app, 'UploadLeaseBroker', { settings: readSettings(app) });
    new Bucket(new Stack(app, 'Offender'), 'PlainBucket'); // no TLS-only policy, no access logs
    enableNag(app);
    expect(nagFindings(app).map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});
