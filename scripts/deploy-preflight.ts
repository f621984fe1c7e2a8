/**
 * What `npm run deploy` (and `destroy`) check before CDK's synth, so a missing profile, credentials,
 * region or bootstrap costs seconds and one line saying what to set, not a synth and CDK's
 * "Unable to resolve AWS account to use". In order: the named profile exists; credentials resolve;
 * a region is set; STS says whose they are; the account is bootstrapped in that region.
 *
 * The profile and region are found the way the CDK CLI finds them, so the checks look at what the
 * deploy will use. AWS is reached only through the ports (scripts/deploy-preflight-aws.ts wires the
 * SDK; the tests pass fakes), and every wait is bounded by one budget.
 */
import type { AwsCredentialIdentity } from '@smithy/types';

export type Env = Readonly<Record<string, string | undefined>>;
export type IniSection = Readonly<Record<string, string | undefined>>;

/** ~/.aws/config and ~/.aws/credentials as the SDK's shared-ini loader reads them: sections by profile name. */
export interface SharedFiles {
  readonly configFile: Readonly<Record<string, IniSection>>;
  readonly credentialsFile: Readonly<Record<string, IniSection>>;
}

export interface AwsTarget {
  readonly region: string;
  readonly credentials: AwsCredentialIdentity;
}

export interface PreflightPorts {
  readonly sharedFiles: () => Promise<SharedFiles>;
  /** The default credential chain, for the named profile if any; rejects when nothing resolves. */
  readonly credentials: (profile: string | undefined, signal: AbortSignal) => Promise<AwsCredentialIdentity>;
  /** STS GetCallerIdentity; rejects with the service's error (its `name` is the error code). */
  readonly callerIdentity: (target: AwsTarget, signal: AbortSignal) => Promise<{ readonly account: string }>;
  /** SSM GetParameter's value; rejects with the service's error (`ParameterNotFound` when there is none). */
  readonly parameter: (target: AwsTarget, name: string, signal: AbortSignal) => Promise<string>;
  readonly now?: () => number;
}

export interface PreflightRequest {
  /** `--profile`, when given. */
  readonly profileArg?: string | undefined;
  readonly env: Env;
  /** The bootstrap qualifier (the context's `@aws-cdk/core:bootstrapQualifier`, else DEFAULT_QUALIFIER). */
  readonly qualifier: string;
  /** Deploy needs the bootstrap (assets, deploy role); destroy does not. */
  readonly checkBootstrap: boolean;
  /** Every wait together (credential chain, STS, SSM); the default leaves room in 10 s for start-up. */
  readonly budgetMs?: number;
}

/** On ok, account and region are absent when the checks stopped short on purpose (an MFA prompt is the CLI's to make); notes say why. */
export type PreflightResult =
  | { readonly ok: true; readonly account?: string; readonly region?: string; readonly profile?: string; readonly notes: readonly string[] }
  | { readonly ok: false; readonly problem: string; readonly cause?: unknown };

export const DEFAULT_BUDGET_MS = 7000;
/** CDK's default bootstrap qualifier (`@aws-cdk/core:bootstrapQualifier` names another). */
export const DEFAULT_QUALIFIER = 'hnb659fds';
/** The oldest bootstrap the DefaultStackSynthesizer's templates accept. */
export const MIN_BOOTSTRAP_VERSION = 6;

export interface NamedProfile {
  readonly name: string;
  /** Where the name came from, for the message. */
  readonly source: '--profile' | 'AWS_PROFILE' | 'AWS_DEFAULT_PROFILE';
}

/** The profile the CDK CLI uses: `--profile`, else AWS_PROFILE, else AWS_DEFAULT_PROFILE. */
export function namedProfile(profileArg: string | undefined, env: Env): NamedProfile | undefined {
  if (profileArg) return { name: profileArg, source: '--profile' };
  if (env.AWS_PROFILE) return { name: env.AWS_PROFILE, source: 'AWS_PROFILE' };
  if (env.AWS_DEFAULT_PROFILE) return { name: env.AWS_DEFAULT_PROFILE, source: 'AWS_DEFAULT_PROFILE' };
  return undefined;
}

const configPath = (env: Env) => env.AWS_CONFIG_FILE ?? '~/.aws/config';
const credentialsPath = (env: Env) => env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials';

/** Profile names of both files; `[sso-session x]` and `[services x]` sections are not profiles. */
export function profileNames(files: SharedFiles): string[] {
  const names = new Set([...Object.keys(files.configFile), ...Object.keys(files.credentialsFile)]);
  return [...names].filter((n) => !/^(sso-session|services)\./.test(n)).sort();
}

const hasProfile = (files: SharedFiles, name: string) => profileNames(files).includes(name);
const profileFlag = (profile: NamedProfile | undefined) => (profile ? ` --profile ${profile.name}` : '');
const ofProfile = (profile: NamedProfile | undefined) => (profile ? ` of profile "${profile.name}"` : '');

