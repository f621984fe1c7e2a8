/**
 * Every deploy-time knob, read once from CDK context (cdk.json defaults, `-c key=value` overrides).
 * CLI context values arrive as strings, cdk.json values as JSON; both are accepted and validated here,
 * so a typo fails the synth with a clear message instead of deploying something unintended.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AZURE_UPLOAD_MODES, DEFAULTS, loadConfig, type AzureUploads } from '../shared/config.js';
import { dueShardsFor } from '../shared/adapters/lease-table.js';
import { tempObjectExpirationDays } from './lifecycle.js';
import { OPERATIONS } from '../shared/contracts/registry.js';

/**
 * iam / jwt: API Gateway admits AWS-internal callers (SigV4, or one JWT issuer) and the Lambdas trust
 * it. contracts: no API Gateway authorizer; each contract authenticates in its Lambda the way its own
 * clients do (Alibaba ACS3-HMAC-SHA256 with stored access keys, Azure bearer tokens from jwtIssuer), so
 * a refusal comes back in the contract's own error format.
 */
export type AuthMode = 'iam' | 'jwt' | 'contracts';

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: readonly string[];
}

export interface BrokerSettings {
  /** Route authorization: SigV4 (IAM) or a JWT authorizer. */
  readonly auth: AuthMode;
  /** Present exactly when auth is 'jwt' or 'contracts' (then: the Azure bearer tokens' issuer and audiences). */
  readonly jwt?: JwtSettings;
  /** Default-stage throttling of the HTTP API. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Per-route throttling by route id (the operation ids in each contract's operations.ts), overriding the stage default. */
  readonly routeThrottle: Readonly<Record<string, { readonly rateLimit: number; readonly burstLimit: number }>>;
  /** Table deletion protection and RETAIN removal policies; false for sandboxes. */
  readonly deletionProtection: boolean;
  /** Deploy target is LocalStack: no CDK custom resources, endpoint defaults for Lambdas. */
  readonly localstack: boolean;
  /** Browser origins allowed to PUT to the bucket and call the API; empty means no CORS at all. */
  readonly corsAllowedOrigins: readonly string[];
  /** Retention of every Lambda and API access log group. */
  readonly logRetention: RetentionDays;
  /** Days S3 server access logs are kept in the log bucket. */
  readonly accessLogExpirationDays: number;
  /** Days after which the bucket's lifecycle rule deletes temporary objects: always past the retention. */
  readonly tempObjectExpirationDays: number;
  /** Extra Lambda environment: broker tunables and endpoint overrides (AWS_ENDPOINT_URL_*). */
  readonly lambdaEnvironment: Readonly<Record<string, string>>;
  /** Due-index shards, from `peakUploadsPerSecond` (docs/scale.md). */
  readonly dueShards: number;
  /** Where alarm notifications go (an SNS topic with this e-mail subscription); none when absent. */
  readonly alarmEmail?: string;
  /** How Azure leases take their upload: presigned S3 PUT (default) or the Blob front (infra/blob-front.ts). */
  readonly azureUploads: AzureUploads;
  /**
   * Any new value re-copies the Blob front's signing key from its secret into the KeyValueStore on the
   * next deploy: CloudFormation only re-runs the copy when one of its properties changes.
   */
  readonly blobFrontKeyRotation: string;
}

/** The defaults cdk.json also lists (a test keeps both in sync). */
export const CONTEXT_DEFAULTS = Object.freeze({
  auth: 'iam',
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  deletionProtection: true,
  localstack: false,
  corsAllowedOrigins: '',
  logRetentionDays: 30,
  accessLogExpirationDays: 90,
  retentionSeconds: DEFAULTS.retentionSeconds,
  peakUploadsPerSecond: 1000,
  alarmEmail: '',
  azureUploads: 's3-presigned',
  blobFrontKeyRotation: '0',
});

/**
 * What LocalStack's Lambdas use for S3 unless `s3EndpointUrl` says otherwise. The presigned URLs are
 * signed for this host, so it must resolve both inside LocalStack's Lambda containers (LocalStack DNS)
 * and on the developer's machine (public DNS -> 127.0.0.1). LocalStack's own AWS_ENDPOINT_URL in
 * Lambda is the container IP, which the host often cannot reach.
 */
export const LOCALSTACK_S3_ENDPOINT = 'http://localhost.localstack.cloud:4566';

