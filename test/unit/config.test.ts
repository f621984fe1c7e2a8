import { describe, expect, it, test } from '@jest/globals';
import { ConfigError, DEFAULTS, loadConfig } from '../../shared/config.js';

const BASE = { AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 'leases', UPLOAD_BUCKET_NAME: 'uploads' } as const;
type Env = Record<string, string | undefined>;

function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).name).toBe('ConfigError');
    return error as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig: required variables', () => {
  it('reads the required values', () => {
    const config = loadConfig({ ...BASE });
    expect(config.region).toBe('eu-west-1');
    expect(config.tableName).toBe('leases');
    expect(config.bucketName).toBe('uploads');
  });

  test.each([
    ['LEASE_TABLE_NAME', undefined],
    ['LEASE_TABLE_NAME', ''],
    ['LEASE_TABLE_NAME', '   '],
    ['UPLOAD_BUCKET_NAME', undefined],
    ['UPLOAD_BUCKET_NAME', ''],
    ['UPLOAD_BUCKET_NAME', ' \t'],
  ])('%s = %j -> ConfigError naming it', (name, value) => {
    const env: Env = { ...BASE, [name]: value };
    if (value === undefined) delete env[name];
    expect(configError(env).message).toContain(name);
  });

  it('region: missing AWS_REGION and AWS_DEFAULT_REGION -> ConfigError naming the region variable', () => {
    const { AWS_REGION: _unused, ...rest } = BASE;
    expect(configError(rest).message).toMatch(/AWS_(DEFAULT_)?REGION/);
    expect(configError({ ...rest, AWS_REGION: '', AWS_DEFAULT_REGION: ' ' }).message).toMatch(/AWS_(DEFAULT_)?REGION/);
  });

  it('region: AWS_DEFAULT_REGION is the fallback, AWS_REGION wins', () => {
    const { AWS_REGION: _unused, ...rest } = BASE;
    expect(loadConfig({ ...rest, AWS_DEFAULT_REGION: 'ap-southeast-1' }).region).toBe('ap-southeast-1');
    expect(loadConfig({ ...BASE, AWS_DEFAULT_REGION: 'ap-southeast-1' }).region).toBe('eu-west-1');
  });

  it('trims values', () => {
    const config = loadConfig({ AWS_REGION: ' us-east-1 ', LEASE_TABLE_NAME: ' t ', UPLOAD_BUCKET_NAME: '\tb\n' });
    expect([config.region, config.tableName, config.bucketName]).toEqual(['us-east-1', 't', 'b']);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(loadConfig({ ...BASE }))).toBe(true);
  });

  it('reads process.env by default', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { AWS_REGION: 'sa-east-1', LEASE_TABLE_NAME: 'from-env', UPLOAD_BUCKET_NAME: 'env-bucket' });
      const config = loadConfig();
      expect([config.region, config.tableName, config.bucketName]).toEqual(['sa-east-1', 'from-env', 'env-bucket']);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});

describe('loadConfig: numbers', () => {
  it('defaults: URL TTL 600 s, retention 43200 s (12 h), record retention 7 days', () => {
    const config = loadConfig({ ...BASE });
    expect(config.urlTtlSeconds).toBe(600);
    expect(config.retentionSeconds).toBe(43_200);
    expect(config.recordRetentionSeconds).toBe(7 * 24 * 3600);
    expect(config.recordRetentionSeconds).toBe(604_800);
    expect(config.pendingGraceSeconds).toBe(DEFAULTS.pendingGraceSeconds);
    expect(config.alibabaRateLimitPerSecond).toBe(DEFAULTS.alibabaRateLimitPerSecond);
    expect(DEFAULTS).toMatchObject({ urlTtlSeconds: 600, retentionSeconds: 43_200, recordRetentionSeconds: 604_800 });
  });

  it('empty values fall back to the defaults', () => {
    const config = loadConfig({ ...BASE, LEASE_URL_TTL_SECONDS: '', RETENTION_SECONDS: ' ', RECORD_RETENTION_SECONDS: '' });
    expect([config.urlTtlSeconds, config.retentionSeconds, config.recordRetentionSeconds]).toEqual([600, 43_200, 604_800]);
  });

  it('reads explicit values', () => {
    const config = loadConfig({
      ...BASE,
      LEASE_URL_TTL_SECONDS: '900',
      RETENTION_SECONDS: '60',
      RECORD_RETENTION_SECONDS: '86400',
      PENDING_GRACE_SECONDS: '0',
      ALIBABA_RATE_LIMIT_PER_SECOND: '0',
    });
    expect(config).toMatchObject({
      urlTtlSeconds: 900,
      retentionSeconds: 60,
      recordRetentionSeconds: 86_400,
      pendingGraceSeconds: 0,
      alibabaRateLimitPerSecond: 0,
    });
  });

  test.each([
    ['LEASE_URL_TTL_SECONDS', 'abc'],
    ['LEASE_URL_TTL_SECONDS', '-1'],
    ['LEASE_URL_TTL_SECONDS', '0'],
    ['LEASE_URL_TTL_SECONDS', '1.5'],
    ['LEASE_URL_TTL_SECONDS', 'NaN'],
    ['LEASE_URL_TTL_SECONDS', 'Infinity'],
    ['LEASE_URL_TTL_SECONDS', '10s'],
    ['RETENTION_SECONDS', 'abc'],
    ['RETENTION_SECONDS', '-1'],
    ['RETENTION_SECONDS', '0'],
    ['RECORD_RETENTION_SECONDS', 'abc'],
    ['RECORD_RETENTION_SECONDS', '0'],
    ['RECORD_RETENTION_SECONDS', '2.5'],
    ['PENDING_GRACE_SECONDS', '-1'],
    ['PENDING_GRACE_SECONDS', 'abc'],
    ['ALIBABA_RATE_LIMIT_PER_SECOND', '-5'],
    ['ALIBABA_RATE_LIMIT_PER_SECOND', 'x'],
  ])('%s = %j -> ConfigError naming it', (name, value) => {
    expect(configError({ ...BASE, [name]: value }).message).toContain(name);
  });

  it('LEASE_URL_TTL_SECONDS may be at most 604800 (7 days, the SigV4 limit)', () => {
    expect(loadConfig({ ...BASE, LEASE_URL_TTL_SECONDS: '604800' }).urlTtlSeconds).toBe(604_800);
    expect(configError({ ...BASE, LEASE_URL_TTL_SECONDS: '604801' }).message).toContain('LEASE_URL_TTL_SECONDS');
    expect(configError({ ...BASE, LEASE_URL_TTL_SECONDS: '99999999' }).message).toContain('LEASE_URL_TTL_SECONDS');
  });
});

