/**
 * Calls the IAM-authorized (SigV4) broker API with your AWS credentials and prints the response.
 *
 *   npm run sign-request -- <METHOD> <URL | /path> [BODY | @file] [--stack <name>] [--outputs <file>]
 *                           [--profile <name>] [--region <region>] [--header 'Name: value' ...]
 *
 * Credentials come from the standard chain (env, AWS_PROFILE or --profile, SSO, instance role); the
 * caller needs execute-api:Invoke on the API.
 */
import { readFileSync } from 'node:fs';
import { OUTPUTS } from '../infra/outputs.js';
import { readStackOutputs, StackOutputsError } from './stack-outputs.js';
import { authenticate, regionOfApiHost } from './upload/auth.js';
import { isEntryPoint } from './entry-point.js';

export interface SignArgs {
  method: string;
  url: URL;
  body?: string;
  region: string;
  profile?: string;
  headers: Record<string, string>;
}

export class SignUsageError extends Error {
  override readonly name = 'SignUsageError';
}

const USAGE =
  "usage: npm run sign-request -- <METHOD> <URL | /path> [BODY | @file] [--stack <name>] [--outputs <file>] [--profile <name>] [--region <region>] [--header 'Name: value' ...]";

/**
 * The request to sign, from the arguments. A path (`/leases/...`) is joined to the deployed stack's
 * ApiUrl (API_URL, else the outputs file npm run deploy wrote, whatever the stack was called); the
 * region comes from --region, AWS_REGION, the API host name or the stack's Region output.
 */
export function resolveSignArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): SignArgs {
  const positional: string[] = [];
  const headers: Record<string, string> = {};
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (['--region', '--profile', '--stack', '--outputs'].includes(arg)) {
      const value = argv[++i];
      if (value === undefined) throw new SignUsageError(`${arg} needs a value`);
      flags[arg.slice(2)] = value;
    } else if (arg === '--header') {
      const header = argv[++i];
      if (header === undefined) throw new SignUsageError('--header needs a value');
      const colon = header.indexOf(':');
      if (colon <= 0) throw new SignUsageError(`bad header "${header}"`);
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else positional.push(arg);
  }
  const [method, target, body] = positional;
  if (!method || !target) throw new SignUsageError(USAGE);
  const deployed = () =>
    env.API_URL && !flags.stack && !flags.outputs
      ? undefined
      : readStackOutputs({ file: flags.outputs ?? env.CDK_OUTPUTS_FILE, stack: flags.stack, require: OUTPUTS.apiUrl, ...(cwd ? { cwd } : {}) })?.outputs;
  let url: URL;
  if (target.startsWith('/')) {
    const base = (flags.stack || flags.outputs ? undefined : env.API_URL) ?? deployed()?.[OUTPUTS.apiUrl];
    if (!base) throw new SignUsageError(`${target} is a path: set API_URL, or run where npm run deploy wrote cdk-outputs.json (--outputs <file>, --stack <name>)`);
    url = new URL(base.replace(/\/$/, '') + target);
  } else {
    try {
      url = new URL(target);
    } catch {
      throw new SignUsageError(`not a URL: ${target} (give a full URL, or a path starting with /)`);
    }
  }
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? regionOfApiHost(url.hostname) ?? deployed()?.[OUTPUTS.region];
  if (!region) throw new SignUsageError(`cannot tell the region of ${url.host}: pass --region`);
  return {
    method: method.toUpperCase(),
    url,
    ...(body !== undefined ? { body: body.startsWith('@') ? readFileSync(body.slice(1), 'utf8') : body } : {}),
    region,
    ...(flags.profile ? { profile: flags.profile } : {}),
    headers,
  };
}

async function main() {
  let args: SignArgs;
  try {
    args = resolveSignArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof SignUsageError || error instanceof StackOutputsError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const headers: Record<string, string> = { ...args.headers };
  if (args.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const signed = await authenticate(
    { method: args.method, url: args.url, headers, ...(args.body !== undefined ? { body: args.body } : {}) },
    { kind: 'iam', region: args.region, ...(args.profile ? { profile: args.profile } : {}) },
  );

  const response = await fetch(args.url, {
    method: args.method,
    headers: signed,
    ...(args.body !== undefined ? { body: args.body } : {}),
  });
  console.error(`HTTP ${response.status}`);
  for (const [name, value] of response.headers) console.error(`${name}: ${value}`);
  console.log(await response.text());
  if (!response.ok) process.exitCode = 1;
}

if (isEntryPoint(import.meta.url)) await main();
