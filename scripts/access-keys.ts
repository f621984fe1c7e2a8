/**
 * `npm run access-keys -- <command>`: the access keys Alibaba clients sign with, and the grants of Azure
 * principals, for AUTH=contracts. The commands and targets are USAGE below (`--help` prints it). AWS
 * credentials come from the default chain. Every error a user can cause is one line (DEBUG adds the
 * trace): a usage or configuration error exits 2, one from AWS (no credentials, access denied) 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OUTPUTS } from '../infra/outputs.js';
import { accessKeysFileIn, azureGrantsFileIn, localDataDir } from '../local/data-files.js';
import { ConfigError } from '../shared/config.js';
import { parseCommandLine } from './command-line.js';
import { FILE_MODE, fileStore, stackStore, type CredentialStore } from './credential-stores.js';
import { isEntryPoint } from './entry-point.js';

/** A usage error: a configuration error (one line, exit 2) of the command line. */
export class UsageError extends ConfigError {}

const COMMANDS = ['create', 'list', 'revoke', 'grant', 'revoke-grant'];

/** What `--help` prints: the commands and where they act. */
export const USAGE = `usage: npm run access-keys -- <command> [target]
commands:
  create --workspace <id> [--workspace <id> ...]   a new key; its secret is printed once, here
  list                                             keys and their workspaces (never a secret)
  revoke <AccessKeyId>
  grant --principal <oid|sub> [--subscription <id> ...] [--registry <sub>/<rg>/<name> ...]
  revoke-grant --principal <oid|sub>
target:
  --local                                          the local mode's files, where npm start reads them:
                                                   $DATA_DIR/access-keys.json and azure-grants.json (DATA_DIR
                                                   default .data; ACCESS_KEYS_FILE, AZURE_GRANTS_FILE override)
  --keys-file <path> / --grants-file <path>        other files for the local mode (AUTH=contracts)
  --outputs <file> [--stack <name>]                a deployed stack (default cdk-outputs.json)
  --table <name> --kms-key <arn> --region <name>   a deployed stack, named directly
  --profile <name>                                 the AWS profile for a deployed stack
The local files are written owner-only (0600): the keys file holds the secrets.`;

const HELP = '(--help shows the usage)';

interface StackTarget {
  readonly tableName: string;
  readonly kmsKeyArn: string;
  readonly region: string;
}

/** The stack's table, key and region, from flags or the outputs file `cdk deploy --outputs-file` wrote. */
export function stackTarget(values: Record<string, string | undefined>): StackTarget {
  if (values.table && values['kms-key'] && values.region) return { tableName: values.table, kmsKeyArn: values['kms-key'], region: values.region };
  const path = values.outputs ?? 'cdk-outputs.json';
  if (!existsSync(path)) {
    throw new UsageError(`no ${path}: deploy with -c auth=contracts first, or give --table, --kms-key and --region (or --local for the local mode's files)`);
  }
  let all: Record<string, Record<string, string>>;
  try {
    all = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
  } catch (error) {
    throw new UsageError(`${path} is not JSON (${(error as Error).message}): deploy again (npm run deploy rewrites it), or give --table, --kms-key and --region`, { cause: error });
  }
  if (!all || typeof all !== 'object' || Array.isArray(all)) throw new UsageError(`${path} is not a cdk deploy outputs file: deploy again, or give --table, --kms-key and --region`);
  const names = Object.keys(all);
  const stack = values.stack ?? (names.length === 1 ? names[0] : undefined);
  if (!stack || !all[stack]) throw new UsageError(`${path} has stacks ${names.join(', ') || '(none)'}: name one with --stack`);
  const outputs = all[stack]!;
  const kmsKeyArn = outputs[OUTPUTS.accessKeysKeyArn];
  if (!kmsKeyArn) throw new UsageError(`stack ${stack} has no ${OUTPUTS.accessKeysKeyArn} output: it was not deployed with -c auth=contracts`);
  const missing = [OUTPUTS.tableName, OUTPUTS.region].filter((name) => !outputs[name]);
  if (missing.length) throw new UsageError(`stack ${stack} in ${path} has no ${missing.join(' or ')} output: deploy again, or give --table, --kms-key and --region`);
  return { tableName: outputs[OUTPUTS.tableName]!, kmsKeyArn, region: outputs[OUTPUTS.region]! };
}

type Env = Readonly<Record<string, string | undefined>>;

/** The local mode's files: --keys-file / --grants-file, else with --local the ones the broker reads. */
interface LocalFiles {
  readonly keysFile?: string;
  readonly grantsFile?: string;
  /** The settings of a broker that reads the keys file (the one it reads by default needs no variable). */
  startHint(): string;
}

export function localFiles(values: Record<string, string | boolean | string[] | undefined>, env: Env): LocalFiles | undefined {
  const named = { keys: values['keys-file'] as string | undefined, grants: values['grants-file'] as string | undefined };
  if (!values.local && !named.keys && !named.grants) return undefined;
  const stackFlags = ['outputs', 'stack', 'table', 'kms-key'].filter((name) => values[name] !== undefined);
  if (stackFlags.length) throw new UsageError(`the local files and a deployed stack (--${stackFlags.join(', --')}) at once: choose one`);
  // What a broker started in this environment reads (local/auth-settings.ts).
  const read = { keys: resolve(env.ACCESS_KEYS_FILE || accessKeysFileIn(localDataDir(env))), grants: resolve(env.AZURE_GRANTS_FILE || azureGrantsFileIn(localDataDir(env))) };
  const file = (kind: 'keys' | 'grants') => (named[kind] ? resolve(named[kind]) : values.local ? read[kind] : undefined);
  const keysFile = file('keys');
  const grantsFile = file('grants');
  return {
    ...(keysFile ? { keysFile } : {}),
    ...(grantsFile ? { grantsFile } : {}),
    startHint: () => `AUTH=contracts JWT_ISSUER=dev${keysFile === read.keys ? '' : ` ACCESS_KEYS_FILE=${keysFile}`}`,
  };
}