/** A named profile that is in neither file. */
export function missingProfileProblem(profile: NamedProfile | undefined, files: SharedFiles, env: Env): string | undefined {
  if (!profile || hasProfile(files, profile.name)) return undefined;
  const names = profileNames(files);
  const instead =
    names.length === 0
      ? `create it with aws configure --profile ${profile.name} (or aws configure sso --profile ${profile.name})`
      : profile.source === '--profile'
        ? `pass --profile one of ${names.join(', ')}`
        : `set ${profile.source} to one of ${names.join(', ')}`;
  return `profile "${profile.name}" (${profile.source}) is not in ${configPath(env)} or ${credentialsPath(env)}: ${instead}`;
}

/**
 * The region as the CDK CLI finds it: the environment, then the profile's (credentials file first),
 * then the default profile's. The CLI would go on to us-east-1; here that is a question to answer.
 */
export function regionOf(profile: NamedProfile | undefined, env: Env, files: SharedFiles): string | undefined {
  const name = profile?.name ?? 'default';
  return (
    env.AWS_REGION ||
    env.AMAZON_REGION ||
    env.AWS_DEFAULT_REGION ||
    env.AMAZON_DEFAULT_REGION ||
    files.credentialsFile[name]?.region ||
    files.configFile[name]?.region ||
    files.credentialsFile.default?.region ||
    files.configFile.default?.region ||
    undefined
  );
}

export function noRegionProblem(profile: NamedProfile | undefined): string {
  return `no region: set AWS_REGION or the profile's region (aws configure${profileFlag(profile)})`;
}

/** Raised by `within` when the budget runs out; the step says what was waited for. */
export class PreflightTimeout extends Error {
  override readonly name = 'PreflightTimeout';
  constructor(readonly seconds: number) {
    super(`no answer within ${seconds} s`);
  }
}

