import { afterAll, describe, expect, it, test } from '@jest/globals';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { sdkPresign } from '../../bench/sdk-presign.js';
import { md5HexToBase64 } from '../../shared/md5.js';
import { createPresigner, encodeKeyPath, type PresignerOptions } from '../../shared/adapters/presign.js';
import { type PutUrlSpec } from '../../shared/lease/ports.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const REGION = 'eu-west-1';
const BUCKET = 'upload-bucket';
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const AMZ_DATE = '20250102T030405Z';
const MD5_B64 = md5HexToBase64('19657c391f6c70bcea63c154d8606bb3');
const FULL: PutUrlSpec = {
  key: 'tmp/1e6a159107384782be5e45ac4759b247.1719325231035/report.pdf',
  expiresInSeconds: 600,
  contentType: 'application/pdf',
  contentMd5: MD5_B64,
  contentLength: 1000,
};

/** What the AWS SDK itself produces for the same PUT (one client per configuration, as an app would keep). */
const sdkClients = new Map<string, S3Client>();
afterAll(() => sdkClients.forEach((c) => c.destroy()));
async function sdkUrl(
  opts: { region?: string; bucket?: string; endpoint?: string; credentials?: PresignerOptions['credentials'] },
  spec: PutUrlSpec,
  nowMs = NOW,
): Promise<string> {
  const region = opts.region ?? REGION;
  const creds = opts.credentials ?? credentials;
  const id = JSON.stringify([region, opts.endpoint, creds]);
  let s3 = sdkClients.get(id);
  if (!s3) {
    s3 = new S3Client({
      region,
      credentials: creds,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    });
    sdkClients.set(id, s3);
  }
  return sdkPresign(s3, opts.bucket ?? BUCKET, spec, nowMs);
}

const presigner = (opts: Partial<PresignerOptions> = {}) => createPresigner({ region: REGION, bucket: BUCKET, credentials, ...opts });
const params = (url: string) => new URL(url).searchParams;

describe('createPresigner: query parameters', () => {
  test.each([1, 60, 600, 3600, 604_800])('X-Amz-Expires is the requested %i seconds', async (seconds) => {
    const url = await presigner().presignPut({ ...FULL, expiresInSeconds: seconds }, NOW);
    expect(params(url).get('X-Amz-Expires')).toBe(String(seconds));
  });

  it('X-Amz-Date is the given time, and the credential scope its date', async () => {
    const q = params(await presigner().presignPut(FULL, NOW));
    expect(q.get('X-Amz-Date')).toBe(AMZ_DATE);
    expect(q.get('X-Amz-Credential')).toBe(`AKIDEXAMPLE/20250102/${REGION}/s3/aws4_request`);
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const later = params(await presigner().presignPut(FULL, Date.UTC(2031, 11, 31, 23, 59, 59)));
    expect(later.get('X-Amz-Date')).toBe('20311231T235959Z');
  });

  it('signs content-length, content-md5, content-type and host when all are declared', async () => {
    const url = await presigner().presignPut(FULL, NOW);
    expect(params(url).get('X-Amz-SignedHeaders')).toBe('content-length;content-md5;content-type;host');
  });

  test.each([
    [{ contentType: 'text/plain' }, 'content-type;host'],
    [{ contentMd5: MD5_B64 }, 'content-md5;host'],
    [{ contentLength: 5 }, 'content-length;host'],
    [{}, 'host'],
  ] as const)('signs only what is declared: %j -> %s', async (extra, signed) => {
    const url = await presigner().presignPut({ key: FULL.key, expiresInSeconds: 600, ...extra }, NOW);
    expect(params(url).get('X-Amz-SignedHeaders')).toBe(signed);
  });

  it('adds no checksum parameters anywhere', async () => {
    for (const spec of [FULL, { key: FULL.key, expiresInSeconds: 600 }]) {
      for (const p of [presigner(), presigner({ endpoint: 'http://127.0.0.1:4569' })]) {
        const url = (await p.presignPut(spec, NOW)).toLowerCase();
        expect(url).not.toContain('x-amz-checksum');
        expect(url).not.toContain('x-amz-sdk-checksum-algorithm');
        expect(url).not.toContain('checksum');
      }
    }
  });

  it('is deterministic for the same input and time', async () => {
    const p = presigner();
    expect(await p.presignPut(FULL, NOW)).toBe(await p.presignPut(FULL, NOW));
  });

  it('a different Content-MD5, type, length, key or time gives a different signature', async () => {
    const p = presigner();
    const sig = async (spec: PutUrlSpec, now = NOW) => params(await p.presignPut(spec, now)).get('X-Amz-Signature');
    const base = await sig(FULL);
    expect(await sig({ ...FULL, contentMd5: md5HexToBase64('0'.repeat(32)) })).not.toBe(base);
    expect(await sig({ ...FULL, contentType: 'text/plain' })).not.toBe(base);
    expect(await sig({ ...FULL, contentLength: 1001 })).not.toBe(base);
    expect(await sig({ ...FULL, key: `${FULL.key}x` })).not.toBe(base);
    expect(await sig(FULL, NOW + 1000)).not.toBe(base);
  });

  it('accepts a credential provider as well as static credentials', async () => {
    const fromProvider = createPresigner({ region: REGION, bucket: BUCKET, credentials: async () => credentials });
    expect(await fromProvider.presignPut(FULL, NOW)).toBe(await presigner().presignPut(FULL, NOW));
  });
});

