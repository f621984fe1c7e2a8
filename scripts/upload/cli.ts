/**
 * `npm run ulb -- upload <file> --contract alibaba|azure ...` (also the package's `ulb` bin): one whole
 * upload the way each contract's clients do it. Size and MD5 while streaming the file, a lease through
 * the chosen contract, the PUT with exactly the returned method, URL and headers (progress on stderr),
 * the verdict (UPLOADED, or REJECTED with its reason), optionally consumption (AddFile / code version),
 * and the lease as JSON on stdout.
 *
 * Exit codes: 0 uploaded (or consumed); 1 rejected, or no verdict in time; 2 usage or configuration (no
 * AWS credentials for --auth iam included); 3 the broker or the storage refused or could not be reached.
 * Every failure is one line on stderr, `ulb: ...`; DEBUG adds the trace, as does a bug (shown whole).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { OUTPUTS } from '../../infra/outputs.js';
import { ConfigError } from '../../shared/config.js';
import { readStackOutputs, StackOutputsError } from '../stack-outputs.js';
import { regionOfApiHost, type AuthScheme } from './auth.js';
import { BrokerClient, BrokerError, type Target } from './broker-client.js';
import { digestFile } from './file-digest.js';
import { uploadProgress } from './progress.js';
import { putFile } from './put-file.js';
import { parseCommandLine } from '../command-line.js';
import { isEntryPoint } from '../entry-point.js';

export const USAGE = `usage: ulb upload <file> --contract alibaba|azure [options]
  alibaba:  --workspace <WorkspaceId> [--category <CategoryId>]           (default category: default)
  azure:    --subscription <id> --resource-group <name> --workspace <name> --name <code> --version <v>
  target:   --base-url <url>, else API_URL, else the ApiUrl in cdk-outputs.json (--outputs <file>, --stack <name>),
            else the local mode at http://127.0.0.1:3000
  auth:     --auth none|iam|contracts (default: contracts when its credentials are given, iam for an
            execute-api host, else none); iam: --profile, --region (AWS_PROFILE honoured);
            contracts: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (or --access-key-id/--access-key-secret),
            an Azure token in AZURE_ACCESS_TOKEN (or --token)
  --consume         then AddFile (alibaba) or create the code version (azure)
  --wait <seconds>  how long to wait for the verdict (default 120)`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const HELP = '(ulb --help shows the usage)';

/** The broker's URL as given (--base-url, API_URL or the outputs file): an http(s) URL, or a usage error naming it. */
function checkedBaseUrl(url: string, from: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) throw new UsageError(`${from} must be an http(s) URL such as http://127.0.0.1:3000, got "${url}"`);
  return url;
}

/** A bug rather than a refusal: shown with its trace. (System errors carry a code; ours have their own classes.) */
const isBug = (error: unknown) =>
  !(error instanceof Error) || ((error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError) && !(error as NodeJS.ErrnoException).code);

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: NodeJS.WriteStream;
  /** The process's working directory (default process.cwd()): where the default cdk-outputs.json is. */
  readonly cwd?: string;
}

/**
 * The folder the user typed the command in, which relative paths on the command line mean. `npm run ulb`
 * runs in the package root, not there; npm keeps the caller's folder in INIT_CWD.
 */
export function callerDir(io: CliIo): string {
  return io.env.INIT_CWD || io.cwd || process.cwd();
}

/** The size of a file the CLI is about to stream; a UsageError naming its absolute path when it cannot. */
function readableFileSize(file: string): number {
  let problem: string;
  try {
    const stat = statSync(file);
    if (stat.isFile()) {
      accessSync(file, constants.R_OK);
      return stat.size;
    }
    problem = stat.isDirectory() ? 'a directory' : 'not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problem = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message);
  }
  throw new UsageError(`cannot read ${file}: ${problem}`);
}

const LOCAL_DEFAULT = 'http://127.0.0.1:3000';
const STRING_OPTIONS = ['contract', 'workspace', 'category', 'subscription', 'resource-group', 'name', 'version', 'base-url', 'outputs', 'stack', 'auth', 'profile', 'region', 'access-key-id', 'access-key-secret', 'token', 'wait'];

function baseUrlAndOutputs(values: Record<string, string | boolean | undefined>, io: CliIo) {
  const explicit = (values['base-url'] as string | undefined) ?? io.env.API_URL;
  if (explicit) return { baseUrl: checkedBaseUrl(explicit, values['base-url'] !== undefined ? '--base-url' : 'API_URL'), outputs: undefined };
  // A file the user names is where they stand; the default one is where npm run deploy wrote it.
  const named = (values.outputs as string | undefined) ?? io.env.CDK_OUTPUTS_FILE;
  const deployed = readStackOutputs({
    file: named === undefined ? undefined : resolve(callerDir(io), named),
    stack: values.stack as string | undefined,
    require: OUTPUTS.apiUrl,
    ...(io.cwd ? { cwd: io.cwd } : {}),
  });
  if (!deployed) return { baseUrl: LOCAL_DEFAULT, outputs: undefined };
  return { baseUrl: checkedBaseUrl(deployed.outputs[OUTPUTS.apiUrl]!, `the ${OUTPUTS.apiUrl} of ${deployed.file}`), outputs: deployed.outputs };
}

