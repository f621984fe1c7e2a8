import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { CloudFrontKeyValueStoreClient, DescribeKeyValueStoreCommand, UpdateKeysCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ETAG_ATTEMPTS, FRONT_KEYS, putFrontKeys, syncFrontKeys } from '../../shared/adapters/front-key-store.js';
import { SIGNING_KEY_CACHE_MS, createFrontSigningKey } from '../../shared/adapters/front-signing-key.js';
import { DependencyError } from '../../shared/errors.js';

process.env.BROKER_LOG_LEVEL = 'silent';

const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/0f0e0d0c-0b0a-0908-0706-050403020100';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:BlobFrontKey-AbCdEf';
const KEY = 'k'.repeat(64);
const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

const kvsMock = mockClient(CloudFrontKeyValueStoreClient);
const secretsMock = mockClient(SecretsManagerClient);
const kvs = new CloudFrontKeyValueStoreClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
const secrets = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } });

beforeEach(() => {
  kvsMock.reset();
  secretsMock.reset();
});

describe('front-key-store: the key and the limit into the KeyValueStore', () => {
  test('both keys in one UpdateKeys, conditional on the ETag just read', async () => {
    kvsMock.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'etag-1', KvsARN: KVS_ARN });
    kvsMock.on(UpdateKeysCommand).resolves({ ETag: 'etag-2', ItemCount: 2, TotalSizeInBytes: 100 });
    await expect(putFrontKeys(kvs, KVS_ARN, { signingKey: KEY, maxBlobBytes: 64 * 1024 * 1024 })).resolves.toBe('etag-2');
    expect(kvsMock.commandCalls(DescribeKeyValueStoreCommand)[0]!.args[0].input).toEqual({ KvsARN: KVS_ARN });
    expect(kvsMock.commandCalls(UpdateKeysCommand).map((c) => c.args[0].input)).toEqual([
      {
        KvsARN: KVS_ARN,
        IfMatch: 'etag-1',
        Puts: [
          { Key: FRONT_KEYS.signingKey, Value: KEY },
          { Key: FRONT_KEYS.maxBlobBytes, Value: String(64 * 1024 * 1024) },
        ],
      },
    ]);
    expect(FRONT_KEYS).toEqual({ signingKey: 'sas-signing-key', maxBlobBytes: 'max-blob-bytes' });
  });

  test('an ETag conflict (another writer in between): the ETag is read again and the write retried with it', async () => {
    kvsMock.on(DescribeKeyValueStoreCommand).resolvesOnce({ ETag: 'stale' }).resolves({ ETag: 'fresh' });
    kvsMock.on(UpdateKeysCommand).rejectsOnce(sdkError('ConflictException', 409)).resolves({ ETag: 'written' });
    await expect(putFrontKeys(kvs, KVS_ARN, { signingKey: KEY, maxBlobBytes: 1 })).resolves.toBe('written');
    expect(kvsMock.commandCalls(UpdateKeysCommand).map((c) => c.args[0].input.IfMatch)).toEqual(['stale', 'fresh']);
  });

  test(`conflicts that do not stop: given up after ${ETAG_ATTEMPTS} attempts, with the conflict`, async () => {
    kvsMock.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'e' });
    kvsMock.on(UpdateKeysCommand).rejects(sdkError('ConflictException', 409));
    await expect(putFrontKeys(kvs, KVS_ARN, { signingKey: KEY, maxBlobBytes: 1 })).rejects.toMatchObject({ name: 'ConflictException' });
    expect(kvsMock.commandCalls(UpdateKeysCommand)).toHaveLength(ETAG_ATTEMPTS);
  });

  test('any other failure is not retried here (the SDK already retried what is retryable)', async () => {
    kvsMock.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'e' });
    kvsMock.on(UpdateKeysCommand).rejects(sdkError('AccessDeniedException', 403));
    await expect(putFrontKeys(kvs, KVS_ARN, { signingKey: KEY, maxBlobBytes: 1 })).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(kvsMock.commandCalls(UpdateKeysCommand)).toHaveLength(1);
  });

  test('an empty key or a limit that is not a positive integer is refused before anything is written', async () => {
    await expect(putFrontKeys(kvs, KVS_ARN, { signingKey: '', maxBlobBytes: 1 })).rejects.toThrow(/empty/);
    await expect(putFrontKeys(kvs, KVS_ARN, { signingKey: KEY, maxBlobBytes: Number.NaN })).rejects.toThrow(/max-blob-bytes/);
    await expect(putFrontKeys(kvs, KVS_ARN, { signingKey: KEY, maxBlobBytes: 0 })).rejects.toThrow(/max-blob-bytes/);
    expect(kvsMock.calls()).toHaveLength(0);
  });

  test('syncFrontKeys reads the key from its secret and writes it', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    kvsMock.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'e' });
    kvsMock.on(UpdateKeysCommand).resolves({ ETag: 'f' });
    await syncFrontKeys({ secrets, kvs }, { secretArn: SECRET_ARN, kvsArn: KVS_ARN, maxBlobBytes: 5 });
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect(kvsMock.commandCalls(UpdateKeysCommand)[0]!.args[0].input.Puts).toEqual([
      { Key: 'sas-signing-key', Value: KEY },
      { Key: 'max-blob-bytes', Value: '5' },
    ]);
  });

  test('a secret without a string value is an error, not an empty key', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(syncFrontKeys({ secrets, kvs }, { secretArn: SECRET_ARN, kvsArn: KVS_ARN, maxBlobBytes: 5 })).rejects.toThrow(/no string value/);
    expect(kvsMock.calls()).toHaveLength(0);
  });
});