describe('createPresigner: byte-identical to getSignedUrl(PutObjectCommand)', () => {
  const keys = [
    FULL.key,
    'tmp/abc/name with spaces.pdf',
    'tmp/abc/报告 最终版.docx',
    'tmp/abc/a+b=c&d.pdf',
    "tmp/abc/it's (1)!*~.txt",
    'tmp/abc/100%.md',
    'tmp/abc/ü\u{1F600}.pdf',
  ];

  test.each(keys.map((k) => [k]))('virtual-hosted, key %j', async (key) => {
    const spec = { ...FULL, key };
    expect(await presigner().presignPut(spec, NOW)).toBe(await sdkUrl({}, spec));
  });

  test.each(keys.map((k) => [k]))('path-style endpoint, key %j', async (key) => {
    const spec = { ...FULL, key };
    const endpoint = 'http://127.0.0.1:4569';
    const url = await presigner({ endpoint }).presignPut(spec, NOW);
    expect(url.startsWith(`${endpoint}/${BUCKET}/`)).toBe(true);
    expect(url).toBe(await sdkUrl({ endpoint }, spec));
  });

  // Only specs that declare a content type: without one the SDK serialises (and, with content-type
  // signable, signs) a default application/octet-stream, whereas the broker then signs only `host`.
  test.each([
    ['content-type only', { key: FULL.key, expiresInSeconds: 60, contentType: 'text/markdown' }],
    ['content-type and md5', { key: FULL.key, expiresInSeconds: 900, contentType: 'application/msword', contentMd5: MD5_B64 }],
    ['content-type and length', { key: FULL.key, expiresInSeconds: 1, contentType: 'text/plain', contentLength: 100_000_000 }],
  ])('%s', async (_label, spec) => {
    expect(await presigner().presignPut(spec, NOW)).toBe(await sdkUrl({}, spec));
    const endpoint = 'http://localhost:4566';
    expect(await presigner({ endpoint }).presignPut(spec, NOW)).toBe(await sdkUrl({ endpoint }, spec));
  });

  test.each([
    ['us-east-1', BUCKET, undefined],
    ['us-west-2', BUCKET, undefined],
    ['ap-southeast-1', BUCKET, undefined],
    ['us-gov-west-1', BUCKET, undefined],
    ['eu-west-1', BUCKET, 'https://s3.example.internal'],
    ['eu-west-1', BUCKET, 'http://localhost:4566'],
    // China partition: S3 lives under amazonaws.com.cn.
    ['cn-north-1', BUCKET, undefined],
    ['cn-northwest-1', BUCKET, undefined],
    // Bucket names with dots cannot be virtual-hosted over HTTPS (the wildcard certificate does not match).
    ['eu-west-1', 'my.dotted.bucket', undefined],
    ['eu-west-1', 'bucket.with.dots', undefined],
  ] as const)('region %s, bucket %s, endpoint %s', async (region, bucket, endpoint) => {
    const p = createPresigner({ region, bucket, credentials, ...(endpoint ? { endpoint } : {}) });
    expect(await p.presignPut(FULL, NOW)).toBe(await sdkUrl({ region, bucket, ...(endpoint ? { endpoint } : {}) }, FULL));
  });
});

