import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { AwsCredentialIdentity } from '@smithy/types';
import { cdkArgv, parseCdkArguments, wantsHelp } from '../../scripts/cdk-args.js';
import { bootstrapQualifier, settingsError, synthContext } from '../../scripts/cdk-context.js';
import {
  DEFAULT_QUALIFIER,
  preflight,
  profileNames,
  regionOf,
  within,
  type PreflightPorts,
  type PreflightRequest,
  type SharedFiles,
} from '../../scripts/deploy-preflight.js';
import { SettingsError } from '../../infra/settings.js';

/** `npm run deploy`'s checks before the CDK CLI, driven through fake ports: no AWS, no files, no network. */
const ACCOUNT = '123456789012';
const KEYS: AwsCredentialIdentity = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'secret' };
const NO_FILES: SharedFiles = { configFile: {}, credentialsFile: {} };

const serviceError = (name: string, message = name) => Object.assign(new Error(message), { name });
const never = () => new Promise<never>(() => {});

/** Fake ports that record what was asked; each answer can be replaced. */
function ports(overrides: Partial<PreflightPorts> & { files?: SharedFiles } = {}) {
  const calls: string[] = [];
  const fake: PreflightPorts = {
    sharedFiles: overrides.sharedFiles ?? (async () => overrides.files ?? NO_FILES),
    credentials: async (profile, signal) => {
      calls.push(`credentials ${profile ?? '(chain)'}`);
      return overrides.credentials ? overrides.credentials(profile, signal) : KEYS;
    },
    callerIdentity: async (target, signal) => {
      calls.push(`sts ${target.region} ${target.credentials.accessKeyId}`);
      return overrides.callerIdentity ? overrides.callerIdentity(target, signal) : { account: ACCOUNT };
    },
    parameter: async (target, name, signal) => {
      calls.push(`ssm ${target.region} ${name}`);
      return overrides.parameter ? overrides.parameter(target, name, signal) : '30';
    },
  };
  return { fake, calls };
}

const request = (over: Partial<PreflightRequest> = {}): PreflightRequest => ({
  env: { AWS_REGION: 'eu-west-1' },
  qualifier: DEFAULT_QUALIFIER,
  checkBootstrap: true,
  ...over,
});

describe('deploy preflight: the path that calls through to cdk', () => {
  test('credentials, region, account and a current bootstrap: ok, each port asked once, in order', async () => {
    const { fake, calls } = ports();
    await expect(preflight(request(), fake)).resolves.toEqual({ ok: true, account: ACCOUNT, region: 'eu-west-1', notes: [] });
    expect(calls).toEqual(['credentials (chain)', `sts eu-west-1 AKIDFAKE`, 'ssm eu-west-1 /cdk-bootstrap/hnb659fds/version']);
  });

  test('the cdk argv keeps --profile and every -c argument exactly as given', () => {
    const args = ['--profile', 'dev', '-c', 'stackName=UploadLeaseBroker-dev', '--context=auth=jwt', '-c', 'jwtIssuer=https://i.example/?a=b', 'UploadLeaseBroker-dev'];
    expect(cdkArgv('deploy', args)).toEqual(['deploy', '--no-notices', '--outputs-file', 'cdk-outputs.json', ...args]);
    expect(cdkArgv('synth', args)).toEqual(['synth', '--no-notices', ...args]);
    expect(cdkArgv('destroy', args)).toEqual(['destroy', '--no-notices', ...args]);
    // An outputs file the caller names is the only one.
    expect(cdkArgv('deploy', ['--outputs-file', 'mine.json'])).toEqual(['deploy', '--no-notices', '--outputs-file', 'mine.json']);
    expect(cdkArgv('deploy', ['-O=mine.json'])).toEqual(['deploy', '--no-notices', '-O=mine.json']);
  });

  test('the arguments the checks read: every -c form the CLI accepts, --profile, values with "=", nothing after --', () => {
    expect(
      parseCdkArguments(['-c', 'a=1', '-c=b=2', '--context', 'c=3', '--context=d=x=y', '--profile=dev', 'Stack', '-c', 'noequals', '--', '-c', 'e=5']),
    ).toEqual({ context: { a: '1', b: '2', c: '3', d: 'x=y' }, profile: 'dev' });
    expect(parseCdkArguments(['--profile', 'ops', '-c', 'a=1', '-c', 'a=2'])).toEqual({ context: { a: '2' }, profile: 'ops' });
    expect(parseCdkArguments([])).toEqual({ context: {} });
    // `npm run deploy -- --help` is the CLI's usage, checked for nothing.
    expect([wantsHelp(['--help']), wantsHelp(['-h']), wantsHelp(['-c', 'a=1'])]).toEqual([true, true, false]);
  });

  test('destroy does not need the bootstrap: SSM is not asked', async () => {
    const { fake, calls } = ports({ parameter: () => Promise.reject(serviceError('ParameterNotFound')) });
    await expect(preflight(request({ checkBootstrap: false }), fake)).resolves.toMatchObject({ ok: true, account: ACCOUNT });
    expect(calls.some((c) => c.startsWith('ssm'))).toBe(false);
  });

  test('a profile that asks for an MFA code: the checks stop, cdk prompts for it', async () => {
    const files: SharedFiles = { configFile: { admin: { role_arn: 'arn:aws:iam::1:role/a', mfa_serial: 'arn:aws:iam::1:mfa/me' } }, credentialsFile: {} };
    const mfa = serviceError('CredentialsProviderError', 'Profile admin requires multi-factor authentication, but no MFA code callback was provided.');
    const { fake, calls } = ports({ files, credentials: () => Promise.reject(mfa) });
    const result = await preflight(request({ profileArg: 'admin' }), fake);
    expect(result).toEqual({ ok: true, profile: 'admin', notes: [expect.stringMatching(/MFA code.*cdk asks for it/)] });
    expect(calls).toEqual(['credentials admin']);
  });

  test('SSM refused (no ssm:GetParameter): not a failure, a note; cdk checks the bootstrap itself', async () => {
    const { fake } = ports({ parameter: () => Promise.reject(serviceError('AccessDeniedException', 'User is not authorized')) });
    await expect(preflight(request(), fake)).resolves.toEqual({
      ok: true,
      account: ACCOUNT,
      region: 'eu-west-1',
      notes: ['could not read /cdk-bootstrap/hnb659fds/version (AccessDeniedException: User is not authorized); cdk checks the bootstrap itself'],
    });
  });
});

