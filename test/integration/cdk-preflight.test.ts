import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';

/**
 * `npm run synth|deploy|destroy` failing before the CDK CLI starts, as a user sees it: the real wrapper
 * in a child process, with every AWS_* variable stripped, HOME and the AWS files in a temporary folder,
 * and AWS_EC2_METADATA_DISABLED=true. STS and SSM are a local stub (AWS_ENDPOINT_URL_STS/_SSM), which
 * also stands in for the instance-metadata endpoint so a probe would be counted, never sent out.
 */
// @runs ../../scripts/cdk.ts
// @runs ../../infra/app.ts

/** The project folder: the wrapper is run from there, as npm runs it. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ACCOUNT = '123456789012';
const root = mkdtempSync(join(tmpdir(), 'ulb-cdk-preflight-'));

interface Seen {
  readonly service: 'sts' | 'ssm' | 'imds' | 'other';
  readonly accessKeyId: string | undefined;
  /** SSM: the parameter asked for. */
  readonly name?: string;
}
const seen: Seen[] = [];

/** Answers by the access key that signed the request, so rows need no shared state. */
function answer(req: IncomingMessage, body: string, res: ServerResponse): void {
  const accessKeyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
  const target = String(req.headers['x-amz-target'] ?? '');
  const service = req.url?.startsWith('/latest/') ? 'imds' : target.startsWith('AmazonSSM.') ? 'ssm' : /Action=GetCallerIdentity/.test(body) ? 'sts' : 'other';
  seen.push({ service, accessKeyId, ...(service === 'ssm' ? { name: JSON.parse(body).Name } : {}) });
  if (service === 'sts') {
    if (accessKeyId === 'AKIDEXPIRED') {
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredToken</Code>' +
          '<Message>The security token included in the request is expired</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
        `<Arn>arn:aws:iam::${ACCOUNT}:user/dev</Arn><UserId>AIDAEXAMPLE</UserId><Account>${ACCOUNT}</Account>` +
        '</GetCallerIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
    );
    return;
  }
  if (service === 'ssm') {
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: 'ParameterNotFound', message: '' }));
    return;
  }
  res.writeHead(404);
  res.end();
}

const stub = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => answer(req, body, res));
});
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => stub.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** The wrapper in a child process with nothing of this machine's AWS setup; `files` are the AWS config files. */
function run(name: string, args: string[], env: Record<string, string>, files: { config?: string; credentials?: string } = {}) {
  const home = join(root, name);
  mkdirSync(home);
  if (files.config !== undefined) writeFileSync(join(home, 'config'), files.config);
  if (files.credentials !== undefined) writeFileSync(join(home, 'credentials'), files.credentials);
  const outdir = join(home, 'cdk.out');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|AMAZON_|CDK_)/.test(k) && !/^(DEBUG|https?_proxy|no_proxy)$/i.test(k)));
  const started = performance.now();
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number; outdir: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/cdk.ts'), ...args, '-o', outdir], {
      cwd: ROOT,
      env: {
        ...clean,
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started, outdir }));
  });
}

const stubbed = (accessKeyId: string) => ({
  AWS_ACCESS_KEY_ID: accessKeyId,
  AWS_SECRET_ACCESS_KEY: 'stub-secret',
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL_STS: endpoint,
  AWS_ENDPOINT_URL_SSM: endpoint,
});

interface Row {
  readonly name: string;
  readonly args: string[];
  readonly env?: () => Record<string, string>;
  readonly files?: { config?: string; credentials?: string };
  readonly line: RegExp | string;
  /** The requests the stub saw, as "<service> <access key id>". */
  readonly calls?: string[];
}