/** `run`, given at most `ms`: its signal aborts and the answer is a PreflightTimeout when time is up. */
export async function within<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new PreflightTimeout(Math.max(1, Math.round(ms / 1000))));
      controller.abort();
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([run(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type ErrorLike = { readonly name?: unknown; readonly code?: unknown; readonly cause?: unknown };

/** An error and the errors it wraps (the SDK's `cause`), outermost first. */
function* chainOf(error: unknown): Generator<ErrorLike> {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    yield e as ErrorLike;
    e = (e as ErrorLike).cause;
  }
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError']);
const networkCode = (error: unknown): string | undefined => {
  for (const e of chainOf(error)) {
    for (const value of [e.code, e.name]) if (typeof value === 'string' && NETWORK_CODES.has(value)) return value;
  }
  return undefined;
};
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** How to get fresh credentials of the kind in use. */
function refreshAdvice(profile: NamedProfile | undefined, env: Env): string {
  if (profile) return `refresh the profile (aws sso login --profile ${profile.name}, or new keys with aws configure --profile ${profile.name})`;
  if (env.AWS_ACCESS_KEY_ID) return 'set fresh AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or unset them and set AWS_PROFILE';
  return 'refresh the default profile (aws sso login, or new keys with aws configure)';
}

/** A profile with mfa_serial: the chain wants a code only the CDK CLI prompts for. */
export const needsMfaCode = (error: unknown): boolean => /multi-factor|\bMFA\b/i.test((error as Error)?.message ?? '');

/** What the credential chain's failure means for the person running the deploy. */
export function credentialsProblem(error: unknown, profile: NamedProfile | undefined, files: SharedFiles, env: Env): string {
  if (error instanceof PreflightTimeout) {
    return `AWS credentials${ofProfile(profile)} did not resolve within ${error.seconds} s: check the profile's credential_process, SSO or role settings, or set AWS_PROFILE to another profile`;
  }
  const message = oneLine((error as Error)?.message ?? String(error));
  // The SDK's SSO providers end every stale- or missing-session error with "run aws sso login".
  if (/aws sso login/i.test(message)) {
    return `the SSO session${ofProfile(profile)} has expired or was never started: run aws sso login${profileFlag(profile)}`;
  }
  if (/could not load credentials from any providers|could not resolve credentials using profile/i.test(message)) {
    if (profile) return `profile "${profile.name}" (${profile.source}) has no credentials: run aws configure --profile ${profile.name} (access keys) or aws configure sso --profile ${profile.name}`;
    const names = profileNames(files).filter((n) => n !== 'default');
    const which = names.length > 0 ? `a profile of ${configPath(env)}: ${names.join(', ')}` : `a profile of ${configPath(env)}`;
    return `no AWS credentials found: set AWS_PROFILE to ${which} (or run aws configure)`;
  }
  return `AWS credentials${ofProfile(profile)} could not be loaded (${message}): ${refreshAdvice(profile, env)}`;
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID = new Set(['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'IncompleteSignature', 'AuthFailure', 'InvalidAccessKeyId']);

/** What a failed STS GetCallerIdentity means. */
export function callerIdentityProblem(error: unknown, region: string, profile: NamedProfile | undefined, env: Env): string {
  const name = (error as Error)?.name ?? 'Error';
  if (EXPIRED.has(name)) return `the AWS credentials${ofProfile(profile)} have expired (STS: ${name}): ${refreshAdvice(profile, env)}`;
  if (INVALID.has(name)) return `the AWS credentials${ofProfile(profile)} are not valid (STS: ${name}): ${refreshAdvice(profile, env)}`;
  const where = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL ?? `STS in ${region}`;
  if (error instanceof PreflightTimeout) return `${where} did not answer within ${error.seconds} s: check the network, any HTTPS_PROXY, and that ${region} is a region`;
  const code = networkCode(error);
  if (code) return `cannot reach ${where} (${code}): check the network, any HTTPS_PROXY, and that ${region} is a region`;
  return `STS GetCallerIdentity failed (${name}: ${oneLine((error as Error)?.message ?? '')}): ${refreshAdvice(profile, env)}`;
}

export function bootstrapCommand(account: string, region: string, profile: NamedProfile | undefined, qualifier: string): string {
  return `npx cdk bootstrap aws://${account}/${region}${qualifier !== DEFAULT_QUALIFIER ? ` --qualifier ${qualifier}` : ''}${profileFlag(profile)}`;
}

export const bootstrapParameter = (qualifier: string) => `/cdk-bootstrap/${qualifier}/version`;

/**
 * The bootstrap version parameter's answer: a missing parameter or an old version is a problem to
 * fix; any other failure (no ssm:GetParameter, say) is left to CDK's own check, with a note.
 */
export function bootstrapProblem(
  answer: { readonly version: string } | { readonly error: unknown },
  at: { readonly account: string; readonly region: string; readonly profile: NamedProfile | undefined; readonly qualifier: string },
): { readonly problem: string; readonly cause?: unknown } | { readonly note: string } | undefined {
  const command = bootstrapCommand(at.account, at.region, at.profile, at.qualifier);
  if ('version' in answer) {
    const version = Number(answer.version);
    if (Number.isInteger(version) && version < MIN_BOOTSTRAP_VERSION) {
      return { problem: `the CDK bootstrap of aws://${at.account}/${at.region} is version ${version}; this app needs ${MIN_BOOTSTRAP_VERSION} or later: run ${command}` };
    }
    return undefined;
  }
  const name = (answer.error as Error)?.name;
  if (name === 'ParameterNotFound') {
    const what = at.qualifier !== DEFAULT_QUALIFIER ? ` (qualifier ${at.qualifier})` : '';
    return { problem: `account ${at.account} is not bootstrapped in ${at.region}${what}: run ${command}`, cause: answer.error };
  }
  const why = answer.error instanceof PreflightTimeout ? `no answer within ${answer.error.seconds} s` : `${name ?? 'Error'}: ${oneLine((answer.error as Error)?.message ?? '')}`;
  return { note: `could not read ${bootstrapParameter(at.qualifier)} (${why}); cdk checks the bootstrap itself` };
}

export async function preflight(request: PreflightRequest, ports: PreflightPorts): Promise<PreflightResult> {
  const now = ports.now ?? Date.now;
  const deadline = now() + (request.budgetMs ?? DEFAULT_BUDGET_MS);
  const left = () => deadline - now();
  const { env } = request;
  const profile = namedProfile(request.profileArg, env);

  let files: SharedFiles;
  try {
    files = await ports.sharedFiles();
  } catch (error) {
    return { ok: false, problem: `cannot read ${configPath(env)} or ${credentialsPath(env)} (${oneLine((error as Error)?.message ?? String(error))}): fix or move the file`, cause: error };
  }
  const missing = missingProfileProblem(profile, files, env);
  if (missing) return { ok: false, problem: missing };

  let credentials: AwsCredentialIdentity;
  try {
    credentials = await within(left(), (signal) => ports.credentials(profile?.name, signal));
  } catch (error) {
    if (needsMfaCode(error)) return { ok: true, ...(profile ? { profile: profile.name } : {}), notes: [`profile "${profile?.name ?? 'default'}" asks for an MFA code: the checks before cdk stop here, cdk asks for it`] };
    return { ok: false, problem: credentialsProblem(error, profile, files, env), cause: error };
  }
  if (credentials.expiration && credentials.expiration.getTime() <= now()) {
    return { ok: false, problem: `the AWS credentials${ofProfile(profile)} expired at ${credentials.expiration.toISOString()}: ${refreshAdvice(profile, env)}` };
  }

  const region = regionOf(profile, env, files);
  if (!region) return { ok: false, problem: noRegionProblem(profile) };
  const target = { region, credentials };

  let account: string;
  try {
    ({ account } = await within(left(), (signal) => ports.callerIdentity(target, signal)));
  } catch (error) {
    return { ok: false, problem: callerIdentityProblem(error, region, profile, env), cause: error };
  }

  const notes: string[] = [];
  if (request.checkBootstrap) {
    const answer = await within(left(), (signal) => ports.parameter(target, bootstrapParameter(request.qualifier), signal)).then(
      (version) => ({ version }),
      (error: unknown) => ({ error }),
    );
    const found = bootstrapProblem(answer, { account, region, profile, qualifier: request.qualifier });
    if (found && 'problem' in found) return { ok: false, ...found };
    if (found) notes.push(found.note);
  }
  return { ok: true, account, region, ...(profile ? { profile: profile.name } : {}), notes };
}