describe('createPresigner: objectUrl', () => {
  test.each([
    [{}, `https://${BUCKET}.s3.${REGION}.amazonaws.com/`],
    [{ endpoint: 'http://127.0.0.1:4569' }, `http://127.0.0.1:4569/${BUCKET}/`],
  ])('is the presigned URL without its query string (%j)', async (opts, origin) => {
    const p = presigner(opts);
    for (const key of [FULL.key, 'tmp/abc/name with spaces+plus.pdf', 'tmp/abc/报告.docx']) {
      const url = await p.presignPut({ ...FULL, key }, NOW);
      expect(p.objectUrl(key)).toBe(url.split('?')[0]);
      expect(p.objectUrl(key).startsWith(origin)).toBe(true);
      expect(p.objectUrl(key)).not.toContain('?');
    }
  });

  it('encodes keys like the SDK: spaces as %20, + as %2B, unicode as UTF-8, slashes kept', () => {
    const p = presigner();
    expect(p.objectUrl('tmp/a b/c+d.pdf')).toBe(`https://${BUCKET}.s3.${REGION}.amazonaws.com/tmp/a%20b/c%2Bd.pdf`);
    expect(p.objectUrl('tmp/x/报.pdf')).toBe(`https://${BUCKET}.s3.${REGION}.amazonaws.com/tmp/x/%E6%8A%A5.pdf`);
    expect(encodeKeyPath("a/!'()*~-_./%#?&=")).toBe('a/%21%27%28%29%2A~-_./%25%23%3F%26%3D');
  });
});