describe('the KeyValueStore API is signed with SigV4A (the JS signer is registered by the adapter)', () => {
  test('a real client (no mock) signs DescribeKeyValueStore with AWS4-ECDSA-P256-SHA256 for the store\'s endpoint', async () => {
    kvsMock.restore();
    try {
      const seen: { hostname?: string; authorization?: string } = {};
      // As the adapter's client, but answering from here; the signer is whatever the SDK finds registered.
      const client = new CloudFrontKeyValueStoreClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
        maxAttempts: 1,
        requestHandler: {
          handle: async (request: { hostname: string; headers: Record<string, string> }) => {
            seen.hostname = request.hostname;
            seen.authorization = request.headers.authorization;
            throw Object.assign(new Error('captured'), { name: 'Captured' });
          },
        } as never,
      });
      await expect(client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }))).rejects.toMatchObject({ name: 'Captured' });
      expect(seen.hostname).toBe('123456789012.cloudfront-kvs.global.api.aws');
      expect(seen.authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 Credential=AKID\//);
    } finally {
      mockClient(CloudFrontKeyValueStoreClient);
    }
  });
});

describe('front-signing-key: the Azure API Lambda\'s view of the key', () => {
  let now = 1_000_000;
  const clock = () => now;
  afterEach(() => {
    now = 1_000_000;
  });

  test('read once, then served from memory for 5 minutes; a rotated key is read after that', async () => {
    secretsMock.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'new' });
    const key = createFrontSigningKey({ secretArn: SECRET_ARN, client: secrets, now: clock });
    expect(await key()).toBe('old');
    now += SIGNING_KEY_CACHE_MS - 1;
    expect(await key()).toBe('old');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 1;
    expect(await key()).toBe('new');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(SIGNING_KEY_CACHE_MS).toBe(5 * 60_000);
  });

  test('concurrent first callers share one request', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const key = createFrontSigningKey({ secretArn: SECRET_ARN, client: secrets, now: clock });
    expect(await Promise.all([key(), key(), key()])).toEqual([KEY, KEY, KEY]);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  test('failures become DependencyError("secretsmanager"): throttling is retryable (503), the rest a 500; nothing is cached', async () => {
    secretsMock.on(GetSecretValueCommand).rejectsOnce(sdkError('ThrottlingException', 400)).rejectsOnce(sdkError('AccessDeniedException', 400)).resolves({ SecretString: KEY });
    const key = createFrontSigningKey({ secretArn: SECRET_ARN, client: secrets, now: clock });
    const throttled = await key().catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(DependencyError);
    expect(throttled).toMatchObject({ dependency: 'secretsmanager', throttled: true });
    expect(await key().catch((e: unknown) => e)).toMatchObject({ dependency: 'secretsmanager', throttled: false });
    expect(await key()).toBe(KEY);
  });

  test('an empty secret is a failure too, never an empty signing key', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '' });
    const key = createFrontSigningKey({ secretArn: SECRET_ARN, client: secrets, now: clock });
    await expect(key()).rejects.toMatchObject({ dependency: 'secretsmanager' });
  });
});

