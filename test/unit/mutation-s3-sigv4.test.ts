import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { KoaContext } from '../../local/emulator-packages.js';
import { refuse } from '../../local/s3-auth/respond.js';
import { S3Refusal, refusalXml } from '../../local/s3-auth/s3-refusal.js';
import { s3PayloadHash, signatureGuard } from '../../local/s3-auth/signature-guard.js';
import {
  amzDateToMs,
  authModeOf,
  canonicalHeaders,
  canonicalPath,
  canonicalQuery,
  headerValue,
  parseQuery,
  uriEncode,
  verifySigV4,
  type ParsedAuth,
  type ReceivedRequest,
  type VerifierSettings,
} from '../../local/s3-auth/sigv4.js';

/**
 * The embedded S3's SigV4 boundary (local/s3-auth: sigv4.ts, signature-guard.ts, s3-refusal.ts,
 * respond.ts), pinned branch by branch: requests are signed by the SDK's signer (@smithy/signature-v4),
 * then one thing at a time is changed, and each test asserts the exact refusal S3 gives (status, code,
 * message, details) or that the request is still accepted. These tests exist so that any weakening
 * of the verifier (a dropped check, a loosened bound, a wrong error) fails a test.
 */

const REGION = 'eu-west-1';
const HOST = '127.0.0.1:4569';
const CREDS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-0123456789' };
const SIGNED_AT = Date.UTC(2026, 10, 30, 12, 0, 0);
const AMZ_DATE = '20261130T120000Z';
const SCOPE = `20261130/${REGION}/s3/aws4_request`;
const UNSIGNED = 'UNSIGNED-PAYLOAD';
const SKEW_MS = 15 * 60 * 1000;
const QUERY_ERROR = 'AuthorizationQueryParametersError';
const HEADER_ERROR = 'AuthorizationHeaderMalformed';
const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

const settings: VerifierSettings = {
  region: REGION,
  service: 's3',
  secretFor: (id) => (id === CREDS.accessKeyId ? CREDS.secretAccessKey : undefined),
  requireSignedAmzHeaders: true,
};
const signer = new SignatureV4({ service: 's3', region: REGION, credentials: CREDS, sha256: Sha256, uriEscapePath: false });
const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** RFC 3986 encoding as SigV4 clients put names and values on the wire. */
const enc = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const serialize = (query: Record<string, string | string[] | null> = {}) =>
  Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v ?? '']).map((one) => `${enc(k)}=${enc(one)}`))
    .join('&');

interface Spec {
  readonly method?: string;
  /** The path as signed (already encoded, as S3 clients sign it). */
  readonly path?: string;
  /** The path as sent, when it differs from the signed spelling. */
  readonly sentPath?: string;
  readonly query?: Record<string, string | string[]>;
  readonly headers?: Record<string, string>;
  readonly expiresIn?: number;
}

const ORIGIN = { protocol: 'http:', hostname: '127.0.0.1', port: 4569 };

/** A presigned request (query form) as the server receives it, with UNSIGNED-PAYLOAD as S3 presigners sign it. */
async function presigned(spec: Spec = {}): Promise<ReceivedRequest> {
  const { method = 'GET', path = '/bucket/key', query = {}, headers = {}, expiresIn = 300 } = spec;
  const request = new HttpRequest({ ...ORIGIN, method, path, query, headers: { host: HOST, 'X-Amz-Content-Sha256': UNSIGNED, ...headers } });
  const signed = await signer.presign(request, { signingDate: new Date(SIGNED_AT), expiresIn });
  return { method, target: `${spec.sentPath ?? path}?${serialize(signed.query)}`, headers: Object.entries(signed.headers) };
}

/** A header-signed request as the server receives it. */
async function headerSigned(spec: Spec = {}, signingDate = SIGNED_AT): Promise<ReceivedRequest> {
  const { method = 'GET', path = '/bucket/key', query, headers = {} } = spec;
  const request = new HttpRequest({ ...ORIGIN, method, path, query, headers: { host: HOST, 'x-amz-content-sha256': UNSIGNED, ...headers } });
  const signed = await signer.sign(request, { signingDate: new Date(signingDate) });
  const q = query ? serialize(query) : '';
  return { method, target: (spec.sentPath ?? path) + (q ? `?${q}` : ''), headers: Object.entries(signed.headers) };
}

const verify = (request: ReceivedRequest, nowMs = SIGNED_AT) => verifySigV4(request, settings, { nowMs, payloadHash: (auth) => s3PayloadHash(request, auth) });

function refusalOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof S3Refusal) return { status: error.status, code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Replaces (or, with undefined, removes) one query parameter of the raw target, leaving the others as they were sent. */
function setParam(request: ReceivedRequest, name: string, value: string | undefined): ReceivedRequest {
  const [path, query = ''] = request.target.split('?');
  const parts = query.split('&').flatMap((part) => (part.split('=')[0] === name ? (value === undefined ? [] : [`${name}=${enc(value)}`]) : [part]));
  return { ...request, target: `${path}?${parts.join('&')}` };
}
const paramOf = (request: ReceivedRequest, name: string) => parseQuery(request.target.split('?')[1] ?? '').find((p) => p.name === name)?.value;

/** Replaces (or removes) every field of one header, matched case-insensitively. */
function setHeader(request: ReceivedRequest, name: string, value: string | undefined): ReceivedRequest {
  const headers = request.headers.flatMap(([n, v]) => (n.toLowerCase() === name ? (value === undefined ? [] : [[n, value] as const]) : [[n, v] as const]));
  return { ...request, headers };
}
const authorizationOf = (request: ReceivedRequest) => headerValue(request.headers, 'authorization')!;
const withAuthorization = (request: ReceivedRequest, edit: (value: string) => string) => setHeader(request, 'authorization', edit(authorizationOf(request)));

describe('sigv4.ts: the canonical-request building blocks', () => {
  test("uriEncode escapes !'()* as upper-case %XX and leaves the unreserved set alone", () => {
    expect(uriEncode("it's (a)*!~_-.z")).toBe('it%27s%20%28a%29%2A%21~_-.z');
    expect(uriEncode('a/b+c=d')).toBe('a%2Fb%2Bc%3Dd');
  });

  test('parseQuery decodes names and values, drops empty parts, and takes invalid percent-encoding literally', () => {
    expect(parseQuery('')).toEqual([]);
    expect(parseQuery('a=1&&b=x%20y&')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: 'x y' },
    ]);
    expect(parseQuery('flag&=v&k=')).toEqual([
      { name: 'flag', value: '' },
      { name: '', value: 'v' },
      { name: 'k', value: '' },
    ]);
    expect(parseQuery('a=%E0%A4%A&100%=x')).toEqual([
      { name: 'a', value: '%E0%A4%A' },
      { name: '100%', value: 'x' },
    ]);
  });

  test('canonicalPath: an empty path is "/", each segment is decoded then encoded once, malformed escapes are taken literally', () => {
    expect(canonicalPath('')).toBe('/');
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath("/b/a b*(1)!'")).toBe('/b/a%20b%2A%281%29%21%27');
    expect(canonicalPath('/b/a%2Ab/./x')).toBe('/b/a%2Ab/./x');
    expect(canonicalPath('/b/100%')).toBe('/b/100%25');
  });

  test('canonicalQuery sorts by encoded name, then by value, in code-unit order', () => {
    const q = (pairs: Array<[string, string]>) => canonicalQuery(pairs.map(([name, value]) => ({ name, value })));
    expect(q([['b', '1'], ['a', '2'], ['c', '0']])).toBe('a=2&b=1&c=0');
    expect(q([['a', '2'], ['a', '1'], ['a', '10']])).toBe('a=1&a=10&a=2');
    expect(q([['a', '1'], ['a', '2']])).toBe('a=1&a=2');
    expect(q([['x', '2'], ['b', ''], ['x', '1'], ['a', 'z'], ['X-Amz-Date', 'd']])).toBe('X-Amz-Date=d&a=z&b=&x=1&x=2');
    expect(q([['a-b', '1'], ['a b', '2']])).toBe('a%20b=2&a-b=1');
  });

  test('canonicalHeaders joins repeated fields with commas, collapses whitespace, and signs a missing header as empty', () => {
    const headers: Array<[string, string]> = [
      ['Host', HOST],
      ['X-A', ' 1 \n  2 '],
      ['x-a', '3'],
    ];
    expect(canonicalHeaders(headers, ['host', 'x-a', 'x-missing'])).toBe(`host:${HOST}\nx-a:1 2,3\nx-missing:\n`);
  });

  test('headerValue matches names case-insensitively and joins repeated fields with a comma', () => {
    const headers: Array<[string, string]> = [
      ['X-A', '1'],
      ['other', 'o'],
      ['x-a', '2'],
    ];
    expect(headerValue(headers, 'x-a')).toBe('1,2');
    expect(headerValue(headers, 'other')).toBe('o');
    expect(headerValue(headers, 'absent')).toBeUndefined();
  });

  test('amzDateToMs reads exactly YYYYMMDDTHHMMSSZ, seconds included, and nothing around it', () => {
    expect(amzDateToMs('20261130T120005Z')).toBe(SIGNED_AT + 5000);
    expect(amzDateToMs('x20261130T120005Z')).toBeNaN();
    expect(amzDateToMs('20261130T120005Zx')).toBeNaN();
    expect(amzDateToMs('2026-11-30T12:00:05Z')).toBeNaN();
  });

  test('authModeOf: X-Amz-Algorithm or X-Amz-Signature in the query is the query form, Authorization the header form', () => {
    const host: [string, string] = ['Host', HOST];
    expect(authModeOf({ method: 'GET', target: '/b/k?X-Amz-Signature=abc', headers: [host] })).toBe('query');
    expect(authModeOf({ method: 'GET', target: '?X-Amz-Algorithm=AWS4-HMAC-SHA256', headers: [host] })).toBe('query');
    expect(authModeOf({ method: 'GET', target: '/b/k?x=1', headers: [host, ['Authorization', 'AWS4-HMAC-SHA256 x']] })).toBe('header');
    expect(authModeOf({ method: 'GET', target: '/b/k?x=1', headers: [host] })).toBeUndefined();
  });

  test('authModeOf: two mechanisms at once are 400 InvalidArgument, whichever query parameter carries the second', () => {
    const both = {
      status: 400,
      code: 'InvalidArgument',
      message:
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified.',
      details: {},
    };
    const authorization: [string, string] = ['Authorization', 'AWS4-HMAC-SHA256 x'];
    for (const query of ['X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Signature=abc', 'Signature=abc']) {
      expect(refusalOf(() => authModeOf({ method: 'GET', target: `/b/k?${query}`, headers: [authorization] }))).toEqual(both);
    }
  });

  test('authModeOf: SigV2 (a Signature or AWSAccessKeyId parameter) is 400 InvalidRequest', () => {
    const v2 = { status: 400, code: 'InvalidRequest', message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.', details: {} };
    expect(refusalOf(() => authModeOf({ method: 'GET', target: '/b/k?Signature=abc', headers: [] }))).toEqual(v2);
    expect(refusalOf(() => authModeOf({ method: 'GET', target: '/b/k?AWSAccessKeyId=AKIDLOCAL&Expires=1', headers: [] }))).toEqual(v2);
  });
});

