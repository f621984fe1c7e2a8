import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from '@jest/globals';

/**
 * Every configuration error a user can cause, as they see it: the real command in a child process
 * (npm start, npm run access-keys, npm run ulb, npm run test:e2e), in an environment with no AWS
 * settings, no DEBUG and a HOME of its own. Each says one line naming the setting and what to do,
 * without a stack trace; DEBUG=1 adds the trace (one row per command).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// `node --import tsx`, from any folder: the loader the package's "tsx" resolves to.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const dir = mkdtempSync(join(tmpdir(), 'ulb-config-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file in the test's folder. */
const file = (name: string, content: string) => {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
};
/** A folder of its own (a cwd without cdk-outputs.json, a DATA_DIR), made now. */
const folder = (name: string) => {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  return path;
};

const key = (secret: string) => ({ AccessKeyId: 'LTAIconfig', AccessKeySecret: secret, Workspaces: ['ws'] });
const KEYS = file('keys.json', JSON.stringify([key('a-secret-long-enough')]));
const GRANTS = file('grants.json', JSON.stringify([{ principal: 'p', subscriptions: ['s'] }]));
const CONTRACTS = { AUTH: 'contracts', JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'api', ACCESS_KEYS_FILE: KEYS, AZURE_GRANTS_FILE: GRANTS };
// V8's JSON.parse quotes a short broken file whole, its line breaks included: the line must stay one.
const BROKEN_JSON = '[\n  "entry",\n  oops\n]\n';
const UPLOAD = file('upload.pdf', 'a pdf, as far as anyone checks');

type Command = 'start' | 'access-keys' | 'ulb' | 'test:e2e' | 'dev-token';
const SCRIPTS: Record<Command, string> = {
  start: 'local/start.ts',
  'access-keys': 'scripts/access-keys.ts',
  ulb: 'scripts/upload/cli.ts',
  'test:e2e': 'scripts/run-e2e.ts',
  'dev-token': 'scripts/dev-token.ts',
};

interface Row {
  readonly name: string;
  readonly command: Command;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  /** Default: a folder of the row's own, holding no cdk-outputs.json. */
  readonly cwd?: string;
  readonly code: number;
  /** What the one line says: the setting's name and what to do. */
  readonly says: readonly (string | RegExp)[];
  /** DEBUG=1: the trace is printed, the one line still last. */
  readonly debug?: boolean;
}