describe('lambdas/blob-front-key: the custom resource always answers CloudFormation', () => {
  const event = (RequestType: 'Create' | 'Update' | 'Delete') => ({
    RequestType,
    ServiceToken: 'arn:aws:lambda:eu-west-1:1:function:f',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/presigned',
    StackId: 'arn:aws:cloudformation:eu-west-1:1:stack/S/x',
    RequestId: 'r-1',
    LogicalResourceId: 'BlobFrontSigningKeyCopy',
    ResourceType: 'Custom::BlobFrontSigningKey',
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: 'front-keys:old' }),
    ResourceProperties: { ServiceToken: 'x', KvsArn: KVS_ARN, SecretArn: SECRET_ARN, MaxBlobBytes: '1024', Rotation: '0' },
  });
  let answers: { url: string; method: string; body: Record<string, unknown> }[];
  beforeEach(() => {
    answers = [];
    jest.spyOn(globalThis, 'fetch').mockImplementation(async (url, init) => {
      answers.push({ url: String(url), method: init!.method!, body: JSON.parse(Buffer.from(init!.body as Uint8Array).toString('utf8')) });
      return new Response(null, { status: 200 });
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('Create: the keys are written, SUCCESS with a physical id naming the store; the answer carries no key', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    kvsMock.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'e' });
    kvsMock.on(UpdateKeysCommand).resolves({ ETag: 'f' });
    const { handler } = await import('../../lambdas/blob-front-key/index.js');
    await handler(event('Create') as never);
    expect(kvsMock.commandCalls(UpdateKeysCommand)[0]!.args[0].input.Puts![1]).toEqual({ Key: 'max-blob-bytes', Value: '1024' });
    expect(answers).toEqual([
      {
        url: event('Create').ResponseURL,
        method: 'PUT',
        body: { Status: 'SUCCESS', PhysicalResourceId: `front-keys:${KVS_ARN}`, StackId: event('Create').StackId, RequestId: 'r-1', LogicalResourceId: 'BlobFrontSigningKeyCopy' },
      },
    ]);
    expect(JSON.stringify(answers)).not.toContain(KEY);
  });

  test('Update (a new rotation value): written again; a failure is FAILED with its reason, not a hung stack', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(sdkError('AccessDeniedException', 400));
    const { handler } = await import('../../lambdas/blob-front-key/index.js');
    await handler(event('Update') as never);
    expect(answers[0]!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('AccessDeniedException'), PhysicalResourceId: `front-keys:${KVS_ARN}` });
  });

  test('Delete: nothing is read or written, SUCCESS with the same physical id', async () => {
    const { handler } = await import('../../lambdas/blob-front-key/index.js');
    await handler(event('Delete') as never);
    expect(secretsMock.calls()).toHaveLength(0);
    expect(kvsMock.calls()).toHaveLength(0);
    expect(answers[0]!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'front-keys:old' });
  });
});