describe('sigv4.ts verifySigV4: presigned (query-form) requests', () => {
  test('accepts a fresh presigned GET and reports what it verified', async () => {
    const request = await presigned();
    const verified = verify(request);
    expect(verified.auth).toEqual({
      mode: 'query',
      accessKeyId: CREDS.accessKeyId,
      scopeDate: '20261130',
      scopeRegion: REGION,
      scopeService: 's3',
      signedHeaders: ['host'],
      signature: paramOf(request, 'X-Amz-Signature'),
      amzDate: AMZ_DATE,
      expiresSeconds: 300,
    });
    expect(verified.canonicalRequest.split('\n').slice(-3)).toEqual(['', 'host', UNSIGNED]);
    expect(verified.stringToSign).toBe(`AWS4-HMAC-SHA256\n${AMZ_DATE}\n${SCOPE}\n${sha256Hex(verified.canonicalRequest)}`);
  });

  test('no credentials at all is 403 AccessDenied "Access Denied"', () => {
    expect(refusalOf(() => verify({ method: 'GET', target: '/bucket/key', headers: [['Host', HOST]] }))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Access Denied',
      details: {},
    });
  });

  test('a key sent with characters S3 clients escape (*, (, ), !, \') is signed as its escaped form', async () => {
    const request = await presigned({ path: '/bucket/a%2A%28b%29%21%27', sentPath: "/bucket/a*(b)!'" });
    expect(verify(request).canonicalRequest.split('\n')[1]).toBe('/bucket/a%2A%28b%29%21%27');
    const query = await presigned({ query: { 'sel*': "(x)!'" } });
    expect(() => verify(query)).not.toThrow();
  });

  test('a target with no path (only a query) is signed as the path "/"', async () => {
    const request = await presigned({ path: '/' });
    const bare = { ...request, target: request.target.slice(1) };
    expect(bare.target.startsWith('?X-Amz-')).toBe(true);
    expect(verify(bare).canonicalRequest.split('\n')[1]).toBe('/');
  });

  test('a repeated parameter is signed with all its values; dropping one breaks the signature', async () => {
    const request = await presigned({ query: { tag: ['b', 'a'], one: '1' } });
    expect(verify(request).canonicalRequest.split('\n')[2]).toMatch(/^X-Amz-Algorithm=.*&one=1&tag=a&tag=b$/);
    const dropped = { ...request, target: request.target.replace('tag=b&', '') };
    expect(refusalOf(() => verify(dropped)).code).toBe('SignatureDoesNotMatch');
  });

  test('empty query parts (&&) are ignored, as S3 ignores them', async () => {
    const request = await presigned({ query: { a: '1' } });
    expect(() => verify({ ...request, target: request.target.replace('?', '?&&') })).not.toThrow();
  });

  test.each(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'])(
    'a presigned URL without %s is 400 with the list of required parameters',
    async (name) => {
      const request = setParam(await presigned(), name, undefined);
      expect(refusalOf(() => verify(request))).toEqual({
        status: 400,
        code: QUERY_ERROR,
        message:
          'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires parameters.',
        details: {},
      });
    },
  );

  test('a second X-Amz-Signature is 403 SignatureDoesNotMatch even when the first one is valid', async () => {
    const request = await presigned();
    expect(() => verify(request)).not.toThrow();
    expect(refusalOf(() => verify({ ...request, target: `${request.target}&X-Amz-Signature=${'0'.repeat(64)}` }))).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: MISMATCH,
      details: {},
    });
  });

  test('another algorithm is 400', async () => {
    const request = setParam(await presigned(), 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1');
    expect(refusalOf(() => verify(request))).toEqual({ status: 400, code: QUERY_ERROR, message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".', details: {} });
  });

  test.each(['2026-11-30T12:00:00Z', '20261130T120000', 'x20261130T120000Z', ''])('X-Amz-Date "%s" is 400', async (date) => {
    const request = setParam(await presigned(), 'X-Amz-Date', date);
    expect(refusalOf(() => verify(request))).toEqual({
      status: 400,
      code: QUERY_ERROR,
      message: `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'".`,
      details: {},
    });
  });

  test.each(['x10', '10x', '-1', '1e3', '', '1234567890'])('X-Amz-Expires "%s" is 400: not a number of seconds', async (expires) => {
    const request = setParam(await presigned(), 'X-Amz-Expires', expires);
    expect(refusalOf(() => verify(request))).toEqual({ status: 400, code: QUERY_ERROR, message: 'X-Amz-Expires should be a number of seconds.', details: {} });
  });

  test('X-Amz-Expires of a week is accepted; one second more is 400', async () => {
    const week = await presigned({ expiresIn: 604_800 });
    expect(verify(week, SIGNED_AT + 604_800_000).auth.expiresSeconds).toBe(604_800);
    expect(refusalOf(() => verify(setParam(week, 'X-Amz-Expires', '604801')))).toEqual({
      status: 400,
      code: QUERY_ERROR,
      message: 'X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds.',
      details: {},
    });
  });

  test.each([
    ['four parts', `${CREDS.accessKeyId}/20261130/${REGION}/s3`],
    ['six parts ending in aws4_request', `${CREDS.accessKeyId}/20261130/${REGION}/s3/x/aws4_request`],
    ['an empty part', `${CREDS.accessKeyId}//${REGION}/s3/aws4_request`],
    ['an empty key', `/20261130/${REGION}/s3/aws4_request`],
    ['another terminator', `${CREDS.accessKeyId}/20261130/${REGION}/s3/aws5_request`],
  ])('a Credential with %s is 400 AuthorizationQueryParametersError naming it', async (_what, credential) => {
    const request = setParam(await presigned(), 'X-Amz-Credential', credential);
    expect(refusalOf(() => verify(request))).toEqual({
      status: 400,
      code: QUERY_ERROR,
      message: `Error parsing the Credential parameter "${credential}"; expected "<key>/<YYYYMMDD>/<region>/<service>/aws4_request".`,
      details: {},
    });
  });

  test.each(['host;', 'Host', 'host;;x-amz-date', ''])('SignedHeaders "%s" is 400 AuthorizationQueryParametersError', async (list) => {
    const request = setParam(await presigned(), 'X-Amz-SignedHeaders', list);
    expect(refusalOf(() => verify(request))).toEqual({
      status: 400,
      code: QUERY_ERROR,
      message: `SignedHeaders "${list}" is not a ;-separated list of lower-case header names.`,
      details: {},
    });
  });

  test('an unknown access key is 403 InvalidAccessKeyId naming the key', async () => {
    const request = setParam(await presigned(), 'X-Amz-Credential', `AKIDOTHER/${SCOPE}`);
    expect(refusalOf(() => verify(request))).toEqual({
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      details: { AWSAccessKeyId: 'AKIDOTHER' },
    });
  });

  test('a scope for another region, another service or another day is 400, each with its own message', async () => {
    const request = await presigned();
    const withCredential = (credential: string) => refusalOf(() => verify(setParam(request, 'X-Amz-Credential', credential)));
    expect(withCredential(`${CREDS.accessKeyId}/20261130/us-east-1/s3/aws4_request`)).toEqual({
      status: 400,
      code: QUERY_ERROR,
      message: "Error parsing the Credential parameter; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
      details: { Region: REGION },
    });
    expect(withCredential(`${CREDS.accessKeyId}/20261130/${REGION}/ec2/aws4_request`)).toEqual({
      status: 400,
      code: QUERY_ERROR,
      message: 'Error parsing the Credential parameter; incorrect service "ec2". This endpoint belongs to "s3".',
      details: {},
    });
    expect(withCredential(`${CREDS.accessKeyId}/20261129/${REGION}/s3/aws4_request`)).toEqual({
      status: 400,
      code: QUERY_ERROR,
      message: 'Invalid credential date. Date is not the same as X-Amz-Date.',
      details: {},
    });
  });

  test('a URL dated exactly 15 minutes ahead of the server is accepted; a second more is not valid yet', async () => {
    const request = await presigned();
    expect(() => verify(request, SIGNED_AT - SKEW_MS)).not.toThrow();
    expect(refusalOf(() => verify(request, SIGNED_AT - SKEW_MS - 1000))).toEqual({ status: 403, code: 'AccessDenied', message: 'Request is not valid yet', details: {} });
  });

  test('a signature that does not cover host is 400 before the signature is checked', async () => {
    const request = setParam(await presigned(), 'X-Amz-SignedHeaders', 'x-amz-date');
    expect(refusalOf(() => verify(request))).toEqual({ status: 400, code: QUERY_ERROR, message: 'The host header must be signed.', details: {} });
  });

  test('x-amz-* headers the signature does not cover are 403, each listed once', async () => {
    const request = await presigned();
    const extra = { ...request, headers: [...request.headers, ['X-Amz-Acl', 'public-read'], ['x-amz-meta-a', '1'], ['x-amz-acl', 'private']] as const };
    expect(refusalOf(() => verify(extra))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'There were headers present in the request which were not signed',
      details: { HeadersNotSigned: 'x-amz-acl, x-amz-meta-a' },
    });
    // Other services do not have this rule: the request then fails only on its signature, which is valid.
    expect(() => verifySigV4(extra, { ...settings, requireSignedAmzHeaders: false }, { nowMs: SIGNED_AT, payloadHash: () => UNSIGNED })).not.toThrow();
  });

  test('a signature mismatch is 403 with the key, the string to sign, the signature and the canonical request', async () => {
    const request = await presigned();
    const good = verify(request);
    const forged = setParam(request, 'X-Amz-Signature', 'f'.repeat(64));
    expect(refusalOf(() => verify(forged))).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: MISMATCH,
      details: { AWSAccessKeyId: CREDS.accessKeyId, StringToSign: good.stringToSign, SignatureProvided: 'f'.repeat(64), CanonicalRequest: good.canonicalRequest },
    });
  });

  test('the valid signature upper-cased, or with anything before or after it, is a mismatch (not a crash)', async () => {
    const request = await presigned();
    const signature = paramOf(request, 'X-Amz-Signature')!;
    for (const spelling of [signature.toUpperCase(), `zz${signature}`, `${signature}00`, signature.slice(2)]) {
      const refusal = refusalOf(() => verify(setParam(request, 'X-Amz-Signature', spelling)));
      expect([refusal.status, refusal.code, refusal.details.SignatureProvided]).toEqual([403, 'SignatureDoesNotMatch', spelling]);
    }
  });
});