function authScheme(values: Record<string, string | boolean | undefined>, contract: 'alibaba' | 'azure', baseUrl: string, outputs: Record<string, string> | undefined, env: NodeJS.ProcessEnv): AuthScheme {
  const keyId = (values['access-key-id'] as string | undefined) ?? env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = (values['access-key-secret'] as string | undefined) ?? env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const token = (values.token as string | undefined) ?? env.AZURE_ACCESS_TOKEN;
  const host = new URL(baseUrl).hostname;
  const hasNative = contract === 'alibaba' ? Boolean(keyId && secret) : Boolean(token);
  const mode = (values.auth as string | undefined) ?? (hasNative ? 'contracts' : host.includes('.execute-api.') ? 'iam' : 'none');
  if (mode === 'none') return { kind: 'none' };
  if (mode === 'iam') {
    const region = (values.region as string | undefined) ?? env.AWS_REGION ?? regionOfApiHost(host) ?? outputs?.[OUTPUTS.region];
    if (!region) throw new UsageError(`--auth iam: cannot tell the region of ${host}; pass --region`);
    return { kind: 'iam', region, ...(values.profile ? { profile: values.profile as string } : {}) };
  }
  if (mode === 'contracts') {
    if (contract === 'alibaba') {
      if (!keyId || !secret) throw new UsageError('--auth contracts: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or --access-key-id and --access-key-secret)');
      return { kind: 'alibaba', accessKeyId: keyId, accessKeySecret: secret };
    }
    if (!token) throw new UsageError('--auth contracts: set AZURE_ACCESS_TOKEN (or --token) to a bearer token for the broker');
    return { kind: 'azure', token };
  }
  throw new UsageError(`--auth must be none, iam or contracts, got "${mode}"`);
}

function targetOf(values: Record<string, string | boolean | undefined>): Target {
  const need = (name: string) => {
    const value = values[name];
    if (typeof value !== 'string' || value === '') throw new UsageError(`--contract ${values.contract} needs --${name}`);
    return value;
  };
  if (values.contract === 'alibaba') return { contract: 'alibaba', workspace: need('workspace'), category: (values.category as string | undefined) ?? 'default' };
  if (values.contract === 'azure') {
    return { contract: 'azure', subscription: need('subscription'), resourceGroup: need('resource-group'), workspace: need('workspace'), name: need('name'), version: need('version') };
  }
  throw new UsageError(`--contract must be alibaba or azure${values.contract ? `, got "${values.contract}"` : ''}`);
}

/** Runs the CLI; resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const fail = (code: number, message: string, error?: unknown) => {
    if (error !== undefined && (io.env.DEBUG || isBug(error))) io.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    io.stderr.write(`ulb: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  };
  let parsed;
  try {
    parsed = parseCommandLine(argv, { ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: 'string' as const }])), consume: { type: 'boolean' }, help: { type: 'boolean' } }, HELP);
  } catch (error) {
    return fail(2, (error as Error).message, error);
  }
  const { values, positionals } = parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [command, typed] = positionals;
  if (command === undefined) return fail(2, `name the command: ulb upload <file> --contract alibaba|azure ... ${HELP}`);
  if (command !== 'upload') return fail(2, `unknown command "${command}": the command is upload ${HELP}`);
  if (!typed || positionals.length > 2) return fail(2, `upload takes one file, got ${positionals.length - 1} ${HELP}`);
  const path = resolve(callerDir(io), typed);
  try {
    const size = readableFileSize(path);
    const target = targetOf(values);
    const waitSeconds = values.wait === undefined ? 120 : Number(values.wait);
    if (!Number.isFinite(waitSeconds) || waitSeconds <= 0) throw new UsageError('--wait must be a positive number of seconds');
    const { baseUrl, outputs } = baseUrlAndOutputs(values, io);
    const client = new BrokerClient(baseUrl, authScheme(values, target.contract, baseUrl, outputs, io.env));

    const digest = await digestFile(path);
    if (digest.size !== size) throw new BrokerError(`${path} changed while it was read`);
    const lease = await client.lease(target, { path, ...digest });
    // ULB_PROGRESS_INTERVAL_MS: how often a plain progress line is written when stderr is not a terminal.
    const progress = uploadProgress(digest.size, io.stderr, io.env.ULB_PROGRESS_INTERVAL_MS ? Number(io.env.ULB_PROGRESS_INTERVAL_MS) : undefined);
    try {
      await putFile({ path, size: digest.size }, lease, (bytes) => progress.update(bytes));
    } finally {
      progress.stop();
    }
    const deadline = Date.now() + waitSeconds * 1000;
    let view = await client.status(lease.leaseId);
    while (view.status === 'PENDING' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      view = await client.status(lease.leaseId);
    }
    if (view.status === 'REJECTED') {
      io.stdout(`${JSON.stringify({ lease: view })}\n`);
      return fail(1, `upload REJECTED: ${view.rejectReason ?? 'no reason given'}`);
    }
    if (view.status !== 'UPLOADED') {
      io.stdout(`${JSON.stringify({ lease: view })}\n`);
      return fail(1, `no verdict within ${waitSeconds} s: the lease is ${view.status}`);
    }
    const consumed = values.consume ? await client.consume(target, lease) : {};
    if (values.consume) view = await client.status(lease.leaseId);
    io.stdout(`${JSON.stringify({ lease: view, ...consumed })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof StackOutputsError || error instanceof ConfigError) return fail(2, error.message, error);
    if ((error as Error)?.name === 'CredentialsProviderError') {
      return fail(2, `--auth iam: no AWS credentials (${(error as Error).message}): set AWS_PROFILE (or pass --profile <name>), or run aws configure`, error);
    }
    return fail(3, (error as Error)?.message ?? String(error), error);
  }
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2), { env: process.env, stdout: (t) => process.stdout.write(t), stderr: process.stderr });
}
