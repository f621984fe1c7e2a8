import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import UtilsModule from '@alicloud/openapi-core/dist/utils.js';
import { Acs3Error, canonicalAcs3Request, parseAcs3Authorization, verifyAcs3, type Acs3Request } from '../../shared/auth/acs3.js';

/**
 * The ACS3-HMAC-SHA256 verifier against fixed vectors. Where they come from: each signature was
 * computed once with the official SDK's own signer (`Utils.getAuthorization` of @alicloud/openapi-core
 * 1.0.8, which @alicloud/bailian20231229 uses) for the request shown, with the key LTAI5tExampleKey and
 * the secret below; the verifier shares no code with it. The property test signs random requests with
 * the same SDK function at test time.
 */
const SECRET = 'testSecret-0123456789';
// A CommonJS module seen from ESM: the class is module.exports.default.
const Utils = UtilsModule.default;

interface Vector {
  name: string;
  request: Acs3Request;
  signedHeaders: string;
  signature: string;
}

const VECTORS: Vector[] = [
  {
    name: "GET DescribeFile, no query, empty body",
    request: {
      method: "GET",
      rawPath: "/ws_a/datacenter/file/file_0123456789abcdef0123456789abcdef_1790000000000/",
      rawQuery: "",
      headers: {"host": "broker.example.com", "x-acs-action": "DescribeFile", "x-acs-version": "2023-12-29", "x-acs-date": "2026-11-30T12:00:00Z", "x-acs-signature-nonce": "a1b2c3", "accept": "application/json", "user-agent": "x", "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      body: Buffer.from(""),
    },
    signedHeaders: "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
    signature: '25ca7f53760ee7f03c8cbb514767fd8d0f0d0b9727e86270da13c1181096ad6c',
  },
  {
    name: "PUT AddFile, form body, content-type signed",
    request: {
      method: "PUT",
      rawPath: "/ws_a/datacenter/file",
      rawQuery: "",
      headers: {"host": "127.0.0.1:3000", "content-type": "application/x-www-form-urlencoded", "x-acs-action": "AddFile", "x-acs-version": "2023-12-29", "x-acs-date": "2026-11-30T12:00:01Z", "x-acs-signature-nonce": "n-2", "x-acs-content-sha256": "4cf41d7e73bceed76d155624527fcf3beb04f8a8929717f4eb3c25d0678fb87b"},
      body: Buffer.from("CategoryId=default&LeaseId=0123456789abcdef0123456789abcdef.1790000000000&Parser=DASHSCOPE_DOCMIND&Tags=%5B%22a%22%5D"),
    },
    signedHeaders: "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
    signature: '711a5ec1e66791d7c3e9be97258112e6939a0214b4c02173a243ed7661f12348',
  },
  {
    name: "POST with non-ASCII path segment and query values",
    request: {
      method: "POST",
      rawPath: "/%E5%B7%A5%E4%BD%9C%E5%8C%BA%201/datacenter/category/%E7%B1%BB%E5%88%AB%2A%28x%29",
      rawQuery: "FileName=%E6%8A%A5%E5%91%8A%20%E6%9C%80%E7%BB%88%E7%89%88.pdf&Md5=5d41402abc4b2a76b9719d911017c592&SizeInBytes=5&z-empty=",
      headers: {"host": "bailian.cn-beijing.aliyuncs.com", "x-acs-action": "ApplyFileUploadLease", "x-acs-version": "2023-12-29", "x-acs-date": "2026-11-30T12:00:02Z", "x-acs-signature-nonce": "ünïcode-nonce", "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      body: Buffer.from(""),
    },
    signedHeaders: "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
    signature: '54f224f898dd6d6195a0cc128ab5fdf6c4f4fdc4fd0e56e5e9d98688d4bdf826',
  },
];

const authorizationOf = (v: Vector) => parseAcs3Authorization(`ACS3-HMAC-SHA256 Credential=LTAI5tExampleKey,SignedHeaders=${v.signedHeaders},Signature=${v.signature}`);

const failureOf = (run: () => void): string => {
  try {
    run();
  } catch (error) {
    return (error as Acs3Error).failure;
  }
  return 'accepted';
};

describe('ACS3-HMAC-SHA256, fixed vectors from the official SDK signer', () => {
  for (const v of VECTORS) {
    it(`${v.name}: accepted; refused once the path, a query value, a signed header, the body or the secret changes`, () => {
      const auth = authorizationOf(v);
      expect(failureOf(() => verifyAcs3(v.request, auth, SECRET))).toBe('accepted');
      expect(failureOf(() => verifyAcs3({ ...v.request, rawPath: `${v.request.rawPath}x` }, auth, SECRET))).toBe('signature');
      expect(failureOf(() => verifyAcs3({ ...v.request, rawQuery: `${v.request.rawQuery}&extra=1` }, auth, SECRET))).toBe('signature');
      expect(failureOf(() => verifyAcs3({ ...v.request, headers: { ...v.request.headers, 'x-acs-date': '2026-11-30T12:59:59Z' } }, auth, SECRET))).toBe('signature');
      expect(failureOf(() => verifyAcs3({ ...v.request, body: Buffer.concat([v.request.body, Buffer.from('!')]) }, auth, SECRET))).toBe('content-hash');
      expect(failureOf(() => verifyAcs3(v.request, auth, `${SECRET}x`))).toBe('signature');
    });
  }

  it('the non-ASCII vector decodes and re-encodes the path and query the way the SDK encoded them', () => {
    const v = VECTORS[2]!;
    const canonical = canonicalAcs3Request(v.request, v.signedHeaders.split(';'), v.request.headers['x-acs-content-sha256']!);
    expect(canonical.split('\n').slice(0, 3)).toEqual([
      'POST',
      '/%E5%B7%A5%E4%BD%9C%E5%8C%BA%201/datacenter/category/%E7%B1%BB%E5%88%AB%2A%28x%29',
      'FileName=%E6%8A%A5%E5%91%8A%20%E6%9C%80%E7%BB%88%E7%89%88.pdf&Md5=5d41402abc4b2a76b9719d911017c592&SizeInBytes=5&z-empty=',
    ]);
  });

  it('an x-acs-* header the signature does not cover, or an unsigned host, is refused', () => {
    const v = VECTORS[0]!;
    const auth = authorizationOf(v);
    expect(failureOf(() => verifyAcs3({ ...v.request, headers: { ...v.request.headers, 'x-acs-extra': '1' } }, auth, SECRET))).toBe('malformed');
    const noHost = { ...auth, signedHeaders: auth.signedHeaders.filter((h) => h !== 'host') };
    expect(failureOf(() => verifyAcs3(v.request, noHost, SECRET))).toBe('malformed');
  });

  it('parses only well-formed Authorization headers', () => {
    const bad = ['', 'Bearer x', 'ACS3-HMAC-SHA256', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=zz', 'acs LTAI:sig'];
    expect(bad.map((h) => failureOf(() => parseAcs3Authorization(h)))).toEqual(['missing', 'malformed', 'malformed', 'malformed', 'malformed', 'malformed']);
    expect(failureOf(() => parseAcs3Authorization(undefined))).toBe('missing');
  });
});

describe('ACS3-HMAC-SHA256 against the SDK signer on generated requests', () => {
  const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/'));
  const pe = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  it('whatever the SDK signs, the verifier accepts; with another secret, it refuses', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 4 }), fc.string({ maxLength: 200 }), fc.constantFrom('GET', 'PUT', 'POST', 'DELETE'), (segments, query, body, method) => {
        const pathname = `/${segments.map(pe).join('/')}`;
        const hash = createHash('sha256').update(body, 'utf8').digest('hex');
        const headers: Record<string, string> = { host: 'h.example', 'x-acs-action': 'A', 'x-acs-version': '2023-12-29', 'x-acs-date': '2026-11-30T12:00:00Z', 'x-acs-signature-nonce': 'n', 'x-acs-content-sha256': hash };
        const header = Utils.getAuthorization({ pathname, method, query, headers } as never, 'ACS3-HMAC-SHA256', hash, 'AK', SECRET);
        const rawQuery = Object.entries(query).map(([k, v]) => `${pe(k)}=${pe(v)}`).join('&');
        const request = { method, rawPath: pathname, rawQuery, headers, body: Buffer.from(body, 'utf8') };
        expect(failureOf(() => verifyAcs3(request, parseAcs3Authorization(header), SECRET))).toBe('accepted');
        expect(failureOf(() => verifyAcs3(request, parseAcs3Authorization(header), 'other-secret-000'))).toBe('signature');
      }),
      { numRuns: 300 },
    );
  });
});
