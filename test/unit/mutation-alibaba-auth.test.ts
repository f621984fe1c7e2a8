import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import UtilsModule from '@alicloud/openapi-core/dist/utils.js';
import { acs3Signature, Acs3Error, canonicalAcs3Request, parseAcs3Authorization, verifyAcs3, type Acs3Request } from '../../shared/auth/acs3.js';
import { accessKeysFromFile } from '../../shared/auth/access-keys.js';
import { alibabaAuthenticator } from '../../shared/auth/alibaba.js';
import { azureGrantsFromFile } from '../../shared/auth/azure-grants.js';
import { bodyBytes, header } from '../../shared/http/request.js';
import { followedFile } from '../../shared/auth/followed-file.js';
import { createDynamoNonceStore, type NonceStore } from '../../shared/auth/nonces.js';
import { CACHE_ENTRIES, CACHE_MS, grantItemId, storedAccessKeys, storedAzureGrants } from '../../shared/auth/stored-credentials.js';
import { alibabaTenant, azureTenant, mayTouchLease, tenantOfLease } from '../../shared/auth/tenancy.js';
import { OPEN } from '../../shared/auth/caller.js';
import { AuthenticationError, DependencyError } from '../../shared/errors.js';
import { log } from '../../shared/log.js';
import { fixedClock } from '../support/clock.js';
import { httpEvent } from '../support/events.js';

/**
 * The Alibaba contract's authentication boundary, pinned to its exact behaviour: how an ACS3-HMAC-SHA256
 * Authorization header is parsed and bounded, the canonical request the signature covers, the failure
 * code and message of every refusal, the single-use nonce store, the per-instance credential caches
 * (lifetime, bound, consistent reads, failures not cached), and the followed local key and grant files.
 * Signatures come from the official SDK signer (`Utils.getAuthorization` of @alicloud/openapi-core), never
 * from the verifier under test.
 */
const Utils = UtilsModule.default;
const SIG = '0123456789abcdef'.repeat(4);
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const acs3Failure = (run: () => unknown): { failure: string; message: string } | 'accepted' => {
  try {
    run();
  } catch (error) {
    if (!(error instanceof Acs3Error)) throw error;
    return { failure: error.failure, message: error.message };
  }
  return 'accepted';
};

