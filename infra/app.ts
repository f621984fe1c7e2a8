/**
 * CDK app entry (cdk.json "app"). Context flags are documented in docs/deploy.md and read by
 * infra/settings.ts; cdk-nag's AwsSolutions pack validates every synth.
 */
import { App } from 'aws-cdk-lib';
import { enableNag } from './nag.js';
import { readSettings, SettingsError, type BrokerSettings } from './settings.js';
import { UploadLeaseBrokerStack } from './stack.js';

export const DEFAULT_STACK_NAME = 'UploadLeaseBroker';

/**
 * A bad `-c` value is one line naming it (exit code 1), not a stack trace; DEBUG=1 adds the trace.
 * `npm run synth|deploy` check the context before the CLI starts (scripts/cdk.ts); this is for `cdk` run directly.
 */
function settingsOrExit(app: App): BrokerSettings {
  try {
    return readSettings(app);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(`cannot synth: ${error.message}`);
    if (process.env.DEBUG) console.error(error);
    process.exit(1);
  }
}

const app = new App();
const stackName = String(app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME);

new UploadLeaseBrokerStack(app, stackName, {
  settings: settingsOrExit(app),
  description: 'Upload-lease broker: HTTP API, Lambda, S3 presigned uploads, DynamoDB leases with TTL, 12-hour retention',
});
enableNag(app);
