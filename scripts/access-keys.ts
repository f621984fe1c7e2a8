/**
 * `npm run access-keys -- <command>`: the access keys Alibaba clients sign with, and the grants of Azure
 * principals, for AUTH=contracts. The commands and targets are USAGE below (`--help` prints it). AWS
 * credentials come from the default chain.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OUTPUTS } from '../infra/outputs.js';
import { fileStore, stackStore, type CredentialStore } from './credential-stores.js';

export class UsageError extends Error {}

/** What `--help` prints, and the tail of every usage error: the commands and where they act. */
export const USAGE = `usage: npm run access-keys -- <command> [target]
commands:
  create --workspace <id> [--workspace <id> ...]   a new key; its secret is printed once, here
  list                                             keys and their workspaces (never a secret)
  revoke <AccessKeyId>
  grant --principal <oid|sub> [--subscription <id> ...] [--registry <sub>/<rg>/<name> ...]
  revoke-grant --principal <oid|sub>
target:
  --keys-file <path> / --grants-file <path>        the local mode's files (AUTH=contracts)
  --outputs <file> [--stack <name>]                a deployed stack (default cdk-outputs.json)
  --table <name> --kms-key <arn> --region <name>   a deployed stack, named directly
  --profile <name>                                 the AWS profile for a deployed stack`;

interface StackTarget {
  readonly tableName: string;
  readonly kmsKeyArn: string;
  readonly region: string;
}

/** The stack's table, key and region, from flags or the outputs file `cdk deploy --outputs-file` wrote. */
export function stackTarget(values: Record<string, string | undefined>): StackTarget {
  if (values.table && values['kms-key'] && values.region) return { tableName: values.table, kmsKeyArn: values['kms-key'], region: values.region };
  const path = values.outputs ?? 'cdk-outputs.json';
  if (!existsSync(path)) throw new UsageError(`no ${path}: deploy with -c auth=contracts first, or give --table, --kms-key and --region (or --keys-file for the local mode)`);
  const all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
  const names = Object.keys(all);
  const stack = values.stack ?? (names.length === 1 ? names[0] : undefined);
  if (!stack || !all[stack]) throw new UsageError(`${path} has stacks ${names.join(', ')}: name one with --stack`);
  const outputs = all[stack]!;
  const kmsKeyArn = outputs[OUTPUTS.accessKeysKeyArn];
  if (!kmsKeyArn) throw new UsageError(`stack ${stack} has no ${OUTPUTS.accessKeysKeyArn} output: it was not deployed with -c auth=contracts`);
  return { tableName: outputs[OUTPUTS.tableName]!, kmsKeyArn, region: outputs[OUTPUTS.region]! };
}

export async function run(argv: readonly string[], out: (line: string) => void, storeFor?: (values: Record<string, string | undefined>) => CredentialStore): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      workspace: { type: 'string', multiple: true },
      principal: { type: 'string' },
      subscription: { type: 'string', multiple: true },
      registry: { type: 'string', multiple: true },
      'keys-file': { type: 'string' },
      'grants-file': { type: 'string' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      table: { type: 'string' },
      'kms-key': { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  const single = Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  if (values.profile) process.env.AWS_PROFILE = values.profile;
  const store = () => {
    if (storeFor) return storeFor(single);
    if (values['keys-file'] || values['grants-file']) return fileStore(values['keys-file'], values['grants-file']);
    const target = stackTarget(single);
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: target.region }));
    return stackStore({ ddb, kms: new KMSClient({ region: target.region }), tableName: target.tableName, kmsKeyArn: target.kmsKeyArn });
  };
  switch (command) {
    case 'create': {
      const workspaces = values.workspace ?? [];
      if (workspaces.length === 0) throw new UsageError('create needs at least one --workspace <id>');
      const key = await store().createKey(workspaces);
      out(JSON.stringify(key, null, 2));
      out('The secret is shown this once; store it now.');
      return;
    }
    case 'list':
      for (const key of await store().listKeys()) out(JSON.stringify(key));
      return;
    case 'revoke': {
      if (rest.length !== 1) throw new UsageError('revoke needs one AccessKeyId');
      if (!(await store().revokeKey(rest[0]!))) throw new UsageError(`no access key ${rest[0]}`);
      out(`revoked ${rest[0]} (Lambdas that cached it stop accepting it within 5 minutes)`);
      return;
    }
    case 'grant': {
      const subscriptions = values.subscription ?? [];
      const registries = values.registry ?? [];
      if (!values.principal || subscriptions.length + registries.length === 0) throw new UsageError('grant needs --principal and at least one --subscription or --registry');
      for (const r of registries) if (r.split('/').length !== 3) throw new UsageError(`--registry ${r}: expected <subscriptionId>/<resourceGroup>/<registryName>`);
      await store().putGrant({ principal: values.principal, subscriptions, registries });
      out(`granted ${values.principal}: ${[...subscriptions, ...registries].join(', ')}`);
      return;
    }
    case 'revoke-grant': {
      if (!values.principal) throw new UsageError('revoke-grant needs --principal');
      if (!(await store().revokeGrant(values.principal))) throw new UsageError(`no grant for ${values.principal}`);
      out(`revoked the grant of ${values.principal}`);
      return;
    }
    default:
      throw new UsageError(command === undefined ? USAGE : `unknown command ${JSON.stringify(command)}\n${USAGE}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2), (line) => console.log(line)).catch((error: unknown) => {
    console.error(error instanceof UsageError || error instanceof TypeError ? error.message : error);
    process.exit(error instanceof UsageError || error instanceof TypeError ? 2 : 1);
  });
}
