/** Broker configuration, read once per cold start. Missing required values fail loudly. */

export interface BrokerConfig {
  readonly region: string;
  readonly tableName: string;
  readonly bucketName: string;
  /** Lifetime of every presigned PUT URL. */
  readonly urlTtlSeconds: number;
  /** How long an uploaded temporary object is kept (12 h by default, per the Alibaba contract). */
  readonly retentionSeconds: number;
  /** How long a finished lease record stays readable before DynamoDB TTL may remove it. */
  readonly recordRetentionSeconds: number;
  /** Grace after URL expiry before an unused lease is swept (an upload may still be in flight). */
  readonly pendingGraceSeconds: number;
  /** Set only for emulators/LocalStack: path-style URLs against this origin. */
  readonly s3Endpoint?: string;
  /** Set only for emulators/LocalStack. */
  readonly dynamoEndpoint?: string;
  /** Alibaba contract: lease calls per workspace per second (0 disables). */
  readonly alibabaRateLimitPerSecond: number;
  /**
   * Largest upload accepted for a lease that declared no size (Azure leases sign no Content-Length,
   * so S3 alone would take up to 5 GB in one PUT); larger ones are REJECTED with SIZE_LIMIT.
   */
  readonly maxUploadBytes: number;
  /** Partitions of the due index (shared/adapters/lease-table.ts, docs/scale.md): only ever raised. */
  readonly dueShards: number;
  /**
   * How Azure leases take their upload: `s3-presigned` (one object, one presigned PUT: the design this
   * project was specified with) or `blob-front` (a container under the Blob-protocol front, which the
   * official Azure clients can use unchanged; see docs/blob-front.md).
   */
  readonly azureUploads: AzureUploads;
  /**
   * The Blob front's URL, set exactly when azureUploads is `blob-front`: its origin (`https://...` of
   * the distribution), or with one account segment when the host is an IP address or `localhost` (the
   * local mode), where the Azure clients read the first path segment as the account, as with Azurite.
   */
  readonly blobFrontUrl?: string;
}

export const AZURE_UPLOAD_MODES = ['s3-presigned', 'blob-front'] as const;
export type AzureUploads = (typeof AZURE_UPLOAD_MODES)[number];

/**
 * Partitions of the lease table's due index (adapters/lease-table.ts sizes them): never fewer than the 4
 * every table started with, which would strand the entries of the shards dropped; only ever raised.
 */
export const DUE_SHARD_LIMITS = Object.freeze({ min: 4, max: 256 });

/**
 * A setting (or a file a setting names) the user can fix: every command prints it as one line, its
 * message, without a trace unless DEBUG is set. The message is kept to one line (a JSON parser's,
 * quoted in it, may hold the file's line breaks).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: ErrorOptions) {
    super(message.replace(/\s*\n\s*/g, ' '), options);
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`Missing required environment variable ${name}`);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number, { allowZero = false } = {}): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return value;
}

export const DEFAULTS = Object.freeze({
  urlTtlSeconds: 600,
  retentionSeconds: 43_200,
  recordRetentionSeconds: 7 * 24 * 3600,
  pendingGraceSeconds: 300,
  alibabaRateLimitPerSecond: 10,
  maxUploadBytes: 1024 ** 3,
});

function dueShards(env: Env): number {
  const shards = positiveInt(env, 'DUE_SHARDS', DUE_SHARD_LIMITS.min);
  if (shards < DUE_SHARD_LIMITS.min || shards > DUE_SHARD_LIMITS.max) {
    throw new ConfigError(`DUE_SHARDS must be between ${DUE_SHARD_LIMITS.min} and ${DUE_SHARD_LIMITS.max}, got ${shards}`);
  }
  return shards;
}

function azureUploads(env: Env): Pick<BrokerConfig, 'azureUploads' | 'blobFrontUrl'> {
  const mode = env.AZURE_UPLOADS?.trim() || 's3-presigned';
  if (!(AZURE_UPLOAD_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`AZURE_UPLOADS must be one of ${AZURE_UPLOAD_MODES.join(', ')}, got "${mode}"`);
  }
  if (mode === 's3-presigned') return { azureUploads: 's3-presigned' };
  const url = required(env, 'BLOB_FRONT_URL').replace(/\/+$/, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || !/^\/(?:[a-z0-9]+)?$/.test(parsed.pathname) || parsed.search !== '' || parsed.hash !== '') {
    throw new ConfigError(`BLOB_FRONT_URL must be an http(s) origin, optionally with one lower-case account segment, got "${url}"`);
  }
  return { azureUploads: 'blob-front', blobFrontUrl: url };
}

export function loadConfig(env: Env = process.env): BrokerConfig {
  const urlTtlSeconds = positiveInt(env, 'LEASE_URL_TTL_SECONDS', DEFAULTS.urlTtlSeconds);
  // SigV4 presigned URLs cannot live longer than 7 days; the contracts promise minutes.
  if (urlTtlSeconds > 604_800) throw new ConfigError('LEASE_URL_TTL_SECONDS must be at most 604800');
  const s3Endpoint = env.AWS_ENDPOINT_URL_S3?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;
  const dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;
  return Object.freeze({
    region: env.AWS_REGION?.trim() || required(env, 'AWS_DEFAULT_REGION'),
    tableName: required(env, 'LEASE_TABLE_NAME'),
    bucketName: required(env, 'UPLOAD_BUCKET_NAME'),
    urlTtlSeconds,
    retentionSeconds: positiveInt(env, 'RETENTION_SECONDS', DEFAULTS.retentionSeconds),
    recordRetentionSeconds: positiveInt(env, 'RECORD_RETENTION_SECONDS', DEFAULTS.recordRetentionSeconds),
    pendingGraceSeconds: positiveInt(env, 'PENDING_GRACE_SECONDS', DEFAULTS.pendingGraceSeconds, { allowZero: true }),
    alibabaRateLimitPerSecond: positiveInt(env, 'ALIBABA_RATE_LIMIT_PER_SECOND', DEFAULTS.alibabaRateLimitPerSecond, {
      allowZero: true,
    }),
    maxUploadBytes: positiveInt(env, 'MAX_UPLOAD_BYTES', DEFAULTS.maxUploadBytes),
    dueShards: dueShards(env),
    ...azureUploads(env),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    ...(dynamoEndpoint ? { dynamoEndpoint } : {}),
  });
}