describe('deploy preflight: one line saying what to do', () => {
  test('not bootstrapped: the cdk bootstrap command for that account and region', async () => {
    const { fake } = ports({ parameter: () => Promise.reject(serviceError('ParameterNotFound')) });
    await expect(preflight(request(), fake)).resolves.toMatchObject({
      ok: false,
      problem: `account ${ACCOUNT} is not bootstrapped in eu-west-1: run npx cdk bootstrap aws://${ACCOUNT}/eu-west-1`,
    });
    // With a profile and another qualifier, the command carries both.
    const files: SharedFiles = { configFile: { dev: { region: 'ap-southeast-2' } }, credentialsFile: {} };
    const withProfile = ports({ files, parameter: () => Promise.reject(serviceError('ParameterNotFound')) });
    await expect(preflight(request({ env: {}, profileArg: 'dev', qualifier: 'custom1' }), withProfile.fake)).resolves.toMatchObject({
      problem: `account ${ACCOUNT} is not bootstrapped in ap-southeast-2 (qualifier custom1): run npx cdk bootstrap aws://${ACCOUNT}/ap-southeast-2 --qualifier custom1 --profile dev`,
    });
    expect(withProfile.calls).toContain('ssm ap-southeast-2 /cdk-bootstrap/custom1/version');
  });

  test('a bootstrap older than the templates need: bootstrap again', async () => {
    const { fake } = ports({ parameter: async () => '5' });
    await expect(preflight(request(), fake)).resolves.toMatchObject({
      ok: false,
      problem: `the CDK bootstrap of aws://${ACCOUNT}/eu-west-1 is version 5; this app needs 6 or later: run npx cdk bootstrap aws://${ACCOUNT}/eu-west-1`,
    });
  });

  test('STS says the token expired: a line naming it and how to refresh', async () => {
    const expired = serviceError('ExpiredToken', 'The security token included in the request is expired');
    const fromEnv = ports({ callerIdentity: () => Promise.reject(expired) });
    const result = await preflight(request({ env: { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'ASIA...' } }), fromEnv.fake);
    expect(result).toMatchObject({ ok: false, problem: expect.stringMatching(/^the AWS credentials have expired \(STS: ExpiredToken\): set fresh AWS_ACCESS_KEY_ID/), cause: expired });
    expect(fromEnv.calls.some((c) => c.startsWith('ssm'))).toBe(false);

    const files: SharedFiles = { configFile: { sso: { sso_session: 's', region: 'eu-west-1' } }, credentialsFile: {} };
    const fromProfile = ports({ files, callerIdentity: () => Promise.reject(expired) });
    await expect(preflight(request({ env: { AWS_PROFILE: 'sso' } }), fromProfile.fake)).resolves.toMatchObject({
      problem: 'the AWS credentials of profile "sso" have expired (STS: ExpiredToken): refresh the profile (aws sso login --profile sso, or new keys with aws configure --profile sso)',
    });
  });

  test('STS rejects the keys, or cannot be reached: named as such', async () => {
    const invalid = ports({ callerIdentity: () => Promise.reject(serviceError('InvalidClientTokenId')) });
    await expect(preflight(request(), invalid.fake)).resolves.toMatchObject({ problem: expect.stringMatching(/^the AWS credentials are not valid \(STS: InvalidClientTokenId\)/) });
    const offline = ports({ callerIdentity: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' })) });
    await expect(preflight(request(), offline.fake)).resolves.toMatchObject({ problem: expect.stringMatching(/^cannot reach STS in eu-west-1 \(ENOTFOUND\): check the network/) });
  });

  test('credentials whose expiry has passed are not sent to STS', async () => {
    const stale = { ...KEYS, expiration: new Date(Date.UTC(2020, 0, 1)) };
    const { fake, calls } = ports({ credentials: async () => stale });
    await expect(preflight(request(), fake)).resolves.toMatchObject({ ok: false, problem: expect.stringMatching(/expired at 2020-01-01T00:00:00.000Z/) });
    expect(calls).toEqual(['credentials (chain)']);
  });

  test('no credentials anywhere: AWS_PROFILE or aws configure, with the profiles there are', async () => {
    const none = serviceError('CredentialsProviderError', 'Could not load credentials from any providers');
    const empty = ports({ credentials: () => Promise.reject(none) });
    await expect(preflight(request(), empty.fake)).resolves.toMatchObject({
      problem: 'no AWS credentials found: set AWS_PROFILE to a profile of ~/.aws/config (or run aws configure)',
    });
    const files: SharedFiles = { configFile: { dev: {}, prod: {}, 'sso-session.corp': {} }, credentialsFile: {} };
    const some = ports({ files, credentials: () => Promise.reject(none) });
    await expect(preflight(request({ env: { AWS_CONFIG_FILE: '/etc/aws/config' } }), some.fake)).resolves.toMatchObject({
      problem: 'no AWS credentials found: set AWS_PROFILE to a profile of /etc/aws/config: dev, prod (or run aws configure)',
    });
  });

  test('a named profile that is not there: which variable named it, and the ones that are', async () => {
    const files: SharedFiles = { configFile: { dev: {} }, credentialsFile: { ci: {} } };
    const { fake, calls } = ports({ files });
    await expect(preflight(request({ env: { AWS_PROFILE: 'dve' } }), fake)).resolves.toEqual({
      ok: false,
      problem: 'profile "dve" (AWS_PROFILE) is not in ~/.aws/config or ~/.aws/credentials: set AWS_PROFILE to one of ci, dev',
    });
    expect(calls).toEqual([]);
    await expect(preflight(request({ profileArg: 'x', env: { AWS_PROFILE: 'dev' } }), ports().fake)).resolves.toMatchObject({
      problem: 'profile "x" (--profile) is not in ~/.aws/config or ~/.aws/credentials: create it with aws configure --profile x (or aws configure sso --profile x)',
    });
  });

  test('AWS files that cannot be read are named', async () => {
    const { fake } = ports({ sharedFiles: () => Promise.reject(Object.assign(new Error("EACCES: permission denied, open '/home/me/.aws/config'"), { code: 'EACCES' })) });
    await expect(preflight(request(), fake)).resolves.toMatchObject({
      ok: false,
      problem: "cannot read ~/.aws/config or ~/.aws/credentials (EACCES: permission denied, open '/home/me/.aws/config'): fix or move the file",
    });
  });

  test('a profile without credentials, or with an expired SSO session', async () => {
    const files: SharedFiles = { configFile: { dev: { region: 'eu-west-1' } }, credentialsFile: {} };
    const none = ports({ files, credentials: () => Promise.reject(serviceError('CredentialsProviderError', 'Could not load credentials from any providers')) });
    await expect(preflight(request({ env: { AWS_PROFILE: 'dev' } }), none.fake)).resolves.toMatchObject({
      problem: 'profile "dev" (AWS_PROFILE) has no credentials: run aws configure --profile dev (access keys) or aws configure sso --profile dev',
    });
    const sso = serviceError('CredentialsProviderError', 'The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.');
    const expired = ports({ files, credentials: () => Promise.reject(sso) });
    await expect(preflight(request({ env: { AWS_PROFILE: 'dev' } }), expired.fake)).resolves.toMatchObject({
      problem: 'the SSO session of profile "dev" has expired or was never started: run aws sso login --profile dev',
    });
  });

  test('no region: AWS_REGION or the profile\'s region', async () => {
    const files: SharedFiles = { configFile: {}, credentialsFile: { dev: { aws_access_key_id: 'AKID', aws_secret_access_key: 's' } } };
    const { fake, calls } = ports({ files });
    await expect(preflight(request({ env: { AWS_PROFILE: 'dev' } }), fake)).resolves.toEqual({
      ok: false,
      problem: "no region: set AWS_REGION or the profile's region (aws configure --profile dev)",
    });
    expect(calls).toEqual(['credentials dev']);
  });

  test('a credential chain that does not answer is given up within the budget', async () => {
    const { fake } = ports({ credentials: never });
    await expect(preflight(request({ budgetMs: 20 }), fake)).resolves.toMatchObject({
      ok: false,
      problem: 'AWS credentials did not resolve within 1 s: check the profile\'s credential_process, SSO or role settings, or set AWS_PROFILE to another profile',
    });
    const sts = ports({ callerIdentity: never });
    await expect(preflight(request({ budgetMs: 20, env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_STS: 'http://10.0.0.1:1' } }), sts.fake)).resolves.toMatchObject({
      problem: expect.stringMatching(/^http:\/\/10\.0\.0\.1:1 did not answer within 1 s: check the network/),
    });
  });
});

describe('deploy preflight: what the CDK CLI would use', () => {
  const files: SharedFiles = {
    configFile: { default: { region: 'us-west-2' }, dev: { region: 'eu-central-1' }, 'sso-session.corp': {} },
    credentialsFile: { dev: { region: 'eu-north-1' }, ci: {} },
  };

  test('the region: environment first, then the profile (credentials file first), then the default profile', () => {
    expect(regionOf({ name: 'dev', source: 'AWS_PROFILE' }, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'x' }, files)).toBe('eu-west-1');
    expect(regionOf(undefined, { AWS_DEFAULT_REGION: 'sa-east-1' }, files)).toBe('sa-east-1');
    expect(regionOf({ name: 'dev', source: '--profile' }, {}, files)).toBe('eu-north-1');
    expect(regionOf({ name: 'ci', source: '--profile' }, {}, files)).toBe('us-west-2');
    expect(regionOf(undefined, {}, NO_FILES)).toBeUndefined();
  });

  test('profile names come from both files, sso-session sections are not profiles', () => {
    expect(profileNames(files)).toEqual(['ci', 'default', 'dev']);
  });

  test('within: the answer when it comes in time, a timeout (and an aborted signal) when not', async () => {
    await expect(within(1000, async () => 'ok')).resolves.toBe('ok');
    let aborted: AbortSignal | undefined;
    await expect(
      within(10, (signal) => {
        aborted = signal;
        return never();
      }),
    ).rejects.toMatchObject({ name: 'PreflightTimeout' });
    expect(aborted?.aborted).toBe(true);
  });
});

describe('the context check before synth', () => {
  const cdkJson = join(process.cwd(), 'cdk.json');

  test('cdk.json alone is valid; -c values (strings) overlay it and go through readSettings', () => {
    expect(settingsError(synthContext(cdkJson, {}))).toBeUndefined();
    expect(settingsError(synthContext(cdkJson, { throttleRateLimit: '10', deletionProtection: 'false' }))).toBeUndefined();
    const error = settingsError(synthContext(cdkJson, { auth: 'bogus' }));
    expect(error).toBeInstanceOf(SettingsError);
    expect(error?.message).toBe('context auth must be "iam", "jwt" or "contracts", got "bogus"');
    expect(settingsError(synthContext(cdkJson, { azureUploads: 'blob-front', localstack: 'true' }))?.message).toMatch(/needs CloudFront/);
  });

  test('the bootstrap qualifier: the context\'s, else CDK\'s default', () => {
    expect(bootstrapQualifier(synthContext(cdkJson, {}))).toBe('hnb659fds');
    expect(bootstrapQualifier({ '@aws-cdk/core:bootstrapQualifier': 'custom1' })).toBe('custom1');
  });
});