describe('acs3.ts: parsing the Authorization header', () => {
  const parse = (header: string | undefined) => acs3Failure(() => parseAcs3Authorization(header));
  const MUST_CARRY = { failure: 'malformed', message: 'The Authorization header must carry Credential, SignedHeaders and a hex Signature.' };

  test('an absent or blank header is missing, with its message', () => {
    const missing = { failure: 'missing', message: 'The Authorization header is required.' };
    expect(parse(undefined)).toEqual(missing);
    expect(parse('   ')).toEqual(missing);
  });

  test('any scheme but ACS3-HMAC-SHA256, or the scheme glued to its fields, names the scheme it must use', () => {
    const mustUse = { failure: 'malformed', message: 'The Authorization header must use ACS3-HMAC-SHA256.' };
    expect(parse(`Bearer Credential=LTAIk,SignedHeaders=host,Signature=${SIG}`)).toEqual(mustUse);
    expect(parse('ACS3-HMAC-SHA256x')).toEqual(mustUse);
    expect(parse(`ACS3-HMAC-SHA256,Credential=LTAIk,SignedHeaders=host,Signature=${SIG}`)).toEqual(mustUse);
  });

  test('fields may carry spaces around names and values, which are trimmed', () => {
    expect(parseAcs3Authorization(`ACS3-HMAC-SHA256 Credential = LTAIk , SignedHeaders= host;x-acs-date ,  Signature =${SIG} `)).toEqual({
      accessKeyId: 'LTAIk',
      signedHeaders: ['host', 'x-acs-date'],
      signature: SIG,
    });
  });

  test('each of Credential, SignedHeaders and Signature is required; a part without "=" sets nothing', () => {
    expect(parse(`ACS3-HMAC-SHA256 SignedHeaders=host,Signature=${SIG}`)).toEqual(MUST_CARRY);
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,Signature=${SIG}`)).toEqual(MUST_CARRY);
    expect(parse('ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=host')).toEqual(MUST_CARRY);
    expect(parse(`ACS3-HMAC-SHA256 SignedHeaders=host,Signature=${SIG},Credentialx`)).toEqual(MUST_CARRY);
    expect(parse(`ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=${SIG}`)).toEqual(MUST_CARRY);
  });

  test('the Signature is exactly 64 lower-case hex digits', () => {
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=host,Signature=x${SIG}`)).toEqual(MUST_CARRY);
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=host,Signature=${SIG}0`)).toEqual(MUST_CARRY);
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=host,Signature=${SIG.toUpperCase()}`)).toEqual(MUST_CARRY);
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=host,Signature=${SIG.slice(1)}`)).toEqual(MUST_CARRY);
  });

  test('a Credential that is not an AccessKeyId is refused before any lookup', () => {
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk/20261130/cn-beijing,SignedHeaders=host,Signature=${SIG}`)).toEqual({
      failure: 'malformed',
      message: 'The Credential is not an AccessKeyId.',
    });
  });

  test('SignedHeaders: at most 64 names, each a lower-case token', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `x-acs-h${i}`).join(';');
    const lowerCaseOnly = { failure: 'malformed', message: 'SignedHeaders must list lower-case header names.' };
    expect(parseAcs3Authorization(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=${names(64)},Signature=${SIG}`).signedHeaders).toHaveLength(64);
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=${names(65)},Signature=${SIG}`)).toEqual(lowerCaseOnly);
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=host;x-acs-Date,Signature=${SIG}`)).toEqual(lowerCaseOnly);
    expect(parse(`ACS3-HMAC-SHA256 Credential=LTAIk,SignedHeaders=host;x-acs-date_,Signature=${SIG}`)).toEqual(lowerCaseOnly);
  });
});

describe('acs3.ts: the canonical request and the signature', () => {
  // Signed once by the SDK's Utils.getAuthorization (the first vector of acs3.test.ts).
  const SECRET = 'testSecret-0123456789';
  const VECTOR: Acs3Request = {
    method: 'GET',
    rawPath: '/ws_a/datacenter/file/file_0123456789abcdef0123456789abcdef_1790000000000/',
    rawQuery: '',
    headers: {
      host: 'broker.example.com',
      'x-acs-action': 'DescribeFile',
      'x-acs-version': '2023-12-29',
      'x-acs-date': '2026-11-30T12:00:00Z',
      'x-acs-signature-nonce': 'a1b2c3',
      accept: 'application/json',
      'user-agent': 'x',
      'x-acs-content-sha256': EMPTY_SHA256,
    },
    body: Buffer.from(''),
  };
  const SIGNED = 'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version';
  const SIGNATURE = '25ca7f53760ee7f03c8cbb514767fd8d0f0d0b9727e86270da13c1181096ad6c';
  const auth = parseAcs3Authorization(`ACS3-HMAC-SHA256 Credential=LTAI5tExampleKey,SignedHeaders=${SIGNED},Signature=${SIGNATURE}`);
  const canonical = (r: Partial<Acs3Request>, signed: string[] = ['host']) => canonicalAcs3Request({ ...VECTOR, ...r }, signed, EMPTY_SHA256);

  test('acs3Signature is the lower-case hex HMAC the SDK computed for the same canonical request', () => {
    expect(acs3Signature(canonicalAcs3Request(VECTOR, SIGNED.split(';'), EMPTY_SHA256), SECRET)).toBe(SIGNATURE);
  });

  test('an empty path is "/"; a segment that is not valid percent-encoding is kept as received and encoded', () => {
    expect(canonical({ rawPath: '' }).split('\n')[1]).toBe('/');
    expect(canonical({ rawPath: '/ws/a%ZZb/%E4%BD%A0' }).split('\n')[1]).toBe('/ws/a%25ZZb/%E4%BD%A0');
  });

  test('query: names and values decoded ("+" is a space) and re-encoded, a bare name has an empty value, sorted by name then value', () => {
    expect(canonical({ rawQuery: 'flag&=v&a+b=c+d&a=3&a=1&a=2' }).split('\n')[2]).toBe('=v&a=1&a=2&a=3&a%20b=c%20d&flag=');
  });

  test('signed headers: values trimmed; a header sent without a value, or not sent at all, is empty', () => {
    const text = canonical({ headers: { host: '  h.example  ', 'x-acs-a': undefined } }, ['host', 'x-acs-a', 'x-acs-missing']);
    expect(text).toBe(['GET', VECTOR.rawPath, '', 'host:h.example\nx-acs-a:\nx-acs-missing:\n', 'host;x-acs-a;x-acs-missing', EMPTY_SHA256].join('\n'));
  });

  test('each refusal of verifyAcs3 names its reason', () => {
    expect(acs3Failure(() => verifyAcs3(VECTOR, auth, SECRET))).toBe('accepted');
    expect(acs3Failure(() => verifyAcs3({ ...VECTOR, body: Buffer.from('x') }, auth, SECRET))).toEqual({
      failure: 'content-hash',
      message: 'The x-acs-content-sha256 header does not match the body.',
    });
    expect(acs3Failure(() => verifyAcs3({ ...VECTOR, headers: { ...VECTOR.headers, 'content-type': 'text/plain', 'x-acs-extra': '1' } }, auth, SECRET))).toEqual({
      failure: 'malformed',
      message: 'These headers must be signed: content-type, x-acs-extra.',
    });
    expect(acs3Failure(() => verifyAcs3(VECTOR, auth, `${SECRET}x`))).toEqual({
      failure: 'signature',
      message: 'The request signature does not conform to Alibaba Cloud standards.',
    });
  });
});

describe('alibaba.ts: the authenticator on SDK-signed requests', () => {
  const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
  const KEY = { accessKeyId: 'LTAIunit0001', secret: 'unit-secret-0123456789', workspaces: ['ws_a'] };
  const ENDPOINT = 'abc123.execute-api.eu-west-1.amazonaws.com';
  const PATH = '/ws_a/datacenter/category/default';

  function signedEvent(o: { host?: string; date?: string; nonce?: string; query?: Record<string, string>; rawPath?: string; secret?: string } = {}) {
    const body = 'FileName=a.txt&Md5=x&SizeInBytes=1';
    const hash = createHash('sha256').update(body).digest('hex');
    const headers: Record<string, string> = {
      host: o.host ?? ENDPOINT,
      'content-type': 'application/x-www-form-urlencoded',
      'x-acs-action': 'ApplyFileUploadLease',
      'x-acs-version': '2023-12-29',
      'x-acs-date': o.date ?? '2026-11-30T12:00:00Z',
      'x-acs-signature-nonce': o.nonce ?? 'nonce-1',
      'x-acs-content-sha256': hash,
    };
    const query = o.query ?? {};
    const rawPath = o.rawPath ?? PATH;
    const request = { pathname: rawPath, method: 'POST', query, headers } as never;
    headers.authorization = Utils.getAuthorization(request, 'ACS3-HMAC-SHA256', hash, KEY.accessKeyId, o.secret ?? KEY.secret);
    const rawQueryString = Object.entries(query).map(([k, v]) => `${k}=${v}`).join('&');
    const event = httpEvent({ routeKey: 'POST /{WorkspaceId}/datacenter/category/{CategoryId}', rawPath, rawQueryString, pathParameters: {}, headers, body });
    event.requestContext.domainName = ENDPOINT;
    return event;
  }

  function authenticator() {
    const used = new Set<string>();
    const nonces: NonceStore = { use: async (id, nonce) => !used.has(`${id}#${nonce}`) && !!used.add(`${id}#${nonce}`) };
    const keys = { find: async (id: string) => (id === KEY.accessKeyId ? KEY : undefined) };
    return { authenticate: alibabaAuthenticator({ keys, nonces, clock: fixedClock(T0) }), used };
  }

  async function refusal(promise: Promise<unknown>): Promise<{ failure: string; message: string } | 'accepted'> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof AuthenticationError) return { failure: error.failure, message: error.message };
      throw error;
    }
    return 'accepted';
  }

  test('a missing Authorization is "missing"; one of another scheme is "malformed"; both keep the parser\'s message', async () => {
    const { authenticate } = authenticator();
    const missing = signedEvent();
    delete missing.headers.authorization;
    expect(await refusal(authenticate(missing))).toEqual({ failure: 'missing', message: 'The Authorization header is required.' });
    const bearer = signedEvent();
    bearer.headers.authorization = 'Bearer token';
    expect(await refusal(authenticate(bearer))).toEqual({ failure: 'malformed', message: 'The Authorization header must use ACS3-HMAC-SHA256.' });
  });

  test('an unknown key is named in the refusal', async () => {
    const { authenticate } = authenticator();
    const event = signedEvent();
    event.headers.authorization = event.headers.authorization!.replace(KEY.accessKeyId, 'LTAIunknown');
    expect(await refusal(authenticate(event))).toEqual({ failure: 'unknown-key', message: "The AccessKeyId 'LTAIunknown' is not found." });
  });

  test('the Host is compared trimmed; another or no Host is refused, naming the host it was made for', async () => {
    const { authenticate } = authenticator();
    expect(await refusal(authenticate(signedEvent({ host: `  ${ENDPOINT} ` })))).toBe('accepted');
    expect(await refusal(authenticate(signedEvent({ host: 'bailian.cn-beijing.aliyuncs.com', nonce: 'n2' })))).toEqual({
      failure: 'signature',
      message: "The request was made for the host 'bailian.cn-beijing.aliyuncs.com', which is not this endpoint.",
    });
    const noHost = signedEvent({ nonce: 'n3' });
    delete noHost.headers.host;
    expect(await refusal(authenticate(noHost))).toEqual({ failure: 'signature', message: "The request was made for the host '', which is not this endpoint." });
  });

  test('the raw query string is part of what is verified; an event without one verifies as an empty query', async () => {
    const { authenticate } = authenticator();
    expect(await refusal(authenticate(signedEvent({ query: { b: '2', a: '1' }, nonce: 'q1' })))).toBe('accepted');
    const noQuery = signedEvent({ nonce: 'q2' });
    delete (noQuery as { rawQueryString?: string }).rawQueryString;
    expect(await refusal(authenticate(noQuery))).toBe('accepted');
  });

  test('verification refusals keep their message: a body changed after signing is "signature", an unsigned header "malformed"', async () => {
    const { authenticate, used } = authenticator();
    const changedBody = signedEvent();
    changedBody.body = `${changedBody.body}&x=1`;
    expect(await refusal(authenticate(changedBody))).toEqual({ failure: 'signature', message: 'The x-acs-content-sha256 header does not match the body.' });
    const unsigned = signedEvent();
    unsigned.headers['x-acs-extra'] = '1';
    expect(await refusal(authenticate(unsigned))).toEqual({ failure: 'malformed', message: 'These headers must be signed: x-acs-extra.' });
    expect(await refusal(authenticate(signedEvent({ secret: 'another-secret-0123' })))).toEqual({
      failure: 'signature',
      message: 'The request signature does not conform to Alibaba Cloud standards.',
    });
    expect(used.size).toBe(0);
  });

  test('a failure inside verification that is not a refusal propagates as itself, not as a signature refusal', async () => {
    const { authenticate } = authenticator();
    // A lone surrogate cannot be percent-encoded: encodeURIComponent throws URIError.
    await expect(authenticate(signedEvent({ rawPath: '/ws_a/\ud800' }))).rejects.toThrow(URIError);
  });

  test('x-acs-date must be exactly YYYY-MM-DDTHH:MM:SSZ, even where Date.parse would accept more; the refusal says why', async () => {
    const { authenticate } = authenticator();
    const expired = { failure: 'expired', message: 'The x-acs-date of the request is missing or more than 15 minutes from the server time.' };
    expect(Date.parse('+002026-11-30T12:00:00Z')).toBe(T0);
    expect(await refusal(authenticate(signedEvent({ date: '+002026-11-30T12:00:00Z', nonce: 'd1' })))).toEqual(expired);
    expect(Date.parse('2026-11-30T12:00:00Z\u0000')).toBe(T0);
    expect(await refusal(authenticate(signedEvent({ date: '2026-11-30T12:00:00Z\u0000', nonce: 'd2' })))).toEqual(expired);
    expect(await refusal(authenticate(signedEvent({ date: '2026-11-30T12:00:00Z', nonce: 'd3' })))).toBe('accepted');
  });

  test('nonce refusals: an oversized nonce names the bound; a reused one says so', async () => {
    const { authenticate } = authenticator();
    expect(await refusal(authenticate(signedEvent({ nonce: 'n'.repeat(257) })))).toEqual({
      failure: 'malformed',
      message: 'The x-acs-signature-nonce header is required (at most 256 characters).',
    });
    expect(await refusal(authenticate(signedEvent({ nonce: 'once' })))).toBe('accepted');
    expect(await refusal(authenticate(signedEvent({ nonce: 'once' })))).toEqual({ failure: 'nonce-used', message: 'The x-acs-signature-nonce was used before.' });
  });
});

