/**
 * `-c auth=contracts` for the template run: what the API functions authenticate against there, stood in
 * for as the deployed stack has it. The access-key secrets' KMS key is a key of the KMS emulator
 * (kms.ts; the template's AWS::KMS::Key resolves to its ARN, the children reach it through
 * AWS_ENDPOINT_URL_KMS); the Azure tokens' issuer is an https OIDC issuer (tls-issuer.ts) the stack is
 * synthesized with (-c jwtIssuer), trusted by the children through NODE_EXTRA_CA_CERTS. An access key
 * and a grant are stored by `stackStore` (scripts/credential-stores.ts), the code `npm run access-keys`
 * runs against a deployed stack, at the table and key the template's outputs name; the e2e suite then
 * signs with that key and presents a token of that issuer, as E2E_AUTH=contracts asks (test/e2e/target.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OUTPUTS } from '../../../infra/outputs.js';
import { LOCAL_CREDENTIALS } from '../../../local/emulators.js';
import { stackStore } from '../../../scripts/credential-stores.js';
import type { Context } from '../../infra/helpers.js';
import type { EmulatedResource } from './environment.js';
import { startKmsEmulator, type KmsEmulator } from './kms.js';
import { ACCOUNT_ID, REGION, type TemplateRun, type TemplateRunOptions } from './run.js';
import { TemplateError, type Template } from './template.js';
import { startTlsIssuer, type TlsIssuer } from './tls-issuer.js';

export const JWT_AUDIENCE = 'api://upload-lease-broker-template-run';

export interface ContractCredentials {
  /** What `npm run access-keys` resolves from the stack's outputs. */
  readonly tableName: string;
  readonly kmsKeyArn: string;
  readonly accessKeyId: string;
  readonly workspace: string;
  /** The token's oid, granted `subscription`. */
  readonly principal: string;
  readonly subscription: string;
  /** E2E_AUTH=contracts and the settings it needs (test/e2e/target.ts `e2eAuth`). */
  readonly e2eEnv: Readonly<Record<string, string>>;
}

export interface ContractAuth {
  readonly kms: KmsEmulator;
  readonly issuer: TlsIssuer;
  /** The synth's context: auth=contracts with this issuer and audience. */
  readonly context: Context;
  /** For startTemplateRun: each AWS::KMS::Key of the template as a new emulator key, the KMS endpoint, the trust root. */
  runOptions(template: Template): Pick<TemplateRunOptions, 'resources' | 'endpoints' | 'trustRoot'>;
  /** An access key (for a new workspace) and a grant (of a new subscription to a new principal) in the run's table, and a token. */
  credentials(run: TemplateRun): Promise<ContractCredentials>;
  close(): Promise<void>;
}

export async function startContractAuth(): Promise<ContractAuth> {
  const [kms, issuer] = await Promise.all([startKmsEmulator({ region: REGION, accountId: ACCOUNT_ID }), startTlsIssuer()]);
  return {
    kms,
    issuer,
    context: { auth: 'contracts', jwtIssuer: issuer.issuer, jwtAudience: JWT_AUDIENCE },
    runOptions(template) {
      const resources: Record<string, EmulatedResource> = {};
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Type !== 'AWS::KMS::Key') continue;
        const { keyId, arn } = kms.createKey();
        resources[id] = { ref: keyId, attributes: { Arn: arn, KeyId: keyId } };
      }
      return { resources, endpoints: { AWS_ENDPOINT_URL_KMS: kms.url }, trustRoot: issuer.caFile };
    },
    async credentials(run) {
      const outputs = run.model.template.Outputs ?? {};
      const output = (name: string) => {
        const o = outputs[name];
        if (!o) throw new TemplateError(`the template has no ${name} output, which npm run access-keys reads`);
        return run.resolve(o.Value);
      };
      const [tableName, kmsKeyArn, region] = [output(OUTPUTS.tableName), output(OUTPUTS.accessKeysKeyArn), output(OUTPUTS.region)];
      // As scripts/access-keys.ts builds them for a deployed stack; only the endpoints point here. Writes go
      // through the stream proxy, so the table's stream sees them as in AWS.
      const ddbClient = new DynamoDBClient({ region, endpoint: run.dynamoEndpoint, credentials: LOCAL_CREDENTIALS });
      const kmsClient = new KMSClient({ region, endpoint: kms.url, credentials: LOCAL_CREDENTIALS });
      try {
        const store = stackStore({ ddb: DynamoDBDocumentClient.from(ddbClient), kms: kmsClient, tableName, kmsKeyArn });
        const workspace = `ws_e2e_${randomBytes(4).toString('hex')}`;
        const subscription = randomUUID();
        const principal = randomUUID();
        const key = await store.createKey([workspace]);
        await store.putGrant({ principal, subscriptions: [subscription], registries: [] });
        const token = await issuer.mint(JWT_AUDIENCE, { oid: principal, sub: principal });
        return {
          tableName,
          kmsKeyArn,
          accessKeyId: key.AccessKeyId,
          workspace,
          principal,
          subscription,
          e2eEnv: {
            E2E_AUTH: 'contracts',
            E2E_ACCESS_KEY_ID: key.AccessKeyId,
            E2E_ACCESS_KEY_SECRET: key.AccessKeySecret,
            E2E_WORKSPACE: workspace,
            E2E_AZURE_TOKEN: token,
            E2E_SUBSCRIPTION: subscription,
            AWS_REGION: region,
          },
        };
      } finally {
        ddbClient.destroy();
        kmsClient.destroy();
      }
    },
    async close() {
      await Promise.all([kms.close(), issuer.close()]);
    },
  };
}