export interface RunOptions {
  /** Remarks for the person at the terminal (stderr): stdout carries only what a script captures. */
  readonly note?: (line: string) => void;
  /** Where DATA_DIR, ACCESS_KEYS_FILE and AZURE_GRANTS_FILE are read (default process.env). */
  readonly env?: Env;
  readonly storeFor?: (values: Record<string, string | undefined>) => CredentialStore;
}

export async function run(argv: readonly string[], out: (line: string) => void, options: RunOptions = {}): Promise<void> {
  const note = options.note ?? out;
  const env = options.env ?? process.env;
  const parsed = parseCommandLine(
    argv,
    {
      workspace: { type: 'string', multiple: true },
      principal: { type: 'string' },
      subscription: { type: 'string', multiple: true },
      registry: { type: 'string', multiple: true },
      local: { type: 'boolean' },
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
    HELP,
  );
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError(`name a command: ${COMMANDS.join(', ')} ${HELP}`);
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}: the commands are ${COMMANDS.join(', ')} ${HELP}`);
  const single = Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const local = localFiles(values, env);
  if (values.profile) process.env.AWS_PROFILE = values.profile;
  const store = () => {
    if (options.storeFor) return options.storeFor(single);
    if (local) return fileStore(local.keysFile, local.grantsFile);
    const target = stackTarget(single);
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: target.region }));
    return stackStore({ ddb, kms: new KMSClient({ region: target.region }), tableName: target.tableName, kmsKeyArn: target.kmsKeyArn });
  };
  /** Where a new key was written (it holds the secret), and how a broker reads it. */
  const stored = (path: string | undefined) => {
    if (local && path) note(`stored in ${path} (${FILE_MODE.toString(8).padStart(4, '0')}; start the broker with ${local.startHint()} (or your issuer) to use it)`);
  };
  switch (command) {
    case 'create': {
      const workspaces = values.workspace ?? [];
      if (workspaces.length === 0) throw new UsageError('create needs at least one --workspace <id>');
      const key = await store().createKey(workspaces);
      out(JSON.stringify(key, null, 2));
      note('The secret is shown this once; store it now.');
      stored(local?.keysFile);
      return;
    }
    case 'list':
      for (const key of await store().listKeys()) out(JSON.stringify(key));
      return;
    case 'revoke': {
      if (rest.length !== 1) throw new UsageError('revoke needs one AccessKeyId');
      if (!(await store().revokeKey(rest[0]!))) throw new UsageError(`no access key ${rest[0]}`);
      out(`revoked ${rest[0]} (${local ? 'a running broker refuses it from its next use' : 'Lambdas that cached it stop accepting it within 5 minutes'})`);
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
  }
}

const AWS_CREDENTIALS = 'set AWS_PROFILE (or pass --profile <name>), or run aws configure (aws sso login for an SSO profile)';
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH']);

/** One line for an error of AWS (the deployed target): what to set or check. Undefined for anything else. */
export function awsProblem(error: unknown): string | undefined {
  const e = error as { name?: string; message?: string; code?: string; hostname?: string; $metadata?: unknown };
  if (!e || typeof e !== 'object') return undefined;
  const said = `${e.name}: ${e.message}`;
  if (e.name === 'CredentialsProviderError' || e.name === 'TokenProviderError') return `no AWS credentials (${e.message}): ${AWS_CREDENTIALS}`;
  if (e.code && UNREACHABLE.has(e.code)) return `cannot reach AWS (${e.code}${e.hostname ? ` ${e.hostname}` : ''}): check --region (or the outputs file's Region) and the network`;
  if (e.$metadata === undefined) return undefined;
  if (/^(ExpiredToken|ExpiredTokenException|UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|IncompleteSignature)$/.test(e.name ?? '')) {
    return `AWS refused the credentials (${said}): refresh them, or ${AWS_CREDENTIALS}`;
  }
  if (/^AccessDenied/.test(e.name ?? '')) return `AWS denied it (${said}): use a profile allowed to manage the stack's access keys (--profile <name> or AWS_PROFILE)`;
  if (e.name === 'ResourceNotFoundException') return `${said}: check --table and --region, or the outputs file (--outputs, --stack)`;
  if (e.name === 'NotFoundException' || e.name === 'KMSInvalidStateException' || e.name === 'DisabledException') return `${said}: check --kms-key (the stack's AccessKeysKeyArn output)`;
  return `AWS answered ${said}`;
}

/** How a failure is shown: one line and its exit code, or undefined for a bug (shown with its trace). */
export function failureOf(error: unknown): { line: string; exitCode: 1 | 2 } | undefined {
  if (error instanceof ConfigError) return { line: error.message, exitCode: 2 };
  const aws = awsProblem(error);
  return aws === undefined ? undefined : { line: aws.replace(/\s*\n\s*/g, ' '), exitCode: 1 };
}

if (isEntryPoint(import.meta.url)) {
  run(process.argv.slice(2), (line) => console.log(line), { note: (line) => console.error(line) }).catch((error: unknown) => {
    const failure = failureOf(error);
    if (!failure || process.env.DEBUG) console.error(error);
    if (failure) console.error(`access-keys: ${failure.line}`);
    process.exit(failure?.exitCode ?? 1);
  });
}
