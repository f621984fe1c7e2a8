import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3PayloadHash } from '../../local/s3-auth/signature-guard.js';
import { S3Refusal, refusalXml } from '../../local/s3-auth/s3-refusal.js';
import { verifySigV4, type ReceivedRequest, type VerifierSettings } from '../../local/s3-auth/sigv4.js';
import { createPresigner } from '../../shared/adapters/presign.js';

/**
 * The embedded S3's SigV4 verifier (local/s3-auth/sigv4.ts) against fixed vectors: the AWS signing
 * test suite (both forms of every case that applies to S3's rules), S3's own documented examples,
 * and URLs from the SDK's presigner and ours.
 */

interface SuiteCase {
  name: string;
  headerSigned: string;
  headerSignature: string;
  querySigned: string;
  querySignature: string;
  expiresSeconds: number;
}
const suite = JSON.parse(readFileSync(new URL('../fixtures/aws-sigv4-test-suite/v4-cases.json', import.meta.url), 'utf8')) as {
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  service: string;
  timestamp: string;
  cases: SuiteCase[];
};

/** An HTTP/1.1 request as the suite writes it; a line starting with whitespace continues the header above. */
function parseRequestText(text: string): ReceivedRequest & { body: string } {
  const blank = text.indexOf('\n\n');
  const head = blank < 0 ? text : text.slice(0, blank);
  const body = blank < 0 ? '' : text.slice(blank + 2);
  const [requestLine, ...lines] = head.split('\n');
  const words = requestLine!.split(' ');
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if (/^\s/.test(line) && headers.length) headers[headers.length - 1]![1] += `\n${line}`;
    else if (line !== '') headers.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]);
  }
  return { method: words[0]!, target: words.slice(1, -1).join(' '), headers, body };
}

const suiteSettings: VerifierSettings = {
  region: suite.region,
  service: suite.service,
  secretFor: (id) => (id === suite.credentials.accessKeyId ? suite.credentials.secretAccessKey : undefined),
  // The suite signs for a generic service; S3's rule that x-amz-* headers be signed is tested below.
  requireSignedAmzHeaders: false,
};
const suiteNow = Date.parse(suite.timestamp);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function verifySuite(request: ReceivedRequest & { body: string }, nowMs = suiteNow) {
  // Services other than S3 end the canonical request with the body's hash, in both forms.
  return verifySigV4(request, suiteSettings, { nowMs, payloadHash: () => sha256(request.body) });
}

