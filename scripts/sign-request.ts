/**
 * Calls the IAM-authorized (SigV4) broker API with your AWS credentials and prints the response.
 *
 *   node --import tsx scripts/sign-request.ts <METHOD> <URL> [BODY | @file] [--region <region>] [--header 'Name: value' ...]
 *
 * Credentials come from the standard chain (env, AWS_PROFILE/SSO, instance role); the caller needs
 * execute-api:Invoke on the API. The region is taken from --region, AWS_REGION, or the API host name.
 */
import { readFileSync } from 'node:fs';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

interface Args {
  method: string;
  url: URL;
  body?: string;
  region?: string;
  headers: Record<string, string>;
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error("usage: sign-request.ts <METHOD> <URL> [BODY | @file] [--region <region>] [--header 'Name: value' ...]");
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const headers: Record<string, string> = {};
  let region: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--region') region = argv[++i] ?? usage('--region needs a value');
    else if (arg === '--header') {
      const header = argv[++i] ?? usage('--header needs a value');
      const colon = header.indexOf(':');
      if (colon <= 0) usage(`bad header "${header}"`);
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else positional.push(arg);
  }
  const [method, url, body] = positional;
  if (!method || !url) usage();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    usage(`not a URL: ${url}`);
  }
  return {
    method: method.toUpperCase(),
    url: parsed,
    ...(body !== undefined ? { body: body.startsWith('@') ? readFileSync(body.slice(1), 'utf8') : body } : {}),
    ...(region ? { region } : {}),
    headers,
  };
}

/** <api-id>.execute-api.<region>.amazonaws.com */
const regionFromHost = (host: string): string | undefined => /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(host)?.[1];

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? regionFromHost(args.url.hostname);
  if (!region) usage('cannot tell the region: pass --region');

  const headers: Record<string, string> = { host: args.url.host, ...args.headers };
  if (args.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of args.url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const request = new HttpRequest({
    method: args.method,
    protocol: args.url.protocol,
    hostname: args.url.hostname,
    ...(args.url.port ? { port: Number(args.url.port) } : {}),
    path: args.url.pathname,
    query,
    headers,
    ...(args.body !== undefined ? { body: args.body } : {}),
  });
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: defaultProvider(), sha256: Sha256 });
  const signed = await signer.sign(request);

  const response = await fetch(args.url, {
    method: args.method,
    headers: Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== 'host')),
    ...(args.body !== undefined ? { body: args.body } : {}),
  });
  console.error(`HTTP ${response.status}`);
  for (const [name, value] of response.headers) console.error(`${name}: ${value}`);
  console.log(await response.text());
  if (!response.ok) process.exitCode = 1;
}

await main();