/** Context key -> broker environment variable (see shared/config.ts). */
const TUNABLES = Object.freeze({
  leaseUrlTtlSeconds: 'LEASE_URL_TTL_SECONDS',
  retentionSeconds: 'RETENTION_SECONDS',
  recordRetentionSeconds: 'RECORD_RETENTION_SECONDS',
  pendingGraceSeconds: 'PENDING_GRACE_SECONDS',
  alibabaRateLimitPerSecond: 'ALIBABA_RATE_LIMIT_PER_SECOND',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
});

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

function raw(scope: Construct, key: string): unknown {
  const value = scope.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : value;
}

function bool(scope: Construct, key: string, fallback: boolean): boolean {
  const value = raw(scope, key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new SettingsError(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
}

function int(scope: Construct, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw(scope, key);
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SettingsError(`context ${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

function str(scope: Construct, key: string): string | undefined {
  const value = raw(scope, key);
  return value === undefined ? undefined : String(value).trim() || undefined;
}

/** A JSON array or a comma-separated string. */
function list(scope: Construct, key: string): string[] {
  const value = raw(scope, key);
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}

/** `routeThrottle`: a JSON object (or its string form) {"<route id>": {"rateLimit": n, "burstLimit": n}}. */
function routeThrottle(scope: Construct): BrokerSettings['routeThrottle'] {
  const value = raw(scope, 'routeThrottle');
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = typeof value === 'string' ? JSON.parse(value) : value;
  } catch {
    throw new SettingsError('context routeThrottle must be JSON: {"<route id>": {"rateLimit": n, "burstLimit": n}}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SettingsError('context routeThrottle must be a JSON object');
  const ids = new Set<string>(OPERATIONS.map((r) => r.id));
  const out: Record<string, { rateLimit: number; burstLimit: number }> = {};
  for (const [id, limits] of Object.entries(parsed as Record<string, { rateLimit?: unknown; burstLimit?: unknown }>)) {
    if (!ids.has(id)) throw new SettingsError(`context routeThrottle names unknown route "${id}"; routes: ${[...ids].join(', ')}`);
    const { rateLimit, burstLimit } = limits ?? {};
    if (!Number.isInteger(rateLimit) || (rateLimit as number) < 1 || !Number.isInteger(burstLimit) || (burstLimit as number) < 1 || (burstLimit as number) > 5000) {
      throw new SettingsError(`context routeThrottle.${id} needs integer rateLimit >= 1 and burstLimit in [1, 5000]`);
    }
    out[id] = { rateLimit: rateLimit as number, burstLimit: burstLimit as number };
  }
  return out;
}

function url(scope: Construct, key: string, { httpsOnly = false } = {}): string | undefined {
  const value = str(scope, key);
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SettingsError(`context ${key} must be a URL, got ${JSON.stringify(value)}`);
  }
  const allowed = httpsOnly ? ['https:'] : ['https:', 'http:'];
  if (!allowed.includes(parsed.protocol)) throw new SettingsError(`context ${key} must be an ${allowed.join(' or ')} URL`);
  return value;
}

function email(scope: Construct, key: string): string | undefined {
  const value = str(scope, key);
  if (value !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) throw new SettingsError(`context ${key} must be an e-mail address, got ${JSON.stringify(value)}`);
  return value;
}

const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

function readJwt(scope: Construct): JwtSettings {
  const issuer = url(scope, 'jwtIssuer', { httpsOnly: true });
  const audience = list(scope, 'jwtAudience');
  if (!issuer || audience.length === 0) {
    const mode = str(scope, 'auth') ?? CONTEXT_DEFAULTS.auth;
    throw new SettingsError(`auth=${mode} needs -c jwtIssuer=https://... and -c jwtAudience=<aud>[,<aud>...]`);
  }
  return { issuer, audience };
}

function readLogRetention(scope: Construct): RetentionDays {
  const days = int(scope, 'logRetentionDays', CONTEXT_DEFAULTS.logRetentionDays, 1);
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    throw new SettingsError(`context logRetentionDays must be one of CloudWatch's values (${allowed.join(', ')}), got ${days}`);
  }
  return days as RetentionDays;
}

function readLambdaEnvironment(scope: Construct, localstack: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, name] of Object.entries(TUNABLES)) {
    const fallback = key === 'retentionSeconds' ? CONTEXT_DEFAULTS.retentionSeconds : undefined;
    const value = raw(scope, key) ?? fallback;
    if (value !== undefined) env[name] = String(value).trim();
  }
  // Sized here, at synth, so every Lambda writes and sweeps the same shards.
  env.DUE_SHARDS = String(dueShardsFor(int(scope, 'peakUploadsPerSecond', CONTEXT_DEFAULTS.peakUploadsPerSecond, 1, 1_000_000)));
  const s3 = url(scope, 's3EndpointUrl') ?? (localstack ? LOCALSTACK_S3_ENDPOINT : undefined);
  const dynamodb = url(scope, 'dynamodbEndpointUrl');
  if (s3) env.AWS_ENDPOINT_URL_S3 = s3;
  if (dynamodb) env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb;
  // The broker's own validation decides what a valid tunable is; fail the synth, not the cold start.
  try {
    loadConfig({ AWS_REGION: 'synth', LEASE_TABLE_NAME: 'synth', UPLOAD_BUCKET_NAME: 'synth', ...env });
  } catch (error) {
    throw new SettingsError(`invalid broker setting in context: ${(error as Error).message}`);
  }
  return env;
}