describe('caller.ts: headers and body of an event', () => {
  const event = (o: Record<string, unknown>) => ({ ...httpEvent({ routeKey: 'POST /x', rawPath: '/x', pathParameters: {} }), ...o }) as ReturnType<typeof httpEvent>;

  test('header finds a header whatever the case it arrived in; an exact name is preferred', () => {
    expect(header(event({ headers: { Authorization: 'ACS3 x' } }), 'authorization')).toBe('ACS3 x');
    expect(header(event({ headers: { 'X-Acs-Date': 'd' } }), 'x-acs-date')).toBe('d');
    expect(header(event({ headers: { authorization: 'lower', AUTHORIZATION: 'upper' } }), 'authorization')).toBe('lower');
    expect(header(event({ headers: { other: 'x' } }), 'authorization')).toBeUndefined();
    expect(header(event({ headers: undefined }), 'authorization')).toBeUndefined();
  });

  test('bodyBytes: no body or a null body is empty; base64 is decoded; text is UTF-8', () => {
    expect(bodyBytes(event({ body: undefined }))).toEqual(Buffer.alloc(0));
    expect(bodyBytes(event({ body: null }))).toEqual(Buffer.alloc(0));
    expect(bodyBytes(event({ body: 'aGVsbG8=', isBase64Encoded: true })).toString('utf8')).toBe('hello');
    expect(bodyBytes(event({ body: 'é', isBase64Encoded: false }))).toEqual(Buffer.from([0xc3, 0xa9]));
  });
});