describe('loadConfig: endpoints', () => {
  it('none by default (real AWS)', () => {
    const config = loadConfig({ ...BASE });
    expect(config.s3Endpoint).toBeUndefined();
    expect(config.dynamoEndpoint).toBeUndefined();
    expect('s3Endpoint' in config).toBe(false);
    expect('dynamoEndpoint' in config).toBe(false);
  });

  it('service-specific endpoints', () => {
    const config = loadConfig({ ...BASE, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567' });
    expect(config.s3Endpoint).toBe('http://127.0.0.1:4569');
    expect(config.dynamoEndpoint).toBe('http://127.0.0.1:4567');
  });

  it('AWS_ENDPOINT_URL applies to both services unless a specific one is set', () => {
    const both = loadConfig({ ...BASE, AWS_ENDPOINT_URL: 'http://localhost:4566' });
    expect(both.s3Endpoint).toBe('http://localhost:4566');
    expect(both.dynamoEndpoint).toBe('http://localhost:4566');
    const mixed = loadConfig({ ...BASE, AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_S3: 'http://s3.local:9000' });
    expect(mixed.s3Endpoint).toBe('http://s3.local:9000');
    expect(mixed.dynamoEndpoint).toBe('http://localhost:4566');
  });

  it('blank endpoint variables are ignored', () => {
    const config = loadConfig({ ...BASE, AWS_ENDPOINT_URL_S3: '  ', AWS_ENDPOINT_URL_DYNAMODB: '' });
    expect(config.s3Endpoint).toBeUndefined();
    expect(config.dynamoEndpoint).toBeUndefined();
  });
});

describe('loadConfig: due-index shards', () => {
  it('defaults to the 4 shards the table always had, and takes DUE_SHARDS from 4 up to 256', () => {
    expect(loadConfig({ ...BASE }).dueShards).toBe(4);
    expect(loadConfig({ ...BASE, DUE_SHARDS: '38' }).dueShards).toBe(38);
    expect(loadConfig({ ...BASE, DUE_SHARDS: '256' }).dueShards).toBe(256);
  });

  test.each(['0', '-1', '1', '3', '2.5', 'four', '257'])('DUE_SHARDS = %j -> ConfigError naming it', (value) => {
    expect(configError({ ...BASE, DUE_SHARDS: value }).message).toContain('DUE_SHARDS');
  });
});

describe('loadConfig: Azure uploads (Blob front switch)', () => {
  test('default: one presigned object per lease, no front', () => {
    const config = loadConfig({ ...BASE });
    expect(config.azureUploads).toBe('s3-presigned');
    expect(config.blobFrontUrl).toBeUndefined();
    expect(loadConfig({ ...BASE, AZURE_UPLOADS: ' ', BLOB_FRONT_URL: 'https://ignored.example' }).blobFrontUrl).toBeUndefined();
  });

  test('blob-front: the front origin is required, trailing slashes dropped', () => {
    expect(loadConfig({ ...BASE, AZURE_UPLOADS: 'blob-front', BLOB_FRONT_URL: 'https://d1.cloudfront.net/' })).toMatchObject({
      azureUploads: 'blob-front',
      blobFrontUrl: 'https://d1.cloudfront.net',
    });
    expect(configError({ ...BASE, AZURE_UPLOADS: 'blob-front' }).message).toBe('Missing required environment variable BLOB_FRONT_URL');
  });

  test('an account segment is kept (IP hosts: the Azure clients read the first segment as the account)', () => {
    expect(loadConfig({ ...BASE, AZURE_UPLOADS: 'blob-front', BLOB_FRONT_URL: 'http://127.0.0.1:3002/local/' }).blobFrontUrl).toBe('http://127.0.0.1:3002/local');
  });

  test.each(['ftp://front.example', 'https://front.example/a/b', 'https://front.example/Acct', 'https://front.example/?q=1', 'https://front.example/#x', 'not a url'])(
    'refuses BLOB_FRONT_URL %j in one line',
    (url) => {
      expect(configError({ ...BASE, AZURE_UPLOADS: 'blob-front', BLOB_FRONT_URL: url }).message).toMatch(/^BLOB_FRONT_URL must be an http\(s\) origin, optionally with one lower-case account segment, got "/);
    },
  );

  test('an unknown mode names the allowed ones', () => {
    expect(configError({ ...BASE, AZURE_UPLOADS: 'blob' }).message).toBe('AZURE_UPLOADS must be one of s3-presigned, blob-front, got "blob"');
  });
});