function readAzureUploads(scope: Construct, localstack: boolean): AzureUploads {
  const mode = str(scope, 'azureUploads') ?? CONTEXT_DEFAULTS.azureUploads;
  if (!(AZURE_UPLOAD_MODES as readonly string[]).includes(mode)) {
    throw new SettingsError(`context azureUploads must be ${AZURE_UPLOAD_MODES.map((m) => `"${m}"`).join(' or ')}, got "${mode}"`);
  }
  // CloudFront (distributions, functions, KeyValueStores) is not part of LocalStack community.
  if (mode === 'blob-front' && localstack) throw new SettingsError('context azureUploads=blob-front needs CloudFront, which LocalStack does not provide; use the local mode\'s front instead');
  return mode as AzureUploads;
}

/** Free-form, but it lands in a template property and a log line: a short token. */
function readKeyRotation(scope: Construct): string {
  const value = str(scope, 'blobFrontKeyRotation') ?? CONTEXT_DEFAULTS.blobFrontKeyRotation;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
    throw new SettingsError(`context blobFrontKeyRotation must be 1-64 letters, digits, '.', '_' or '-', got ${JSON.stringify(value)}`);
  }
  return value;
}

export function readSettings(scope: Construct): BrokerSettings {
  const auth = str(scope, 'auth') ?? CONTEXT_DEFAULTS.auth;
  if (auth !== 'iam' && auth !== 'jwt' && auth !== 'contracts') throw new SettingsError(`context auth must be "iam", "jwt" or "contracts", got "${auth}"`);
  const localstack = bool(scope, 'localstack', CONTEXT_DEFAULTS.localstack);
  const corsAllowedOrigins = list(scope, 'corsAllowedOrigins');
  for (const origin of corsAllowedOrigins) {
    if (origin === '*') throw new SettingsError('corsAllowedOrigins must list origins; "*" is not allowed');
    if (!/^https?:\/\/[^/]+$/.test(origin)) throw new SettingsError(`corsAllowedOrigins entry "${origin}" is not an origin`);
  }
  const lambdaEnvironment = readLambdaEnvironment(scope, localstack);
  return {
    auth,
    ...(auth !== 'iam' ? { jwt: readJwt(scope) } : {}),
    throttle: {
      rateLimit: int(scope, 'throttleRateLimit', CONTEXT_DEFAULTS.throttleRateLimit, 1),
      burstLimit: int(scope, 'throttleBurstLimit', CONTEXT_DEFAULTS.throttleBurstLimit, 1, 5000),
    },
    routeThrottle: routeThrottle(scope),
    deletionProtection: bool(scope, 'deletionProtection', CONTEXT_DEFAULTS.deletionProtection),
    localstack,
    corsAllowedOrigins,
    logRetention: readLogRetention(scope),
    accessLogExpirationDays: int(scope, 'accessLogExpirationDays', CONTEXT_DEFAULTS.accessLogExpirationDays, 1),
    lambdaEnvironment,
    dueShards: Number(lambdaEnvironment.DUE_SHARDS),
    ...optional('alarmEmail', email(scope, 'alarmEmail')),
    tempObjectExpirationDays: backstopDays(Number(lambdaEnvironment.RETENTION_SECONDS)),
    azureUploads: readAzureUploads(scope, localstack),
    blobFrontKeyRotation: readKeyRotation(scope),
  };
}

function backstopDays(retentionSeconds: number): number {
  try {
    return tempObjectExpirationDays(retentionSeconds);
  } catch (error) {
    throw new SettingsError(`context retentionSeconds: ${(error as Error).message}`);
  }
}
