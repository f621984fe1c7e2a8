import { describe, expect, test } from '@jest/globals';
import { createPresignedObjects, type SendRequest } from '../../shared/adapters/presigned-objects.js';
import { DependencyError } from '../../shared/errors.js';
import { createPresigner } from '../../shared/adapters/presign.js';

/** The API Lambdas' HEAD and DELETE: presigned requests sent with fetch, mapped as the SDK adapter maps S3's answers. */
const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);
const presigner = createPresigner({ region: 'eu-west-1', bucket: 'uploads', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const FAST = { connectionTimeout: 50, requestTimeout: 50, throwOnRequestTimeout: true } as const;

type Answer = { status: number; headers?: Record<string, string>; body?: string } | Error;

/** A fake S3 answering in turn; it records every request. */
function s3(...answers: Answer[]) {
  const seen: { method: string; url: URL }[] = [];
  const send: SendRequest = async (url, init) => {
    seen.push({ method: init.method, url: new URL(url) });
    const answer = answers.shift() ?? answers.at(-1) ?? { status: 500 };
    if (answer instanceof Error) throw answer;
    return { status: answer.status, headers: new Headers(answer.headers ?? {}), text: async () => answer.body ?? '' };
  };
  return { objects: createPresignedObjects(presigner, { now: () => NOW, send, timeouts: FAST }), seen };
}

describe('presigned HEAD', () => {
  test('200: size, ETag, type and stored time from the headers; the request is a one-minute presigned HEAD of that key', async () => {
    const { objects, seen } = s3({ status: 200, headers: { 'content-length': '20', etag: '"abc"', 'content-type': 'text/plain', 'last-modified': 'Thu, 15 Jan 2026 09:59:58 GMT' } });
    expect(await objects.head('tmp/a b/doc.txt')).toEqual({ size: 20, eTag: '"abc"', contentType: 'text/plain', lastModified: NOW - 2000 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('HEAD');
    expect(seen[0]!.url.pathname).toBe('/tmp/a%20b/doc.txt');
    expect(seen[0]!.url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(seen[0]!.url.searchParams.get('X-Amz-Date')).toBe('20260115T100000Z');
    expect(seen[0]!.url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  test('no type or date in the answer: left out, not invented', async () => {
    const { objects } = s3({ status: 200, headers: { 'content-length': '3', etag: '"e"' } });
    expect(await objects.head('k')).toEqual({ size: 3, eTag: '"e"' });
  });

  test('an answer without Content-Length is not guessed at (0 bytes would reject a good upload): a non-retryable error', async () => {
    const { objects, seen } = s3({ status: 200, headers: { etag: '"e"' } });
    expect(await objects.head('k').catch((e: unknown) => e)).toMatchObject({ dependency: 's3', throttled: false });
    expect(seen).toHaveLength(1);
  });

  test('404: nothing there', async () => {
    expect(await s3({ status: 404 }).objects.head('k')).toBeUndefined();
  });

  test('503, 500 and a dropped connection are retried; the third answer counts', async () => {
    const { objects, seen } = s3({ status: 503 }, new TypeError('fetch failed'), { status: 200, headers: { 'content-length': '1', etag: '"e"' } });
    expect(await objects.head('k')).toMatchObject({ size: 1 });
    expect(seen).toHaveLength(3);
  });

  test('still failing after three attempts: a retryable DependencyError (503 to the client)', async () => {
    const { objects, seen } = s3({ status: 500 }, { status: 429 }, new TypeError('fetch failed'));
    const error = await objects.head('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 's3', throttled: true });
    expect(seen).toHaveLength(3);
  });

  test('403 (a missing grant) is not retried: a non-retryable DependencyError', async () => {
    const { objects, seen } = s3({ status: 403 }, { status: 200 });
    expect(await objects.head('k').catch((e: unknown) => e)).toMatchObject({ dependency: 's3', throttled: false });
    expect(seen).toHaveLength(1);
  });

  test('a hung S3 is given up on at the SDK clients\u2019 timeouts, then retried', async () => {
    const seen: string[] = [];
    const send: SendRequest = (url, init) =>
      new Promise((_resolve, reject) => {
        seen.push(url);
        init.signal.addEventListener('abort', () => reject(init.signal.reason));
      });
    const objects = createPresignedObjects(presigner, { now: () => NOW, send, timeouts: FAST });
    expect(await objects.head('k').catch((e: unknown) => e)).toMatchObject({ dependency: 's3', throttled: true });
    expect(seen).toHaveLength(3);
  });
});

describe('presigned DELETE', () => {
  test.each([204, 200, 404])('%i: done', async (status) => {
    const { objects, seen } = s3({ status });
    await expect(objects.delete('tmp/x/y')).resolves.toBeUndefined();
    expect(seen.map((r) => [r.method, r.url.pathname, r.url.searchParams.get('x-id')])).toEqual([['DELETE', '/tmp/x/y', 'DeleteObject']]);
  });

  test('403: refused at once; 5xx: retried, then retryable', async () => {
    expect(await s3({ status: 403 }).objects.delete('k').catch((e: unknown) => e)).toMatchObject({ throttled: false });
    const { objects, seen } = s3({ status: 500 });
    expect(await objects.delete('k').catch((e: unknown) => e)).toMatchObject({ throttled: true });
    expect(seen).toHaveLength(3);
  });
});

const page = (entries: string, next?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>uploads</Name><Prefix>tmp/c/</Prefix>${entries}<IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}</ListBucketResult>`;
const entry = (key: string, size: number, etag = '&quot;e1&quot;') =>
  `<Contents><Key>${key}</Key><LastModified>2026-01-15T09:59:58.000Z</LastModified><ETag>${etag}</ETag><Size>${size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;

describe('presigned ListObjectsV2 (a container lease\u2019s blobs)', () => {
  test('every page, in order, keys and ETags unescaped; each page a presigned GET of the bucket with the prefix and the previous token', async () => {
    const { objects, seen } = s3(
      { status: 200, body: page(entry('tmp/c/a&amp;b.txt', 3) + entry('tmp/c/dir/&lt;x&gt;&#x1F;', 5), 'tok&amp;1') },
      { status: 200, body: page(entry('tmp/c/z', 0, '&quot;e2&quot;')) },
    );
    expect(await objects.list('tmp/c/')).toEqual([
      { key: 'tmp/c/a&b.txt', size: 3, eTag: '"e1"', lastModified: NOW - 2000 },
      { key: 'tmp/c/dir/<x>\u001f', size: 5, eTag: '"e1"', lastModified: NOW - 2000 },
      { key: 'tmp/c/z', size: 0, eTag: '"e2"', lastModified: NOW - 2000 },
    ]);
    expect(seen.map((r) => [r.method, r.url.pathname, r.url.searchParams.get('prefix'), r.url.searchParams.get('list-type'), r.url.searchParams.get('continuation-token')])).toEqual([
      ['GET', '/', 'tmp/c/', '2', null],
      ['GET', '/', 'tmp/c/', '2', 'tok&1'],
    ]);
  });

  test('an empty prefix lists nothing; an unreadable answer is a non-retryable error, never a guess', async () => {
    expect(await s3({ status: 200, body: page('') }).objects.list('tmp/c/')).toEqual([]);
    for (const body of ['<Error/>', page('<Contents><Key>k</Key></Contents>'), page('').replace('<IsTruncated>false', '<IsTruncated>true')]) {
      expect(await s3({ status: 200, body }).objects.list('p/').catch((e: unknown) => e)).toMatchObject({ throttled: false });
    }
  });

  test('403 refused at once; 5xx retried, then retryable', async () => {
    expect(await s3({ status: 403 }).objects.list('p/').catch((e: unknown) => e)).toMatchObject({ throttled: false });
    const { objects, seen } = s3({ status: 503 });
    expect(await objects.list('p/').catch((e: unknown) => e)).toMatchObject({ throttled: true });
    expect(seen).toHaveLength(3);
  });
});