describe('nonces.ts: the DynamoDB nonce store', () => {
  test('a failure other than the condition is a DynamoDB dependency error, not "nonce used"', async () => {
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const mock = mockClient(ddb);
    const failure = Object.assign(new Error('boom'), { name: 'InternalServerError' });
    mock.on(PutCommand).rejects(failure);
    const error = await createDynamoNonceStore(ddb, 't').use('LTAIk', 'n', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', throttled: false, cause: failure });
    mock.on(PutCommand).rejects(Object.assign(new Error('slow'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(createDynamoNonceStore(ddb, 't').use('LTAIk', 'n', 0)).rejects.toMatchObject({ dependency: 'dynamodb', throttled: true });
  });
});

describe('stored-credentials.ts: keys and grants in the lease table', () => {
  const ARN = 'arn:aws:kms:eu-west-1:1:key/k';
  let ddb: DynamoDBDocumentClient;
  let kms: KMSClient;
  let ddbMock: ReturnType<typeof mockClient>;
  let kmsMock: ReturnType<typeof mockClient>;
  beforeEach(() => {
    ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    kms = new KMSClient({ region: 'eu-west-1' });
    ddbMock = mockClient(ddb);
    kmsMock = mockClient(kms);
  });
  const keyItem = { leaseId: 'accesskey#LTAIk', secretCiphertext: Buffer.from('cipher').toString('base64'), workspaces: ['ws_a'] };

  test('a key is read consistently by its item id and decrypted with the key id as encryption context', async () => {
    ddbMock.on(GetCommand).resolves({ Item: keyItem });
    kmsMock.on(DecryptCommand).resolves({ Plaintext: Buffer.from('the-secret-0123456') });
    const key = await storedAccessKeys({ ddb, kms, tableName: 't', kmsKeyArn: ARN }).find('LTAIk');
    expect(key).toEqual({ accessKeyId: 'LTAIk', secret: 'the-secret-0123456', workspaces: ['ws_a'] });
    expect(ddbMock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: 't', Key: { leaseId: 'accesskey#LTAIk' }, ConsistentRead: true });
    expect(kmsMock.commandCalls(DecryptCommand)[0]!.args[0].input).toEqual({
      CiphertextBlob: Buffer.from('cipher'),
      KeyId: ARN,
      EncryptionContext: { accessKeyId: 'LTAIk' },
    });
  });

  test('an item without a string ciphertext or a workspace list is no key, and nothing is decrypted', async () => {
    for (const item of [{ leaseId: 'x', workspaces: ['ws_a'] }, { ...keyItem, secretCiphertext: 7 }, { ...keyItem, workspaces: 'ws_a' }]) {
      ddbMock.on(GetCommand).resolves({ Item: item });
      expect(await storedAccessKeys({ ddb, kms, tableName: 't', kmsKeyArn: ARN }).find('LTAIk')).toBeUndefined();
    }
    expect(kmsMock.commandCalls(DecryptCommand)).toHaveLength(0);
  });

  test('a KMS failure is a kms dependency error, throttled when the SDK marks it retryable, with its cause', async () => {
    ddbMock.on(GetCommand).resolves({ Item: keyItem });
    const retryable = Object.assign(new Error('slow'), { $retryable: { throttling: true } });
    kmsMock.on(DecryptCommand).rejects(retryable);
    const first = await storedAccessKeys({ ddb, kms, tableName: 't', kmsKeyArn: ARN }).find('LTAIk').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(DependencyError);
    expect(first).toMatchObject({ dependency: 'kms', throttled: true, cause: retryable });
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    kmsMock.on(DecryptCommand).rejects(denied);
    const second = await storedAccessKeys({ ddb, kms, tableName: 't', kmsKeyArn: ARN }).find('LTAIk').catch((e: unknown) => e);
    expect(second).toMatchObject({ dependency: 'kms', throttled: false, cause: denied });
  });

  test('a DynamoDB failure is a dynamodb dependency error and is not cached: the next lookup reads again', async () => {
    const failure = Object.assign(new Error('boom'), { name: 'InternalServerError' });
    ddbMock.on(GetCommand).rejectsOnce(failure).resolves({ Item: { leaseId: 'grant#oid-1', subscriptions: ['SUB'] } });
    const grants = storedAzureGrants({ ddb, tableName: 't', now: () => 0 });
    const error = await grants.grantFor('oid-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'dynamodb', cause: failure });
    expect(await grants.grantFor('oid-1')).toEqual({ principal: 'oid-1', subscriptions: ['sub'], registries: [] });
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(2);
  });

  test('a grant is read consistently from grant#<principal>; only string entries are kept, lower-cased; absent lists are empty', async () => {
    expect(grantItemId('oid-1')).toBe('grant#oid-1');
    ddbMock.on(GetCommand).resolves({ Item: { leaseId: 'grant#oid-1', subscriptions: ['SUB-A', 7, null], registries: 'not-a-list' } });
    expect(await storedAzureGrants({ ddb, tableName: 't' }).grantFor('oid-1')).toEqual({ principal: 'oid-1', subscriptions: ['sub-a'], registries: [] });
    expect(ddbMock.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: 't', Key: { leaseId: 'grant#oid-1' }, ConsistentRead: true });
    ddbMock.on(GetCommand).resolves({ Item: { leaseId: 'grant#oid-2', registries: ['Sub/RG/Reg'] } });
    expect(await storedAzureGrants({ ddb, tableName: 't' }).grantFor('oid-2')).toEqual({ principal: 'oid-2', subscriptions: [], registries: ['sub/rg/reg'] });
  });

  test('what was read is kept for exactly CACHE_MS (5 minutes)', async () => {
    expect(CACHE_MS).toBe(300_000);
    ddbMock.on(GetCommand).resolves({ Item: { leaseId: 'grant#p', subscriptions: ['s'] } });
    let now = 1_000;
    const grants = storedAzureGrants({ ddb, tableName: 't', now: () => now });
    await grants.grantFor('p');
    now += CACHE_MS - 1;
    await grants.grantFor('p');
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(1);
    now += 1;
    await grants.grantFor('p');
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(2);
  });

  test('the cache holds CACHE_ENTRIES ids and then forgets the least recently used', async () => {
    expect(CACHE_ENTRIES).toBe(1000);
    ddbMock.on(GetCommand).resolves({ Item: { leaseId: 'grant', subscriptions: [] } });
    const grants = storedAzureGrants({ ddb, tableName: 't', now: () => 0 });
    for (let i = 0; i < CACHE_ENTRIES; i++) await grants.grantFor(`p${i}`);
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(CACHE_ENTRIES);
    await grants.grantFor('p0'); // still held, and now the most recently used
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(CACHE_ENTRIES);
    await grants.grantFor('new'); // one past the bound: p1, the least recently used, goes
    await grants.grantFor('p0');
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(CACHE_ENTRIES + 1);
    await grants.grantFor('p1');
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(CACHE_ENTRIES + 2);
  });
});

describe('followed-file.ts and the local credential files', () => {
  let dir: string;
  let errorLog: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ulb-mutation-alibaba-'));
    errorLog = jest.spyOn(log, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    errorLog.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });
  const jsonError = (text: string) => {
    try {
      JSON.parse(text);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('valid JSON');
  };

  test('the parser gets the file as text, once at start and once per change, not per lookup', () => {
    const path = join(dir, 'f.txt');
    writeFileSync(path, 'v1');
    const parsed: unknown[] = [];
    const current = followedFile(path, (text) => (parsed.push(text), text), 'closed');
    expect([current(), current(), current()]).toEqual(['v1', 'v1', 'v1']);
    expect(parsed).toEqual(['v1']);
    writeFileSync(path, 'v22');
    expect([current(), current()]).toEqual(['v22', 'v22']);
    expect(parsed).toEqual(['v1', 'v22']);
  });

  test('a file that disappears fails closed, logged; once back it is read again', () => {
    const path = join(dir, 'f.txt');
    writeFileSync(path, 'v1');
    const current = followedFile(path, (text) => text, 'closed');
    rmSync(path);
    expect(current()).toBe('closed');
    expect(errorLog).toHaveBeenCalledWith(expect.stringContaining('nothing in it is honoured'), { path }, expect.objectContaining({ code: 'ENOENT' }));
    writeFileSync(path, 'v2');
    expect(current()).toBe('v2');
  });

  test('ACCESS_KEYS_FILE start errors carry the exact message, not wrapped twice', () => {
    const notArray = join(dir, 'array.json');
    writeFileSync(notArray, '{}');
    expect(() => accessKeysFromFile(notArray)).toThrow(new Error(`ACCESS_KEYS_FILE ${notArray} must hold a JSON array`));
    const notJson = join(dir, 'json.json');
    writeFileSync(notJson, '{');
    expect(() => accessKeysFromFile(notJson)).toThrow(new Error(`ACCESS_KEYS_FILE ${notJson} is not readable JSON: ${jsonError('{')}`));
  });

  test('ACCESS_KEYS_FILE: a secret that is not a string is refused even when it has 16 elements', () => {
    const path = join(dir, 'keys.json');
    writeFileSync(path, JSON.stringify([{ AccessKeyId: 'LTAIk', AccessKeySecret: Array(16).fill('s'), Workspaces: ['ws'] }]));
    expect(() => accessKeysFromFile(path)).toThrow(
      new Error(`ACCESS_KEYS_FILE ${path}, entry 0: needs AccessKeyId, AccessKeySecret (16+ characters) and Workspaces (strings)`),
    );
  });

  test('AZURE_GRANTS_FILE: a start error carries the exact message; broken later, the file grants nothing', async () => {
    const path = join(dir, 'grants.json');
    writeFileSync(path, '{}');
    expect(() => azureGrantsFromFile(path)).toThrow(new Error(`AZURE_GRANTS_FILE ${path} must hold a JSON array of {"principal","subscriptions","registries"}`));
    writeFileSync(path, JSON.stringify([{ principal: 'p', subscriptions: ['s'] }]));
    const grants = azureGrantsFromFile(path);
    expect(await grants.grantFor('p')).toEqual({ principal: 'p', subscriptions: ['s'], registries: [] });
    writeFileSync(path, '[{"principal": "p"');
    expect(await grants.grantFor('p')).toBeUndefined();
  });
});

describe('tenancy.ts: leases and tenants', () => {
  test('only an azure-ml lease parses to an Azure tenant, however its scope looks', () => {
    expect(tenantOfLease({ contract: 'leases', scope: 'sub/rg/workspaces/ws/code/1' } as never)).toBeUndefined();
    expect(tenantOfLease({ contract: 'alibaba-model-studio' as const, scope: '/rg/workspaces/ws/code/1' })).toBeUndefined();
  });

  test('a tenant of another kind never matches, even when its name spells the same parts', () => {
    const lease = { contract: 'azure-ml' as const, scope: 'sub/rg/workspaces/ws/code/1' };
    expect(mayTouchLease(OPEN, lease, azureTenant({ subscriptionId: 'sub', resourceGroupName: 'rg', parentKind: 'workspaces', parentName: 'ws' }))).toBe(true);
    expect(mayTouchLease(OPEN, lease, alibabaTenant('sub/rg/workspaces/ws'))).toBe(false);
  });
});
