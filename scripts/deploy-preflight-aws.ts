/**
 * The deploy preflight's ports on the AWS SDK (scripts/deploy-preflight.ts holds the checks): the
 * shared-ini loader (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and HOME honoured), the default
 * credential chain (which never asks the instance-metadata service when AWS_EC2_METADATA_DISABLED is
 * set), STS and SSM. Endpoint overrides (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_SSM) and HTTPS_PROXY /
 * NO_PROXY apply as they do for the CDK CLI.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { loadSharedConfigFiles } from '@smithy/core/config';
import type { AwsTarget, PreflightPorts } from './deploy-preflight.js';

/** The SDK's warnings (e.g. "both AWS_PROFILE and AWS_ACCESS_KEY_ID are set") would break the one-line answer. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function clientConfig({ region, credentials }: AwsTarget, env: NodeJS.ProcessEnv) {
  return {
    region,
    credentials,
    logger: quiet,
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: 3000,
      requestTimeout: 5000,
      httpAgent: new HttpAgent({ proxyEnv: env }),
      httpsAgent: new HttpsAgent({ proxyEnv: env }),
    },
  };
}

export function awsPreflightPorts(env: NodeJS.ProcessEnv = process.env): PreflightPorts {
  return {
    sharedFiles: () => loadSharedConfigFiles({ ignoreCache: true }),
    credentials: (profile) => defaultProvider({ ...(profile ? { profile } : {}), logger: quiet })(),
    callerIdentity: async (target, signal) => {
      const sts = new STSClient(clientConfig(target, env));
      try {
        const out = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
        if (!out.Account) throw new Error('STS GetCallerIdentity returned no account');
        return { account: out.Account };
      } finally {
        sts.destroy();
      }
    },
    parameter: async (target, name, signal) => {
      const ssm = new SSMClient(clientConfig(target, env));
      try {
        const out = await ssm.send(new GetParameterCommand({ Name: name }), { abortSignal: signal });
        return out.Parameter?.Value ?? '';
      } finally {
        ssm.destroy();
      }
    },
  };
}
