/**
 * CDK app entry (cdk.json "app"). Context flags are documented in docs/deploy.md and read by
 * infra/settings.ts; cdk-nag's AwsSolutions pack validates every synth.
 */
import { App } from 'aws-cdk-lib';
import { enableNag } from './nag.js';
import { readSettings } from './settings.js';
import { UploadLeaseBrokerStack } from './stack.js';

export const DEFAULT_STACK_NAME = 'UploadLeaseBroker';

const app = new App();
const stackName = String(app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME);

new UploadLeaseBrokerStack(app, stackName, {
  settings: readSettings(app),
  description: 'Upload-lease broker: HTTP API, Lambda, S3 presigned uploads, DynamoDB leases with TTL, 12-hour retention',
});
enableNag(app);