describe('sigv4.ts verifySigV4: header-signed requests', () => {
  test('accepts a header-signed PUT with a query and a payload hash, and reports what it verified', async () => {
    const body = 'hello';
    const headers = { 'x-amz-content-sha256': sha256Hex(body), 'content-length': '5' };
    const request = await headerSigned({ method: 'PUT', query: { partNumber: '1', uploadId: 'u 1' }, headers });
    const verified = verify(request);
    expect(verified.auth).toMatchObject({ mode: 'header', accessKeyId: CREDS.accessKeyId, amzDate: AMZ_DATE });
    expect(verified.auth.signedHeaders).toEqual(['content-length', 'host', 'x-amz-content-sha256', 'x-amz-date']);
    expect(verified.auth.expiresSeconds).toBeUndefined();
    expect(verified.canonicalRequest.split('\n')[2]).toBe('partNumber=1&uploadId=u%201');
    expect(verified.canonicalRequest.endsWith(`\n${sha256Hex(body)}`)).toBe(true);
  });

  test('spaces around the commas of the Authorization header are ignored', async () => {
    const request = withAuthorization(await headerSigned(), (v) => v.replace(/, /g, ' ,  '));
    expect(authorizationOf(request)).toMatch(/aws4_request , {2}SignedHeaders=host;x-amz-content-sha256;x-amz-date , {2}Signature=/);
    expect(verify(request).auth.signedHeaders).toEqual(['host', 'x-amz-content-sha256', 'x-amz-date']);
  });

  test('a part of the Authorization header without "=" is ignored, even one that starts like a field name', async () => {
    const request = withAuthorization(await headerSigned(), (v) => `${v}, Signature0`);
    expect(() => verify(request)).not.toThrow();
  });

  test('an Authorization header of the algorithm alone is malformed (400), not an unsupported mechanism', () => {
    const request: ReceivedRequest = { method: 'GET', target: '/bucket/key', headers: [['Host', HOST], ['x-amz-date', AMZ_DATE], ['Authorization', 'AWS4-HMAC-SHA256']] };
    expect(refusalOf(() => verify(request))).toEqual({
      status: 400,
      code: HEADER_ERROR,
      message: 'The authorization header is malformed; it must carry Credential, SignedHeaders and Signature.',
      details: {},
    });
  });

  test('another mechanism in the Authorization header (SigV2, SHA-1) is 400 InvalidRequest', async () => {
    const message = 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';
    const unsupported = { status: 400, code: 'InvalidRequest', message, details: {} };
    const request = await headerSigned();
    expect(refusalOf(() => verify(withAuthorization(request, (v) => v.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1'))))).toEqual(unsupported);
    expect(refusalOf(() => verify(setHeader(request, 'authorization', `AWS ${CREDS.accessKeyId}:c2lnbmF0dXJl`)))).toEqual(unsupported);
  });

  test.each(['Credential', 'SignedHeaders', 'Signature'])('an Authorization header without %s is 400 AuthorizationHeaderMalformed', async (field) => {
    const request = withAuthorization(await headerSigned(), (v) => v.replace(new RegExp(`${field}=[^,]*`), `${field}=`));
    expect(refusalOf(() => verify(request))).toEqual({
      status: 400,
      code: HEADER_ERROR,
      message: 'The authorization header is malformed; it must carry Credential, SignedHeaders and Signature.',
      details: {},
    });
  });

  test('a request dated only by its Date header is verified with that date', async () => {
    const date = 'Mon, 30 Nov 2026 12:00:00 GMT';
    const canonicalRequest = [
      'GET',
      '/bucket/key',
      '',
      `date:${date}\nhost:${HOST}\nx-amz-content-sha256:${UNSIGNED}\n`,
      'date;host;x-amz-content-sha256',
      UNSIGNED,
    ].join('\n');
    const stringToSign = `AWS4-HMAC-SHA256\n${AMZ_DATE}\n${SCOPE}\n${sha256Hex(canonicalRequest)}`;
    const signature = await signer.sign(stringToSign, { signingDate: new Date(SIGNED_AT) });
    const request: ReceivedRequest = {
      method: 'GET',
      target: '/bucket/key',
      headers: [
        ['Host', HOST],
        ['Date', date],
        ['x-amz-content-sha256', UNSIGNED],
        ['Authorization', `AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/${SCOPE}, SignedHeaders=date;host;x-amz-content-sha256, Signature=${signature}`],
      ],
    };
    const verified = verify(request);
    expect([verified.auth.amzDate, verified.canonicalRequest, verified.stringToSign]).toEqual([AMZ_DATE, canonicalRequest, stringToSign]);
  });

  test('no date, an x-amz-date that is not one, or an unparseable Date is 403 AccessDenied', async () => {
    const noDate = { status: 403, code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header.', details: {} };
    const request = await headerSigned();
    const dateless = setHeader(request, 'x-amz-date', undefined);
    expect(refusalOf(() => verify(dateless))).toEqual(noDate);
    expect(refusalOf(() => verify(setHeader(request, 'x-amz-date', 'garbage')))).toEqual(noDate);
    expect(refusalOf(() => verify({ ...dateless, headers: [...dateless.headers, ['Date', 'not a date']] }))).toEqual(noDate);
  });

  test('a malformed Credential or SignedHeaders in the header form is 400 AuthorizationHeaderMalformed', async () => {
    const request = await headerSigned();
    const credential = `${CREDS.accessKeyId}/20261130/${REGION}/s3`;
    expect(refusalOf(() => verify(withAuthorization(request, (v) => v.replace(/Credential=[^,]*/, `Credential=${credential}`))))).toEqual({
      status: 400,
      code: HEADER_ERROR,
      message: `Error parsing the Credential parameter "${credential}"; expected "<key>/<YYYYMMDD>/<region>/<service>/aws4_request".`,
      details: {},
    });
    expect(refusalOf(() => verify(withAuthorization(request, (v) => v.replace('SignedHeaders=host;', 'SignedHeaders=Host;'))))).toEqual({
      status: 400,
      code: HEADER_ERROR,
      message: 'SignedHeaders "Host;x-amz-content-sha256;x-amz-date" is not a ;-separated list of lower-case header names.',
      details: {},
    });
  });

  test('a wrong region, service or day in the header form is 400 AuthorizationHeaderMalformed', async () => {
    const request = await headerSigned();
    const scoped = (scope: string) => refusalOf(() => verify(withAuthorization(request, (v) => v.replace(SCOPE, scope))));
    expect(scoped(`20261130/us-east-1/s3/aws4_request`)).toMatchObject({ status: 400, code: HEADER_ERROR, details: { Region: REGION } });
    expect(scoped(`20261130/${REGION}/sqs/aws4_request`)).toMatchObject({ status: 400, code: HEADER_ERROR, message: expect.stringContaining('incorrect service "sqs"') });
    expect(scoped(`20261201/${REGION}/s3/aws4_request`)).toMatchObject({
      status: 400,
      code: HEADER_ERROR,
      message: 'Invalid credential date. Date is not the same as X-Amz-Date.',
    });
  });

  test('a request exactly 15 minutes off the server clock, either way, is accepted; a second more is RequestTimeTooSkewed', async () => {
    const request = await headerSigned();
    expect(() => verify(request, SIGNED_AT + SKEW_MS)).not.toThrow();
    expect(() => verify(request, SIGNED_AT - SKEW_MS)).not.toThrow();
    const nowMs = SIGNED_AT + SKEW_MS + 1000;
    expect(refusalOf(() => verify(request, nowMs))).toEqual({
      status: 403,
      code: 'RequestTimeTooSkewed',
      message: "The difference between the request time and the server's time is too large.",
      details: { RequestTime: AMZ_DATE, ServerTime: new Date(nowMs).toISOString(), MaxAllowedSkewMilliseconds: '900000' },
    });
    expect(refusalOf(() => verify(request, SIGNED_AT - SKEW_MS - 1000)).code).toBe('RequestTimeTooSkewed');
  });

  test('a header signature that does not cover host is 400 AuthorizationHeaderMalformed', async () => {
    const request = withAuthorization(await headerSigned(), (v) => v.replace('SignedHeaders=host;', 'SignedHeaders='));
    expect(refusalOf(() => verify(request))).toEqual({ status: 400, code: HEADER_ERROR, message: 'The host header must be signed.', details: {} });
  });
});

/** A Koa context as s3rver's middleware sees it, built in memory (the approach of s3-guards.test.ts). */
function koaContext(request: ReceivedRequest): KoaContext {
  const req = Object.assign(Readable.from([]), { method: request.method, url: request.target, headers: {}, rawHeaders: request.headers.flat() });
  return { method: request.method, req, request: {}, response: {} } as unknown as KoaContext;
}

describe('signature-guard.ts', () => {
  test('s3PayloadHash, query form: X-Amz-Content-Sha256 wherever it is in the query, else UNSIGNED-PAYLOAD', () => {
    const query = { mode: 'query' } as ParsedAuth;
    const hash = 'a'.repeat(64);
    expect(s3PayloadHash({ method: 'PUT', target: `/b/k?X-Amz-Content-Sha256=${hash}&X-Amz-Algorithm=AWS4-HMAC-SHA256`, headers: [] }, query)).toBe(hash);
    expect(s3PayloadHash({ method: 'PUT', target: `/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=${hash}`, headers: [] }, query)).toBe(hash);
    expect(s3PayloadHash({ method: 'PUT', target: '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256', headers: [['x-amz-content-sha256', hash]] }, query)).toBe(UNSIGNED);
  });

  test('s3PayloadHash, header form: x-amz-content-sha256 is required and must be UNSIGNED-PAYLOAD, STREAMING-* or 64 lower-case hex', () => {
    const header = { mode: 'header' } as ParsedAuth;
    const hashOf = (value?: string) => () => s3PayloadHash({ method: 'PUT', target: '/b/k', headers: value === undefined ? [] : [['X-Amz-Content-Sha256', value]] }, header);
    const hex = sha256Hex('x');
    for (const ok of [hex, UNSIGNED, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD']) expect(hashOf(ok)()).toBe(ok);
    expect(refusalOf(hashOf())).toEqual({ status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256', details: {} });
    for (const bad of [`x${hex}`, `${hex}x`, hex.toUpperCase(), hex.slice(1)]) {
      expect(refusalOf(hashOf(bad))).toEqual({
        status: 400,
        code: 'InvalidArgument',
        message: 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.',
        details: {},
      });
    }
  });

  const guard = signatureGuard({ region: REGION, credentials: [CREDS], now: () => SIGNED_AT });
  const run = async (ctx: KoaContext) => {
    let reached = false;
    await guard(ctx, async () => {
      reached = true;
    });
    return reached;
  };

  test('a header-signed PUT reaches s3rver: the method signed is the method received', async () => {
    const request = await headerSigned({ method: 'PUT', headers: { 'x-amz-content-sha256': sha256Hex('hello'), 'content-length': '5' } });
    const ctx = koaContext(request);
    expect(await run(ctx)).toBe(true);
    expect(ctx.status).toBeUndefined();
    expect(await run(koaContext({ ...request, method: 'POST' }))).toBe(false);
  });

  test('an x-amz-* header outside the signature is refused with S3 XML (S3 rules apply)', async () => {
    const request = await presigned({ method: 'PUT' });
    expect(await run(koaContext(request))).toBe(true);
    const ctx = koaContext({ ...request, headers: [...request.headers, ['x-amz-acl', 'public-read']] });
    expect(await run(ctx)).toBe(false);
    expect([ctx.status, ctx.type]).toEqual([403, 'application/xml']);
    expect(String(ctx.body).replace(/<RequestId>[0-9A-F]{16}<\/RequestId>/, '<RequestId>ID</RequestId>')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>There were headers present in the request which were not signed</Message>' +
        '<HeadersNotSigned>x-amz-acl</HeadersNotSigned><RequestId>ID</RequestId></Error>',
    );
  });

  test('an error that is not an S3 refusal (the clock failing) surfaces instead of becoming an S3 answer', async () => {
    const broken = signatureGuard({ region: REGION, credentials: [CREDS], now: () => { throw new Error('clock unavailable'); } });
    const ctx = koaContext(await presigned());
    await expect(broken(ctx, async () => undefined)).rejects.toThrow('clock unavailable');
    expect([ctx.status, ctx.body]).toEqual([undefined, undefined]);
  });
});

describe('s3-refusal.ts and respond.ts', () => {
  test('an S3Refusal is an Error named S3Refusal with no details by default', () => {
    const refusal = new S3Refusal(403, 'AccessDenied', 'Access Denied');
    expect(refusal).toBeInstanceOf(Error);
    expect([refusal.name, refusal.status, refusal.code, refusal.message, refusal.details]).toEqual(['S3Refusal', 403, 'AccessDenied', 'Access Denied', {}]);
  });

  test('refusalXml escapes all five XML special characters in every field', () => {
    const xml = refusalXml(new S3Refusal(400, 'InvalidArgument', `<a> & 'b' "c"`, { Detail: '&<>\'"' }), 'REQ');
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>&lt;a&gt; &amp; &apos;b&apos; &quot;c&quot;</Message>' +
        '<Detail>&amp;&lt;&gt;&apos;&quot;</Detail><RequestId>REQ</RequestId></Error>',
    );
  });

  test('the default RequestId is 16 upper-case hex digits, fresh each time', () => {
    const ids = Array.from({ length: 32 }, () => /<RequestId>(.*)<\/RequestId>/.exec(refusalXml(new S3Refusal(403, 'AccessDenied', 'x')))![1]!);
    for (const id of ids) expect(id).toMatch(/^[0-9A-F]{16}$/);
    expect(ids.some((id) => /[A-F]/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('refuse answers with the status and S3 XML as application/xml', () => {
    const ctx = {} as KoaContext;
    refuse(ctx, new S3Refusal(409, 'Conflict', 'busy'));
    expect([ctx.status, ctx.type]).toEqual([409, 'application/xml']);
    expect(String(ctx.body)).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>Conflict<\/Code><Message>busy<\/Message><RequestId>[0-9A-F]{16}<\/RequestId>/);
  });
});