const ROWS: Row[] = [
  {
    name: 'deploy with no credentials at all',
    args: ['deploy'],
    line: /^cannot deploy: no AWS credentials found: set AWS_PROFILE to a profile of .*config \(or run aws configure\)$/,
  },
  {
    name: 'destroy with no credentials at all',
    args: ['destroy'],
    line: /^cannot destroy: no AWS credentials found: set AWS_PROFILE .*aws configure/,
  },
  {
    name: 'deploy with AWS_PROFILE naming a profile that does not exist',
    args: ['deploy'],
    env: () => ({ AWS_PROFILE: 'missing' }),
    line: /^cannot deploy: profile "missing" \(AWS_PROFILE\) is not in .*config or .*credentials: create it with aws configure --profile missing/,
  },
  {
    name: 'deploy with --profile mistyped: the profiles there are named',
    args: ['deploy', '--profile', 'dve'],
    files: { config: '[profile dev]\nregion = eu-west-1\n[profile prod]\nregion = eu-west-1\n' },
    line: /^cannot deploy: profile "dve" \(--profile\) is not in .*: pass --profile one of dev, prod$/,
  },
  {
    name: 'deploy with a profile whose credentials exist but no region',
    args: ['deploy'],
    env: () => ({ AWS_PROFILE: 'dev' }),
    files: { credentials: '[dev]\naws_access_key_id = AKIDNOREGION\naws_secret_access_key = s\n' },
    line: "cannot deploy: no region: set AWS_REGION or the profile's region (aws configure --profile dev)",
  },
  {
    name: 'deploy with credentials and a region, account not bootstrapped (STS and SSM stubbed)',
    args: ['deploy'],
    env: () => stubbed('AKIDNOTBOOTSTRAPPED'),
    line: `cannot deploy: account ${ACCOUNT} is not bootstrapped in eu-west-1: run npx cdk bootstrap aws://${ACCOUNT}/eu-west-1`,
    calls: ['sts AKIDNOTBOOTSTRAPPED', 'ssm AKIDNOTBOOTSTRAPPED /cdk-bootstrap/hnb659fds/version'],
  },
  {
    name: 'deploy to an account not bootstrapped with the qualifier the context names',
    args: ['deploy', '-c', '@aws-cdk/core:bootstrapQualifier=custom1'],
    env: () => stubbed('AKIDQUALIFIER'),
    line: `cannot deploy: account ${ACCOUNT} is not bootstrapped in eu-west-1 (qualifier custom1): run npx cdk bootstrap aws://${ACCOUNT}/eu-west-1 --qualifier custom1`,
    calls: ['sts AKIDQUALIFIER', 'ssm AKIDQUALIFIER /cdk-bootstrap/custom1/version'],
  },
  {
    name: 'deploy with expired credentials (STS stubbed: ExpiredToken)',
    args: ['deploy'],
    env: () => stubbed('AKIDEXPIRED'),
    line: /^cannot deploy: the AWS credentials have expired \(STS: ExpiredToken\): set fresh AWS_ACCESS_KEY_ID/,
    calls: ['sts AKIDEXPIRED'],
  },
  { name: 'synth with -c auth=bogus', args: ['synth', '-c', 'auth=bogus'], line: 'cannot synth: context auth must be "iam", "jwt" or "contracts", got "bogus"' },
  { name: 'synth with -c retentionSeconds=-1', args: ['synth', '-c', 'retentionSeconds=-1'], line: /^cannot synth: .*RETENTION_SECONDS must be a positive integer, got "-1"$/ },
  {
    name: 'synth with -c azureUploads=blob-front -c localstack=true',
    args: ['synth', '-c', 'azureUploads=blob-front', '--context', 'localstack=true'],
    line: /^cannot synth: context azureUploads=blob-front needs CloudFront, which LocalStack does not provide/,
  },
  { name: 'synth with -c corsAllowedOrigins=*', args: ['synth', '-c', 'corsAllowedOrigins=*'], line: 'cannot synth: corsAllowedOrigins must list origins; "*" is not allowed' },
  { name: 'deploy with a bad -c value: the context is checked first', args: ['deploy', '--context=auth=bogus'], line: /^cannot deploy: context auth must be/ },
];

describe('npm run synth|deploy|destroy: one line saying what to set, before any synth', () => {
  test.each(ROWS)('$name', async (row) => {
    const before = seen.length;
    const result = await run(row.name.replace(/\W+/g, '-'), row.args, row.env?.() ?? {}, row.files);
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    expect({ code: result.code, lines }).toEqual({ code: 2, lines: [expect.any(String)] });
    if (typeof row.line === 'string') expect(lines[0]).toBe(row.line);
    else expect(lines[0]).toMatch(row.line);
    expect(result.stderr).not.toMatch(/ {4}at /);
    expect(result.stdout).toBe('');
    // The CDK CLI never started: it creates its output directory and says "Subprocess" when the app fails.
    expect(result.stderr).not.toMatch(/Subprocess/);
    expect(existsSync(result.outdir)).toBe(false);
    expect(result.ms).toBeLessThan(10_000);
    // Rows run one after another, so what the stub saw since the row started is this row's.
    // With AWS_EC2_METADATA_SERVICE_ENDPOINT on the stub, a metadata probe would show here as "imds".
    expect(seen.slice(before).map((s) => [s.service, s.accessKeyId, s.name].filter(Boolean).join(' '))).toEqual(row.calls ?? []);
  }, 20_000);

  test('DEBUG=1 adds the trace after the line', async () => {
    const result = await run('debug', ['synth', '-c', 'auth=bogus'], { DEBUG: '1' });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('cannot synth: context auth must be "iam", "jwt" or "contracts", got "bogus"');
    expect(result.stderr).toMatch(/SettingsError: context auth must be/);
    expect(result.stderr).toMatch(/\n {4}at readSettings \(.*infra\/settings\.ts/);
    expect(existsSync(result.outdir)).toBe(false);
  }, 20_000);

  test('`cdk synth` run directly: the app itself says the one line, exit code 1', async () => {
    // The CLI hands the app its context in CDK_CONTEXT_JSON; the app alone shows what it prints.
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      env: { ...process.env, DEBUG: '', CDK_CONTEXT_JSON: JSON.stringify({ auth: 'bogus' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({ code: 1, stderr: 'cannot synth: context auth must be "iam", "jwt" or "contracts", got "bogus"\n' });
  }, 20_000);
});