function refusalOf(run: () => unknown): S3Refusal {
  try {
    run();
  } catch (error) {
    if (error instanceof S3Refusal) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const withHeader = (r: ReceivedRequest & { body: string }, name: string, value: string) => ({
  ...r,
  headers: r.headers.map(([n, v]) => [n, n.toLowerCase() === name ? value : v] as [string, string]),
});

describe('AWS signing test suite (aws-c-auth v4), header and query forms', () => {
  it('uses every case whose path S3 signs as given (the six path-normalising cases do not apply to S3)', () => {
    expect(suite.cases).toHaveLength(32);
    expect(suite.cases.map((c) => c.name)).not.toContain('get-slash-dot-slash-normalized');
  });

  for (const c of suite.cases) {
    describe(c.name, () => {
      const header = parseRequestText(c.headerSigned);
      const query = parseRequestText(c.querySigned);

      it('accepts the header-signed request and rebuilds its signature', () => {
        const verified = verifySuite(header);
        expect(verified.auth.signature).toBe(c.headerSignature);
        expect(verified.auth.mode).toBe('header');
      });

      // In this case the token joins the query after signing; S3 signs every query parameter.
      const tokenAddedAfterSigning = c.name === 'post-sts-header-after';

      it(tokenAddedAfterSigning ? 'refuses the presigned request: the token is not in the signature' : 'accepts the presigned (query) request', () => {
        if (tokenAddedAfterSigning) {
          expect(refusalOf(() => verifySuite(query)).code).toBe('SignatureDoesNotMatch');
          return;
        }
        const verified = verifySuite(query);
        expect(verified.auth.signature).toBe(c.querySignature);
        expect(verified.auth.expiresSeconds).toBe(c.expiresSeconds);
      });

      it('refuses either form once the signature, the query or the Host changes', () => {
        const flipped = header.headers.map(([n, v]) =>
          [n, n.toLowerCase() === 'authorization' ? v.replace(/.$/, (d) => (d === '0' ? '1' : '0')) : v] as [string, string],
        );
        expect(refusalOf(() => verifySuite({ ...header, headers: flipped })).code).toBe('SignatureDoesNotMatch');
        const sep = query.target.includes('?') ? '&' : '?';
        expect(refusalOf(() => verifySuite({ ...query, target: `${query.target}${sep}extra=1` })).code).toBe('SignatureDoesNotMatch');
        expect(refusalOf(() => verifySuite(withHeader(header, 'host', 'other.amazonaws.com'))).code).toBe('SignatureDoesNotMatch');
        expect(refusalOf(() => verifySuite(withHeader(query, 'host', 'other.amazonaws.com'))).code).toBe('SignatureDoesNotMatch');
      });
    });
  }

  it('refuses the presigned request one second after X-Amz-Date + X-Amz-Expires, not at it', () => {
    const query = parseRequestText(suite.cases.find((c) => c.name === 'get-vanilla')!.querySigned);
    expect(() => verifySuite(query, suiteNow + 3600_000)).not.toThrow();
    const late = refusalOf(() => verifySuite(query, suiteNow + 3601_000));
    expect([late.status, late.code, late.message]).toEqual([403, 'AccessDenied', 'Request has expired']);
  });

  it('with S3 rules, refuses an x-amz-* header the signature does not cover (post-sts-header-after)', () => {
    const request = parseRequestText(suite.cases.find((c) => c.name === 'post-sts-header-after')!.headerSigned);
    const refusal = refusalOf(() =>
      verifySigV4(request, { ...suiteSettings, requireSignedAmzHeaders: true }, { nowMs: suiteNow, payloadHash: () => sha256('') }),
    );
    expect([refusal.status, refusal.code, refusal.details.HeadersNotSigned]).toEqual([403, 'AccessDenied', 'x-amz-security-token']);
  });
});

/** S3's own documented examples (Authenticating Requests: AWS Signature Version 4). */
describe("S3's documented SigV4 examples", () => {
  const s3Settings: VerifierSettings = {
    region: 'us-east-1',
    service: 's3',
    secretFor: (id) => (id === 'AKIAIOSFODNN7EXAMPLE' ? 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' : undefined),
    requireSignedAmzHeaders: true,
  };
  const host: [string, string] = ['Host', 'examplebucket.s3.amazonaws.com'];
  const verifyS3 = (request: ReceivedRequest, nowMs = Date.UTC(2013, 4, 24, 0, 5)) =>
    verifySigV4(request, s3Settings, { nowMs, payloadHash: (auth) => s3PayloadHash(request, auth) });
  const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const authz = (signed: string, signature: string) =>
    ['Authorization', `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${signature}`] as [string, string];

  it('the presigned GET of test.txt (UNSIGNED-PAYLOAD)', () => {
    const target =
      '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
      '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    expect(verifyS3({ method: 'GET', target, headers: [host] }).canonicalRequest.endsWith('\nhost\nUNSIGNED-PAYLOAD')).toBe(true);
    expect(refusalOf(() => verifyS3({ method: 'PUT', target, headers: [host] })).code).toBe('SignatureDoesNotMatch');
    expect(refusalOf(() => verifyS3({ method: 'GET', target: target.replace('/test.txt', '/other.txt'), headers: [host] })).code).toBe('SignatureDoesNotMatch');
  });

  it('the header-signed GET with a Range header', () => {
    const headers: Array<[string, string]> = [
      host,
      ['Range', 'bytes=0-9'],
      ['x-amz-content-sha256', EMPTY],
      ['x-amz-date', '20130524T000000Z'],
      authz('host;range;x-amz-content-sha256;x-amz-date', 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
    ];
    expect(() => verifyS3({ method: 'GET', target: '/test.txt', headers })).not.toThrow();
    const other = headers.map(([n, v]) => [n, n === 'Range' ? 'bytes=0-10' : v] as [string, string]);
    expect(refusalOf(() => verifyS3({ method: 'GET', target: '/test.txt', headers: other })).code).toBe('SignatureDoesNotMatch');
  });

  it('the header-signed PUT of test$file.text (a signed payload hash, a Date header, a storage class)', () => {
    const headers: Array<[string, string]> = [
      host,
      ['Date', 'Fri, 24 May 2013 00:00:00 GMT'],
      ['x-amz-date', '20130524T000000Z'],
      ['x-amz-storage-class', 'REDUCED_REDUNDANCY'],
      ['x-amz-content-sha256', '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072'],
      authz('date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class', '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd'),
    ];
    expect(verifyS3({ method: 'PUT', target: '/test$file.text', headers }).canonicalRequest.split('\n')[1]).toBe('/test%24file.text');
  });

  it('the header-signed GET ?lifecycle and the list with max-keys and prefix', () => {
    const signedGet = (target: string, signature: string) =>
      verifyS3({
        method: 'GET',
        target,
        headers: [host, ['x-amz-date', '20130524T000000Z'], ['x-amz-content-sha256', EMPTY], authz('host;x-amz-content-sha256;x-amz-date', signature)],
      });
    expect(signedGet('/?lifecycle', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543').canonicalRequest.split('\n')[2]).toBe('lifecycle=');
    expect(signedGet('/?max-keys=2&prefix=J', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7').canonicalRequest.split('\n')[2]).toBe(
      'max-keys=2&prefix=J',
    );
  });
});

describe('S3 rules on URLs from the SDK presigner and the broker presigner', () => {
  const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local/secret+key' };
  const settings: VerifierSettings = {
    region: 'eu-west-1',
    service: 's3',
    secretFor: (id) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined),
    requireSignedAmzHeaders: true,
  };
  const endpoint = 'http://127.0.0.1:4569';
  const s3 = new S3Client({ region: 'eu-west-1', endpoint, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const signedAt = Date.UTC(2026, 10, 30, 12, 0, 0);
  const asReceived = (url: string, method: string, extra: Array<[string, string]> = []): ReceivedRequest => {
    const u = new URL(url);
    return { method, target: u.pathname + u.search, headers: [['Host', u.host], ...extra] };
  };
  const check = (request: ReceivedRequest, nowMs = signedAt + 1000) =>
    verifySigV4(request, settings, { nowMs, payloadHash: (auth) => s3PayloadHash(request, auth) });

  it('accepts a getSignedUrl GET within its lifetime and refuses it after, with the expiry in the refusal', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'b', Key: 'dir/a b+c.txt' }), { expiresIn: 60, signingDate: new Date(signedAt) });
    expect(() => check(asReceived(url, 'GET'))).not.toThrow();
    const late = refusalOf(() => check(asReceived(url, 'GET'), signedAt + 61_000));
    expect([late.status, late.code, late.message, late.details['X-Amz-Expires']]).toEqual([403, 'AccessDenied', 'Request has expired', '60']);
    expect(late.details.Expires).toBe(new Date(signedAt + 60_000).toISOString());
  });

  it('refuses X-Amz-Expires over a week with 400, before looking at the signature', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 604_800, signingDate: new Date(signedAt) });
    expect(() => check(asReceived(url, 'GET'))).not.toThrow();
    const refusal = refusalOf(() => check(asReceived(url.replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801'), 'GET')));
    expect([refusal.status, refusal.code]).toEqual([400, 'AuthorizationQueryParametersError']);
  });

  it('the broker presigner: every signed header counts, the key counts, the credentials and scope count', async () => {
    const presigner = createPresigner({ region: 'eu-west-1', bucket: 'b', credentials, endpoint });
    const url = await presigner.presignPut({ key: 'tmp/k1', expiresInSeconds: 300, contentType: 'text/plain', contentMd5: 'XUFAKrxLKna5cZ2REBfFkg==', contentLength: 5 }, signedAt);
    const headers: Array<[string, string]> = [['Content-Type', 'text/plain'], ['Content-MD5', 'XUFAKrxLKna5cZ2REBfFkg=='], ['Content-Length', '5']];
    expect(() => check(asReceived(url, 'PUT', headers))).not.toThrow();
    const code = (request: ReceivedRequest) => refusalOf(() => check(request)).code;
    expect(code(asReceived(url, 'PUT', [headers[0]!, headers[1]!, ['Content-Length', '6']]))).toBe('SignatureDoesNotMatch');
    expect(code(asReceived(url, 'PUT', [headers[0]!, headers[2]!]))).toBe('SignatureDoesNotMatch');
    expect(code(asReceived(url, 'PUT', [['Content-Type', 'text/html'], headers[1]!, headers[2]!]))).toBe('SignatureDoesNotMatch');
    expect(code(asReceived(url.replace('/tmp/k1?', '/tmp/k2?'), 'PUT', headers))).toBe('SignatureDoesNotMatch');
    expect(code(asReceived(url, 'PUT', [...headers, ['x-amz-acl', 'public-read']]))).toBe('AccessDenied');
    expect(code(asReceived(url.replace('AKIDLOCAL', 'AKIDOTHER'), 'PUT', headers))).toBe('InvalidAccessKeyId');
    expect(code(asReceived(url.replace('eu-west-1', 'us-east-1'), 'PUT', headers))).toBe('AuthorizationQueryParametersError');
    expect(code(asReceived(url.replace('X-Amz-Date=20261130', 'X-Amz-Date=20261129'), 'PUT', headers))).toBe('AuthorizationQueryParametersError');
  });

  it('header-signed SDK requests: accepted when fresh, refused when skewed or without a payload hash', async () => {
    const signed: { headers?: Record<string, string>; path?: string; query?: Record<string, string> } = {};
    const client = new S3Client({ region: 'eu-west-1', endpoint, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string>; path: string; query: Record<string, string> };
        Object.assign(signed, { headers: { ...request.headers }, path: request.path, query: { ...request.query } });
        return { output: {} as never, response: {} };
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'hello', ContentType: 'text/plain' })).catch(() => undefined);
    const qs = new URLSearchParams(signed.query).toString();
    const request: ReceivedRequest = { method: 'PUT', target: signed.path! + (qs ? `?${qs}` : ''), headers: Object.entries(signed.headers!) };
    const sentAt = Date.parse(signed.headers!['x-amz-date']!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(() => check(request, sentAt)).not.toThrow();
    expect(refusalOf(() => check(request, sentAt + 16 * 60_000)).code).toBe('RequestTimeTooSkewed');
    const noHash = { ...request, headers: request.headers.filter(([n]) => n !== 'x-amz-content-sha256') };
    expect(refusalOf(() => check(noHash, sentAt)).code).toBe('InvalidRequest');
    client.destroy();
  });

  it('no credentials at all: 403 AccessDenied; two mechanisms or SigV2: 400', () => {
    const anonymous = refusalOf(() => check({ method: 'PUT', target: '/b/k', headers: [['Host', 'h']] }));
    expect([anonymous.status, anonymous.code]).toEqual([403, 'AccessDenied']);
    const both = refusalOf(() => check({ method: 'GET', target: '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256', headers: [['Host', 'h'], ['Authorization', 'AWS4-HMAC-SHA256 x']] }));
    expect([both.status, both.code]).toEqual([400, 'InvalidArgument']);
    const v2 = refusalOf(() => check({ method: 'GET', target: '/b/k?AWSAccessKeyId=AKIDLOCAL&Expires=1&Signature=x', headers: [['Host', 'h']] }));
    expect([v2.status, v2.code]).toEqual([400, 'InvalidRequest']);
  });

  it("a refusal is S3's XML error document, escaped", () => {
    const xml = refusalXml(new S3Refusal(403, 'SignatureDoesNotMatch', 'a < b', { CanonicalRequest: 'PUT\n/x&y' }), 'REQ1');
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>a &lt; b</Message><CanonicalRequest>PUT\n/x&amp;y</CanonicalRequest><RequestId>REQ1</RequestId></Error>',
    );
  });
});