describe('createPresigner: credentials and the signing key cache', () => {
  const session = { ...credentials, sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQD+token/with=chars' };

  it('with a session token (what Lambda always has) the URL is byte-identical to getSignedUrl', async () => {
    const url = await presigner({ credentials: session }).presignPut(FULL, NOW);
    expect(params(url).get('X-Amz-Security-Token')).toBe(session.sessionToken);
    expect(url).toBe(await sdkUrl({ credentials: session }, FULL));
    const endpoint = 'http://127.0.0.1:4569';
    expect(await presigner({ credentials: session, endpoint }).presignPut(FULL, NOW)).toBe(await sdkUrl({ credentials: session, endpoint }, FULL));
  });

  it('renews the cached signing key when the secret rotates', async () => {
    const rotated = { ...credentials, secretAccessKey: 'another/secret+key' };
    let current: typeof credentials = credentials;
    const p = createPresigner({ region: REGION, bucket: BUCKET, credentials: async () => current });
    expect(await p.presignPut(FULL, NOW)).toBe(await sdkUrl({}, FULL));
    current = rotated;
    const after = await p.presignPut(FULL, NOW);
    expect(after).toBe(await sdkUrl({ credentials: rotated }, FULL));
    expect(after).not.toBe(await sdkUrl({}, FULL));
  });

  it('renews the cached signing key when the UTC day changes, and not before', async () => {
    const p = presigner();
    const endOfDay = Date.UTC(2025, 0, 2, 23, 59, 59);
    const nextDay = Date.UTC(2025, 0, 3, 0, 0, 0);
    expect(await p.presignPut(FULL, NOW)).toBe(await sdkUrl({}, FULL, NOW));
    expect(await p.presignPut(FULL, endOfDay)).toBe(await sdkUrl({}, FULL, endOfDay));
    expect(await p.presignPut(FULL, nextDay)).toBe(await sdkUrl({}, FULL, nextDay));
    expect(await p.presignPut(FULL, NOW)).toBe(await sdkUrl({}, FULL, NOW));
  });

  it('canonicalises header values as the SDK does: runs of spaces, tabs and line breaks folded, ends trimmed', async () => {
    for (const contentType of ['text/plain;  charset=utf-8', ' text/plain', 'text/plain ', 'text/plain;\tcharset=a', 'a\r\nb', '  a \t b  ']) {
      const spec = { ...FULL, contentType };
      expect(await presigner().presignPut(spec, NOW)).toBe(await sdkUrl({}, spec));
    }
  });

  it('allows exactly one week and not a second more', async () => {
    await expect(presigner().presignPut({ ...FULL, expiresInSeconds: 604_800 }, NOW)).resolves.toContain('X-Amz-Expires=604800&');
    await expect(presigner().presignPut({ ...FULL, expiresInSeconds: 604_801 }, NOW)).rejects.toThrow(/less than one week/);
  });

  it('refuses credentials that are not credentials', async () => {
    for (const bad of [undefined, null, 'AKID', { accessKeyId: 'AKID' }, { secretAccessKey: 's' }, { accessKeyId: 1, secretAccessKey: 's' }]) {
      const p = createPresigner({ region: REGION, bucket: BUCKET, credentials: async () => bad as never });
      await expect(p.presignPut(FULL, NOW)).rejects.toThrow('Resolved credential object is not valid');
    }
  });
});

describe('presignGet and keyOfUrl', () => {
  const keys = ['files/abc/report.pdf', 'tmp/abc/name with spaces.pdf', 'files/abc/报告 最终版.docx', "files/abc/it's (1)!*~.txt"];

  test.each(keys.map((k) => [k]))('a GET URL is byte-identical to getSignedUrl(GetObjectCommand), key %j', async (key) => {
    for (const endpoint of [undefined, 'http://127.0.0.1:4569']) {
      // WHEN_REQUIRED: otherwise the SDK adds checksum parameters (x-amz-checksum-*) to the URL.
      const s3 = new S3Client({ region: REGION, credentials, responseChecksumValidation: 'WHEN_REQUIRED', requestChecksumCalculation: 'WHEN_REQUIRED', ...(endpoint ? { endpoint, forcePathStyle: true } : {}) });
      const expected = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300, signingDate: new Date(NOW) });
      expect(await presigner(endpoint ? { endpoint } : {}).presignGet(key, 300, NOW)).toBe(expected);
      s3.destroy();
    }
  });

  test.each(keys.map((k) => [k]))('HEAD and DELETE URLs are byte-identical to getSignedUrl(HeadObjectCommand / DeleteObjectCommand), key %j', async (key) => {
    for (const endpoint of [undefined, 'http://127.0.0.1:4569']) {
      const s3 = new S3Client({ region: REGION, credentials, responseChecksumValidation: 'WHEN_REQUIRED', requestChecksumCalculation: 'WHEN_REQUIRED', ...(endpoint ? { endpoint, forcePathStyle: true } : {}) });
      const p = presigner(endpoint ? { endpoint } : {});
      const head = await getSignedUrl(s3, new HeadObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60, signingDate: new Date(NOW) });
      const del = await getSignedUrl(s3, new DeleteObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60, signingDate: new Date(NOW) });
      expect(await p.presignObjectCall('HEAD', key, 60, NOW)).toBe(head);
      expect(await p.presignObjectCall('DELETE', key, 60, NOW)).toBe(del);
      s3.destroy();
    }
  });

  test.each([
    ['tmp/0123456789abcdef0123456789abcdef/', undefined],
    ['files/a b/ü/', 'opaque+/=token'],
  ])('a ListObjectsV2 URL is byte-identical to getSignedUrl(ListObjectsV2Command), prefix %j, token %j', async (prefix, token) => {
    for (const endpoint of [undefined, 'http://127.0.0.1:4569']) {
      const s3 = new S3Client({ region: REGION, credentials, responseChecksumValidation: 'WHEN_REQUIRED', requestChecksumCalculation: 'WHEN_REQUIRED', ...(endpoint ? { endpoint, forcePathStyle: true } : {}) });
      const p = presigner(endpoint ? { endpoint } : {});
      const sdk = await getSignedUrl(s3, new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), { expiresIn: 60, signingDate: new Date(NOW) });
      expect(await p.presignList(prefix, token, 60, NOW)).toBe(sdk);
      s3.destroy();
    }
  });

  test.each(keys.map((k) => [k]))('keyOfUrl undoes objectUrl (any query ignored), key %j', (key) => {
    for (const endpoint of [undefined, 'http://127.0.0.1:4569']) {
      const p = presigner(endpoint ? { endpoint } : {});
      expect(p.keyOfUrl(p.objectUrl(key))).toBe(key);
      expect(p.keyOfUrl(`${p.objectUrl(key)}?X-Amz-Signature=x`)).toBe(key);
    }
  });

  test('keyOfUrl refuses URLs of another host, bucket or scheme, and text that is not a URL', () => {
    const p = presigner({ endpoint: 'http://127.0.0.1:4569' });
    expect(p.keyOfUrl(`http://127.0.0.1:4570/${BUCKET}/tmp/a`)).toBeUndefined();
    expect(p.keyOfUrl('http://127.0.0.1:4569/other/tmp/a')).toBeUndefined();
    expect(p.keyOfUrl(`https://127.0.0.1:4569/${BUCKET}/tmp/a`)).toBeUndefined();
    expect(p.keyOfUrl('not a url')).toBeUndefined();
    expect(p.keyOfUrl(`http://127.0.0.1:4569/${BUCKET}/tmp/%E0%A4%A`)).toBeUndefined();
    expect(p.keyOfUrl(`http://127.0.0.1:4569/${BUCKET}/tmp/a`)).toBe('tmp/a');
  });
});