const rows: Row[] = [
  // npm start: `cannot start: ...`, exit 2 for a setting (1 stays for a port in use and the like).
  { name: 'AUTH=bogus', command: 'start', env: { AUTH: 'bogus' }, code: 2, says: [/^cannot start: AUTH must be "none" or "contracts", got "bogus"$/] },
  { name: 'AUTH=contracts without JWT_ISSUER', command: 'start', env: { AUTH: 'contracts' }, code: 2, says: [/^cannot start: AUTH=contracts needs JWT_ISSUER/] },
  { name: 'JWT_ISSUER not a URL', command: 'start', env: { AUTH: 'contracts', JWT_ISSUER: 'login.example', JWT_AUDIENCE: 'a' }, code: 2, says: [/^cannot start: JWT_ISSUER must be an http\(s\) issuer URL, or dev for the development issuer, got "login\.example"$/] },
  { name: 'JWT_ISSUER without JWT_AUDIENCE', command: 'start', env: { AUTH: 'contracts', JWT_ISSUER: 'https://login.example/' }, code: 2, says: [/^cannot start: AUTH=contracts with JWT_ISSUER=https:\/\/login\.example\/ needs JWT_AUDIENCE/] },
  { name: 'S3_VERIFY_SIGNATURES=maybe', command: 'start', env: { S3_VERIFY_SIGNATURES: 'maybe' }, code: 2, says: [/^cannot start: S3_VERIFY_SIGNATURES must be "true" or "false", got "maybe"$/] },
  { name: 'S3_EVENT_DELAY_MS=x', command: 'start', env: { S3_EVENT_DELAY_MS: 'x' }, code: 2, says: [/^cannot start: S3_EVENT_DELAY_MS must be a whole number of milliseconds/] },
  { name: 'DEV_ISSUER_PORT=abc', command: 'start', env: { AUTH: 'contracts', JWT_ISSUER: 'dev', DEV_ISSUER_PORT: 'abc' }, code: 2, says: [/^cannot start: DEV_ISSUER_PORT must be a port number from 0 to 65535, got "abc"$/] },
  {
    name: 'ACCESS_KEYS_FILE not JSON',
    command: 'start',
    env: { ...CONTRACTS, ACCESS_KEYS_FILE: file('start/keys-broken.json', BROKEN_JSON) },
    code: 2,
    says: [/^cannot start: ACCESS_KEYS_FILE \S+keys-broken\.json is not readable JSON: /],
  },
  {
    name: 'ACCESS_KEYS_FILE with a short secret',
    command: 'start',
    env: { ...CONTRACTS, ACCESS_KEYS_FILE: file('start/keys-short.json', JSON.stringify([key('short')])) },
    code: 2,
    says: [/^cannot start: ACCESS_KEYS_FILE \S+keys-short\.json, entry 0: needs .*AccessKeySecret \(16\+ characters\)/],
  },
  {
    name: 'AZURE_GRANTS_FILE malformed',
    command: 'start',
    env: { ...CONTRACTS, AZURE_GRANTS_FILE: file('start/grants-broken.json', JSON.stringify([{ subscriptions: ['s'] }])) },
    code: 2,
    says: [/^cannot start: AZURE_GRANTS_FILE \S+grants-broken\.json, entry 0: needs "principal"/],
  },
  { name: 'RETENTION_SECONDS=abc', command: 'start', env: { RETENTION_SECONDS: 'abc' }, code: 2, says: [/^cannot start: RETENTION_SECONDS must be a positive integer, got "abc"$/] },
  { name: 'MAX_UPLOAD_BYTES=-1', command: 'start', env: { MAX_UPLOAD_BYTES: '-1' }, code: 2, says: [/^cannot start: MAX_UPLOAD_BYTES must be a positive integer, got "-1"$/] },
  { name: 'AZURE_UPLOADS=bogus', command: 'start', env: { AZURE_UPLOADS: 'bogus' }, code: 2, says: [/^cannot start: AZURE_UPLOADS must be one of s3-presigned, blob-front, got "bogus"$/] },
  { name: 'PORT=abc', command: 'start', env: { PORT: 'abc' }, code: 2, says: [/^cannot start: PORT must be a port number from 0 to 65535, got "abc"$/] },
  { name: 'PORT=65535 (the embedded S3 would take 65536)', command: 'start', env: { PORT: '65535' }, code: 2, says: ['S3_PORT', 'got 65536', 'set S3_PORT or a lower PORT'] },
  { name: 'DEBUG=1 AUTH=bogus', command: 'start', env: { AUTH: 'bogus' }, code: 2, says: [/^cannot start: AUTH must be/], debug: true },

  // npm run access-keys: `access-keys: ...`, exit 2 for a usage or a file, 1 for AWS.
  {
    name: 'a keys file that is not JSON',
    command: 'access-keys',
    args: ['list', '--keys-file', file('keys/broken.json', BROKEN_JSON)],
    code: 2,
    says: [/^access-keys: ACCESS_KEYS_FILE \S+broken\.json is not readable JSON: .*fix it/],
  },
  {
    name: 'a keys file that is not an array',
    command: 'access-keys',
    args: ['create', '--workspace', 'ws', '--keys-file', file('keys/object.json', '{}')],
    code: 2,
    says: [/^access-keys: ACCESS_KEYS_FILE \S+object\.json must hold a JSON array .*fix it/],
  },
  {
    name: 'an entry the broker would refuse (--local)',
    command: 'access-keys',
    args: ['create', '--local', '--workspace', 'ws'],
    env: { DATA_DIR: dirname(file('keys/data/access-keys.json', JSON.stringify([key('short')]))) },
    code: 2,
    says: ['entry 0', '16+ characters', 'a broker refuses the whole file'],
  },
  { name: 'no cdk-outputs.json', command: 'access-keys', args: ['list'], code: 2, says: [/^access-keys: no cdk-outputs\.json: deploy with -c auth=contracts first/, '--table', '--local'] },
  {
    name: 'a cdk-outputs.json that is not JSON',
    command: 'access-keys',
    args: ['list', '--outputs', file('keys/cdk-outputs.json', BROKEN_JSON)],
    code: 2,
    says: ['cdk-outputs.json is not JSON', 'npm run deploy', '--table'],
  },
  {
    name: 'a stack without the AccessKeysKeyArn output',
    command: 'access-keys',
    args: ['list', '--outputs', file('keys/no-auth.json', JSON.stringify({ Stack: { TableName: 't', Region: 'eu-west-1' } }))],
    code: 2,
    says: ['stack Stack has no AccessKeysKeyArn output', '-c auth=contracts'],
  },
  {
    name: 'no AWS credentials',
    command: 'access-keys',
    args: ['list', '--table', 't', '--kms-key', 'arn:aws:kms:us-east-1:111122223333:key/k', '--region', 'us-east-1'],
    code: 1,
    says: [/^access-keys: no AWS credentials/, 'AWS_PROFILE', '--profile', 'aws configure'],
  },
  { name: 'an unknown command', command: 'access-keys', args: ['frobnicate'], code: 2, says: ['unknown command "frobnicate"', 'create, list', '--help'] },
  { name: 'an unknown option', command: 'access-keys', args: ['list', '--keys'], code: 2, says: ["Unknown option '--keys'", '--help'] },
  {
    name: 'DEBUG=1, a keys file that is not JSON',
    command: 'access-keys',
    args: ['list', '--keys-file', file('keys/debug.json', BROKEN_JSON)],
    code: 2,
    says: [/^access-keys: ACCESS_KEYS_FILE .* is not readable JSON/],
    debug: true,
  },

  // npm run ulb: `ulb: ...`, exit 2 for usage and configuration.
  { name: 'a --base-url that is not a URL', command: 'ulb', args: ['upload', UPLOAD, '--contract', 'alibaba', '--workspace', 'ws', '--base-url', 'localhost:3000'], code: 2, says: [/^ulb: --base-url must be an http\(s\) URL/, '"localhost:3000"'] },
  { name: 'API_URL not http(s)', command: 'ulb', args: ['upload', UPLOAD, '--contract', 'alibaba', '--workspace', 'ws'], env: { API_URL: 'ftp://broker' }, code: 2, says: [/^ulb: API_URL must be an http\(s\) URL/] },
  { name: 'a file it cannot read', command: 'ulb', args: ['upload', join(dir, 'absent.pdf'), '--contract', 'alibaba', '--workspace', 'ws'], code: 2, says: [`ulb: cannot read ${join(dir, 'absent.pdf')}: no such file`] },
  { name: 'a missing option', command: 'ulb', args: ['upload', UPLOAD, '--contract', 'alibaba'], code: 2, says: [/^ulb: --contract alibaba needs --workspace$/] },
  { name: 'an unknown --contract', command: 'ulb', args: ['upload', UPLOAD, '--contract', 'aws'], code: 2, says: [/^ulb: --contract must be alibaba or azure, got "aws"$/] },
  { name: 'no command', command: 'ulb', args: [], code: 2, says: ['ulb upload <file>', '--help'] },
  { name: 'an unknown option', command: 'ulb', args: ['upload', UPLOAD, '--contract', 'alibaba', '--workspace', 'ws', '--bucket', 'b'], code: 2, says: ["Unknown option '--bucket'", '--help'] },
  {
    name: 'a cdk-outputs.json that is not JSON',
    command: 'ulb',
    args: ['upload', UPLOAD, '--contract', 'alibaba', '--workspace', 'ws'],
    cwd: dirname(file('ulb/cdk-outputs.json', BROKEN_JSON)),
    code: 2,
    says: [/^ulb: outputs file \S*cdk-outputs\.json is not JSON/, 'npm run deploy'],
  },
  {
    name: '--auth iam without AWS credentials',
    command: 'ulb',
    args: ['upload', UPLOAD, '--contract', 'alibaba', '--workspace', 'ws', '--base-url', 'https://abc123.execute-api.eu-west-1.amazonaws.com', '--auth', 'iam'],
    code: 2,
    says: [/^ulb: --auth iam: no AWS credentials/, 'AWS_PROFILE', 'aws configure'],
  },
  { name: 'DEBUG=1, a --base-url that is not a URL', command: 'ulb', args: ['upload', UPLOAD, '--contract', 'alibaba', '--workspace', 'ws', '--base-url', 'nowhere'], code: 2, says: [/^ulb: --base-url must be/], debug: true },

  // npm run test:e2e: no target, no test run.
  { name: 'no target', command: 'test:e2e', code: 2, says: ['npm run test:e2e needs a deployed target', 'API_URL', 'cdk-outputs.json', 'CDK_OUTPUTS_FILE'] },
  { name: 'CDK_OUTPUTS_FILE not JSON', command: 'test:e2e', env: { CDK_OUTPUTS_FILE: file('e2e/cdk-outputs.json', BROKEN_JSON) }, code: 2, says: [/^outputs file \S+cdk-outputs\.json is not JSON/, 'npm run deploy'] },
  { name: 'CDK_OUTPUTS_FILE missing', command: 'test:e2e', env: { CDK_OUTPUTS_FILE: join(dir, 'e2e', 'absent.json') }, code: 2, says: ['does not exist', 'CDK_OUTPUTS_FILE'] },
  { name: '--profile without a value', command: 'test:e2e', args: ['--profile'], code: 2, says: [/^--profile needs a value$/] },
  { name: 'DEBUG=1, no target', command: 'test:e2e', code: 2, says: [/^npm run test:e2e needs a deployed target/], debug: true },
  // npm run dev-token: `dev-token: ...`, exit 2.
  { name: 'no --principal', command: 'dev-token', args: [], env: { DATA_DIR: folder('dev-token/none') }, code: 2, says: [/^dev-token: --principal <oid> is required/, '--help'] },
  { name: 'a lifetime over a day (checked before the issuer is looked for)', command: 'dev-token', args: ['--principal', 'p', '--lifetime', '25h'], env: { DATA_DIR: folder('dev-token/none') }, code: 2, says: [/^dev-token: --lifetime must be 1 to 86400 seconds, got 90000$/] },
  { name: 'no development issuer started in DATA_DIR', command: 'dev-token', args: ['--principal', 'p'], env: { DATA_DIR: folder('dev-token/none') }, code: 2, says: [/^dev-token: no development issuer in \S+dev-issuer\.json: start the broker with AUTH=contracts JWT_ISSUER=dev first/] },
  {
    name: 'an issuer file without a usable key',
    command: 'dev-token',
    args: ['--principal', 'p'],
    env: { DATA_DIR: dirname(file('dev-token/bad/dev-issuer.json', JSON.stringify({ kid: 'k', privateJwk: { kty: 'RSA' }, issuer: 'http://127.0.0.1:1' }))) },
    code: 2,
    says: [/^dev-token: \S+dev-issuer\.json holds no usable RS256 key .*: delete it and restart the broker$/],
  },
  { name: 'DEBUG=1, no --principal', command: 'dev-token', args: [], env: { DATA_DIR: folder('dev-token/none') }, code: 2, says: [/^dev-token: --principal <oid> is required/], debug: true },
];

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command as `npm run` starts it, with only what the row sets (and PATH) in its environment. */
function runRow(row: Row, index: number): Promise<Outcome> {
  const cwd = row.cwd ?? folder(`cwd-${index}`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    HOME: folder('home'),
    // The AWS SDK's credential chain must not wait for an instance metadata service.
    AWS_EC2_METADATA_DISABLED: 'true',
    ...(row.command === 'start' ? { PORT: '0', DATA_DIR: join(dir, `data-${index}`) } : {}),
    ...row.env,
    ...(row.debug ? { DEBUG: '1' } : {}),
  };
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, SCRIPTS[row.command]), ...(row.args ?? [])], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      // A broker that did start is not what these rows expect: stop it so the row fails rather than hangs.
      if (/listening on/.test(stdout)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** At most `n` at once: each child is a tsx start (and npm start rows an embedded S3 and DynamoDB). */
function limited(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active < n) queue.shift()?.();
  };
  return <T>(work: () => Promise<T>) =>
    new Promise<T>((done, fail) => {
      queue.push(() => {
        active++;
        work()
          .then(done, fail)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

// All rows start now, a few at a time, in table order; each test waits for its own.
const pool = limited(Math.max(2, Math.min(6, availableParallelism())));
const outcomes = rows.map((row, i) => pool(() => runRow(row, i)));
// A rejection is the test's to report, not an unhandled one while earlier rows are asserted.
for (const outcome of outcomes) outcome.catch(() => undefined);

const STACK_FRAME = /^\s+at /m;

describe.each(['start', 'access-keys', 'ulb', 'test:e2e', 'dev-token'] as const)('%s: a configuration error is one line', (command) => {
  const mine = rows.map((row, i) => ({ row, i })).filter(({ row }) => row.command === command);

  test.each(mine.filter(({ row }) => !row.debug).map(({ row, i }) => [row.name, row, i] as const))(
    '%s: one line naming the setting and what to do, its exit code, no trace',
    async (_name, row, i) => {
      const { code, stdout, stderr } = await outcomes[i]!;
      const lines = stderr.trim().split('\n');
      expect({ code, lines }).toEqual({ code: row.code, lines: [expect.any(String)] });
      for (const said of row.says) expect(lines[0]).toMatch(said);
      expect(stderr).not.toMatch(STACK_FRAME);
      expect(stderr).not.toContain('node:internal');
      expect(stdout).toBe('');
    },
    30_000,
  );

  test.each(mine.filter(({ row }) => row.debug).map(({ row, i }) => [row.name, row, i] as const))('%s: the trace as well, the line last', async (_name, row, i) => {
    const { code, stderr } = await outcomes[i]!;
    expect(code).toBe(row.code);
    expect(stderr).toMatch(STACK_FRAME);
    const last = stderr.trim().split('\n').at(-1)!;
    for (const said of row.says) expect(last).toMatch(said);
  }, 30_000);
});
